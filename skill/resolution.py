"""Spoken text -> catalog item, tolerant of speech-recognition errors.

Each item is known by its name and synonyms ("aliases"). Matching runs in two stages so that
it stays fast on a 50,000-item catalog (see ``bench/bench_resolution.py``):

1. Shortlist, cheaply, over every alias: a plain ratio on the text with spaces removed (good
   at split or merged words, "tooth brush hands" -> "toothbrush heads"), plus every alias that
   shares a word (or a near spelling of one) with the query, rarest words first ("cookies" ->
   "chocolate chip cookies").
2. Score the shortlist by whole words (``score_alias``: slips, split words, any order, a
   telling part of a longer name), never by pieces of words; an item's score is its best
   alias's.

The caller gets ranked candidates and a verdict:

- ``match``: one item clearly best, above ``MATCH_THRESHOLD``;
- ``ambiguous``: two or more items within ``AMBIGUITY_MARGIN`` of the best (ask the shopper);
- ``none``: nothing scores high enough ("I couldn't find that").
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from skill.catalog import CatalogItem, catalog_fingerprint

MATCH_THRESHOLD = 75.0
"""Below this, the best candidate is not trusted."""
AMBIGUITY_MARGIN = 6.0
"""Candidates this close to the best one are read back as choices."""
SHORTLIST = 64
"""Aliases the spaceless ratio keeps for the second stage."""
WORD_SHORTLIST = 400
"""Aliases the shared-word search keeps for the second stage."""
NEAR_WORDS = 6
"""Spellings in the catalog's vocabulary a query word may stand for."""
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


def _squash(text: str) -> str:
    return text.replace(" ", "")


def score_alias(query: str, alias: str, squashed_alias: str | None = None) -> float:
    """0-100: how well a (normalized) query names an alias.

    Whole words count, never a piece of one: "ham" is not in "shampoo", "fries" not in
    "batteries". Slips and split or merged words are forgiven ("sham poo", "tooth brush
    hands"), words may come in any order, and a telling part of a longer name scores 90
    ("sonicare" for "sonicare toothbrush heads").
    """
    squashed_alias = squashed_alias if squashed_alias is not None else _squash(alias)
    best = fuzz.ratio(_squash(query), squashed_alias, processor=None)
    reordered = fuzz.token_sort_ratio(query, alias, processor=None)
    if reordered >= 85:  # the same words in another order, not one word of two in common
        best = max(best, reordered)
    return max(best, _word_cover(query.split(), alias.split()))


def _word_cover(query_words: list[str], alias_words: list[str]) -> float:
    ratios = []
    for word in query_words:
        ratio = max(fuzz.ratio(word, a, processor=None) for a in alias_words)
        if ratio < 80:
            return 0.0
        ratios.append(ratio)
    mean = sum(ratios) / len(ratios)
    if len(query_words) >= len(alias_words):
        return mean
    # Part of the name: one word at least must be said right ("flour" is not "four").
    return 0.9 * mean if max(ratios) >= 90 else 0.0


class ItemIndex:
    """The aliases of a set of items, preprocessed once for fast matching."""

    def __init__(self, items: list[tuple[str, str, list[str]]]) -> None:
        """``items``: ``(sku, name, aliases)`` for every item that may be resolved."""
        self._aliases: list[str] = []
        self._squashed: list[str] = []
        self._owner: list[int] = []
        self._items: list[tuple[str, str]] = []
        self._exact: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        for index, (sku, name, aliases) in enumerate(items):
            self._items.append((sku, name))
            seen: set[str] = set()
            for alias in aliases:
                norm = normalize(alias)
                if norm and norm not in seen:
                    seen.add(norm)
                    self._aliases.append(norm)
                    self._squashed.append(_squash(norm))
                    self._owner.append(index)
                    self._exact.setdefault(_squash(norm), []).append(index)
                    for word in set(norm.split()):
                        postings.setdefault(word, []).append(len(self._aliases) - 1)
        self._vocabulary = list(postings)
        self._word_number = {w: n for n, w in enumerate(self._vocabulary)}
        self._postings = [np.array(postings[w], dtype=np.int32) for w in self._vocabulary]
        # Rare words say more about which item was meant than "pack" or "large".
        self._weight = [math.log(1 + len(self._aliases) / len(p)) for p in self._postings]

    def __len__(self) -> int:
        return len(self._items)

    def resolve(self, text: str, *, limit: int = 5) -> Resolution:
        """Ranked candidates for ``text`` with a verdict."""
        query = normalize(text)
        if not query or not self._aliases:
            return Resolution(text, "none", ())
        best: dict[int, tuple[float, str]] = {}

        def keep(alias_index: int, score: float) -> None:
            owner = self._owner[alias_index]
            if score > best.get(owner, (-1.0, ""))[0]:
                best[owner] = (score, self._aliases[alias_index])

        exact = self._exact.get(_squash(query), [])
        for owner in exact:
            best[owner] = (100.0, query)
        if not exact:
            for alias_index in self._shortlist(query):
                keep(alias_index, score_alias(query, self._aliases[alias_index],
                                              self._squashed[alias_index]))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self._items[kv[0]][1]))
        candidates = tuple(Candidate(self._items[i][0], self._items[i][1], round(score, 1), alias)
                           for i, (score, alias) in ranked[:limit])
        verdict = _verdict(candidates)
        if verdict == "match" and not exact and _only_the_kind(query, candidates[0].alias):
            verdict = "ambiguous"  # "milk" may not mean "oat milk": ask, do not assume
        return Resolution(text, verdict, candidates)

    def _shortlist(self, query: str) -> set[int]:
        """Aliases worth a full score: near in spelling, or sharing (near) words."""
        chosen = {i for _, _, i in process.extract(
            _squash(query), self._squashed, scorer=fuzz.ratio, processor=None,
            limit=SHORTLIST, score_cutoff=50)}
        votes = np.zeros(len(self._aliases), dtype=np.float32)
        for word in set(query.split()):
            known = self._word_number.get(word)
            near = [(word, 100.0, known)] if known is not None else process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, processor=None, limit=NEAR_WORDS,
                score_cutoff=75)
            for _, score, w in near:
                # Each posting list holds an alias once, so fancy-index += is exact.
                votes[self._postings[w]] += self._weight[w] * score / 100
        voted = np.flatnonzero(votes)
        if len(voted) > WORD_SHORTLIST:
            voted = voted[np.argpartition(votes[voted], -WORD_SHORTLIST)[-WORD_SHORTLIST:]]
        chosen.update(voted.tolist())
        return chosen


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
    """Resolves against the catalog in the database, rebuilding its index when it changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: ItemIndex | None = None
        self._fingerprint: tuple | None = None

    def index(self, session: Session) -> ItemIndex:
        """The index for the catalog as it is now."""
        fingerprint = catalog_fingerprint(session)
        with self._lock:
            if self._index is None or fingerprint != self._fingerprint:
                rows = session.execute(select(CatalogItem.sku, CatalogItem.name,
                                              CatalogItem.synonyms)).all()
                self._index = ItemIndex([(sku, name, [name, *synonyms])
                                         for sku, name, synonyms in rows])
                self._fingerprint = fingerprint
            return self._index

    def resolve(self, session: Session, text: str, *, limit: int = 5) -> Resolution:
        """Resolve ``text`` against the current catalog."""
        return self.index(session).resolve(text, limit=limit)
