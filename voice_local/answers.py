"""Strict judging of answers to yes/no questions.

A yes is clear assent and nothing else: an assent word or phrase ("yes", "sounds good", "go
ahead and order it"), every other word one that can stand beside it ("please", "thanks").
A refusal ("no", "absolutely not", "nah I'm good", "don't do that") is a no. An answer that
mixes them ("yes no", "yes cancel it"), hedges ("I guess", "maybe later") or says anything
else ("yeah sure cookies", "what?") is never a yes: an answer that names cancelling or
stopping is a no, the rest neither, and the skill asks again.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Literal


@lru_cache(maxsize=1)
def _words() -> dict:
    text = resources.files("voice_local").joinpath("data/answers.json").read_text("utf-8")
    data = json.loads(text)
    return {key: value if key.startswith("_") or isinstance(value, dict) or key in (
        "frame_patterns",) else frozenset(value) for key, value in data.items()}


def asks_back(text: str) -> bool:
    """Whether normalized ``text`` is a question back ("is it a good deal", "would you
    order it"), not an answer; "why not" and "will do" are answers."""
    words = _words()
    tokens = text.split()
    if not tokens:
        return False
    asks = tokens[0] in words["question_starts"] or (
        len(tokens) > 1 and tokens[1] in words["question_pairs"].get(tokens[0], ())) or (
        tokens[0] in words["wh_questions"] and len(tokens) > 1 and
        tokens[1] in words["auxiliaries"])
    return asks and not any(f"{text} ".startswith(f"{phrase} ") for phrase in words["assent"])


def is_hedged(text: str) -> bool:
    """Whether normalized ``text`` hedges ("maybe", "as long as it is free")."""
    words = _words()
    return any(t in words["hedges"] for t in text.split()) or _has_phrase(
        text, words["hedge_phrases"])


def thinking() -> frozenset[str]:
    """Clauses that only think aloud before the answer ("hmm...", "let me think...")."""
    return _words()["thinking"]


def cancelling_words() -> frozenset[str]:
    """Words that cancel or stop ("abort", "never"...): an answer naming them is no yes."""
    return _words()["cancelling"] | {"never"}


def answer_words() -> frozenset[str]:
    """Every word of assent or refusal: an answer using one is about the question."""
    words = _words()
    return frozenset(w for key in ("assent", "negative", "strong_assent") for phrase in
                     words[key] for w in phrase.split())


def assent_words() -> frozenset[str]:
    """The words that carry assent ("yes", "sure", "ahead"), not the words around them."""
    words = _words()
    return frozenset(w for phrase in words["assent"] | words["strong_assent"]
                     for w in phrase.split()) - words["function_words"] - words["negative"] \
        - words["refusal_words"] | words["strong_assent"]


def function_words() -> frozenset[str]:
    """Common English function words ("the", "might", "be")."""
    return _words()["function_words"]


def hedges() -> frozenset[str]:
    """Words that make an answer uncertain ("maybe", "guess", "later")."""
    return _words()["hedges"]


def _has_phrase(text: str, phrases: frozenset[str]) -> bool:
    padded = f" {text} "
    return any(f" {p} " in padded for p in phrases)


def judge(text: str) -> Literal["yes", "no"] | None:
    """``"yes"`` for clear assent, ``"no"`` for a clear refusal, else None.

    ``text`` is normalized (``voice_local.text.normalize``): lowercase, contractions expanded.
    """
    words = _words()
    text = " ".join(_shortened(t, words) for t in text.split())  # "yasss", "noooo"
    first, _, rest = text.partition(" ")
    text = f"{words['first_word'].get(first, first)} {rest}".strip()  # "know thanks"
    text = _unframed(text, words)
    tokens = text.split()
    if not tokens or _has_phrase(text, words["unsure_idioms"]):
        return None
    if asks_back(text):
        return None  # "is it a good deal?": a question back, whatever words it holds
    if _has_phrase(text, words["refusal_idioms"]) and not any(
            t in words["strong_assent"] for t in tokens):
        return "no"
    negative = any(t in words["negative"] for t in tokens) or _has_phrase(
        text, words["negative_phrases"])
    if _has_phrase(text, words["agreeing_negations"]):
        negative = False  # "no doubt about it", "that is not false"
    # "not correct", "not quite right": the assent word is the thing refused.
    negated = set() if not negative else {
        i + k for i, t in enumerate(tokens) if t in words["negated_by"] for k in (1, 2)}
    tokens_assenting = [t for i, t in enumerate(tokens) if i not in negated]
    assent = any(t in words["assent"] for t in tokens_assenting) or (
        _has_phrase(text, words["assent"]) and len(negated) == 0)
    hedges = {t for t in tokens if t in words["hedges"]}
    if _has_phrase(text, words["hedge_phrases"]):
        hedges.add("later")  # "let me confirm and tell you": not an answer yet
    if hedges <= {"think", "believe"} and _has_phrase(text, words["truth_words"]):
        hedges = set()  # "i believe that is true" is assent; "i think so" is not
    hedged = bool(hedges)
    if negative:
        cancelling = any(t in words["cancelling"] for t in tokens) or _has_phrase(
            text, frozenset({"never mind"}))
        if cancelling:
            # "yes cancel it", "no stop" are a no; a bare "stop" is the built-in intent's.
            return None if len(tokens) == 1 and text != "cancel" else "no"
        if _has_phrase(text, words["purchase_refusals"]):
            return "no"  # "yeah don't order it"
        if any(t in words["unsure_words"] for t in tokens):
            return None  # "i have no idea", "i am not able to say": unsure, ask again
        if hedged or any(t in words["strong_assent"] for t in tokens_assenting):
            return None  # "maybe not", "yes no", "yeah but not now": ask again
        if all(t in words["refusal_words"] or t in words["negative"] or (
                t in words["function_words"] and t not in words["strong_assent"])
               for t in tokens):
            return "no"
        if (tokens[0] in words["leading_refusals"] or any(
                t in words["strong_refusals"] for t in tokens)) and not any(
                t in words["strong_assent"] or t in words["assent"] for t in tokens):
            return "no"  # "no, it is too much money", "mum says no, so no"
        return None
    if not assent or hedged:
        return None
    if text in words["weak_alone"]:
        return None  # a bare "okay" is acknowledgement, not consent
    allowed = words["beside_assent"] | words["assent"] | words["function_words"]
    if all(t in allowed for t in tokens) or _only_phrases(text, words):
        return "yes"
    return None


def _unframed(text: str, words: dict) -> str:
    """The answer without its frame ("my answer is yes" -> "yes")."""
    for pattern in words["frame_patterns"]:
        unframed = re.sub(pattern, " ", text)
        if unframed.strip():
            text = unframed
    padded = f" {' '.join(words['rewrites'].get(t, t) for t in _idioms(text, words))} "
    for frame in sorted(words["frames"], key=len, reverse=True):
        stripped = padded.replace(f" {frame} ", " ")
        if stripped.strip():
            padded = stripped
    return " ".join(padded.split())


def _shortened(token: str, words: dict) -> str:
    """A word said long ("yasss", "noooo", "pleeease") as it is written, when that is a word
    of the lists."""
    if not re.search(r"(\w)\1\1", token):
        return token
    once = re.sub(r"(\w)\1+", r"\1", token)
    twice = re.sub(r"(\w)\1+", r"\1\1", token)
    known = words["assent"] | words["negative"] | words["beside_assent"] | words["function_words"]
    return next((t for t in (twice, once) if t in known), once)


def _idioms(text: str, words: dict) -> list[str]:
    """The words, each regional idiom of ``rewrites`` ("yeah nah") as one token."""
    padded = f" {text} "
    for idiom in words["rewrites"]:
        padded = padded.replace(f" {idiom} ", f" {idiom.replace(' ', '_')} ")
    return [t.replace("_", " ") for t in padded.split()]


def _only_phrases(text: str, words: dict) -> bool:
    """Whether the text is made only of assent phrases and words allowed beside them."""
    rest = f" {text} "
    for phrase in sorted(words["assent"], key=len, reverse=True):
        rest = rest.replace(f" {phrase} ", " ")
    return all(t in words["beside_assent"] or t in words["function_words"]
               for t in rest.split())
