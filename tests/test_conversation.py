"""The shopping conversation: every question the skill asks takes its natural answers.

Each dialog runs against two stores: the demo catalog, and a hardware store that has none of
the demo's items (``tests/data/hardware_catalog.csv``), so that no prompt depends on the demo
data. Dialogs go through the skill in Alexa's request format, and through ``talk --text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from skill.accounts import get_or_create_account
from skill.catalog import get_item, list_items, upsert_items
from skill.catalog_io import parse_csv
from skill.db import utcnow
from skill.orders import list_orders, place_order, quote
from tests.alexa_requests import USER_ID, Dialog

HARDWARE = Path(__file__).parent / "data" / "hardware_catalog.csv"
DEMO_NAMES = ("coffee pods", "paper towels", "toilet paper", "dish soap", "toothbrush",
              "dog food", "cat litter", "oat milk", "cookies", "dollhouse", "shampoo",
              "batteries", "trash bags", "laundry")


@dataclass
class Shop:
    """A store and the items of it each dialog needs."""

    name: str
    plain: str
    """An item anyone may buy; its max quantity is ``plain_max``."""
    plain_max: int
    other: str
    """Another plain item."""
    vague: str
    """Words naming two items ("toothbrush heads")."""
    first: str
    second: str
    approval: str
    pin: str
    blocked: str
    few: str
    """An item with only two in stock."""
    category: str
    category_words: str
    category_item: str


SHOPS = {
    "demo": Shop("demo", "paper towels", 4, "dish soap", "toothbrush heads",
                 "Oral-B toothbrush heads", "Sonicare toothbrush heads", "dollhouse",
                 "chocolate chip cookies", "red wine", "dog food", "household",
                 "household", "dish soap"),
    "hardware": Shop("hardware", "duct tape", 6, "wood screws", "tape", "duct tape",
                     "masking tape", "cordless drill", "hand saw", "paint thinner",
                     "light bulbs", "supplies", "supplies", "work gloves"),
}


@pytest.fixture(params=sorted(SHOPS))
def shop(request, empty_runtime):
    """(runtime, Shop): the store's catalog, and a shopper with no PIN and no history."""
    runtime = empty_runtime
    with runtime.transaction() as s:
        if request.param == "demo":
            runtime.seed_demo()
        else:
            upsert_items(s, parse_csv(HARDWARE.read_text("utf-8")))
        get_or_create_account(s, USER_ID)
    if request.param == "demo":
        with runtime.transaction() as s:
            get_item(s, "DF-DRY-15").stock = 2  # "only two left"
    return runtime, SHOPS[request.param]


@pytest.fixture
def chat(shop):
    """A dialog whose every answer is checked: open sessions reprompt, and a hardware
    store's answers never mention the demo's items."""
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    from skill.alexa import build_skill

    runtime, info = shop
    skill = build_skill(runtime)
    serializer = DefaultSerializer()
    heard: list[str] = []

    def send(body: dict) -> dict:
        import json

        envelope = serializer.deserialize(json.dumps(body), RequestEnvelope)
        response = serializer.serialize(skill.invoke(envelope, context={"channel": "alexa"}))
        speech = (response["response"].get("outputSpeech") or {}).get("ssml", "")
        if speech:
            heard.append(speech)
            if response["response"].get("shouldEndSession") is False:
                assert response["response"].get("reprompt"), speech
            if info.name == "hardware":
                assert not any(name in speech.lower() for name in DEMO_NAMES), speech
        return response

    return Dialog(send)


def orders(runtime):
    with runtime.transaction() as s:
        return list_orders(s, account=get_or_create_account(s, USER_ID))


def bought_before(runtime, name):
    with runtime.transaction() as s:
        account = get_or_create_account(s, USER_ID)
        item = next(i for i in list_items(s) if i.name == name)
        order, _ = place_order(s, account, quote(runtime.store, [(item, 1)]),
                               idempotency_key=f"history-{item.sku}")
        order.created_at = utcnow().replace(year=utcnow().year - 1)
        order.status = "delivered"


def test_first_time_purchase_is_restated_then_confirmed(shop, chat):
    runtime, info = shop
    chat.intent("BuyIntent", Item=info.plain)
    speech = chat.speech
    seller = runtime.store.seller
    assert speech.index(seller) < speech.index(info.plain) < speech.index("dollars") \
        < speech.index("in all") < speech.index("arriving")  # in that order
    assert "including tax and delivery" in chat.reprompt
    assert "Should I order" in speech and orders(runtime) == []
    chat.intent("AMAZON.YesIntent")
    assert "is placed" in chat.speech and len(orders(runtime)) == 1


