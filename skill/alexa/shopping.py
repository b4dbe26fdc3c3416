"""Handlers of the cart, of orders after they are placed, and of questions about the store
(what it sells, prices, what is in stock). Purchases themselves: ``skill.alexa.handlers``."""

from __future__ import annotations

from ask_sdk_model import Response
from sqlalchemy.orm import Session

from skill import purchase, speech
from skill.alexa.examples import history_items, suggestable
from skill.alexa.handlers import (
    IntentHandler,
    account_of,
    act_on_item,
    answer_quantity,
    ask_for_item,
    do_set_quantity,
    purchase_reply,
    quantity_slot_or_none,
    refusal_for,
)
from skill.alexa.phrasing import BROWSE_PAGE, items_phrase, money, names, order_items
from skill.alexa.slots import category_slot, resolve_item
from skill.alexa.turn import Turn
from skill.cart import clear_cart, read_cart, remove_from_cart
from skill.catalog import CatalogItem, Restriction, get_item, list_items
from skill.errors import NotAllowed, NotFound
from skill.orders import (
    OrderStatus,
    cancel_deadline,
    cancel_order,
    get_order,
    latest_order,
)
from skill.resolution import Resolution

LISTING = "listing"
"""Session attribute: the list being read a few at a time ("more" reads on)."""


def _in_cart_sku(turn: Turn, session: Session, resolution: Resolution | None) -> str | None:
    """The cart line a (possibly unclear) item name means: settled by what is in the cart."""
    if resolution is not None and resolution.status == "match" and resolution.best:
        return resolution.best.sku
    in_cart = {e.sku for e in read_cart(session, account_of(turn, session))}
    matches = [c for c in (resolution.candidates if resolution else ())
               if c.sku in in_cart and c.score >= 60]
    return matches[0].sku if matches else None


def _rest_of_cart(turn: Turn, session: Session) -> str:
    rest = read_cart(session, account_of(turn, session))
    if not rest:
        return turn.text("cart.rest_empty")
    return turn.text("cart.rest_some", items=items_phrase(rest))


class RemoveFromCartHandler(IntentHandler):
    """ "Remove the oat milk" takes the line out; "remove one oat milk" takes one."""

    intent = "RemoveFromCartIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        sku = _in_cart_sku(turn, session, resolution)
        if sku is None:
            heard = speech.heard(resolution.query) if resolution else ""
            if not heard:
                return turn.reply("cart.remove_which")
            return turn.reply("cart.not_in_cart", item=heard)
        item = get_item(session, sku)
        quantity = quantity_slot_or_none(turn)
        try:
            left = remove_from_cart(session, account_of(turn, session), item, quantity)
        except NotFound:
            return turn.reply("cart.not_in_cart", item=item.name)
        if left:
            return turn.reply("cart.reduced",
                              removed=speech.say_item_quantity(quantity or 0, item),
                              left=speech.say_item_quantity(left, item))
        return turn.reply("cart.removed", item=item.name, rest=_rest_of_cart(turn, session))


class ChangeQuantityHandler(IntentHandler):
    """ "Make it three": the answer to "how many?", a new quantity for the purchase being
    restated, or a cart line's quantity ("change the coffee pods to two")."""

    intent = "ChangeQuantityIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        asked = turn.asked or {}
        quantity = quantity_slot_or_none(turn)
        if asked.get("kind") == "quantity":
            return answer_quantity(turn, session, asked, quantity)
        if quantity is None:
            return turn.reply("quantity.unclear")
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        if asked.get("kind") == "purchase":
            pending = purchase.Pending.from_dict(asked["pending"])
            if pending.kind in ("buy", "reorder") and len(pending.lines) == 1 and (
                    resolution is None or (resolution.best and
                                           resolution.best.sku == pending.lines[0][0])):
                purchase.answer_no(session, turn.runtime.store, account_of(turn, session),
                                   pending, channel=turn.channel, reason="quantity changed")
                return act_on_item(turn, session, "BuyIntent", pending.lines[0][0], quantity)
        sku = _in_cart_sku(turn, session, resolution) if resolution else None
        if sku is None and resolution is None:
            entries = read_cart(session, account_of(turn, session))
            last = turn.session.get("last_item")
            sku = last if last in {e.sku for e in entries} else (
                entries[0].sku if len(entries) == 1 else None)
        if sku is None:
            if resolution is not None:
                return turn.reply("cart.not_in_cart", item=speech.heard(resolution.query))
            return turn.reply("quantity.which_item")
        return do_set_quantity(turn, session, sku, quantity)


