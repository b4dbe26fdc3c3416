"""The catalog's version: what in-memory copies of the catalog (the resolver's index) compare
against, across processes, instead of re-reading the catalog.

Every flush that adds, removes, renames or re-synonyms a catalog item moves the single
``catalog_state`` row on by one and logs the skus it touched under that version in
``catalog_changes``, in the writer's own transaction (the row lock orders concurrent writers,
so committed versions have no gaps). A reader reads the version (one primary-key lookup), and
when it moved, the skus changed since the version it holds. Stock updates (``take_stock``'s
bulk UPDATE) change nothing a shopper says, so they do not move the version.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, delete, event, insert, inspect, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from skill.catalog import CatalogItem
from skill.db import Base

EVERYTHING = None
"""A change logged without a sku: the whole catalog may have changed (bulk statements)."""
KEEP_VERSIONS = 1000
"""Versions of change log kept; a reader further behind re-reads the whole catalog."""
_SPOKEN = ("sku", "name", "synonyms")
DIRTY = "voicecart_catalog_dirty"
"""``Session.info`` key: skus this session changed and has not committed yet."""
BUMPS = "voicecart_catalog_bumps"
"""``Session.info`` key: how many versions this session's uncommitted flushes added."""


class CatalogState(Base):
    """The catalog's version (one row, id 1)."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class CatalogChange(Base):
    """A sku whose spoken names changed (or which came or went) at a version."""

    __tablename__ = "catalog_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, index=True)
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """None: anything may have changed."""


def current_version(session: Session) -> int:
    """The catalog's version as this transaction sees it."""
    return session.scalar(_CURRENT_VERSION) or 0


_CURRENT_VERSION = select(CatalogState.version).where(CatalogState.id == 1)
"""Built once (every Alexa turn that resolves an item runs it)."""


def changes_between(session: Session, since: int, upto: int) -> dict[int, set[str | None]]:
    """Version -> skus changed, for the versions after ``since`` up to ``upto``."""
    found: dict[int, set[str | None]] = {}
    for version, sku in session.execute(
            select(CatalogChange.version, CatalogChange.sku)
            .where(CatalogChange.version > since, CatalogChange.version <= upto)):
        found.setdefault(version, set()).add(sku)
    return found


def _record(session: Session, skus: set[str | None]) -> None:
    """Move the version on and log ``skus`` under it, in the flushing transaction."""
    connection = session.connection()
    state = CatalogState.__table__
    version = connection.execute(update(state).where(state.c.id == 1)
                                 .values(version=state.c.version + 1)
                                 .returning(state.c.version)).scalar()
    if version is None:  # a schema made without the migration's row
        version = 1
        connection.execute(insert(state).values(id=1, version=version))
    connection.execute(insert(CatalogChange.__table__),
                       [{"version": version, "sku": sku} for sku in skus])
    if version % 100 == 0:
        connection.execute(delete(CatalogChange.__table__).where(
            CatalogChange.version <= version - KEEP_VERSIONS))
    session.info.setdefault(DIRTY, set()).update(skus)
    session.info[BUMPS] = session.info.get(BUMPS, 0) + 1


def _changed(item: CatalogItem) -> set[str]:
    """The item's skus (old and new) if a spoken name or the sku changed, else nothing."""
    state = inspect(item)
    skus: set[str] = set()
    for attribute in _SPOKEN:
        history = state.attrs[attribute].history
        if history.has_changes() and (not history.deleted or
                                      list(history.added) != list(history.deleted)):
            skus.add(item.sku)
            if attribute == "sku":
                skus.update(s for s in history.deleted if s)
    return skus


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    skus: set[str | None] = set()
    for item in (*session.new, *session.deleted):
        if isinstance(item, CatalogItem):
            skus.add(item.sku)
    for item in session.dirty:
        if isinstance(item, CatalogItem):
            skus |= _changed(item)
    if skus:
        _record(session, skus)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    """A bulk INSERT, DELETE, or UPDATE of spoken names on the catalog: anything changed."""
    if not (state.is_insert or state.is_delete or state.is_update) or \
            state.bind_mapper is None or state.bind_mapper.class_ is not CatalogItem:
        return
    if state.is_update:
        touched = {getattr(c, "key", str(c)) for c in state.statement._values or {}}
        if not touched & set(_SPOKEN):
            return
    _record(state.session, {EVERYTHING})


@event.listens_for(Session, "after_transaction_end")
def _transaction_end(session: Session, transaction: object) -> None:
    if getattr(transaction, "parent", None) is None:  # the outermost one: committed or not
        session.info.pop(DIRTY, None)
        session.info.pop(BUMPS, None)


def uncommitted(session: Session) -> tuple[set[str | None], int]:
    """The skus this session changed but has not committed, and the versions it added."""
    return set(session.info.get(DIRTY, ())), session.info.get(BUMPS, 0)
