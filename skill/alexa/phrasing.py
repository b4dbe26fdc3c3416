"""Shared phrasing of what the skill says about items, quotes and orders."""

from __future__ import annotations

from skill import speech
from skill.catalog import CatalogItem
from skill.orders import Order, OrderLine, Quote

MAX_LISTED = 6
"""Items read out at most in one list of a cart or an order (a restatement reads them all)."""
BROWSE_PAGE = 3
"""Items read at a time when browsing the store; "more" reads the next ones."""


def items_phrase(lines: list, limit: int | None = MAX_LISTED) -> str:
    """Lines with ``quantity``, ``name`` and units (cart entries, quote or order lines) ->
    "two boxes of coffee pods and one bottle of dish soap"."""
    shown = lines if limit is None else lines[:limit]
    spoken = [speech.say_item_quantity(line.quantity, line) for line in shown]
    if len(lines) > len(shown):
        spoken.append(f"{len(lines) - len(shown)} more items")
    return speech.say_list(spoken)


def quote_items(q: Quote) -> str:
    """Every line a quote buys: a purchase is restated in full, never "and 2 more"."""
    return items_phrase(list(q.lines), limit=None)


def order_items(order: Order) -> str:
    """What an order holds, spoken."""
    return items_phrase(list(order.lines))


def money(minor: int, currency: str) -> str:
    """An amount as spoken."""
    return speech.say_money(minor, currency)


def card_lines(lines: list[OrderLine], currency: str) -> str:
    """An order's lines for a card in the Alexa app."""
    return "\n".join(f"{ln.quantity} x {ln.name} at "
                     f"{speech.say_money(ln.unit_price_minor, currency)}" for ln in lines)


def names(items: list[CatalogItem]) -> str:
    """Item names as a spoken list."""
    return speech.say_list([i.name for i in items])
