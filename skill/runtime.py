"""Everything a running VoiceCart needs, opened once: database, store terms, item resolver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from skill.db import (
    light_transaction,
    make_engine,
    resolve_db_url,
    schema_revision,
    session_factory,
    transaction,
    upgrade,
)
from skill.errors import VoiceCartError
from skill.insights import defer_events, write_deferred_events
from skill.resolution import CatalogResolver
from skill.signing import secret_key
from skill.store import StoreSettings, load_store_settings

_turn: ContextVar[tuple[Runtime, Session] | None] = ContextVar("voicecart_turn", default=None)
"""The runtime and session of the turn this thread is answering, if any (``Runtime.turn``)."""


@dataclass
class Runtime:
    """The database, the store's terms and the item resolver, shared by CLI, skill and web."""

    engine: Engine
    sessions: sessionmaker[Session]
    store: StoreSettings
    resolver: CatalogResolver = field(default_factory=CatalogResolver)
    signing_key: str = field(default_factory=secret_key, repr=False)
    """Signs what the skill keeps in the client's session attributes (``skill.signing``)."""

    @classmethod
    def open(cls, db_url: str | None = None, store: StoreSettings | None = None, *,
             migrate: bool = True) -> Runtime:
        """Connect to ``db_url`` (or the configured default). With ``migrate`` the schema is
        brought up to date (the embedded default's path); without, an out-of-date schema is
        an error that says to run ``voicecart db upgrade`` (web workers never migrate)."""
        engine = make_engine(resolve_db_url(db_url))
        if migrate:
            upgrade(engine)
        else:
            current, head = schema_revision(engine)
            if current != head:
                raise VoiceCartError(f"the database schema is at {current or 'nothing'}, the "
                                     f"code needs {head}: run `voicecart db upgrade`")
        return cls(engine, session_factory(engine), store or load_store_settings())

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work (see ``skill.db.transaction``). Inside ``turn`` it is a savepoint
        of the turn's transaction: its work is undone alone if it fails, as before, but the
        turn commits once."""
        current = _turn.get()
        if current is not None and current[0] is self:
            session = current[1]
            with session.begin_nested():
                yield session
            return
        with transaction(self.sessions) as session:
            yield session

    @property
    def turn_session(self) -> Session | None:
        """The session of the turn this thread is answering (``turn``), if any."""
        current = _turn.get()
        return current[1] if current is not None and current[0] is self else None

    @contextmanager
    def turn(self) -> Iterator[Session]:
        """One transaction for a whole request: every ``transaction()`` opened while it lasts
        (by interceptors, handlers, the resolver) joins it, so a turn begins and commits once.
        """
        with light_transaction(self.sessions) as session:
            defer_events(session)
            token = _turn.set((self, session))
            try:
                yield session
            finally:
                _turn.reset(token)
            write_deferred_events(session)  # bookkeeping: the commit still need not wait

    def seed_demo(self) -> bool:
        """Load the demo catalog and account if the catalog is empty."""
        from skill.demo import seed_demo

        with self.transaction() as session:
            return seed_demo(session, self.store)
