"""Text -> intent and slots, offline, from the same templates the Alexa model is built from.

The stages, in the order they answer (after Snips NLU's design, see shared/GUIDE.md):

1. Answers to the open question: a yes or a no judged strictly (``voice_local.answers``),
   a PIN while the PIN is asked for, a number while "how many?" is asked.
2. Slots first: the catalog item, the quantity, the ordinal and the category are found and
   replaced by placeholders (``voice_local.slot_finder``).
3. Exact: the sentence's shape is one of the templates' sentences.
4. Statistical: a classifier trained on the templates' sentences ranks the intents
   (``voice_local.classifier``); below ``CONFIDENCE`` the answer is Fallback, as it is when
   the best guess is "about something else".

The open question (``expecting``) decides what may be answered: an item alone selects an item
only while the skill asks which one; while the PIN is asked for, nothing is a purchase.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from skill.resolution import ItemIndex
from skill.spoken_numbers import parse_quantity
from skill.templates import Choice, IntentTemplates, load_templates
from voice_local.answers import cancelling_words, hedges, judge
from voice_local.classifier import NONE, IntentClassifier, classifier_for
from voice_local.slot_finder import ITEM, NUMBER, PLACEHOLDERS, Found, SlotFinder
from voice_local.text import (
    drop_hesitations,
    mend_homophones,
    normalize,
    strip_fillers,
    word_lists,
)

FALLBACK = "AMAZON.FallbackIntent"
YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"
EXPECTING = ("yesno", "which", "howmany", "pin")
"""The kinds of open question: a yes/no question, "which item?", "how many?", the PIN."""
CONFIDENCE = 0.5
"""The classifier's probability below which an utterance is not understood (Fallback)."""
NEW_REQUEST_CONFIDENCE = 0.8
GUESS_FLOOR = 0.25
"""Below this probability an intent is not even offered as a guess for a Fallback."""
"""At a yes/no question, the probability a new request needs instead of an answer."""
_YES_NO_WORDS = {"yes", "yeah", "yep", "yup", "sure", "okay", "no", "nope", "nah", "naw",
                 "not", "never", "negative", "affirmative", "neither", "none"}
PURCHASES = ("BuyIntent", "ReorderIntent", "AddToCartIntent", "CheckoutIntent",
             "ChangeQuantityIntent")
"""Intents that can lead to buying: never answers while the PIN is asked for."""
_AROUND_A_NUMBER = {"i", "think", "guess", "maybe", "please", "of", "them", "those", "these",
                    "just", "only", "make", "it", "about", "like", "say", "let", "us", "go",
                    "with", "how", "the", "one", ITEM, "that", "is", "fine", "will", "do",
                    "thanks", "thank", "you", "should", "be", "enough", "would", "want", "need",
                    "take", "have", "get", "okay", "yes", "yeah", "um", "uh", "then", "instead",
                    "sure", "try", "plenty", "a", "for", "now", "probably"}
"""Words around the answer to "how many?" ("um three i think", "just two of them")."""
_AROUND_A_NUMBER |= {"no", "require", "precisely", "exactly", "shall", "put", "me", "down",
                     "about", "around", "maybe", "please", "<units>", "box", "boxes", "pack",
                     "packs", "bottle", "bottles", "bag", "bags", "more", "than", "enough"}
_HOW_MANY_HOMOPHONES = {"tree": "three", "for": "four", "fore": "four", "to": "two",
                        "too": "two", "won": "one", "ate": "eight", "sex": "six"}
"""What a recognizer makes of a number said alone."""
SEVERAL_ITEMS = ("BuyIntent", "ReorderIntent", "AddToCartIntent")
"""Intents whose item slot may name several items ("coffee pods and paper towels")."""
WHILE_PIN = ("ProvidePinIntent", "AMAZON.CancelIntent", "AMAZON.StopIntent",
             "AMAZON.HelpIntent", "AMAZON.RepeatIntent", "AMAZON.PreviousIntent", NO, FALLBACK,
             "HandoffIntent")
