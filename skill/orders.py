"""Orders: quoting, placing (idempotently), tracking, cancelling and advancing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from skill import audit, money
from skill.accounts import Account
from skill.cart import cart_items, check_orderable, clear_cart
from skill.catalog import CatalogItem
from skill.db import Base, UTCDateTime, read_once, utcnow
from skill.errors import InvalidInput, NotAllowed, NotFound
from skill.store import StoreSettings


class OrderStatus(str, enum.Enum):
    """Where an order is in its life."""

    AWAITING_APPROVAL = "awaiting_approval"
    PLACED = "placed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


# The moves a merchant (or the owner, for approvals) may make.
TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    OrderStatus.AWAITING_APPROVAL: {OrderStatus.PLACED, OrderStatus.REJECTED,
                                    OrderStatus.CANCELLED},
    OrderStatus.PLACED: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED},
    OrderStatus.OUT_FOR_DELIVERY: {OrderStatus.DELIVERED},
}
# Orders that still count as bought (for spending limits and "you ordered this recently").
ACTIVE_STATUSES = (OrderStatus.AWAITING_APPROVAL.value, OrderStatus.PLACED.value,
                   OrderStatus.SHIPPED.value, OrderStatus.OUT_FOR_DELIVERY.value,
                   OrderStatus.DELIVERED.value)


class Order(Base):
    """A purchase, with its price frozen at the time it was placed."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key"),
        # An account's orders newest first: the last quantity of an item and the recent
        # orders stop at the first match instead of reading every line of a popular item.
        Index("ix_orders_account_recent", "account_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    """The caller's key (Alexa's request id); the same key never makes a second order."""
    status: Mapped[str] = mapped_column(String(32), index=True)
    subtotal_minor: Mapped[int] = mapped_column(Integer)
    tax_minor: Mapped[int] = mapped_column(Integer)
    delivery_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expected_delivery: Mapped[date] = mapped_column(Date)
    account: Mapped[Account] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id")
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id")

    @property
    def quantity(self) -> int:
        """Units across all lines."""
        return sum(line.quantity for line in self.lines)


class OrderLine(Base):
    """One item of an order, with the name, price and unit it had when ordered."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_items.id", ondelete="SET NULL"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None)
    """The item's unit when ordered ("pack"), kept like its name: "two packs" stays two packs
    if the merchant later sells it by the box. None for no unit (and orders from before units
    existed)."""
    unit_plural: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None)
    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def total_minor(self) -> int:
        """Price times quantity."""
        return self.unit_price_minor * self.quantity


class OrderEvent(Base):
    """One entry of an order's status history."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expected_delivery: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    order: Mapped[Order] = relationship(back_populates="events")


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote."""

    item_id: int
    sku: str
    name: str
    category: str
    restriction: str
    unit_price_minor: int
    quantity: int
    unit: str | None = None
    """The item's unit ("pack"), or None; see ``speech.say_item_quantity``."""
    unit_plural: str | None = None
    stock_counted: bool = True
    """The item had a stock count when quoted; False (most of a grocery catalog): ordering it
    takes no stock, and costs no statement (``take_stock``)."""

    @property
    def total_minor(self) -> int:
        """Price times quantity."""
        return self.unit_price_minor * self.quantity

    def as_audit(self) -> dict:
        """The line as the audit log keeps it."""
        return {"sku": self.sku, "name": self.name, "quantity": self.quantity}


@dataclass(frozen=True)
class Quote:
    """What an order would cost: everything the shopper hears before confirming."""

    lines: tuple[QuoteLine, ...]
    subtotal_minor: int
    tax_minor: int
    delivery_minor: int
    total_minor: int
    currency: str
    expected_delivery: date


def quote(store: StoreSettings, items: list[tuple[CatalogItem, int]],
          now: datetime | None = None) -> Quote:
    """Price ``(item, quantity)`` pairs with tax and delivery; checks each may be ordered."""
    if not items:
        raise NotAllowed("there is nothing to order", code="empty_order")
    for item, quantity in items:
        check_orderable(item, quantity)
        if item.currency != store.currency:
            raise NotAllowed(f"{item.name} is priced in {item.currency}, the store in "
                             f"{store.currency}", code="currency_mismatch")
    lines = tuple(QuoteLine(item.id, item.sku, item.name, item.category, item.restriction,
                            item.price_minor, quantity, item.unit, item.unit_plural,
                            stock_counted=item.stock is not None)
                  for item, quantity in items)
    subtotal = sum(line.total_minor for line in lines)
    tax = store.tax_on(subtotal)
    delivery = store.delivery_on(subtotal)
    now = now or utcnow()
    return Quote(lines, subtotal, tax, delivery, subtotal + tax + delivery, store.currency,
                 now.date() + timedelta(days=store.delivery_days))


