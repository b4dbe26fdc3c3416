"""Slots first: the item, the quantity, the PIN, the ordinal and the category in an utterance.

Each span found is replaced by a placeholder word (``ITEM``, ``NUMBER``...), so the intent is
classified on the shape of the sentence ("add NUMBER ITEM to my list") whatever the catalog
holds. Items are found by the catalog's resolver, numbers by ``skill.spoken_numbers``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from skill.resolution import MATCH_THRESHOLD, ItemIndex
from skill.resolution import normalize as resolve_normalize
from skill.spoken_numbers import VAGUE_QUANTITIES, parse_pin, parse_quantity, words_to_int
from voice_local.text import is_english_word, word_lists

ITEM, NUMBER, PIN, ORDINAL, CATEGORY = "itemslot", "numberslot", "pinslot", "ordinalslot", \
    "categoryslot"
PLACEHOLDERS = {"Item": ITEM, "Quantity": NUMBER, "Pin": PIN, "Ordinal": ORDINAL,
                "Category": CATEGORY}
"""Slot name -> the word that stands for its value in a sentence's shape."""

UNIT_WORDS = {"pack", "packs", "box", "boxes", "bag", "bags", "bottle", "bottles", "can", "cans",
              "carton", "cartons", "roll", "rolls", "tub", "tubs", "jar", "jars", "case", "cases"}
"""Units: around an item name, not part of it ("a box of coffee pods"); yet some names end
in one ("bin bags")."""
ITEM_FILLERS = {"the", "some", "more", "a", "an", "my", "of", "one", "ones", "our", "those",
                "these", "that", "kind", "this", "any", "your", "and", "to", "in", "on", "for",
                "please", "is", "are", "it", "them", "with", *UNIT_WORDS}
"""Words around an item name that are not part of it ("a box of the coffee pods")."""
QUANTITY_WORDS = {"dozen", "couple", "pair", "half", "few", "bunch", "lot", "lots", "several",
                  "handful", "plenty", "loads", "load", "many", "single"}
_NUMBER_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                 "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
                 "sixty", "seventy", "eighty", "ninety", "hundred", "and"}
_DIGIT_WORDS = {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight",
                "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
                "sixty", "seventy", "eighty", "ninety", "hundred"}
_MULTIWORD_QUANTITIES = sorted(
    ["a couple of", "a couple", "couple of", "a pair of", "pair of", "a pair", "a dozen",
     "half a dozen",
     "a half dozen", "two dozen", "dozen", *VAGUE_QUANTITIES],
    key=lambda p: -len(p.split()))
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2,
             "3rd": 3, "4th": 4, "5th": 5, "last": -1, "latter": -1, "former": 1, "top": 1,
             "bottom": -1}
_BEFORE_A_NAME = {"the", "a", "an", "some", "my", "our", "any", "of", "more", "your", "their",
                  "no", "that", "this", "those", "these"}
"""Words a product's name follows ("some stuffing"): the word after them is no verb form."""
_BEFORE_A_VERB = {"please", "i", "we", "you", "to", "can", "could", "would", "will", "shall",
                  "should", "must", "just", "kindly", "and", "then", "do", "did", "now", "also",
                  "pls", "go", "let", "wish", "want"}
"""Words a verb follows ("please rescind", "i wish to procure"); a verb also starts a
request."""
_REASONS = {"before", "because", "cause", "since", "while", "cos", "coz"}
"""Words that start a reason after a request ("... before the baby wakes up")."""
_PRONOUN_ONE_BEFORE = {"the", "that", "this", "which", "another", "no", "other", "first",
                       "second", "third", "last", "big", "small", "cheaper", "each",
                       "every", "any", "same", "right", "wrong"}


@dataclass
class Found:
    """An utterance with its slot values taken out."""

    shape: str
    """The words with each slot value replaced by its placeholder."""
    slots: dict[str, str] = field(default_factory=dict)
    """Slot name -> the words heard for it."""
    item_score: float = 0.0
    """How well the item matched the catalog (0 when no item was found)."""


