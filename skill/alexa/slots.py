"""Reading slots: entity resolution when Alexa did it, the catalog's fuzzy match otherwise."""

from __future__ import annotations

import re

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model.slu.entityresolution import StatusCode
from sqlalchemy.orm import Session

from skill.alexa.listening import note_item
from skill.catalog import find_item
from skill.resolution import Candidate, Resolution, only_close
from skill.runtime import Runtime
from skill.spoken_numbers import parse_pin, parse_quantity


def slot_value(handler_input: HandlerInput, name: str) -> str | None:
    """The raw heard value of slot ``name``, or None when it is empty or missing."""
    try:
        slot = get_slot(handler_input, name)
    except (TypeError, AttributeError):
        return None
    value = slot.value if slot is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def resolve_item(handler_input: HandlerInput, runtime: Runtime, session: Session,
                 name: str = "Item") -> Resolution | None:
    """The item slot as a Resolution, or None when the shopper named no item.

    Alexa's entity resolution wins when it matched catalog ids that still exist (several
    matches mean "ambiguous"); raw text falls back to the catalog's fuzzy resolution.
    """
    heard = slot_value(handler_input, name)
    if heard is None:
        return None
    candidates: list[Candidate] = []
    for wrapper in _resolved(handler_input, name):
        item = find_item(session, wrapper.value.id or "")
        if item is not None and item.sku not in {c.sku for c in candidates}:
            candidates.append(Candidate(item.sku, item.name, 100.0, wrapper.value.name))
    if len(candidates) == 1:
        return Resolution(heard, "match", tuple(candidates))
    if len(candidates) > 1:
        return Resolution(heard, "ambiguous", tuple(candidates))
    resolution = runtime.resolver.resolve(session, heard)
    note_item(handler_input, resolution, session)  # the merchant sees what was not found
    return resolution


def _resolved(handler_input: HandlerInput, name: str) -> list:
    """Alexa's entity-resolution matches for slot ``name`` (empty when it matched none)."""
    slot = get_slot(handler_input, name)
    authorities = getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None)
    if not authorities:
        return []
    authority = authorities[0]
    code = getattr(getattr(authority, "status", None), "code", None)
    return list(authority.values or []) if code == StatusCode.ER_SUCCESS_MATCH else []


def item_list(handler_input: HandlerInput, name: str = "Item") -> list[tuple[str, int | None]]:
    """Several items in one request ("coffee pods and two paper towels"): each part's words
    and the quantity said before it; one part when only one item was named."""
    heard = slot_value(handler_input, name)
    if heard is None:
        return []
    parts = [p.strip() for p in re.split(r"\s*,\s*|\s+(?:and|plus|as well as|also)\s+",
                                           heard) if p.strip()]
    listed = []
    for part in parts:
        words = part.split()
        for cut in range(min(3, len(words) - 1), 0, -1):
            quantity = parse_quantity(" ".join(words[:cut]))
            if quantity is not None and quantity > 0 and words[0] not in ("a", "an"):
                listed.append((" ".join(words[cut:]), quantity))
                break
        else:
            listed.append((part, None))
    return listed


def choices_of(resolution: Resolution) -> list[Candidate]:
    """The items to offer when a resolution is ambiguous (at most three)."""
    close = only_close(resolution) if resolution.candidates[0].score < 100 else tuple(
        c for c in resolution.candidates if c.score == 100)
    return list(close[:3])


def quantity_slot(handler_input: HandlerInput, name: str = "Quantity") -> int | None:
    """The quantity said, None if none was said; raises ValueError for nonsense ("?", 0)."""
    heard = slot_value(handler_input, name)
    if heard is None:
        return None
    quantity = parse_quantity(heard)
    if quantity is None or quantity < 1:
        raise ValueError(f"not a quantity: {heard!r}")
    return quantity


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
             "latter": -1, "former": 1, "top": 1, "bottom": -1}


def ordinal_slot(handler_input: HandlerInput, name: str = "Ordinal") -> int | None:
    """1 for "first" (or Alexa's "1st"), -1 for "last"; None when none was said."""
    heard = slot_value(handler_input, name)
    if heard is None:
        return None
    word = heard.lower().strip()
    if word in _ORDINALS:
        return _ORDINALS[word]
    digits = word.rstrip("stndrh")
    number = parse_quantity(digits)
    return number if number is not None and 0 < number < 20 else None


def category_slot(handler_input: HandlerInput, name: str = "Category") -> str | None:
    """The category said (as Alexa resolved it, else as heard), or None."""
    heard = slot_value(handler_input, name)
    if heard is None:
        return None
    values = _resolved(handler_input, name)
    return (values[0].value.id or values[0].value.name) if values else heard


def pin_slot(handler_input: HandlerInput, name: str = "Pin") -> str | None:
    """Four digits if the slot holds exactly a four-digit PIN, else None. Never logged."""
    return parse_pin(slot_value(handler_input, name))
