"""The index behind item resolution: finds the few aliases worth scoring without a catalog scan.

Every alias (an item's name or synonym, normalized) is split into words. Each word of the
vocabulary is reachable by the keys a speech recognizer's mistakes tend to keep:

- itself and its deletion neighbours (each spelling with one letter left out: "pods" ->
  "pds", "pos"...), so a query word one slip away shares a key with it (symmetric deletion);
- a sound key ("cereal" and "serial", "flour" and "flower", "pear" and "pair");
- a stem (a dropped ending: "whip" and "whipped", "cookie" and "cookies").

A query's words, and its neighbouring words run together ("sham poo" -> "shampoo") or a
word cut in two ("oatmilk" -> "oat" + "milk"), look those keys up; the aliases holding the
words found get votes weighted by how rare each word is, and only the best-voted aliases are
scored by ``score_aliases`` (rapidfuzz, vectorized). Rare words are counted from their
posting lists, common ones ("organic", "pack") only against the aliases the rare ones found,
unless those cannot make up the shortlist.

Items are added and removed one at a time (``add``, ``remove``), so a catalog change updates
the index instead of rebuilding it.
"""

from __future__ import annotations

import math
import re
import sys
import threading
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

SHORTLIST = 48
"""Aliases scored in full for one query."""
SEED_BUDGET = 3000
"""Postings of the rarest words counted one by one; commoner words only re-rank."""
NEAR_WORDS = 64
"""Vocabulary words a query word (or two run together) may stand for."""
NEAR_CUTOFF = 75.0
"""Spelling ratio a vocabulary word needs to stand for a query word."""
SOUND_ALIKE = 85.0
"""Word similarity of two spellings of one sound, or one word with and without its ending."""
PREFIX = 5
"""Words sharing their first this many letters are looked at together (dropped endings)."""
WORD_COVER = 80.0
"""Each query word must be at least this close to some word of an alias to cover it."""

_VOWELS = set("aeiouy")
_SOUND_RULES = [(re.compile(pattern), repl) for pattern, repl in (
    (r"^kn|^gn|^pn", "n"), (r"^wr", "r"), (r"^ps", "s"), (r"^who", "ho"), (r"^wh", "w"),
    (r"^x", "s"), (r"^y(?=[aeiou])", "Y"), (r"tch", "ch"), (r"dge", "j"), (r"ph", "f"),
    (r"(?<=.)gh(?![aeiouy])", ""),
    (r"ck", "k"), (r"qu", "kw"), (r"sch", "sk"), (r"ch|sh|tio|sio", "X"), (r"th", "0"),
    (r"c(?=[eiy])", "s"), (r"c", "k"), (r"q", "k"), (r"x", "ks"), (r"z", "s"),
    (r"(?<=[^aeiouy])e$", ""), (r"(?<=[aeiouy])[wh]", ""), (r"(?<=.)h", ""),
    (r"(?<=.)[aeiouy]+", "A"), (r"^[aeiouy]+", "A"), (r"(.)\1+", r"\1"))]


@lru_cache(maxsize=65536)
def sound_key(word: str) -> str | None:
    """A rough English sound key: spellings of one sound share it ("cereal", "serial"; "pear",
    "pair"; "flour", "flower"). None for words with digits and for keys too short to tell."""
    if not word.isalpha():
        return None
    key = word.lower()
    for pattern, repl in _SOUND_RULES:
        key = pattern.sub(repl, key)
    return key if sum(ch != "A" for ch in key) >= 2 and len(key) >= 3 else None


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The word without a plural or past ending, and without a final e ("whipped" -> "whip",
    "cookies" -> "cooky"... "sliced" -> "slic", "slice" -> "slic")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "oes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _VOWELS | {"l", "s"}:
        word = word[:-1]  # "whipp" -> "whip"
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"  # "cooky" (from "cookies") and "cooki" (from "cookie")
    return word


def word_keys(word: str) -> set[str]:
    """The word and its spellings with one letter left out."""
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))} if len(word) > 2 \
        else {word}


def squash(text: str) -> str:
    """The text without spaces (split and merged words compare equal)."""
    return text.replace(" ", "")


