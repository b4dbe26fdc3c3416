"""The shopper's cart: items gathered before checkout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from skill.accounts import Account
from skill.catalog import CatalogItem, Restriction
from skill.db import Base, UTCDateTime, utcnow
from skill.errors import InvalidInput, NotAllowed, NotFound


class Cart(Base):
    """One open cart per account."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id")


class CartLine(Base):
    """A quantity of one catalog item in a cart."""

    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("cart_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    cart: Mapped[Cart] = relationship(back_populates="lines")
    item: Mapped[CatalogItem] = relationship()


@dataclass(frozen=True)
class CartEntry:
    """One line of a cart as read back to the shopper."""

    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    currency: str
    unit: str | None = None
    """The item's unit ("pack"), or None; see ``speech.say_item_quantity``."""
    unit_plural: str | None = None

    @property
    def total_minor(self) -> int:
        """Price times quantity."""
        return self.unit_price_minor * self.quantity


def check_orderable(item: CatalogItem, quantity: int) -> None:
    """Raise unless ``quantity`` of ``item`` may be ordered by voice at all."""
    if quantity < 1:
        raise InvalidInput("quantity must be at least one")
    if item.restriction == Restriction.BLOCKED.value or not item.reorderable:
        raise NotAllowed(f"{item.name} cannot be ordered by voice", code="not_voice_orderable")
    if quantity > item.max_quantity:
        raise NotAllowed(f"at most {item.max_quantity} of {item.name} per order",
                         code="over_max_quantity")
    if item.stock is not None and quantity > item.stock:
        raise NotAllowed(f"{item.name}: only {item.stock} in stock" if item.stock
                         else f"{item.name} is out of stock", code="out_of_stock",
                         item=item.name, left=item.stock)


def _cart(session: Session, account: Account, *, create: bool) -> Cart | None:
    cart = session.scalar(select(Cart).where(Cart.account_id == account.id))
    if cart is None and create:
        cart = Cart(account_id=account.id)
        session.add(cart)
        session.flush()
    return cart


def add_to_cart(session: Session, account: Account, item: CatalogItem, quantity: int) -> int:
    """Add ``quantity`` of ``item``; returns the item's new quantity in the cart."""
    cart = _cart(session, account, create=True)
    assert cart is not None
    line = next((ln for ln in cart.lines if ln.item_id == item.id), None)
    new_quantity = quantity + (line.quantity if line else 0)
    if quantity < 1:
        raise InvalidInput("quantity must be at least one")
    check_orderable(item, new_quantity)
    if line is None:
        cart.lines.append(CartLine(item_id=item.id, quantity=new_quantity))
    else:
        line.quantity = new_quantity
    cart.updated_at = utcnow()
    session.flush()
    return new_quantity


def set_quantity(session: Session, account: Account, item: CatalogItem, quantity: int) -> int:
    """Make the cart hold exactly ``quantity`` of ``item`` (adding the line if needed)."""
    if quantity < 1:
        raise InvalidInput("quantity must be at least one")
    check_orderable(item, quantity)
    cart = _cart(session, account, create=True)
    assert cart is not None
    line = next((ln for ln in cart.lines if ln.item_id == item.id), None)
    if line is None:
        cart.lines.append(CartLine(item_id=item.id, quantity=quantity))
    else:
        line.quantity = quantity
    cart.updated_at = utcnow()
    session.flush()
    return quantity


def remove_from_cart(
    session: Session, account: Account, item: CatalogItem, quantity: int | None = None
) -> int:
    """Remove ``quantity`` (all if None) of ``item``; returns what is left of it in the cart."""
    cart = _cart(session, account, create=False)
    line = next((ln for ln in cart.lines if ln.item_id == item.id), None) if cart else None
    if cart is None or line is None:
        raise NotFound(f"{item.name} is not in the cart")
    if quantity is not None and quantity < 1:
        raise InvalidInput("quantity must be at least one")
    left = 0 if quantity is None else max(line.quantity - quantity, 0)
    if left == 0:
        cart.lines.remove(line)
    else:
        line.quantity = left
    cart.updated_at = utcnow()
    session.flush()
    return left


def read_cart(session: Session, account: Account) -> list[CartEntry]:
    """The cart's lines at today's prices, in the order they were added."""
    cart = _cart(session, account, create=False)
    if cart is None:
        return []
    return [CartEntry(ln.item.sku, ln.item.name, ln.quantity, ln.item.price_minor,
                      ln.item.currency, ln.item.unit, ln.item.unit_plural) for ln in cart.lines]


def cart_items(session: Session, account: Account) -> list[tuple[CatalogItem, int]]:
    """The cart as ``(item, quantity)`` pairs, for checkout."""
    cart = _cart(session, account, create=False)
    return [(ln.item, ln.quantity) for ln in cart.lines] if cart else []


def clear_cart(session: Session, account: Account) -> int:
    """Empty the cart; returns how many lines were removed."""
    cart = _cart(session, account, create=False)
    if cart is None:
        return 0
    removed = len(cart.lines)
    cart.lines.clear()
    cart.updated_at = utcnow()
    session.flush()
    return removed
