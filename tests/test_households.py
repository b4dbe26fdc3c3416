"""Households: owners' sign-in, password reset, recognized voices in the purchase policy,
e-mailed approval links, order updates (e-mail and Alexa proactive events against a local
stand-in for Login with Amazon and the Proactive Events API), the invocation name."""

import json
import re
import threading
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jsonschema
import pytest
from sqlalchemy import select

from skill.admins import LoginLocked
from skill.approval_links import ApprovalLink, decide_by_link
from skill.db import utcnow
from skill.errors import InvalidInput, NotAllowed
from skill.interaction_model import check_model, load_model, rebuild
from skill.notify import OutboxMessage
from skill.order_updates import (
    AlexaEvent,
    EventSettings,
    note_alexa_user,
    send_pending_events,
    set_subscription,
)
from skill.orders import OrderStatus, advance_order, get_order, list_orders
from skill.shoppers import (
    Household,
    authenticate,
    request_password_reset,
    reset_password,
    sign_up,
)
from skill.store import invocation_matches_seller, load_store_settings
from skill.voices import VoiceProfile, name_voice
from tests.household_helpers import PASSWORD, LinkedDialog, account_user_id, make_household

EMMA, SAM = "amzn1.ask.person.EMMA", "amzn1.ask.person.SAM"


def outbox(runtime, kind: str) -> list[OutboxMessage]:
    with runtime.transaction() as s:
        messages = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                  .order_by(OutboxMessage.id)))
        s.expunge_all()
        return messages


def test_sign_up_lockout_and_one_time_reset(runtime):
    with runtime.transaction() as s:
        with pytest.raises(InvalidInput):
            sign_up(s, "a@example.com", "short", "Sam")
        owner = sign_up(s, "A@Example.com", PASSWORD, "Sam")
        assert owner.household.account.email == "a@example.com"
        assert [(m.name, m.role) for m in owner.household.members] == [("Sam", "owner")]
    with runtime.transaction() as s, pytest.raises(InvalidInput):
        sign_up(s, "a@example.com", PASSWORD, "Again")
    for _ in range(5):
        with runtime.transaction() as s:
            assert authenticate(s, "a@example.com", "wrong password!") is None
    with runtime.transaction() as s, pytest.raises(LoginLocked):
        authenticate(s, "a@example.com", PASSWORD)
    with runtime.transaction() as s:
        assert request_password_reset(s, "a@example.com", "https://shop.example/account/reset/")
        assert not request_password_reset(s, "nobody@example.com", "https://x/")
    [mail] = outbox(runtime, "password_reset")
    token = re.search(r"/account/reset/(\S+)", mail.body).group(1)
    with runtime.transaction() as s:
        reset_password(s, token, "a new password 123")
    with runtime.transaction() as s:
        assert authenticate(s, "a@example.com", "a new password 123") is not None
    with runtime.transaction() as s, pytest.raises(InvalidInput):
        reset_password(s, token, "another password 1")  # once only


def speaker(send, runtime, household_id, person=None) -> LinkedDialog:
    """A request from the household's speaker (development: no linking), as ``person``."""
    return LinkedDialog(send, person=person, user_id=account_user_id(runtime, household_id))


def test_a_childs_voice_becomes_a_request_with_e_mailed_links(runtime, send, monkeypatch):
    monkeypatch.setenv("VOICECART_PUBLIC_URL", "https://shop.example")
    household_id = make_household(runtime)
    emma = speaker(send, runtime, household_id, EMMA)
    emma.launch()
    with runtime.transaction() as s:
        household = s.get(Household, household_id)
        [voice] = s.scalars(select(VoiceProfile)).all()
        assert voice.kind == "unknown"
        child = next(m for m in household.members if m.role == "child")
        assert name_voice(s, household, voice.id, child.id).kind == "child"
    emma.intent("BuyIntent", Item="paper towels")
    assert "approval" in emma.speech
    emma.intent("AMAZON.YesIntent")
    with runtime.transaction() as s:
        [order] = [o for o in list_orders(s) if o.account.user_id == emma.user_id]
        assert order.status == OrderStatus.AWAITING_APPROVAL.value
    [mail] = outbox(runtime, "approval_request")
    assert mail.to_address == "parent@example.com"
    links = dict(re.findall(r"(Approve|Reject): (https://shop\.example/account/decide/\S+)",
                            mail.body))
    approve = links["Approve"].rsplit("/", 1)[1]
    reject = links["Reject"].rsplit("/", 1)[1]
    with runtime.transaction() as s:
        household = s.get(Household, household_id)
        assert decide_by_link(s, runtime.store, approve, household).status == "placed"
    for token in (approve, reject):  # both spent
        with runtime.transaction() as s, pytest.raises(NotAllowed):
            decide_by_link(s, runtime.store, token, s.get(Household, household_id))
    assert [m.to_address for m in outbox(runtime, "order_placed")] == ["parent@example.com"]


