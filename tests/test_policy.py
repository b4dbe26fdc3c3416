"""The purchase policy's decisions, one rule at a time."""

from datetime import timedelta

import pytest

from skill.accounts import get_or_create_account, restrict_category, set_limits, set_pin
from skill.catalog import get_item
from skill.db import utcnow
from skill.orders import place_order, quote
from skill.policy import Verdict, decide

pytestmark = pytest.mark.both_databases


@pytest.fixture
def decide_for(runtime):
    def _decide(user, sku, quantity=1, setup=None, also=()):
        with runtime.transaction() as s:
            account = get_or_create_account(s, user)
            if setup:
                setup(s, account)
            q = quote(runtime.store, [(get_item(s, sku), quantity),
                                      *[(get_item(s, k), n) for k, n in also]])
            return decide(s, runtime.store, account, q, utcnow())
    return _decide


def test_plain_item_needs_only_confirmation(decide_for):
    decision = decide_for("u", "DS-LEMON")
    assert (decision.verdict, decision.reason) == (Verdict.CONFIRM, "confirmed")


def test_pin_item_without_a_pin_is_refused(decide_for):
    decision = decide_for("u", "CK-CHOC-4LB")
    assert (decision.verdict, decision.reason, decision.item) == (
        Verdict.REFUSE, "no_pin_set", "chocolate chip cookies")


def test_pin_item_with_a_pin(decide_for):
    decision = decide_for("u", "CK-CHOC-4LB", setup=lambda s, a: set_pin(s, "u", "1357"))
    assert (decision.verdict, decision.reason) == (Verdict.PIN, "item_pin")


def test_approval_item(decide_for):
    assert decide_for("u", "DH-WOOD").verdict is Verdict.APPROVAL


def test_blocked_category_rule(decide_for):
    decision = decide_for("u", "DF-DRY-15",
                          setup=lambda s, a: restrict_category(s, "u", "pet", "blocked"))
    assert (decision.verdict, decision.reason) == (Verdict.REFUSE, "category_blocked")


def test_category_rule_needs_pin(decide_for):
    def setup(s, a):
        set_pin(s, "u", "1357")
        restrict_category(s, "u", "pet", "pin")

    assert decide_for("u", "DF-DRY-15", setup=setup).verdict is Verdict.PIN


def test_category_rule_never_loosens_the_merchants(decide_for):
    decision = decide_for("u", "DH-WOOD",
                          setup=lambda s, a: restrict_category(s, "u", "toys", "pin"))
    assert decision.verdict is Verdict.APPROVAL


def test_account_wide_approval_and_pin(decide_for):
    assert decide_for("u", "DS-LEMON", setup=lambda s, a: set_limits(
        s, "u", approval_required=True)).verdict is Verdict.APPROVAL

    def pin_always(s, a):
        set_pin(s, "v", "1357")
        set_limits(s, "v", pin_required=True)

    assert decide_for("v", "DS-LEMON", setup=pin_always).reason == "account_pin"


def test_large_orders_ask_for_the_pin_when_set(decide_for):
    big = {"also": [("TB-SONIC-3", 1)]}  # 2 x 38.99 + 29.99 + 8.25 % tax = 116.88
    assert decide_for("u", "DF-DRY-15", 2, **big).verdict is Verdict.CONFIRM  # no PIN set
    decision = decide_for("v", "DF-DRY-15", 2, setup=lambda s, a: set_pin(s, "v", "1357"), **big)
    assert (decision.verdict, decision.reason) == (Verdict.PIN, "large_order")
    decision = decide_for("w", "DF-DRY-15", 2, setup=lambda s, a: set_pin(s, "w", "1357"))
    assert decision.verdict is Verdict.CONFIRM  # 84.41: under 100


def test_over_limits_go_to_the_owner(decide_for, runtime):
    decision = decide_for("u", "DF-DRY-15", 2,
                          setup=lambda s, a: set_limits(s, "u", per_order_minor=50_00))
    assert (decision.verdict, decision.reason, decision.limit_minor) == (
        Verdict.APPROVAL, "over_order_limit", 50_00)

    def spent_today(s, a):
        set_limits(s, "v", per_day_minor=60_00)
        place_order(s, a, quote(runtime.store, [(get_item(s, "DF-DRY-15"), 1)]),
                    idempotency_key="earlier")

    decision = decide_for("v", "TB-ORALB-4", setup=spent_today)
    assert (decision.verdict, decision.reason) == (Verdict.APPROVAL, "over_day_limit")


def test_recent_order_of_the_same_item_is_flagged(decide_for, runtime):
    def ordered_yesterday(s, a):
        order, _ = place_order(s, a, quote(runtime.store, [(get_item(s, "CF-PODS-24"), 1)]),
                               idempotency_key="y")
        order.created_at = utcnow() - timedelta(days=1)

    decision = decide_for("u", "CF-PODS-24", setup=ordered_yesterday)
    assert decision.verdict is Verdict.CONFIRM and "coffee pods" in decision.repeat_of

    def ordered_long_ago(s, a):
        order, _ = place_order(s, a, quote(runtime.store, [(get_item(s, "CF-PODS-24"), 1)]),
                               idempotency_key="old")
        order.created_at = utcnow() - timedelta(days=runtime.store.repeat_order_days + 1)

    assert decide_for("v", "CF-PODS-24", setup=ordered_long_ago).repeat_of == {}


def test_locked_account_is_refused(decide_for):
    def lock(s, a):
        a.voice_locked_until = utcnow() + timedelta(minutes=5)

    assert decide_for("u", "DS-LEMON", setup=lock).reason == "locked"
