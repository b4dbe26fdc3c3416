"""The skill's envelope serializer (``skill.alexa.serializer``) makes exactly what the SDK's
DefaultSerializer makes: equal request objects (same classes, same attributes, timestamps
with the same zone object in several local time zones), the same error where the SDK fails,
and the same JSON, key order included, for every response the skill gives."""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, ResponseEnvelope
from ask_sdk_model.interfaces.audioplayer import PlayBehavior
from ask_sdk_model.ui import LinkAccountCard, SimpleCard
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.alexa.serializer import PlannedSerializer
from skill.prompts import Ssml
from tests.alexa_requests import SKILL_ID, Dialog, envelope, slot
from tests.test_alexa_envelope_property import SETTINGS, envelopes

REFERENCE, PLANNED = DefaultSerializer(), PlannedSerializer()
SESSION = {"new": True, "sessionId": "amzn1.echo-api.session.1",
           "application": {"applicationId": SKILL_ID}, "user": {"userId": "u"},
           "attributes": {"question": {"kind": "purchase", "pending": {"lines": [
               {"sku": "CF-PODS-24", "quantity": 2}], "total": 3853}}, "misses": 1}}


def _intent(name: str, **slots: dict) -> dict:
    return {"type": "IntentRequest", "dialogState": "STARTED", "intent": {
        "name": name, "confirmationStatus": "NONE", "slots": slots}}


def _requests() -> list[dict]:
    """One of each kind of request the skill handles, in the shapes Alexa sends."""
    full = envelope(_intent("ReorderIntent", Item=slot("Item", "coffee pods", ["CF-PODS-24"])),
                    session=SESSION)
    system = full["context"]["System"]
    system["user"]["accessToken"] = "Atza|token"
    system["user"]["permissions"] = {"consentToken": "c"}
    system["person"] = {"personId": "amzn1.ask.person.P", "accessToken": "p"}
    system["apiAccessToken"] = "api"
    system["device"]["supportedInterfaces"] = {"AudioPlayer": {}, "Display": {
        "templateVersion": "1.0", "markupVersion": "1.0"}}
    full["context"]["Viewport"] = {"experiences": [{"canRotate": False, "canResize": False}],
                                   "shape": "RECTANGLE", "pixelWidth": 1024,
                                   "pixelHeight": 600, "dpi": 160, "currentPixelWidth": 1024,
                                   "currentPixelHeight": 600, "touch": ["SINGLE"]}
    full["context"]["AudioPlayer"] = {"playerActivity": "IDLE"}
    full["unknownTopLevel"] = {"kept": [1, 2]}
    return [
        full,
        envelope({"type": "LaunchRequest"}, session=SESSION),
        envelope({"type": "LaunchRequest", "timestamp": "2026-11-23T10:00:00.123Z"},
                 session=None),
        envelope(_intent("AMAZON.YesIntent"), session=SESSION),
        envelope(_intent("ProvidePinIntent", Pin=slot("Pin", "1234")), session=SESSION),
        envelope(_intent("AddToCartIntent", Item=slot("Item", "paper towels", []),
                         Quantity=slot("Quantity", "2"), Empty=slot("Empty", None)),
                 session=SESSION),
        envelope(_intent("AMAZON.FallbackIntent"), session=SESSION),
        envelope({"type": "SessionEndedRequest", "reason": "ERROR", "error": {
            "type": "INVALID_RESPONSE", "message": "bad"}}, session=SESSION),
        envelope({"type": "CanFulfillIntentRequest", "intent": {
            "name": "ReorderIntent", "slots": {"Item": {"name": "Item", "value": "tea"}}}},
            session=SESSION),
        envelope({"type": "System.ExceptionEncountered", "error": {
            "type": "INVALID_RESPONSE", "message": "m"}, "cause": {"requestId": "r"}},
            session=None),
        envelope({"type": "Connections.Response", "name": "Buy", "status": {
            "code": "200", "message": "OK"}, "payload": {"purchaseResult": "ACCEPTED"},
            "token": "t"}, session=SESSION),
        envelope({"type": "AlexaSkillEvent.ProactiveSubscriptionChanged", "body": {
            "subscriptions": [{"eventName": "AMAZON.OrderStatus.Updated"}]}}, session=None),
        envelope({"type": "AlexaSkillEvent.SkillEnabled", "eventCreationTime":
                  "2026-11-23T10:00:00Z", "eventPublishingTime": "2026-11-23T10:00:01Z"},
                 session=None),
        envelope({"type": "LaunchRequest", "timestamp": "2026-11-23T10:00:00+02:00"},
                 session=None),
        envelope({"type": "LaunchRequest", "timestamp": "2026-02-30T10:00:00Z"}, session=None),
        envelope({"type": "LaunchRequest", "timestamp": "2026-11-23T25:00:00Z"}, session=None),
        envelope({"type": "LaunchRequest", "timestamp": 5}, session=None),
        envelope({"type": "NoSuchRequest"}, session=None),
        {**envelope({"type": "LaunchRequest"}, session=None), "session": "a string"},
        {**envelope({"type": "LaunchRequest"}, session=None), "request": ["a", "list"]},
        {**envelope({"type": "LaunchRequest"}, session=SESSION), "context": {"System": 7}},
    ]


