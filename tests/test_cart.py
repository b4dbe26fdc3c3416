import pytest

from skill.accounts import get_or_create_account
from skill.cart import add_to_cart, clear_cart, read_cart, remove_from_cart
from skill.catalog import get_item
from skill.errors import InvalidInput, NotAllowed, NotFound

pytestmark = pytest.mark.both_databases


def test_add_read_remove_clear(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        assert add_to_cart(s, account, get_item(s, "CF-PODS-24"), 2) == 2
        assert add_to_cart(s, account, get_item(s, "CF-PODS-24"), 1) == 3
        add_to_cart(s, account, get_item(s, "DS-LEMON"), 1)
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        entries = read_cart(s, account)
        assert [(e.sku, e.quantity, e.total_minor) for e in entries] == [
            ("CF-PODS-24", 3, 3 * 1549), ("DS-LEMON", 1, 399)]
        assert remove_from_cart(s, account, get_item(s, "CF-PODS-24"), 1) == 2
        assert remove_from_cart(s, account, get_item(s, "DS-LEMON")) == 0
        assert [e.sku for e in read_cart(s, account)] == ["CF-PODS-24"]
        assert clear_cart(s, account) == 1
        assert read_cart(s, account) == []


def test_limits_and_restrictions(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, "shopper")
        add_to_cart(s, account, get_item(s, "DF-DRY-15"), 2)
    with pytest.raises(NotAllowed, match="at most 2") as exc, runtime.transaction() as s:
        add_to_cart(s, get_or_create_account(s, "shopper"), get_item(s, "DF-DRY-15"), 1)
    assert exc.value.code == "over_max_quantity"
    with pytest.raises(NotAllowed) as exc, runtime.transaction() as s:
        add_to_cart(s, get_or_create_account(s, "shopper"), get_item(s, "WN-RED"), 1)
    assert exc.value.code == "not_voice_orderable"
    with pytest.raises(InvalidInput), runtime.transaction() as s:
        add_to_cart(s, get_or_create_account(s, "shopper"), get_item(s, "DS-LEMON"), 0)
    with runtime.transaction() as s:
        assert [(e.sku, e.quantity) for e in read_cart(s, get_or_create_account(s, "shopper"))
                ] == [("DF-DRY-15", 2)]


def test_removing_what_is_not_there(runtime):
    with pytest.raises(NotFound, match="not in the cart"), runtime.transaction() as s:
        remove_from_cart(s, get_or_create_account(s, "shopper"), get_item(s, "DS-LEMON"))
