"""Kid-proofing through the skill: PIN, lockout, approvals, repeat orders, the cancel window."""

import logging
from datetime import timedelta

import pytest
from click.testing import CliRunner

from skill.accounts import get_or_create_account, restrict_category, set_limits, set_pin
from skill.audit import list_attempts
from skill.cli import cli
from skill.db import utcnow
from tests.alexa_requests import USER_ID
from tests.test_skill_dialogs import give_history, orders_of

pytestmark = pytest.mark.both_databases


@pytest.fixture
def with_pin(runtime):
    with runtime.transaction() as s:
        set_pin(s, USER_ID, "4321")
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)


def test_pin_item_asks_for_pin_after_confirmation(dialog, runtime, with_pin):
    dialog.intent("AddToCartIntent", Item="cookies")
    dialog.intent("CheckoutIntent")
    assert "Should I order" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "four digit voice PIN" in dialog.speech
    assert len(orders_of(runtime)) == 1
    dialog.intent("ProvidePinIntent", Pin="forty three twenty one")
    assert "is placed" in dialog.speech
    assert "4321" not in dialog.speech and "forty three" not in dialog.speech
    assert len(orders_of(runtime)) == 2


def test_three_wrong_pins_lock_voice_purchasing(dialog, runtime, with_pin, monkeypatch):
    with runtime.transaction() as s:
        set_limits(s, USER_ID, pin_required=True)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("ProvidePinIntent", Pin="1111")
    assert "isn't right" in dialog.speech and "2 more tries" in dialog.speech
    dialog.intent("ProvidePinIntent", Pin="2222")
    assert "1 more try" in dialog.speech
    dialog.intent("ProvidePinIntent", Pin="3333")
    assert "locked voice purchasing" in dialog.speech and "15 minutes" in dialog.speech
    assert "nothing was ordered" in dialog.speech
    # Even the right PIN does nothing now: the question is gone and the account is locked.
    dialog.intent("ProvidePinIntent", Pin="4321")
    assert "nothing that needs a PIN" in dialog.speech
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "locked" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "nothing waiting for a yes" in dialog.speech
    assert len(orders_of(runtime)) == 1
    with runtime.transaction() as s:
        outcomes = [a.outcome for a in list_attempts(s, user_id=USER_ID)]
    assert outcomes[:4] == ["refused", "locked", "pin_failed", "pin_failed"]
    # The owner resets the PIN: the lock is lifted.
    with runtime.transaction() as s:
        set_pin(s, USER_ID, "8642")
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in dialog.speech


def test_lockout_time_is_configurable(runtime, send, monkeypatch):
    from dataclasses import replace

    from tests.alexa_requests import Dialog

    runtime.store = replace(runtime.store, pin_lockout_minutes=120)
    with runtime.transaction() as s:
        set_pin(s, "kid", "4321")
        set_limits(s, "kid", pin_required=True)
    give_history(runtime, user_id="kid")
    dialog = Dialog(send, user_id="kid")
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    for guess in ("1111", "2222", "3333"):
        dialog.intent("ProvidePinIntent", Pin=guess)
    assert "2 hours" in dialog.speech
    with runtime.transaction() as s:
        locked = get_or_create_account(s, "kid").voice_locked_until
    assert timedelta(minutes=119) < locked - utcnow() <= timedelta(minutes=120)


def test_unclear_pin_is_asked_again_without_counting(dialog, runtime, with_pin):
    with runtime.transaction() as s:
        set_limits(s, USER_ID, pin_required=True)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("ProvidePinIntent", Pin="12")
    assert "exactly four digits" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "four digit" in dialog.speech
    with runtime.transaction() as s:
        assert get_or_create_account(s, USER_ID).pin_failures == 0
    dialog.intent("ProvidePinIntent", Pin="4321")
    assert "is placed" in dialog.speech


def test_pin_is_never_logged(dialog, runtime, with_pin, caplog):
    with runtime.transaction() as s:
        set_limits(s, USER_ID, pin_required=True)
    caplog.set_level(logging.DEBUG)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("ProvidePinIntent", Pin="9876")
    dialog.intent("ProvidePinIntent", Pin="4321")
    assert "9876" not in caplog.text and "4321" not in caplog.text
    assert "9876" not in str(dialog.attributes) and "4321" not in str(dialog.attributes)


def test_pin_item_without_a_pin_says_how_to_set_one(dialog, runtime):
    dialog.intent("AddToCartIntent", Item="cookies")
    dialog.intent("CheckoutIntent")
    assert "needs the account's voice PIN" in dialog.speech and "settings" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert orders_of(runtime) == []


