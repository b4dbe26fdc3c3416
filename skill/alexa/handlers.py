"""One handler per intent. Each reads the request, calls the commerce services inside one
transaction, and answers with a prompt; the rules themselves live in ``skill.purchase``,
``skill.policy`` and the services, not here."""

from __future__ import annotations

import logging
from datetime import datetime

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from skill import purchase, speech
from skill.accounts import Account, get_or_create_account
from skill.alexa.slots import choices_of, pin_slot, quantity_slot, resolve_item
from skill.alexa.turn import LAST, Turn
from skill.cart import add_to_cart, clear_cart, read_cart, remove_from_cart
from skill.catalog import CatalogItem, Restriction, get_item, list_items
from skill.errors import NotAllowed, NotFound
from skill.orders import (
    Order,
    OrderLine,
    OrderStatus,
    Quote,
    cancel_deadline,
    cancel_order,
    get_order,
    latest_order,
)
from skill.prompts import Prompts, Ssml
from skill.resolution import Resolution

log = logging.getLogger(__name__)

MAX_LISTED = 6
"""Items read out at most in one list; the rest are counted ("and 4 more")."""


# --- shared phrasing -----------------------------------------------------------------------

def _items_phrase(lines: list[tuple[int, str]]) -> str:
    spoken = [speech.say_quantity(qty, name) for qty, name in lines[:MAX_LISTED]]
    if len(lines) > MAX_LISTED:
        spoken.append(f"{len(lines) - MAX_LISTED} more items")
    return speech.say_list(spoken)


def quote_items(q: Quote) -> str:
    """What a quote buys, spoken: "two coffee pods and one dish soap"."""
    return _items_phrase([(ln.quantity, ln.name) for ln in q.lines])


def order_items(order: Order) -> str:
    """What an order holds, spoken."""
    return _items_phrase([(ln.quantity, ln.name) for ln in order.lines])


def _money(turn: Turn, minor: int) -> str:
    return speech.say_money(minor, turn.runtime.store.currency)


def _card_lines(lines: list[OrderLine], currency: str) -> str:
    return "\n".join(f"{ln.quantity} x {ln.name} at "
                     f"{speech.say_money(ln.unit_price_minor, currency)}" for ln in lines)


# --- the purchase conversation -------------------------------------------------------------

def purchase_reply(turn: Turn, outcome: purchase.Outcome) -> Response:
    """Say what a purchase step came to, and ask the next question if there is one."""
    store = turn.runtime.store
    kind = outcome.kind
    if kind in ("ask_confirm", "changed"):
        q = outcome.quote
        assert q is not None and outcome.pending is not None
        key = ("purchase.confirm_approval" if outcome.pending.verdict == "approval"
               else "purchase.confirm")
        values = {"seller": store.seller, "items": quote_items(q),
                  "total": _money(turn, q.total_minor),
                  "delivery": speech.say_date(q.expected_delivery, turn.now.date())}
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
        return turn.reply("purchase.refused_category", item=decision.item)
    order = outcome.order
    assert order is not None
    card_values = {"seller": store.seller, "lines": _card_lines(order.lines, order.currency),
                   "subtotal": _money(turn, order.subtotal_minor),
                   "tax": _money(turn, order.tax_minor),
                   "delivery_fee": _money(turn, order.delivery_minor),
                   "total": _money(turn, order.total_minor),
                   "delivery": speech.say_date(order.expected_delivery, turn.now.date()),
                   "order_id": order.id}
    if kind == "placed":
        details = turn.text("purchase.details_email" if order.account.email
                            else "purchase.details_app")
        return turn.reply("purchase.placed", card=("card.placed", card_values),
                          items=order_items(order), total=card_values["total"],
                          delivery=card_values["delivery"], details=details,
                          window=speech.say_duration(store.cancel_window_minutes))
    decision = outcome.decision
    if decision is not None and decision.limit_minor is not None:
        return turn.reply("purchase.sent_for_approval_limit", card=("card.approval", card_values),
                          items=order_items(order), total=card_values["total"],
                          limit=_money(turn, decision.limit_minor))
    return turn.reply("purchase.sent_for_approval", card=("card.approval", card_values),
                      items=order_items(order), total=card_values["total"])


