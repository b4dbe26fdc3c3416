"""Examples the skill offers ("you can say: reorder paper towels"), taken from the store's own
catalog and the shopper's own history, never hard-coded: a store without coffee pods never
suggests them.

Only items this shopper may simply buy are examples: never one that is blocked, needs a PIN
or the owner's approval (for the item or its category on this account), cannot be ordered
by voice, or is out of stock; a child is not coached toward what is restricted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from skill.accounts import Account
from skill.catalog import CatalogItem, Restriction, list_items
from skill.orders import ACTIVE_STATUSES, Order, OrderLine
from skill.policy import effective_level


def suggestable(account: Account | None, item: CatalogItem) -> bool:
    """Whether ``item`` may be offered to this shopper as an example."""
    if not item.reorderable or item.stock == 0:
        return False
    level = (effective_level(account, item.restriction, item.category) if account
             else Restriction(item.restriction))
    return level is Restriction.NONE


def history_items(session: Session, account: Account) -> list[CatalogItem]:
    """Items the shopper has ordered (most recent first) that may be reordered by voice."""
    rows = session.execute(
        select(CatalogItem, Order.created_at).join(OrderLine, OrderLine.item_id == CatalogItem.id)
        .join(Order).where(Order.account_id == account.id, Order.status.in_(ACTIVE_STATUSES))
        .order_by(Order.created_at.desc())).all()
    seen: dict[str, CatalogItem] = {}
    for item, _ in rows:
        if item.reorderable and item.restriction != Restriction.BLOCKED.value:
            seen.setdefault(item.sku, item)
    return list(seen.values())


def example_values(session: Session, account: Account | None) -> dict[str, str]:
    """``reorder_example`` and ``add_example`` items (empty when there is none to offer)."""
    ordered = [i for i in history_items(session, account) if suggestable(account, i)] \
        if account else []
    catalog = [i for i in list_items(session, reorderable_only=True) if suggestable(account, i)]
    first_new = next((i for i in catalog if i not in ordered), None)
    return {"reorder_example": ordered[0].name if ordered else "",
            "add_example": (first_new or (catalog[0] if catalog else None)).name
            if catalog else ""}