def score_aliases(query: str, aliases: list[str], alias_words: list[list[str]] | None = None
                  ) -> np.ndarray:
    """0-100 for each alias: how well a (normalized) query names it.

    Whole words count, never a piece of one: "ham" is not in "shampoo", "fries" not in
    "batteries". Slips and split or merged words are forgiven ("sham poo", "tooth brush
    hands"), words may come in any order, a word may be a sound-alike or lack its ending
    ("serial", "whip cream"), and a telling part of a longer name scores 90 ("sonicare" for
    "sonicare toothbrush heads").
    """
    if not aliases:
        return np.zeros(0, dtype=np.float32)
    words_of = alias_words if alias_words is not None else [a.split() for a in aliases]
    best = process.cdist([squash(query)], [squash(a) for a in aliases], scorer=fuzz.ratio,
                         processor=None)[0]
    reordered = process.cdist([query], aliases, scorer=fuzz.token_sort_ratio,
                              processor=None)[0]
    # The same words in another order, not one word of two in common.
    best = np.maximum(best, np.where(reordered >= 85, reordered, 0))
    return np.maximum(best, _word_cover(query.split(), words_of))


def _word_cover(query_words: list[str], words_of: list[list[str]]) -> np.ndarray:
    flat = [w for words in words_of for w in words]
    lengths = np.array([len(words) for words in words_of])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sim = process.cdist(query_words, flat, scorer=fuzz.ratio, processor=None)
    alike = _alike(query_words, flat)
    sim = np.where(alike & (sim < SOUND_ALIKE), SOUND_ALIKE, sim)
    per_alias = np.maximum.reduceat(sim, starts, axis=1)  # query word x alias: best match
    covered = (per_alias >= WORD_COVER).all(axis=0)
    mean = per_alias.mean(axis=0)
    whole = len(query_words) >= lengths
    # Part of the name: one word at least must be said right ("flour" is not "four").
    part = np.where(per_alias.max(axis=0) >= 90, 0.9 * mean, 0.0)
    return np.where(covered, np.where(whole, mean, part), 0.0).astype(np.float32)


_CODES: dict[str, int] = {}


@lru_cache(maxsize=262144)
def _sound_codes(word: str) -> tuple[int, int]:
    """Small numbers standing for the word's sound key and stem (-1: none), for comparing
    many words at once."""
    sound = sound_key(word)
    return (-1 if sound is None else _CODES.setdefault(sound, len(_CODES)),
            _CODES.setdefault("\0" + stem(word), len(_CODES)) if len(word) > 3 else -1)


def _alike(query_words: list[str], flat: list[str]) -> np.ndarray:
    """Query word x alias word: a sound-alike, or the same word but for its ending."""
    query = np.array([_sound_codes(w) for w in query_words]).reshape(-1, 2)
    alias = np.array([_sound_codes(w) for w in flat]).reshape(-1, 2)
    alias[alias < 0] = -2  # "no key" is never a match
    return ((query[:, 0, None] == alias[None, :, 0]) |
            (query[:, 1, None] == alias[None, :, 1]))