def last_ordered_quantity(session: Session, account: Account, item: CatalogItem) -> int | None:
    """How many of ``item`` the account's most recent order of it had, or None. Read once a
    transaction (``read_once``): a reorder turn asks before quoting and while quoting."""
    return read_once(session, ("last_ordered_quantity", account.id, item.id), lambda: (
        session.scalar(_LAST_QUANTITY, {"account_id": account.id, "item_id": item.id})))


_LAST_QUANTITY = (
    select(OrderLine.quantity).join(Order)
    .where(Order.account_id == bindparam("account_id"), OrderLine.item_id == bindparam("item_id"),
           Order.status.in_(ACTIVE_STATUSES))
    .order_by(Order.created_at.desc(), Order.id.desc()).limit(1))
"""Built once (every reorder runs it)."""


def quote_reorder(session: Session, store: StoreSettings, account: Account, item: CatalogItem,
                  quantity: int | None = None) -> Quote:
    """A quote to buy ``item`` again: the last quantity ordered unless one is given."""
    last = last_ordered_quantity(session, account, item)
    if last is None:
        raise NotFound(f"{item.name} is not in the order history", )
    return quote(store, [(item, quantity or min(last, item.max_quantity))])


def quote_cart(session: Session, store: StoreSettings, account: Account) -> Quote:
    """A quote for everything in the account's cart."""
    items = cart_items(session, account)
    if not items:
        raise NotAllowed("the cart is empty", code="empty_cart")
    return quote(store, items)


def find_by_key(session: Session, account: Account, idempotency_key: str) -> Order | None:
    """The order an earlier call with the same key created, if any. Read once a transaction
    (``read_once``): a caller's check and ``place_order``'s own are one query."""
    return read_once(session, ("order_by_key", account.id, idempotency_key), lambda: (
        session.scalar(select(Order).where(Order.account_id == account.id,
                                           Order.idempotency_key == idempotency_key))))


def find_by_restatement(session: Session, account: Account, ref: str,
                        idempotency_key: str) -> Order | None:
    """The order a restatement (``skill.purchase.Pending.ref``) already placed, if any: its
    key is ``ref:request id``. ``idempotency_key`` is this request's key (``ref:...``): the
    order with exactly that key comes first, and ``find_by_key`` for it is answered by the
    same query (no order of the restatement means none with the key either)."""
    if not idempotency_key.startswith(f"{ref}:"):
        raise ValueError("the idempotency key is not one of the restatement's")
    order = session.scalar(select(Order).where(
        Order.account_id == account.id,
        Order.idempotency_key.startswith(f"{ref}:", autoescape=True))
        .order_by((Order.idempotency_key == idempotency_key).desc()).limit(1))
    exact = order if order is not None and order.idempotency_key == idempotency_key else None
    read_once(session, ("order_by_key", account.id, idempotency_key), lambda: exact)
    return order


def place_order(
    session: Session,
    account: Account,
    order_quote: Quote,
    *,
    idempotency_key: str,
    status: OrderStatus = OrderStatus.PLACED,
    note: str = "",
) -> tuple[Order, bool]:
    """Create the order of a quote. Returns ``(order, created)``.

    A key that was used before returns the earlier order and creates nothing. Runs in the
    caller's transaction; a concurrent insert with the same key is caught by the unique
    constraint inside a savepoint, so the caller's transaction survives it.
    """
    if not idempotency_key:
        raise InvalidInput("an idempotency key is required to place an order")
    if status not in (OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL):
        raise InvalidInput(f"a new order cannot start as {status.value}")
    existing = find_by_key(session, account, idempotency_key)
    if existing is not None:
        return existing, False
    now = utcnow()
    order = Order(
        account_id=account.id, idempotency_key=idempotency_key, status=status.value,
        subtotal_minor=order_quote.subtotal_minor, tax_minor=order_quote.tax_minor,
        delivery_minor=order_quote.delivery_minor, total_minor=order_quote.total_minor,
        currency=order_quote.currency, created_at=now,
        expected_delivery=order_quote.expected_delivery,
        lines=[OrderLine(item_id=ln.item_id, sku=ln.sku, name=ln.name,
                         unit_price_minor=ln.unit_price_minor, quantity=ln.quantity,
                         unit=ln.unit, unit_plural=ln.unit_plural)
               for ln in order_quote.lines],
        events=[OrderEvent(status=status.value, at=now,
                           expected_delivery=order_quote.expected_delivery, note=note)],
    )
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
            take_stock(session, order_quote)  # out of stock: the savepoint undoes the order
    except IntegrityError:
        existing = find_by_key(session, account, idempotency_key)
        if existing is None:
            raise
        return existing, False
    return order, True


