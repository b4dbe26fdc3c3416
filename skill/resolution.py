"""Spoken text -> catalog item, tolerant of speech-recognition errors.

Each item is known by its name and synonyms ("aliases"). ``skill.item_index`` finds the few
aliases worth scoring without scanning the catalog (words, their one-slip spellings, sound
keys and stems, words split or run together), then scores only those by whole words
(``score_aliases``: slips, split words, any order, sound-alikes and dropped endings, a telling
part of a longer name; never a piece of a word). An item's score is its best alias's.

The caller gets ranked candidates and a verdict:

- ``match``: one item clearly best, above ``MATCH_THRESHOLD``;
- ``ambiguous``: two or more items within ``AMBIGUITY_MARGIN`` of the best (ask the shopper);
- ``none``: nothing scores high enough ("I couldn't find that").
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from skill.catalog import CatalogItem
from skill.catalog_version import EVERYTHING, changes_between, current_version, uncommitted
from skill.item_index import AliasIndex, score_aliases, squash

MATCH_THRESHOLD = 75.0
"""Below this, the best candidate is not trusted."""
AMBIGUITY_MARGIN = 6.0
"""Candidates this close to the best one are read back as choices."""
_LEADING_FILLERS = {"the", "a", "an", "some", "my", "more", "another", "of", "our", "few"}


@dataclass(frozen=True)
class Candidate:
    """An item that might be what the shopper meant."""

    sku: str
    """The item's sku."""
    name: str
    """The item's display name."""
    score: float
    """0-100: how well the best alias matched."""
    alias: str
    """The name or synonym that matched best."""


@dataclass(frozen=True)
class Resolution:
    """The result of resolving one spoken item."""

    query: str
    """The text as heard."""
    status: Literal["match", "ambiguous", "none"]
    """The verdict (see the module docstring)."""
    candidates: tuple[Candidate, ...]
    """Best first; for ``ambiguous``, the items to offer."""

    @property
    def best(self) -> Candidate | None:
        """The top candidate, if any."""
        return self.candidates[0] if self.candidates else None


def normalize(text: str) -> str:
    """Lowercase, punctuation to spaces, and leading filler words ("the", "some") dropped."""
    words = utils.default_process(text.replace("-", " ")).split()
    while len(words) > 1 and words[0] in _LEADING_FILLERS:
        words.pop(0)
    return " ".join(words)


def score_alias(query: str, alias: str) -> float:
    """0-100: how well a (normalized) query names one alias (see ``score_aliases``)."""
    return float(score_aliases(query, [alias])[0])


class ItemIndex:
    """The aliases of a set of items, indexed for resolution without a catalog scan."""

    def __init__(self, items: Iterable[tuple[str, str, list[str]]] = ()) -> None:
        """``items``: ``(sku, name, aliases)`` for every item that may be resolved."""
        self._index = AliasIndex()
        for sku, name, aliases in items:
            self.add(sku, name, aliases)
        self._index.warm()

    def __len__(self) -> int:
        return len(self._index)

    def add(self, sku: str, name: str, aliases: list[str]) -> None:
        """Index item ``sku`` (replacing what was indexed for it)."""
        self._index.add(sku, name, [normalize(a) for a in aliases])

    def remove(self, sku: str) -> None:
        """Forget item ``sku``."""
        self._index.remove(sku)

    def resolve(self, text: str, *, limit: int = 5) -> Resolution:
        """Ranked candidates for ``text`` with a verdict."""
        query = normalize(text)
        if not query:
            return Resolution(text, "none", ())
        exact = self._index.exact(squash(query))
        if exact:
            found = {sku: (100.0, name, query) for sku, name in exact}
        else:
            found = self._index.candidates(query)
        ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        candidates = tuple(Candidate(sku, name, round(score, 1), alias)
                           for sku, (score, name, alias) in ranked[:limit])
        verdict = _verdict(candidates)
        if verdict == "match" and not exact and _only_the_kind(query, candidates[0].alias):
            verdict = "ambiguous"  # "milk" may not mean "oat milk": ask, do not assume
        return Resolution(text, verdict, candidates)