class AliasIndex:
    """Aliases of items, by word keys, for shortlisting; items added and removed one by one."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._items: list[tuple[str, str] | None] = []
        """Slot -> (sku, name); None once removed."""
        self._slot: dict[str, int] = {}
        self._item_aliases: list[list[int]] = []
        self._alias: list[str] = []
        self._alias_words: list[list[str]] = []
        self._owner: list[int] = []
        self._exact: dict[str, int | set[int]] = {}
        """Squashed alias -> its slot, or a set of slots when several items share it (a
        set for every alias would double the index's memory)."""
        self._word_id: dict[str, int] = {}
        self._words: list[str] = []
        self._postings: list[set[int]] = []
        self._arrays: dict[int, np.ndarray] = {}
        self._dense: dict[int, np.ndarray] = {}
        self._keys: dict[str, list[int]] = {}
        self._sounds: dict[str, list[int]] = {}
        self._stems: dict[str, list[int]] = {}
        self._prefixes: dict[str, list[int]] = {}
        self._live_aliases = 0

    def __len__(self) -> int:
        return len(self._slot)

    @property
    def lock(self) -> threading.RLock:
        """Held while the index changes or answers."""
        return self._lock

    def add(self, sku: str, name: str, aliases: Iterable[str]) -> None:
        """Index (or re-index) item ``sku`` under its normalized ``aliases``."""
        with self._lock:
            self.remove(sku)
            slot = len(self._items)
            self._items.append((sku, name))
            self._slot[sku] = slot
            mine: list[int] = []
            for alias in dict.fromkeys(a for a in aliases if a):
                alias_id = len(self._alias)
                words = [sys.intern(w) for w in alias.split()]  # one copy of each word
                self._alias.append(alias)
                self._alias_words.append(words)
                self._owner.append(slot)
                mine.append(alias_id)
                self._add_exact(squash(alias), slot)
                for word in set(words):
                    word_id = self._word(word)
                    self._postings[word_id].add(alias_id)
                    self._arrays.pop(word_id, None)
                    self._dense.pop(word_id, None)
            self._item_aliases.append(mine)
            self._live_aliases += len(mine)

    def remove(self, sku: str) -> None:
        """Forget item ``sku`` (nothing if it is not indexed)."""
        with self._lock:
            slot = self._slot.pop(sku, None)
            if slot is None:
                return
            self._items[slot] = None
            for alias_id in self._item_aliases[slot]:
                self._remove_exact(squash(self._alias[alias_id]), slot)
                for word in set(self._alias_words[alias_id]):
                    word_id = self._word_id[word]
                    self._postings[word_id].discard(alias_id)
                    self._arrays.pop(word_id, None)
                    self._dense.pop(word_id, None)
                    if not self._postings[word_id]:
                        self._forget(word, word_id)
            self._live_aliases -= len(self._item_aliases[slot])
            self._item_aliases[slot] = []

    def _word(self, word: str) -> int:
        word_id = self._word_id.get(word)
        if word_id is None:
            word_id = len(self._words)
            self._word_id[word] = word_id
            self._words.append(word)
            self._postings.append(set())
            for key in word_keys(word):
                self._keys.setdefault(key, []).append(word_id)
            sound = sound_key(word)
            if sound is not None:
                self._sounds.setdefault(sound, []).append(word_id)
            self._stems.setdefault(stem(word), []).append(word_id)
            if len(word) > PREFIX:
                self._prefixes.setdefault(word[:PREFIX], []).append(word_id)
        return word_id

    def _forget(self, word: str, word_id: int) -> None:
        """A word no alias holds any more is no longer found (its id is not reused)."""
        del self._word_id[word]
        for table, keys in ((self._keys, word_keys(word)), (self._sounds, [sound_key(word)]),
                            (self._stems, [stem(word)]), (self._prefixes, [word[:PREFIX]])):
            for key in keys:
                ids = table.get(key)
                if ids is not None and word_id in ids:
                    ids.remove(word_id)
                    if not ids:
                        del table[key]

    def exact(self, squashed: str) -> list[tuple[str, str]]:
        """``(sku, name)`` of the items with an alias spelled ``squashed`` (spaces aside)."""
        owners = self._exact.get(squashed, ())
        return [self._items[s]  # type: ignore[misc]
                for s in ((owners,) if isinstance(owners, int) else owners)]

    def _add_exact(self, squashed: str, slot: int) -> None:
        owners = self._exact.get(squashed)
        if owners is None:
            self._exact[squashed] = slot
        elif isinstance(owners, int):
            if owners != slot:
                self._exact[squashed] = {owners, slot}
        else:
            owners.add(slot)

    def _remove_exact(self, squashed: str, slot: int) -> None:
        owners = self._exact.get(squashed)
        if owners == slot:
            del self._exact[squashed]
        elif isinstance(owners, set):
            owners.discard(slot)
            if len(owners) == 1:
                self._exact[squashed] = owners.pop()

    def candidates(self, query: str) -> dict[str, tuple[float, str, str]]:
        """sku -> (score, name, alias) for the items of the best-voted aliases of ``query``."""
        with self._lock:
            shortlist = self._shortlist(query)
            if not shortlist:
                return {}
            aliases = [self._alias[a] for a in shortlist]
            scores = score_aliases(query, aliases, [self._alias_words[a] for a in shortlist])
            found: dict[str, tuple[float, str, str]] = {}
            for alias_id, alias, score in zip(shortlist, aliases, scores.tolist(), strict=True):
                sku, name = self._items[self._owner[alias_id]]  # type: ignore[misc]
                if score > found.get(sku, (-1.0,))[0]:
                    found[sku] = (score, name, alias)
            return found

    def _near(self, unit: str) -> list[tuple[int, float]]:
        """Vocabulary words ``unit`` may stand for, with how close each is (0-100)."""
        found: set[int] = set()
        for key in word_keys(unit):
            found.update(self._keys.get(key, ()))
        if len(unit) >= PREFIX:  # a dropped ending: "galka" for "galkami"
            found.update(self._prefixes.get(unit[:PREFIX], ()))
        sound = sound_key(unit)
        alike = set(self._sounds.get(sound, ())) if sound else set()
        if len(unit) > 3:
            alike.update(self._stems.get(stem(unit), ()))
        found |= alike
        if not found:
            return []
        ids = list(found)
        words = [self._words[w] for w in ids]
        ratios = process.cdist([unit], words, scorer=fuzz.ratio, processor=None)[0].tolist()
        # Fewest slips first (a swap of two letters is one), then the closest spelling.
        slips = process.cdist([unit], words, scorer=OSA.distance, processor=None)[0].tolist()
        scored = [(slip if w not in alike else 1, -(max(r, SOUND_ALIKE) if w in alike else r), w)
                  for w, r, slip in zip(ids, ratios, slips, strict=True)]
        scored = sorted(x for x in scored if -x[1] >= NEAR_CUTOFF)
        return [(w, -negative) for _, negative, w in scored[:NEAR_WORDS]]

    def _units(self, query: str) -> list[str]:
        """The query's words, neighbours run together, and words cut in two known words."""
        words = query.split()
        units = list(words)
        for n in (2, 3):  # "sham poo", "48 507"; not "pods 24"
            units += ["".join(run) for run in (words[i:i + n] for i in range(len(words) - n + 1))
                      if all(w.isalpha() for w in run) or all(w.isdigit() for w in run)]
        for word in words:
            if len(word) >= 6 and word not in self._word_id:
                units += [part for i in range(2, len(word) - 1)
                          if word[:i] in self._word_id and word[i:] in self._word_id
                          for part in (word[:i], word[i:])]
        return list(dict.fromkeys(units))

    def warm(self) -> None:
        """Prepare the posting arrays of every word now rather than at its first query."""
        with self._lock:
            for word_id in range(len(self._words)):
                if len(self._postings[word_id]) > 1:
                    self._array(word_id)

    def _array(self, word_id: int) -> np.ndarray:
        array = self._arrays.get(word_id)
        if array is None:
            array = np.fromiter(self._postings[word_id], dtype=np.int64)
            self._arrays[word_id] = array
        return array

    def _has(self, word_id: int) -> np.ndarray:
        """Alias id -> whether it holds the word (for common words)."""
        dense = self._dense.get(word_id)
        if dense is None or len(dense) < len(self._alias):
            dense = np.zeros(len(self._alias), dtype=bool)
            dense[self._array(word_id)] = True
            self._dense[word_id] = dense
        return dense

    def _shortlist(self, query: str) -> list[int]:
        """The aliases worth a full score: most (and rarest) words of the query."""
        weights: dict[int, float] = {}
        for unit in self._units(query):
            for word_id, similarity in self._near(unit):
                weight = similarity / 100 * math.log(
                    1 + self._live_aliases / len(self._postings[word_id]))
                weights[word_id] = max(weights.get(word_id, 0.0), weight)
        if not weights:
            return []
        by_rarity = sorted(weights, key=lambda w: len(self._postings[w]))
        rare: list[int] = []
        budget = 0
        for word_id in by_rarity:
            if rare and budget + len(self._postings[word_id]) > SEED_BUDGET:
                break
            rare.append(word_id)
            budget += len(self._postings[word_id])
        common = by_rarity[len(rare):]
        ids = np.concatenate([self._array(w) for w in rare])
        seeds, inverse = np.unique(ids, return_inverse=True)
        votes = np.bincount(inverse, weights=np.repeat(
            [weights[w] for w in rare], [len(self._postings[w]) for w in rare]))
        for word_id in common:
            votes += self._has(word_id)[seeds] * weights[word_id]
        # An alias outside the seeds holds common words only: the best one is among the
        # seeds if it has more votes than all common words together could give.
        outside = sum(weights[w] for w in common)
        if len(seeds) > SHORTLIST:
            top = np.argpartition(-votes, SHORTLIST)[:SHORTLIST]
            seeds, votes = seeds[top], votes[top]
        if common and (not len(seeds) or votes.max() <= outside):
            dense = np.zeros(len(self._alias))
            for word_id, weight in weights.items():
                dense[self._array(word_id)] += weight
            voted = np.flatnonzero(dense)
            if len(voted) > SHORTLIST:
                voted = voted[np.argpartition(-dense[voted], SHORTLIST)[:SHORTLIST]]
            return voted.tolist()
        return seeds.tolist()
