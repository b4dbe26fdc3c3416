"""Bad input over HTTP gets a clear 4xx, never a 500 and never an echo of the request: JSON
nested thousands deep, a locale that is a path, a byte-order mark, a certificate URL that only
normalization shows to be elsewhere, bad query strings; and a response never exceeds Alexa's
24 KB."""

import json
import logging
import os
from importlib import resources

import pytest
from ask_sdk_model import Response as SdkResponse
from ask_sdk_model.ui import SsmlOutputSpeech
from flask import Flask

from skill.alexa.serializer import PlannedSerializer
from skill.audit import record_attempt
from skill.web import AppConfig, create_app
from skill.web.alexa import MAX_RESPONSE_BYTES, alexa_blueprint
from tests.alexa_certs import CERT_URL, SigningCA
from tests.alexa_requests import SKILL_ID, envelope
from tests.console_helpers import sign_in

pytest_plugins = ["tests.console_fixtures"]
pytestmark = pytest.mark.both_databases
DEEP = 5000


def launch(**request) -> dict:
    return envelope({"type": "LaunchRequest", **request},
                    session={"new": True, "sessionId": "s1", "attributes": {},
                             "application": {"applicationId": SKILL_ID},
                             "user": {"userId": "amzn1.ask.account.HARDENING"}})


def pin_turn(pin: str) -> dict:
    return envelope({"type": "IntentRequest", "intent": {
        "name": "ProvidePinIntent", "confirmationStatus": "NONE",
        "slots": {"Pin": {"name": "Pin", "value": pin, "confirmationStatus": "NONE"}}}},
        session={"new": False, "sessionId": "s1", "attributes": {},
                 "application": {"applicationId": SKILL_ID},
                 "user": {"userId": "amzn1.ask.account.HARDENING"}})


@pytest.fixture(scope="module")
def signer():
    """Signs requests as Alexa does, with a private certificate authority."""
    return SigningCA.create()


@pytest.fixture
def verified(runtime, signer):
    """The endpoint verifying requests; ``verified.fetched`` lists the certificate downloads."""
    fetched: list[str] = []
    app = create_app(runtime, AppConfig(
        skill_id=SKILL_ID, verify=True, linking_required=False, trust_store=signer.store(),
        cert_fetcher=lambda url: fetched.append(url) or signer.chain_pem()))
    client = app.test_client()
    client.fetched = fetched
    return client


@pytest.fixture
def local(runtime):
    """The endpoint in local development mode (no verification), as the simulators use it."""
    return create_app(runtime, AppConfig(skill_id=None, verify=False)).test_client()


# --- JSON nested thousands deep -----------------------------------------------------------

def deep_bodies() -> list[bytes]:
    nested = "[" * DEEP + "]" * DEEP
    inside = json.dumps(launch()).replace('"attributes": {}',
                                          '"attributes": {"x": ' + nested + "}")
    return [nested.encode(), ("{" + '"a":{' * DEEP + "}" * DEEP + "}").encode(),
            inside.encode()]


def test_deep_json_is_400_on_the_alexa_endpoint_before_authentication(verified):
    for body in deep_bodies():
        response = verified.post("/alexa", data=body, headers={
            "SignatureCertChainUrl": CERT_URL, "Signature-256": "c2lnbmF0dXJl"})
        assert response.status_code == 400
        assert "nested" in response.get_json()["error"]
    assert verified.fetched == []  # refused before any certificate was fetched


def test_deep_json_is_400_without_verification(local):
    for body in deep_bodies():
        response = local.post("/alexa", data=body, content_type="application/json")
        assert response.status_code == 400 and "nested" in response.get_json()["error"]


def test_deep_json_is_4xx_on_the_api(console_app, api_token):
    client = console_app.test_client()
    auth = {"Authorization": f"Bearer {api_token}"}
    nested = ('{"price": ' + "[" * DEEP + "]" * DEEP + "}").encode()
    for method, path in (("PATCH", "/api/v1/catalog/CF-PODS-24"), ("POST", "/api/v1/catalog"),
                         ("PATCH", "/api/v1/accounts/demo"), ("PUT", "/api/v1/accounts/demo/pin"),
                         ("POST", "/api/v1/orders/1/advance")):
        response = client.open(path, method=method, data=nested, headers=auth,
                               content_type="application/json")
        assert response.status_code == 400, (method, path)
        assert "nested" in response.get_json()["error"]
    response = client.post("/api/v1/catalog/import", data=b"[" * DEEP + b"]" * DEEP,
                           headers=auth, content_type="application/json")
    assert response.status_code == 422 and "nested" in response.get_json()["problems"][0][
        "problem"]


