"""The grammar as a weighted word graph for PocketSphinx, with a garbage path.

JSGF cannot do this: PocketSphinx ignores JSGF weights (measured: ``/1e-30/ help`` was still
heard as "help"), and a loop of common words entered as freely as a request wins on speech that
is in the grammar too. Built directly, the garbage path (any run of common English words,
spelled ``~word``) has a small entry probability: speech outside the domain takes it, and the
turn is rejected instead of being forced onto the nearest command.

Sentences are factored as the JSGF was (what comes before the item or PIN slot, the slot's list
once, what comes after), so the graph stays a few thousand states.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from voice_local.grammar import AFTER, BEFORE, FILLER, ITEM, PIN, Grammar

GARBAGE_TAG = "~"
"""Spelled before the garbage path's words: heard, they reject the turn."""
RISKY_TAG = "+"
"""Spelled before the words of the sentences of risky intents (``grammar.RISKY``): heard, the
recognizer checks them again before acting on them."""
Arc = tuple[int, int, float, "str | None"]
"""(from state, to state, probability, word or None for an empty move)."""


@dataclass(frozen=True)
class Weights:
    """How likely each kind of path is (normalized per turn)."""

    garbage: float = 1e-6
    """Entering the garbage path, against 1 for the grammar."""
    trailing: float = 0.0
    """Garbage after a sentence ("yes, actually no, hold on"), against 1 for the end (only
    when a result is heard again: there, more than the sentence must not have been said)."""
    verify: float = 100.0
    """The garbage path this much likelier for hearing a result again (``recognition``)."""
    garbage_next: float = 0.5
    """Going on to another garbage word."""
    filler: float = 0.1
    """A hesitation ("uh", "um") before the turn."""
    polite: float = 0.2
    """Politeness before or after a request ("could you", "please")."""


@dataclass
class WordGraph:
    """States ``0..states-1``; a turn goes from ``start`` (0) to ``final`` (1)."""

    arcs: list[Arc] = field(default_factory=list)
    states: int = 2
    start: int = 0
    final: int = 1

    def state(self) -> int:
        """A new state."""
        self.states += 1
        return self.states - 1

    def arc(self, source: int, target: int, probability: float, word: str | None = None
            ) -> None:
        """A move that says ``word`` (or nothing)."""
        if probability > 0:
            self.arcs.append((source, target, probability, word))

    def words(self) -> set[str]:
        """Every word on an arc."""
        return {a[3] for a in self.arcs if a[3] is not None}

    def closed(self) -> list[Arc]:
        """The arcs plus a direct empty move for every chain of empty moves (PocketSphinx
        follows one empty move at a time), the likeliest where several chains join."""
        empty: dict[int, list[tuple[int, float]]] = {}
        for source, target, probability, word in self.arcs:
            if word is None:
                empty.setdefault(source, []).append((target, probability))
        added: list[Arc] = []
        for source, direct in empty.items():
            best: dict[int, float] = {}
            stack = [(source, 1.0)]
            while stack:
                state, probability = stack.pop()
                for target, step in empty.get(state, ()):
                    if probability * step > best.get(target, 0.0):
                        best[target] = probability * step
                        stack.append((target, probability * step))
            near = {t for t, _ in direct}
            added += [(source, t, p, None) for t, p in best.items() if t not in near]
        return self.arcs + added

    def phrases(self, source: int, target: int, probability: float,
                phrases: Sequence[Sequence[str]], rules: dict[str, tuple[str, ...]],
                risky: Collection[Sequence[str]] = ()) -> None:
        """Any one of ``phrases`` (words and ``<rule>`` references), equally likely; the
        words of those in ``risky`` tagged."""
        phrases = [p for p in phrases if p]
        for phrase in phrases:
            tag = RISKY_TAG if tuple(phrase) in risky else ""
            here = source
            for position, word in enumerate(phrase):
                there = target if position == len(phrase) - 1 else self.state()
                share = probability / len(phrases) if position == 0 else 1.0
                if word.startswith("<"):
                    self.rule(here, there, share, word[1:-1], rules)
                else:
                    self.arc(here, there, share, tag + word)
                here = there

    def rule(self, source: int, target: int, probability: float, name: str,
             rules: dict[str, tuple[str, ...]]) -> None:
        """One phrase of rule ``name`` (a PIN: four digits)."""
        if name == PIN:
            self.phrases(source, target, probability, [["<digit>"] * 4], rules)
            return
        self.phrases(source, target, probability, [p.split() for p in rules.get(name, ())],
                     rules)


