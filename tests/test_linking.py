"""Alexa account linking over real HTTP against the served app: the owner signs up and
consents at the authorization endpoint, Alexa trades the code for tokens (HTTP Basic), a
request with the access token buys for that household, the token is refreshed (rotation), and
after the owner revokes the link the next request gets a LinkAccount card and buys nothing."""

from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from skill.db import utcnow
from skill.linking import OAuthToken, create_client
from skill.notify import OutboxMessage
from skill.orders import list_orders
from skill.shoppers import Shopper, add_address, token_hash
from tests.household_helpers import (
    PASSWORD,
    REDIRECT_URI,
    LinkedDialog,
    csrf_of,
    make_household,
    served,
)


@pytest.fixture
def site(runtime):
    with served(runtime, linking_required=True) as url:
        yield url


@pytest.fixture
def client(runtime):
    with runtime.transaction() as s:
        return create_client(s, "Alexa skill", [REDIRECT_URI])


def alexa(site: str, token: str | None) -> LinkedDialog:
    """Alexa calling the served endpoint over HTTP with ``token``."""
    def send(body: dict) -> dict:
        response = requests.post(f"{site}/alexa", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()
    return LinkedDialog(send, access_token=token)


def link(site: str, client, browser: requests.Session, state: str = "st4te") -> str:
    """Sign up through the authorization endpoint, consent, and return the code."""
    query = {"client_id": client.client_id, "response_type": "code", "state": state,
             "redirect_uri": REDIRECT_URI}
    first = browser.get(f"{site}/oauth/authorize", params=query, allow_redirects=False)
    assert first.status_code == 302 and "/account/login" in first.headers["Location"]
    login_page = browser.get(urljoin(site, first.headers["Location"]))
    signup_url = f"{site}/account/signup?" + urlsplit(first.headers["Location"]).query
    page = browser.get(signup_url)
    assert "Sign in" in login_page.text
    consent = browser.post(signup_url, data={
        "csrf_token": csrf_of(page.text), "name": "Sam", "email": "sam@example.com",
        "password": PASSWORD, "password_again": PASSWORD})
    assert consent.status_code == 200 and "Link Alexa skill to your household?" in consent.text
    answer = browser.post(consent.url, data={"csrf_token": csrf_of(consent.text),
                                             "decision": "allow"}, allow_redirects=False)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"https://{target.netloc}{target.path}" == REDIRECT_URI
    params = parse_qs(target.query)
    assert params["state"] == [state]
    return params["code"][0]


def token_request(site: str, client, secret: str | None = None, **form) -> requests.Response:
    return requests.post(f"{site}/oauth/token", data=form, timeout=10,
                         auth=(client.client_id, secret or client.client_secret))


@pytest.mark.both_databases
def test_the_whole_linking_dance(runtime, site, client):
    browser = requests.Session()
    code = link(site, client, browser)
    with runtime.transaction() as s:
        household = s.scalar(select(Shopper).where(Shopper.email == "sam@example.com")).household
        add_address(s, household, "12 Main Street", "Springfield", "12345")
        account_id = household.account_id

    wrong = token_request(site, client, "not-the-secret", grant_type="authorization_code",
                          code=code, redirect_uri=REDIRECT_URI)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    tokens = token_request(site, client, grant_type="authorization_code", code=code,
                           redirect_uri=REDIRECT_URI)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"].lower() == "bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] and body["access_token"]
    again = token_request(site, client, grant_type="authorization_code", code=code,
                          redirect_uri=REDIRECT_URI)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    with runtime.transaction() as s:  # stored hashed only
        stored = s.scalars(select(OAuthToken)).all()
        assert body["access_token"] not in {t.access_hash for t in stored}

    speaker = alexa(site, body["access_token"])
    speaker.intent("BuyIntent", Item="paper towels")
    assert "to Main Street by" in speaker.speech
    speaker.intent("AMAZON.YesIntent")
    assert "placed" in speaker.speech
    with runtime.transaction() as s:
        orders = [o for o in list_orders(s) if o.account_id == account_id]
        assert len(orders) == 1 and orders[0].status == "placed"
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "order_placed"))
        assert [m.to_address for m in mails] == ["sam@example.com"]

    refreshed = token_request(site, client, grant_type="refresh_token",
                              refresh_token=body["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != body["refresh_token"]  # rotation
    assert alexa(site, new["access_token"]).launch()["response"].get("card") is None

    page = browser.get(f"{site}/account/")
    assert "Unlink Alexa skill" in page.text
    browser.post(f"{site}/account/links/{client.client_id}/revoke",
                 data={"csrf_token": csrf_of(page.text)})
    revoked = alexa(site, new["access_token"])
    revoked.intent("BuyIntent", Item="paper towels")
    assert revoked.card == {"type": "LinkAccount"}
    assert "link your store account" in revoked.speech
    revoked.intent("AMAZON.YesIntent")
    assert revoked.card == {"type": "LinkAccount"}
    after = token_request(site, client, grant_type="refresh_token",
                          refresh_token=new["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
    with runtime.transaction() as s:
        assert len([o for o in list_orders(s) if o.account_id == account_id]) == 1


def test_unlinked_expired_and_made_up_tokens_get_the_link_card(runtime, site, client):
    household_id = make_household(runtime)
    with runtime.transaction() as s:
        before = len(list_orders(s))
    with runtime.transaction() as s:
        s.add(OAuthToken(client_id=client.client_id, household_id=household_id,
                         access_hash=token_hash("old"),
                         expires_at=utcnow() - timedelta(seconds=1), refresh_used=False,
                         revoked=False, scope=""))
    for token in (None, "old", "made-up"):
        speaker = alexa(site, token)
        speaker.intent("BuyIntent", Item="paper towels")
        assert speaker.card == {"type": "LinkAccount"} and speaker.ended
        speaker.intent("AMAZON.YesIntent")
        assert speaker.card == {"type": "LinkAccount"}
    with runtime.transaction() as s:
        assert len(list_orders(s)) == before


def test_authorize_errors_are_not_redirected(site, client):
    bad_uri = requests.get(f"{site}/oauth/authorize", timeout=10, allow_redirects=False, params={
        "client_id": client.client_id, "response_type": "code", "state": "s",
        "redirect_uri": "https://evil.example/steal"})
    assert bad_uri.status_code == 400 and "evil" not in bad_uri.headers.get("Location", "")
    unknown = requests.get(f"{site}/oauth/authorize", timeout=10, allow_redirects=False,
                           params={"client_id": "nobody", "response_type": "code"})
    assert unknown.status_code == 400
    grant = token_request(site, client, grant_type="password", username="x", password="y")
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_denied_consent_and_replayed_refresh_token(runtime, site, client):
    browser = requests.Session()
    code = link(site, client, browser)
    tokens = token_request(site, client, grant_type="authorization_code", code=code,
                           redirect_uri=REDIRECT_URI).json()
    first = token_request(site, client, grant_type="refresh_token",
                          refresh_token=tokens["refresh_token"]).json()
    # The old refresh token again (a stolen copy): refused, and the whole link is revoked.
    replay = token_request(site, client, grant_type="refresh_token",
                           refresh_token=tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert alexa(site, first["access_token"]).launch()["response"]["card"] == {
        "type": "LinkAccount"}
    # Deny: Alexa gets access_denied, no code.
    query = {"client_id": client.client_id, "response_type": "code", "state": "s2",
             "redirect_uri": REDIRECT_URI}
    consent = browser.get(f"{site}/oauth/authorize", params=query)
    answer = browser.post(consent.url, data={"csrf_token": csrf_of(consent.text),
                                             "decision": "deny"}, allow_redirects=False)
    params = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and "code" not in params


def test_linking_client_create_prints_what_the_alexa_console_asks_for(db_url, runtime,
                                                                      monkeypatch):
    import json

    from click.testing import CliRunner

    from skill.cli import cli
    from skill.linking import OAuthClient

    monkeypatch.setenv("VOICECART_PUBLIC_URL", "https://shop.example.com/")
    result = CliRunner().invoke(cli, ["--db", db_url, "linking", "client", "create",
                                      "Alexa skill", "--vendor-id", "M2ABC", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["authorization_url"] == "https://shop.example.com/oauth/authorize"
    assert printed["token_url"] == "https://shop.example.com/oauth/token"
    assert printed["redirect_uris"] == [
        "https://pitangui.amazon.com/api/skill/link/M2ABC",
        "https://layla.amazon.com/api/skill/link/M2ABC",
        "https://alexa.amazon.co.jp/api/skill/link/M2ABC"]
    with runtime.transaction() as s:
        stored = s.scalars(select(OAuthClient)).one()
        assert stored.client_id == printed["client_id"]
        assert stored.check_client_secret(printed["client_secret"])
        assert printed["client_secret"] not in stored.secret_hash
    again = CliRunner().invoke(cli, ["--db", db_url, "linking", "client", "create", "x",
                                     "--redirect-uri", "http://insecure.example/cb"])
    assert again.exit_code == 1 and "https://" in again.output


@pytest.mark.both_databases
def test_ids_alexa_would_never_send_are_not_stored(runtime, site, client):
    from skill.order_updates import AlexaUser
    from skill.voices import VoiceProfile
    from tests.household_helpers import account_user_id

    household_id = make_household(runtime)
    with runtime.transaction() as s:
        s.add(OAuthToken(client_id=client.client_id, household_id=household_id,
                         access_hash=token_hash("good"), expires_at=utcnow() + timedelta(hours=1),
                         refresh_used=False, revoked=False, scope=""))
    speaker = alexa(site, "good")
    speaker.person = "p" * 600
    speaker.locale = "x" * 40
    speaker.user_id = "u" * 600
    assert speaker.launch()["response"]["outputSpeech"]
    with runtime.transaction() as s:
        assert s.scalars(select(VoiceProfile)).all() == []
        assert s.scalars(select(AlexaUser)).all() == []
    assert account_user_id(runtime, household_id).startswith("household:")
