"""Handlers of the purchase conversation and of the dialog itself (answers, help, stop,
repeat, go back, not understood). Each reads the request, calls the commerce services inside
one transaction, and answers with a prompt; the rules live in ``skill.purchase``,
``skill.policy`` and the services. Cart, order and catalog questions: ``skill.alexa.shopping``.

Every question the skill asks takes its natural answers: the question is kept in the session
(``Turn.reply(question=...)``) with the kind of answer it expects, and each answer handler
looks at it first.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from sqlalchemy.orm import Session

from skill import purchase, speech
from skill.accounts import Account, get_or_create_account
from skill.alexa.examples import suggestable
from skill.alexa.linking import delivery_to
from skill.alexa.listening import note, note_item, note_unserved
from skill.alexa.phrasing import card_lines, money, order_items, quote_items
from skill.alexa.slots import (
    choices_of,
    item_list,
    ordinal_slot,
    pin_slot,
    quantity_slot,
    resolve_item,
)
from skill.alexa.turn import LAST, MISSES, PREVIOUS, PREVIOUS_TTL, Turn, question_valid
from skill.cart import add_to_cart, read_cart, set_quantity
from skill.catalog import CatalogItem, Restriction, find_item, get_item
from skill.errors import NotAllowed, NotFound
from skill.orders import last_ordered_quantity
from skill.prompts import Prompts, Ssml
from skill.resolution import Resolution

log = logging.getLogger(__name__)

ANSWERED_ELSEWHERE = ("handoff", "cart_left")
"""Questions whose yes and no ``skill.alexa.handoff`` answers (a callback, a cart left)."""


# --- the purchase conversation -------------------------------------------------------------

def purchase_reply(turn: Turn, outcome: purchase.Outcome, lead: Ssml | str = "") -> Response:
    """Say what a purchase step came to, and ask the next question if there is one.

    ``lead`` is said before a restatement ("You haven't ordered shampoo before.").
    """
    store = turn.runtime.store
    kind = outcome.kind
    if kind in ("ask_confirm", "changed"):
        q = outcome.quote
        assert q is not None and outcome.pending is not None
        street = delivery_to(turn)  # a household's default address: said where it goes
        key = ("purchase.confirm_approval" if outcome.pending.verdict == "approval"
               else "purchase.confirm_to" if street else "purchase.confirm")
        note(turn.handler_input, "restatement", turn.db)  # the purchase funnel's first step
        # Short on purpose: seller, items, total, delivery, in that order, in about 8 s.
        values = {"seller": store.seller, "items": quote_items(q),
                  "total": speech.say_price(q.total_minor, store.currency),
                  "delivery": speech.say_day(q.expected_delivery, turn.now.date()),
                  "lead": Ssml(f"{lead} ") if lead else "", "street": street,
                  "it": "it" if len(q.lines) == 1 and q.lines[0].quantity == 1 else "them"}
        question = {"kind": "purchase", "pending": outcome.pending.to_dict()}
        if kind == "changed":
            return turn.reply("purchase.changed", question=question,
                              restatement=turn.text(key, **values))
        return turn.reply(key, question=question, **values)
    if kind == "ask_repeat":
        assert outcome.pending is not None
        name, when = next(iter(outcome.pending.repeat_of.items()))
        return turn.reply("purchase.confirm_repeat",
                          question={"kind": "purchase", "pending": outcome.pending.to_dict()},
                          item=name, when=speech.say_ago(datetime.fromisoformat(when), turn.now))
    if kind in ("ask_pin", "pin_wrong"):
        assert outcome.pending is not None
        question = {"kind": "purchase", "pending": outcome.pending.to_dict()}
        if kind == "ask_pin":
            return turn.reply("pin.ask", question=question)
        return turn.reply("pin.wrong", question=question, left=outcome.tries_left,
                          tries="try" if outcome.tries_left == 1 else "tries")
    if kind == "locked":
        return turn.reply("pin.locked_now",
                          minutes=speech.say_duration(store.pin_lockout_minutes))
    if kind == "declined":
        return turn.reply("purchase.declined")
    if kind == "unavailable":
        problem = outcome.problem
        if problem is not None and problem.code == "out_of_stock":
            return turn.reply("purchase.sold_out", item=problem.item)
        return turn.reply("purchase.unavailable")
    if kind == "refused":
        decision = outcome.decision
        assert decision is not None
        if decision.reason == "locked":
            return turn.reply("purchase.locked",
                              minutes=speech.say_duration(store.pin_lockout_minutes))
        if decision.reason == "no_pin_set":
            return turn.reply("purchase.no_pin_set", item=decision.item)
        if decision.reason == "purchasing_off":
            return turn.reply("purchase.purchasing_off")
        return turn.reply("purchase.refused_category", item=decision.item)
    order = outcome.order
    assert order is not None
    if kind == "no_longer":
        return turn.reply("purchase.no_longer", items=order_items(order),
                          status=order.status.replace("_", " "))
    total = money(order.total_minor, order.currency)
    card_values = {"seller": store.seller, "lines": card_lines(order.lines, order.currency),
                   "subtotal": money(order.subtotal_minor, order.currency),
                   "tax": money(order.tax_minor, order.currency),
                   "delivery_fee": money(order.delivery_minor, order.currency),
                   "total": total,
                   "delivery": speech.say_date(order.expected_delivery, turn.now.date()),
                   "order_id": order.id}
    if kind == "placed":
        details = turn.text("purchase.details_email" if order.account.email
                            else "purchase.details_app")
        return turn.reply("purchase.placed", card=("card.placed", card_values),
                          items=order_items(order), total=total,
                          delivery=card_values["delivery"], details=details,
                          window=speech.say_duration(store.cancel_window_minutes))
    decision = outcome.decision
    if decision is not None and decision.limit_minor is not None:
        return turn.reply("purchase.sent_for_approval_limit", card=("card.approval", card_values),
                          items=order_items(order), total=total,
                          limit=money(decision.limit_minor, order.currency))
    return turn.reply("purchase.sent_for_approval", card=("card.approval", card_values),
                      items=order_items(order), total=total)


def refusal_for(turn: Turn, exc: NotAllowed | NotFound, item: CatalogItem | None,
                intent: str = "ReorderIntent", already: int = 0) -> Response:
    """What to say when an item cannot be ordered as asked; a smaller amount is offered
    as a question that takes "yes" or a number (``already``: how many the cart holds, when
    adding to it)."""
    name = item.name if item else getattr(exc, "item", "")
    if isinstance(exc, NotAllowed) and exc.code == "over_max_quantity" and item is not None:
        most = item.max_quantity - already
        if most < 1:
            return turn.reply("cart.full", in_cart=speech.say_item_quantity(already, item))
        return turn.reply("item.over_max_more" if already else "item.over_max",
                          most=speech.say_item_quantity(most, item),
                          in_cart=speech.say_item_quantity(already, item),
                          max=speech.say_count(most),
                          question={"kind": "quantity", "intent": intent, "sku": item.sku,
                                    "most": most})
    if isinstance(exc, NotAllowed) and exc.code == "not_voice_orderable":
        return turn.reply("item.not_voice_orderable", item=name)
    if isinstance(exc, NotAllowed) and exc.code == "out_of_stock":
        if not exc.left or item is None:
            return turn.reply("item.out_of_stock", item=name)
        return turn.reply("item.low_stock", left=speech.say_item_quantity(exc.left, item),
                          them="it" if exc.left == 1 else "them",
                          question={"kind": "quantity", "intent": intent, "sku": item.sku,
                                    "most": exc.left})
    raise exc


def ask_for_item(turn: Turn, intent: str, quantity: int | None,
                 resolution: Resolution | None) -> Response | None:
    """Ask which item when none was named, it was unclear, or unknown; None when matched."""
    question = {"kind": "item", "intent": intent, "quantity": quantity}
    if resolution is None:
        return turn.reply("item.ask", question=question)
    if resolution.status == "none":
        return turn.reply("item.unknown", heard=speech.heard(resolution.query))
    if resolution.status == "ambiguous":
        choices = choices_of(resolution)
        question["choices"] = [c.sku for c in choices]
        if len(choices) == 1:  # "milk" for "oat milk": a suggestion, answered yes or no
            return turn.reply("item.did_you_mean", question=question, item=choices[0].name)
        return turn.reply("item.ambiguous", question=question,
                          choices=speech.say_list(distinct_names(choices), "or"))
    return None


def distinct_names(choices: list) -> list[str]:
    """Choices as the shopper can tell them apart."""
    return list(dict.fromkeys(c.name for c in choices))


def account_of(turn: Turn, session: Session) -> Account:
    """The speaker's account, locked: two speakers (or workers) on one account take turns,
    so a cart line or a purchase decision is never made on a stale read."""
    return get_or_create_account(session, turn.user_id, lock=True)


def decline_pending(turn: Turn, reason: str) -> purchase.Pending | None:
    """If the last question was a purchase's, log it as declined (in its own transaction)."""
    asked = turn.asked or {}
    if asked.get("kind") != "purchase":
        return None
    pending = purchase.Pending.from_dict(asked["pending"])
    with turn.runtime.transaction() as session:
        purchase.answer_no(session, turn.runtime.store, account_of(turn, session), pending,
                           channel=turn.channel, reason=reason)
    return pending