class SlotFinder:
    """Finds slot values against one catalog's items and categories."""

    def __init__(self, items: ItemIndex | None, categories: list[str] | None = None,
                 known_words: set[str] | None = None,
                 context_words: frozenset[str] = frozenset(),
                 command_words: frozenset[str] = frozenset()) -> None:
        """``known_words``: the words of the templates (never part of an item's name);
        ``context_words``: words of requests about other things ("play", "thermostat"),
        kept in a sentence's shape so that they can tell it is not about shopping;
        ``command_words``: the verbs those requests start with ("turn", "set"), never part
        of a product's name;
        ``items`` None finds no catalog items (for training sentences)."""
        self.items = items
        self.categories = {_singular(c.lower()): c for c in (categories or [])}
        self.category_words = dict(self.categories)  # "for the house": household
        for category, words in _category_words().items():
            if _singular(category) in self.categories:
                for word in words:
                    self.category_words.setdefault(_singular(word), self.categories[
                        _singular(category)])
        self.known_words = (known_words or set()) | _NUMBER_WORDS | QUANTITY_WORDS | set(
            PLACEHOLDERS.values()) | set(_ORDINALS)
        self.context_words = context_words
        self.command_words = command_words
        self._spelling_list: list[str] | None = None

    def find(self, text: str, category_first: bool = False) -> Found:
        """Slots of ``text`` (normalized by the matcher). ``category_first`` reads "gift
        cards" as the category rather than the item, for questions about categories.

        With no catalog item in it, the longest run of words that no template uses is taken
        for a product the store does not have ("add *almond milk* to my list"): the sentence
        keeps its shape, and the skill can say it does not sell that.
        """
        words = self._without_purpose(_corrected(_numbers_heard(_without_times(text).split())))
        slots: dict[str, str] = {}
        if category_first:
            words = self._categories(words, slots, self.category_words)
        span = self.item_span(words) if self.items is not None and ITEM not in words else None
        score = 0.0
        if span is not None:
            start, end, score = span
            end = self._list_end(words, end)
            slots["Item"] = " ".join(words[start:end])
            words = [*words[:start], ITEM, *words[end:]]
        if not category_first:
            words = self._categories(words, slots, self.categories)
        words = [self._spelled(self._as_template_verb(words, i)) for i in range(len(words))]
        if span is None and ITEM not in words:
            words = self._unknown_item(words, slots)
        words = _ordinals(words, slots)
        words = _quantities(_undescribed(words), slots)
        # The shape keeps only words the templates know: a reason or a name around the
        # request ("for my nephew, he's turning seven") says nothing about the intent.
        shape = [w for w in words if w in self.known_words or w in _common_words()
                 or w in self.context_words]
        return Found(" ".join(shape or words), slots, score)

    def _without_purpose(self, words: list[str]) -> list[str]:
        """Who or what it is for, at the end, says nothing about the intent: "a dollhouse
        for my granddaughter's birthday" -> "a dollhouse"."""
        for i in range(len(words) - 2, 0, -1):
            if words[i] in ("for", "from", "on", "at", "off") and i > 1:
                rest = [w for w in words[i + 1:] if w not in ("my", "the", "our", "his", "her",
                                                              "a", "their", "your", "s")]
                if rest and any(self._unknown(w) for w in rest) and all(
                        self._unknown(w) or w in _common_words() for w in rest) and (
                        self.items is None or self._best_span(rest) is None) and (
                        self.items is None or self._best_span(words[:i]) is not None):
                    return words[:i]  # "from walmart", "for my grandson's birthday"
            if words[i] in _REASONS and i > 1 and any(self._unknown(w) for w in words[i + 1:]) \
                    and (self.items is None or self._best_span(words[i + 1:]) is None):
                return words[:i]  # "before this little guy pulls the tablecloth off"
        return words

    def _list_end(self, words: list[str], end: int) -> int:
        """Where a list of items ends that starts with the item ending at ``end``: "coffee
        pods and two paper towels" is one slot value (the skill reads each part)."""
        while end < len(words) - 1 and words[end] in ("and", "plus"):
            start = end + 1
            while start < len(words) and (words[start] in _NUMBER_WORDS | QUANTITY_WORDS or
                                          words[start].isdigit() or
                                          words[start] in ("a", "an", "some", "of")):
                start += 1
            span = self._best_span(words[start:]) if self.items is not None else None
            stop = start + span[1] if span is not None and span[0] == 0 else start
            while stop == start and stop < len(words) and self._unknown(words[stop]):
                stop += 1
                while stop < len(words) and self._unknown(words[stop]):
                    stop += 1
            if stop == start:
                break
            end = stop
        return end

    def _unknown_item(self, words: list[str], slots: dict[str, str]) -> list[str]:
        runs: list[tuple[int, int]] = []
        start = None
        for i, word in enumerate([*words, ITEM]):
            unknown = self._unknown(word) and not word.isdigit()
            if unknown and start is None:
                start = i
            elif not unknown and start is not None:
                runs.append((start, i))
                start = None
        if not runs:
            return words
        start, end = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
        after_of = [r for r in runs if r[0] >= 2 and words[r[0] - 1] == "of" and any(
            other[1] == r[0] - 1 for other in runs)]
        if after_of:
            start, end = after_of[0]  # "a loaf of bread", "a slab of beer": what it holds
        end = self._list_end(words, end)
        slots["Item"] = " ".join(words[start:end])
        return [*words[:start], ITEM, *words[end:]]

    def pin(self, text: str) -> str | None:
        """The PIN in ``text``: one run of digit words making four digits, with at most a
        lead-in around it ("my pin is", "um"), else None. Hesitations are never digits."""
        runs = []
        current: list[str] = []
        words = text.split()
        for i, word in enumerate(words):
            if word in ("double", "triple") and i + 1 < len(words) and words[i + 1] in \
                    _DIGIT_WORDS:
                current.extend([words[i + 1]] * (1 if word == "double" else 2))
            elif word in _DIGIT_WORDS or re.fullmatch(r"\d{1,4}", word):
                current.append(word)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        if len(runs) > 1 and (any(w in word_lists()["corrections"] for w in text.split()) or
                              all(r == runs[-1][:len(r)] for r in runs[:-1])):
            runs = runs[-1:]  # "eight one, no wait, eight two one three"; "five one... five
            # one eight eight"
        if len(runs) != 1:
            return None
        return parse_pin(" ".join(runs[0]))

    def item_score(self, value: str) -> float | None:
        """How well ``value`` is an item's name as a whole (None: it is not one).

        The resolver forgives extra words ("please reorder the paper towels" contains
        "paper towels"); a slot value must be the name itself, give or take a slip.
        """
        best = self.items.resolve(value).best
        if best is None or best.score < MATCH_THRESHOLD:
            return None
        squashed = resolve_normalize(value).replace(" ", "")
        if fuzz.ratio(squashed, best.alias.replace(" ", "")) >= 85:
            return best.score  # the name, give or take a slip or a split word
        alias_words = best.alias.split()
        extra = [w for w in value.split()
                 if not any(fuzz.ratio(w, a) >= 80 for a in alias_words)]
        covered = [w for w in value.split() if w not in extra and w not in ITEM_FILLERS]
        if len(covered) == 1 and len(alias_words) > 1 and fuzz.ratio(
                covered[0], alias_words[-1]) >= 80:
            return None  # only the kind of thing: "milk" is not "oat milk"
        if all(w in ITEM_FILLERS for w in extra) and len(covered) * 3 >= len(alias_words):
            return best.score  # a telling part of the name ("the sonicare ones")
        return None

    def item_span(self, words: list[str]) -> tuple[int, int, float] | None:
        """The run of words that names a catalog item: (start, end, score), or None.

        A name next to words no template uses is part of a longer name the catalog does not
        have: "hand soap" is not "dish soap", "almond milk" not "oat milk"; unless those words
        were a false start of the same name ("cat lit, cat litter").
        """
        span = self._best_span(words)
        if span is None:
            return None
        start, end, score = span
        name = " ".join(words[start:end])
        said_before = " ".join(words[max(0, start - (end - start)):start])
        if start > 0 and self._unknown(words[start - 1]) and fuzz.ratio(said_before, name) < 75:
            return None  # not a false start of the same name ("oat bilk, oat milk")
        if end < len(words) and self._unknown(words[end]):
            return None
        return span

    def _as_template_verb(self, words: list[str], i: int) -> str:
        """``words[i]`` as the template word it means: a form of it ("charging" ->
        "charge"), or, where a verb stands ("please rescind my order", "i wish to procure"),
        a verb of the same sense (``verb_synonyms.json``: "terminate" -> "end")."""
        word = self._inflected(words, i)
        if word != words[i] or not self._unknown(word) or (
                i > 0 and words[i - 1] not in _BEFORE_A_VERB):
            return word
        synonyms = _verb_synonyms()
        for form in (word, *_stems(word)):
            if form in synonyms:
                return synonyms[form]
        return word

    def _inflected(self, words: list[str], i: int) -> str:
        """``words[i]`` as the template word it is a form of ("charging" -> "charge",
        "shipping" -> "ship"), when no template has this form; never a word where a name
        stands ("some stuffing"), which may be a product the shop does not sell."""
        word = words[i]
        if len(word) < 6 or not self._unknown(word) or (i > 0 and (
                words[i - 1] in _BEFORE_A_NAME or words[i - 1] in _NUMBER_WORDS)):
            return word
        for base in _stems(word):
            if base in self.known_words and base not in ITEM_FILLERS:
                return base
        return word

    def _spelled(self, word: str) -> str:
        """A misspelt word mended to the template word it is a slip of ("reoder", "bakset"):
        only a word that is no English word at all (real words, "shirt" or "flour", are left
        alone), the same first letter, one or two letters off (swaps count as one)."""
        if len(word) < 5 or not self._unknown(word) or is_english_word(word):
            return word
        allowed = 1 if len(word) <= 6 else 2
        found = process.extractOne(word, self._spellings, scorer=DamerauLevenshtein.distance,
                                   score_cutoff=allowed)
        return found[0] if found is not None and found[0][0] == word[0] else word

    @property
    def _spellings(self) -> list[str]:
        if self._spelling_list is None:
            self._spelling_list = sorted(w for w in self.known_words if len(w) >= 4 and
                                         w.isalpha())
        return self._spelling_list

    def _unknown(self, word: str) -> bool:
        """A word no template uses and no common English function word: part of a name."""
        return word not in self.known_words and word not in ITEM_FILLERS and \
            word not in _common_words() and word not in self.command_words and \
            word not in _never_names()

    def _best_span(self, words: list[str]) -> tuple[int, int, float] | None:
        """The longest, best-resolving run of words that names an item: (start, end, score)."""
        best: tuple[float, int, int, float] | None = None
        for length in range(min(6, len(words)), 0, -1):
            for start in range(len(words) - length + 1):
                span = words[start:start + length]
                if span[0] in ITEM_FILLERS or span[-1] in ITEM_FILLERS - UNIT_WORDS or (
                        length == 1 and len(span[0]) < 3):
                    continue  # "of dish soap" is "dish soap"; "do" is no item
                found = self.item_score(" ".join(span))
                if span[0] in _NUMBER_WORDS or span[0].isdigit():
                    found = found if found == 100 else None  # "fifty dollar gift card"
                if found is not None and found >= 85:
                    rank = found + 2 * length  # prefer the fuller name
                    if best is None or rank > best[0]:
                        best = (rank, start, start + length, found)
        return None if best is None else (best[1], best[2], best[3])

    def _categories(self, words: list[str], slots: dict[str, str],
                    names: dict[str, str]) -> list[str]:
        if not names:
            return words
        for length in (4, 3, 2, 1):
            for start in range(len(words) - length + 1):
                phrase = _singular(" ".join(words[start:start + length]))
                if phrase in names:
                    slots["Category"] = names[phrase]
                    return [*words[:start], CATEGORY, *words[start + length:]]
        return words


