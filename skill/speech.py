"""How things are said: money, quantities and dates in words, SSML in and out.

Everything here returns plain text that reads naturally on Alexa and on espeak-ng alike;
``skill.prompts`` escapes it for SSML.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime

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


def say_quantity(quantity: int, name: str) -> str:
    """``2, "coffee pods"`` -> ``"two coffee pods"``; ``1, "dog food"`` -> ``"one dog food"``."""
    return f"{say_count(quantity)} {name}"


_DIGITISH = {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}


def heard(text: str, limit: int = 60) -> str:
    """What the shopper said, fit to be said back: never a run of digits (it may be a PIN),
    never a speech of its own."""
    words = text.split()
    digits = sum(1 for w in words if w.lower() in _DIGITISH or any(c.isdigit() for c in w))
    if digits >= 3:
        return "that"
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


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
