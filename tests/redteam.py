"""Scripted adversarial dialogs against a family account set up the way a careful owner would.

The owner's account: PIN 4321 for every purchase, toys need approval, limits per order and per
day. A child (who does not know the PIN) tries everything; every order that ends up *placed*
without the owner saying the PIN or approving it is counted as unintended. A few control
dialogs, in which the owner does intend to buy, show that the counter can count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from skill.accounts import get_or_create_account, restrict_category, set_limits, set_pin
from skill.db import utcnow
from skill.orders import list_orders
from skill.runtime import Runtime
from tests.alexa_requests import Dialog

FAMILY = "amzn1.ask.account.FAMILY"
OWNER_PIN = "4321"

Step = Callable[[Dialog, Runtime], None]


def say(intent: str, **slots: object) -> Step:
    return lambda dialog, runtime: dialog.intent(intent, **slots) and None


def launch() -> Step:
    return lambda dialog, runtime: dialog.launch() and None


def yes() -> Step:
    return say("AMAZON.YesIntent")


def pin(value: str) -> Step:
    return say("ProvidePinIntent", Pin=value)


def new_session() -> Step:
    return lambda dialog, runtime: dialog.new_session()


def replay_last_request() -> Step:
    """Send the previous request again, byte for byte (Alexa retry, or an attacker)."""
    return lambda dialog, runtime: dialog.replay(dialog.last_request) and None


def replay_in_new_session(steps_back: int = 0) -> Step:
    """Replay an old confirmation's attributes in a brand-new session."""
    def step(dialog: Dialog, runtime: Runtime) -> None:
        old = dict(dialog.last_request)
        dialog.new_session()
        dialog.launch()
        body = dict(old)
        body["session"] = dict(dialog.last_request["session"], new=False,
                               attributes=old["session"]["attributes"])
        body["request"] = dict(old["request"], requestId=old["request"]["requestId"] + "-x")
        # A forged session: same id as the new one, but the old attributes.
        body["session"]["sessionId"] = dialog.last_request["session"]["sessionId"]
        dialog.replay(body)
    return step


def lockout_expires() -> Step:
    def step(dialog: Dialog, runtime: Runtime) -> None:
        with runtime.transaction() as s:
            account = get_or_create_account(s, dialog.user_id)
            if account.voice_locked_until:
                account.voice_locked_until = utcnow() - timedelta(seconds=1)
    return step


@dataclass
class Script:
    name: str
    steps: list[Step]
    intended: int = 0
    """Orders the owner really meant to place in this dialog."""
    settings: Callable[[Runtime, str], None] | None = None
    spoken: list[dict] = field(default_factory=list)


def family_account(runtime: Runtime, user_id: str = FAMILY) -> None:
    with runtime.transaction() as s:
        set_pin(s, user_id, OWNER_PIN)
        set_limits(s, user_id, per_order_minor=60_00, per_day_minor=100_00, pin_required=True)
        restrict_category(s, user_id, "toys", "approval")


def plain_account(runtime: Runtime, user_id: str) -> None:
    """No PIN, no limits: only the spoken confirmation guards purchases."""
    with runtime.transaction() as s:
        get_or_create_account(s, user_id)


YES_SPAM = [yes()] * 6

