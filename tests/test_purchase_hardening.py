"""Regressions from the outside review: a retried yes tells the truth about the order, a locked
account compares no PIN, and a PIN said in the wrong place is never said back."""

import copy

import pytest

from skill.accounts import get_or_create_account, set_limits, set_pin
from skill.orders import list_orders
from tests.alexa_requests import USER_ID, Dialog
from tests.test_skill_dialogs import give_history

pytestmark = pytest.mark.both_databases


def orders_of(runtime):
    with runtime.transaction() as s:
        return list_orders(s, account=get_or_create_account(s, USER_ID))


def test_a_retried_yes_after_the_order_was_cancelled_says_so(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    placed_by = copy.deepcopy(dialog.last_request)
    dialog.intent("CancelOrderIntent")
    dialog.intent("AMAZON.YesIntent")
    assert "cancelled your order" in dialog.speech
    dialog.replay(placed_by)  # Alexa retries the original yes
    assert "is placed" not in dialog.speech and "cancelled" in dialog.speech
    assert [o.status for o in orders_of(runtime)].count("placed") == 0


def test_one_restatement_places_one_order_however_often_its_question_comes_back(dialog,
                                                                              runtime):
    """The signed purchase question sent back in a new request of the same session (a
    tampered client; Alexa's own retries keep the request id) buys nothing more."""
    give_history(runtime)
    before = len(orders_of(runtime))
    dialog.intent("ReorderIntent", Item="coffee pods")
    asked = copy.deepcopy(dialog.attributes)
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    for _ in range(2):
        dialog.session_id = dialog.last_request["session"]["sessionId"]
        dialog.attributes = copy.deepcopy(asked)
        dialog.intent("AMAZON.YesIntent")  # a new request id, the same restatement
        assert "is placed" in dialog.speech  # the truth about the one order
    assert len(orders_of(runtime)) == before + 1


def test_a_locked_account_compares_no_pin(send, runtime):
    give_history(runtime)
    with runtime.transaction() as s:
        set_pin(s, USER_ID, "4321")
        set_limits(s, USER_ID, pin_required=True)
    first, second, third = Dialog(send), Dialog(send), Dialog(send)
    for dialog in (first, second, third):  # three sessions, all at the PIN question
        dialog.intent("ReorderIntent", Item="coffee pods")
        dialog.intent("AMAZON.YesIntent")
        assert "PIN" in dialog.speech
    for guess in ("0000", "1111", "2222"):
        first.intent("ProvidePinIntent", Pin=guess)
    assert "locked" in first.speech
    second.intent("ProvidePinIntent", Pin="4321")  # the right PIN, during the lock
    third.intent("ProvidePinIntent", Pin="9999")  # a wrong one
    right, wrong = second.speech, third.speech
    assert "locked" in right and right == wrong  # a lock tells a guesser nothing
    assert "placed" not in right
    assert len(orders_of(runtime)) == 1  # the history only


@pytest.mark.parametrize("heard", ["my pin is 4 3 2 1", "four three two one", "1234"])
def test_a_pin_in_the_item_slot_is_never_said_back(dialog, heard):
    dialog.intent("ReorderIntent", Item=heard)
    spoken = dialog.speech.lower()
    for secret in ("4 3 2 1", "4321", "four three two one", "1234"):
        assert secret not in spoken, spoken


def forged(change):
    """Edit the pending purchase the last response left in the session attributes."""
    def apply(dialog):
        question = copy.deepcopy(dialog.attributes["question"])
        change(question)
        dialog.attributes["question"] = question
    return apply


@pytest.mark.parametrize("forge", [
    forged(lambda q: q["pending"].update(lines=[["DH-WOOD", 1]])),  # another item
    forged(lambda q: q["pending"].update(total_minor=1)),  # another total
    forged(lambda q: q["pending"].update(lines=[["CF-PODS-24", 6]] * 3)),  # 18 of max 6
    forged(lambda q: q.pop("sig")),  # made up, unsigned
    forged(lambda q: q.update(at="2099-01-01T00:00:00+00:00")),  # kept alive
], ids=["item", "total", "duplicate-lines", "unsigned", "timestamp"])
def test_a_forged_purchase_question_buys_nothing(dialog, runtime, forge):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in dialog.speech
    forge(dialog)
    dialog.intent("AMAZON.YesIntent")
    assert "nothing waiting for a yes" in dialog.speech
    assert len(orders_of(runtime)) == 1  # the history only


def test_a_question_asked_of_one_account_answers_nothing_for_another(send, runtime):
    give_history(runtime)
    give_history(runtime, user_id="amzn1.ask.account.OTHER")
    asked = Dialog(send)
    asked.intent("ReorderIntent", Item="coffee pods")
    other = Dialog(send, user_id="amzn1.ask.account.OTHER")
    other.session_id, other.new = asked.session_id, False
    other.attributes = copy.deepcopy(asked.attributes)
    other.intent("AMAZON.YesIntent")
    assert "nothing waiting for a yes" in other.speech
    with runtime.transaction() as s:
        account = get_or_create_account(s, "amzn1.ask.account.OTHER")
        assert len(list_orders(s, account=account)) == 1
