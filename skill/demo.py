"""The embedded demo: a catalog and a demo account with some order history."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from skill.accounts import get_or_create_account, set_limits, set_pin
from skill.catalog import CatalogItem, get_item
from skill.catalog_io import import_catalog_bytes
from skill.orders import OrderEvent, OrderStatus, place_order, quote
from skill.store import StoreSettings

DEMO_USER = "demo"
"""The local demo account's user id."""
DEMO_PIN = "1234"
"""The demo account's voice PIN (demo only: set your own with ``voicecart account set-pin``)."""

# (sku, quantity, days ago) of the demo account's past, delivered orders.
_HISTORY = [("TB-ORALB-4", 1, 40), ("CF-PODS-24", 2, 12), ("PT-6ROLL", 1, 20),
            ("DF-DRY-15", 1, 30)]


def demo_catalog_csv() -> str:
    """The packaged demo catalog, in the import format."""
    return resources.files("skill").joinpath("data/demo_catalog.csv").read_text(encoding="utf-8")


def seed_demo(session: Session, store: StoreSettings) -> bool:
    """Load the demo catalog and account into an empty database; False if it has items."""
    if session.scalar(select(CatalogItem.id).limit(1)) is not None:
        return False
    import_catalog_bytes(session, demo_catalog_csv().encode(), "csv")
    set_pin(session, DEMO_USER, DEMO_PIN)
    account = set_limits(session, DEMO_USER, per_order_minor=150_00, per_day_minor=300_00)
    for sku, quantity, days_ago in _HISTORY:
        item = get_item(session, sku)
        order, _ = place_order(session, account, quote(store, [(item, quantity)]),
                               idempotency_key=f"demo-history-{sku}")
        placed = order.created_at - timedelta(days=days_ago)
        order.created_at = placed
        order.expected_delivery = (placed + timedelta(days=store.delivery_days)).date()
        order.events[0].at = placed
        order.status = OrderStatus.DELIVERED.value
        order.events.append(OrderEvent(status=OrderStatus.DELIVERED.value,
                                       at=placed + timedelta(days=store.delivery_days),
                                       expected_delivery=order.expected_delivery))
    get_or_create_account(session, DEMO_USER)
    return True
