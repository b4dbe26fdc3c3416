"""The database: declarative base, engines and units of work.

Every commerce operation runs inside ``transaction(...)``: one Session, one transaction,
committed only if the whole operation succeeds.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import platformdirs
from sqlalchemy import Connection, DateTime, Engine, create_engine, event, inspect
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    DeclarativeBase,
    ORMExecuteState,
    Session,
    SessionTransaction,
    sessionmaker,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

DB_URL_ENV = "VOICECART_DB_URL"
SQLITE_SYNCHRONOUS = "voicecart_sqlite_synchronous"
"""Execution option (and connection info key): SQLite's ``PRAGMA synchronous`` for the
transaction a connection begins, ``FULL`` (the default) or ``NORMAL``."""
T = TypeVar("T")


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: the only clock the services use."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite drops the zone; PostgreSQL keeps it. This makes both behave the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    """Declarative base for every VoiceCart table."""


def default_db_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    data_dir = Path(platformdirs.user_data_dir("voicecart", appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'voicecart.db'}"


def resolve_db_url(url: str | None = None) -> str:
    """The URL given, else ``VOICECART_DB_URL``, else the embedded SQLite default."""
    return url or os.environ.get(DB_URL_ENV) or default_db_url()


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (see ``resolve_db_url``), with SQLite's foreign keys enforced."""
    url = resolve_db_url(url)
    if url.startswith("sqlite"):
        # A busy timeout lets two processes (CLI and server) share the file.
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
            # pysqlite defers BEGIN until the first write, so a SAVEPOINT could become the
            # outer transaction and its RELEASE commit half an order. Take over BEGIN
            # (SQLAlchemy's documented recipe) so transactions mean what they say.
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and "mode=memory" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()
            _record.info[SQLITE_SYNCHRONOUS] = "FULL"  # type: ignore[attr-defined]

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # The safety level can only change outside a transaction: chosen here, before
            # BEGIN, per transaction (FULL unless the caller asked otherwise).
            wanted = connection.get_execution_options().get(SQLITE_SYNCHRONOUS, "FULL")
            if connection.connection.info.get(SQLITE_SYNCHRONOUS) != wanted:
                connection.exec_driver_sql(f"PRAGMA synchronous={wanted}")
                connection.connection.info[SQLITE_SYNCHRONOUS] = wanted
            # IMMEDIATE: writers queue on the busy timeout instead of failing later when a
            # read lock cannot be upgraded.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url)
    _ping_when_idle(engine)
    _savepoints_when_needed(engine)
    return engine


PING_AFTER_IDLE_S = 10.0
"""A pooled connection unused for longer is checked with a query before it is handed out."""


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip on every checkout.

    ``pool_pre_ping`` would ask the server ``SELECT 1`` before every turn; a busy worker's
    connection was in use moments ago, so only one idle for ``PING_AFTER_IDLE_S`` is asked
    (a server restart or an idle-connection timeout meanwhile is what the ping catches). A
    connection that fails the ping is replaced before the turn sees it. One that dies while
    in use (a restart during a busy moment) fails that turn, which rolls back and answers
    with an apology; SQLAlchemy then invalidates the pool, so the next turn reconnects.
    """

    @event.listens_for(engine.pool, "checkin")
    def _idle_from(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info["voicecart_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry,
              _proxy: object) -> None:
        idle_since = record.info.get("voicecart_idle_since")  # None: connected just now
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # end the ping's transaction: the turn begins afresh
        except Exception as exc:
            # The pool discards this connection and hands out a new one (up to three tries).
            raise DisconnectionError("pooled connection failed its ping") from exc


INITIAL_REVISION = "0001"
"""The schema as it was before migrations existed (databases made by ``create_all``)."""


_SAVEPOINTS = "voicecart_savepoints"
"""``Connection.info`` key: the transaction's savepoints (``_Savepoint``), outermost first."""
_FAILED_UNSENT = "voicecart_failed_unsent"
"""``Connection.info`` key: a statement failed inside a savepoint never sent."""
KEEP_RELEASED = 16
"""Savepoints finished but not yet released on the server, at most, once none is open."""


class SavepointLost(RuntimeError):
    """A statement failed inside a savepoint that was never sent: nothing can be undone to
    it, so the transaction cannot go on (it rolls back whole)."""


@dataclass
class _Savepoint:
    name: str
    sent: bool = False
    """The server has it."""
    open: bool = True
    """SQLAlchemy has neither released it nor rolled back to it."""


def send_savepoint_now(cursor: DBAPICursor, statement: str) -> None:
    """Send savepoint statements held back by ``_savepoints_when_needed`` (several in one
    round trip: no parameters, so psycopg sends them as one simple query). A module function
    so that ``bench/turn_sql.py`` can count the round trips."""
    cursor.execute(statement)


