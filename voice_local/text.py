"""What shoppers type or a recognizer hears, as plain lowercase words.

Contractions are expanded ("what's" -> "what is", "pin's" -> "pin is", "didn't" -> "did not"),
informal spellings mapped ("gonna", "pls"), possessives dropped ("the dog's food" -> "the dog
food"), and punctuation removed, so that templates and utterances meet in one form.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

_ENDINGS = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"),
            ("'d", " would"), ("'m", " am"))


@lru_cache(maxsize=1)
def word_lists() -> dict:
    """``voice_local/data/words.json``."""
    return json.loads(resources.files("voice_local").joinpath("data/words.json")
                      .read_text("utf-8"))


def _expand(word: str) -> str:
    lists = word_lists()
    if word in lists["informal"]:
        return lists["informal"][word]
    if len(word) >= 4 and not is_english_word(word):
        if word.endswith("ah") and is_english_word(word[:-2] + "er"):
            return word[:-2] + "er"  # "littah", "ordah"
    if word.endswith("'s"):
        base = word[:-2]
        return f"{base} is" if base in lists["is_after"] else base
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):
            return word[: -len(ending)] + replacement
    return word


_CUT_OFF = re.compile(r"\b([a-z]+)-(?=\s|$)")
"""A word broken off ("wh- what is in my cart", "i need- i need"): never part of the request."""
_RESTART = re.compile(r"\b((?:[a-z]{1,3}-)+)([a-z]+)")
"""A stammered start ("y-yes", "s-s-sonicare", "re-re-reorder"), unlike a hyphenated word
("k-cups")."""


_DROPPED_G = re.compile(r"\b(\w{2,})in'(?=\s|$|[,.!?])")
"""A dropped g ("comin'", "fixin'")."""


def _restarted(match: re.Match) -> str:
    starts, word = match.group(1).split("-")[:-1], match.group(2)
    return word if all(word.startswith(start) and len(word) > len(start)
                       for start in starts) else match.group(0)


def normalize(text: str) -> str:
    """Lowercase words: punctuation dropped, hyphens to spaces, contractions expanded, words
    broken off and stammered starts dropped."""
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("‘", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))  # "sí" -> "si"
    text = _DROPPED_G.sub(r"\1ing", text)  # "comin'" -> "coming"
    text = _CUT_OFF.sub(" ", _RESTART.sub(_restarted, text)).replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    words = [w.strip("'") if w not in ("'em",) else w for w in text.split()]
    spelled = " ".join(_expand(w) for w in words if w)
    lists = word_lists()
    for phrase, replacement in lists["informal"].items():  # the few multi-word entries
        if " " in phrase and phrase in spelled:
            spelled = re.sub(rf"\b{re.escape(phrase)}\b", replacement, spelled)
    return " ".join(spelled.split())


def mend_homophones(text: str) -> str:
    """A request whose first word a recognizer heard as its homophone ("by paper towels");
    not for answers ("by all means")."""
    first, _, rest = text.partition(" ")
    mended = word_lists()["first_word"].get(first)
    return f"{mended} {rest}" if mended and rest else text


def _strip(text: str, phrases: list[str]) -> str:
    ordered = sorted(phrases, key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for phrase in ordered:
            if text.startswith(phrase + " "):
                text, changed = text[len(phrase) + 1:], True
            if text.endswith(" " + phrase):
                text, changed = text[: -len(phrase) - 1], True
    return text


def strip_fillers(text: str) -> str:
    """Hesitation and politeness around the request ("um could you please ... for me")."""
    lists = word_lists()
    return _strip(text, [*lists["hesitations"], *lists["politeness"]])


def drop_hesitations(text: str) -> str:
    """Hesitations anywhere ("add the uh coffee pods"), and a word said twice in a row
    ("add the the coffee pods")."""
    hesitations = {h for h in word_lists()["hesitations"] if " " not in h and h not in (
        "like", "well", "so", "oh")}
    words: list[str] = []
    for word in text.split():
        if word in hesitations or (words and words[-1] == word and word not in (
                "no", "yes", "very", "bye")):
            continue
        words.append(word)
    return " ".join(_without_restarts(words))


def _without_restarts(words: list[str]) -> list[str]:
    """Words said again after a restart ("what can i can i do" -> "what can i do"); never
    numbers, which a PIN or a quantity may repeat ("two five two five")."""
    for size in (3, 2):
        i = 0
        while i + 2 * size <= len(words):
            said = words[i:i + size]
            if said == words[i + size:i + 2 * size] and not any(
                    w.isdigit() or w in _NUMBER_WORDS for w in said):
                del words[i + size:i + 2 * size]
            else:
                i += 1
    return words


_NUMBER_WORDS = frozenset(
    "zero oh o one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
    "seventy eighty ninety hundred dozen".split())


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """The words of the CMU pronouncing dictionary that PocketSphinx carries (126,000)."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            return frozenset(line.split(" ", 1)[0].split("(")[0] for line in lines)
    except OSError:
        return frozenset()


def is_english_word(word: str) -> bool:
    """Whether ``word`` is an English word (so no misspelling to mend)."""
    return word in _english_words()


_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:!?]|\.{2,}|\s-\s|(?<=\w)\.(?=\s))\s*")


