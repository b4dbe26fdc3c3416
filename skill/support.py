"""A person when the skill cannot help: callback requests and what the merchant needs to act.

A shopper who asks for a person (or is misunderstood twice in a row) is offered a callback;
accepting records a ``SupportRequest`` with the dialog's context (the last turns, the cart,
the open question, the order in question, the account's contact details; never a PIN) and
queues an e-mail to the merchant's support address (``VOICECART_SUPPORT_EMAIL``) through the
outbox, in the same transaction. The merchant lists open requests (console, ``voicecart
support list``, ``GET /api/v1/support``) and marks each handled with a note.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill.accounts import Account
from skill.db import Base, UTCDateTime, utcnow
from skill.errors import InvalidInput, NotAllowed, NotFound
from skill.insights import clean_name, clean_text
from skill.notify import OutboxMessage

log = logging.getLogger(__name__)

SUPPORT_EMAIL_ENV = "VOICECART_SUPPORT_EMAIL"
CALLBACK_HOURS_ENV = "VOICECART_CALLBACK_HOURS"
DEFAULT_CALLBACK_HOURS = 24
STATUSES = ("open", "handled")
MAX_NOTE = 2000


class SupportRequest(Base):
    """A shopper's request for a callback, and what became of it."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[str] = mapped_column(String(512), index=True)
    channel: Mapped[str] = mapped_column(String(32), default="alexa")
    reason: Mapped[str] = mapped_column(String(200))
    """Why: "asked for a person", "help with an order", "said this is wrong", "misunderstood"."""
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), default=None)
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    """``{"turns", "cart", "question", "order", "contact"}`` (see ``dialog_context``)."""
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    handled_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class SupportSettings:
    """Where callback requests are e-mailed and when shoppers are told to expect the call."""

    email: str | None
    callback_hours: int

    @classmethod
    def from_env(cls) -> SupportSettings:
        """``VOICECART_SUPPORT_EMAIL`` (none: requests are only listed) and
        ``VOICECART_CALLBACK_HOURS`` (default 24)."""
        hours_text = os.environ.get(CALLBACK_HOURS_ENV, "").strip()
        try:
            hours = int(hours_text) if hours_text else DEFAULT_CALLBACK_HOURS
        except ValueError:
            hours = DEFAULT_CALLBACK_HOURS
            log.warning("%s is not a whole number; using %s", CALLBACK_HOURS_ENV, hours)
        return cls(os.environ.get(SUPPORT_EMAIL_ENV, "").strip() or None, max(hours, 1))


def clean_turns(turns: object) -> list[dict]:
    """A transcript as it may be kept: each turn's intent, what was said (masked) and the
    reply, bounded (what arrives from a client is never trusted as it is)."""
    kept = []
    for turn in turns if isinstance(turns, list) else []:
        if not isinstance(turn, dict):
            continue
        pin = turn.get("pin") is True
        kept.append({"intent": clean_name(turn.get("intent")) or "",
                     "said": clean_text(turn.get("said"), pin_asked=pin),
                     "reply": clean_text(turn.get("reply"))})
    return kept[-10:]


def dialog_context(session: Session, account: Account, *, turns: object,
                   question: str | None, order_id: int | None) -> dict:
    """What the person calling back needs: the last turns, the cart, the open question,
    the order in question and the contact details. Never a PIN."""
    from skill.cart import read_cart
    from skill.orders import Order

    order = session.get(Order, order_id) if order_id else None
    if order is not None and order.account_id != account.id:
        order = None
    return {
        "turns": clean_turns(turns),
        "cart": [{"sku": e.sku, "name": e.name, "quantity": e.quantity}
                 for e in read_cart(session, account)],
        "question": question,
        "order": {"id": order.id, "status": order.status,
                  "items": [{"name": ln.name, "quantity": ln.quantity} for ln in order.lines]}
        if order is not None else None,
        "contact": {"user_id": account.user_id, "email": account.email},
    }


