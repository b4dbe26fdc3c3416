"""What the skill says, kept as data per locale in ``skill/prompts/*.json``.

Each key holds a ``speech`` template and, when the session stays open, a ``reprompt``
(cards have ``title`` and ``content``). Templates use ``{name}`` placeholders; values are
escaped for SSML, while the templates themselves may contain SSML such as ``<break/>``.
A locale's strings are the language's file (``en.json``) overridden by the full locale's
(``en-US.json``), as in the ASK SDK samples. A locale the skill has no prompts for (or that is
not a locale at all: it comes from the request) gets ``DEFAULT_LOCALE``'s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Formatter

from skill.speech import escape

DEFAULT_LOCALE = "en-US"
_LOCALE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")
"""The shape of a locale a prompt file may be named after (``en``, ``en-US``)."""


class Ssml(str):
    """Text that is already SSML (a rendered fragment): inserted without escaping."""


def _value(value: object) -> str:
    return value if isinstance(value, Ssml) else escape(str(value))


@dataclass(frozen=True)
class Prompt:
    """One rendered prompt."""

    speech: str
    """SSML body (without ``<speak>``)."""
    reprompt: str | None
    """What to say if the shopper says nothing; None ends the session."""
    asks: str | None = None
    """The question the prompt ends with, when it is a standing one ("anything_else")."""


@lru_cache(maxsize=1)
def known_files() -> frozenset[str]:
    """The names of the prompt files the package has (``en``, ``en-US``, ...)."""
    folder = resources.files("skill").joinpath("prompts")
    return frozenset(entry.name.removesuffix(".json") for entry in folder.iterdir()
                     if entry.name.endswith(".json") and entry.is_file())


def resolve_locale(locale: object) -> str:
    """``locale`` if the skill has prompts for it (its own file, or its language's: ``en-AU``
    speaks ``en.json``), else ``DEFAULT_LOCALE``. A request's locale is never used to build a
    path: only the names of the files the package has are ever loaded."""
    if not isinstance(locale, str) or not _LOCALE.match(locale):
        return DEFAULT_LOCALE
    known = known_files()
    if locale in known or locale.split("-")[0] in known:
        return locale
    return DEFAULT_LOCALE


def _load(name: str) -> dict:
    if name not in known_files():
        return {}
    path = resources.files("skill").joinpath(f"prompts/{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=16)
def _strings(locale: str) -> dict[str, dict[str, str]]:
    language = locale.split("-")[0]
    merged = dict(_load(language) or _load(DEFAULT_LOCALE.split("-")[0]))
    merged.update(_load(locale))
    return merged


def strings_for(locale: str) -> dict[str, dict[str, str]]:
    """The merged strings of ``locale`` (language file, then locale file on top); an unknown
    or malformed locale gets ``DEFAULT_LOCALE``'s."""
    return _strings(resolve_locale(locale))


class Prompts:
    """The prompts of one locale."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = resolve_locale(locale)
        """The locale whose prompts these are (``DEFAULT_LOCALE`` for one the skill lacks)."""
        self._strings = _strings(self.locale)

    def has(self, key: str) -> bool:
        """Whether ``key`` exists in this locale."""
        return key in self._strings

    def text(self, key: str, field: str = "speech", **values: object) -> Ssml:
        """One field of ``key`` with its placeholders filled (values SSML-escaped)."""
        template = self._strings[key][field]
        return Ssml(template.format(**{k: _value(v) for k, v in values.items()}))

    def render(self, key: str, **values: object) -> Prompt:
        """The speech and reprompt of ``key``."""
        entry = self._strings[key]
        reprompt = self.text(key, "reprompt", **values) if "reprompt" in entry else None
        return Prompt(self.text(key, **values), reprompt, entry.get("asks"))

    def placeholders(self, key: str) -> set[str]:
        """The names ``key``'s speech and reprompt fill in."""
        entry = self._strings[key]
        return {name for field in ("speech", "reprompt") if field in entry
                for _, name, _, _ in Formatter().parse(entry[field]) if name}