def _singular(phrase: str) -> str:
    words = phrase.split()
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith(
            "ss"):
        words[-1] = words[-1][:-3] + "y" if words[-1].endswith("ies") else words[-1][:-1]
    return " ".join(words)


@lru_cache(maxsize=1)
def _category_words() -> dict[str, list[str]]:
    text = resources.files("voice_local").joinpath("data/category_words.json").read_text(
        "utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


@lru_cache(maxsize=1)
def _never_names() -> frozenset[str]:
    return frozenset(word_lists()["never_names"])


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Function words ("might", "be", "so"), which are never part of an item's name."""
    from voice_local.answers import function_words

    return function_words()


_AGO = re.compile(r"\b(?:(?:a|an|one|two|three|four|five|six|few|couple|of|some|several|\d+) )+"
                  r"(?:seconds?|minutes?|mins?|hours?|days?|weeks?|months?) ago\b")


@lru_cache(maxsize=1)
def _times() -> re.Pattern:
    phrases = sorted(word_lists()["times"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")


def _without_times(text: str) -> str:
    """``text`` without when it happened ("the order i placed a few minutes ago", "the
    batteries i ordered sometime last week") or a question tag at its end ("shipped or
    not"): neither an item nor a quantity, and no part of what is asked."""
    text = _times().sub(" ", _AGO.sub(" ", f" {text} "))
    for tag in word_lists()["tags"]:
        if text.rstrip().endswith(f" {tag}") and len(text.split()) > len(tag.split()):
            text = text.rstrip()[: -len(tag)]
    return " ".join(text.split())


def _numbers_heard(words: list[str]) -> list[str]:
    """A number a recognizer wrote as its homophone, where only a number fits: before a
    unit ("order to bags of dog food") or after "to" at the end ("change it too for")."""
    heard = list(words)
    homophones = word_lists()["number_homophones"]
    for i, word in enumerate(heard):
        if word in homophones and i + 1 < len(heard) and heard[i + 1] in UNIT_WORDS - {
                "can", "case"} and i > 0 and heard[i - 1] not in ("up", "down"):
            heard[i] = homophones[word]  # "buy ate cartons", "put tree bottles on my list"
        if word in ("for", "four") and i == len(heard) - 1 and i > 0 and heard[i - 1] in (
                "to", "too", "two"):
            heard[i - 1:] = ["to", "four"]
    return heard


def _corrected(words: list[str]) -> list[str]:
    """A number replaced by the one after it ("three no make that two" -> "two"), and
    "not two" or "instead of two" after another number said as "instead" ("five not two"
    -> "five instead")."""
    runs = _number_runs(words)
    corrections = set(word_lists()["corrections"])
    for (start1, end1), (start2, end2) in zip(runs, runs[1:], strict=False):
        between = " ".join(words[end1:start2])
        if between in corrections or between.removesuffix(" that") in corrections:
            return _corrected([*words[:start1], *words[start2:]])
        if words[start2 - 1] == "not":  # "two of the laundry pods, not three": a change
            return _corrected([*words[:start2 - 1], "instead", *words[end2:]])
        lead = 3 if words[max(0, start2 - 3):start2] == ["instead", "of", "the"] else 2
        if words[max(0, start2 - lead):start2] in (["instead", "of"], ["rather", "than"],
                                                    ["instead", "of", "the"]):
            return _corrected([*words[:start2 - lead], "instead", *words[end2:]])
        if start2 > 0 and words[start2 - 1] in ("actually", "rather", "sorry"):
            return _corrected([*words[:start1], *words[start2:end2], *words[end1:start2 - 1],
                               *words[end2:]])
    return words


def _number_runs(words: list[str]) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(words):
        if words[i].isdigit() or (words[i] in _NUMBER_WORDS and words[i] != "and"):
            end = i + 1
            while end < len(words) and (words[end] in _NUMBER_WORDS or words[end].isdigit()):
                end += 1
            runs.append((i, end))
            i = end
        else:
            i += 1
    return runs


def _stems(word: str) -> list[str]:
    """What ``word`` may be a form of: "charging" -> "charg", "charge"; "shipped" -> "ship"."""
    stems = []
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: -len(ending)]
            stems += [stem, stem + "e"]
            if stem[-1] == stem[-2]:
                stems.append(stem[:-1])
            if stem.endswith("i"):
                stems.append(stem[:-1] + "y")
    return stems


@lru_cache(maxsize=1)
def _verb_synonyms() -> dict[str, str]:
    text = resources.files("voice_local").joinpath("data/verb_synonyms.json").read_text(
        "utf-8")
    return json.loads(text)["synonyms"]


def _undescribed(words: list[str]) -> list[str]:
    """Words that describe the product just before its name dropped ("get me a new ITEM"
    -> "get me a ITEM"): how it looks says nothing about what is asked."""
    describing = set(word_lists()["describing_words"])
    kept: list[str] = []
    for i, word in enumerate(words):
        after = next((w for w in words[i + 1:] if w not in describing), None)
        if word in describing and after == ITEM:
            continue
        kept.append(word)
    return kept


def _ordinals(words: list[str], slots: dict[str, str]) -> list[str]:
    for i, word in enumerate(words):
        if word in _ORDINALS:
            slots["Ordinal"] = word
            return [*words[:i], ORDINAL, *words[i + 1:]]
        if word in ("number", "option", "choice") and i + 1 < len(words):
            value = parse_quantity(words[i + 1])
            if value is not None and 0 < value < 10:
                slots["Ordinal"] = words[i + 1]
                return [*words[:i + 1], ORDINAL, *words[i + 2:]]
    return words


def _quantities(words: list[str], slots: dict[str, str]) -> list[str]:
    """The first quantity: a phrase ("half a dozen", "a few"), digits, or a run of number
    words read as one number ("twenty five", not 20 and 5)."""
    text = f" {' '.join(words)} "
    for phrase in _MULTIWORD_QUANTITIES:
        if f" {phrase} " in text and (phrase not in ("some", "few", "many", "lots")
                                      or f" {phrase} {ITEM} " in text):
            slots["Quantity"] = phrase
            return text.replace(f" {phrase} ", f" {NUMBER} ", 1).split()
    for i, word in enumerate(words):
        if re.fullmatch(r"\d{1,4}", word):
            slots["Quantity"] = word
            return [*words[:i], NUMBER, *words[i + 1:]]
        if word in _NUMBER_WORDS and word != "and":
            end = i + 1
            while end < len(words) and words[end] in _NUMBER_WORDS:
                end += 1
            while end > i + 1 and words[end - 1] == "and":
                end -= 1
            phrase = " ".join(words[i:end])
            if word == "one" and end == i + 1 and (
                    (i > 0 and words[i - 1] in _PRONOUN_ONE_BEFORE | {ITEM, ORDINAL})
                    or (end < len(words) and words[end] in ("or", "more") and (
                        end + 1 == len(words) or words[end + 1] in ("time", "thing")))):
                continue  # "the sonicare one", "one of those": a pronoun, not a quantity
            if words_to_int(phrase) is None:
                continue
            slots["Quantity"] = phrase
            return [*words[:i], NUMBER, *words[end:]]
    return words
