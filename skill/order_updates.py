"""Order updates to the household: shipped, out for delivery, delivered.

Each update is queued in the transaction that moves the order on: an e-mail through the outbox
(``skill.notify``) when the account has an address, and, for each Alexa user linked to the
household whose locale is en-US and who allowed the skill's notifications (Alexa sends an
``AlexaSkillEvent.ProactiveSubscriptionChanged`` request), an ``AMAZON.OrderStatus.Updated``
proactive event. Events are sent apart from any request (``send_pending_events``): a token
from Login with Amazon with the skill's own client id and secret (``client_credentials``,
scope ``alexa::proactive_events``), then one POST per event to the Proactive Events API.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from skill.db import Base, UTCDateTime, utcnow
from skill.linking import alexa_settings
from skill.notify import MAX_ATTEMPTS, OutboxMessage
from skill.orders import Order, OrderStatus
from skill.shoppers import Household, household_of
from skill.store import StoreSettings, load_store_settings

log = logging.getLogger(__name__)

EVENT_NAME = "AMAZON.OrderStatus.Updated"
EVENT_STATUS = {OrderStatus.SHIPPED.value: "ORDER_SHIPPED",
                OrderStatus.OUT_FOR_DELIVERY.value: "ORDER_OUT_FOR_DELIVERY",
                OrderStatus.DELIVERED.value: "ORDER_DELIVERED"}
"""Our statuses that the household hears about -> the event's ``state.status``."""
EVENT_LOCALES = ("en-US",)
EVENT_LIFETIME = timedelta(hours=23)
"""Alexa drops an event after its expiryTime (at most a day after its timestamp)."""
_WORDS = {OrderStatus.SHIPPED.value: "has shipped",
          OrderStatus.OUT_FOR_DELIVERY.value: "is out for delivery",
          OrderStatus.DELIVERED.value: "has been delivered"}


class AlexaUser(Base):
    """An Alexa user id seen with a household's link: where its notifications can go."""

    __tablename__ = "alexa_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"),
                                              index=True)
    alexa_user_id: Mapped[str] = mapped_column(String(512), unique=True)
    locale: Mapped[str] = mapped_column(String(16), default="")
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    """The user allowed order-status notifications."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlexaEvent(Base):
    """A proactive event waiting to be sent (or sent: ``sent_at``)."""

    __tablename__ = "alexa_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"),
                                                 index=True)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def note_alexa_user(session: Session, household: Household, alexa_user_id: str,
                    locale: str | None, subscribed: bool | None = None) -> AlexaUser:
    """Remember (or update) an Alexa user of the household."""
    if locale and len(locale) > 16:
        locale = None  # not a locale Alexa sends
    user = session.scalar(select(AlexaUser).where(AlexaUser.alexa_user_id == alexa_user_id))
    if user is None:
        user = AlexaUser(household_id=household.id, alexa_user_id=alexa_user_id,
                         locale=locale or "", subscribed=bool(subscribed))
        with session.begin_nested():
            session.add(user)
        return user
    user.household_id = household.id  # the link may have moved to another household
    if locale:
        user.locale = locale
    if subscribed is not None:
        user.subscribed = subscribed
    user.updated_at = utcnow()
    return user


def set_subscription(session: Session, alexa_user_id: str, event_names: list[str]) -> bool:
    """Alexa told which events the user allows; returns whether the user is known."""
    user = session.scalar(select(AlexaUser).where(AlexaUser.alexa_user_id == alexa_user_id))
    if user is None:
        return False
    user.subscribed = EVENT_NAME in event_names
    return True


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def order_status_event(order: Order, seller: str, alexa_user_id: str, locale: str,
                       now: datetime) -> dict:
    """The ``AMAZON.OrderStatus.Updated`` event for the order's current status."""
    state: dict = {"status": EVENT_STATUS[order.status]}
    if order.status != OrderStatus.DELIVERED.value:
        arrival = datetime.combine(order.expected_delivery, datetime.min.time())
        state["deliveryDetails"] = {"expectedArrival": _iso(arrival)}
    return {
        "timestamp": _iso(now),
        "referenceId": f"voicecart-{order.id}-{order.status}-{secrets.token_hex(6)}",
        "expiryTime": _iso(now + EVENT_LIFETIME),
        "event": {"name": EVENT_NAME, "payload": {
            "state": state, "order": {"seller": {"name": "localizedattribute:sellerName"}}}},
        "localizedAttributes": [{"locale": locale, "sellerName": seller}],
        "relevantAudience": {"type": "Unicast", "payload": {"user": alexa_user_id}},
    }