def do_reorder(turn: Turn, session: Session, sku: str, quantity: int | None) -> Response:
    """Buy ``sku`` again; an item never bought before is offered as a first purchase."""
    item = get_item(session, sku)
    account = account_of(turn, session)
    if last_ordered_quantity(session, account, item) is None:
        if item.restriction == Restriction.BLOCKED.value or not item.reorderable:
            return turn.reply("item.not_voice_orderable", item=item.name)
        # Offered, then restated like any purchase: "You haven't ordered X before. ..."
        return turn.reply("reorder.first_time", item=item.name,
                          price=money(item.price_minor, item.currency),
                          count=speech.say_count(quantity or 1),
                          question={"kind": "offer_buy", "sku": sku, "quantity": quantity})
    try:
        outcome = purchase.start_reorder(session, turn.runtime.store, account, sku, quantity,
                                         turn.channel, turn.now)
    except (NotAllowed, NotFound) as exc:
        return refusal_for(turn, exc, item, "ReorderIntent")
    return purchase_reply(turn, outcome)


def do_buy(turn: Turn, session: Session, sku: str, quantity: int | None,
           lead: Ssml | str = "") -> Response:
    """Buy ``sku`` (one unless a quantity is said): restated and confirmed like any order."""
    item = get_item(session, sku)
    account = account_of(turn, session)
    if quantity is None and last_ordered_quantity(session, account, item) is not None:
        return do_reorder(turn, session, sku, None)  # "buy coffee pods": as usual
    if item.restriction == Restriction.BLOCKED.value or not item.reorderable:
        return turn.reply("item.not_voice_orderable", item=item.name)
    try:
        outcome = purchase.start_buy(session, turn.runtime.store, account, sku, quantity or 1,
                                     turn.channel, turn.now)
    except NotAllowed as exc:
        return refusal_for(turn, exc, item, "BuyIntent")
    return purchase_reply(turn, outcome, lead)


