"""What shoppers said that the skill did not serve, kept for the merchant to learn from.

Each turn the skill could not serve leaves a ``DialogEvent``: a Fallback (with the heard
text where the local loop has it, else the raw slot values: Alexa sends no transcript), an
item that did not resolve (with its top candidates), a question left open when the session
ended, a misunderstanding repeated. Each turn also counts once (``turn``) so that a Fallback
rate can be given, and each restatement of a purchase once (``restatement``).

Never a PIN, never audio: where a PIN was asked the heard text is not kept at all, and any
run of four digits or three number words is masked anywhere (``mask``). Events older than
the retention (``VOICECART_INSIGHTS_RETENTION_DAYS``, default 90) are deleted by
``purge_events`` (``voicecart insights purge``). The report built from them is in
``skill.insight_report``.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime, timedelta

from sqlalchemy import JSON, String, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill.db import Base, UTCDateTime, utcnow
from skill.errors import InvalidInput

log = logging.getLogger(__name__)

RETENTION_ENV = "VOICECART_INSIGHTS_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90
KINDS = ("turn", "fallback", "unresolved_item", "ambiguous_item", "abandoned", "repeated_miss",
         "restatement", "handoff")
"""What an event records (see the module docstring); ``handoff``: a person was asked for."""
MAX_TEXT = 300
PIN_WITHHELD = "(PIN, not kept)"
_DIGIT_RUN = re.compile(r"\d(?:[\s.,-]*\d){3,}")
_NUMBER_WORDS = ("zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                 "thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|"
                 "thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred")
_NAME = re.compile(r"[A-Za-z_.]{1,100}")
_ANY_DIGITS = re.compile(r"\d+")
_ANY_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_WORD_RUN = re.compile(rf"\b(?:{_NUMBER_WORDS})(?:[\s-]+(?:{_NUMBER_WORDS})){{2,}}\b",
                       re.IGNORECASE)


class DialogEvent(Base):
    """One thing that happened in a dialog that the merchant learns from (see ``KINDS``)."""

    bookkeeping = True
    """Worth no wait for the disk at commit (``skill.db``): a lost event only thins a report."""

    __tablename__ = "dialog_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str] = mapped_column(String(512), index=True)
    session_id: Mapped[str] = mapped_column(String(255), default="")
    channel: Mapped[str] = mapped_column(String(32), default="alexa")
    intent: Mapped[str | None] = mapped_column(String(100), default=None)
    """The intent of the turn (``AMAZON.FallbackIntent`` for a Fallback)."""
    text: Mapped[str] = mapped_column(Text, default="")
    """What was heard (masked): the local loop's text, an item's words, or slot values."""
    slots: Mapped[dict] = mapped_column(JSON, default=dict)
    """Raw slot values as they arrived (masked; never the PIN slot)."""
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    """For an item: ``[{"sku", "name", "score"}]``, best first."""
    question: Mapped[str | None] = mapped_column(String(32), default=None)
    """The kind of question that was open (``purchase``, ``item``...), if one was."""
    guess: Mapped[str | None] = mapped_column(String(100), default=None)
    """The intent the local matcher thought likeliest, below its confidence (a hint)."""


def mask(text: str, *, every_number: bool = False) -> str:
    """``text`` with every run of four or more digits, or three or more number words,
    replaced by ``#``: a PIN said out of turn never reaches the records. With
    ``every_number`` (said while the PIN was asked) any digit or number word goes."""
    if every_number:
        text = _ANY_DIGITS.sub("#", text)
        return _ANY_NUMBER_WORD.sub("#", text)
    text = _DIGIT_RUN.sub("####", text)
    return _WORD_RUN.sub("####", text)


def clean_text(text: object, *, pin_asked: bool = False, pin_near: bool = False) -> str:
    """Heard text as it may be kept, bounded: nothing of a turn that may hold the PIN
    (``pin_asked``), every number masked in other turns at the PIN question (``pin_near``),
    PIN-like runs masked anywhere."""
    if not isinstance(text, str) or not text.strip():
        return ""
    if pin_asked:
        return PIN_WITHHELD
    return mask(" ".join(text.split()), every_number=pin_near)[:MAX_TEXT]


def clean_name(name: object) -> str | None:
    """An intent or slot name as it may be kept: letters, dots and underscores only (a
    client may send anything there, a PIN too), else None."""
    return name if isinstance(name, str) and _NAME.fullmatch(name) else None


def clean_slots(slots: dict[str, object], *, pin_asked: bool = False) -> dict[str, str]:
    """Slot name -> value as it may be kept (the ``Pin`` slot never)."""
    kept = {}
    for name, value in slots.items():
        if not isinstance(value, str) or not value.strip() or clean_name(name) is None:
            continue
        kept[str(name)[:64]] = PIN_WITHHELD if name == "Pin" or pin_asked else \
            clean_text(value)
    return kept


def add_event(session: Session, kind: str, *, user_id: str, channel: str = "alexa",
              session_id: str = "", intent: str | None = None, text: str = "",
              slots: dict | None = None, candidates: list[dict] | None = None,
              question: str | None = None, guess: str | None = None,
              pin_asked: bool = False, pin_near: bool = False,
              at: datetime | None = None) -> DialogEvent:
    """Record one event in the caller's transaction (text and slots cleaned here). In an
    Alexa turn (``defer_events``) it is written with the turn's other events at its end."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown dialog event kind {kind!r}")
    event = DialogEvent(kind=kind, user_id=user_id[:512], channel=channel[:32],
                        session_id=(session_id or "")[:255], intent=clean_name(intent),
                        text=clean_text(text, pin_asked=pin_asked,
                                                      pin_near=pin_near),
                        slots=clean_slots(slots or {}, pin_asked=pin_asked or pin_near),
                        candidates=list(candidates or [])[:5], question=question and
                        question[:32], guess=guess and guess[:100], at=at or utcnow())
    deferred = session.info.get(_TURN_EVENTS)
    if deferred is not None:
        deferred.append(event)
        return event
    session.add(event)
    session.flush()
    return event