class ReadCartHandler(IntentHandler):
    """What is in the cart; "is oat milk on my list?" answers for that item."""

    intent = "ReadCartIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        entries = read_cart(session, account_of(turn, session))
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        if resolution is not None:
            entry = next((e for e in entries if resolution.best and
                          e.sku in {c.sku for c in resolution.candidates[:2]}), None)
            if entry is not None:
                return turn.reply("cart.has_item",
                                  in_cart=speech.say_item_quantity(entry.quantity, entry))
            return turn.reply("cart.not_in_cart", item=speech.heard(resolution.query))
        if not entries:
            return turn.reply("cart.empty")
        subtotal = sum(e.total_minor for e in entries)
        return turn.reply("cart.read", items=items_phrase(entries),
                          subtotal=money(subtotal, turn.runtime.store.currency))


class ClearCartHandler(IntentHandler):
    intent = "ClearCartIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        if clear_cart(session, account_of(turn, session)) == 0:
            return turn.reply("cart.empty")
        return turn.reply("cart.cleared")


class CheckoutHandler(IntentHandler):
    intent = "CheckoutIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        account = account_of(turn, session)
        if not read_cart(session, account):
            return turn.reply("checkout.empty")
        try:
            outcome = purchase.start_checkout(session, turn.runtime.store, account,
                                              turn.channel, turn.now)
        except NotAllowed as exc:
            entries = {e.sku for e in read_cart(session, account)}
            item = next((i for i in list_items(session) if i.sku in entries and (
                i.restriction == Restriction.BLOCKED.value or not i.reorderable)), None)
            return refusal_for(turn, exc, item, "AddToCartIntent")
        return purchase_reply(turn, outcome)


class OrderStatusHandler(IntentHandler):
    intent = "OrderStatusIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        account = account_of(turn, session)
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        item = None
        if resolution is not None:
            if resolution.status == "none" or resolution.best is None:
                return turn.reply("status.none_for_item", item=speech.heard(resolution.query))
            item = get_item(session, resolution.best.sku)
        order = latest_order(session, account, item)
        if order is None:
            if item is not None:
                return turn.reply("status.none_for_item", item=item.name)
            return turn.reply("status.none")
        delivered_at = next((e.at for e in reversed(order.events)
                             if e.status == OrderStatus.DELIVERED.value), order.created_at)
        delivery = speech.say_date(order.expected_delivery, turn.now.date())
        card = ("card.status", {"order_id": order.id, "status": order.status.replace("_", " "),
                                "lines": "\n".join(f"{ln.quantity} x {ln.name}"
                                                   for ln in order.lines),
                                "total": money(order.total_minor, order.currency),
                                "delivery": delivery})
        return turn.reply(f"status.{order.status}", card=card, items=order_items(order),
                          delivery=delivery, when=speech.say_ago(delivered_at, turn.now))


class CancelOrderHandler(IntentHandler):
    """ "Cancel my last order": check the window, then ask before cancelling."""

    intent = "CancelOrderIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        store = turn.runtime.store
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        item = (get_item(session, resolution.best.sku) if resolution is not None and
                resolution.status == "match" and resolution.best else None)
        order = latest_order(session, account_of(turn, session), item)  # "...for the dollhouse"
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
                          items=items, total=money(order.total_minor, order.currency),
                          when=speech.say_ago(order.created_at, turn.now))


def cancel_asked_order(turn: Turn, session: Session, asked: dict) -> Response:
    """ "Yes" to "Do you want to cancel it?"."""
    store = turn.runtime.store
    order = get_order(session, int(asked["order_id"]))
    try:
        cancel_order(session, store, account_of(turn, session), order, turn.now)
    except NotAllowed as exc:
        if exc.code == "cancel_window_closed":
            return turn.reply("cancel.window_closed", items=order_items(order),
                              window=speech.say_duration(store.cancel_window_minutes))
        return turn.reply("cancel.already_shipped", items=order_items(order))
    return turn.reply("cancel.done", items=order_items(order))


# --- what the store sells -------------------------------------------------------------------

def _read_page(turn: Turn, listing: dict, items: list[CatalogItem]) -> Response:
    """Read the next few items of a listing; "more" goes on where this stops."""
    start = int(listing.get("offset") or 0)
    page = items[start:start + BROWSE_PAGE]
    if not page:
        turn.session.pop(LISTING, None)
        return turn.reply("list.no_more")
    rest = len(items) - start - len(page)
    if rest:
        turn.session[LISTING] = {**listing, "offset": start + len(page)}
    else:
        turn.session.pop(LISTING, None)
    key = "list.next" if start else listing["key"]
    return turn.reply(key + (".more" if rest else ""), items=names(page),
                      rest=speech.say_count(rest), category=listing.get("category") or "",
                      example=page[0].name)


