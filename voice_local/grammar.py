"""What the speech recognizer may hear: the skill's phrasings with their slots filled by the
catalog's names, spoken quantities and PIN digits, plus the built-in intents' phrases, answers
to yes/no questions (refusals and hedges too, so that they are not forced into a yes),
hesitation fillers, and common English words for a garbage path that speech outside the
domain takes instead of being forced onto a command.

The phrasings are the templates the interaction model is expanded from
(``interaction_models/templates``), whole: the model holds only a selection of their
sentences, and a recognizer can hear nothing else. Without templates, the model's samples
are the phrasings. One source of truth either way: nothing here is a second list of shopping
phrases. PocketSphinx gets the grammar as word graphs (``voice_local.word_graph``), Vosk as a
phrase list of the samples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from skill.interaction_model import ITEM_TYPE, language_model, model_dir
from skill.templates import parse

ITEM, QUANTITY, PIN, DIGIT, ORDINAL = "item", "quantity", "pin", "digit", "ordinal"
BEFORE, AFTER, FILLER = "before", "after", "filler"
"""Rules of politeness that may wrap a sample ("could you ... for me"), and hesitation."""
_SLOT_RULES = {"AMAZON.NUMBER": QUANTITY, "AMAZON.FOUR_DIGIT_NUMBER": PIN,
               "AMAZON.Ordinal": ORDINAL, ITEM_TYPE: ITEM}
"""Slot type -> grammar rule; other custom types take their values from the model."""
RISKY = frozenset({"AMAZON.YesIntent", "ProvidePinIntent", "BuyIntent", "ReorderIntent",
                   "AddToCartIntent", "CheckoutIntent"})
"""Intents that move money or a purchase forward: the recognizer must be surest of them."""
FOCUS = {"which": ("SelectItemIntent",), "howmany": ("ChangeQuantityIntent",),
         "pin": ("ProvidePinIntent",)}
"""The intents whose phrasings answer each kind of open question."""
EXPECTING = ("yesno", *FOCUS)
"""The kinds of open question the recognizer narrows its grammar for."""


@dataclass(frozen=True)
class Alt:
    """One of several word sequences, or (``optional``) nothing."""

    options: tuple[tuple[Part, ...], ...]
    optional: bool = False


Part = "str | Alt"
"""A word, a ``<rule>`` reference, or a choice."""


def spoken(text: str) -> str:
    """Text as words a recognizer outputs: lowercase, no punctuation but apostrophes."""
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"[^\w' ]+|_", " ", text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def _data(name: str) -> dict:
    return json.loads(resources.files("voice_local").joinpath(f"data/{name}")
                      .read_text("utf-8"))


@dataclass(frozen=True)
class Grammar:
    """Phrasings as word/slot sequences, and the words each slot may be."""

    sentences: tuple[tuple[str, ...], ...]
    """The model's samples: words and ``<rule>`` references."""
    rules: dict[str, tuple[str, ...]]
    """Rule name -> alternative phrases (``pin`` is four ``digit`` words)."""
    answers: tuple[tuple[str, tuple[Part, ...]], ...] = ()
    """(intent, phrasing) of yes/no answers, refusals, hedges and the built-in intents'
    phrases: said as they are, never wrapped in politeness (measured: "one two three four"
    was heard as "will you two three four oh")."""
    intents: tuple[str, ...] = ()
    """The intent of each sentence (same order as ``sentences``)."""
    garbage: tuple[str, ...] = ()
    """Common English words: the path speech outside the domain takes."""
    phrasings: tuple[tuple[str, tuple[Part, ...]], ...] = ()
    """(intent, template) for every template; empty: the samples are the phrasings."""

    @classmethod
    def build(cls, model: dict, item_names: list[str], templates: dict | None = None
              ) -> Grammar:
        """The grammar of one interaction model, one catalog and (optionally) the templates
        the model was expanded from (``skill.templates.load_templates``)."""
        data = _data("grammar.json")
        language = language_model(model)
        values = {t["name"]: [v["name"]["value"] for v in t.get("values", [])]
                  + [s for v in t.get("values", []) for s in v["name"].get("synonyms", [])]
                  for t in language.get("types", [])}
        rules = {ITEM: _unique(item_names), QUANTITY: _unique(data["quantities"]),
                 DIGIT: _unique(data["digits"]), ORDINAL: _unique(data["ordinals"]),
                 BEFORE: _unique(data["before"]), AFTER: _unique(data["after"]),
                 FILLER: _unique(data["fillers"])}

        def slot_rule(slot_type: str) -> str:
            rule = _SLOT_RULES.get(slot_type) or slot_type.lower()
            if rule not in rules:
                rules[rule] = _unique(values.get(slot_type, []))
            return f"<{rule}>"

        sentences: dict[tuple[str, ...], str] = {}
        for intent in language["intents"]:
            types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            for sample in intent.get("samples", []):
                words: list[str] = []
                for part in re.split(r"(\{\w+\})", sample):
                    slot = re.fullmatch(r"\{(\w+)\}", part)
                    words += [slot_rule(types.get(slot.group(1), ""))] if slot else (
                        spoken(part).split())
                if words:
                    sentences.setdefault(tuple(words), intent["name"])
        phrasings = tuple((name, _phrasing(template, lambda s, t=intent.slots: slot_rule(
            t.get(s, "")))) for name, intent in (templates or {}).items()
            for template in intent.templates)
        answers = {(intent, _phrasing(parse(p), slot_rule)): None
                   for intent, templates in data["answers"].items() for p in templates}
        answers.update({(intent, tuple(spoken(p).split())): None for intent, phrases in
                        _data("builtins.json").items() if not intent.startswith("_")
                        for p in phrases})
        return cls(tuple(sentences), rules, tuple(a for a in answers if a[1]),
                   tuple(sentences.values()), _unique(_data("garbage.json")["words"]),
                   phrasings)

    def words(self) -> set[str]:
        """Every word the grammar can produce (garbage words aside)."""
        found = {w for s in self.sentences for w in s if not w.startswith("<")}
        for _, parts in (*self.answers, *self.phrasings):
            found.update(w for w in _words(parts) if not w.startswith("<"))
        for phrases in self.rules.values():
            found.update(w for p in phrases for w in p.split())
        return found

    def without(self, missing: set[str]) -> Grammar:
        """The grammar less every phrase, sentence and choice that uses a word in
        ``missing``."""
        rules = {name: tuple(p for p in phrases if not set(p.split()) & missing)
                 for name, phrases in self.rules.items()}
        kept = [(s, i) for s, i in zip(self.sentences, self.sentence_intents(), strict=True)
                if not set(s) & missing]
        phrasings = [(i, _pruned(p, missing)) for i, p in self.phrasings]
        answers = [(i, _pruned(a, missing)) for i, a in self.answers]
        return Grammar(tuple(s for s, _ in kept), rules, tuple(a for a in answers if a[1]),
                       tuple(i for _, i in kept),
                       tuple(w for w in self.garbage if w not in missing),
                       tuple((i, p) for i, p in phrasings if p is not None))

    def sentence_intents(self) -> tuple[str, ...]:
        """The intent of each sentence ("" where unknown)."""
        return self.intents or ("",) * len(self.sentences)

    def paths(self) -> list[tuple[str, tuple[Part, ...]]]:
        """(intent, phrasing) of every way to make a request: the templates, else the
        samples."""
        if self.phrasings:
            return list(self.phrasings)
        return list(zip(self.sentence_intents(), self.sentences, strict=True))

    def for_pin(self) -> Grammar:
        """While a PIN is asked for: PIN sentences and the built-in answers (cancel, help,
        no...), as Alexa listens for the slot it elicits."""
        kept = [(s, i) for s, i in zip(self.sentences, self.sentence_intents(), strict=True)
                if f"<{PIN}>" in s]
        return Grammar(tuple(s for s, _ in kept), self.rules, self.answers,
                       tuple(i for _, i in kept), self.garbage,
                       tuple((i, p) for i, p in self.phrasings if f"<{PIN}>" in _words(p)))

    def phrases(self) -> list[str]:
        """Vosk's form: sentence fragments between slots, and every slot phrase.

        Vosk lets phrases follow one another, so "reorder" + "toothbrush heads" is heard
        without listing every sample with every item (which would be thousands).
        """
        fragments: list[str] = []
        answers = [tuple(s.split()) for _, a in self.answers for s in _expanded(a)]
        for sentence in (*self.sentences, *answers):
            run: list[str] = []
            for word in (*sentence, "<>"):
                if word.startswith("<"):
                    if run:
                        fragments.append(" ".join(run))
                    run = []
                else:
                    run.append(word)
        for name, phrases in self.rules.items():
            if name != FILLER:
                fragments.extend(phrases)
        return list(dict.fromkeys(fragments))


