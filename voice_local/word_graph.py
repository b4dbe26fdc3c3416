"""The grammar as a word graph for PocketSphinx: one finite-state grammar per kind of open
question, built directly (not through JSGF) so that it stays small and its probabilities are
the ones chosen here.

The model's samples (thousands of them) are merged into a minimal word graph: sentences share
their beginnings and their endings, so "reorder", "the" or "to my cart" are one state each and
the catalog's item list is copied only where the graph needs it. Each sentence of a group is
equally likely; the groups (requests, answers, the samples that answer the open question, the
garbage path) are weighted (``Weights``). A PIN is four digits with optional hesitation
between them; the garbage path is a loop of common English words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from voice_local.grammar import (
    AFTER,
    BEFORE,
    DIGIT,
    FILLER,
    FOCUS,
    ITEM,
    PIN,
    RISKY,
    Alt,
    Grammar,
    Part,
)

DIGITS = "digits"
"""Any number of digits: while a PIN is asked for, three or five digits have a path of their
own (and are no PIN) instead of being forced into four."""
RISKY_TAG = "+"
"""Spelled before the words of a risky intent's paths."""
Arc = tuple[int, int, float, "str | None"]
"""(from state, to state, probability, word or None for an empty move)."""


@dataclass(frozen=True)
class Weights:
    """Prior weights of a turn's paths, by what is expected (normalized per turn)."""

    requests: float = 1.0
    answers: float = 1.0
    focus: float = 1.0
    """The samples of the intents that answer the open question (``FOCUS``)."""
    garbage: float = 1e-3
    """Off-domain speech: any run of common English words (entering that path)."""
    garbage_next: float = 0.5
    """Going on to another garbage word."""
    verify: float = 1000.0
    """A yes, a PIN or a purchase is heard again with the garbage path this much likelier
    (0: not heard again)."""
    filler: float = 0.1
    """An optional hesitation ("uh", "um") at a turn's start or end, or between PIN digits."""
    optional: float = 0.5
    """Leaving out an optional part of a phrasing ("[please]")."""
    polite: float = 0.2
    """Politeness before or after a sample ("could you", "please"); templates have their
    own."""


DEFAULT_WEIGHTS: dict[str | None, Weights] = {
    None: Weights(),
    "yesno": Weights(),
    "which": Weights(),
    "howmany": Weights(),
    "pin": Weights(),
}
"""The weights of each kind of open question (measured on tests/data/dev.tsv)."""


@dataclass
class WordGraph:
    """States ``0..states-1``; a turn goes from ``start`` to ``final``."""

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
        """The arcs plus a direct empty move for every chain of empty moves (PocketSphinx's
        search follows one empty move at a time), the likeliest chain where several join."""
        empty: dict[int, list[tuple[int, float]]] = {}
        for source, target, probability, word in self.arcs:
            if word is None:
                empty.setdefault(source, []).append((target, probability))
        added: list[Arc] = []
        for source in empty:
            best: dict[int, float] = {}
            stack = [(source, 1.0)]
            while stack:
                state, probability = stack.pop()
                for target, step in empty.get(state, ()):
                    if probability * step > best.get(target, 0.0):
                        best[target] = probability * step
                        stack.append((target, probability * step))
            direct = {t for t, _ in empty[source]}
            added += [(source, t, p, None) for t, p in best.items() if t not in direct]
        return self.arcs + added