def _listing_items(turn: Turn, session: Session, listing: dict) -> list[CatalogItem]:
    account = account_of(turn, session)
    if listing["key"] == "list.reorderables":
        return [i for i in history_items(session, account) if suggestable(account, i)]
    items = [i for i in list_items(session, reorderable_only=True) if suggestable(account, i)]
    category = listing.get("category")
    return [i for i in items if not category or i.category.lower() == category.lower()]


class ListReorderablesHandler(IntentHandler):
    """What the shopper has bought before and may simply buy again."""

    intent = "ListReorderablesIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        listing = {"key": "list.reorderables"}
        items = _listing_items(turn, session, listing)
        if not items:
            return turn.reply("list.no_history")
        return _read_page(turn, listing, items)


class BrowseCatalogHandler(IntentHandler):
    """What the store sells, in one category or all, a few at a time."""

    intent = "BrowseCatalogIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        category = category_slot(turn.handler_input)
        known = {i.category.lower(): i.category for i in list_items(session)}
        if category and category.lower() not in known:
            return turn.reply("list.no_category", category=speech.heard(category),
                              categories=speech.say_list(sorted(known.values())))
        listing = {"key": "list.category" if category else "list.catalog",
                   "category": known.get((category or "").lower(), "")}
        items = _listing_items(turn, session, listing)
        if not items:
            return turn.reply("list.empty")
        return _read_page(turn, listing, items)


class MoreHandler(IntentHandler):
    """ "More": the next few of the list being read."""

    intent = "AMAZON.MoreIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        listing = turn.session.get(LISTING)
        if not isinstance(listing, dict) or listing.get("key") not in (
                "list.reorderables", "list.catalog", "list.category"):
            return turn.reply("list.no_more")
        return _read_page(turn, listing, _listing_items(turn, session, listing))


class PriceHandler(IntentHandler):
    """ "How much are the coffee pods?"."""

    intent = "PriceIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        asked = ask_for_item(turn, "BuyIntent", None, resolution)
        if asked is not None:
            return asked
        item = get_item(session, resolution.best.sku)
        price = money(item.price_minor, item.currency)
        if not suggestable(account_of(turn, session), item):
            return turn.reply("item.price_only", costs=speech.say_price_of(item, price))
        return turn.reply("item.price", costs=speech.say_price_of(item, price),
                          question={"kind": "offer", "sku": item.sku})


class AvailabilityHandler(IntentHandler):
    """ "Do you have dog food?": yes (and how many are left when few), or no."""

    intent = "AvailabilityIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        resolution = resolve_item(turn.handler_input, turn.runtime, session)
        if resolution is not None and resolution.status == "none":
            return turn.reply("item.not_sold", item=speech.heard(resolution.query))
        asked = ask_for_item(turn, "BuyIntent", None, resolution)
        if asked is not None:
            return asked
        item = get_item(session, resolution.best.sku)
        price = money(item.price_minor, item.currency)
        if item.stock == 0:
            return turn.reply("item.out_of_stock", item=item.name)
        if not suggestable(account_of(turn, session), item):
            return turn.reply("item.available_only", item=item.name, price=price)
        if item.stock is not None and item.stock <= 5:
            return turn.reply("item.available_few", item=item.name, price=price,
                              left=speech.say_count(item.stock),
                              question={"kind": "offer", "sku": item.sku})
        return turn.reply("item.available", item=item.name, price=price,
                          question={"kind": "offer", "sku": item.sku})


def yes_to_offer(turn: Turn, session: Session, asked: dict) -> Response:
    """ "Yes" to "Should I add it to your cart?" after a price or stock answer."""
    try:
        return act_on_item(turn, session, "AddToCartIntent", asked["sku"], None)
    except (NotAllowed, NotFound) as exc:
        return refusal_for(turn, exc, None)


SHOPPING_HANDLERS = [RemoveFromCartHandler(), ChangeQuantityHandler(), ReadCartHandler(),
                     ClearCartHandler(), CheckoutHandler(), OrderStatusHandler(),
                     CancelOrderHandler(), ListReorderablesHandler(), BrowseCatalogHandler(),
                     MoreHandler(), PriceHandler(), AvailabilityHandler()]
