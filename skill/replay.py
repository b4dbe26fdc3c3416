"""Replay protection: a signed Alexa request is answered once, however many workers see it.

Alexa signs the exact body, and the body carries a timestamp that verification accepts for
150 seconds either way. Within that window an identical copy would pass every check, so the
fingerprint of each verified request (SHA-256 of signature and body) is inserted into
``seen_requests`` inside the turn's own transaction: a second delivery finds the row (or, on
PostgreSQL, waits for the first turn's commit and then finds it) and is refused. A row is
useless once its request's timestamp is out of the window, and is purged after that.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill.db import Base, UTCDateTime, utcnow

WINDOW = timedelta(seconds=150)
"""How far a request's timestamp may be from now (``skill.verification``)."""
PURGE_EVERY = 60.0
"""Seconds between purges of expired fingerprints, per process."""
_CLOCK_SLACK = timedelta(seconds=60)
"""Kept this much longer, for clocks of workers that disagree a little."""


class SeenRequest(Base):
    """A verified request already answered, until its timestamp leaves the window."""

    __tablename__ = "seen_requests"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def fingerprint(signature: str, body: bytes) -> str:
    """What identifies one signed delivery: the signature and the exact body."""
    return hashlib.sha256(signature.encode() + b"\n" + body).hexdigest()


_RECORD = {dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(SeenRequest.__table__)
           .on_conflict_do_nothing().returning(SeenRequest.__table__.c.fingerprint)
           for dialect in (postgresql, sqlite)}
"""The fingerprint's INSERT, built once per dialect (every verified turn runs one)."""


class ReplayGuard:
    """Records fingerprints and says whether a request was seen before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_purge = 0.0

    def first_delivery(self, session: Session, print_: str, stamped: datetime) -> bool:
        """Record the request (timestamp ``stamped``) in ``session``'s transaction; False if
        it was recorded before (a replay)."""
        connection = session.connection()
        statement = _RECORD.get(connection.dialect.name, _RECORD["sqlite"])
        inserted = connection.execute(statement, {
            "fingerprint": print_, "expires_at": stamped + WINDOW}).first() is not None
        self._purge(session)
        return inserted

    def _purge(self, session: Session) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_purge < PURGE_EVERY:
                return
            self._last_purge = now
        table = SeenRequest.__table__
        session.connection().execute(delete(table).where(
            table.c.expires_at < utcnow() - _CLOCK_SLACK))