class _Builder:
    """Adds phrasings to a graph between two states."""

    def __init__(self, graph: WordGraph, grammar: Grammar, weights: Weights) -> None:
        self.graph = graph
        self.grammar = grammar
        self.weights = weights
        self.tag = ""
        """Spelled before every word added (``RISKY_TAG`` on a risky intent's paths)."""

    def phrasings(self, source: int, target: int, probability: float,
                  phrasings: Sequence[tuple[str, tuple[Part, ...]]]) -> None:
        """Any of ``phrasings`` (intent, parts), each equally likely. Those of one intent
        that name an item after a word share one copy of the item list: what may come
        before it, the list, what may come after (so one intent's beginnings go with its
        other endings, but never make a sentence of slots alone)."""
        each = probability / max(1, len(phrasings))
        around: dict[str, tuple[dict, dict]] = {}
        plain: list[tuple[Part, ...]] = []
        for intent, parts in phrasings:
            anchor = f"<{ITEM}>"
            at = parts.index(anchor) if parts.count(anchor) == 1 else 0
            if at and self.grammar.rules.get(ITEM) and _needs_a_word(parts[:at]):
                before, after = around.setdefault(intent, ({}, {}))
                before[parts[:at]] = before.get(parts[:at], 0.0) + each
                after[parts[at + 1:]] = None
            else:
                plain.append(parts)
        self.sentences(source, target, each * len(plain), plain)
        for before, after in around.values():
            entry, leave = self.graph.state(), self.graph.state()
            self.sentences(source, entry, sum(before.values()), list(before))
            self.rule(entry, leave, 1.0, ITEM)
            self.sentences(leave, target, 1.0, list(after))

    def sentences(self, source: int, target: int, probability: float,
                  sentences: Sequence[tuple[Part, ...]]) -> None:
        """Any of ``sentences`` (words, ``<rule>`` references and choices), each equally
        likely, as a minimal graph: sentences share their beginnings and their endings."""
        if not sentences or probability <= 0:
            return
        nodes, root = _minimal_dawg(sentences)
        counts: dict[int, int] = {}
        for node in reversed(_topological(nodes, root)):
            final, edges = nodes[node]
            counts[node] = final + sum(counts[child] for _, child in edges)
        states = {root: source}
        for node in _topological(nodes, root):
            final, edges = nodes[node]
            here = states[node]
            if here == target:
                continue  # the common end of sentences
            share = probability if node == root else 1.0
            if final:
                self.graph.arc(here, target, share * final / counts[node])
            for symbol, child in edges:
                if child not in states:
                    final_only = nodes[child][0] and not nodes[child][1]
                    states[child] = target if final_only else self.graph.state()
                p = share * counts[child] / counts[node]
                if isinstance(symbol, Alt):
                    self.choice(here, states[child], p, symbol)
                elif symbol.startswith("<"):
                    self.rule(here, states[child], p, symbol[1:-1])
                else:
                    self.graph.arc(here, states[child], p, self.tag + symbol)

    def choice(self, source: int, target: int, probability: float, choice: Alt) -> None:
        """One option of ``choice``, each equally likely; an optional choice is left out
        as often as it is said."""
        skipped = self.weights.optional if choice.optional else 0.0
        if skipped:
            self.graph.arc(source, target, probability * skipped)
        self.sentences(source, target, probability * (1.0 - skipped), choice.options)

    def rule(self, source: int, target: int, probability: float, name: str) -> None:
        """One phrase of rule ``name`` (a PIN: four digits, hesitation allowed between)."""
        if name == PIN:
            here = source
            for position in range(4):
                after = target if position == 3 else self.graph.state()
                self.rule(here, after, probability if position == 0 else 1.0, DIGIT)
                if position < 3:
                    here = self.graph.state()
                    self.optional(after, here, FILLER, self.weights.filler)
            return
        if name == DIGITS:
            loop, again = self.graph.state(), self.graph.state()
            self.rule(source, loop, probability, DIGIT)
            self.rule(loop, again, 0.5, DIGIT)
            self.graph.arc(again, loop, 1.0)
            self.graph.arc(loop, target, 0.5)
            return
        phrases = [tuple(p.split()) for p in self.grammar.rules.get(name, ())]
        if phrases:
            self.sentences(source, target, probability, phrases)

    def optional(self, source: int, target: int, rule: str, probability: float) -> None:
        """Rule ``rule`` with ``probability``, else nothing."""
        if self.grammar.rules.get(rule):
            self.rule(source, target, probability, rule)
            self.graph.arc(source, target, 1.0 - probability)
        else:
            self.graph.arc(source, target, 1.0)


