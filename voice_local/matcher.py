"""Text -> intent and slots, offline, from the same interaction model the Alexa skill uses.

Every sample utterance of ``interaction_models/<locale>.json`` becomes a template whose slots
are wildcards; a slot value counts only if it is valid for its type (an item the catalog
resolves, a number, four PIN digits). Utterances that fit no template exactly are compared
with the samples by rapidfuzz after the item and the quantity in them are replaced by their
slot names. Nothing close enough becomes ``AMAZON.FallbackIntent``. Yes and No are judged
strictly (``voice_local.answers``); the other built-ins come from ``data/builtins.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz import fuzz, process

from skill.interaction_model import language_model
from skill.resolution import MATCH_THRESHOLD, ItemIndex
from skill.resolution import normalize as resolve_normalize
from skill.spoken_numbers import parse_pin, parse_quantity
from voice_local.answers import judge

FALLBACK = "AMAZON.FallbackIntent"
FUZZY_THRESHOLD = 75.0
"""How close an utterance must come to a sample (0-100) to take its intent."""
_FILLERS = ("please", "alexa", "hey", "okay", "ok", "um", "uh", "so", "now", "thanks",
            "thank you", "for me", "could you", "can you", "would you", "will you",
            "i'd like to", "i would like to", "i wanna", "go ahead and", "just")
_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()
_MULTIWORD_QUANTITIES = ("a couple of", "a pair of", "a few", "a dozen", "half a dozen")


_CONTRACTIONS = {"what's": "what is", "where's": "where is", "when's": "when is",
                 "i'm": "i am", "we're": "we are", "it's": "it is", "that's": "that is",
                 "i'd": "i would", "we've": "we have", "i've": "i have", "let's": "let us",
                 "there's": "there is", "how's": "how is", "who's": "who is",
                 "don't": "do not", "didn't": "did not", "doesn't": "does not",
                 "can't": "cannot", "won't": "will not", "isn't": "is not"}
_ITEM_FILLERS = {"the", "some", "more", "a", "an", "my", "of", "one", "ones", "pack", "packs",
                 "box", "boxes", "bag", "bags", "our", "those", "these", "that", "kind"}


def normalize(text: str) -> str:
    """Lowercase words: punctuation dropped, hyphens to spaces, contractions expanded."""
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    words = [w.strip("'") for w in text.split() if w.strip("'")]
    return " ".join(_CONTRACTIONS.get(w, w) for w in words)


def strip_fillers(text: str) -> str:
    """Politeness and hesitation around the request ("could you please ... for me")."""
    changed = True
    while changed:
        changed = False
        for filler in _FILLERS:
            if text.startswith(filler + " "):
                text, changed = text[len(filler) + 1:], True
            if text.endswith(" " + filler):
                text, changed = text[: -len(filler) - 1], True
    return text


@dataclass(frozen=True)
class Match:
    """What an utterance means."""

    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    """Slot name -> the words heard for it (resolved later by the skill, as on Alexa)."""
    score: float = 100.0
    """100 for a template match; the fuzzy score otherwise."""


@dataclass
class _Template:
    intent: str
    sample: str
    regex: re.Pattern[str]
    slot_types: dict[str, str]
    literal_words: int


class IntentMatcher:
    """Matches text against one interaction model and one catalog."""

    def __init__(self, model: dict, items: ItemIndex) -> None:
        self.items = items
        self.templates: list[_Template] = []
        self.samples: list[str] = []
        self.sample_intents: list[str] = []
        for intent in language_model(model)["intents"]:
            types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            for sample in intent.get("samples", []):
                self._add(intent["name"], normalize_sample(sample), types)
        builtins = json.loads(resources.files("voice_local").joinpath(
            "data/builtins.json").read_text("utf-8"))
        self._builtins: dict[str, str] = {}
        for intent, phrases in builtins.items():
            if not intent.startswith("_"):
                for phrase in phrases:
                    self._add(intent, normalize(phrase), {})
                    self._builtins[normalize(phrase)] = intent

    def _add(self, intent: str, sample: str, types: dict[str, str]) -> None:
        parts = []
        for word in sample.split():
            slot = re.fullmatch(r"\{(\w+)\}", word)
            parts.append(f"(?P<{slot.group(1)}>.+?)" if slot else re.escape(word))
        regex = re.compile("^" + r"\s+".join(parts) + "$")
        literal = sum(1 for w in sample.split() if not w.startswith("{"))
        self.templates.append(_Template(intent, sample, regex, types, literal))
        self.samples.append(sample)
        self.sample_intents.append(intent)

    def match(self, text: str) -> Match:
        """The intent and slots of ``text`` (Fallback when nothing fits)."""
        heard = normalize(text)
        if not heard:
            return Match(FALLBACK, score=0.0)
        builtin = self._builtins.get(heard) or self._builtins.get(strip_fillers(heard))
        if builtin:
            return Match(builtin)
        answer = judge(heard) or judge(strip_fillers(heard))
        if answer:
            return Match("AMAZON.YesIntent" if answer == "yes" else "AMAZON.NoIntent")
        found = self._template_match(list(dict.fromkeys((heard, strip_fillers(heard)))))
        return found or self._fuzzy_match(strip_fillers(heard))

    def _template_match(self, texts: list[str]) -> Match | None:
        """The best template match over ``texts``: valid slots first, then more of them."""
        best: tuple[tuple, Match] | None = None
        for text in texts:
            for template in self.templates:
                found = template.regex.match(text)
                if not found:
                    continue
                slots = {k: v for k, v in found.groupdict().items() if v}
                quality = self._slot_quality(slots, template.slot_types)
                if quality is None:
                    continue
                rank = (round(quality), len(slots), template.literal_words)
                if best is None or rank > best[0]:
                    best = (rank, Match(template.intent, slots))
        return best[1] if best else None

    def _slot_quality(self, slots: dict[str, str], types: dict[str, str]) -> float | None:
        """Mean validity of the slot values (None: one is invalid for its type)."""
        scores = []
        for name, value in slots.items():
            kind = types.get(name, "")
            if kind == "AMAZON.NUMBER":
                if parse_quantity(value) is None:
                    return None
                scores.append(100.0)
            elif kind == "AMAZON.FOUR_DIGIT_NUMBER":
                if parse_pin(value) is None:
                    return None
                scores.append(100.0)
            else:
                score = self.item_score(value)
                if score is None:
                    return None
                scores.append(score)
        return sum(scores) / len(scores) if scores else 100.0

    def item_score(self, value: str) -> float | None:
        """How well ``value`` is an item's name as a whole (None: it is not one).

        The resolver forgives extra words ("please reorder the paper towels" contains
        "paper towels"); a slot value must be the name itself, give or take a slip.
        """
        resolution = self.items.resolve(value)
        best = resolution.best
        if best is None or best.score < MATCH_THRESHOLD:
            return None
        squashed = resolve_normalize(value).replace(" ", "")
        if fuzz.ratio(squashed, best.alias.replace(" ", "")) >= 70:
            return best.score
        alias_words = best.alias.split()
        extra = [w for w in value.split()
                 if not any(fuzz.ratio(w, a) >= 80 for a in alias_words)]
        covered = len(value.split()) - len(extra)
        if all(w in _ITEM_FILLERS for w in extra) and covered * 3 >= len(alias_words):
            return best.score
        return None

    def _fuzzy_match(self, text: str) -> Match:
        slots: dict[str, str] = {}
        pattern, item = self._find_item(text)
        if item:
            slots["Item"] = item
        for phrase in _MULTIWORD_QUANTITIES:
            if f" {phrase} " in f" {pattern} ":
                slots["Quantity"] = phrase
                pattern = f" {pattern} ".replace(f" {phrase} ", " {Quantity} ", 1).strip()
                break
        else:
            words = pattern.split()
            for i, word in enumerate(words):
                if word.isdigit() or word in _NUMBER_WORDS:
                    slots["Quantity"] = word
                    words[i] = "{Quantity}"
                    break
            pattern = " ".join(words)
        found = process.extractOne(pattern, self.samples, scorer=_sample_score,
                                   score_cutoff=FUZZY_THRESHOLD)
        if found is None:
            return Match(FALLBACK, score=0.0)
        sample, score, index = found
        intent = self.sample_intents[index]
        allowed = {w[1:-1] for w in sample.split() if w.startswith("{")}
        return Match(intent, {k: v for k, v in slots.items() if k in allowed}, score)

    def _find_item(self, text: str) -> tuple[str, str | None]:
        """The longest, best-resolving run of words that names an item, replaced by {Item}."""
        words = text.split()
        best: tuple[float, int, int] | None = None
        for length in range(min(5, len(words)), 0, -1):
            for start in range(len(words) - length + 1):
                span = words[start:start + length]
                if span[0] in _ITEM_FILLERS or span[-1] in _ITEM_FILLERS or (
                        length == 1 and len(span[0]) < 4):
                    continue  # "of dish soap" is "dish soap"; "do" is no item
                phrase = " ".join(span)
                found = self.item_score(phrase)
                if found is not None and found >= 85:
                    score = found + length  # prefer the fuller name
                    if best is None or score > best[0]:
                        best = (score, start, length)
        if best is None:
            return text, None
        _, start, length = best
        item = " ".join(words[start:start + length])
        return " ".join([*words[:start], "{Item}", *words[start + length:]]), item


def _sample_score(utterance: str, sample: str, **_: object) -> float:
    """Closeness of an utterance to a sample: reordered words, or the whole sample inside
    the utterance with some chatter around it ("checkout right now" ~ "checkout")."""
    score = fuzz.token_sort_ratio(utterance, sample)
    heard, said = utterance.split(), sample.split()
    if (len(said) >= 2 or len(sample) >= 8) and all(w in heard for w in said):
        score = max(score, 92.0 - 3 * (len(heard) - len(said)))
    return score


def normalize_sample(sample: str) -> str:
    """A sample utterance in the matcher's form, slots kept as ``{Name}``."""
    return " ".join(w if w.startswith("{") else normalize(w) for w in sample.split())


MatcherFactory = Callable[[], IntentMatcher]
