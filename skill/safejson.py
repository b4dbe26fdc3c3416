"""JSON from outside (request bodies, uploaded catalogs), parsed within limits.

Python's ``json`` recurses once per level of nesting, so a body of a few thousand ``[`` raises
``RecursionError`` (and everything that walks the result afterwards would too). ``loads``
measures the nesting first, without recursion, and refuses anything deeper than
``MAX_DEPTH`` or larger than a caller's byte limit with ``JsonRejected``, whose message is
short and generic: it never repeats the input (which may hold a voice PIN).
"""

from __future__ import annotations

import json
import re

MAX_DEPTH = 64
"""Levels of nesting accepted: an Alexa request is about ten deep, a catalog three."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonRejected(ValueError):
    """The input is not JSON this service accepts; the message is safe to send back."""


def nesting_depth(text: str, *, stop_after: int | None = None) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings aside), without
    recursion; counting stops once it passes ``stop_after``."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonRejected if ``text`` nests deeper than ``max_depth``."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has brackets: the common case, in C speed
    if nesting_depth(text, stop_after=max_depth) > max_depth:
        raise JsonRejected(f"the JSON is nested more than {max_depth} levels deep")


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH,
          max_bytes: int | None = None) -> object:
    """Parse UTF-8 JSON (no byte-order mark: RFC 8259 forbids sending one), or raise
    JsonRejected saying briefly why."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise JsonRejected("the body is too large")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRejected("the body is not valid JSON (not UTF-8)") from None
    check_depth(raw, max_depth)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise JsonRejected("the body is not valid JSON") from None
