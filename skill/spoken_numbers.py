"""Numbers as shoppers say them: quantities ("a couple of") and PINs ("twelve thirty four").

Whole numbers in words ("twenty five", "one hundred and five") are read by text2num, which
also speaks the other languages the skill will need; PINs are read digit group by digit group
here, because "twelve thirty four" is no number text2num knows.
"""

from __future__ import annotations

import re

from text_to_num import text2num

_UNITS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_QUANTITY_WORDS = {"a": 1, "an": 1, "single": 1, "a single": 1, "one": 1, "a pair of": 2,
                   "a couple of": 2, "a couple": 2, "couple of": 2, "pair of": 2, "a pair": 2,
                   "a dozen": 12, "dozen": 12, "half a dozen": 6, "a half dozen": 6,
                   "two dozen": 24, "a single one": 1, "just one": 1}
VAGUE_QUANTITIES = ("a few", "a bunch of", "a lot of", "lots of", "a handful of", "several",
                    "a bunch", "a lot", "lots", "a few of",
                    "plenty of", "loads of", "a load of", "many", "some", "few")
"""Amounts that are no number: the shopper is asked how many."""


def parse_pin(text: str | None) -> str | None:
    """Four digits from how a PIN is spoken, or None if it is not exactly four digits.

    Accepts "1234", "1 2 3 4", "one two three four", "twelve thirty four",
    "one two thirty four", "oh four oh nine".
    """
    if not text:
        return None
    words = re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("-", " ")).split()
    digits = ""
    i = 0
    while i < len(words):
        word = words[i]
        if word.isdigit():
            digits += word
        elif word in _UNITS:
            digits += str(_UNITS[word])
        elif word in _TEENS:
            digits += str(_TEENS[word])
        elif word in _TENS:
            value = _TENS[word]
            if i + 1 < len(words) and words[i + 1] in _UNITS and _UNITS[words[i + 1]] > 0:
                value += _UNITS[words[i + 1]]
                i += 1
            digits += str(value)
        elif word == "hundred" and digits:
            digits += "00"
        else:
            return None
        i += 1
    return digits if len(digits) == 4 else None


def parse_quantity(text: str | None) -> int | None:
    """A whole quantity from a slot value or words ("2", "two", "a couple of"), else None."""
    if text is None:
        return None
    cleaned = " ".join(text.lower().replace("-", " ").split())
    if not cleaned or cleaned == "?":
        return None
    if cleaned.isdigit():
        return int(cleaned)
    if cleaned in _QUANTITY_WORDS:
        return _QUANTITY_WORDS[cleaned]
    return words_to_int(cleaned)


def is_vague_quantity(text: str | None) -> bool:
    """Whether ``text`` is an amount that is no number ("a few", "some")."""
    return text is not None and " ".join(text.lower().split()) in VAGUE_QUANTITIES


def words_to_int(text: str, language: str = "en") -> int | None:
    """``"twenty three"`` -> 23; None if the words are not one number ("one two" is not)."""
    words = text.split()
    if not words or any(w in ("o", "oh") for w in words):
        return None
    try:
        return text2num(" ".join(words), language)
    except ValueError:
        return None
