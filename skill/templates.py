"""Sample phrasings written compactly, expanded into flat sentences.

``interaction_models/templates/<locale>.txt`` is where the skill's phrasings are authored (the
syntax follows hassil's templates):

    [rules]
    cart = [my | the | our] (cart | basket | list)

    [AddToCartIntent]
    slots: Item=CATALOG_ITEM, Quantity=AMAZON.NUMBER
    (add | put) [{Quantity}] {Item} (to | in | on) <cart>

- ``(a | b)`` one of the alternatives, ``[a | b]`` optionally one of them, nesting allowed;
- ``{Slot}`` a slot of the intent, ``<rule>`` a rule of the ``[rules]`` section;
- ``#`` starts a comment; a ``slots:`` line declares the intent's slots and their types.

One template stands for every sentence it can produce. ``voicecart model build`` puts a
bounded, deterministic selection of them into the Alexa model (Alexa wants flat samples and
limits their number); the local matcher trains on a larger selection.
"""

from __future__ import annotations

import math
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from skill.errors import VoiceCartError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "interaction_models" / "templates"
MODEL_DIR_ENV = "VOICECART_MODEL_DIR"
_PHRASE_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)?$")
MAX_PHRASE_WORDS = 20


def added_phrases_path(locale: str = "en-US") -> Path:
    """The merchant's own sample phrases (added from the insights), read after the
    templates: ``<locale>.added.txt`` next to them, or in ``VOICECART_MODEL_DIR/templates``
    where the models live elsewhere."""
    configured = os.environ.get(MODEL_DIR_ENV)
    folder = Path(configured) / "templates" if configured else TEMPLATES_DIR
    return folder / f"{locale}.added.txt"


class TemplateError(VoiceCartError):
    """A template file that cannot be read, said with its line."""


# --- the expression tree: a sequence of parts, each a word, a slot or a choice -------------

@dataclass(frozen=True)
class Choice:
    """One of ``options`` (each a sequence); ``optional`` adds the empty choice."""

    options: tuple[tuple, ...]
    optional: bool = False


Part = str | Choice
"""A word, ``{Slot}``, ``<rule>`` (resolved when loading), or a choice."""


def _tokens(text: str) -> list[str]:
    return re.findall(r"\{\w+\}|<\w+>|[()\[\]|]|[^\s()\[\]|{}<>]+", text)


def parse(text: str) -> tuple[Part, ...]:
    """One template as a sequence of parts (raises ValueError on unbalanced brackets)."""
    tokens = _tokens(text)
    position = 0

    def sequence(closers: str) -> tuple[tuple, ...]:
        nonlocal position
        options: list[tuple] = []
        parts: list[Part] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token in ("(", "["):
                inner = sequence(")" if token == "(" else "]")
                parts.append(Choice(inner, optional=token == "["))
            elif token == "|":
                options.append(tuple(parts))
                parts = []
            elif token in (")", "]"):
                if token not in closers:
                    raise ValueError(f"unexpected {token!r}")
                options.append(tuple(parts))
                return tuple(options)
            else:
                parts.append(token)
        if closers:
            raise ValueError(f"missing {closers!r}")
        options.append(tuple(parts))
        return tuple(options)

    options = sequence("")
    if len(options) == 1:
        return options[0]
    return (Choice(options),)


def _count(parts: tuple) -> int:
    total = 1
    for part in parts:
        if isinstance(part, Choice):
            total *= sum(_count(o) for o in part.options) + (1 if part.optional else 0)
    return total


def _expand_all(parts: tuple) -> list[list[str]]:
    results: list[list[str]] = [[]]
    for part in parts:
        if isinstance(part, Choice):
            alternatives = [words for option in part.options for words in _expand_all(option)]
            if part.optional:
                alternatives.append([])
            results = [r + a for r in results for a in alternatives]
        else:
            results = [r + [part] for r in results]
    return results


def _expand_one(parts: tuple, rng: random.Random) -> list[str]:
    """One sentence, every sentence equally likely."""
    words: list[str] = []
    for part in parts:
        if isinstance(part, Choice):
            weights = [_count(o) for o in part.options] + ([1] if part.optional else [])
            pick = rng.choices(range(len(weights)), weights=weights)[0]
            if pick < len(part.options):
                words += _expand_one(part.options[pick], rng)
        else:
            words.append(part)
    return words


def expand(parts: tuple, limit: int | None = None, seed: int = 0) -> list[str]:
    """The sentences of a template: all of them, or ``limit`` drawn evenly (same every run)."""
    if limit is None or _count(parts) <= limit:
        return list(dict.fromkeys(" ".join(w) for w in _expand_all(parts)))
    rng = random.Random(seed)
    found: dict[str, None] = {}
    for _ in range(limit * 20):
        found[" ".join(_expand_one(parts, rng))] = None
        if len(found) >= limit:
            break
    return list(found)


# --- a locale's templates --------------------------------------------------------------------