def test_anything_else_takes_yes_and_no(shop, chat):
    runtime, info = shop
    chat.intent("BuyIntent", Item=info.plain)
    chat.intent("AMAZON.YesIntent")
    assert chat.speech.rstrip("</speak>").endswith("Anything else?")
    chat.intent("AMAZON.YesIntent")
    assert "What would you like?" in chat.speech and not chat.ended
    chat.intent("OrderStatusIntent")
    assert "Anything else?" in chat.speech
    chat.intent("AMAZON.NoIntent")
    assert chat.ended and ("bye" in chat.speech.lower() or "later" in chat.speech.lower())
    assert len(orders(runtime)) == 1


def test_a_smaller_amount_takes_yes_or_a_number(shop, chat):
    runtime, info = shop
    chat.intent("BuyIntent", Item=info.plain, Quantity=str(info.plain_max + 5))
    assert "at most" in chat.speech and "?" in chat.speech
    chat.intent("AMAZON.YesIntent")
    assert "Should I order" in chat.speech
    chat.intent("AMAZON.NoIntent")
    chat.intent("BuyIntent", Item=info.plain, Quantity=str(info.plain_max + 5))
    chat.intent("ChangeQuantityIntent", Quantity="1")
    assert "Should I order" in chat.speech
    chat.intent("AMAZON.YesIntent")
    with runtime.transaction() as s:
        placed = list_orders(s, account=get_or_create_account(s, USER_ID))
        assert [line.quantity for line in placed[0].lines] == [1]


@pytest.mark.parametrize("answer", ["name", "ordinal", "neither", "unrelated"])
def test_which_item_takes_its_natural_answers(shop, chat, answer):
    runtime, info = shop
    chat.intent("AddToCartIntent", Item=info.vague)
    assert info.first in chat.speech and info.second in chat.speech and " or " in chat.speech
    if answer == "name":
        chat.intent("SelectItemIntent", Item=info.second)
        assert "Added" in chat.speech and info.second in chat.speech.split("cart")[0]
    elif answer == "ordinal":
        chat.intent("SelectItemIntent", Ordinal="1st")
        assert "Added" in chat.speech and info.first in chat.speech.split("cart")[0]
    elif answer == "neither":
        chat.intent("AMAZON.NoIntent")
        assert "instead" in chat.speech and "Added" not in chat.speech
    else:  # "kitty litter shipped": asks again, never picks one of the choices
        chat.intent("SelectItemIntent", Item="the weather tomorrow")
        assert info.first in chat.speech and "Added" not in chat.speech
        chat.intent("SelectItemIntent", Item=info.first)
        assert "Added" in chat.speech


def test_how_many_takes_a_number(shop, chat):
    _, info = shop
    chat.intent("AddToCartIntent", Item=info.other, Quantity="a few")
    assert "How many" in chat.speech
    chat.intent("ChangeQuantityIntent", Quantity="three")
    assert "Added three" in chat.speech and info.other in chat.speech


def test_offers_only_what_the_shopper_may_take(shop, chat):
    runtime, info = shop
    chat.intent("PriceIntent", Item=info.approval)
    assert "add it to your cart" not in chat.speech and "dollars" in chat.speech
    chat.intent("PriceIntent", Item=info.plain)
    assert "Should I add it to your cart?" in chat.speech
    chat.intent("AMAZON.YesIntent")
    assert "Added" in chat.speech and orders(runtime) == []
    chat.intent("BuyIntent", Item=info.blocked)
    assert "can't be bought by voice" in chat.speech and "?" in chat.speech
    for key in ("launch", "help", "fallback"):
        if key == "launch":
            chat.launch()
        else:
            chat.intent("AMAZON.HelpIntent" if key == "help" else "AMAZON.FallbackIntent")
        for restricted in (info.approval, info.pin, info.blocked):
            assert restricted not in chat.speech, (key, chat.speech)


def test_product_questions(shop, chat):
    runtime, info = shop
    chat.intent("PriceIntent", Item=info.plain)
    assert "dollars" in chat.speech
    chat.intent("AvailabilityIntent", Item=info.few)
    assert "only two left" in chat.speech
    chat.intent("AvailabilityIntent", Item="a pony")
    assert "don't sell a pony" in chat.speech
    chat.intent("BrowseCatalogIntent")
    first_page = chat.speech
    assert "more" in first_page
    chat.intent("AMAZON.MoreIntent")
    assert chat.speech.startswith("<speak>Also:") and chat.speech != first_page
    chat.intent("BrowseCatalogIntent", Category=info.category_words)
    assert info.category_item in chat.speech
    assert info.approval not in chat.speech and info.blocked not in chat.speech
    chat.intent("ListReorderablesIntent")
    assert "haven't bought anything" in chat.speech
    bought_before(runtime, info.other)
    chat.intent("ListReorderablesIntent")
    assert info.other in chat.speech


