"""Stock: taken with each order, never below zero, returned when an order is cancelled or
rejected, and said plainly when it runs out."""

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from skill.accounts import get_or_create_account, set_limits
from skill.catalog import get_item, update_item
from skill.catalog_io import export_catalog, parse_csv
from skill.errors import ImportFailed, NotAllowed
from skill.orders import (
    OrderStatus,
    approve_order,
    cancel_order,
    place_order,
    quote,
    reject_order,
)
from tests.alexa_requests import USER_ID
from tests.test_skill_dialogs import give_history, orders_of

pytestmark = pytest.mark.both_databases


def set_stock(runtime, sku: str, stock: int | None) -> None:
    with runtime.transaction() as s:
        update_item(s, sku, {"stock": "" if stock is None else str(stock)})


def stock_of(runtime, sku: str) -> int | None:
    with runtime.transaction() as s:
        return get_item(s, sku).stock


def test_orders_take_stock_and_cancelling_returns_it(runtime):
    set_stock(runtime, "CF-PODS-24", 5)
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        order, _ = place_order(s, account, quote(runtime.store, [(get_item(s, "CF-PODS-24"),
                                                                  3)]), idempotency_key="a")
        order_id = order.id
    assert stock_of(runtime, "CF-PODS-24") == 2
    with runtime.transaction() as s:
        cancel_order(s, runtime.store, get_or_create_account(s, "shopper"),
                     s.get(type(order), order_id))
    assert stock_of(runtime, "CF-PODS-24") == 5


def test_untracked_stock_never_runs_out(runtime):
    assert stock_of(runtime, "PT-6ROLL") is None
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        place_order(s, account, quote(runtime.store, [(get_item(s, "PT-6ROLL"), 4)]),
                    idempotency_key="a")
    assert stock_of(runtime, "PT-6ROLL") is None


def test_an_order_beyond_stock_is_refused_whole(runtime):
    set_stock(runtime, "CF-PODS-24", 1)
    with runtime.transaction() as s:
        q = quote(runtime.store, [(get_item(s, "CF-PODS-24"), 1), (get_item(s, "PT-6ROLL"), 1)])
    set_stock(runtime, "CF-PODS-24", 0)  # sold out after the quote
    with pytest.raises(NotAllowed) as caught, runtime.transaction() as s:
        place_order(s, get_or_create_account(s, "shopper"), q, idempotency_key="a")
    assert caught.value.code == "out_of_stock" and caught.value.item
    with runtime.transaction() as s:
        assert orders_of(runtime, "shopper") == []


def test_the_database_refuses_negative_stock(runtime):
    with pytest.raises(IntegrityError), runtime.transaction() as s:
        s.execute(text("UPDATE catalog_items SET stock = -1 WHERE sku = 'CF-PODS-24'"))


def test_rejected_approval_returns_stock_and_approval_keeps_it(runtime):
    set_stock(runtime, "CF-PODS-24", 4)
    ids = []
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        for key in ("a", "b"):
            order, _ = place_order(s, account, quote(runtime.store, [
                (get_item(s, "CF-PODS-24"), 2)]), idempotency_key=key,
                status=OrderStatus.AWAITING_APPROVAL)
            ids.append(order.id)
    assert stock_of(runtime, "CF-PODS-24") == 0  # reserved while waiting for the owner
    with runtime.transaction() as s:
        approve_order(s, ids[0])
        reject_order(s, ids[1])
    assert stock_of(runtime, "CF-PODS-24") == 2


def test_skill_says_out_of_stock_and_what_is_left(dialog, runtime):
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    set_stock(runtime, "CF-PODS-24", 0)
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "out of stock" in dialog.speech and not dialog.ended
    set_stock(runtime, "CF-PODS-24", 1)
    dialog.intent("ReorderIntent", Item="coffee pods", Quantity="3")
    assert "only one box of coffee pods left" in dialog.speech.lower()
    dialog.intent("AMAZON.YesIntent")  # "Would you like it?" - the one that is left
    assert "one box of coffee pods" in dialog.speech and "Should I order" in dialog.speech


def test_sold_out_between_question_and_yes_orders_nothing(dialog, runtime):
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    set_stock(runtime, "CF-PODS-24", 2)
    before = len(orders_of(runtime))
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in dialog.speech
    with runtime.transaction() as s:  # someone else buys them meanwhile
        place_order(s, get_or_create_account(s, "other"), quote(runtime.store, [
            (get_item(s, "CF-PODS-24"), 2)]), idempotency_key="x")
    dialog.intent("AMAZON.YesIntent")
    assert "nothing was ordered" in dialog.speech
    assert len(orders_of(runtime)) == before
    assert stock_of(runtime, "CF-PODS-24") == 0


def test_stock_in_catalog_files(runtime):
    header = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction"
    specs = parse_csv(f"{header},stock\nA1,apples,,1.00,USD,food,true,5,none,12\n"
                      f"B1,pears,,1.00,USD,food,true,5,none,\n")
    assert [s.stock for s in specs] == [12, None]
    assert parse_csv(f"{header}\nA1,apples,,1.00,USD,food,true,5,none\n")[0].stock_given is False
    with pytest.raises(ImportFailed, match="line 2: stock cannot be negative"):
        parse_csv(f"{header},stock\nA1,apples,,1.00,USD,food,true,5,none,-3\n")
    set_stock(runtime, "CF-PODS-24", 7)
    with runtime.transaction() as s:
        exported = export_catalog(s)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert next(row for row in rows if row["sku"] == "CF-PODS-24")["stock"] == "7"


def test_import_without_a_stock_column_keeps_stock(runtime, tmp_path):
    from skill.catalog_io import import_catalog

    set_stock(runtime, "CF-PODS-24", 7)
    with runtime.transaction() as s:
        exported = export_catalog(s)
    lines = [",".join(line.split(",")[:-1]) for line in exported.splitlines()]
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    with runtime.transaction() as s:
        import_catalog(s, tmp_path / "c.csv")
    assert stock_of(runtime, "CF-PODS-24") == 7


def test_pending_approval_for_owner_not_double_counted(runtime):
    """Cancel of an order awaiting approval returns its reservation once."""
    set_stock(runtime, "CF-PODS-24", 3)
    with runtime.transaction() as s:
        account = get_or_create_account(s, USER_ID)
        set_limits(s, USER_ID, approval_required=True)
        order, _ = place_order(s, account, quote(runtime.store, [
            (get_item(s, "CF-PODS-24"), 3)]), idempotency_key="a",
            status=OrderStatus.AWAITING_APPROVAL)
        order_id = order.id
    with runtime.transaction() as s:
        cancel_order(s, runtime.store, get_or_create_account(s, USER_ID),
                     s.get(type(order), order_id))
    with pytest.raises(NotAllowed), runtime.transaction() as s:
        reject_order(s, order_id)
    assert stock_of(runtime, "CF-PODS-24") == 3
