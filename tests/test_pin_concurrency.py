"""Wrong voice PINs said at the same moment are each counted, and the third locks: 20 wrong PINs
sent together to four gunicorn workers (SQLite and PostgreSQL) are 20 attempts in the audit log,
of which exactly three were compared with the PIN; the other 17 are refused as locked."""

import pytest

from skill.accounts import find_account, set_limits, set_pin
from skill.audit import list_attempts
from skill.policy import MAX_PIN_TRIES
from tests.alexa_requests import Dialog, envelope, slot
from tests.test_concurrency import http_send, server, together  # noqa: F401 (a fixture)
from tests.test_skill_dialogs import give_history, orders_of

pytestmark = pytest.mark.both_databases

USER = "amzn1.ask.account.PINRACE"
PIN = "4321"


def pin_request(shopper: Dialog, pin: str) -> dict:
    """A PIN answer in the shopper's session (each its own request id, as Alexa sends them)."""
    return envelope({"type": "IntentRequest", "intent": {
        "name": "ProvidePinIntent", "confirmationStatus": "NONE", "slots": {
            "Pin": slot("Pin", pin)}}}, session=shopper._session(), user_id=USER)


def test_twenty_wrong_pins_at_once_count_twenty_and_lock_after_the_third(server):  # noqa: F811
    base, runtime = server
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30, user_id=USER)
    with runtime.transaction() as s:
        set_pin(s, USER, PIN)
        set_limits(s, USER, pin_required=True)
    send = http_send(base)
    shopper = Dialog(send, user_id=USER)
    shopper.intent("ReorderIntent", Item="coffee pods")
    shopper.intent("AMAZON.YesIntent")
    assert "PIN" in shopper.speech
    guesses = [f"{n:04d}" for n in range(1000, 1020)]  # twenty wrong PINs
    answers = together(*[lambda g=g: send(pin_request(shopper, g)) for g in guesses])
    spoken = [a["response"]["outputSpeech"]["ssml"] for a in answers]
    wrong = [s for s in spoken if "isn't right. You have" in s]
    locked_now = [s for s in spoken if "I've locked voice purchasing" in s]
    refused = [s for s in spoken if "is locked on this account" in s]
    assert (len(wrong), len(locked_now), len(refused)) == (MAX_PIN_TRIES - 1, 1, 17), spoken
    assert sorted("1 more try" in s for s in wrong) == [False, True]  # 2 left, then 1 left
    with runtime.transaction() as s:
        attempts = list_attempts(s, user_id=USER)
        account = find_account(s, USER)
        assert account is not None and account.voice_locked_until is not None
    outcomes = sorted(a.outcome for a in attempts if a.outcome != "placed")
    assert outcomes == ["locked"] + ["pin_failed"] * 2 + ["refused"] * 17, outcomes
    assert all(PIN not in repr(a.items) + a.reason for a in attempts)
    # The right PIN during the lock buys nothing and tells nothing.
    right = send(pin_request(shopper, PIN))["response"]["outputSpeech"]["ssml"]
    assert right == refused[0]
    assert [o.status for o in orders_of(runtime, USER)] == ["delivered"]
