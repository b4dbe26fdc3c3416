"""Labelled utterance sets (tests/data/*.tsv) and how a match is judged against a label.

Format, tab-separated: ``text, context, intent, slots``; context ``-`` or what the skill just
asked (yesno, which, howmany, pin); slots ``-`` or ``Name=value;...`` with ``Item=SKU|SKU``
(any of them), ``Item=?`` (a product the store does not sell: an item slot that resolves to
nothing), ``Quantity=N``, ``Category=name``, ``Ordinal=N``, ``Pin=DDDD``.
"""

from __future__ import annotations

from pathlib import Path

from skill.spoken_numbers import parse_quantity
from voice_local.evaluation import Row, read_rows

DATA = Path(__file__).parent / "data"
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}


def load(name: str) -> list[Row]:
    """The rows of ``tests/data/<name>``."""
    return read_rows(DATA / name)


def _ordinal(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.lower().removesuffix("st").removesuffix("nd").removesuffix("rd") \
        .removesuffix("th") if value[:1].isdigit() else value.lower()
    return _ORDINALS.get(value) or parse_quantity(value)


def problem(matcher, row: Row, match=None) -> str | None:
    """Why ``match`` (of ``row.text``) is wrong for the label, or None when it is right.

    Checks the intent and every labelled slot; ``intent_only`` callers look at the first
    word of the answer ("intent").
    """
    match = match or matcher.match(row.text, expecting=row.context)
    if match.intent != row.intent:
        return f"intent: got {match.intent} {match.slots}"
    for name, expected in row.slots.items():
        heard = match.slots.get(name)
        if name == "Item":
            resolution = matcher.items.resolve(heard) if heard else None
            if expected == "?":
                ok = heard is not None and resolution.status != "match"
            else:
                ok = bool(resolution and resolution.status != "none"
                          and resolution.best.sku in expected.split("|"))
        elif name == "Quantity":
            ok = parse_quantity(heard) == int(expected)
        elif name == "Ordinal":
            ok = _ordinal(heard) == int(expected)
        elif name == "Category":
            ok = heard is not None and heard.rstrip("s") == expected.rstrip("s")
        else:
            ok = heard == expected
        if not ok:
            return f"slots: {name}={expected} expected, got {match.slots}"
    return None
