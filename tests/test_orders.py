from datetime import timedelta

import pytest

from skill.accounts import get_or_create_account
from skill.cart import add_to_cart, read_cart
from skill.catalog import get_item
from skill.db import utcnow
from skill.demo import DEMO_USER
from skill.errors import NotAllowed, NotFound
from skill.orders import (
    Order,
    OrderStatus,
    advance_order,
    cancel_order,
    checkout,
    get_order,
    latest_order,
    list_orders,
    place_order,
    quote,
    quote_cart,
    quote_reorder,
    spent_since,
)

pytestmark = pytest.mark.both_databases


def count_orders(runtime):
    with runtime.transaction() as s:
        return len(list_orders(s))


def test_quote_includes_tax_and_delivery(runtime):
    store = runtime.store
    with runtime.transaction() as s:
        small = quote(store, [(get_item(s, "DS-LEMON"), 2)])
        big = quote(store, [(get_item(s, "DF-DRY-15"), 1)])
    assert small.subtotal_minor == 798
    assert small.tax_minor == 66  # 8.25 % of 7.98, rounded half up
    assert small.delivery_minor == 499
    assert small.total_minor == 798 + 66 + 499
    assert big.delivery_minor == 0  # free from 35.00
    assert small.expected_delivery == utcnow().date() + timedelta(days=store.delivery_days)


def test_reorder_uses_last_quantity(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, DEMO_USER)
        pods = get_item(s, "CF-PODS-24")
        assert quote_reorder(s, runtime.store, account, pods).lines[0].quantity == 2
        assert quote_reorder(s, runtime.store, account, pods, 4).lines[0].quantity == 4
        with pytest.raises(NotFound, match="order history"):
            quote_reorder(s, runtime.store, account, get_item(s, "SH-2IN1"))


def test_place_order_is_idempotent(runtime):
    before = count_orders(runtime)
    ids = []
    for attempt in range(3):
        with runtime.transaction() as s:
            account = get_or_create_account(s, DEMO_USER)
            q = quote_reorder(s, runtime.store, account, get_item(s, "CF-PODS-24"))
            order, created = place_order(s, account, q, idempotency_key="amzn1.echo-api.request.1")
            assert created is (attempt == 0)
            ids.append(order.id)
    assert len(set(ids)) == 1
    assert count_orders(runtime) == before + 1


def test_same_key_on_two_accounts_is_two_orders(runtime):
    for user in ("a", "b"):
        with runtime.transaction() as s:
            account = get_or_create_account(s, user)
            q = quote(runtime.store, [(get_item(s, "DS-LEMON"), 1)])
            assert place_order(s, account, q, idempotency_key="k")[1]