def _savepoints_when_needed(engine: Engine) -> None:
    """Savepoints on PostgreSQL at the cost of a round trip only where something is written.

    A turn opens several savepoints (``Runtime.transaction`` inside ``Runtime.turn``: each
    part of the turn is undone alone if it fails), and each would cost two round trips
    (SAVEPOINT, RELEASE), though most parts only read. Here:

    - A savepoint stays a note on the connection until a statement other than a SELECT runs
      inside it; then it, and any savepoint around it not sent yet, go first, together.
      Releasing or rolling back to one never sent costs nothing: nothing in it changed
      anything (a SELECT ... FOR UPDATE keeps its lock to the end of the transaction).
    - Releasing a savepoint that was sent is left to COMMIT, which releases them all: the
      work stays inside it on the server, which changes nothing (a rollback to a savepoint
      around it still undoes it; none ever rolls back to a released one). Once none is open
      and more than ``KEEP_RELEASED`` wait (a long import), they are released at once.
    - Should a statement fail inside a savepoint never sent, PostgreSQL's transaction is
      aborted and rolling back to the savepoint cannot repair it: that raises
      ``SavepointLost`` and the transaction rolls back whole.
    """
    dialect = engine.dialect
    send_release = dialect.do_release_savepoint
    send_rollback_to = dialect.do_rollback_to_savepoint

    def savepoints(connection: Connection) -> list[_Savepoint]:
        return connection.info.setdefault(_SAVEPOINTS, [])

    def index(stack: list[_Savepoint], name: str) -> int | None:
        return next((i for i, savepoint in enumerate(stack) if savepoint.name == name), None)

    def do_savepoint(connection: Connection, name: str) -> None:
        savepoints(connection).append(_Savepoint(name))

    def do_release_savepoint(connection: Connection, name: str) -> None:
        stack = savepoints(connection)
        at = index(stack, name)
        if at is None:  # not one of ours: let the server judge it
            send_release(connection, name)
            return
        stack[at:] = [replace(sp, open=False) for sp in stack[at:] if sp.sent]
        if stack and not any(sp.open for sp in stack) and len(stack) > KEEP_RELEASED:
            send_release(connection, stack[0].name)  # releases every one after it too
            stack.clear()

    def do_rollback_to_savepoint(connection: Connection, name: str) -> None:
        stack = savepoints(connection)
        failed = connection.info.pop(_FAILED_UNSENT, False)
        at = index(stack, name)
        if at is None:
            send_rollback_to(connection, name)
        elif stack[at].sent:  # the server keeps the savepoint itself, and forgets later ones
            send_rollback_to(connection, name)
            stack[at:] = [replace(stack[at], open=False)]
        else:
            del stack[at:]
            if failed:
                raise SavepointLost("a statement failed inside a savepoint never sent")

    dialect.do_savepoint = do_savepoint  # type: ignore[method-assign]
    dialect.do_release_savepoint = do_release_savepoint  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = do_rollback_to_savepoint  # type: ignore[method-assign]

    @event.listens_for(engine, "before_cursor_execute")
    def _send_first(connection: Connection, cursor: DBAPICursor, statement: str,
                    *_args: object) -> None:
        stack = connection.info.get(_SAVEPOINTS)
        if not stack or stack[-1].sent or statement.lstrip()[:6].upper() == "SELECT":
            return  # (all open ones are sent once the innermost is)
        unsent = [sp for sp in stack if not sp.sent]
        send_savepoint_now(cursor, "; ".join(f"SAVEPOINT {sp.name}" for sp in unsent))
        for savepoint in unsent:
            savepoint.sent = True

    @event.listens_for(engine, "handle_error")
    def _failed(context: ExceptionContext) -> None:
        connection = context.connection
        if connection is None or connection.invalidated or context.is_disconnect:
            return  # the connection is gone, and with it the transaction
        stack = connection.info.get(_SAVEPOINTS)
        innermost = next((sp for sp in reversed(stack or []) if sp.open), None)
        if innermost is not None and not innermost.sent:
            connection.info[_FAILED_UNSENT] = True

    def _clear(connection: Connection, *_args: object) -> None:
        if connection.invalidated:  # a lost connection: a new one starts with nothing held
            return
        connection.info.pop(_SAVEPOINTS, None)
        connection.info.pop(_FAILED_UNSENT, None)

    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, _clear)


