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

ITEM, QUANTITY, PIN = "item", "quantity", "pin"
BEFORE, AFTER = "before", "after"
"""Rules of politeness that may wrap any request ("could you ... for me")."""
_SLOT_RULES = {"AMAZON.NUMBER": QUANTITY, "AMAZON.FOUR_DIGIT_NUMBER": PIN}
"""Slot type -> grammar rule; every other (custom) type is the catalog's item names."""


def spoken(text: str) -> str:
    """Text as words a recognizer outputs: lowercase, no punctuation but apostrophes."""
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"[^\w' ]+|_", " ", text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def _data() -> dict:
    return json.loads(resources.files("voice_local").joinpath("data/grammar.json")
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

    @classmethod
    def build(cls, model: dict, item_names: list[str]) -> Grammar:
        """The grammar of one interaction model and one catalog."""
        data = _data()
        builtins = json.loads(resources.files("voice_local").joinpath("data/builtins.json")
                              .read_text("utf-8"))
        sentences: list[tuple[str, ...]] = []
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
                sentences.append(tuple(words))
        answers = [tuple(spoken(p).split()) for intent, phrases in builtins.items()
                   if not intent.startswith("_") for p in phrases]
        answers += [tuple(spoken(p).split()) for p in data["answers"]]
        rules = {ITEM: _unique(item_names), QUANTITY: _unique(data["quantities"]),
                 "digit": _unique(data["digits"]), BEFORE: _unique(data["before"]),
                 AFTER: _unique(data["after"])}
        return cls(tuple(dict.fromkeys(s for s in sentences if s)), rules,
                   tuple(dict.fromkeys(a for a in answers if a)))

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
        return Grammar(sentences, rules, tuple(a for a in self.answers if not set(a) & missing))

    def for_pin(self) -> Grammar:
        """While a PIN is asked for: PIN sentences and the built-in answers (cancel, help,
        no...), as Alexa listens for the slot it elicits."""
        return Grammar(tuple(s for s in self.sentences if f"<{PIN}>" in s), self.rules,
                       self.answers)

    def for_answers(self) -> Grammar:
        """While a yes/no question is open: the answers and the built-ins only ("no" must
        not be heard as a one-word request such as "pay"), as Alexa listens for an answer."""
        return Grammar((), self.rules, self.answers)

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

    def jsgf(self) -> str:
        """PocketSphinx's form: JSGF whose one public rule is any request, answer or PIN.

        PocketSphinx copies a rule at every place it is used, so sentences are factored
        around their item or PIN slot (what may come before it, the slot once, what may come
        after): a few hundred states instead of every sample times every item. (Grouping by
        ending, which keeps beginnings with their own endings, was measured: no more
        accurate on the benchmark, twice as slow.)
        """
        plain: list[str] = []
        around: dict[str, tuple[set[str], set[str]]] = {ITEM: (set(), set()),
                                                        PIN: (set(), set())}
        for sentence in self.sentences:
            text = " ".join(sentence)
            anchor = next((r for r in (ITEM, PIN) if f"<{r}>" in sentence), None)
            if anchor is None:
                plain.append(text)
                continue
            before, _, after = f" {text} ".partition(f" <{anchor}> ")
            around[anchor][0].add(before.strip() or "<NULL>")
            around[anchor][1].add(after.strip() or "<NULL>")
        requests = [*plain] + ([f"<{ITEM}_before> <{ITEM}> <{ITEM}_after>"]
                               if self.rules[ITEM] and around[ITEM][0] else [])
        turns = [f"[<{BEFORE}>] <request> [<{AFTER}>]", *(" ".join(a) for a in self.answers)]
        if self.rules["digit"] and around[PIN][0]:
            turns.append(f"<{PIN}_before> <{PIN}> <{PIN}_after>")
        lines = ["#JSGF V1.0;", "grammar voicecart;",
                 f"public <turn> = {_alternatives(turns)};",
                 f"<request> = {_alternatives(requests)};",
                 f"<{BEFORE}> = {_alternatives(list(self.rules[BEFORE]))};",
                 f"<{AFTER}> = {_alternatives(list(self.rules[AFTER]))};"]
        for rule, (before, after) in around.items():
            lines.append(f"<{rule}_before> = {_alternatives(sorted(before))};")
            lines.append(f"<{rule}_after> = {_alternatives(sorted(after))};")
        lines += [f"<{ITEM}> = {_alternatives(list(self.rules[ITEM]))};",
                  f"<{QUANTITY}> = {_alternatives(list(self.rules[QUANTITY]))};",
                  f"<digit> = {_alternatives(list(self.rules['digit']))};",
                  "<pin> = <digit> <digit> <digit> <digit>;"]
        return "\n".join(lines) + "\n"


def _alternatives(phrases: list[str]) -> str:
    return " | ".join(phrases) if phrases else "<VOID>"


def _unique(phrases: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (spoken(x) for x in phrases) if p))