def build(grammar: Grammar, expecting: str | None = None, weights: Weights | None = None,
          garbage: Sequence[str] = ()) -> WordGraph:
    """The word graph of one turn while ``expecting`` is open: a request, an answer, the
    phrasings that answer the question, or (with ``garbage``: words as the dictionary spells
    them) a run of common words, which rejects the turn. Without ``expecting="pin"``, no PIN
    can be heard; with it, nothing but a PIN, an answer or a built-in intent (cancel, help).
    Words on the paths of risky intents (``RISKY``: a yes, a PIN, a purchase) are spelled
    with ``RISKY_TAG`` before them, so that the recognizer knows when it heard one."""
    weights = weights or DEFAULT_WEIGHTS.get(expecting, Weights())
    graph = WordGraph()
    builder = _Builder(graph, grammar, weights)
    focus_intents = FOCUS.get(expecting or "", ())
    groups: dict[str, list[tuple[str, tuple[Part, ...]]]] = {
        "requests": [], "focus": [], "answers": list(grammar.answers)}
    for intent, parts in grammar.paths():
        if f"<{PIN}>" in _flat(parts) and expecting != "pin":
            continue
        if intent in RISKY and not (intent in focus_intents or _needs_a_word(parts)):
            continue  # "oat milk" alone is an answer to "which one?", not a purchase
        if intent in focus_intents:
            groups["focus"].append((intent, parts))
        elif expecting != "pin" or intent.startswith("AMAZON."):
            groups["requests"].append((intent, parts))
    weight_of = {"requests": weights.requests, "focus": weights.focus,
                 "answers": weights.answers}
    active = {n: g for n, g in groups.items() if g and weight_of[n] > 0}
    total = sum(weight_of[n] for n in active) + (weights.garbage if garbage else 0.0)
    begin, end = graph.state(), graph.state()
    builder.optional(graph.start, begin, FILLER, weights.filler)
    builder.optional(end, graph.final, FILLER, weights.filler)
    for name, group in active.items():
        for risky in (False, True):
            chosen = [p for p in group if (p[0] in RISKY) == risky]
            if not chosen:
                continue
            builder.tag = RISKY_TAG if risky else ""
            share = weight_of[name] / total * len(chosen) / len(group)
            if name == "requests" and weights.polite > 0 and not grammar.phrasings:
                inner, outer = graph.state(), graph.state()
                graph.arc(begin, inner, (1.0 - weights.polite) * share)
                builder.rule(begin, inner, weights.polite * share, BEFORE)
                builder.phrasings(inner, outer, 1.0, chosen)
                builder.optional(outer, end, AFTER, weights.polite)
            else:
                builder.phrasings(begin, end, share, chosen)
    builder.tag = ""
    if expecting == "pin" and grammar.rules.get(DIGIT):
        builder.rule(begin, end, weights.focus / total * 0.1, DIGITS)  # too few or too many
    if garbage:
        loop = graph.state()
        each = 1.0 / len(garbage)
        for word in garbage:
            graph.arc(graph.start, loop, weights.garbage / total * each, word)
            graph.arc(loop, loop, weights.garbage_next * each, word)
        graph.arc(loop, graph.final, 1.0 - weights.garbage_next)
    return graph


def _needs_a_word(parts: Sequence[Part]) -> bool:
    """Whether every sentence of ``parts`` has a word besides its slots."""
    return any(isinstance(p, str) and not p.startswith("<") or isinstance(p, Alt) and (
        not p.optional and all(_needs_a_word(o) for o in p.options)) for p in parts)


def _flat(parts: Sequence[Part]) -> list[str]:
    words: list[str] = []
    for part in parts:
        if isinstance(part, Alt):
            for option in part.options:
                words += _flat(option)
        else:
            words.append(part)
    return words


def _minimal_dawg(sentences: Sequence[tuple[Part, ...]]
                  ) -> tuple[dict[int, tuple[int, tuple[tuple[Part, int], ...]]], int]:
    """The smallest deterministic graph of ``sentences``: node -> (is an end, edges)."""
    trie: list[tuple[dict[Part, int], list[int]]] = [({}, [0])]
    for sentence in dict.fromkeys(sentences):
        node = 0
        for symbol in sentence:
            children = trie[node][0]
            if symbol not in children:
                children[symbol] = len(trie)
                trie.append(({}, [0]))
            node = children[symbol]
        trie[node][1][0] = 1
    canonical: dict[tuple, int] = {}
    nodes: dict[int, tuple[int, tuple[tuple[Part, int], ...]]] = {}
    ids: dict[int, int] = {}
    for node in range(len(trie) - 1, -1, -1):  # children always come after their parent
        children, final = trie[node]
        key = (final[0], tuple(sorted(((s, ids[c]) for s, c in children.items()),
                                      key=lambda edge: (repr(edge[0]), edge[1]))))
        if key not in canonical:
            canonical[key] = len(canonical)
            nodes[canonical[key]] = key
        ids[node] = canonical[key]
    return nodes, ids[0]


def _topological(nodes: dict[int, tuple[int, tuple[tuple[Part, int], ...]]], root: int
                 ) -> list[int]:
    """Nodes reachable from ``root``, each after every node leading to it."""
    order: list[int] = []
    seen: set[int] = set()
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((child, False) for _, child in nodes[node][1] if child not in seen)
    return order[::-1]
