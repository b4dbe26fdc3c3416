"""Cart continuity: a shopper who left items in the cart hears it at the next launch, once
per change of the cart (the reminder remembers which state of the cart it was about)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill.accounts import Account
from skill.cart import Cart, CartEntry, read_cart
from skill.db import Base, UTCDateTime


class CartReminder(Base):
    """The state of an account's cart (its ``updated_at``) the shopper was last reminded of."""

    __tablename__ = "cart_reminders"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            primary_key=True)
    cart_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def reminder_due(session: Session, account: Account) -> list[CartEntry]:
    """The cart's lines if the shopper has not yet heard about this state of the cart (and
    marks it heard, in the caller's transaction); else nothing."""
    cart = session.scalar(select(Cart).where(Cart.account_id == account.id))
    if cart is None:
        return []
    entries = read_cart(session, account)
    if not entries:
        return []
    reminder = session.get(CartReminder, account.id)
    if reminder is not None and reminder.cart_updated_at == cart.updated_at:
        return []
    if reminder is None:
        session.add(CartReminder(account_id=account.id, cart_updated_at=cart.updated_at))
    else:
        reminder.cart_updated_at = cart.updated_at
    session.flush()
    return entries
