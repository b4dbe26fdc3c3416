"""What the speech recognizer may hear: the interaction model's samples with their slots
filled by the catalog's names, spoken quantities and PIN digits, plus the built-in intents'
phrases and answers to yes/no questions.

One source of truth: nothing here is a second list of shopping phrases. The same grammar is
given to Vosk as a phrase list and to PocketSphinx as JSGF.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from skill.interaction_model import language_model
from skill.templates import expand, parse

ITEM, QUANTITY, PIN = "item", "quantity", "pin"
BEFORE, AFTER, FILLER = "before", "after", "filler"
"""Rules of politeness that may wrap any request ("could you ... for me"), and hesitation
("uh", "um"), which the recognizer hears as such and drops (never as a digit)."""
RISKY = frozenset({"AMAZON.YesIntent", "ProvidePinIntent", "BuyIntent", "ReorderIntent",
                   "AddToCartIntent", "CheckoutIntent"})
"""Intents that move a purchase forward: the recognizer must be surest of them, and one heard
where none was said is a false accept."""
_SLOT_RULES = {"AMAZON.NUMBER": QUANTITY, "AMAZON.FOUR_DIGIT_NUMBER": PIN}
"""Slot type -> grammar rule; every other (custom) type is the catalog's item names."""


def spoken(text: str) -> str:
    """Text as words a recognizer outputs: lowercase, no punctuation but apostrophes."""
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"[^\w' ]+|_", " ", text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def _data(name: str = "grammar.json") -> dict:
    return json.loads(resources.files("voice_local").joinpath(f"data/{name}")
                      .read_text("utf-8"))


@dataclass(frozen=True)
class Grammar:
    """Sentences as word/slot sequences, and the words each slot may be."""

    sentences: tuple[tuple[str, ...], ...]
    """Requests (the model's samples): words and ``<rule>`` references."""
    rules: dict[str, tuple[str, ...]]
    """Rule name -> alternative phrases (``pin`` is four ``digit`` words)."""
    answers: tuple[tuple[str, ...], ...] = ()
    """Built-in intents' phrases and yes/no answers: said as they are, never wrapped in
    politeness (measured: "one two three four" was heard as "will you two three four oh")."""
    risky: frozenset[tuple[str, ...]] = frozenset()
    """The sentences and answers of ``RISKY`` intents."""
    builtins: tuple[tuple[str, ...], ...] = ()
    """The built-in intents' phrases among the answers (cancel, help, stop...)."""

    @classmethod
    def build(cls, model: dict, item_names: list[str]) -> Grammar:
        """The grammar of one interaction model and one catalog."""
        data = _data()
        builtins = _data("builtins.json")
        sentences: dict[tuple[str, ...], None] = {}
        risky: set[tuple[str, ...]] = set()
        for intent in language_model(model)["intents"]:
            types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            for sample in intent.get("samples", []):
                words: list[str] = []
                for part in re.split(r"(\{\w+\})", sample):
                    slot = re.fullmatch(r"\{(\w+)\}", part)
                    if slot:
                        words.append(f"<{_SLOT_RULES.get(types.get(slot.group(1), ''), ITEM)}>")
                    else:
                        words.extend(spoken(part).split())
                if words:
                    sentences[tuple(words)] = None
                    if intent["name"] in RISKY:
                        risky.add(tuple(words))
        answers: dict[tuple[str, ...], None] = {}
        plain = [tuple(spoken(p).split()) for intent, phrases in builtins.items()
                 if not intent.startswith("_") for p in phrases]
        for intent, phrases in (*builtins.items(), *data["answers"].items()):
            if intent.startswith("_"):
                continue
            for phrase in phrases:
                for text in expand(parse(phrase)):
                    words = tuple(spoken(text).split())
                    answers[words] = None
                    if intent in RISKY:
                        risky.add(words)
        rules = {ITEM: _unique(item_names), QUANTITY: _unique(data["quantities"]),
                 "digit": _unique(data["digits"]), BEFORE: _unique(data["before"]),
                 AFTER: _unique(data["after"]), FILLER: _unique(data["fillers"])}
        return cls(tuple(sentences), rules, tuple(a for a in answers if a), frozenset(risky),
                   tuple(b for b in dict.fromkeys(plain) if b))

    def words(self) -> set[str]:
        """Every word the grammar can produce."""
        found = {w for s in (*self.sentences, *self.answers) for w in s
                 if not w.startswith("<")}
        for phrases in self.rules.values():
            found.update(w for p in phrases for w in p.split())
        return found

    def without(self, missing: set[str]) -> Grammar:
        """The grammar less every phrase and sentence that uses a word in ``missing``."""
        rules = {name: tuple(p for p in phrases if not set(p.split()) & missing)
                 for name, phrases in self.rules.items()}
        sentences = tuple(s for s in self.sentences if not set(s) & missing)
        return Grammar(sentences, rules, tuple(a for a in self.answers if not set(a) & missing),
                       self.risky, tuple(b for b in self.builtins if not set(b) & missing))

    def for_requests(self) -> Grammar:
        """While no PIN is asked for: everything but the PIN sentences (four digits said out
        of the blue are no PIN)."""
        return Grammar(tuple(s for s in self.sentences if f"<{PIN}>" not in s), self.rules,
                       self.answers, self.risky, self.builtins)

    def for_pin(self) -> Grammar:
        """While a PIN is asked for: PIN sentences and the built-in intents (cancel, help,
        stop...), as Alexa listens for the slot it elicits (with every yes/no answer too, a
        PIN was heard as "what")."""
        return Grammar(tuple(s for s in self.sentences if f"<{PIN}>" in s), self.rules,
                       self.builtins, self.risky, self.builtins)

    def for_answers(self) -> Grammar:
        """While a yes/no question is open: the answers and the built-ins only ("no" must
        not be heard as a one-word request such as "pay"), as Alexa listens for an answer."""
        from voice_local.answers import judge
        from voice_local.text import normalize

        # Nothing the matcher would take for a yes unless it is one ("what can i do" is
        # help, and was judged a yes: heard for "what's the weather", it was one).
        return Grammar((), self.rules, tuple(
            a for a in self.answers
            if a in self.risky or judge(normalize(" ".join(a))) != "yes"), self.risky,
            self.builtins)

    def phrases(self) -> list[str]:
        """Vosk's form: sentence fragments between slots, and every slot phrase.

        Vosk lets phrases follow one another, so "reorder" + "toothbrush heads" is heard
        without listing every sample with every item (which would be thousands).
        """
        fragments: list[str] = []
        for sentence in (*self.sentences, *self.answers):
            run: list[str] = []
            for word in (*sentence, "<>"):
                if word.startswith("<"):
                    if run:
                        fragments.append(" ".join(run))
                    run = []
                else:
                    run.append(word)
        for phrases in self.rules.values():
            fragments.extend(phrases)
        return list(dict.fromkeys(fragments))


def garbage_words() -> list[str]:
    """Common English words, likeliest first: the path off-domain speech takes."""
    return list(_data("garbage.json")["words"])


def _unique(phrases: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (spoken(x) for x in phrases) if p))

