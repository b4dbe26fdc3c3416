"""The purchase conversation, independent of Alexa: restate, confirm, check, place.

A purchase starts as a ``Pending`` (what would be bought and what was read back) and moves
through steps, each the answer to one question:

    confirm  ("Should I place this order?")      yes -> repeat / pin / place, no -> nothing
    repeat   ("You ordered this yesterday...")   yes -> pin / place,           no -> nothing
    pin      ("Please say your voice PIN")       right -> place, wrong x3 -> lock

Before the last step the quote is priced again: if the price or the cart changed, the shopper
hears the new restatement instead of an order. Every end of a purchase, placed or not, is
written to the audit log. Callers run each step in one transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from skill import accounts, audit
from skill.accounts import Account
from skill.approval_links import queue_approval_request
from skill.cart import cart_items, clear_cart
from skill.catalog import get_item
from skill.db import utcnow
from skill.errors import NotAllowed, NotFound, VoiceCartError
from skill.notify import queue_order_confirmation
from skill.orders import (
    Order,
    OrderStatus,
    Quote,
    find_by_key,
    find_by_restatement,
    place_order,
    quote,
    quote_cart,
    quote_reorder,
)
from skill.policy import MAX_PIN_TRIES, Decision, Verdict, decide, locked_until
from skill.store import StoreSettings


@dataclass
class Pending:
    """A purchase waiting for the shopper's answer; kept in the session between turns."""

    kind: str
    """``reorder``, ``buy`` or ``checkout``."""
    lines: list[tuple[str, int]]
    """``(sku, quantity)`` as read back."""
    total_minor: int
    """The total as read back: a different total at the end means ask again."""
    step: str = "confirm"
    """The question now asked: ``confirm``, ``repeat`` or ``pin``."""
    verdict: str = Verdict.CONFIRM.value
    reason: str = ""
    repeat_of: dict[str, str] = field(default_factory=dict)
    """Item name -> ISO time it was last ordered (for "you ordered this ... ago")."""
    ref: str = ""
    """This restatement's own reference, made when it was said: one restatement places at most
    one order, however often its (signed) question comes back."""

    def to_dict(self) -> dict:
        """Plain data for the session attributes."""
        data = asdict(self)
        data["lines"] = [list(line) for line in self.lines]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Pending:
        """Back from the session attributes."""
        fields = dict(data)
        fields["lines"] = [(str(sku), int(qty)) for sku, qty in fields["lines"]]
        return cls(**fields)


@dataclass
class Outcome:
    """What a step came to; ``kind`` picks what the shopper hears."""

    kind: str
    """``ask_confirm``, ``ask_repeat``, ``ask_pin``, ``placed``, ``sent_for_approval``,
    ``refused``, ``declined``, ``changed``, ``pin_wrong``, ``locked``, ``unavailable``,
    ``no_longer`` (a retried request whose order has been cancelled or rejected since)."""
    pending: Pending | None = None
    quote: Quote | None = None
    decision: Decision | None = None
    order: Order | None = None
    created: bool = True
    tries_left: int = 0
    problem: NotAllowed | None = None
    """Why an ``unavailable`` purchase could not be placed."""


def _audit(session: Session, account: Account, channel: str, q: Quote, outcome: str,
           reason: str, order: Order | None = None) -> None:
    audit.record_attempt(session, user_id=account.user_id, channel=channel,
                         items=[ln.as_audit() for ln in q.lines], total_minor=q.total_minor,
                         currency=q.currency, outcome=outcome, reason=reason,
                         order_id=order.id if order else None)


def _price(session: Session, store: StoreSettings, account: Account, pending: Pending) -> Quote:
    if pending.kind == "checkout":
        return quote(store, cart_items(session, account))
    return quote(store, [(get_item(session, sku), qty) for sku, qty in pending.lines])


def start_reorder(session: Session, store: StoreSettings, account: Account, sku: str,
                  quantity: int | None, channel: str, now: datetime) -> Outcome:
    """Begin buying an item again (the last quantity unless one is said)."""
    item = get_item(session, sku)
    return _start(session, store, account, "reorder",
                  quote_reorder(session, store, account, item, quantity), channel, now)


