"""The merchant's insights: what shoppers said that the skill did not understand, grouped,
each with a suggested fix, and the figures of the voice purchase funnel.

- Phrases (Fallback turns) and unknown item names are normalized and clustered (rapidfuzz's
  token-sort ratio, greedily around the most frequent wording). An item name whose top
  candidates point at one item suggests a synonym of it; one that points nowhere suggests a
  new item; a phrase suggests a sample phrase of the intent the local matcher guessed.
  Names that resolve by now (a synonym was added since) are left out.
- The funnel per day: restatements, confirmations, declines, refusals by reason, PIN
  failures, approval requests and their outcomes, orders and revenue by voice; the
  Fallback rate per day; the top items bought by voice.

Applying a suggestion: ``add_synonym`` (catalog), ``add_phrase`` (the added-phrases
template file the model build reads, ``skill.templates``); then the model is rebuilt.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from skill import money
from skill.audit import PurchaseAttempt
from skill.catalog import get_item, update_item
from skill.errors import InvalidInput
from skill.insights import PIN_WITHHELD, DialogEvent
from skill.resolution import CatalogResolver, normalize
from skill.templates import add_phrase

CLUSTER_SCORE = 85
"""Two wordings this alike (token-sort ratio) are one group."""
SYNONYM_SCORE = 50
"""A candidate this good, or better, makes "add as a synonym" the suggestion."""
VOICE_CHANNELS = ("alexa", "local")
MAX_GROUPS = 50


@dataclass
class Suggestion:
    """What to do about a group: ``add_synonym`` (``sku``), ``new_item``, ``add_phrase``
    (``intent``, None when no guess: the merchant picks one)."""

    action: str
    phrase: str
    text: str
    """Said for people: "add 'dish liquid' as a synonym of dish soap"."""
    sku: str | None = None
    intent: str | None = None


@dataclass
class Group:
    """One thing shoppers said, in its wordings, and how often."""

    phrase: str
    count: int
    variants: list[str]
    suggestion: Suggestion | None
    candidates: list[dict] = field(default_factory=list)
    """For an item: the best candidates seen (``sku``, ``name``, ``score``)."""
    intents: list[str] = field(default_factory=list)
    """Where it was said (the intents of the turns)."""


@dataclass
class DayFigures:
    """One day's purchase funnel and understanding."""

    day: str
    turns: int = 0
    fallbacks: int = 0
    restatements: int = 0
    confirmations: int = 0
    declines: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    pin_failures: int = 0
    approval_requests: int = 0
    approved: int = 0
    rejected: int = 0
    orders: int = 0
    revenue_minor: int = 0

    @property
    def fallback_rate(self) -> float:
        """Fallbacks per turn, 0 to 1."""
        return self.fallbacks / self.turns if self.turns else 0.0


@dataclass
class Report:
    """Everything the insights page, the command and the API show."""

    since: datetime
    days: int
    currency: str
    phrases: list[Group]
    unknown_items: list[Group]
    daily: list[DayFigures]
    top_items: list[dict]
    abandoned: dict[str, int]
    """Questions left open when the session ended, by kind of question."""
    handoffs: int
    repeated_misses: int = 0
    """Turns not understood right after one that was not understood either."""
    asked_which: int = 0
    """Item names that fit several items (the shopper was asked which): not suggested as
    synonyms, since asking is the right answer there."""

    def to_dict(self) -> dict:
        """Plain data (JSON): amounts as decimal strings in ``currency``."""
        def day(d: DayFigures) -> dict:
            data = asdict(d)
            data["revenue"] = money.format_amount(data.pop("revenue_minor"), self.currency)
            data["fallback_rate"] = round(d.fallback_rate, 4)
            return data

        return {"since": self.since.isoformat(), "days": self.days, "currency": self.currency,
                "phrases": [asdict(g) for g in self.phrases],
                "unknown_items": [asdict(g) for g in self.unknown_items],
                "daily": [day(d) for d in self.daily],
                "totals": day(self.totals()) | {"day": None},
                "top_items": self.top_items, "abandoned": self.abandoned,
                "handoffs": self.handoffs, "repeated_misses": self.repeated_misses,
                "asked_which": self.asked_which}

    def totals(self) -> DayFigures:
        """The whole period as one row."""
        total = DayFigures("")
        for d in self.daily:
            for name in ("turns", "fallbacks", "restatements", "confirmations", "declines",
                         "pin_failures", "approval_requests", "approved", "rejected", "orders",
                         "revenue_minor"):
                setattr(total, name, getattr(total, name) + getattr(d, name))
            for reason, count in d.refusals.items():
                total.refusals[reason] = total.refusals.get(reason, 0) + count
        return total