def model_templates(locale: str = "en-US") -> dict | None:
    """The templates the model of ``locale`` was expanded from (``templates/<locale>.txt``
    beside it), or None when there are none."""
    from skill.templates import load_templates

    path = model_dir() / "templates" / f"{locale}.txt"
    return load_templates(locale, path) if path.is_file() else None


def _phrasing(parts: tuple, slot_rule: object) -> tuple[Part, ...]:
    """A template of ``skill.templates`` in this module's terms: words as a recognizer spells
    them, ``{Slot}`` as its rule."""
    out: list[Part] = []
    for part in parts:
        if hasattr(part, "options"):
            out.append(Alt(tuple(_phrasing(o, slot_rule) for o in part.options),
                           bool(part.optional)))
        elif re.fullmatch(r"\{\w+\}", part):
            out.append(slot_rule(part[1:-1]))  # type: ignore[operator]
        else:
            out.extend(spoken(part).split())
    return tuple(out)


def _expanded(parts: tuple[Part, ...]) -> list[str]:
    """Every sentence of ``parts`` (for short answers only: the count multiplies)."""
    sentences = [""]
    for part in parts:
        options = ([w for o in part.options for w in _expanded(o)] + [""] * part.optional
                   if isinstance(part, Alt) else [part])
        sentences = [f"{s} {o}".strip() for s in sentences for o in options]
    return list(dict.fromkeys(sentences))


def _words(parts: tuple[Part, ...]) -> Iterator[str]:
    for part in parts:
        if isinstance(part, Alt):
            for option in part.options:
                yield from _words(option)
        else:
            yield part


def _pruned(parts: tuple[Part, ...], missing: set[str]) -> tuple[Part, ...] | None:
    """``parts`` less the choices that use a word in ``missing`` (None: nothing is left)."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, Alt):
            options = [o for o in (_pruned(o, missing) for o in part.options) if o is not None]
            if not options and not part.optional:
                return None
            if options:
                out.append(Alt(tuple(options), part.optional))
        elif part in missing:
            return None
        else:
            out.append(part)
    return tuple(out)


def _unique(phrases: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (spoken(x) for x in phrases) if p))