def start_buy(session: Session, store: StoreSettings, account: Account, sku: str,
              quantity: int, channel: str, now: datetime) -> Outcome:
    """Begin buying ``quantity`` of an item, bought before or not."""
    return start_buy_lines(session, store, account, [(sku, quantity)], channel, now)


def start_buy_lines(session: Session, store: StoreSettings, account: Account,
                    lines: list[tuple[str, int]], channel: str, now: datetime) -> Outcome:
    """Begin buying several items together (one restatement, one answer)."""
    merged: dict[str, int] = {}
    for sku, quantity in lines:  # "coffee pods and two coffee pods": one line of three
        merged[sku] = merged.get(sku, 0) + quantity
    items = [(get_item(session, sku), quantity) for sku, quantity in merged.items()]
    return _start(session, store, account, "buy", quote(store, items, now), channel, now)


def start_checkout(session: Session, store: StoreSettings, account: Account, channel: str,
                   now: datetime) -> Outcome:
    """Begin ordering the cart."""
    return _start(session, store, account, "checkout", quote_cart(session, store, account),
                  channel, now)


def _start(session: Session, store: StoreSettings, account: Account, kind: str, q: Quote,
           channel: str, now: datetime) -> Outcome:
    decision = decide(session, store, account, q, now)
    if decision.verdict is Verdict.REFUSE:
        _audit(session, account, channel, q, "refused", decision.reason)
        return Outcome("refused", quote=q, decision=decision)
    pending = Pending(kind, [(ln.sku, ln.quantity) for ln in q.lines], q.total_minor,
                      verdict=decision.verdict.value, reason=decision.reason,
                      repeat_of={k: v.isoformat() for k, v in decision.repeat_of.items()},
                      ref=secrets.token_urlsafe(12))
    return Outcome("ask_confirm", pending=pending, quote=q, decision=decision)


def answer_yes(session: Session, store: StoreSettings, account: Account, pending: Pending,
               *, idempotency_key: str, channel: str, now: datetime) -> Outcome:
    """The shopper said yes to the question ``pending.step`` asked."""
    if pending.step == "confirm" and pending.repeat_of:
        pending.step = "repeat"
        return Outcome("ask_repeat", pending=pending)
    if pending.step in ("confirm", "repeat") and pending.verdict == Verdict.PIN.value:
        pending.step = "pin"
        return Outcome("ask_pin", pending=pending)
    if pending.step == "pin":
        raise ValueError("a PIN question is answered with the PIN, not yes")
    return _finish(session, store, account, pending, idempotency_key, channel, now)


def answer_no(session: Session, store: StoreSettings, account: Account, pending: Pending,
              *, channel: str, reason: str = "shopper said no") -> Outcome:
    """The shopper said no (or cancel, or stop) to any question of the purchase."""
    _audit(session, account, channel, _quote_for_log(session, store, account, pending),
           "declined", f"{reason} at the {pending.step} step")
    return Outcome("declined", pending=pending)


def _quote_for_log(session: Session, store: StoreSettings, account: Account,
                   pending: Pending) -> Quote:
    """The pending purchase priced for the audit log; the items may have gone since."""
    try:
        return _price(session, store, account, pending)
    except VoiceCartError:
        return Quote((), 0, 0, 0, pending.total_minor, store.currency, utcnow().date())


def answer_pin(session: Session, store: StoreSettings, account: Account, pending: Pending,
               pin: str | None, *, idempotency_key: str, channel: str,
               now: datetime) -> Outcome:
    """The shopper said a PIN. Wrong ones count; the third in a row locks voice purchases.

    While purchasing is locked no PIN is compared at all: a right one must not be told from a
    wrong one, or a lock would only slow the guessing down. The account's row is held from
    the lock check to the count, so PINs said at once (other sessions, other workers) are
    judged one after the other and each is counted: every attempt is in the audit log.
    """
    existing = find_by_key(session, account, idempotency_key)
    if existing is not None:  # Alexa retried the request that placed it
        return _as_it_is(existing)
    accounts.lock_for_pin(session, account)
    if locked_until(account, now):
        _audit(session, account, channel, _quote_for_log(session, store, account, pending),
               "refused", "voice purchasing locked: no PIN checked")
        return Outcome("refused", pending=pending, decision=Decision(Verdict.REFUSE, "locked"))
    q = _price(session, store, account, pending)
    if pin is not None and account.pin_hash and accounts.pin_matches(account.pin_hash, pin):
        account.pin_failures = 0
        return _finish(session, store, account, pending, idempotency_key, channel, now)
    lockout = timedelta(minutes=store.pin_lockout_minutes)
    if accounts.count_pin_failure(session, account, max_tries=MAX_PIN_TRIES, now=now,
                                  lockout=lockout):
        _audit(session, account, channel, q, "locked",
               f"{MAX_PIN_TRIES} wrong PINs: voice purchasing locked for "
               f"{store.pin_lockout_minutes} minutes")
        return Outcome("locked", pending=pending, quote=q)
    _audit(session, account, channel, q, "pin_failed", "wrong PIN")
    return Outcome("pin_wrong", pending=pending, quote=q,
                   tries_left=MAX_PIN_TRIES - account.pin_failures)