_TURN_EVENTS = "voicecart_turn_events"
"""``Session.info`` key: events of the turn, written together when it ends."""


def defer_events(session: Session) -> None:
    """From now on ``add_event`` in ``session`` keeps events for ``write_deferred_events``:
    a turn's two or three events cost one INSERT, and the parts of the turn that only read
    send no savepoint (``skill.db``), instead of an INSERT in a savepoint each."""
    session.info[_TURN_EVENTS] = []


def write_deferred_events(session: Session) -> None:
    """Write the events ``defer_events`` kept, in one savepoint: should that fail, the events
    are lost and logged, and the turn's own work stands (a record never fails a turn)."""
    events = session.info.pop(_TURN_EVENTS, None)
    if not events:
        return
    try:
        with session.begin_nested():
            session.add_all(events)
    except Exception:
        log.exception("could not record %d dialog events", len(events))


def retention_days() -> int:
    """How long events are kept: ``VOICECART_INSIGHTS_RETENTION_DAYS`` (default 90)."""
    value = os.environ.get(RETENTION_ENV, "").strip()
    if not value:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(value)
    except ValueError:
        raise InvalidInput(f"{RETENTION_ENV} must be a whole number of days") from None
    if days < 1:
        raise InvalidInput(f"{RETENTION_ENV} must be at least 1")
    return days


def purge_events(session: Session, days: int | None = None, now: datetime | None = None
                 ) -> int:
    """Delete events older than ``days`` (default: the retention); how many went."""
    days = retention_days() if days is None else days
    if days < 1:
        raise InvalidInput("keep at least one day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = session.execute(delete(DialogEvent).where(DialogEvent.at < cutoff))
    return int(result.rowcount or 0)