def test_moderate_nesting_is_still_fine(local):
    body = launch()
    body["session"]["attributes"] = {"x": json.loads("[" * 40 + "]" * 40)}
    assert local.post("/alexa", json=body).status_code == 200


# --- the request's locale is never a path --------------------------------------------------

def test_a_locale_that_is_a_path_loads_nothing_from_elsewhere(local, tmp_path):
    prompts = resources.files("skill").joinpath("prompts")
    strings = json.loads(prompts.joinpath("en.json").read_text("utf-8"))
    strings["launch"] = {**strings["launch"], "speech": "PWNED from elsewhere"}
    evil = tmp_path / "x" / "evil"
    evil.parent.mkdir()
    evil.with_suffix(".json").write_text(json.dumps(strings))
    relative = os.path.relpath(evil, str(prompts))
    for locale in (relative, relative + "-US", "../en", "en/../en-US", "\x00", "x" * 500):
        response = local.post("/alexa", json=launch(locale=locale))
        assert response.status_code == 200, locale
        speech = response.get_json()["response"]["outputSpeech"]["ssml"]
        assert "PWNED" not in speech and "Welcome" in speech, locale


def test_locales_without_prompts_fall_back_to_the_default(local):
    from skill.prompts import DEFAULT_LOCALE, Prompts

    for locale in ("de-DE", "fr-CA", "zz", "", "EN-us"):
        assert Prompts(locale).locale == DEFAULT_LOCALE
        response = local.post("/alexa", json=launch(locale=locale))
        assert "Welcome" in response.get_json()["response"]["outputSpeech"]["ssml"]
    assert Prompts("en-GB").locale == "en-GB" and Prompts("en-AU").locale == "en-AU"


# --- error bodies never echo the request ---------------------------------------------------

def test_error_answers_never_echo_the_request(local):
    turn = json.dumps(pin_turn("8642"))
    broken = pin_turn("8642")
    broken["request"]["timestamp"] = "8642 yesterday"
    del broken["context"]
    assert local.post("/alexa", data=b"\xef\xbb\xbf" + turn.encode(),
                      content_type="application/json").status_code == 400
    bodies = [b"\xef\xbb\xbf" + turn.encode(),  # a byte-order mark
              turn.replace('"ProvidePinIntent"', '{"8642": 1}').encode(),
              json.dumps(broken).encode(),
              turn.encode()[:-1]]
    for body in bodies:
        response = local.post("/alexa", data=body, content_type="application/json")
        assert response.status_code < 500, body[:40]
        assert b"8642" not in response.data
        if response.status_code >= 400:
            assert len(response.get_json()["error"]) <= 80


# --- SignatureCertChainUrl ---------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/",
    "https://s3.amazonaws.com/echo.api/%2E%2E/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api%2f..%2finvalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/.%2e/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?x=1",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem#x",
    "https://evil.example@s3.amazonaws.com/echo.api/echo-api-cert.pem",
])
def test_cert_urls_are_judged_normalized_and_refused_before_any_download(verified, signer, url):
    body = json.dumps(launch()).encode()
    response = verified.post("/alexa", data=body, headers={
        "SignatureCertChainUrl": url, "Signature-256": signer.sign(body)})
    assert response.status_code == 400
    assert "SignatureCertChainUrl" in response.get_json()["error"]
    assert verified.fetched == []


def test_the_certificate_is_fetched_and_cached_by_its_normalized_url(verified, signer):
    for url in (CERT_URL, "https://S3.AMAZONAWS.COM:443/echo.api/./echo-api-cert-test.pem",
                "https://s3.amazonaws.com/echo.api/%2e%2e/echo.api/echo-api-cert-test.pem"):
        body = json.dumps(launch()).encode()  # a new request each time (a copy is a replay)
        response = verified.post("/alexa", data=body, headers={
            "SignatureCertChainUrl": url, "Signature-256": signer.sign(body)})
        assert response.status_code == 200, response.get_json()
    assert verified.fetched == [CERT_URL]