def phrase_key(text: str) -> str:
    """A wording as grouped: lowercase, no punctuation, single spaces."""
    return " ".join(utils.default_process(text).split())


def cluster(counts: Counter[str]) -> list[tuple[str, int, list[str]]]:
    """``(the most frequent wording, how often in all, every wording)``, most frequent
    first: each wording joins the first group whose leading wording is alike enough."""
    groups: list[list] = []
    for text, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        found = process.extractOne(text, [g[0] for g in groups], scorer=fuzz.token_sort_ratio,
                                   processor=None, score_cutoff=CLUSTER_SCORE) \
            if groups else None
        if found is None:
            groups.append([text, count, [text]])
        else:
            group = groups[found[2]]
            group[1] += count
            group[2].append(text)
    return sorted(((g[0], g[1], g[2]) for g in groups), key=lambda g: (-g[1], g[0]))


def build_report(session: Session, *, days: int = 30, now: datetime, currency: str,
                 resolver: CatalogResolver | None = None) -> Report:
    """The insights of the last ``days`` days (see the module docstring)."""
    if days < 1:
        raise InvalidInput("days must be at least 1")
    since = now - timedelta(days=days)
    events = list(session.scalars(select(DialogEvent).where(DialogEvent.at >= since)
                                  .order_by(DialogEvent.id)))
    daily: dict[str, DayFigures] = {}

    def figures(at: datetime) -> DayFigures:
        key = at.date().isoformat()
        return daily.setdefault(key, DayFigures(key))

    for event in events:
        row = figures(event.at)
        if event.kind == "turn":
            row.turns += 1
        elif event.kind == "fallback":
            row.fallbacks += 1
        elif event.kind == "restatement":
            row.restatements += 1
    top = _purchases(session, since, figures)
    kinds = Counter(e.kind for e in events)
    abandoned = Counter(e.question or "unknown" for e in events if e.kind == "abandoned")
    return Report(since, days, currency, _phrase_groups(events),
                  _item_groups(session, events, resolver),
                  [daily[k] for k in sorted(daily)], top, dict(abandoned), kinds["handoff"],
                  kinds["repeated_miss"], kinds["ambiguous_item"])


def _purchases(session: Session, since: datetime, figures) -> list[dict]:  # noqa: ANN001
    """Fill the funnel from the purchase-attempt log; the top items bought by voice."""
    items: dict[str, dict] = {}
    for attempt in session.scalars(select(PurchaseAttempt).where(PurchaseAttempt.at >= since)):
        row = figures(attempt.at)
        outcome, by_voice = attempt.outcome, attempt.channel in VOICE_CHANNELS
        if outcome in ("placed", "awaiting_approval") and by_voice:
            row.confirmations += 1
        if outcome == "declined":
            row.declines += 1
        elif outcome == "refused":
            reason = attempt.reason or "unknown"
            row.refusals[reason] = row.refusals.get(reason, 0) + 1
        elif outcome in ("pin_failed", "locked"):
            row.pin_failures += 1
        elif outcome == "awaiting_approval":
            row.approval_requests += 1
        elif outcome in ("approved", "rejected"):
            setattr(row, outcome, getattr(row, outcome) + 1)
        if (outcome == "placed" and by_voice) or outcome == "approved":
            row.orders += 1
            row.revenue_minor += attempt.total_minor
            for line in attempt.items:
                entry = items.setdefault(line["sku"], {"sku": line["sku"], "name": line["name"],
                                                       "quantity": 0, "orders": 0})
                entry["quantity"] += int(line["quantity"])
                entry["orders"] += 1
    return sorted(items.values(), key=lambda i: (-i["quantity"], i["name"]))[:10]