def test_cart_edits(shop, chat):
    runtime, info = shop
    chat.intent("AddToCartIntent", Item=info.plain, Quantity="2")
    chat.intent("ChangeQuantityIntent", Quantity="3")  # "make it three"
    assert "three" in chat.speech and info.plain in chat.speech
    chat.intent("ChangeQuantityIntent", Item=info.plain, Quantity="2")
    assert "two" in chat.speech and info.plain in chat.speech
    chat.intent("RemoveFromCartIntent", Item=info.plain, Quantity="1")
    assert info.plain in chat.speech and "still have" in chat.speech
    chat.intent("AddToCartIntent", Item=f"{info.other} and two {info.plain} and a pony",
                Quantity="2")
    assert info.other in chat.speech and info.plain in chat.speech
    assert "couldn't find a pony" in chat.speech
    chat.intent("ReadCartIntent")
    assert "three" in chat.speech and "two" in chat.speech
    assert info.plain in chat.speech and info.other in chat.speech
    chat.intent("ReadCartIntent", Item=info.other)
    assert chat.speech.startswith("<speak>Yes")
    assert orders(runtime) == []


def test_repeat_cancel_go_back_and_help_after_two_misses(shop, chat):
    runtime, info = shop
    chat.intent("AddToCartIntent", Item=info.vague)
    question = chat.speech
    chat.intent("AMAZON.RepeatIntent")
    assert chat.speech == question
    chat.intent("AMAZON.FallbackIntent")
    assert "didn't catch" in chat.speech and info.first in chat.speech
    chat.intent("AMAZON.FallbackIntent")
    assert "first one" in chat.speech  # help for choosing, not the general help
    chat.intent("AMAZON.CancelIntent")
    assert not chat.ended and "dropped" in chat.speech
    chat.intent("BuyIntent", Item=info.plain, Quantity=str(info.plain_max + 1))
    smaller = chat.reprompt.removeprefix("<speak>").removesuffix("</speak>")
    chat.intent("PriceIntent", Item=info.other)
    chat.intent("AMAZON.PreviousIntent")
    assert "Going back" in chat.speech and smaller in chat.speech
    chat.intent("AMAZON.YesIntent")  # the smaller amount, asked again, takes its answer
    assert "Should I order" in chat.speech
    chat.intent("AMAZON.NoIntent")
    chat.intent("AMAZON.StopIntent")
    assert chat.ended and orders(runtime) == []


def test_talk_text_in_either_store(shop):
    from voice_local.session import LocalConversation

    runtime, info = shop
    conversation = LocalConversation(runtime, USER_ID)
    conversation.launch()
    reply = conversation.say(f"how much is the {info.plain}")
    assert "add it to your cart" in reply.speech
    reply = conversation.say("yes please")
    assert "Added" in reply.speech
    reply = conversation.say("make it three")
    assert "three" in reply.speech
    reply = conversation.say(f"buy {info.other}")
    assert "Should I order" in reply.speech
    reply = conversation.say("yes it's confirmed")
    assert "is placed" in reply.speech
    reply = conversation.say("yeah")  # "Anything else?"
    assert "What would you like?" in reply.speech
    reply = conversation.say("that's all, order it")
    assert "Should I order" in reply.speech
    reply = conversation.say("no no no")
    assert "didn't order anything" in reply.speech
    assert len(orders(runtime)) == 1
    if info.name == "hardware":
        assert not any(name in reply.speech for name in DEMO_NAMES)


def test_adding_past_the_limit_offers_what_may_still_be_added(shop, chat):
    _, info = shop
    chat.intent("AddToCartIntent", Item=info.plain, Quantity="2")
    chat.intent("AddToCartIntent", Item=info.plain, Quantity=str(info.plain_max))
    assert "already have" in chat.speech and f"at most {'two' if info.plain_max == 4 else 'four'}" \
        in chat.speech
    chat.intent("AMAZON.YesIntent")
    chat.intent("ReadCartIntent")
    assert ("four" if info.plain_max == 4 else "six") in chat.speech


def test_a_price_is_said_naturally(shop, chat):
    _, info = shop
    chat.intent("PriceIntent", Item=info.other)
    first_words = chat.speech.removeprefix("<speak>").split(" dollars")[0]
    assert info.other in first_words.lower() and (" is " in first_words or " are " in first_words)