def take_stock(session: Session, order_quote: Quote) -> None:
    """Take the quote's quantities from stock, or raise NotAllowed(out_of_stock).

    One conditional UPDATE per tracked item: concurrent orders queue on the row and each
    sees the stock the one before left, so stock never goes below zero (the table's CHECK
    constraint stands behind this). A line whose item had no stock count when quoted (in
    the same transaction: ``QuoteLine.stock_counted``) costs no statement; should the
    merchant start counting it meanwhile, this order counts as placed just before.
    """
    for line in order_quote.lines:
        if not line.stock_counted:
            continue
        taken = session.execute(
            update(CatalogItem)
            .where(CatalogItem.id == line.item_id, CatalogItem.stock.is_not(None),
                   CatalogItem.stock >= line.quantity)
            .values(stock=CatalogItem.stock - line.quantity)
            .execution_options(synchronize_session="fetch"))
        if taken.rowcount == 0:
            stock = session.scalar(select(CatalogItem.stock)
                                   .where(CatalogItem.id == line.item_id))
            if stock is not None:
                raise NotAllowed(f"{line.name}: only {stock} in stock" if stock
                                 else f"{line.name} is out of stock", code="out_of_stock",
                                 item=line.name, left=stock)


def return_stock(session: Session, order: Order) -> None:
    """Put a cancelled or rejected order's quantities back into stock (tracked items)."""
    for line in order.lines:
        if line.item_id is not None:
            session.execute(
                update(CatalogItem)
                .where(CatalogItem.id == line.item_id, CatalogItem.stock.is_not(None))
                .values(stock=CatalogItem.stock + line.quantity)
                .execution_options(synchronize_session="fetch"))


def checkout(session: Session, store: StoreSettings, account: Account, *, idempotency_key: str,
             status: OrderStatus = OrderStatus.PLACED) -> tuple[Order, bool]:
    """Order everything in the cart and empty it, in one transaction."""
    existing = find_by_key(session, account, idempotency_key)
    if existing is not None:
        return existing, False
    order, created = place_order(session, account, quote_cart(session, store, account),
                                 idempotency_key=idempotency_key, status=status)
    if created:
        clear_cart(session, account)
    return order, created


def _orders_query(account: Account | None = None):  # noqa: ANN202 (a Select)
    query = select(Order).options(selectinload(Order.lines), selectinload(Order.events),
                                  selectinload(Order.account))
    if account is not None:
        query = query.where(Order.account_id == account.id)
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def latest_order(session: Session, account: Account, item: CatalogItem | None = None,
                 ) -> Order | None:
    """The account's newest order, or its newest order containing ``item``."""
    query = _orders_query(account)
    if item is not None:
        query = query.where(Order.lines.any(OrderLine.item_id == item.id))
    return session.scalars(query.limit(1)).first()


def list_orders(session: Session, *, account: Account | None = None,
                status: OrderStatus | None = None, limit: int = 500) -> list[Order]:
    """Orders, newest first."""
    query = _orders_query(account)
    if status is not None:
        query = query.where(Order.status == status.value)
    return list(session.scalars(query.limit(limit)))


def get_order(session: Session, order_id: int, *, lock: bool = False) -> Order:
    """The order with ``order_id``, or NotFound. With ``lock``, the row is locked until the
    transaction ends (PostgreSQL; SQLite's writers are serialized anyway) and re-read, so two
    people changing one order's status take turns and the second sees the first's change."""
    query = _orders_query().where(Order.id == order_id)
    if lock:
        query = query.with_for_update(of=Order).execution_options(populate_existing=True)
    order = session.scalars(query).first()
    if order is None:
        raise NotFound(f"no order {order_id}")
    return order


def spent_since(session: Session, account: Account, since: datetime) -> int:
    """What the account's orders since ``since`` add up to (cancelled and rejected excluded)."""
    return session.scalar(
        select(func.coalesce(func.sum(Order.total_minor), 0))
        .where(Order.account_id == account.id, Order.created_at >= since,
               Order.status.in_(ACTIVE_STATUSES))) or 0


def cancel_deadline(order: Order, store: StoreSettings) -> datetime:
    """When the order's voice-cancel window closes."""
    return order.created_at + timedelta(minutes=store.cancel_window_minutes)