def test_checkout_places_and_empties_cart_once(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        add_to_cart(s, account, get_item(s, "CF-PODS-24"), 2)
        add_to_cart(s, account, get_item(s, "DS-LEMON"), 1)
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        order, created = checkout(s, runtime.store, account, idempotency_key="req-1")
        assert created and order.status == "placed"
        assert [(ln.sku, ln.quantity) for ln in order.lines] == [("CF-PODS-24", 2),
                                                                  ("DS-LEMON", 1)]
        assert read_cart(s, account) == []
        assert [e.status for e in order.events] == ["placed"]
    with runtime.transaction() as s:
        again, created = checkout(s, runtime.store, get_or_create_account(s, "shopper"),
                                  idempotency_key="req-1")
        assert not created and again.id == order.id


def test_empty_cart_checkout_is_refused(runtime):
    with pytest.raises(NotAllowed) as exc, runtime.transaction() as s:
        checkout(s, runtime.store, get_or_create_account(s, "shopper"), idempotency_key="x")
    assert exc.value.code == "empty_cart"


def test_dropped_connection_mid_checkout_leaves_no_half_order(runtime, monkeypatch):
    """If anything fails after the order row is written, the order and the cart roll back."""
    import skill.orders as orders

    with runtime.transaction() as s:
        add_to_cart(s, get_or_create_account(s, "shopper"), get_item(s, "CF-PODS-24"), 2)
    before = count_orders(runtime)

    def drop(*args, **kwargs):
        raise ConnectionError("connection dropped")

    monkeypatch.setattr(orders, "clear_cart", drop)
    with pytest.raises(ConnectionError), runtime.transaction() as s:
        checkout(s, runtime.store, get_or_create_account(s, "shopper"), idempotency_key="r")
    assert count_orders(runtime) == before
    with runtime.transaction() as s:
        assert [(e.sku, e.quantity) for e in read_cart(s, get_or_create_account(s, "shopper"))
                ] == [("CF-PODS-24", 2)]


def test_latest_order_overall_and_per_item(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, DEMO_USER)
        assert latest_order(s, account).lines[0].sku == "CF-PODS-24"
        assert latest_order(s, account, get_item(s, "DF-DRY-15")).lines[0].sku == "DF-DRY-15"
        assert latest_order(s, account, get_item(s, "SH-2IN1")) is None
        assert latest_order(s, get_or_create_account(s, "new")) is None


def _place(runtime, user="shopper", key="k1", minutes_ago=0):
    with runtime.transaction() as s:
        account = get_or_create_account(s, user)
        order, _ = place_order(s, account, quote(runtime.store, [(get_item(s, "DS-LEMON"), 1)]),
                               idempotency_key=key)
        order.created_at = utcnow() - timedelta(minutes=minutes_ago)
        return order.id


def test_cancel_inside_window(runtime):
    order_id = _place(runtime, minutes_ago=runtime.store.cancel_window_minutes - 1)
    with runtime.transaction() as s:
        order = cancel_order(s, runtime.store, get_or_create_account(s, "shopper"),
                             get_order(s, order_id))
        assert order.status == "cancelled"
        assert [e.status for e in order.events] == ["placed", "cancelled"]
    with runtime.transaction() as s:
        assert spent_since(s, get_or_create_account(s, "shopper"),
                           utcnow() - timedelta(days=1)) == 0


def test_cancel_outside_window_is_refused(runtime):
    order_id = _place(runtime, minutes_ago=runtime.store.cancel_window_minutes + 1)
    with pytest.raises(NotAllowed) as exc, runtime.transaction() as s:
        cancel_order(s, runtime.store, get_or_create_account(s, "shopper"),
                     get_order(s, order_id))
    assert exc.value.code == "cancel_window_closed"
    with runtime.transaction() as s:
        assert get_order(s, order_id).status == "placed"


def test_cancel_refuses_shipped_and_others_orders(runtime):
    order_id = _place(runtime)
    with runtime.transaction() as s:
        with pytest.raises(NotFound):
            cancel_order(s, runtime.store, get_or_create_account(s, "intruder"),
                         get_order(s, order_id))
    with runtime.transaction() as s:
        advance_order(s, order_id, OrderStatus.SHIPPED)
    with pytest.raises(NotAllowed) as exc, runtime.transaction() as s:
        cancel_order(s, runtime.store, get_or_create_account(s, "shopper"),
                     get_order(s, order_id))
    assert exc.value.code == "already_shipped"


def test_awaiting_approval_can_be_withdrawn_any_time(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        order, _ = place_order(s, account, quote(runtime.store, [(get_item(s, "DH-WOOD"), 1)]),
                               idempotency_key="k", status=OrderStatus.AWAITING_APPROVAL)
        order.created_at = utcnow() - timedelta(days=2)
        order_id = order.id
    with runtime.transaction() as s:
        assert cancel_order(s, runtime.store, get_or_create_account(s, "shopper"),
                            get_order(s, order_id)).status == "cancelled"


def test_advance_follows_the_life_of_an_order(runtime):
    order_id = _place(runtime)
    with runtime.transaction() as s:
        for status in (OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED):
            advance_order(s, order_id, status, note=status.value)
    with runtime.transaction() as s:
        order: Order = get_order(s, order_id)
        assert [e.status for e in order.events] == ["placed", "shipped", "out_for_delivery",
                                                    "delivered"]
        assert all(e.expected_delivery for e in order.events)
    with pytest.raises(NotAllowed, match="can move to none"), runtime.transaction() as s:
        advance_order(s, order_id, OrderStatus.PLACED)


def test_quote_cart_reads_current_cart(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        add_to_cart(s, account, get_item(s, "TB-ORALB-4"), 2)
        q = quote_cart(s, runtime.store, account)
    assert q.subtotal_minor == 2 * 2499 and q.delivery_minor == 0


def test_units_travel_with_cart_quote_and_order_lines(runtime):
    from skill.catalog import update_item
    from skill.speech import say_item_quantity

    with runtime.transaction() as s:
        account = get_or_create_account(s, "units")
        add_to_cart(s, account, get_item(s, "PT-6ROLL"), 2)
        add_to_cart(s, account, get_item(s, "DH-WOOD"), 1)
        entries = read_cart(s, account)
        assert [(e.unit, e.unit_plural) for e in entries] == [("pack", "packs"), (None, None)]
        assert [say_item_quantity(e.quantity, e) for e in entries] == [
            "two packs of paper towels", "one dollhouse"]
        cart_quote = quote_cart(s, runtime.store, account)
        assert [(ln.unit, ln.unit_plural) for ln in cart_quote.lines] == [
            ("pack", "packs"), (None, None)]
        order, _ = place_order(s, account, cart_quote, idempotency_key="units-1")
        order_id = order.id
    with runtime.transaction() as s:
        update_item(s, "PT-6ROLL", {"unit": "box", "name": "kitchen towels"})
    with runtime.transaction() as s:
        line = get_order(s, order_id).lines[0]  # what was ordered, as it was ordered
        assert (line.name, line.unit, line.unit_plural) == ("paper towels", "pack", "packs")
        assert say_item_quantity(line.quantity, line) == "two packs of paper towels"
