"""The purchase-attempt audit log: every attempt to buy, placed or not, and why.

It records who, what, the total and the outcome. It never holds a PIN or any secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill.db import Base, UTCDateTime, utcnow


class PurchaseAttempt(Base):
    """One attempt to buy something, with its outcome."""

    __tablename__ = "purchase_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[str] = mapped_column(String(512), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    """Where the attempt came from: ``alexa``, ``local`` or ``cli``."""
    items: Mapped[list[dict]] = mapped_column(JSON)
    """``[{"sku", "name", "quantity"}]``."""
    total_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    """``placed``, ``awaiting_approval``, ``refused``, ``declined``, ``pin_failed``..."""
    reason: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), default=None)


def record_attempt(
    session: Session,
    *,
    user_id: str,
    channel: str,
    items: list[dict],
    total_minor: int,
    currency: str,
    outcome: str,
    reason: str = "",
    order_id: int | None = None,
) -> PurchaseAttempt:
    """Add one attempt to the log (in the caller's transaction)."""
    attempt = PurchaseAttempt(
        user_id=user_id, channel=channel,
        items=[{"sku": i["sku"], "name": i["name"], "quantity": int(i["quantity"])} for i in items],
        total_minor=total_minor, currency=currency, outcome=outcome, reason=reason,
        order_id=order_id, at=utcnow())
    session.add(attempt)
    session.flush()
    return attempt


def list_attempts(
    session: Session,
    *,
    user_id: str | None = None,
    outcome: str | None = None,
    limit: int = 200,
) -> list[PurchaseAttempt]:
    """The newest attempts first, optionally filtered."""
    query = select(PurchaseAttempt).order_by(PurchaseAttempt.id.desc()).limit(limit)
    if user_id:
        query = query.where(PurchaseAttempt.user_id == user_id)
    if outcome:
        query = query.where(PurchaseAttempt.outcome == outcome)
    return list(session.scalars(query))