def cancel_order(session: Session, store: StoreSettings, account: Account, order: Order,
                 now: datetime | None = None) -> Order:
    """Cancel the shopper's own order if the window is still open.

    An order awaiting approval can always be withdrawn; a placed one only within the
    store's cancel window and before it ships.
    """
    now = now or utcnow()
    if order.account_id != account.id:
        raise NotFound(f"no order {order.id}")
    order = get_order(session, order.id, lock=True)
    status = OrderStatus(order.status)
    if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        raise NotAllowed(f"order {order.id} is already {status.value}", code="already_closed")
    if status not in (OrderStatus.AWAITING_APPROVAL, OrderStatus.PLACED):
        raise NotAllowed(f"order {order.id} has already {status.value.replace('_', ' ')}",
                         code="already_shipped")
    if status is OrderStatus.PLACED and now > cancel_deadline(order, store):
        raise NotAllowed(f"the cancel window of order {order.id} has closed",
                         code="cancel_window_closed")
    return _set_status(session, order, OrderStatus.CANCELLED, now,
                       note="cancelled by the shopper")


def advance_order(session: Session, order_id: int, status: OrderStatus, *, note: str = "",
                  expected_delivery: date | None = None) -> Order:
    """Move an order along (merchant or owner action), refusing moves that make no sense and
    an expected delivery date in the past (dates are UTC, as everywhere in the store)."""
    order = get_order(session, order_id, lock=True)
    current = OrderStatus(order.status)
    if status not in TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS.get(current, set()))) or "none"
        raise NotAllowed(f"order {order_id} is {current.value}: it can move to {allowed}",
                         code="bad_transition")
    now = utcnow()
    if expected_delivery is not None:
        if expected_delivery < now.date():
            raise InvalidInput(f"the expected delivery date {expected_delivery.isoformat()} is "
                               "in the past", fields={"expected_delivery": "in the past"})
        order.expected_delivery = expected_delivery
    _set_status(session, order, status, now, note=note)
    from skill.order_updates import queue_status_update  # it builds on orders

    queue_status_update(session, order)
    return order


def approve_order(session: Session, order_id: int, *, note: str = "",
                  store: StoreSettings | None = None) -> Order:
    """The account owner approves a purchase that waited for them: it is placed (and, given
    the ``store``, its confirmation e-mail is queued)."""
    order = _decide_approval(session, order_id, OrderStatus.PLACED, note)
    if store is not None:
        from skill.notify import queue_order_confirmation  # notify builds on orders

        queue_order_confirmation(session, store, order)
    return order


def reject_order(session: Session, order_id: int, *, note: str = "") -> Order:
    """The account owner rejects a purchase that waited for them: nothing is bought."""
    return _decide_approval(session, order_id, OrderStatus.REJECTED, note)


def _decide_approval(session: Session, order_id: int, status: OrderStatus, note: str) -> Order:
    order = get_order(session, order_id, lock=True)
    if order.status != OrderStatus.AWAITING_APPROVAL.value:
        raise NotAllowed(f"order {order_id} is {order.status}, not awaiting approval",
                         code="not_awaiting_approval")
    audit.record_attempt(
        session, user_id=order.account.user_id, channel="owner",
        items=[{"sku": ln.sku, "name": ln.name, "quantity": ln.quantity} for ln in order.lines],
        total_minor=order.total_minor, currency=order.currency,
        outcome="approved" if status is OrderStatus.PLACED else "rejected",
        reason=note or "owner decision", order_id=order.id)
    return _set_status(session, order, status, utcnow(), note=note)


_CLOSED = (OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value)


def _set_status(session: Session, order: Order, status: OrderStatus, now: datetime, *,
                note: str) -> Order:
    if status.value in _CLOSED and order.status not in _CLOSED:
        return_stock(session, order)  # nothing will be delivered: the units are free again
    order.status = status.value
    order.events.append(OrderEvent(status=status.value, at=now,
                                   expected_delivery=order.expected_delivery, note=note))
    return order


def order_summary(order: Order) -> dict:
    """The order as plain data (for JSON output): id, account, status, lines, total, history."""
    return {
        "id": order.id,
        "account": order.account.user_id,
        "status": order.status,
        "created_at": order.created_at.isoformat(),
        "expected_delivery": order.expected_delivery.isoformat(),
        "lines": [{"sku": ln.sku, "name": ln.name, "quantity": ln.quantity,
                   "unit_price": money.format_amount(ln.unit_price_minor, order.currency),
                   "unit": ln.unit, "unit_plural": ln.unit_plural}
                  for ln in order.lines],
        "subtotal": money.format_amount(order.subtotal_minor, order.currency),
        "tax": money.format_amount(order.tax_minor, order.currency),
        "delivery": money.format_amount(order.delivery_minor, order.currency),
        "total": money.format_amount(order.total_minor, order.currency),
        "currency": order.currency,
        "history": [{"status": e.status, "at": e.at.isoformat(), "note": e.note,
                     "expected_delivery": e.expected_delivery.isoformat()
                     if e.expected_delivery else None} for e in order.events],
    }
