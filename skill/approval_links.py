"""The owner decides from an e-mail: each new request of a household is e-mailed to its owner
with an approve and a reject link.

A link is a long random token, kept only as a hash, naming one order and one decision. It
works once, for ``LINK_LIFETIME``, only for the household's signed-in owner (a forwarded
e-mail decides nothing), and using either link of an order spends both. Opening it shows the
order and one button; the decision is that POST, so a mail scanner fetching the link
decides nothing.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from skill import money
from skill.db import Base, UTCDateTime, utcnow
from skill.errors import NotAllowed
from skill.notify import OutboxMessage
from skill.orders import Order, OrderStatus, approve_order, reject_order
from skill.shoppers import Household, household_of, token_hash
from skill.store import StoreSettings

LINK_LIFETIME = timedelta(hours=48)
PUBLIC_URL_ENV = "VOICECART_PUBLIC_URL"
ACTIONS = ("approve", "reject")


def public_url() -> str:
    """Where shoppers reach this server (``VOICECART_PUBLIC_URL``), for links in e-mails."""
    return os.environ.get(PUBLIC_URL_ENV, "http://127.0.0.1:8000").rstrip("/")


class ApprovalLink(Base):
    """One e-mailed decision link."""

    __tablename__ = "approval_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True)
    action: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    order: Mapped[Order] = relationship()


def queue_approval_request(session: Session, store: StoreSettings, order: Order) -> bool:
    """E-mail the household's owner about a new request, with its two links."""
    household = household_of(session, order.account)
    if household is None or household.owner is None:
        return False
    links = {}
    for action in ACTIONS:
        token = secrets.token_urlsafe(32)
        session.add(ApprovalLink(order_id=order.id, action=action,
                                 token_hash=token_hash(token),
                                 expires_at=utcnow() + LINK_LIFETIME))
        links[action] = f"{public_url()}/account/decide/{token}"
    lines = "\n".join(f"  {ln.quantity} x {ln.name} at "
                      f"{money.display(ln.unit_price_minor, order.currency)}"
                      for ln in order.lines)
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    session.add(OutboxMessage(
        kind="approval_request", to_address=household.owner.email, order_id=order.id,
        subject=f"Approve a purchase? {money.display(order.total_minor, order.currency)}",
        body=(f"Someone in your household asked {store.seller} by voice for:\n{lines}\n"
              f"Total with tax and delivery: "
              f"{money.display(order.total_minor, order.currency)}\n\n"
              f"Approve: {links['approve']}\nReject: {links['reject']}\n\n"
              f"The links work once, for {hours} hours, when you are signed in. Your account "
              f"page lists every request too.\n")))
    return True


def find_link(session: Session, token: str, household: Household,
              now: datetime | None = None) -> ApprovalLink:
    """The live link of ``token`` for an order of ``household``, or NotAllowed (unknown,
    used, expired, another household's, or the order was decided meanwhile)."""
    link = session.scalar(select(ApprovalLink).where(
        ApprovalLink.token_hash == token_hash(token or "")).with_for_update())
    now = now or utcnow()
    if link is None or link.order.account_id != household.account_id:
        raise NotAllowed("this link is not one of yours", code="bad_link")
    if link.used_at is not None or link.expires_at < now \
            or link.order.status != OrderStatus.AWAITING_APPROVAL.value:
        raise NotAllowed("this link has been used or has expired", code="used_link")
    return link


def decide_by_link(session: Session, store: StoreSettings, token: str,
                   household: Household) -> Order:
    """Carry out a link's decision, once: both links of the order are spent."""
    link = find_link(session, token, household)
    now = utcnow()
    session.execute(update(ApprovalLink).where(ApprovalLink.order_id == link.order_id)
                    .values(used_at=now).execution_options(synchronize_session="fetch"))
    if link.action == "approve":
        return approve_order(session, link.order_id, note="approved by the owner (e-mail)",
                             store=store)
    return reject_order(session, link.order_id, note="rejected by the owner (e-mail)")