def _refusal_for(turn: Turn, exc: NotAllowed | NotFound, item: CatalogItem | None) -> Response:
    """What to say when an item cannot be ordered as asked."""
    name = item.name if item else getattr(exc, "item", "")
    if isinstance(exc, NotAllowed) and exc.code == "over_max_quantity" and item is not None:
        return turn.reply("item.over_max", item=name, max=item.max_quantity)
    if isinstance(exc, NotAllowed) and exc.code == "not_voice_orderable":
        return turn.reply("item.not_voice_orderable", item=name)
    if isinstance(exc, NotAllowed) and exc.code == "out_of_stock":
        if not exc.left:
            return turn.reply("item.out_of_stock", item=name)
        return turn.reply("item.low_stock", left=speech.say_quantity(exc.left, name),
                          count=exc.left, item=name)
    if isinstance(exc, NotFound) and item is not None:
        return turn.reply("reorder.never_ordered", item=name)
    raise exc


def _ask_for_item(turn: Turn, intent: str, quantity: int | None,
                  resolution: Resolution | None) -> Response | None:
    """Ask which item when none was named, it was unclear, or unknown; None when matched."""
    question = {"kind": "item", "intent": intent, "quantity": quantity}
    if resolution is None:
        return turn.reply("item.ask", question=question)
    if resolution.status == "none":
        return turn.reply("item.unknown", heard=resolution.query)
    if resolution.status == "ambiguous":
        choices = choices_of(resolution)
        question["choices"] = [c.sku for c in choices]
        return turn.reply("item.ambiguous", question=question,
                          choices=speech.say_list([c.name for c in choices], "or"))
    return None


def _account(turn: Turn, session: Session) -> Account:
    # Locked: two speakers (or two workers) on one account take turns, so a cart line or a
    # purchase decision is never made on a stale read.
    return get_or_create_account(session, turn.user_id, lock=True)


def decline_pending(turn: Turn, reason: str) -> purchase.Pending | None:
    """If the last question was a purchase's, log it as declined (in its own transaction)."""
    asked = turn.asked or {}
    if asked.get("kind") != "purchase":
        return None
    pending = purchase.Pending.from_dict(asked["pending"])
    with turn.runtime.transaction() as session:
        purchase.answer_no(session, turn.runtime.store, _account(turn, session), pending,
                           channel=turn.channel, reason=reason)
    return pending


def do_reorder(turn: Turn, session: Session, sku: str, quantity: int | None) -> Response:
    """Start reordering ``sku``: restate and ask, or say why not."""
    item = get_item(session, sku)
    try:
        outcome = purchase.start_reorder(session, turn.runtime.store, _account(turn, session),
                                         sku, quantity, turn.channel, turn.now)
    except (NotAllowed, NotFound) as exc:
        return _refusal_for(turn, exc, item)
    return purchase_reply(turn, outcome)


def do_add_to_cart(turn: Turn, session: Session, sku: str, quantity: int | None) -> Response:
    """Put ``quantity`` (default one) of ``sku`` in the cart."""
    item = get_item(session, sku)
    account = _account(turn, session)
    try:
        with session.begin_nested():
            in_cart = add_to_cart(session, account, item, quantity or 1)
    except NotAllowed as exc:
        return _refusal_for(turn, exc, item)
    return turn.reply("cart.added", added=speech.say_quantity(quantity or 1, item.name),
                      in_cart=speech.say_quantity(in_cart, item.name))


_ITEM_ACTIONS = {"ReorderIntent": do_reorder, "AddToCartIntent": do_add_to_cart}


# --- handlers ------------------------------------------------------------------------------

class IntentHandler(AbstractRequestHandler):
    """Base: handles ``intent``; subclasses implement ``respond``."""

    intent = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name(self.intent)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        with turn.runtime.transaction() as session:
            return self.respond(turn, session)

    def respond(self, turn: Turn, session: Session) -> Response:
        raise NotImplementedError