def do_add_to_cart(turn: Turn, session: Session, sku: str, quantity: int | None) -> Response:
    """Put ``quantity`` (default one) of ``sku`` in the cart."""
    item = get_item(session, sku)
    account = account_of(turn, session)
    try:
        with session.begin_nested():
            in_cart = add_to_cart(session, account, item, quantity or 1)
    except NotAllowed as exc:
        already = next((e.quantity for e in read_cart(session, account) if e.sku == sku), 0)
        return refusal_for(turn, exc, item, "AddToCartIntent", already)
    turn.session["last_item"] = item.sku
    return turn.reply("cart.added", added=speech.say_item_quantity(quantity or 1, item),
                      in_cart=speech.say_item_quantity(in_cart, item))


def do_set_quantity(turn: Turn, session: Session, sku: str, quantity: int | None) -> Response:
    """Make the cart hold ``quantity`` of ``sku`` ("change the coffee pods to two")."""
    item = get_item(session, sku)
    try:
        with session.begin_nested():
            set_quantity(session, account_of(turn, session), item, quantity or 1)
    except NotAllowed as exc:
        return refusal_for(turn, exc, item, "ChangeQuantityIntent")
    turn.session["last_item"] = item.sku
    return turn.reply("cart.changed", in_cart=speech.say_item_quantity(quantity or 1, item))