def test_recognized_adult_voice_is_required_when_the_owner_says_so(runtime, send):
    household_id = make_household(runtime)
    with runtime.transaction() as s:
        s.get(Household, household_id).require_recognized_voice = True
    stranger = speaker(send, runtime, household_id, None)
    stranger.intent("BuyIntent", Item="paper towels")
    assert "approval" in stranger.speech
    sam = speaker(send, runtime, household_id, SAM)
    sam.launch()
    with runtime.transaction() as s:
        household = s.get(Household, household_id)
        voice = s.scalar(select(VoiceProfile).where(VoiceProfile.person_id == SAM))
        owner = next(m for m in household.members if m.role == "owner")
        name_voice(s, household, voice.id, owner.id)
    sam.intent("BuyIntent", Item="paper towels")
    assert "Order it?" in sam.speech and "to Main Street by" in sam.speech
    sam.intent("AMAZON.YesIntent")
    assert "placed" in sam.speech


def test_purchasing_off_refuses_by_voice(runtime, send):
    household_id = make_household(runtime)
    with runtime.transaction() as s:
        s.get(Household, household_id).purchasing_off = True
    dialog = speaker(send, runtime, household_id)
    dialog.intent("BuyIntent", Item="paper towels")
    assert "switched off" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    with runtime.transaction() as s:
        assert not [o for o in list_orders(s) if o.account.user_id == dialog.user_id]


def test_talk_person_simulates_a_recognized_voice(runtime):
    from voice_local.session import LocalConversation

    household_id = make_household(runtime)
    LocalConversation(runtime, account_user_id(runtime, household_id), person="emma").launch()
    with runtime.transaction() as s:
        assert [v.person_id for v in s.scalars(select(VoiceProfile))] == ["emma"]


def test_approval_links_expire_and_belong_to_one_household(runtime, send):
    household_id = make_household(runtime)
    other_id = make_household(runtime, "other@example.com", child=None)
    with runtime.transaction() as s:
        s.get(Household, household_id).account.approval_required = True
    dialog = speaker(send, runtime, household_id)
    dialog.intent("BuyIntent", Item="paper towels")
    dialog.intent("AMAZON.YesIntent")
    [mail] = outbox(runtime, "approval_request")
    token = re.search(r"Approve: \S+/decide/(\S+)", mail.body).group(1)
    with runtime.transaction() as s, pytest.raises(NotAllowed) as refused:
        decide_by_link(s, runtime.store, token, s.get(Household, other_id))
    assert refused.value.code == "bad_link"
    with runtime.transaction() as s:
        for link in s.scalars(select(ApprovalLink)):
            link.expires_at = utcnow() - timedelta(seconds=1)
    with runtime.transaction() as s, pytest.raises(NotAllowed) as refused:
        decide_by_link(s, runtime.store, token, s.get(Household, household_id))
    assert refused.value.code == "used_link"
    with runtime.transaction() as s:
        assert {o.status for o in list_orders(s) if o.account.user_id == dialog.user_id} == {
            "awaiting_approval"}


ORDER_STATUS_EVENT = {  # AMAZON.OrderStatus.Updated as the Proactive Events API takes it
    "type": "object",
    "required": ["timestamp", "referenceId", "expiryTime", "event", "localizedAttributes",
                 "relevantAudience"],
    "properties": {
        "timestamp": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"},
        "expiryTime": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"},
        "referenceId": {"type": "string", "minLength": 1, "maxLength": 100},
        "event": {"type": "object", "required": ["name", "payload"], "properties": {
            "name": {"const": "AMAZON.OrderStatus.Updated"},
            "payload": {"type": "object", "required": ["state", "order"], "properties": {
                "state": {"type": "object", "required": ["status"], "properties": {
                    "status": {"enum": ["PREORDER_RECEIVED", "ORDER_RECEIVED",
                                        "ORDER_PREPARING", "ORDER_SHIPPED",
                                        "ORDER_OUT_FOR_DELIVERY", "ORDER_OUT_OF_STOCK",
                                        "ORDER_DELIVERED"]},
                    "deliveryDetails": {"type": "object", "required": ["expectedArrival"]}}},
                "order": {"type": "object", "required": ["seller"], "properties": {
                    "seller": {"type": "object", "required": ["name"], "properties": {
                        "name": {"const": "localizedattribute:sellerName"}}}}}}}}},
        "localizedAttributes": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["locale", "sellerName"]}},
        "relevantAudience": {"type": "object", "required": ["type", "payload"], "properties": {
            "type": {"const": "Unicast"},
            "payload": {"type": "object", "required": ["user"]}}},
    },
}


