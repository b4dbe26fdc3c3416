"""POST /alexa over HTTP (Flask's test client), with real signature verification."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes

from skill.web import AppConfig, create_app
from tests.alexa_certs import CERT_URL, SigningCA
from tests.alexa_requests import SKILL_ID, Dialog, envelope


@pytest.fixture(scope="module")
def ca():
    return SigningCA.create()


@pytest.fixture
def fetched():
    return []


@pytest.fixture
def client(runtime, ca, fetched):
    def fetcher(url):
        fetched.append(url)
        return ca.chain_pem()

    app = create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=True, linking_required=False,
                                        cert_fetcher=fetcher,
                                        trust_store=ca.store()))
    return app.test_client()


def post(client, body: bytes, headers: dict):
    return client.post("/alexa", data=body, headers=headers)


def signed(ca, request: dict, **header_overrides):
    body = json.dumps(request).encode()
    headers = ca.headers(body)
    headers.update(header_overrides)
    return body, headers


def launch(**kwargs):
    return envelope({"type": "LaunchRequest", **kwargs},
                    session={"new": True, "sessionId": "s1", "attributes": {},
                             "application": {"applicationId": SKILL_ID},
                             "user": {"userId": "amzn1.ask.account.HTTP"}})


def test_valid_signed_request_is_answered(client, ca, fetched):
    response = post(client, *signed(ca, launch()))
    assert response.status_code == 200
    assert "Welcome" in response.get_json()["response"]["outputSpeech"]["ssml"]
    post(client, *signed(ca, launch()))
    assert fetched == [CERT_URL]  # the certificate is cached by URL


def test_full_dialog_over_http(client, ca, runtime):
    def send(body_dict):
        response = post(client, *signed(ca, body_dict))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    dialog = Dialog(send, user_id="demo")  # the demo account has coffee pods in its history
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech and dialog.card


def test_legacy_sha1_signature_is_accepted_when_no_sha256(client, ca):
    body = json.dumps(launch()).encode()
    headers = {"SignatureCertChainUrl": CERT_URL,
               "Signature": ca.sign(body, algorithm=hashes.SHA1())}
    assert post(client, body, headers).status_code == 200


def test_tampered_body_is_rejected(client, ca):
    body, headers = signed(ca, launch())
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    response = post(client, tampered, headers)
    assert response.status_code == 400
    assert "signature" in response.get_json()["error"]


def test_signature_from_another_key_is_rejected(client, ca):
    other = SigningCA.create()
    body = json.dumps(launch()).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": other.sign(body)}
    assert post(client, body, headers).status_code == 400


@pytest.mark.parametrize("url", [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
    "",
])
def test_bad_cert_urls_are_rejected(client, ca, url):
    body, headers = signed(ca, launch(), SignatureCertChainUrl=url)
    response = post(client, body, headers)
    assert response.status_code == 400
    assert "SignatureCertChainUrl" in response.get_json()["error"]


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
])
def test_good_cert_url_forms_pass(url):
    from skill.verification import check_cert_url

    check_cert_url(url)


def _client_with_leaf(runtime, ca, leaf):
    app = create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=True, linking_required=False,
                                        cert_fetcher=lambda url: ca.chain_pem(leaf),
                                        trust_store=ca.store()))
    return app.test_client()


def test_expired_certificate_is_rejected(runtime, ca):
    now = datetime.now(timezone.utc)
    expired = SigningCA.make_leaf(ca.intermediate, ca.intermediate_key, ca.leaf_key,
                               san=["echo-api.amazon.com"], start=now - timedelta(days=30),
                               end=now - timedelta(days=1))
    response = post(_client_with_leaf(runtime, ca, expired), *signed(ca, launch()))
    assert response.status_code == 400
    assert "certificate" in response.get_json()["error"]


def test_certificate_without_the_alexa_san_is_rejected(runtime, ca):
    for san in (None, ["example.com"]):
        leaf = SigningCA.make_leaf(ca.intermediate, ca.intermediate_key, ca.leaf_key, san=san)
        response = post(_client_with_leaf(runtime, ca, leaf), *signed(ca, launch()))
        assert response.status_code == 400
        assert "certificate" in response.get_json()["error"]


def test_untrusted_chain_is_rejected(runtime, ca):
    stranger = SigningCA.create()
    app = create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=True, linking_required=False,
                                        cert_fetcher=lambda url: stranger.chain_pem(),
                                        trust_store=ca.store()))
    body = json.dumps(launch()).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": stranger.sign(body)}
    assert post(app.test_client(), body, headers).status_code == 400


def test_unreachable_certificate_url_is_rejected(runtime, ca):
    def fail(url):
        raise OSError("connection refused")

    app = create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=True, linking_required=False,
                                        cert_fetcher=fail,
                                        trust_store=ca.store()))
    response = post(app.test_client(), *signed(ca, launch()))
    assert response.status_code == 400 and "certificate" in response.get_json()["error"]


@pytest.mark.parametrize("offset", [-151, 151, -3600])
def test_stale_or_future_timestamp_is_rejected(client, ca, offset):
    stamp = (datetime.now(timezone.utc) + timedelta(seconds=offset)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    response = post(client, *signed(ca, launch(timestamp=stamp)))
    assert response.status_code == 400
    assert "timestamp" in response.get_json()["error"]


def test_wrong_skill_id_is_rejected(client, ca):
    request = envelope({"type": "LaunchRequest"}, session=None,
                       skill_id="amzn1.ask.skill.someone-else")
    response = post(client, *signed(ca, request))
    assert response.status_code == 400
    assert "another skill" in response.get_json()["error"]


def test_missing_signature_headers(client, ca):
    body = json.dumps(launch()).encode()
    assert post(client, body, {"SignatureCertChainUrl": CERT_URL}).status_code == 400
    assert post(client, body, {"Signature-256": ca.sign(body)}).status_code == 400
    assert post(client, body, {"SignatureCertChainUrl": CERT_URL,
                               "Signature-256": "not base64!!"}).status_code == 400


@pytest.mark.parametrize("body,reason", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "no request.type"),
    (b'{"version": "1.0"}', "no request.type"),
    (b'{"request": {"type": 5}}', "no request.type"),
])
def test_malformed_requests_get_400_with_reason(client, body, reason):
    response = post(client, body, {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert reason in response.get_json()["error"]


def test_oversized_request_is_413(client):
    response = post(client, b"{" + b" " * (300 * 1024) + b"}", {})
    assert response.status_code == 413


def test_wrong_method_and_health(client):
    assert client.get("/alexa").status_code == 405
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["database"] == "ok"


def test_unverified_local_mode_still_checks_skill_id(runtime):
    app = create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=False))
    client = app.test_client()
    ok = client.post("/alexa", json=launch())
    assert ok.status_code == 200
    other = envelope({"type": "LaunchRequest"}, session=None, skill_id="amzn1.ask.skill.x")
    assert client.post("/alexa", json=other).status_code == 400


def test_unverified_mode_without_skill_id_accepts_any(runtime, caplog):
    app = create_app(runtime, AppConfig(skill_id=None, verify=False))
    assert "verification is OFF" in caplog.text
    assert app.test_client().post("/alexa", json=launch()).status_code == 200


def test_verification_requires_a_skill_id(runtime):
    with pytest.raises(ValueError, match="VOICECART_SKILL_ID"):
        create_app(runtime, AppConfig(skill_id=None, verify=True))


def test_structurally_broken_envelope_is_400_not_500(runtime):
    app = create_app(runtime, AppConfig(skill_id=None, verify=False))
    broken = {"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r",
                                            "timestamp": "yesterday", "locale": "en-US"}}
    response = app.test_client().post("/alexa", json=broken)
    assert response.status_code == 400