def _phrase_groups(events: list[DialogEvent]) -> list[Group]:
    texts: Counter[str] = Counter()
    guesses: dict[str, Counter] = defaultdict(Counter)
    for event in events:
        if event.kind != "fallback" or not event.text or event.text == PIN_WITHHELD:
            continue
        key = phrase_key(event.text)
        if key:
            texts[key] += 1
            if event.guess:
                guesses[key][event.guess] += 1
    groups = []
    for phrase, count, variants in cluster(texts)[:MAX_GROUPS]:
        votes = sum((guesses[v] for v in variants), Counter())
        intent = votes.most_common(1)[0][0] if votes else None
        text = (f"add '{phrase}' as a sample phrase of {intent}" if intent else
                f"add '{phrase}' as a sample phrase of an intent")
        groups.append(Group(phrase, count, variants, Suggestion("add_phrase", phrase, text,
                                                                 intent=intent)))
    return groups


def _item_groups(session: Session, events: list[DialogEvent],
                 resolver: CatalogResolver | None) -> list[Group]:
    names: Counter[str] = Counter()
    seen: dict[str, dict[str, dict]] = defaultdict(dict)
    where: dict[str, Counter] = defaultdict(Counter)
    for event in events:
        if event.kind != "unresolved_item" or not event.text:
            continue
        key = normalize(event.text)
        if not key:
            continue
        names[key] += 1
        where[key][event.intent or ""] += 1
        for candidate in event.candidates or []:
            best = seen[key].get(candidate["sku"])
            if best is None or candidate["score"] > best["score"]:
                seen[key][candidate["sku"]] = candidate
    if resolver is not None:  # what resolves by now (a synonym added since) is done
        names = Counter({k: n for k, n in names.items()
                         if resolver.resolve(session, k).status != "match"})
    groups = []
    for phrase, count, variants in cluster(names)[:MAX_GROUPS]:
        merged: dict[str, dict] = {}
        for variant in variants:
            for sku, candidate in seen[variant].items():
                if sku not in merged or candidate["score"] > merged[sku]["score"]:
                    merged[sku] = candidate
        candidates = sorted(merged.values(), key=lambda c: -c["score"])[:3]
        intents = sum((where[v] for v in variants), Counter())
        if candidates and candidates[0]["score"] >= SYNONYM_SCORE:
            best = candidates[0]
            suggestion = Suggestion("add_synonym", phrase, f"add '{phrase}' as a synonym of "
                                    f"{best['name']}", sku=best["sku"])
        else:
            suggestion = Suggestion("new_item", phrase, f"add a new item '{phrase}'")
        groups.append(Group(phrase, count, variants, suggestion, candidates,
                            [i for i, _ in intents.most_common() if i]))
    return groups


def add_synonym(session: Session, sku: str, phrase: str, currency: str) -> str:
    """Make ``phrase`` a synonym of item ``sku`` (checked like any catalog change: it must
    not sound like another item's name); the phrase as added."""
    phrase = " ".join(phrase.split()).lower()
    if not phrase:
        raise InvalidInput("the synonym is empty", fields={"synonyms": "empty"})
    item = get_item(session, sku)
    if phrase in (s.lower() for s in item.synonyms) or phrase == item.name.lower():
        return phrase
    update_item(session, sku, {"synonyms": [*item.synonyms, phrase]}, currency=currency)
    return phrase


__all__ = ["Group", "Report", "Suggestion", "add_phrase", "add_synonym", "build_report",
           "cluster"]