def create_request(session: Session, account: Account, *, reason: str, channel: str,
                   context: dict, order_id: int | None, settings: SupportSettings,
                   seller: str) -> SupportRequest:
    """Record the request and queue its e-mail to the support address (same transaction)."""
    request = SupportRequest(user_id=account.user_id, channel=channel[:32],
                             reason=reason[:200], order_id=order_id, context=context,
                             created_at=utcnow())
    session.add(request)
    session.flush()
    if settings.email:
        session.add(OutboxMessage(kind="support_request", to_address=settings.email,
                                  order_id=order_id, subject=_subject(request, seller),
                                  body=request_text(request)))
    else:
        log.warning("support request %s recorded; no %s set, so no e-mail", request.id,
                    SUPPORT_EMAIL_ENV)
    return request


def _subject(request: SupportRequest, seller: str) -> str:
    about = f" about order {request.order_id}" if request.order_id else ""
    return f"{seller}: callback requested{about} (request {request.id})"[:200]


def request_text(request: SupportRequest) -> str:
    """The request as plain text (the e-mail body, the command line's listing)."""
    context = request.context or {}
    contact = context.get("contact") or {}
    lines = [f"Support request {request.id}, {request.created_at:%Y-%m-%d %H:%M} UTC, "
             f"by voice ({request.channel}): {request.reason}.",
             f"Account: {contact.get('user_id', request.user_id)}",
             f"E-mail: {contact.get('email') or '(none on the account)'}"]
    order = context.get("order")
    if order:
        items = ", ".join(f"{i['quantity']} x {i['name']}" for i in order.get("items", []))
        lines.append(f"Order {order['id']} ({order['status']}): {items}")
    cart = context.get("cart") or []
    lines.append("Cart: " + (", ".join(f"{c['quantity']} x {c['name']}" for c in cart)
                             or "empty"))
    if context.get("question"):
        lines.append(f"Open question: {context['question']}")
    lines.append("Last turns:")
    for turn in context.get("turns") or []:
        lines.append(f"  shopper ({turn['intent']}): {turn['said'] or '-'}")
        lines.append(f"  skill: {turn['reply']}")
    return "\n".join(lines) + "\n"


def open_request_of(session: Session, user_id: str) -> SupportRequest | None:
    """The shopper's newest open request, if any."""
    return session.scalars(select(SupportRequest).where(
        SupportRequest.user_id == user_id, SupportRequest.status == "open")
        .order_by(SupportRequest.id.desc()).limit(1)).first()


def list_requests(session: Session, status: str | None = "open", limit: int = 200
                  ) -> list[SupportRequest]:
    """Requests, newest first (``status`` None: all)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    query = select(SupportRequest).order_by(SupportRequest.id.desc()).limit(limit)
    if status is not None:
        query = query.where(SupportRequest.status == status)
    return list(session.scalars(query))


def get_request(session: Session, request_id: int) -> SupportRequest:
    """One request; NotFound when there is none."""
    request = session.get(SupportRequest, request_id)
    if request is None:
        raise NotFound(f"no support request {request_id}")
    return request


def mark_handled(session: Session, request_id: int, *, note: str, by: str) -> SupportRequest:
    """Close an open request with what was done."""
    request = get_request(session, request_id)
    note = note.strip()
    if not note:
        raise InvalidInput("say what was done (a note is required)", fields={"note": "required"})
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the note is longer than {MAX_NOTE} characters",
                           fields={"note": "too long"})
    if request.status != "open":
        raise NotAllowed(f"support request {request_id} is already handled",
                         code="already_handled")
    request.status, request.note, request.handled_by = "handled", note, by[:100]
    request.handled_at = utcnow()
    session.flush()
    return request


def request_summary(request: SupportRequest) -> dict:
    """The request as plain data (JSON output)."""
    return {"id": request.id, "created_at": request.created_at.isoformat(),
            "user_id": request.user_id, "channel": request.channel, "reason": request.reason,
            "order_id": request.order_id, "status": request.status,
            "context": request.context or {},
            "handled_at": request.handled_at.isoformat() if request.handled_at else None,
            "handled_by": request.handled_by or None, "note": request.note or None}
