"""What the skill says, kept as data per locale in ``skill/prompts/*.json``.

Each key holds a ``speech`` template and, when the session stays open, a ``reprompt``
(cards have ``title`` and ``content``). Templates use ``{name}`` placeholders; values are
escaped for SSML, while the templates themselves may contain SSML such as ``<break/>``.
A locale's strings are the language's file (``en.json``) overridden by the full locale's
(``en-US.json``), as in the ASK SDK samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Formatter

from skill.speech import escape

DEFAULT_LOCALE = "en-US"


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


def _load(name: str) -> dict:
    path = resources.files("skill").joinpath(f"prompts/{name}.json")
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=16)
def strings_for(locale: str) -> dict[str, dict[str, str]]:
    """The merged strings of ``locale`` (language file, then locale file on top)."""
    language = locale.split("-")[0]
    merged = dict(_load(language) or _load(DEFAULT_LOCALE.split("-")[0]))
    merged.update(_load(locale))
    return merged


class Prompts:
    """The prompts of one locale."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale
        self._strings = strings_for(locale)

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
