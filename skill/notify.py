"""Order confirmation e-mails, through an outbox.

Alexa's rules for physical goods ask for a confirmation by voice, in the Alexa app and by
e-mail. The e-mail is written to ``outbox_messages`` in the same transaction that places the
order, so an order never exists without its message, and a mail server that is down or drops
the connection loses nothing: ``send_pending`` (``voicecart outbox send``, or the sender
thread of ``voicecart serve`` when ``VOICECART_SMTP_URL`` is set) delivers it later. A
message is marked sent only after the server accepted it: delivery is at least once, and a
message sent twice (a crash between the two) carries the same Message-ID both times.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlparse

from sqlalchemy import ForeignKey, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from skill import money
from skill.db import Base, UTCDateTime, utcnow
from skill.store import StoreSettings

if TYPE_CHECKING:
    from skill.orders import Order

log = logging.getLogger(__name__)

SMTP_URL_ENV = "VOICECART_SMTP_URL"
MAIL_FROM_ENV = "VOICECART_MAIL_FROM"
MAX_ATTEMPTS = 10
"""After this many failed deliveries a message is left for a person to look at."""


class OutboxMessage(Base):
    """An e-mail waiting to be sent (or sent: ``sent_at``)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    """A sender is delivering it until then (so no other sender takes it meanwhile)."""


def queue_order_confirmation(session: Session, store: StoreSettings, order: Order) -> bool:
    """Queue the placed order's confirmation if the account has an e-mail address."""
    address = order.account.email
    if not address:
        return False
    lines = "\n".join(
        f"  {ln.quantity} x {ln.name} ({ln.sku}) at "
        f"{money.display(ln.unit_price_minor, order.currency)}" for ln in order.lines)
    body = (
        f"Thank you for your order from {store.seller}.\n\n"
        f"Order {order.id}, placed {order.created_at:%Y-%m-%d %H:%M} UTC by voice:\n{lines}\n\n"
        f"Subtotal: {money.display(order.subtotal_minor, order.currency)}\n"
        f"Tax: {money.display(order.tax_minor, order.currency)}\n"
        f"Delivery: {money.display(order.delivery_minor, order.currency)}\n"
        f"Total: {money.display(order.total_minor, order.currency)}\n\n"
        f"Expected delivery: {order.expected_delivery:%A, %B %d, %Y}.\n"
        f"You can cancel within {store.cancel_window_minutes} minutes of ordering by saying "
        f"\"Alexa, ask voice cart to cancel my last order\".\n")
    session.add(OutboxMessage(kind="order_placed", to_address=address, order_id=order.id,
                              subject=f"Your {store.seller} order {order.id}", body=body))
    return True


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes: ``smtp://user:password@host:port`` (STARTTLS when the server offers
    it; ``?starttls=require`` to insist) or ``smtps://`` for TLS from the start."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    require_starttls: bool
    sender: str

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpSettings:
        """Settings from a URL (see the class)."""
        parts = urlparse(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must look like smtp://user:password@host:587")
        query = parse_qs(parts.query)
        return cls(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None,
                   parts.scheme == "smtps", query.get("starttls") == ["require"], sender)

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """From ``VOICECART_SMTP_URL`` and ``VOICECART_MAIL_FROM``; None when not set."""
        url = os.environ.get(SMTP_URL_ENV)
        if not url:
            return None
        return cls.from_url(url, os.environ.get(MAIL_FROM_ENV, "orders@voicecart.invalid"))


def deliver(settings: SmtpSettings, message: OutboxMessage, timeout: float = 20) -> None:
    """Hand one message to the mail server; raises on any failure."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Message-ID"] = f"<outbox-{message.id}@voicecart>"  # the same id if ever resent
    mail.set_content(message.body)
    context = ssl.create_default_context()
    if settings.implicit_tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                                context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with client:
        if not settings.implicit_tls:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif settings.require_starttls:
                raise smtplib.SMTPException("the server does not offer STARTTLS")
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(mail)


CLAIM = timedelta(minutes=2)
"""How long a sender may take to deliver one message before another may try it."""


def send_pending(sessions: sessionmaker[Session], settings: SmtpSettings,
                 limit: int = 100) -> tuple[int, int]:
    """Deliver waiting messages: ``(sent, failed)``.

    Each message is first claimed in a short transaction, delivered with no transaction open
    (a slow mail server must not hold database locks that shoppers' orders wait for), then
    marked sent or failed. Two senders never hold the same message; one that fails waits
    for the next round.
    """
    sent = failed = 0
    for _ in range(limit):
        with sessions() as session, session.begin():
            now = utcnow()
            message = session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                       or_(OutboxMessage.claimed_until.is_(None),
                           OutboxMessage.claimed_until < now))
                .order_by(OutboxMessage.id).limit(1).with_for_update(skip_locked=True))
            if message is None:
                break
            message.claimed_until = now + CLAIM
            message.attempts += 1
        try:
            deliver(settings, message)
            error = ""
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000] or "failed"
            log.warning("outbox message %s not sent: %s", message.id, error)
        with sessions() as session, session.begin():
            stored = session.get(OutboxMessage, message.id)
            assert stored is not None
            stored.last_error = error
            if error:
                failed += 1  # claimed_until stays: this round does not try it again
            else:
                stored.sent_at, stored.claimed_until = utcnow(), None
                sent += 1
    return sent, failed