def queue_status_update(session: Session, order: Order, store: StoreSettings | None = None
                        ) -> int:
    """Queue what the household hears about the order's new status; returns how many
    messages (e-mail and events). Statuses other than shipped, out for delivery and
    delivered queue nothing."""
    if order.status not in EVENT_STATUS:
        return 0
    store = store or load_store_settings()
    queued = 0
    if order.account.email:
        session.add(OutboxMessage(
            kind="order_status", to_address=order.account.email, order_id=order.id,
            subject=f"Your {store.seller} order {order.id} {_WORDS[order.status]}",
            body=(f"Your order {order.id} from {store.seller} {_WORDS[order.status]}.\n"
                  + ("" if order.status == OrderStatus.DELIVERED.value else
                     f"Expected delivery: {order.expected_delivery:%A, %B %d, %Y}.\n"))))
        queued += 1
    household = household_of(session, order.account)
    if household is None:
        return queued
    now = utcnow()
    for user in session.scalars(select(AlexaUser).where(
            AlexaUser.household_id == household.id, AlexaUser.subscribed.is_(True),
            AlexaUser.locale.in_(EVENT_LOCALES))):
        session.add(AlexaEvent(order_id=order.id, body=order_status_event(
            order, store.seller, user.alexa_user_id, user.locale, now)))
        queued += 1
    return queued


@dataclass(frozen=True)
class EventSettings:
    """The skill's client credentials (Alexa console: Build > Permissions) and endpoints."""

    client_id: str
    client_secret: str
    token_url: str
    events_url: str

    @classmethod
    def from_env(cls) -> EventSettings | None:
        """``VOICECART_ALEXA_CLIENT_ID`` / ``_SECRET``; endpoints from ``skill/data/alexa.json``
        (``VOICECART_PROACTIVE_STAGE`` development or live), or ``VOICECART_LWA_TOKEN_URL``
        and ``VOICECART_PROACTIVE_EVENTS_URL``. None when no credentials are set."""
        client_id = os.environ.get("VOICECART_ALEXA_CLIENT_ID")
        secret = os.environ.get("VOICECART_ALEXA_CLIENT_SECRET")
        if not client_id or not secret:
            return None
        urls = alexa_settings()
        stage = os.environ.get("VOICECART_PROACTIVE_STAGE", "development")
        return cls(client_id, secret,
                   os.environ.get("VOICECART_LWA_TOKEN_URL") or urls["lwa_token_url"],
                   os.environ.get("VOICECART_PROACTIVE_EVENTS_URL")
                   or urls["proactive_events_url"][stage])


class EventError(Exception):
    """Login with Amazon or the Proactive Events API said no (or could not be reached)."""


def _post(url: str, data: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise EventError(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {exc}") from None


def access_token(settings: EventSettings, timeout: float = 20) -> str:
    """A Login with Amazon token for sending proactive events."""
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "scope": alexa_settings()["proactive_events_scope"]}).encode()
    status, body = _post(settings.token_url, form,
                         {"Content-Type": "application/x-www-form-urlencoded"}, timeout)
    try:
        token = json.loads(body).get("access_token") if status == 200 else None
    except (ValueError, AttributeError):
        token = None
    if not token:
        raise EventError(f"Login with Amazon refused the skill's credentials (HTTP {status})")
    return token


def send_pending_events(sessions: sessionmaker[Session], settings: EventSettings,
                        limit: int = 100, timeout: float = 20) -> tuple[int, int]:
    """Send waiting events: ``(sent, failed)``. A failed one is tried again next round."""
    with sessions() as session:
        waiting = [(e.id, e.body) for e in session.scalars(
            select(AlexaEvent).where(AlexaEvent.sent_at.is_(None),
                                     AlexaEvent.attempts < MAX_ATTEMPTS)
            .order_by(AlexaEvent.id).limit(limit))]
    if not waiting:
        return 0, 0
    try:
        token = access_token(settings, timeout)
        token_error = ""
    except EventError as exc:
        token, token_error = None, str(exc)
    sent = failed = 0
    for event_id, body in waiting:
        error = token_error
        if token:
            try:
                status, answer = _post(settings.events_url, json.dumps(body).encode(),
                                       {"Content-Type": "application/json",
                                        "Authorization": f"Bearer {token}"}, timeout)
                error = "" if status in (200, 202) else f"HTTP {status}: {answer[:300]!r}"
            except EventError as exc:
                error = str(exc)
        with sessions() as session, session.begin():
            event = session.get(AlexaEvent, event_id)
            assert event is not None
            event.attempts += 1
            event.last_error = error
            if error:
                failed += 1
                log.warning("proactive event %s not sent: %s", event_id, error)
            else:
                event.sent_at = utcnow()
                sent += 1
    return sent, failed