@dataclass
class IntentTemplates:
    """The phrasings of one intent."""

    name: str
    slots: dict[str, str] = field(default_factory=dict)
    """Slot name -> Alexa slot type."""
    templates: list[tuple[Part, ...]] = field(default_factory=list)
    """Parsed templates, rules already substituted."""
    sources: list[str] = field(default_factory=list)
    """The templates as written (for messages)."""

    def count(self) -> int:
        """How many sentences the templates stand for."""
        return sum(_count(t) for t in self.templates)

    def sentences(self, limit: int | None = None, seed: int = 0) -> list[str]:
        """Up to ``limit`` distinct sentences, shared fairly among the templates: every
        template contributes, and none crowds out the others."""
        if limit is None:
            return list(dict.fromkeys(s for t in self.templates for s in expand(t)))
        share = max(1, math.ceil(limit / max(1, len(self.templates))))
        per_template = [expand(t, share, seed + n) for n, t in enumerate(self.templates)]
        chosen: dict[str, None] = {}
        for depth in range(share):  # round-robin, so the cap cuts evenly
            for sentences in per_template:
                if depth < len(sentences):
                    chosen.setdefault(sentences[depth], None)
        return list(chosen)[:limit]


def _substitute(parts: tuple, rules: dict[str, tuple], where: str) -> tuple:
    out: list[Part] = []
    for part in parts:
        if isinstance(part, Choice):
            out.append(Choice(tuple(_substitute(o, rules, where) for o in part.options),
                              part.optional))
        elif part.startswith("<") and part.endswith(">"):
            name = part[1:-1]
            if name not in rules:
                raise TemplateError(f"{where}: unknown rule <{name}>")
            out.append(Choice((rules[name],)))
        else:
            out.append(part)
    return tuple(out)


def load_templates(locale: str = "en-US", path: Path | None = None) -> dict[str, IntentTemplates]:
    """Every intent's templates for ``locale``, in file order."""
    files = [path] if path else [TEMPLATES_DIR / f"{locale}.txt"]
    if path is None and added_phrases_path(locale).is_file():
        files.append(added_phrases_path(locale))
    lines: list[tuple[str, int, str]] = []
    for source in files:
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise TemplateError(f"{source}: {error.strerror or error}") from None
        lines += [(source.name, n, raw) for n, raw in enumerate(text.splitlines(), 1)]
    rules: dict[str, tuple] = {}
    intents: dict[str, IntentTemplates] = {}
    section: str | None = None
    for name, number, raw in lines:
        line = raw.split("#", 1)[0].strip()
        where = f"{name}:{number}"
        if not line:
            continue
        header = re.fullmatch(r"\[([\w.]+)\]", line)
        if header:
            section = header.group(1)
            if section != "rules":
                intents.setdefault(section, IntentTemplates(section))
            continue
        if section is None:
            raise TemplateError(f"{where}: a template before any [Intent] header")
        try:
            if section == "rules":
                name, _, body = line.partition("=")
                if not re.fullmatch(r"\w+", name.strip()) or not body.strip():
                    raise ValueError("a rule is written: name = expression")
                rules[name.strip()] = _substitute(parse(body), rules, where)
                continue
            intent = intents[section]
            if line.startswith("slots:"):
                for declaration in line[len("slots:"):].split(","):
                    slot, _, slot_type = declaration.strip().partition("=")
                    intent.slots[slot.strip()] = slot_type.strip()
                continue
            parts = _substitute(parse(line), rules, where)
        except ValueError as error:
            raise TemplateError(f"{where}: {error}") from None
        for slot in re.findall(r"\{(\w+)\}", line):
            if slot not in intent.slots:
                raise TemplateError(f"{where}: slot {{{slot}}} is not declared for {section}")
        intent.templates.append(parts)
        intent.sources.append(line)
    return intents


def add_phrase(intent: str, phrase: str, locale: str = "en-US") -> str:
    """Add ``phrase`` as a sample phrase of ``intent`` to the added-phrases file (read by
    the model build and the local matcher); the phrase as added. Plain words only: a
    phrase is said, not a template."""
    words = phrase.lower().replace("\u2019", "'").split()
    if not words or len(words) > MAX_PHRASE_WORDS or not all(
            _PHRASE_WORD.match(w) for w in words):
        raise TemplateError("a sample phrase is 1 to 20 plain words (letters, an apostrophe)")
    intents = load_templates(locale)
    if intent not in intents:
        raise TemplateError(f"unknown intent {intent!r}")
    cleaned = " ".join(words)
    path = added_phrases_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text("utf-8") if path.is_file() else (
        "# Sample phrases added from the insights (voicecart insights, the console).\n")
    lines = text.rstrip("\n").split("\n")
    header = f"[{intent}]"
    if header in lines:
        start = lines.index(header) + 1
        rest = lines[start:]
        section = rest[:next((n for n, ln in enumerate(rest)
                              if re.fullmatch(r"\[[\w.]+\]", ln.strip())), len(rest))]
        if cleaned in section:
            return cleaned
        end = lines.index(header) + 1
        while end < len(lines) and not re.fullmatch(r"\[[\w.]+\]", lines[end].strip()):
            end += 1
        lines.insert(end, cleaned)
    else:
        lines += [header, cleaned]
    partial = path.with_suffix(".tmp")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(path)
    return cleaned