ITEM_ACTIONS = {"ReorderIntent": do_reorder, "BuyIntent": do_buy,
                "AddToCartIntent": do_add_to_cart, "ChangeQuantityIntent": do_set_quantity}
"""What an item request does once its item (and quantity) is known."""


def act_on_item(turn: Turn, session: Session, intent: str, sku: str,
                quantity: int | None) -> Response:
    """Run the item request ``intent`` for ``sku``."""
    return ITEM_ACTIONS.get(intent, do_buy)(turn, session, sku, quantity)


def several_items(turn: Turn, session: Session, intent: str,
                  listed: list[tuple[str, int | None]], quantity: int | None) -> Response:
    """ "Add two coffee pods and paper towels": every item is added (or bought together), and
    the reply says which could not be: nothing is dropped in silence."""
    found: list[tuple[CatalogItem, int]] = []
    missing: list[str] = []
    for number, (words, said) in enumerate(listed):
        resolution = turn.runtime.resolver.resolve(session, words)
        if resolution.status == "match" and resolution.best is not None:
            found.append((get_item(session, resolution.best.sku),
                          said or (quantity if number == 0 else None) or 1))
        else:
            note_item(turn.handler_input, resolution, session)
            missing.append(speech.heard(words))
    not_found = turn.text("items.not_found", items=speech.say_list(missing)) if missing else ""
    if not found:
        return turn.reply("items.none_found", items=speech.say_list(missing))
    if intent != "AddToCartIntent":
        try:
            outcome = purchase.start_buy_lines(session, turn.runtime.store,
                                               account_of(turn, session),
                                               [(i.sku, q) for i, q in found], turn.channel,
                                               turn.now)
        except NotAllowed as exc:
            item = next((i for i, _ in found if i.name == getattr(exc, "item", None)), None)
            return refusal_for(turn, exc, item or found[0][0], intent)
        return purchase_reply(turn, outcome, not_found)
    account = account_of(turn, session)
    added, refused = [], []
    for item, count in found:
        try:
            with session.begin_nested():
                add_to_cart(session, account, item, count)
            added.append(speech.say_item_quantity(count, item))
        except NotAllowed:
            refused.append(item.name)
    if refused:
        not_found = Ssml(f"{not_found} " + turn.text("items.not_added",
                                                     items=speech.say_list(refused)))
    if not added:
        return turn.reply("items.none_added", problems=not_found)
    return turn.reply("cart.added_several", added=speech.say_list(added), problems=not_found)


# --- handlers ------------------------------------------------------------------------------

class IntentHandler(AbstractRequestHandler):
    """Base: handles ``intent``; subclasses implement ``respond``, inside one transaction."""

    intent = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name(self.intent)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        with turn.runtime.transaction() as session:
            turn.db = session
            return self.respond(turn, session)

    def respond(self, turn: Turn, session: Session) -> Response:
        raise NotImplementedError


