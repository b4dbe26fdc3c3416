"""The purchase policy: consulted before every order, it decides what the order needs.

Outcomes, from least to most guarded: place after the spoken confirmation, also require the
voice PIN, send to the account owner for approval, or refuse by voice. The inputs are the
items' restriction levels (set by the merchant), the account's own rules (PIN for every
purchase, per-order and per-day limits, approval for everything, restricted categories), the
order total, and the account's recent orders.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from skill.accounts import Account
from skill.catalog import Restriction
from skill.orders import ACTIVE_STATUSES, Order, OrderLine, Quote, spent_since
from skill.shoppers import household_of
from skill.store import StoreSettings
from skill.voices import voice_rule

PIN_ALWAYS_FROM_MINOR = 100_00
"""Amazon: orders of 100 or more (in the store currency) must ask for the voice code if set."""
MAX_PIN_TRIES = 3
"""Wrong PINs in a row before voice purchasing locks."""

_LEVEL_ORDER = [Restriction.NONE, Restriction.PIN, Restriction.APPROVAL, Restriction.BLOCKED]


class Verdict(str, enum.Enum):
    """What an order needs after the shopper's spoken confirmation."""

    CONFIRM = "confirm"
    PIN = "pin"
    APPROVAL = "approval"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one quote."""

    verdict: Verdict
    reason: str
    """Why, as a short code for prompts and the audit log (``item_pin``, ``over_order_limit``)."""
    item: str = ""
    """The item the reason is about, when there is one."""
    limit_minor: int | None = None
    """The limit that was hit, for the over-limit reasons."""
    repeat_of: dict[str, datetime] = field(default_factory=dict)
    """Items ordered within the store's repeat window -> when: ask "order again?" first."""


def effective_level(account: Account, item_restriction: str, category: str) -> Restriction:
    """The stricter of the merchant's item restriction and the owner's category rule."""
    levels = [Restriction(item_restriction)]
    rule = (account.restricted_categories or {}).get(category)
    if rule:
        levels.append(Restriction(rule))
    return max(levels, key=_LEVEL_ORDER.index)


def locked_until(account: Account, now: datetime) -> datetime | None:
    """When the account's voice-purchase lock ends, if it is locked now."""
    if account.voice_locked_until is not None and account.voice_locked_until > now:
        return account.voice_locked_until
    return None


def recent_orders_of(session: Session, account: Account, skus: list[str],
                     since: datetime) -> dict[str, datetime]:
    """For each sku the account ordered since ``since``: when it last did."""
    rows = session.execute(
        select(OrderLine.sku, Order.created_at).join(Order)
        .where(Order.account_id == account.id, Order.created_at >= since,
               Order.status.in_(ACTIVE_STATUSES), OrderLine.sku.in_(skus))).all()
    latest: dict[str, datetime] = {}
    for sku, at in rows:
        if sku not in latest or at > latest[sku]:
            latest[sku] = at
    return latest


def decide(session: Session, store: StoreSettings, account: Account, quote: Quote,
           now: datetime) -> Decision:
    """Decide what ``quote`` needs before it may become an order (read-only)."""
    if locked_until(account, now):
        return Decision(Verdict.REFUSE, "locked")
    household = household_of(session, account)
    if household is not None and household.purchasing_off:
        return Decision(Verdict.REFUSE, "purchasing_off")

    levels = [(effective_level(account, ln.restriction, ln.category), ln) for ln in quote.lines]
    for level, line in levels:
        if level is Restriction.BLOCKED:
            return Decision(Verdict.REFUSE, "category_blocked", item=line.name)

    repeat_of = recent_orders_of(session, account, [ln.sku for ln in quote.lines],
                                 now - timedelta(days=store.repeat_order_days))
    repeat_names = {ln.name: repeat_of[ln.sku] for ln in quote.lines if ln.sku in repeat_of}

    def decision(verdict: Verdict, reason: str, **extra: object) -> Decision:
        return Decision(verdict, reason, repeat_of=repeat_names, **extra)  # type: ignore[arg-type]

    # Approval: the owner decides, so nothing here can buy without them.
    for level, line in levels:
        if level is Restriction.APPROVAL:
            return decision(Verdict.APPROVAL, "item_approval", item=line.name)
    if account.approval_required:
        return decision(Verdict.APPROVAL, "account_approval")
    voice = voice_rule(session, account)  # a child's or an unrecognized voice asks the owner
    if voice is not None:
        return decision(Verdict.APPROVAL, voice)
    limit = account.per_order_limit_minor
    if limit is not None and quote.total_minor > limit:
        return decision(Verdict.APPROVAL, "over_order_limit", limit_minor=limit)
    limit = account.per_day_limit_minor
    if limit is not None:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if spent_since(session, account, day_start) + quote.total_minor > limit:
            return decision(Verdict.APPROVAL, "over_day_limit", limit_minor=limit)

    # PIN: items that demand it (impossible without a PIN), then the account's own rules.
    for level, line in levels:
        if level is Restriction.PIN:
            if not account.has_pin:
                return decision(Verdict.REFUSE, "no_pin_set", item=line.name)
            return decision(Verdict.PIN, "item_pin", item=line.name)
    if account.has_pin and account.pin_required:
        return decision(Verdict.PIN, "account_pin")
    if account.has_pin and quote.total_minor >= PIN_ALWAYS_FROM_MINOR:
        return decision(Verdict.PIN, "large_order")
    return decision(Verdict.CONFIRM, "confirmed")
