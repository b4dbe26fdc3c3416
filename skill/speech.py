"""How things are said: money, quantities and dates in words, SSML in and out.

Everything here returns plain text that reads naturally on Alexa and on espeak-ng alike;
``skill.prompts`` escapes it for SSML.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from typing import Protocol

from skill import money

_CURRENCY_WORDS = {
    "USD": ("dollar", "dollars", "cent", "cents"),
    "CAD": ("dollar", "dollars", "cent", "cents"),
    "AUD": ("dollar", "dollars", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "GBP": ("pound", "pounds", "penny", "pence"),
}
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def say_money(minor: int, currency: str) -> str:
    """``1549`` USD -> ``"15 dollars and 49 cents"``; ``1500`` -> ``"15 dollars"``."""
    words = _CURRENCY_WORDS.get(currency)
    places = money.exponent(currency)
    if words is None or places != 2:
        return f"{money.format_amount(minor, currency)} {currency}"
    major, cents = divmod(minor, 100)
    one, many, cent_one, cent_many = words
    parts = []
    if major or not cents:
        parts.append(f"{major} {one if major == 1 else many}")
    if cents:
        parts.append(f"{cents} {cent_one if cents == 1 else cent_many}")
    return " and ".join(parts)


def say_count(number: int) -> str:
    """Small counts as words ("two"), larger ones as digits."""
    return _ONES[number] if 0 <= number <= 10 else str(number)


class Countable(Protocol):
    """Anything said with a quantity: a catalog item, a cart entry, a quote or order line."""

    name: str
    unit: str | None
    unit_plural: str | None


def say_quantity(quantity: int, name: str, unit: str | None = None,
                 unit_plural: str | None = None) -> str:
    """A quantity of an item, said the way a person would.

    With a unit, the unit is counted: ``1, "paper towels", "pack"`` -> ``"one pack of paper
    towels"``; ``2, "coffee pods", "box", "boxes"`` -> ``"two boxes of coffee pods"`` (without
    ``unit_plural``, the regular plural of ``unit``, see ``plural``).

    Without a unit, the name is counted:

    - a name that is already plural (``looks_plural``): one is the name alone (``"coffee
      pods"``, never "one coffee pods"), more are counted (``"two coffee pods"``);
    - a singular name: one is ``"one dollhouse"``; more pluralize its last word (``"two
      dollhouses"``, ``"two building blocks sets"``, ``"two red wines"``): a merchant who
      wants "two bottles of red wine" gives the item a unit.

    Zero is counted as more than one (``"zero packs of paper towels"``). The name is said as
    written; counts up to ten are words, larger ones digits (``say_count``).
    """
    count = say_count(quantity)
    if unit:
        return f"{count} {unit if quantity == 1 else unit_plural or plural(unit)} of {name}"
    if looks_plural(name):
        return name if quantity == 1 else f"{count} {name}"
    return f"{count} {name}" if quantity == 1 else f"{count} {plural(name)}"


def say_item_quantity(quantity: int, item: Countable) -> str:
    """``say_quantity`` with the name and unit of ``item`` (a ``CatalogItem``, ``CartEntry``,
    ``QuoteLine`` or ``OrderLine``; an object without unit attributes is said without one)."""
    return say_quantity(quantity, item.name, getattr(item, "unit", None),
                        getattr(item, "unit_plural", None))


_IRREGULAR_PLURALS = {
    "child": "children", "foot": "feet", "goose": "geese", "half": "halves",
    "knife": "knives", "leaf": "leaves", "loaf": "loaves", "man": "men", "mouse": "mice",
    "person": "people", "potato": "potatoes", "shelf": "shelves", "tomato": "tomatoes",
    "tooth": "teeth", "wife": "wives", "woman": "women",
}
_SAME_IN_PLURAL = {"aircraft", "deer", "fish", "series", "sheep", "species"}
_SINGULAR_IN_S = {"bus", "gas", "lens", "news", "plus", "atlas", "canvas", "chaos", "bias"}
"""Words ending in "s" that are not plurals ("glass", "hummus", "tennis" follow the rules)."""


def plural(phrase: str) -> str:
    """The plural of a noun phrase, made on its last word by the regular English rules:
    ``"box"`` -> ``"boxes"``, ``"battery"`` -> ``"batteries"``, ``"bag"`` -> ``"bags"``,
    ``"building blocks set"`` -> ``"building blocks sets"``, plus a few irregular words
    (``"loaf"`` -> ``"loaves"``). A phrase that already looks plural is returned as it is."""
    head, _, last = phrase.rpartition(" ")
    lower = last.lower()
    if not lower or looks_plural(lower) or lower in _SAME_IN_PLURAL:
        return phrase
    if lower in _IRREGULAR_PLURALS:
        word = _IRREGULAR_PLURALS[lower]
        word = word.capitalize() if last[:1].isupper() else word
    elif last.isupper() and len(last) > 1:
        word = last + "s"  # "TV" -> "TVs"
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        word = last + "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("", *"aeiou"):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def looks_plural(phrase: str) -> bool:
    """Whether a noun phrase's last word is a plural: ``"coffee pods"``, ``"batteries"``,
    ``"children"``; not ``"dish soap"``, ``"glass"``, ``"hummus"``, ``"tennis"``, ``"gas"``."""
    last = phrase.rpartition(" ")[2].lower().strip(".,!?")
    if last in _IRREGULAR_PLURALS.values():
        return True
    if len(last) < 3 or not last.endswith("s") or last in _SINGULAR_IN_S:
        return False
    return not last.endswith(("ss", "us", "is"))


_DIGITISH = {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}


def heard(text: str, limit: int = 60) -> str:
    """What the shopper said, fit to be said back: never a run of digits (it may be a PIN),
    never a speech of its own."""
    if may_be_pin(text):
        return "that"
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def may_be_pin(text: str) -> bool:
    """Whether ``text`` holds three or more digits, as numerals or words (it may be a PIN)."""
    digits = sum(1 for w in text.split() if w.lower() in _DIGITISH)
    return digits + sum(c.isdigit() for c in text) >= 3


def say_price_of(item: Countable, price: str) -> str:
    """What one of an item costs, said naturally: "A box of coffee pods is 15 dollars and 49
    cents", "Dish soap is 3 dollars and 99 cents", "Coffee pods are ..." (no unit)."""
    if getattr(item, "unit", None):
        unit = item.unit  # type: ignore[union-attr]
        article = "An" if unit[:1].lower() in "aeiou" else "A"
        return f"{article} {unit} of {item.name} is {price}"
    verb = "are" if looks_plural(item.name) else "is"
    return f"{item.name[:1].upper()}{item.name[1:]} {verb} {price}"


def say_list(parts: list[str], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def say_date(day: date, today: date) -> str:
    """``"today"``, ``"tomorrow"`` or ``"Wednesday, November 25"``."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"{day:%A}, {day:%B} {day.day}"


def say_day(day: date, today: date) -> str:
    """The short form for a restatement: ``"tomorrow"``, ``"Wednesday"`` within the week,
    else as ``say_date``."""
    if 1 < (day - today).days < 7:
        return f"{day:%A}"
    return say_date(day, today)


def say_price(minor: int, currency: str) -> str:
    """An amount as said in a quick restatement: ``"38 dollars 53"``, ``"15 dollars"``."""
    words = _CURRENCY_WORDS.get(currency)
    if words is None or money.exponent(currency) != 2:
        return say_money(minor, currency)
    major, cents = divmod(minor, 100)
    if not major:
        return say_money(minor, currency)
    unit = words[0] if major == 1 else words[1]
    return f"{major} {unit} {cents:02d}" if cents else f"{major} {unit}"


def escape(text: str) -> str:
    """Text made safe to put inside SSML."""
    return html.escape(text, quote=False)


_BREAK = re.compile(r"<break\b[^>]*/?>", re.I)
_SUB = re.compile(r"<sub\b[^>]*\balias\s*=\s*(['\"])(.*?)\1[^>]*>.*?</sub>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def ssml_to_text(ssml: str) -> str:
    """SSML as plain text for engines that do not read SSML (pyttsx3 with espeak-ng).

    ``<sub alias>`` keeps its alias, ``<say-as>`` and other tags keep their words, a
    ``<break>`` becomes a pause (a comma-like stop).
    """
    text = _SUB.sub(lambda m: m.group(2), ssml)
    text = _BREAK.sub(", ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*,\s*(,\s*)+", ", ", text)
    text = re.sub(r"([.?!])\s*,", r"\1", text)
    return text.strip(" ,")


def say_duration(minutes: int) -> str:
    """``30`` -> ``"30 minutes"``, ``60`` -> ``"1 hour"``, ``90`` -> ``"90 minutes"``."""
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def say_ago(then: datetime, now: datetime) -> str:
    """``"just now"``, ``"5 minutes ago"``, ``"yesterday"``, ``"3 days ago"``."""
    seconds = (now - then).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 3600:
        return f"{round(seconds / 60)} minutes ago"
    if seconds < 2 * 3600:
        return "an hour ago"
    if then.date() == now.date():
        return f"{int(seconds // 3600)} hours ago"
    days = (now.date() - then.date()).days
    return "yesterday" if days == 1 else f"{days} days ago"