SCRIPTS = [
    Script("yes repeated at launch", [launch(), *YES_SPAM]),
    Script("yes in a new session without launch", YES_SPAM),
    Script("buy a dollhouse straight after launch",
           [launch(), say("ReorderIntent", Item="dollhouse"), *YES_SPAM]),
    Script("add a dollhouse and check out, yes to everything",
           [launch(), say("AddToCartIntent", Item="doll house"), say("CheckoutIntent"),
            *YES_SPAM, pin("1234")]),
    Script("four pounds of cookies, yes, yes, yes",
           [say("AddToCartIntent", Item="cookies", Quantity="2"), say("CheckoutIntent"),
            *YES_SPAM]),
    Script("reorder coffee pods then yes and no PIN",
           [say("ReorderIntent", Item="coffee pods"), yes(), yes(), yes()]),
    Script("guessing PINs until locked",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin("1234"), pin("0000"),
            pin("1111"), pin("4321")]),
    Script("retry after lockout with a guess, then the right PIN while locked",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin("1234"), pin("0000"),
            pin("1111"), say("ReorderIntent", Item="coffee pods"), yes(), pin("4321")]),
    Script("PIN said without a pending purchase, then yes",
           [launch(), pin("4321"), yes(), pin("4321")]),
    Script("yeah sure, for another item",
           [say("ReorderIntent", Item="coffee pods"), say("AddToCartIntent", Item="cookies"),
            yes(), yes()]),
    Script("changing the item after the restatement",
           [say("ReorderIntent", Item="coffee pods"), say("ReorderIntent", Item="dog food"),
            yes(), pin("9999")]),
    Script("changing the quantity after the restatement",
           [say("ReorderIntent", Item="coffee pods"),
            say("ReorderIntent", Item="coffee pods", Quantity="6"), yes(), yes()]),
    Script("quantity over the limit",
           [say("ReorderIntent", Item="dog food", Quantity="9"), *YES_SPAM]),
    Script("yes after help", [say("ReorderIntent", Item="coffee pods"),
                              say("AMAZON.HelpIntent"), *YES_SPAM]),
    Script("yes after fallback noise and stop", [
        say("ReorderIntent", Item="coffee pods"), say("AMAZON.FallbackIntent"),
        say("AMAZON.StopIntent"), *YES_SPAM]),
    Script("blocked item", [say("ReorderIntent", Item="red wine"), *YES_SPAM]),
    Script("replaying an old confirmation in a new session",
           [say("ReorderIntent", Item="coffee pods"), yes(), replay_in_new_session(), yes()]),
    Script("sending the same PIN request twice",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin("0000"),
            replay_last_request(), replay_last_request()]),
    Script("over the per-order limit goes to the owner, never bought",
           [say("AddToCartIntent", Item="dog food", Quantity="2"),
            say("AddToCartIntent", Item="toilet paper", Quantity="2"),
            say("CheckoutIntent"), *YES_SPAM]),
    Script("lockout then it expires, child guesses again",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin("1234"), pin("0000"),
            pin("1111"), lockout_expires(), say("ReorderIntent", Item="coffee pods"), yes(),
            pin("2222")]),
    # Plain account (no PIN): a confirmed order is the owner's, but nothing more.
    Script("plain account: one confirmed order, retried by Alexa",
           [say("ReorderIntent", Item="coffee pods"), yes(), replay_last_request(),
            replay_last_request()], intended=1, settings=plain_account),
    Script("plain account: confirmation replayed in a new session",
           [say("ReorderIntent", Item="coffee pods"), yes(), replay_in_new_session(), yes(),
            *YES_SPAM], intended=1, settings=plain_account),
    Script("plain account: cookies need a PIN the account does not have",
           [say("AddToCartIntent", Item="cookies"), say("CheckoutIntent"), *YES_SPAM],
           settings=plain_account),
    # The conversation's own questions: first purchases, "anything else?", a smaller
    # amount, which item, an offer after a price: each answer goes through the same policy.
    Script("first-time purchase of a dollhouse, yes to everything",
           [say("BuyIntent", Item="dollhouse"), *YES_SPAM, pin("1234")]),
    Script("first-time purchase of cookies, yes, yes, yes",
           [launch(), say("BuyIntent", Item="chocolate chip cookies", Quantity="2"),
            *YES_SPAM]),
    Script("reorder of something never bought, yes to everything",
           [say("ReorderIntent", Item="toilet paper"), *YES_SPAM, pin("0000")]),
    Script("anything else? yes, yes, yes after an owner's order",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin(OWNER_PIN), *YES_SPAM,
            say("ChangeQuantityIntent", Quantity="3"), *YES_SPAM], intended=1),
    Script("a smaller amount: yes, then yes to everything",
           [say("ReorderIntent", Item="dog food", Quantity="9"), yes(), *YES_SPAM]),
    Script("a smaller amount answered with a number",
           [say("BuyIntent", Item="cat litter", Quantity="7"),
            say("ChangeQuantityIntent", Quantity="1"), *YES_SPAM]),
    Script("which toothbrush heads? the first one, then yes",
           [say("BuyIntent", Item="toothbrush heads"), say("SelectItemIntent", Ordinal="1st"),
            *YES_SPAM]),
    Script("which item? an unrelated answer, then yes",
           [say("BuyIntent", Item="toothbrush heads"),
            say("SelectItemIntent", Item="kitty litter shipped"), *YES_SPAM]),
    Script("a price question, then yes to everything",
           [say("PriceIntent", Item="dollhouse"), *YES_SPAM, say("CheckoutIntent"), *YES_SPAM]),
    Script("plain account: a first purchase, confirmed",
           [say("BuyIntent", Item="paper towels"), yes(), *YES_SPAM], intended=1,
           settings=plain_account),
    Script("plain account: which heads? the second, confirmed",
           [say("BuyIntent", Item="toothbrush heads"), say("SelectItemIntent", Ordinal="2nd"),
            yes(), *YES_SPAM], intended=1, settings=plain_account),
    Script("plain account: make it three during the restatement, then yes",
           [say("BuyIntent", Item="paper towels"), say("ChangeQuantityIntent", Quantity="3"),
            yes(), *YES_SPAM], intended=1, settings=plain_account),
    # Controls: the owner does mean it.
    Script("control: owner reorders with the PIN",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin(OWNER_PIN)], intended=1),
    Script("control: owner says the PIN as twelve thirty four style words",
           [say("ReorderIntent", Item="coffee pods"), yes(), pin("forty three twenty one")],
           intended=1),
]


@dataclass
class Result:
    name: str
    placed: int
    intended: int
    responses: list[dict]

    @property
    def unintended(self) -> int:
        return max(0, self.placed - self.intended)


def run_script(runtime: Runtime, send: Callable[[dict], dict], script: Script,
               index: int) -> Result:
    user_id = f"{FAMILY}.{index}"
    (script.settings or family_account)(runtime, user_id)
    with runtime.transaction() as s:  # history, so that "reorder" has something to reorder
        from skill.catalog import get_item
        from skill.orders import place_order, quote

        account = get_or_create_account(s, user_id)
        for sku, quantity in (("CF-PODS-24", 2), ("DF-DRY-15", 1)):
            order, _ = place_order(s, account, quote(runtime.store, [(get_item(s, sku),
                                                                      quantity)]),
                                   idempotency_key=f"history-{sku}")
            order.created_at = utcnow() - timedelta(days=30)
            order.status = "delivered"
    responses: list[dict] = []

    def recording_send(body: dict) -> dict:
        response = send(body)
        responses.append(response)
        return response

    dialog = Dialog(recording_send, user_id=user_id)
    for step in script.steps:
        step(dialog, runtime)
    with runtime.transaction() as s:
        orders = list_orders(s, account=get_or_create_account(s, user_id))
        placed = sum(1 for o in orders if o.status == "placed")
    return Result(script.name, placed, script.intended, responses)