def _as_it_is(order: Order) -> Outcome:
    """A retried request's answer: the order as it is now, not as it was ("cancelled")."""
    if order.status in (OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value):
        return Outcome("no_longer", order=order, created=False)
    return Outcome("placed" if order.status != OrderStatus.AWAITING_APPROVAL.value
                   else "sent_for_approval", order=order, created=False)


def _finish(session: Session, store: StoreSettings, account: Account, pending: Pending,
            idempotency_key: str, channel: str, now: datetime) -> Outcome:
    # The key names the restatement and the request: Alexa retrying the request finds its
    # order, and so does the same restatement's question sent back in another request.
    if pending.ref:
        idempotency_key = f"{pending.ref}:{idempotency_key}"
    existing = (find_by_restatement(session, account, pending.ref, idempotency_key)
                if pending.ref else find_by_key(session, account, idempotency_key))
    if existing is not None:  # a retried request, or a restatement already answered
        return _as_it_is(existing)
    try:
        q = _price(session, store, account, pending)
    except NotFound:
        q = None
    except NotAllowed as exc:  # sold out (or the merchant changed a limit) since the question
        return Outcome("unavailable", pending=pending, problem=exc)
    lines = [(ln.sku, ln.quantity) for ln in q.lines] if q else []
    if q is None or q.total_minor != pending.total_minor or lines != pending.lines:
        if q is None or not q.lines:
            return Outcome("declined", pending=pending)
        restarted = _start(session, store, account, pending.kind, q, channel, now)
        restarted.kind = "changed" if restarted.kind == "ask_confirm" else restarted.kind
        return restarted
    # The rules may have changed since the question (a lock, a new limit): decide again.
    decision = decide(session, store, account, q, now)
    if decision.verdict is Verdict.REFUSE:
        _audit(session, account, channel, q, "refused", decision.reason)
        return Outcome("refused", quote=q, decision=decision)
    new_repeats = {k: v for k, v in decision.repeat_of.items() if k not in pending.repeat_of}
    if new_repeats:  # e.g. another speaker on the account ordered it since the question
        pending.repeat_of.update({k: v.isoformat() for k, v in new_repeats.items()})
        pending.step = "repeat"
        return Outcome("ask_repeat", pending=pending)
    if decision.verdict is Verdict.PIN and pending.step != "pin":
        pending.step, pending.verdict = "pin", Verdict.PIN.value
        return Outcome("ask_pin", pending=pending)
    status = (OrderStatus.AWAITING_APPROVAL if decision.verdict is Verdict.APPROVAL
              else OrderStatus.PLACED)
    try:
        order, created = place_order(session, account, q, idempotency_key=idempotency_key,
                                     status=status, note=f"voice order ({decision.reason})")
    except NotAllowed as exc:  # another order took the last units a moment ago
        _audit(session, account, channel, q, "refused", exc.code)
        return Outcome("unavailable", pending=pending, quote=q, problem=exc)
    if created and pending.kind == "checkout":
        clear_cart(session, account)
    if created and status is OrderStatus.PLACED:
        queue_order_confirmation(session, store, order)
    if created and status is OrderStatus.AWAITING_APPROVAL:
        queue_approval_request(session, store, order)  # the owner decides from the e-mail
    outcome = "placed" if status is OrderStatus.PLACED else "awaiting_approval"
    if created:
        _audit(session, account, channel, q, outcome, decision.reason, order)
    return Outcome("placed" if status is OrderStatus.PLACED else "sent_for_approval",
                   quote=q, decision=decision, order=order, created=created)