def clauses_of(text: str) -> list[str]:
    """The clauses of typed text, as typed ("yes, go ahead" -> "yes", "go ahead")."""
    return [p for p in _CLAUSE_BREAK.split(text) if p.strip()]


def without_vocatives(text: str) -> str:
    """Typed text without a clause that only names who is spoken to ("what's in the trolley
    at the minute, pet?" -> "what's in the trolley at the minute")."""
    parts = clauses_of(text)
    vocatives = set(word_lists()["vocatives"])
    kept = [p for p in parts if normalize(p) not in vocatives]
    return ", ".join(kept) if kept and len(kept) < len(parts) else text


_FAVOUR_ASKED = re.compile(
    r"^\W*(?:(?:would|could|can|will) (?:you|ya|u) )?(?:please )?"
    r"(?:be (?:a|an) [\w']+(?: [\w']+)? (?:and|n)|do (?:me|us) a (?:[\w']+ )?favou?r(?: and)?"
    r"|(?:i )?(?:was |am )?wonder(?:ing)? (?:if|whether) (?:you )?(?:might|could|would|can)"
    r"(?: possibly)?(?: be so kind as to)?|be so kind as to)"
    r"\b[\s,]*", re.IGNORECASE)
"""A favour asked before the request ("be a dear and read my list", "do me a favour and
add...", "I wonder if you might be so kind as to..."): a way of asking, never a request."""


def without_favour_asked(text: str) -> str:
    """Typed text without a favour asked before the request ("be a love and ...")."""
    rest = _FAVOUR_ASKED.sub("", text, count=1)
    return rest if rest.strip() else text


def request_after_story(text: str) -> tuple[str, str] | None:
    """(story, request) when a request follows a story ("my husband already picked up
    shampoo, so take it out of the cart"), else None."""
    words = normalize(text).split()
    starts = set(word_lists()["request_starts"]) | {"could", "can", "please", "order",
                                                     "buy", "get", "never", "just", "put"}
    for i in range(len(words) - 2, 1, -1):
        for join in word_lists()["request_after"]:
            size = len(join.split())
            if words[i:i + size] == join.split() and i + size < len(words) and \
                    words[i + size] in starts:
                return " ".join(words[:i]), " ".join(words[i + size:])
    return None


def clauses(text: str) -> list[str]:
    """The runs of clauses of a typed request, longest first, without the whole
    ("checkout please, i'm on my break" -> "checkout please", "i'm on my break")."""
    parts = clauses_of(text)
    runs = [" ".join(parts[start:start + size]) for size in range(len(parts) - 1, 0, -1)
            for start in range(len(parts) - size + 1)]
    return runs


def first_request(text: str) -> str | None:
    """The first of two requests joined in one breath ("buy a box of cookies and tell me
    when my last order comes"), or None when ``text`` is one request. A list of items
    ("coffee pods and paper towels") is one request."""
    words = normalize(text).split()
    joins = word_lists()["request_joins"]
    starts = set(word_lists()["request_starts"])
    for i in range(2, len(words)):
        for join in joins:
            size = len(join.split())
            if words[i:i + size] == join.split() and i + size < len(words) and (
                    join != "and" or words[i + size] in starts):
                return " ".join(words[:i])
    return None
