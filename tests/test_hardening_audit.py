"""Regressions for issue 13's bullets that had no test of their own: a long cart is read in
full before its yes, the shopper's restricted past items are never suggested, parts of one
request are counted together against an item's limit, and an old session's attributes
re-ask nothing in a new one (not through "repeat" or a turn not understood either)."""

import copy

import pytest

from tests.alexa_requests import Dialog
from tests.test_skill_dialogs import give_history, orders_of

pytestmark = pytest.mark.both_databases
SEVEN = ["coffee pods", "paper towels", "toilet paper", "dish soap", "trash bags", "shampoo",
         "oat milk"]
SAID = ["one box of coffee pods", "one pack of paper towels", "one pack of toilet paper",
        "one bottle of dish soap", "one box of trash bags", "one bottle of shampoo",
        "one carton of oat milk"]


def test_a_long_cart_is_read_in_full_before_its_yes(dialog, runtime):
    for item in SEVEN:  # the seventh line added last, as the child's robots were
        dialog.intent("AddToCartIntent", Item=item)
    dialog.intent("CheckoutIntent")
    asked = dialog.speech
    assert "Should I order" in asked and "more items" not in asked
    assert all(line in asked for line in SAID), asked
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    assert len(orders_of(runtime)[0].lines) == 7


def test_restricted_past_items_are_never_suggested_and_blocked_ones_refused_at_once(
        dialog, runtime):
    give_history(runtime, sku="DH-WOOD", quantity=1, days_ago=40)  # needs approval
    give_history(runtime, sku="CK-CHOC-4LB", quantity=1, days_ago=40)  # needs the PIN
    dialog.launch()
    heard = [dialog.speech]
    for intent in ("AMAZON.YesIntent", "AMAZON.HelpIntent", "AMAZON.FallbackIntent",
                   "AMAZON.FallbackIntent", "ListReorderablesIntent"):
        dialog.intent(intent)
        heard.append(dialog.speech)
    for speech in heard:
        assert "dollhouse" not in speech and "cookies" not in speech, speech
    for intent in ("ReorderIntent", "BuyIntent", "AddToCartIntent"):
        dialog.intent(intent, Item="red wine")
        assert "can't be bought by voice" in dialog.speech and "Should I" not in dialog.speech
        assert "add red wine" not in dialog.speech and "reorder" not in dialog.speech


def test_parts_of_one_request_count_together_against_the_limit(dialog, runtime):
    dialog.intent("BuyIntent", Item="coffee pods and coffee pods", Quantity="6")
    assert "at most six boxes of coffee pods" in dialog.speech  # 6 + 1 is over 6
    assert "Should I order" not in dialog.speech
    dialog.intent("AMAZON.YesIntent")  # "would you like six?": restated, not bought
    assert "six boxes of coffee pods" in dialog.speech and "Should I order" in dialog.speech
    assert orders_of(runtime) == []


@pytest.mark.parametrize("turn", ["AMAZON.RepeatIntent", "AMAZON.FallbackIntent",
                                  "AMAZON.PreviousIntent"])
def test_an_old_sessions_question_is_not_asked_again_in_a_new_one(send, runtime, turn):
    """A session id never seen, said not to be new, with an old session's attributes (a new
    session's attributes are dropped anyway)."""
    give_history(runtime)
    old = Dialog(send)
    old.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in old.speech
    replayed = Dialog(send)
    replayed.new_session()
    replayed._session()
    replayed.new, replayed.attributes = False, copy.deepcopy(old.attributes)
    replayed.intent(turn)
    assert "Should I order" not in replayed.speech, replayed.speech
    replayed.intent("AMAZON.YesIntent")
    assert "is placed" not in replayed.speech
    assert len(orders_of(runtime)) == 1  # the history only