class LaunchHandler(AbstractRequestHandler):
    """The skill is opened: welcome, and say what the shopper can do."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        return turn.reply("launch", seller=turn.runtime.store.seller)


class ItemIntentHandler(IntentHandler):
    """Reorder / add to cart: resolve the item (asking when unsure), then act."""

    def respond(self, turn: Turn, session: Session) -> Response:
        try:
            quantity = quantity_slot(turn.handler_input)
        except ValueError:
            return turn.reply("item.bad_quantity", item="coffee pods")
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        asked = _ask_for_item(turn, self.intent, quantity, resolution)
        if asked is not None:
            return asked
        assert resolution is not None and resolution.best is not None
        return _ITEM_ACTIONS[self.intent](turn, session, resolution.best.sku, quantity)


class ReorderHandler(ItemIntentHandler):
    intent = "ReorderIntent"


class AddToCartHandler(ItemIntentHandler):
    intent = "AddToCartIntent"


class SelectItemHandler(IntentHandler):
    """The answer to "which item?" or "did you mean A or B?"."""

    intent = "SelectItemIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        if asked.get("kind") != "item":
            return turn.reply("fallback")
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        choices = asked.get("choices") or []
        if resolution is not None and choices:
            offered = [c for c in resolution.candidates if c.sku in choices]
            if resolution.status != "none" and offered:
                return _ITEM_ACTIONS[asked["intent"]](turn, session, offered[0].sku,
                                                      asked.get("quantity"))
            names = [get_item(session, sku).name for sku in choices]
            return turn.reply("choice.ask_again", question=asked,
                              choices=speech.say_list(names, "or"))
        again = _ask_for_item(turn, asked["intent"], asked.get("quantity"), resolution)
        if again is not None:
            return again
        assert resolution is not None and resolution.best is not None
        return _ITEM_ACTIONS[asked["intent"]](turn, session, resolution.best.sku,
                                              asked.get("quantity"))


class RemoveFromCartHandler(IntentHandler):
    intent = "RemoveFromCartIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        account = _account(turn, session)
        if resolution is None or resolution.status != "match":
            in_cart = {e.sku: e.name for e in read_cart(session, account)}
            # An unclear name is settled by what is actually in the cart.
            matches = [c for c in (resolution.candidates if resolution else ())
                       if c.sku in in_cart and c.score >= 60]
            if resolution is None or not matches:
                heard = resolution.query if resolution else "that"
                return turn.reply("cart.not_in_cart", item=heard)
            sku = matches[0].sku
        else:
            sku = resolution.best.sku  # type: ignore[union-attr]
        item = get_item(session, sku)
        try:
            remove_from_cart(session, account, item)
        except NotFound:
            return turn.reply("cart.not_in_cart", item=item.name)
        rest = read_cart(session, account)
        rest_text = (turn.text("cart.rest_some", items=_items_phrase(
            [(e.quantity, e.name) for e in rest])) if rest else turn.text("cart.rest_empty"))
        return turn.reply("cart.removed", item=item.name, rest=rest_text)


class ReadCartHandler(IntentHandler):
    intent = "ReadCartIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        entries = read_cart(session, _account(turn, session))
        if not entries:
            return turn.reply("cart.empty")
        subtotal = sum(e.total_minor for e in entries)
        return turn.reply("cart.read", items=_items_phrase([(e.quantity, e.name)
                                                            for e in entries]),
                          subtotal=_money(turn, subtotal))


class ClearCartHandler(IntentHandler):
    intent = "ClearCartIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        if clear_cart(session, _account(turn, session)) == 0:
            return turn.reply("cart.empty")
        return turn.reply("cart.cleared")


class CheckoutHandler(IntentHandler):
    intent = "CheckoutIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        account = _account(turn, session)
        if not read_cart(session, account):
            return turn.reply("checkout.empty")
        try:
            outcome = purchase.start_checkout(session, turn.runtime.store, account,
                                              turn.channel, turn.now)
        except NotAllowed as exc:
            entries = {e.sku for e in read_cart(session, account)}
            item = next((i for i in list_items(session) if i.sku in entries and (
                i.restriction == Restriction.BLOCKED.value or not i.reorderable)), None)
            return _refusal_for(turn, exc, item)
        return purchase_reply(turn, outcome)


class OrderStatusHandler(IntentHandler):
    intent = "OrderStatusIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        account = _account(turn, session)
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        item = None
        if resolution is not None:
            if resolution.status == "none":
                return turn.reply("status.none_for_item", item=resolution.query)
            item = get_item(session, resolution.best.sku)  # type: ignore[union-attr]
        order = latest_order(session, account, item)
        if order is None:
            if item is not None:
                return turn.reply("status.none_for_item", item=item.name)
            return turn.reply("status.none")
        delivered_at = next((e.at for e in reversed(order.events)
                             if e.status == OrderStatus.DELIVERED.value), order.created_at)
        delivery = speech.say_date(order.expected_delivery, turn.now.date())
        card = ("card.status", {"order_id": order.id, "status": order.status.replace("_", " "),
                                "lines": _card_lines(order.lines, order.currency),
                                "total": _money(turn, order.total_minor),
                                "delivery": delivery})
        return turn.reply(f"status.{order.status}", card=card, items=order_items(order),
                          delivery=delivery, when=speech.say_ago(delivered_at, turn.now))


class CancelOrderHandler(IntentHandler):
    """ "Cancel my last order": check the window, then ask before cancelling."""

    intent = "CancelOrderIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        store = turn.runtime.store
        order = latest_order(session, _account(turn, session))
        status = OrderStatus(order.status) if order else None
        if order is None or status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            return turn.reply("cancel.nothing")
        items = order_items(order)
        if status not in (OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL):
            return turn.reply("cancel.already_shipped", items=items)
        if status is OrderStatus.PLACED and turn.now > cancel_deadline(order, store):
            return turn.reply("cancel.window_closed", items=items,
                              window=speech.say_duration(store.cancel_window_minutes))
        return turn.reply("cancel.confirm", question={"kind": "cancel_order",
                                                      "order_id": order.id},
                          items=items, total=_money(turn, order.total_minor),
                          when=speech.say_ago(order.created_at, turn.now))


class ListReorderablesHandler(IntentHandler):
    intent = "ListReorderablesIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        account = _account(turn, session)
        ordered = session.scalars(
            select(CatalogItem).join(OrderLine, OrderLine.item_id == CatalogItem.id)
            .join(Order).where(Order.account_id == account.id,
                               CatalogItem.reorderable.is_(True),
                               CatalogItem.restriction != Restriction.BLOCKED.value)
            .group_by(CatalogItem.id).order_by(CatalogItem.name)).all()
        if ordered:
            return turn.reply("list.reorderables", items=_names(ordered),
                              example=ordered[0].name)
        available = list_items(session, reorderable_only=True)
        if not available:
            return turn.reply("list.empty")
        return turn.reply("list.catalog", items=_names(available), example=available[0].name)


def _names(items: list[CatalogItem]) -> str:
    names = [i.name for i in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        names.append(f"{len(items) - MAX_LISTED} more")
    return speech.say_list(names)


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
            outcome = purchase.answer_yes(session, turn.runtime.store, _account(turn, session),
                                          pending, idempotency_key=turn.request_id,
                                          channel=turn.channel, now=turn.now)
            return purchase_reply(turn, outcome)
        if kind == "cancel_order":
            order = get_order(session, int(asked["order_id"]))
            try:
                cancel_order(session, turn.runtime.store, _account(turn, session), order,
                             turn.now)
            except NotAllowed as exc:
                store = turn.runtime.store
                if exc.code == "cancel_window_closed":
                    return turn.reply("cancel.window_closed", items=order_items(order),
                                      window=speech.say_duration(store.cancel_window_minutes))
                return turn.reply("cancel.already_shipped", items=order_items(order))
            return turn.reply("cancel.done", items=order_items(order))
        if kind == "item":
            choices = [get_item(session, sku).name for sku in asked.get("choices") or []]
            if choices:
                return turn.reply("choice.ask_again", question=asked,
                                  choices=speech.say_list(choices, "or"))
            return turn.reply("item.ask", question=asked)
        return turn.reply("yes.nothing")


class NoHandler(IntentHandler):
    intent = "AMAZON.NoIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        if decline_pending(turn, "shopper said no"):
            return turn.reply("purchase.declined")
        if asked.get("kind") == "cancel_order":
            return turn.reply("cancel.kept")
        return turn.reply("no.nothing")


class ProvidePinHandler(IntentHandler):
    intent = "ProvidePinIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        pending = (purchase.Pending.from_dict(asked["pending"])
                   if asked.get("kind") == "purchase" else None)
        if pending is None or pending.step != "pin":
            return turn.reply("pin.nothing")
        pin = pin_slot(turn.handler_input)
        if pin is None:
            return turn.reply("pin.unclear", question=asked)
        outcome = purchase.answer_pin(session, turn.runtime.store, _account(turn, session),
                                      pending, pin, idempotency_key=turn.request_id,
                                      channel=turn.channel, now=turn.now)
        return purchase_reply(turn, outcome)


class HelpHandler(IntentHandler):
    """Help that fits where the shopper is; a purchase in progress is put on hold."""

    intent = "AMAZON.HelpIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        pending = decline_pending(turn, "shopper asked for help")
        if pending is not None:
            if pending.step == "pin":
                return turn.reply("help.pin")
            name = get_item(session, pending.lines[0][0]).name if pending.lines else "it"
            return turn.reply("help.purchase", item=name)
        if asked.get("kind") == "item":
            choices = asked.get("choices") or []
            example = get_item(session, choices[0]).name if choices else "paper towels"
            return turn.reply("help.choosing", question=asked, example=example)
        return turn.reply("help.general")


class StopHandler(AbstractRequestHandler):
    """Cancel, Stop, NavigateHome: end the session; anything pending is not bought."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in
                   ("AMAZON.CancelIntent", "AMAZON.StopIntent", "AMAZON.NavigateHomeIntent"))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        if decline_pending(turn, "shopper said stop"):
            return turn.reply("goodbye.nothing_ordered", end=True)
        return turn.reply("goodbye", end=True)


class RepeatHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        last = turn.session.get(LAST)
        if not last:
            return turn.reply("repeat.nothing")
        return turn.say(last["speech"], last["reprompt"], question=last.get("question"))


class FallbackHandler(AbstractRequestHandler):
    """Anything not understood (AMAZON.FallbackIntent or an unknown intent)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        last = turn.session.get(LAST) or {}
        if turn.asked and last.get("question") == turn.asked and last.get("reprompt"):
            # Keep the question open, but make clear nothing was bought.
            return turn.say(turn.text("fallback.question", question=Ssml(last["reprompt"])),
                            last["reprompt"], question=turn.asked)
        return turn.reply("fallback")


class SessionEndedHandler(AbstractRequestHandler):
    """The session closed (silence, error, or the shopper left): log a pending purchase."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        request = handler_input.request_envelope.request
        log.info("session ended: %s %s", getattr(request, "reason", None),
                 getattr(getattr(request, "error", None), "message", "") or "")
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


REQUEST_HANDLERS = [
    LaunchHandler(), ReorderHandler(), AddToCartHandler(), SelectItemHandler(),
    RemoveFromCartHandler(), ReadCartHandler(), ClearCartHandler(), CheckoutHandler(),
    OrderStatusHandler(), CancelOrderHandler(), ListReorderablesHandler(), YesHandler(),
    NoHandler(), ProvidePinHandler(), HelpHandler(), StopHandler(), RepeatHandler(),
    SessionEndedHandler(), FallbackHandler(),
]
"""In dispatch order: the catch-all FallbackHandler last."""
