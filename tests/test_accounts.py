import pytest

from skill.accounts import get_or_create_account, hash_pin, pin_matches, set_limits, set_pin
from skill.errors import InvalidInput

pytestmark = pytest.mark.both_databases


def test_pin_is_salted_slow_hash():
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second  # salted
    assert "1234" not in first and first.startswith("scrypt$")
    assert pin_matches(first, "1234") and pin_matches(second, "1234")
    assert not pin_matches(first, "1235")
    assert not pin_matches("garbage", "1234")


@pytest.mark.parametrize("pin", ["123", "12345", "abcd", "12 4", ""])
def test_pin_must_be_four_digits(pin):
    with pytest.raises(InvalidInput):
        hash_pin(pin)


def test_set_pin_and_limits(empty_runtime):
    with empty_runtime.transaction() as s:
        account = set_pin(s, "amzn1.ask.account.X", "4321")
        account.pin_failures = 2
        set_pin(s, "amzn1.ask.account.X", "4321")
        assert account.pin_failures == 0 and account.has_pin
        set_limits(s, "amzn1.ask.account.X", per_order_minor=5000, approval_required=True)
        set_limits(s, "amzn1.ask.account.X", per_day_minor=9000)
        assert (account.per_order_limit_minor, account.per_day_limit_minor,
                account.approval_required) == (5000, 9000, True)
        set_limits(s, "amzn1.ask.account.X", per_order_minor=None)
        assert account.per_order_limit_minor is None and account.per_day_limit_minor == 9000
        set_pin(s, "amzn1.ask.account.X", None)
        assert not account.has_pin
    with pytest.raises(InvalidInput), empty_runtime.transaction() as s:
        set_limits(s, "x", per_order_minor=0)
    with pytest.raises(InvalidInput), empty_runtime.transaction() as s:
        get_or_create_account(s, " ")