def _deserialized(serializer, body: str):
    try:
        return serializer.deserialize(body, RequestEnvelope)
    except Exception as exc:  # compared by kind: the SDK wraps what fails
        return type(exc)


def _same(body: str) -> None:
    reference, planned = _deserialized(REFERENCE, body), _deserialized(PLANNED, body)
    assert type(planned) is type(reference), (body[:300], reference, planned)
    assert planned == reference, body[:300]
    if isinstance(reference, RequestEnvelope):
        for name in ("timestamp", "event_creation_time"):
            stamp = getattr(reference.request, name, None)
            other = getattr(planned.request, name, None)
            assert repr(other) == repr(stamp)  # the same zone object, not only the instant
        assert json.dumps(PLANNED.serialize(planned)) == json.dumps(REFERENCE.serialize(reference))


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"])
def test_every_kind_of_request_comes_out_the_same_in_any_local_zone(zone, monkeypatch):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for request in _requests():
            _same(json.dumps(request))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_request_with_a_wrong_type_somewhere_fails_as_the_sdk_fails():
    bad = envelope(_intent("ReorderIntent", Item=slot("Item", "tea")), session=SESSION)
    bad["request"]["intent"]["slots"] = ["not", "a", "dict"]
    _same(json.dumps(bad))
    assert _deserialized(PLANNED, json.dumps(bad)) is SerializationException
    bad["request"] = {"noType": 1}
    assert _deserialized(PLANNED, json.dumps(bad)) is SerializationException
    assert _deserialized(PLANNED, "{not json") is SerializationException


@settings(SETTINGS, max_examples=200)
@given(body=envelopes())
def test_random_envelopes_come_out_the_same(body):
    _same(json.dumps(body, allow_nan=True))


@given(values=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                  max_size=3), max_leaves=8))
@settings(SETTINGS, max_examples=150)
def test_session_attributes_of_any_shape_are_written_the_same(values):
    response = ResponseEnvelope(version="1.0", session_attributes={"x": values})
    assert PLANNED.serialize(response) == REFERENCE.serialize(response)


def test_values_the_sdk_converts_are_converted_the_same():
    from datetime import date, datetime, timezone

    attributes = {"ssml": Ssml("<b>x</b>"), "tuple": (1, Decimal("2.5"), Decimal("3")),
                  "when": datetime(2026, 11, 23, tzinfo=timezone.utc), "day": date(2026, 1, 2),
                  "enum": PlayBehavior.ENQUEUE, "card": SimpleCard(title="t", content="c")}
    response = ResponseEnvelope(version="1.0", session_attributes=attributes)
    assert PLANNED.serialize(response) == REFERENCE.serialize(response)
    assert json.dumps(PLANNED.serialize(LinkAccountCard())) == json.dumps(
        REFERENCE.serialize(LinkAccountCard()))
    with pytest.raises(AttributeError):
        PLANNED.serialize(object())


def test_the_skill_answers_a_whole_dialog_the_same_through_either(skill):
    assert isinstance(skill.serializer, PlannedSerializer)  # what the endpoint uses

    def send(body: dict) -> dict:
        text = json.dumps(body)
        request = REFERENCE.deserialize(text, RequestEnvelope)
        assert PLANNED.deserialize(text, RequestEnvelope) == request
        response = skill.invoke(request, context={"channel": "alexa"})
        reference = REFERENCE.serialize(response)
        assert json.dumps(PLANNED.serialize(response)) == json.dumps(reference)
        return reference

    dialog = Dialog(send, user_id="demo")
    dialog.launch()
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    if "PIN" in dialog.speech:
        dialog.intent("ProvidePinIntent", Pin="1234")
    dialog.intent("AddToCartIntent", Item="paper towels", Quantity="2")
    dialog.intent("AMAZON.HelpIntent")
    dialog.intent("AMAZON.StopIntent")
    assert os.environ.get("TZ") != "Asia/Kolkata"  # the zone test put the zone back
