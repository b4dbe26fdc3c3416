"""Full dialogs in Alexa's request format, through the ask-sdk skill."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from skill.accounts import get_or_create_account
from skill.audit import list_attempts
from skill.cart import add_to_cart, read_cart
from skill.catalog import get_item
from skill.db import utcnow
from skill.orders import Order, list_orders, place_order, quote
from tests.alexa_requests import USER_ID

pytestmark = pytest.mark.both_databases


def orders_of(runtime, user_id=USER_ID):
    with runtime.transaction() as s:
        return list_orders(s, account=get_or_create_account(s, user_id))


def give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=10, user_id=USER_ID):
    with runtime.transaction() as s:
        account = get_or_create_account(s, user_id)
        order, _ = place_order(s, account, quote(runtime.store, [(get_item(s, sku), quantity)]),
                               idempotency_key=f"history-{sku}-{days_ago}")
        order.created_at = utcnow() - timedelta(days=days_ago)
        order.status = "delivered"


def assert_open_with_reprompt(dialog):
    assert not dialog.ended, dialog.speech
    assert dialog.reprompt, "an open session must reprompt"


def test_launch_welcomes_and_says_what_to_do(dialog):
    dialog.launch()
    assert "Welcome to VoiceCart Demo Store" in dialog.speech
    assert "reorder" in dialog.speech
    assert_open_with_reprompt(dialog)


def test_reorder_with_confirmation_places_order(dialog, runtime):
    give_history(runtime)
    dialog.launch()
    dialog.intent("ReorderIntent", Item="coffee pods")
    speech = dialog.speech
    assert "VoiceCart Demo Store" in speech  # the seller
    assert "two boxes of coffee pods" in speech  # the item and the last quantity
    assert "38 dollars 53 in all" in speech  # total with tax and delivery
    assert "including tax and delivery" in dialog.reprompt and "arriving" in speech
    assert "Should I order" in speech
    assert_open_with_reprompt(dialog)
    assert len(orders_of(runtime)) == 1  # only the history so far

    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech and "should arrive" in dialog.speech
    assert dialog.card["title"].startswith("Order placed")
    assert "Coffee" in dialog.card["content"] or "coffee" in dialog.card["content"]
    assert_open_with_reprompt(dialog)
    orders = orders_of(runtime)
    assert len(orders) == 2 and orders[0].status == "placed"
    assert [(ln.sku, ln.quantity) for ln in orders[0].lines] == [("CF-PODS-24", 2)]
    with runtime.transaction() as s:
        attempt = list_attempts(s, user_id=USER_ID)[0]
        assert (attempt.outcome, attempt.order_id) == ("placed", orders[0].id)


def test_reorder_with_entity_resolution_and_quantity(dialog, runtime):
    give_history(runtime, sku="PT-6ROLL", quantity=1)
    dialog.intent("ReorderIntent", Item=("kitchen roll", ["PT-6ROLL"]), Quantity="3")
    assert "three packs of paper towels" in dialog.speech


def test_er_no_match_falls_back_to_fuzzy(dialog, runtime):
    give_history(runtime, sku="PT-6ROLL", quantity=1)
    dialog.intent("ReorderIntent", Item=("paper tows", []))
    assert "paper towels" in dialog.speech and "Should I order" in dialog.speech


def test_reorder_declined_buys_nothing(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.NoIntent")
    assert "didn't order anything" in dialog.speech
    assert_open_with_reprompt(dialog)
    assert len(orders_of(runtime)) == 1
    with runtime.transaction() as s:
        assert list_attempts(s, user_id=USER_ID)[0].outcome == "declined"


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.NavigateHomeIntent"])
def test_stop_at_confirmation_buys_nothing_and_ends(dialog, runtime, intent):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent(intent)
    assert "nothing was ordered" in dialog.speech and dialog.ended
    assert len(orders_of(runtime)) == 1


def test_cancel_at_confirmation_drops_the_purchase_not_the_session(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.CancelIntent")
    assert "didn't order anything" in dialog.speech
    assert_open_with_reprompt(dialog)
    dialog.intent("AMAZON.YesIntent")  # the purchase question is gone
    assert "nothing waiting for a yes" in dialog.speech
    assert len(orders_of(runtime)) == 1
    with runtime.transaction() as s:
        assert list_attempts(s, user_id=USER_ID)[0].outcome == "declined"


def test_ambiguous_item_is_asked_not_guessed(dialog, runtime):
    give_history(runtime, sku="TB-SONIC-3", quantity=1)
    dialog.intent("ReorderIntent", Item="toothbrush heads")
    assert "Did you mean Oral-B toothbrush heads or Sonicare toothbrush heads?" in dialog.speech
    assert_open_with_reprompt(dialog)
    dialog.intent("AMAZON.YesIntent")  # "yes" does not pick one
    assert "which one" in dialog.speech.lower()
    dialog.intent("SelectItemIntent", Item="sonicare")
    assert "one pack of Sonicare toothbrush heads" in dialog.speech
    assert "Should I order" in dialog.speech
    assert len(orders_of(runtime)) == 1


def test_ambiguous_from_entity_resolution(dialog):
    dialog.intent("AddToCartIntent", Item=("toothbrush heads", ["TB-ORALB-4", "TB-SONIC-3"]))
    assert "Did you mean" in dialog.speech


def test_unknown_item(dialog):
    dialog.intent("ReorderIntent", Item="a pony")
    assert "couldn't find a pony" in dialog.speech
    assert_open_with_reprompt(dialog)


def test_reorder_of_an_item_never_ordered_offers_to_buy_it(dialog, runtime):
    dialog.intent("ReorderIntent", Item="shampoo")
    assert "haven't ordered shampoo before" in dialog.speech
    assert "7 dollars and 49 cents" in dialog.speech and "Should I order one?" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "Should I order" in dialog.speech and "shampoo" in dialog.speech
    assert orders_of(runtime) == []
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    assert len(orders_of(runtime)) == 1


def test_missing_item_is_asked_for(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", dialog_state="STARTED")
    assert dialog.speech == "<speak>Which item?</speak>"
    dialog.intent("SelectItemIntent", Item="coffee pods")
    assert "two boxes of coffee pods" in dialog.speech


def test_over_max_quantity_says_the_limit(dialog, runtime):
    give_history(runtime, sku="DF-DRY-15", quantity=1)
    dialog.intent("ReorderIntent", Item="dog food", Quantity="5")
    assert "at most two" in dialog.speech and "dog food" in dialog.speech
    assert_open_with_reprompt(dialog)
    dialog.intent("AMAZON.YesIntent")  # "Would you like two instead?" - "yes"
    assert "Should I order" in dialog.speech and "two" in dialog.speech


def test_nonsense_quantity_asks_how_many(dialog, runtime):
    dialog.intent("AddToCartIntent", Item="dish soap", Quantity="?")
    assert "How many" in dialog.speech
    assert_open_with_reprompt(dialog)
    dialog.intent("ChangeQuantityIntent", Quantity="3")
    assert "Added three" in dialog.speech


def test_cart_add_read_remove_clear(dialog, runtime):
    dialog.intent("AddToCartIntent", Item="dish soap", Quantity="2")
    assert "Added two bottles of dish soap" in dialog.speech
    dialog.intent("AddToCartIntent", Item="coffee pods")
    dialog.intent("ReadCartIntent")
    assert "two bottles of dish soap and one box of coffee pods" in dialog.speech
    assert "23 dollars and 47 cents" in dialog.speech
    dialog.intent("RemoveFromCartIntent", Item="dish so")
    assert "Removed dish soap" in dialog.speech and "one box of coffee pods" in dialog.speech
    dialog.intent("RemoveFromCartIntent", Item="shampoo")
    assert "isn't in your cart" in dialog.speech
    dialog.intent("ClearCartIntent")
    assert "emptied your cart" in dialog.speech
    dialog.intent("ReadCartIntent")
    assert "cart is empty" in dialog.speech


def test_checkout_restates_and_places(dialog, runtime):
    dialog.intent("AddToCartIntent", Item="dish soap", Quantity="2")
    dialog.intent("CheckoutIntent")
    assert "two bottles of dish soap" in dialog.speech and "13 dollars 63" in dialog.speech
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    with runtime.transaction() as s:
        assert read_cart(s, get_or_create_account(s, USER_ID)) == []
    assert len(orders_of(runtime)) == 1


def test_cart_changed_between_restatement_and_yes(dialog, runtime):
    dialog.intent("AddToCartIntent", Item="dish soap")
    dialog.intent("CheckoutIntent")
    with runtime.transaction() as s:  # another speaker adds to the same cart meanwhile
        add_to_cart(s, get_or_create_account(s, USER_ID), get_item(s, "CF-PODS-24"), 1)
    dialog.intent("AMAZON.YesIntent")
    assert "changed" in dialog.speech
    assert "one bottle of dish soap and one box of coffee pods" in dialog.speech
    assert orders_of(runtime) == []
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech
    assert len(orders_of(runtime)) == 1


def test_empty_cart_checkout(dialog, runtime):
    dialog.intent("CheckoutIntent")
    assert "cart is empty" in dialog.speech and "nothing to check out" in dialog.speech
    assert_open_with_reprompt(dialog)
    assert orders_of(runtime) == []


def test_order_status_with_no_orders(dialog):
    dialog.intent("OrderStatusIntent")
    assert "don't have any orders" in dialog.speech
    assert_open_with_reprompt(dialog)


def test_order_status_latest_and_per_item(dialog, runtime):
    give_history(runtime, sku="DF-DRY-15", quantity=1, days_ago=20)
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=3)
    dialog.intent("OrderStatusIntent")
    assert "two boxes of coffee pods was delivered" in dialog.speech
    assert dialog.card["title"].startswith("Order")
    dialog.intent("OrderStatusIntent", Item="dog food")
    assert "one bag of dog food was delivered" in dialog.speech
    dialog.intent("OrderStatusIntent", Item="shampoo")
    assert "couldn't find an order of shampoo" in dialog.speech


def _place_now(runtime, minutes_ago):
    with runtime.transaction() as s:
        account = get_or_create_account(s, USER_ID)
        order, _ = place_order(s, account, quote(runtime.store, [(get_item(s, "DS-LEMON"), 1)]),
                               idempotency_key=f"k{minutes_ago}")
        order.created_at = utcnow() - timedelta(minutes=minutes_ago)
        return order.id


def test_cancel_inside_window(dialog, runtime):
    order_id = _place_now(runtime, minutes_ago=5)
    dialog.intent("CancelOrderIntent")
    assert "one bottle of dish soap" in dialog.speech and "5 minutes ago" in dialog.speech
    assert "cancel it?" in dialog.speech
    assert orders_of(runtime)[0].status == "placed"
    dialog.intent("AMAZON.YesIntent")
    assert "cancelled your order" in dialog.speech
    assert next(o for o in orders_of(runtime) if o.id == order_id).status == "cancelled"


def test_cancel_declined_keeps_order(dialog, runtime):
    _place_now(runtime, minutes_ago=1)
    dialog.intent("CancelOrderIntent")
    dialog.intent("AMAZON.NoIntent")
    assert "kept your order" in dialog.speech
    assert orders_of(runtime)[0].status == "placed"


def test_cancel_outside_window(dialog, runtime):
    _place_now(runtime, minutes_ago=runtime.store.cancel_window_minutes + 5)
    dialog.intent("CancelOrderIntent")
    assert "within 30 minutes" in dialog.speech and "has passed" in dialog.speech
    assert orders_of(runtime)[0].status == "placed"


def test_cancel_with_nothing_to_cancel(dialog):
    dialog.intent("CancelOrderIntent")
    assert "don't have an order" in dialog.speech


def test_list_reorderables(dialog, runtime):
    dialog.intent("ListReorderablesIntent")
    assert "haven't bought anything" in dialog.speech
    give_history(runtime)
    dialog.intent("ListReorderablesIntent")
    assert "bought coffee pods before" in dialog.speech


def test_help_depends_on_where_the_shopper_is(dialog, runtime):
    dialog.intent("AMAZON.HelpIntent")
    general = dialog.speech
    assert "to my cart" in general  # an example from the catalog: nothing bought yet
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.HelpIntent")
    assert dialog.speech != general and "on hold" in dialog.speech
    assert_open_with_reprompt(dialog)


def test_repeat_and_fallback(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    restated = dialog.speech
    dialog.intent("AMAZON.RepeatIntent")
    assert dialog.speech == restated
    dialog.intent("AMAZON.FallbackIntent")
    assert "nothing has been ordered" in dialog.speech and "Should I order" in dialog.speech
    assert_open_with_reprompt(dialog)
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech


def test_session_ended_with_pending_purchase_is_logged_not_bought(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    response = dialog.end("EXCEEDED_MAX_REPROMPTS")
    assert "outputSpeech" not in response.get("response", {})
    assert len(orders_of(runtime)) == 1
    with runtime.transaction() as s:
        attempt = list_attempts(s, user_id=USER_ID)[0]
        assert attempt.outcome == "declined" and "session ended" in attempt.reason


def test_alexa_retry_of_the_yes_never_orders_twice(dialog, runtime):
    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    question_attributes = dict(dialog.attributes)
    dialog.intent("AMAZON.YesIntent")
    retry = dict(dialog.last_request)
    retry["session"] = dict(retry["session"], attributes=question_attributes)
    dialog.replay(retry)  # Alexa resends the very same request
    assert "is placed" in dialog.speech
    assert len(orders_of(runtime)) == 2


def test_handler_failure_apologises_and_places_nothing(dialog, runtime, monkeypatch):
    import skill.purchase as purchase

    give_history(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")
    original = purchase.place_order

    def place_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise ConnectionError("database connection dropped")

    monkeypatch.setattr(purchase, "place_order", place_then_fail)
    dialog.intent("AMAZON.YesIntent")
    assert "something went wrong" in dialog.speech and "nothing was ordered" in dialog.speech
    assert len(orders_of(runtime)) == 1


def test_can_fulfill_intent_changes_nothing(send, runtime):
    from tests.alexa_requests import envelope, slot

    def counts():
        with runtime.transaction() as s:
            from skill.accounts import Account
            from skill.insights import DialogEvent

            return (s.scalar(select(func.count(Account.id))),
                    s.scalar(select(func.count(Order.id))),
                    s.scalar(select(func.count(DialogEvent.id))))

    before = counts()
    known = send(envelope({"type": "CanFulfillIntentRequest", "intent": {
        "name": "ReorderIntent", "slots": {"Item": slot("Item", "coffee pods")}}},
        session=None, user_id="amzn1.ask.account.NEWCOMER"))
    unknown = send(envelope({"type": "CanFulfillIntentRequest", "intent": {
        "name": "ReorderIntent", "slots": {"Item": slot("Item", "a pony")}}},
        session=None, user_id="amzn1.ask.account.NEWCOMER"))
    assert known["response"]["canFulfillIntent"]["canFulfill"] == "YES"
    assert unknown["response"]["canFulfillIntent"]["canFulfill"] == "NO"
    assert counts() == before


def test_prompts_are_localised(send):
    from tests.alexa_requests import Dialog

    british = Dialog(send, locale="en-GB")
    british.intent("ReadCartIntent")
    assert "basket" in british.speech
    american = Dialog(send, locale="en-US")
    american.intent("AMAZON.StopIntent")
    assert "Talk to you later" in american.speech