class LaunchHandler(AbstractRequestHandler):
    """The skill is opened: welcome, and say what the shopper can do."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        from skill.alexa.handoff import welcome  # what is still open: a callback, the cart

        return welcome(Turn.of(handler_input))


class ItemIntentHandler(IntentHandler):
    """Buy / reorder / add to cart: resolve the item (asking when unsure), then act."""

    def respond(self, turn: Turn, session: Session) -> Response:
        listed = item_list(turn.handler_input)
        if len(listed) > 1:
            return several_items(turn, session, self.intent, listed,
                                 quantity_slot_or_none(turn))
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        try:
            quantity = quantity_slot(turn.handler_input)
        except ValueError:
            return self._ask_how_many(turn, resolution)
        asked = ask_for_item(turn, self.intent, quantity, resolution)
        if asked is not None:
            return asked
        assert resolution is not None and resolution.best is not None
        return act_on_item(turn, session, self.intent, resolution.best.sku, quantity)

    def _ask_how_many(self, turn: Turn, resolution: Resolution | None) -> Response:
        """ "A few coffee pods": how many, exactly?"""
        sku = resolution.best.sku if resolution and resolution.status == "match" and \
            resolution.best else None
        question = {"kind": "quantity", "intent": self.intent, "sku": sku}
        if sku is None:
            return turn.reply("item.ask", question={"kind": "item", "intent": self.intent})
        return turn.reply("quantity.ask", question=question, item=resolution.best.name)


class ReorderHandler(ItemIntentHandler):
    intent = "ReorderIntent"


class BuyHandler(ItemIntentHandler):
    intent = "BuyIntent"


class AddToCartHandler(ItemIntentHandler):
    intent = "AddToCartIntent"


class SelectItemHandler(IntentHandler):
    """The answer to "which item?" or "did you mean A or B?": a name, "the first one", or a
    new request. An answer that is none of the choices asks again; it never picks."""

    intent = "SelectItemIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        if asked.get("kind") != "item":
            resolution = resolve_item(turn.handler_input, turn.runtime, session)
            if resolution is not None and resolution.status == "match":
                return turn.reply("item.what_about", item=resolution.best.name,
                                  question={"kind": "item", "intent": "AddToCartIntent",
                                            "choices": [resolution.best.sku]})
            return fallback(turn)
        choices = asked.get("choices") or []
        ordinal = ordinal_slot(turn.handler_input)
        if ordinal is not None and choices:
            index = ordinal - 1 if ordinal > 0 else len(choices) + ordinal
            if 0 <= index < len(choices):
                return act_on_item(turn, session, asked["intent"], choices[index],
                                   asked.get("quantity"))
            return ask_again(turn, session, asked)
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        if choices:
            offered = [c for c in (resolution.candidates if resolution else ())
                       if c.sku in choices and c.score >= 60]
            if resolution is not None and resolution.status != "none" and offered and (
                    resolution.best is None or resolution.best.sku in choices):
                return act_on_item(turn, session, asked["intent"], offered[0].sku,
                                   asked.get("quantity"))
            return ask_again(turn, session, asked)  # none of the choices: never pick one
        again = ask_for_item(turn, asked["intent"], asked.get("quantity"), resolution)
        if again is not None:
            return again
        assert resolution is not None and resolution.best is not None
        return act_on_item(turn, session, asked["intent"], resolution.best.sku,
                           asked.get("quantity"))


def ask_again(turn: Turn, session: Session, asked: dict) -> Response:
    """Repeat a which-item question: the answer fit none of its choices."""
    names = [i.name for i in (find_item(session, sku) for sku in asked.get("choices") or [])
             if i is not None]
    if not names:
        return turn.reply("item.ask", question=asked)
    return turn.reply("choice.ask_again", question=asked,
                      choices=speech.say_list(list(dict.fromkeys(names)), "or"))


class YesHandler(IntentHandler):
    """ "Yes" counts only as the answer to the question the last response asked."""

    intent = "AMAZON.YesIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        kind = asked.get("kind")
        if kind == "purchase":
            pending = purchase.Pending.from_dict(asked["pending"])
            if pending.step == "pin":
                return turn.reply("pin.unclear", question=asked)
            outcome = purchase.answer_yes(session, turn.runtime.store, account_of(turn, session),
                                          pending, idempotency_key=turn.request_id,
                                          channel=turn.channel, now=turn.now)
            return purchase_reply(turn, outcome)
        if kind in ("cancel_order", "offer"):
            from skill.alexa.shopping import cancel_asked_order, yes_to_offer

            answer = cancel_asked_order if kind == "cancel_order" else yes_to_offer
            return answer(turn, session, asked)
        if kind == "anything_else":
            return turn.reply("what_else")
        if kind == "offer_buy" and asked.get("sku"):
            return do_buy(turn, session, asked["sku"], asked.get("quantity"))
        if kind == "quantity":
            most = asked.get("most")
            if most and asked.get("sku"):  # "try a smaller amount?" - "yes": the most allowed
                return act_on_item(turn, session, asked.get("intent", "BuyIntent"), asked["sku"],
                                   int(most))
            return turn.reply("quantity.ask_again", question=asked)
        if kind == "item":
            choices = asked.get("choices") or []
            if len(choices) == 1:  # "Did you mean oat milk?" - "yes"
                return act_on_item(turn, session, asked["intent"], choices[0],
                                   asked.get("quantity"))
            return ask_again(turn, session, asked)
        if kind in ANSWERED_ELSEWHERE:
            from skill.alexa.handoff import answer_yes

            return answer_yes(turn, session, asked)
        return turn.reply("yes.nothing")


class NoHandler(IntentHandler):
    """ "No" declines the open question; after "Anything else?" it says goodbye."""

    intent = "AMAZON.NoIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        kind = asked.get("kind")
        if decline_pending(turn, "shopper said no"):
            return turn.reply("purchase.declined")
        if kind == "cancel_order":
            return turn.reply("cancel.kept")
        if kind == "anything_else":
            return turn.reply("goodbye", end=True)
        if kind in ("item", "quantity", "offer", "offer_buy"):
            return turn.reply("choice.none")
        if kind in ANSWERED_ELSEWHERE:
            from skill.alexa.handoff import answer_no

            return answer_no(turn, session, asked)
        return turn.reply("no.nothing")


class ProvidePinHandler(IntentHandler):
    """The voice PIN; a small number said while "how many?" is open is that number."""

    intent = "ProvidePinIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        if asked.get("kind") == "quantity":
            return answer_quantity(turn, session, asked, quantity_slot_or_none(turn, "Pin"))
        pending = (purchase.Pending.from_dict(asked["pending"])
                   if asked.get("kind") == "purchase" else None)
        if pending is None or pending.step != "pin":
            return turn.reply("pin.nothing")
        pin = pin_slot(turn.handler_input)
        if pin is None:
            return turn.reply("pin.unclear", question=asked)
        outcome = purchase.answer_pin(session, turn.runtime.store, account_of(turn, session),
                                      pending, pin, idempotency_key=turn.request_id,
                                      channel=turn.channel, now=turn.now)
        return purchase_reply(turn, outcome)


def quantity_slot_or_none(turn: Turn, name: str = "Quantity") -> int | None:
    """The number said, or None for nothing or nonsense."""
    try:
        return quantity_slot(turn.handler_input, name)
    except ValueError:
        return None


def answer_quantity(turn: Turn, session: Session, asked: dict, quantity: int | None
                    ) -> Response:
    """A number said to "how many?" (or "try a smaller amount?")."""
    if quantity is None or not asked.get("sku"):
        return turn.reply("quantity.ask_again", question=asked)
    most = asked.get("most")
    if most and quantity > int(most):
        return turn.reply("quantity.too_many", question=asked, most=speech.say_count(int(most)))
    return act_on_item(turn, session, asked.get("intent", "BuyIntent"), asked["sku"], quantity)


class HelpHandler(IntentHandler):
    """Help that fits where the shopper is; a purchase in progress is put on hold."""

    intent = "AMAZON.HelpIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        return help_for(turn, session)


def help_for(turn: Turn, session: Session) -> Response:
    """Help for the question that is open (or general help)."""
    asked = turn.asked or {}
    pending = decline_pending(turn, "shopper asked for help")
    if pending is not None:
        if pending.step == "pin":
            return turn.reply("help.pin")
        item = find_item(session, pending.lines[0][0]) if pending.lines else None
        account = account_of(turn, session)
        if item is not None and suggestable(account, item):
            return turn.reply("help.purchase", item=item.name)
        return turn.reply("help.purchase_general")
    kind = asked.get("kind")
    if kind == "item":
        choices = [i for i in (find_item(session, s) for s in asked.get("choices") or []) if i]
        if choices:
            return turn.reply("help.choosing", question=asked, example=choices[0].name,
                              choices=speech.say_list(distinct_names(choices), "or"))
        return turn.reply("help.naming", question=asked)
    if kind == "quantity":
        return turn.reply("help.quantity", question=asked)
    if kind in ("cancel_order", "anything_else", *ANSWERED_ELSEWHERE):
        return turn.reply("help.yes_no", question=asked, reprompt_question=Ssml(
            (turn.session.get(LAST) or {}).get("reprompt") or ""))
    return turn.reply("help.general")


class StopHandler(AbstractRequestHandler):
    """Stop and NavigateHome end the session; anything pending is not bought."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in
                   ("AMAZON.StopIntent", "AMAZON.NavigateHomeIntent"))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        if decline_pending(turn, "shopper said stop"):
            return turn.reply("goodbye.nothing_ordered", end=True)
        return turn.reply("goodbye", end=True)