def build(grammar: Grammar, garbage: Sequence[str] = (), weights: Weights | None = None
          ) -> WordGraph:
    """The graph of one turn: an optional hesitation, then a request (politeness around it),
    an answer, a PIN sentence, or (with ``garbage``: words as the dictionary spells them) a
    run of common words, which rejects the turn."""
    weights = weights or Weights()
    rules = grammar.rules
    graph = WordGraph()
    begin = graph.state()
    fillers = [[f] for f in rules.get(FILLER, ())]
    if fillers:
        graph.phrases(graph.start, begin, weights.filler, fillers, rules)
    graph.arc(graph.start, begin, 1.0 - weights.filler if fillers else 1.0)
    plain: list[tuple[str, ...]] = []
    around: dict[str, tuple[dict, dict]] = {ITEM: ({}, {}), PIN: ({}, {})}
    risky = set(grammar.risky)
    for sentence in grammar.sentences:
        anchor = next((r for r in (ITEM, PIN) if sentence.count(f"<{r}>") == 1), None)
        if anchor is None or (anchor == ITEM and not rules.get(ITEM)):
            plain.append(sentence)
            continue
        at = sentence.index(f"<{anchor}>")
        around[anchor][0][sentence[:at]] = None
        around[anchor][1][sentence[at + 1:]] = None
        if sentence in grammar.risky:  # a part shared with a safe sentence is checked too
            risky.update((sentence[:at], sentence[at + 1:]))
    groups = [len(plain), len(around[ITEM][0]), len(grammar.answers), len(around[PIN][0])]
    # Requests, answers and PINs equally likely, however many sentences each has (by count,
    # a thousand answers drowned the PIN: "one two three four" was heard as "what").
    kinds = [groups[0] + groups[1], groups[2], groups[3]]
    total = sum(1 for k in kinds if k) * (1.0 + weights.garbage)
    # Requests, politeness around them.
    inner, outer = graph.state(), graph.state()
    requests = bool(kinds[0]) / total
    graph.arc(begin, inner, requests * (1.0 - weights.polite))
    graph.phrases(begin, inner, requests * weights.polite, [[f"<{BEFORE}>"]], rules)
    graph.phrases(inner, outer, groups[0] / max(1, groups[0] + groups[1]), plain, rules, risky)
    end = graph.state()
    graph.arc(outer, end, 1.0 - weights.polite)
    graph.phrases(outer, end, weights.polite, [[f"<{AFTER}>"]], rules)
    graph.arc(end, graph.final, 1.0)
    for anchor, source, target, share in [
            (ITEM, inner, outer, groups[1] / max(1, groups[0] + groups[1])),
            (PIN, begin, graph.final, bool(kinds[2]) / total)]:
        before, after = around[anchor]
        if not before:
            continue
        entry, leave = graph.state(), graph.state()
        _with_empty(graph, source, entry, share, list(before), rules, risky)
        graph.rule(entry, leave, 1.0, anchor, rules)
        _with_empty(graph, leave, target, 1.0, list(after), rules, risky)
    graph.phrases(begin, graph.final, bool(kinds[1]) / total, grammar.answers, rules, risky)
    if garbage:
        # Garbage before a turn, or after it ("yes, actually no, hold on"): rejected.
        loop, done = graph.state(), graph.state()
        each = 1.0 / len(garbage)
        entry = weights.garbage / (1.0 + weights.garbage)
        trailing = weights.trailing / (1.0 + weights.trailing)
        for word in garbage:
            graph.arc(graph.start, loop, entry * each, word)
            graph.arc(graph.final, loop, trailing * each, word)
            graph.arc(loop, loop, weights.garbage_next * each, word)
        graph.arc(loop, done, 1.0 - weights.garbage_next)
        graph.arc(graph.final, done, 1.0 - trailing)
        graph.final = done
    return graph


def _with_empty(graph: WordGraph, source: int, target: int, probability: float,
                phrases: list[tuple[str, ...]], rules: dict[str, tuple[str, ...]],
                risky: Collection[Sequence[str]] = ()) -> None:
    """Any of ``phrases``, the empty one an empty move."""
    said = [p for p in phrases if p]
    empty = len(phrases) - len(said)
    if empty:
        graph.arc(source, target, probability * empty / len(phrases))
    graph.phrases(source, target, probability * len(said) / len(phrases), said, rules, risky)