def alembic_config(connection: Connection) -> AlembicConfig:
    """Alembic's configuration for VoiceCart's migrations, on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "skill:migrations")
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for Alembic, foreign keys held on SQLite.

    SQLite alters a table by copying it; with foreign keys on, dropping the old copy would
    cascade into cart and order lines. The pragma only works outside a transaction, so it is
    set before BEGIN, and the keys are checked before the transaction commits.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration broke a foreign key; nothing was changed")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``. A database created before migrations existed
    (tables but no ``alembic_version``) is adopted as the initial revision first."""
    from alembic import command

    if revision == "head":
        current, head = schema_revision(engine)
        if current == head:
            return
    with _migrating(engine) as connection:
        tables = set(inspect(connection).get_table_names())
        config = alembic_config(connection)
        if "catalog_items" in tables and "alembic_version" not in tables:
            command.stamp(config, INITIAL_REVISION)
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (``base``: no tables)."""
    from alembic import command

    with _migrating(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """``(the database's revision, the code's head revision)``."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    return current, head or ""


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


WROTE = "voicecart_wrote"
"""``Session.info`` key: the transaction wrote through the ORM (a flush or a bulk statement)."""


_READS = "voicecart_reads"
"""``Session.info`` key: results of reads kept by ``read_once``."""


def read_once(session: Session, key: tuple, read: Callable[[], T]) -> T:
    """``read()``, or what it returned earlier in this transaction if nothing was written
    since: a read several steps of one turn make (the household, the item of a sku) costs one
    round trip. Anything that could change the answer forgets every kept result: a flush, an
    ORM bulk write, a rollback to a savepoint, the end of the transaction. With changes
    pending (which autoflush would write before a query), it reads afresh."""
    if session.new or session.dirty or session.deleted:
        return read()
    kept = session.info.setdefault(_READS, {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


def _forget_reads(session: Session) -> None:
    session.info.pop(_READS, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous: SessionTransaction) -> None:
    _forget_reads(session)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    _forget_reads(session)
    # Rows a class marks as bookkeeping (``bookkeeping = True``: a dialog event for the
    # merchant's insights) are worth no wait for the disk; anything else is.
    changed = [*session.new, *session.dirty, *session.deleted]
    if not changed or any(not getattr(obj, "bookkeeping", False) for obj in changed):
        session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True
        _forget_reads(state.session)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a savepoint released keeps them (rolled back: above)
        _forget_reads(session)
        session.info.pop(WROTE, None)


def commit_without_waiting_if_unwritten(session: Session) -> bool:
    """On PostgreSQL, let this transaction's commit return before its WAL reaches the disk
    if it wrote nothing through the ORM (only bookkeeping such as a request fingerprint,
    which is worthless after a crash anyway); PostgreSQL stays consistent either way. True
    when relaxed. SQLite cannot change its safety level inside a transaction: unchanged
    (``light_transaction`` chooses it before BEGIN)."""
    if session.info.get(WROTE):
        return False
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return False
    connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    return True


def _sync_sqlite_wal(session: Session) -> None:
    """Make every transaction committed so far durable: a commit at ``synchronous=FULL``
    syncs the whole WAL, and with it the frames earlier commits at NORMAL left unsynced
    (frames a checkpoint took were synced before it). It needs a frame of its own to
    write: page 1, rewritten with its ``user_version`` unchanged."""
    with session.begin():
        connection = session.connection(execution_options={SQLITE_SYNCHRONOUS: "FULL"})
        version = int(connection.exec_driver_sql("PRAGMA user_version").scalar() or 0)
        connection.exec_driver_sql(f"PRAGMA user_version={version}")


@contextmanager
def light_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work (as ``transaction``) whose commit waits for the disk only if it wrote
    more than bookkeeping (``WROTE``): an Alexa turn, which always records its request.

    PostgreSQL: ``synchronous_commit`` off for that commit. SQLite (WAL): the transaction
    runs at ``synchronous=NORMAL`` (its commit does not sync; the database stays consistent,
    a power loss may undo the last commits); if it wrote an order, a cart or an account,
    a commit at FULL follows before this returns (``_sync_sqlite_wal``), so nothing that
    mattered is answered before it is on the disk.
    """
    with sessions() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        with session.begin():
            if sqlite:
                session.connection(execution_options={SQLITE_SYNCHRONOUS: "NORMAL"})
            yield session
            wrote = bool(session.info.get(WROTE))
            if not sqlite:
                commit_without_waiting_if_unwritten(session)
        if sqlite and wrote:
            try:
                _sync_sqlite_wal(session)
            except Exception:  # committed and answered as such; synced by a later commit
                log.exception("could not sync SQLite's WAL after a turn that wrote")


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls everything back on any error."""
    with sessions() as session, session.begin():
        yield session