@pytest.fixture
def alexa_api():
    """A stand-in for Login with Amazon's token URL and the Proactive Events API."""
    seen: list[tuple[str, dict, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/auth/o2/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                seen.append(("token", dict(self.headers), form))
                good = form == {"grant_type": "client_credentials", "client_id": "skill-id",
                                "client_secret": "skill-secret",
                                "scope": "alexa::proactive_events"}
                answer = ({"access_token": "Atc|lwa", "expires_in": 3600,
                           "token_type": "bearer"} if good else {"error": "invalid_client"})
                self.send_response(200 if good else 401)
            else:
                event = json.loads(body)
                seen.append((self.path, dict(self.headers), event))
                authorized = self.headers.get("Authorization") == "Bearer Atc|lwa"
                try:
                    jsonschema.validate(event, ORDER_STATUS_EVENT)
                    valid = True
                except jsonschema.ValidationError:
                    valid = False
                answer = {}
                self.send_response(202 if authorized and valid else 400)
            data = json.dumps(answer).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    yield base, seen
    server.shutdown()


def test_order_updates_by_e_mail_and_proactive_events(runtime, send, alexa_api):
    base, seen = alexa_api
    household_id = make_household(runtime)
    dialog = speaker(send, runtime, household_id)
    dialog.intent("BuyIntent", Item="paper towels")
    dialog.intent("AMAZON.YesIntent")
    with runtime.transaction() as s:
        household = s.get(Household, household_id)
        note_alexa_user(s, household, "amzn1.ask.account.US", "en-US")
        note_alexa_user(s, household, "amzn1.ask.account.GB", "en-GB", subscribed=True)
        note_alexa_user(s, household, "amzn1.ask.account.NOPERM", "en-US")
        assert set_subscription(s, "amzn1.ask.account.US", ["AMAZON.OrderStatus.Updated"])
        [order] = [o for o in list_orders(s) if o.account_id == household.account_id]
        order_id = order.id
    for status in (OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED):
        with runtime.transaction() as s:
            advance_order(s, order_id, status)
    subjects = [m.subject for m in outbox(runtime, "order_status")]
    assert len(subjects) == 3 and subjects[0].endswith("has shipped")
    assert subjects[2].endswith("has been delivered")
    settings = EventSettings("skill-id", "skill-secret", f"{base}/auth/o2/token",
                             f"{base}/v1/proactiveEvents/stages/development")
    assert send_pending_events(runtime.sessions, settings) == (3, 0)  # the US user only
    token_calls = [form for kind, _, form in seen if kind == "token"]
    assert len(token_calls) == 1
    events = [event for kind, _, event in seen if kind != "token"]
    assert [e["event"]["payload"]["state"]["status"] for e in events] == [
        "ORDER_SHIPPED", "ORDER_OUT_FOR_DELIVERY", "ORDER_DELIVERED"]
    assert {e["relevantAudience"]["payload"]["user"] for e in events} == {
        "amzn1.ask.account.US"}
    assert events[0]["localizedAttributes"] == [{"locale": "en-US",
                                                 "sellerName": runtime.store.seller}]
    assert send_pending_events(runtime.sessions, settings) == (0, 0)  # nothing twice
    with runtime.transaction() as s:
        assert get_order(s, order_id).status == "delivered"


def test_wrong_skill_credentials_leave_events_queued(runtime, alexa_api):
    base, seen = alexa_api
    with runtime.transaction() as s:
        s.add(AlexaEvent(order_id=None, body={"event": {}}))
    settings = EventSettings("skill-id", "wrong", f"{base}/auth/o2/token", f"{base}/events")
    assert send_pending_events(runtime.sessions, settings) == (0, 1)
    with runtime.transaction() as s:
        event = s.scalars(select(AlexaEvent)).one()
        assert event.sent_at is None and "refused" in event.last_error


def test_invocation_name_comes_from_the_store_and_matches_the_seller(runtime):
    store = load_store_settings()
    assert store.invocation == "voice cart"
    assert invocation_matches_seller("voice cart", "VoiceCart Demo Store")
    assert not invocation_matches_seller("super shop", "VoiceCart Demo Store")
    assert check_model(load_model(), store) == []
    renamed = replace(store, seller="Corner Grocer", invocation_name="corner grocer")
    problems = " | ".join(check_model(load_model(), renamed))
    assert "is not the store's 'corner grocer'" in problems
    with runtime.transaction() as s:
        built = rebuild(load_model(), s, store=renamed)
    assert built["interactionModel"]["languageModel"]["invocationName"] == "corner grocer"
    assert check_model(built, renamed) == []
    mismatched = replace(store, invocation_name="super shop")
    assert "does not match its seller" in " | ".join(check_model(built, mismatched))


def test_alexa_says_the_user_allowed_order_notifications(runtime, send):
    """The AlexaSkillEvent.ProactiveSubscriptionChanged request records the permission."""
    from skill.order_updates import AlexaUser
    from tests.alexa_requests import envelope

    household_id = make_household(runtime)
    with runtime.transaction() as s:
        note_alexa_user(s, s.get(Household, household_id), "amzn1.ask.account.NOTIFY", "en-US")

    def subscription(events: list[str]) -> dict:
        return send(envelope({"type": "AlexaSkillEvent.ProactiveSubscriptionChanged",
                              "body": {"subscriptions": [{"eventName": e} for e in events]}},
                             session=None, user_id="amzn1.ask.account.NOTIFY"))

    def subscribed() -> bool:
        with runtime.transaction() as s:
            return s.scalar(select(AlexaUser.subscribed).where(
                AlexaUser.alexa_user_id == "amzn1.ask.account.NOTIFY"))

    subscription(["AMAZON.OrderStatus.Updated"])
    assert subscribed()
    subscription([])
    assert not subscribed()