"""What may be said while the skill waits for the PIN (as Alexa, eliciting the PIN slot)."""


@dataclass(frozen=True)
class Match:
    """What an utterance means."""

    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    """Slot name -> the words heard for it (resolved later by the skill, as on Alexa)."""
    score: float = 100.0
    """100 for a rule or template match; the classifier's probability x 100 otherwise."""
    guess: str | None = None
    """For a Fallback: the intent the classifier thought likeliest all the same (a hint for
    the merchant's insights, never acted on)."""


def _regex(parts: tuple) -> str:
    """A template as a regular expression over its normalized shape (words + spaces)."""
    out = []
    for part in parts:
        if isinstance(part, Choice):
            options = "|".join(_regex(o) for o in part.options)
            out.append(f"(?:{options})" + ("?" if part.optional else ""))
        else:
            slot = re.fullmatch(r"\{(\w+)\}", part)
            word = PLACEHOLDERS.get(slot.group(1), part) if slot else normalize(part)
            out.append(re.escape(word + " ") if word else "")
    return "".join(out)


def known_words(intents: dict[str, IntentTemplates]) -> set[str]:
    """Every word the templates use, and the words said around any request."""
    lists = word_lists()
    found = {w for intent in intents.values() for tpl in intent.templates for w in _words(tpl)}
    return found | {w for phrase in (*lists["hesitations"], *lists["politeness"])
                    for w in phrase.split()}


def _words(parts: tuple) -> set[str]:
    """Every word a template can say (normalized)."""
    found: set[str] = set()
    for part in parts:
        if isinstance(part, Choice):
            for option in part.options:
                found |= _words(option)
        elif not part.startswith("{"):
            found.update(normalize(part).split())
    return found