class CancelHandler(AbstractRequestHandler):
    """ "Never mind" / "cancel": drops the step in progress, not the session; with nothing
    in progress it ends the session like Stop."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.CancelIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        if decline_pending(turn, "shopper said cancel"):
            return turn.reply("cancel.step_purchase")
        if turn.asked and turn.asked.get("kind") != "anything_else":
            return turn.reply("cancel.step")
        return turn.reply("goodbye", end=True)


class RepeatHandler(AbstractRequestHandler):
    """Says the last reply again, with its question still open."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        last = turn.session.get(LAST)
        if not isinstance(last, dict) or not last.get("speech"):
            return turn.reply("repeat.nothing")
        if last.get("question") and last["question"] != turn.asked:  # not asked here and now
            return turn.reply("repeat.nothing")
        return turn.say(last["speech"], last["reprompt"], question=turn.asked)


class PreviousHandler(AbstractRequestHandler):
    """ "Go back": the question before the last one, asked again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.PreviousIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        previous = turn.session.get(PREVIOUS)
        if not isinstance(previous, dict) or not previous.get("reprompt"):
            return turn.reply("previous.nothing")
        decline_pending(turn, "shopper went back")
        question = previous.get("question")
        if not question_valid(question, turn.session_id, turn.now,
                              key=turn.runtime.signing_key, user_id=turn.user_id,
                              max_age=PREVIOUS_TTL):
            return turn.reply("previous.nothing")
        if question.get("kind") == "purchase":
            return turn.reply("previous.purchase")  # asked anew, never re-armed from the past
        return turn.say(turn.text("previous.back", question=Ssml(previous["reprompt"])),
                        previous["reprompt"], question=question)


def fallback(turn: Turn) -> Response:
    """Not understood: the open question is asked again (nothing bought); the second miss in
    a row gets help that fits the open question, or else the offer of a callback (as does
    a third miss). Every miss is recorded for the merchant (``skill.alexa.listening``)."""
    misses = int(turn.session.get(MISSES) or 0)
    last = turn.session.get(LAST) or {}
    note_unserved(turn.handler_input, "fallback", turn.db)
    if misses >= 1:
        from skill.alexa.handoff import misunderstood_again

        note_unserved(turn.handler_input, "repeated_miss", turn.db)
        answer = help_for if turn.asked and misses == 1 else misunderstood_again
        if turn.db is not None:
            response = answer(turn, turn.db)
        else:
            with turn.runtime.transaction() as session:
                turn.db = session
                response = answer(turn, session)
        turn.session[MISSES] = misses + 1
        return response
    if turn.asked and last.get("reprompt"):
        return turn.say(turn.text("fallback.question", question=Ssml(last["reprompt"])),
                        last["reprompt"], question=turn.asked, missed=True)
    return turn.reply("fallback")


class FallbackHandler(AbstractRequestHandler):
    """Anything not understood (AMAZON.FallbackIntent or an unknown intent)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return fallback(Turn.of(handler_input))


class SessionEndedHandler(AbstractRequestHandler):
    """The session closed (silence, error, or the shopper left): log a pending purchase."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        request = handler_input.request_envelope.request
        log.info("session ended: %s %s", getattr(request, "reason", None),
                 getattr(getattr(request, "error", None), "message", "") or "")
        if turn.asked:  # a question left open: the shopper gave up on it
            reason = getattr(request, "reason", None)
            note(handler_input, "abandoned", text=str(getattr(reason, "value", reason) or ""))
        decline_pending(turn, "session ended")
        return handler_input.response_builder.response


class ErrorHandler(AbstractExceptionHandler):
    """The one catch-all: apologise by voice and log. The transaction has rolled back."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.exception("handler failed: %s", exception)
        attrs = handler_input.attributes_manager.request_attributes
        prompt = attrs.get("prompts", Prompts()).render("error.generic")
        builder = handler_input.response_builder
        builder.speak(prompt.speech).ask(prompt.reprompt)
        if handler_input.request_envelope.session is not None:
            handler_input.attributes_manager.session_attributes.pop("question", None)
        return builder.response

