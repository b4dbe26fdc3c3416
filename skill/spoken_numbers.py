"""Numbers as shoppers say them: quantities ("a couple of") and PINs ("twelve thirty four")."""

from __future__ import annotations

import re

_UNITS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_QUANTITY_WORDS = {"a": 1, "an": 1, "single": 1, "a single": 1, "one": 1, "a pair of": 2,
                   "a couple of": 2, "a couple": 2, "couple of": 2, "pair of": 2, "a few": 3,
                   "a dozen": 12, "dozen": 12, "half a dozen": 6}


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


def words_to_int(text: str) -> int | None:
    """``"twenty three"`` -> 23; up to 999; None if the words are not a number."""
    total = 0
    current = 0
    seen = False
    for word in text.replace(" and ", " ").split():
        if word in _UNITS and word not in ("o", "oh"):
            current += _UNITS[word]
        elif word in _TEENS:
            current += _TEENS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            return None
        seen = True
    total += current
    return total if seen else None