class IntentMatcher:
    """Matches text for one locale's templates and one catalog."""

    def __init__(self, items: ItemIndex, categories: list[str] | None = None,
                 locale: str = "en-US", classifier: IntentClassifier | None = None) -> None:
        self.items = items
        self.classifier = classifier or classifier_for(locale)
        self.intents: dict[str, IntentTemplates] = load_templates(locale)
        self._exact = [(name, re.compile("^" + _regex(tpl) + "$"))
                       for name, intent in self.intents.items() for tpl in intent.templates]
        self.slot_finder = SlotFinder(items, categories, known_words(self.intents))

    def match(self, text: str, expecting: str | None = None) -> Match:
        """The intent and slots of ``text`` (Fallback when nothing fits); ``expecting`` is
        the kind of answer the skill's open question waits for (see ``EXPECTING``)."""
        heard = normalize(text)
        plain = strip_fillers(drop_hesitations(heard))
        if not plain:
            return Match(FALLBACK, score=0.0)
        if expecting == "howmany":
            number = self._how_many(plain)
            if number is not None:
                return number
        answer = self._answer(heard, plain, expecting)
        if answer is not None:
            return answer
        plain = mend_homophones(plain)
        pin = self.slot_finder.pin(heard)
        if pin is not None and (expecting == "pin" or any(
                w in ("pin", "code", "passcode", "password") for w in heard.split())):
            return Match("ProvidePinIntent", {"Pin": pin})
        if expecting == "howmany" and plain in ("the one", "just the one", "just one", "one"):
            return Match("ChangeQuantityIntent", {"Quantity": "one"})
        found = self.slot_finder.find(plain)
        if expecting != "howmany" and found.shape in (NUMBER, f"{NUMBER} please"):
            return Match(FALLBACK, score=0.0)  # "1234" with no question: a number of what?
        best = self._decide(plain, found, expecting)
        as_category = self.slot_finder.find(plain, category_first=True)
        if "Category" in as_category.slots and as_category.shape != found.shape:
            other = self._decide(plain, as_category, expecting)  # "gift cards": item or kind?
            if other.intent == "BrowseCatalogIntent" and best.intent in (
                    FALLBACK, "BrowseCatalogIntent"):
                best = other
        if expecting == "pin" and best.intent not in WHILE_PIN:
            return Match(FALLBACK, score=0.0)
        return best

    def _how_many(self, plain: str) -> Match | None:
        """A number said to "how many?" ("um three i think", "no, just one", "for boxes")."""
        words = [_HOW_MANY_HOMOPHONES.get(w, w) for w in plain.split()]
        found = self.slot_finder.find(" ".join(words))
        if "Quantity" in found.slots and [w for w in found.shape.split()
                                          if w not in _AROUND_A_NUMBER] == [NUMBER]:
            return Match("ChangeQuantityIntent", {"Quantity": found.slots["Quantity"]})
        return None

    def _answer(self, heard: str, plain: str, expecting: str | None) -> Match | None:
        """A yes or no, judged strictly; at a yes/no question a hedge asks again.

        Away from a yes/no question only a short answer counts ("no thanks"): "cancel my
        last order" is a request, not a no.
        """
        texts = (heard, plain)
        if expecting != "yesno":  # only a plain yes or no ("no thanks"), not "that's all"
            texts = tuple(t for t in texts if len(t.split()) <= 3 and not any(
                w in cancelling_words() for w in t.split()) and any(
                w in _YES_NO_WORDS for w in t.split()))
        if any(w in hedges() for w in heard.split()):
            texts = texts[:1]  # "mm mm hmm hmm" is not "yes" once its hesitations are gone
        for text in texts:
            answer = judge(text)
            if answer:
                return Match(YES if answer == "yes" else NO)
        if expecting == "yesno" and any(w in hedges() or w in _YES_NO_WORDS
                                        for w in heard.split()):
            return Match(FALLBACK, score=0.0)  # hedged or mixed: ask again
        return None

    def _decide(self, plain: str, found: Found, expecting: str | None) -> Match:
        allowed = self._allowed(expecting)
        exact = [name for name, regex in self._exact
                 if regex.match(plain + " ") or regex.match(found.shape + " ")]
        ranked = self.classifier.rank(found.shape, allowed | {NONE})
        exact = [name for name in dict.fromkeys(exact) if name in allowed]
        if exact:
            # Several templates fit ("ITEM please"): the classifier says which is likelier.
            order = {r.intent: n for n, r in enumerate(ranked)}
            intent = min(exact, key=lambda name: order.get(name, len(order)))
            return self._with_slots(intent, found, 100.0, plain)
        # At a yes/no question a new request must be clear; anything else asks again.
        needed = NEW_REQUEST_CONFIDENCE if expecting == "yesno" else CONFIDENCE
        if not ranked or ranked[0].intent == NONE or ranked[0].probability < needed:
            guess = next((r.intent for r in ranked
                          if r.intent != NONE and r.probability >= GUESS_FLOOR), None)
            return Match(FALLBACK, score=100 * ranked[0].probability if ranked else 0.0,
                         guess=guess)
        return self._with_slots(ranked[0].intent, found, 100 * ranked[0].probability, plain)

    def _allowed(self, expecting: str | None) -> set[str]:
        allowed = set(self.intents) - {YES, NO, FALLBACK}
        if expecting != "which":
            allowed.discard("SelectItemIntent")
        return allowed

    def _with_slots(self, intent: str, found: Found, score: float, plain: str = "") -> Match:
        declared = self.intents[intent].slots if intent in self.intents else {}
        slots = {k: v for k, v in found.slots.items() if k in declared}
        if intent not in SEVERAL_ITEMS and " and " in slots.get("Item", ""):
            slots["Item"] = slots["Item"].split(" and ")[0]
        if "Quantity" in slots and parse_quantity(slots["Quantity"]) is None and \
                intent == "PriceIntent":
            slots.pop("Quantity")
        return Match(intent, slots, score)


MatcherFactory = Callable[[], IntentMatcher]