def _only_the_kind(query: str, alias: str) -> bool:
    """Whether the query names only what kind of thing the item is: one word, the last of a
    longer name ("milk" for "oat milk", "soap" for "dish soap")."""
    words = alias.split()
    return len(query.split()) == 1 and len(words) > 1 and fuzz.ratio(query, words[-1]) >= 85


def _verdict(candidates: tuple[Candidate, ...]) -> Literal["match", "ambiguous", "none"]:
    if not candidates or candidates[0].score < MATCH_THRESHOLD:
        return "none"
    close = [c for c in candidates[1:]
             if c.score >= MATCH_THRESHOLD and candidates[0].score - c.score < AMBIGUITY_MARGIN]
    return "ambiguous" if close else "match"


def only_close(resolution: Resolution) -> tuple[Candidate, ...]:
    """For an ambiguous result: the candidates to offer the shopper."""
    top = resolution.candidates[0].score
    return tuple(c for c in resolution.candidates
                 if c.score >= MATCH_THRESHOLD and top - c.score < AMBIGUITY_MARGIN)


class CatalogResolver:
    """Resolves against the catalog in the database, keeping its index in step.

    The index is built once, then kept at the catalog's version (``skill.catalog_version``,
    read in the caller's transaction): items changed since are re-read and re-indexed one by
    one. A session with catalog changes of its own not yet committed sees them in the index
    too; those items are re-read from what was committed at the next call.
    """

    REBUILD_SHARE = 0.2
    """More changes than this share of the catalog: re-read it whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: ItemIndex | None = None
        self._version = -1
        self._suspect: set[str] = set()
        """Skus indexed from a transaction that may not have committed."""

    def index(self, session: Session) -> ItemIndex:
        """The index for the catalog as ``session`` sees it now."""
        version = current_version(session)
        mine, bumps = uncommitted(session)
        with self._lock:
            committed = version - bumps
            if self._index is None or EVERYTHING in mine:
                self._rebuild(session)
            elif committed != self._version or (self._suspect and not mine):
                self._catch_up(session, committed)
            if self._index is not None and mine:
                self._reread(session, {s for s in mine if s is not None})
                self._suspect |= {s for s in mine if s is not None}
            elif not mine:
                self._suspect.clear()
            self._version = committed
            assert self._index is not None
            return self._index

    def _rebuild(self, session: Session) -> None:
        rows = session.execute(select(CatalogItem.sku, CatalogItem.name,
                                      CatalogItem.synonyms)).all()
        self._index = ItemIndex([(sku, name, [name, *synonyms]) for sku, name, synonyms in rows])
        self._suspect = set(uncommitted(session)[0]) - {EVERYTHING}  # type: ignore[arg-type]

    def _catch_up(self, session: Session, committed: int) -> None:
        """Re-index what changed between the index's version and ``committed``."""
        assert self._index is not None
        changes = changes_between(session, self._version, committed)
        skus = {s for found in changes.values() for s in found} | self._suspect
        if set(changes) != set(range(self._version + 1, committed + 1)) or EVERYTHING in skus \
                or len(skus) > max(1000, self.REBUILD_SHARE * len(self._index)):
            self._rebuild(session)  # the log no longer reaches back, or most things changed
            return
        self._reread(session, skus)  # type: ignore[arg-type]

    def _reread(self, session: Session, skus: set[str]) -> None:
        assert self._index is not None
        rows = {sku: (name, synonyms) for sku, name, synonyms in session.execute(
            select(CatalogItem.sku, CatalogItem.name, CatalogItem.synonyms)
            .where(CatalogItem.sku.in_(skus)))} if skus else {}
        for sku in skus:
            if sku in rows:
                name, synonyms = rows[sku]
                self._index.add(sku, name, [name, *synonyms])
            else:
                self._index.remove(sku)

    def resolve(self, session: Session, text: str, *, limit: int = 5) -> Resolution:
        """Resolve ``text`` against the current catalog."""
        return self.index(session).resolve(text, limit=limit)
