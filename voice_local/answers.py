"""Strict judging of answers to yes/no questions.

Only clear assent is a yes ("yes", "yeah, order it", "that's right"). Anything hedged
("I think so", "maybe"), negative ("that's wrong") or unrelated ("wait", "what?",
"yeah sure, cookies") is not: negatives become No, the rest Fallback, so the skill asks again.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Literal


@lru_cache(maxsize=1)
def _words() -> dict:
    text = resources.files("voice_local").joinpath("data/answers.json").read_text("utf-8")
    return json.loads(text)


def judge(text: str) -> Literal["yes", "no"] | None:
    """``"yes"`` for clear assent, ``"no"`` for a clear negative, else None."""
    words = _words()
    tokens = text.split()
    if not tokens:
        return None
    if text in words["negative_phrases"] or (
            tokens[0] in words["negative_words"] and len(tokens) <= 4
            and all(t not in ("but", "yes", "yeah") for t in tokens)):
        return "no"
    if any(t in words["negative_words"] for t in tokens):
        return None  # mixed ("yes no", "not sure"): neither
    if tokens[0] in words["assent_starts"] and all(t in words["assent_words"] for t in tokens):
        return "yes"
    if text in ("that's right", "thats right", "that is right", "that is correct",
                "that's correct", "go ahead", "do it", "ok order it", "okay order it",
                "place the order", "confirm", "confirmed", "exactly"):
        return "yes"
    return None