def test_the_certificate_cache_is_bounded(signer):
    from skill import verification

    limit = getattr(verification, "MAX_CACHED_CHAINS", 8)
    verifier = verification.RequestVerifier(SKILL_ID, fetcher=lambda url: signer.chain_pem(),
                                            trust_store=signer.store())
    for number in range(limit * 5):
        body = json.dumps(launch()).encode()
        verifier.verify({"SignatureCertChainUrl": f"https://s3.amazonaws.com/echo.api/"
                                                  f"c{number}.pem",
                         "Signature-256": signer.sign(body)}, body, json.loads(body))
    assert len(verifier._cache) <= limit


# --- console and API query strings ---------------------------------------------------------

def test_an_unknown_order_status_is_a_clean_400_page(console):
    response = console.get("/admin/orders?status=bogus")
    assert response.status_code == 400
    assert "Unknown status" in response.text and "bogus" not in response.text
    assert console.get("/admin/orders?status=placed").status_code == 200


@pytest.mark.parametrize("target", [
    "/admin/catalog\r\nSet-Cookie: stolen=1",
    "/admin/orders\nX: y",
    "https://evil.example/admin",
    "//evil.example/admin",
    "/admin\\\\evil.example",
    "/\\evil.example/admin",
    "/admin/../../elsewhere",
])
def test_login_next_stays_in_the_console_and_has_no_line_breaks(console_app, target):
    from urllib.parse import quote

    response = sign_in(console_app.test_client(), next_url=quote(target, safe=""))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/admin/catalog" and "stolen" not in response.headers.get("Set-Cookie", "")


def test_login_next_to_a_console_page_still_works(console_app):
    response = sign_in(console_app.test_client(), next_url="/admin/orders%3Fstatus%3Dplaced")
    assert response.headers["Location"] == "/admin/orders?status=placed"


def test_the_audit_limit_is_refused_below_one_and_capped(console_app, api_token, runtime,
                                                         monkeypatch):
    import skill.web.api as api

    client = console_app.test_client()
    auth = {"Authorization": f"Bearer {api_token}"}
    with runtime.transaction() as s:
        for _ in range(3):
            record_attempt(s, user_id="demo", channel="alexa", items=[], total_minor=0,
                           currency="USD", outcome="declined", reason="test")
    for bad in ("-1", "0", "-99999999999999999999"):
        response = client.get(f"/api/v1/audit?limit={bad}", headers=auth)
        assert response.status_code == 400 and "limit" in response.get_json()["error"]
    assert len(client.get("/api/v1/audit?limit=2", headers=auth).get_json()["attempts"]) == 2
    seen = []
    real = api.list_attempts
    monkeypatch.setattr(api, "list_attempts", lambda s, **kw: seen.append(kw["limit"]) or
                        real(s, **kw))
    assert client.get("/api/v1/audit?limit=99999999999999999999", headers=auth
                      ).status_code == 200
    assert seen == [1000]


# --- Alexa's 24 KB response limit ----------------------------------------------------------

class _ChattySkill:
    """A skill whose answer is far over Alexa's limit."""

    serializer = PlannedSerializer()  # as every skill ``build_skill`` makes

    def invoke(self, envelope, context=None):
        speech = "<speak>" + "bla " * 10000 + "</speak>"
        return SdkResponse(output_speech=SsmlOutputSpeech(ssml=speech))


def test_a_response_over_24_kb_becomes_a_short_apology(caplog):
    app = Flask(__name__)
    app.register_blueprint(alexa_blueprint(_ChattySkill(), None, None))  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="skill.web.alexa"):
        response = app.test_client().post("/alexa", json=launch())
    assert response.status_code == 200
    assert len(response.data) <= MAX_RESPONSE_BYTES
    speech = response.get_json()["response"]["outputSpeech"]["ssml"]
    assert "Sorry" in speech and "bla" not in speech
    assert "nothing was ordered" not in speech  # the turn may well have placed an order
    assert any("24 KB" in record.getMessage() for record in caplog.records)