def test_approval_item_is_sent_for_approval_not_bought(dialog, runtime):
    dialog.intent("AddToCartIntent", Item="dollhouse")
    dialog.intent("CheckoutIntent")
    assert "needs the account owner's approval" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "sent your request" in dialog.speech and "not bought yet" in dialog.speech
    assert "is placed" not in dialog.speech
    assert dialog.card["title"].startswith("Sent for approval")
    [order] = orders_of(runtime)
    assert order.status == "awaiting_approval"
    dialog.intent("OrderStatusIntent")
    assert "waiting for the account owner's approval" in dialog.speech

    runner = CliRunner()
    db = str(runtime.engine.url)
    listed = runner.invoke(cli, ["--db", db, "approvals", "list"])
    assert f"#{order.id}" in listed.output and "dollhouse" in listed.output
    approved = runner.invoke(cli, ["--db", db, "approvals", "approve", str(order.id)])
    assert approved.exit_code == 0, approved.output
    assert orders_of(runtime)[0].status == "placed"
    again = runner.invoke(cli, ["--db", db, "approvals", "reject", str(order.id)])
    assert again.exit_code == 1 and "not awaiting approval" in again.output
    with runtime.transaction() as s:
        assert list_attempts(s, user_id=USER_ID)[0].outcome == "approved"


def test_owner_rejects(dialog, runtime):
    with runtime.transaction() as s:
        set_limits(s, USER_ID, approval_required=True)
    dialog.intent("AddToCartIntent", Item="dish soap")
    dialog.intent("CheckoutIntent")
    dialog.intent("AMAZON.YesIntent")
    [order] = orders_of(runtime)
    result = CliRunner().invoke(cli, ["--db", str(runtime.engine.url), "approvals", "reject",
                                      str(order.id)])
    assert result.exit_code == 0
    dialog.intent("OrderStatusIntent")
    assert "was not approved" in dialog.speech


def test_over_limit_is_sent_for_approval_with_the_limit_said(dialog, runtime):
    with runtime.transaction() as s:
        set_limits(s, USER_ID, per_order_minor=20_00)
    dialog.intent("AddToCartIntent", Item="dog food")
    dialog.intent("CheckoutIntent")
    dialog.intent("AMAZON.YesIntent")
    assert "over this account's limit of 20 dollars" in dialog.speech
    assert orders_of(runtime)[0].status == "awaiting_approval"


def test_restricted_category(dialog, runtime, with_pin):
    with runtime.transaction() as s:
        restrict_category(s, USER_ID, "grocery", "pin")
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    assert "voice PIN" in dialog.speech


def test_second_order_of_same_item_needs_extra_confirmation(dialog, runtime):
    give_history(runtime, sku="CF-PODS-24", quantity=1, days_ago=1)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    assert "already ordered coffee pods yesterday" in dialog.speech
    assert "again?" in dialog.speech
    assert len(orders_of(runtime)) == 1
    dialog.intent("AMAZON.NoIntent")
    assert "didn't order anything" in dialog.speech
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    assert len(orders_of(runtime)) == 2


def test_changing_quantity_restarts_the_confirmation(dialog, runtime):
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("ReorderIntent", Item="coffee pods", Quantity="3")
    assert "three boxes of coffee pods" in dialog.speech and "Should I order" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert [ln.quantity for ln in orders_of(runtime)[0].lines] == [3]


def test_yes_in_a_new_session_buys_nothing(dialog, runtime):
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.new_session()
    dialog.intent("AMAZON.YesIntent")
    assert "nothing waiting for a yes" in dialog.speech
    assert len(orders_of(runtime)) == 1


def test_stale_question_answers_nothing(dialog, runtime, monkeypatch):
    import skill.alexa.interceptors as interceptors

    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    dialog.intent("ReorderIntent", Item="coffee pods")
    monkeypatch.setattr(interceptors, "utcnow", lambda: utcnow() + timedelta(minutes=6))
    dialog.intent("AMAZON.YesIntent")
    assert "nothing waiting for a yes" in dialog.speech
    assert len(orders_of(runtime)) == 1


def test_cancel_last_order_by_voice_after_placing(dialog, runtime):
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("CancelOrderIntent")
    assert "Do you want to cancel it?" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "cancelled your order of two boxes of coffee pods" in dialog.speech
    assert orders_of(runtime)[0].status == "cancelled"


def test_account_cli_shows_lock_and_rules(runtime, db_url):
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "account", "set-pin", "kid"],
                         input="4321\n").exit_code == 0
    result = runner.invoke(cli, ["--db", db_url, "account", "set-limits", "kid",
                                 "--pin-always"])
    assert "PIN on, every purchase" in result.output
    result = runner.invoke(cli, ["--db", db_url, "account", "restrict", "kid", "Toys",
                                 "approval"])
    assert "restricted categories toys approval" in result.output
    result = runner.invoke(cli, ["--db", db_url, "account", "set-limits", "nopin",
                                 "--pin-always"])
    assert result.exit_code == 1 and "set a voice PIN first" in result.output
