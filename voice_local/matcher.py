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
from voice_local.answers import (
    asks_back,
    assent_words,
    cancelling_words,
    hedges,
    is_hedged,
    judge,
    thinking,
)
from voice_local.classifier import (
    NONE,
    IntentClassifier,
    classifier_for,
    command_words,
    context_words,
)
from voice_local.slot_finder import (
    ITEM,
    NUMBER,
    PLACEHOLDERS,
    QUANTITY_WORDS,
    UNIT_WORDS,
    Found,
    SlotFinder,
)
from voice_local.sound_alike import SoundAlikes
from voice_local.text import (
    clauses,
    clauses_of,
    drop_hesitations,
    first_request,
    is_english_word,
    mend_homophones,
    normalize,
    request_after_story,
    strip_fillers,
    without_favour_asked,
    without_vocatives,
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
_SMALL_TALK_STOPS = {"what", "how", "why", "when", "where", "which", "who", "only", "just",
                     "except", "instead", "too", "also", "more", "less", "another", "other",
                     "first", "then", "after", "remove", "add", "change", "make",
                     "different", "cheaper", "smaller", "bigger", "expensive", "wrong"}
"""Words that make a clause after a yes more than small talk ("yes, the other one too")."""
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
_AROUND_A_NAME = {NUMBER, "please", "now", "the", "some", "a", "an", "of", "more", "thanks",
                  "quick", *UNIT_WORDS}
"""Words that may go with a bare product name ("two boxes of coffee pods please")."""
_REFERS_BACK = {"it", "them", "that", "those", "some", "more", "one"}
"""Words of a request that point back at the item a story named."""
_NOT_A_CHOICE = ("AMAZON.CancelIntent", "AMAZON.StopIntent", "AMAZON.HelpIntent",
                 "AMAZON.RepeatIntent", "AMAZON.PreviousIntent", "AMAZON.MoreIntent", NO,
                 "ReadCartIntent", "CheckoutIntent", "OrderStatusIntent", "CancelOrderIntent",
                 "PriceIntent", "AvailabilityIntent", "HandoffIntent", "ClearCartIntent")
"""Intents that are no answer to "which one?" even when they name an item."""
_PIN_HOMOPHONES = {"for": "four", "fore": "four", "to": "two", "too": "two", "won": "one",
                   "ate": "eight", "tree": "three", "sex": "six", "sicks": "six",
                   "nein": "nine", "free": "three"}
"""What a recognizer makes of a digit said alone, read as digits only at the PIN question."""
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
        self.slot_finder = SlotFinder(items, categories, known_words(self.intents),
                                      context_words(locale), command_words(locale))
        self._alikes: SoundAlikes | None = None

    def match(self, text: str, expecting: str | None = None, spoken: bool = False) -> Match:
        """The intent and slots of ``text`` (Fallback when nothing fits); ``expecting`` is
        the kind of answer the skill's open question waits for (see ``EXPECTING``).

        Two requests in one breath ("buy cookies and tell me when my order comes") are
        answered by the first. Words that make no sense as heard get a second reading,
        never as an answer to a yes/no or PIN question and never as a yes or no: a clause
        alone ("checkout please, i'm on my break"), or words that sound like the shop's
        ("what is in my card").

        ``spoken``: ``text`` is what a recognizer heard. A product's name alone is then not a
        purchase: a grammar of the shop's names forces noise and other talk onto exactly
        that ("send a text to jake" heard as "philips toothbrush heads").
        """
        text = without_favour_asked(without_vocatives(text))
        if expecting is None:
            first = first_request(text)
            if first is not None:
                match = self._match_one(first, expecting)
                if match.intent != FALLBACK:
                    return match
        if expecting is None and (story := request_after_story(text)) is not None:
            match = self._after_story(*story)
            if match is not None:
                return match
        match = self._match_one(text, expecting)
        if match.intent != FALLBACK or expecting in ("yesno", "pin"):
            return match
        if expecting is None and not spoken and (buy := self._name_alone(text)) is not None:
            return buy
        # A second reading must be one of the templates' sentences exactly, and a request of
        # the shop's own (not a "do you know" that the clause alone would be).
        readings = [(r, False) for r in clauses(text)]
        readings += [(r, True) for r in self._sound_alike_readings(text)]
        for reading, sounds_alike in readings:
            if self._about_other_things(reading):
                continue  # "roll a dice" is not "roll a price"
            second = self._match_one(reading, expecting)
            built_in = second.intent.startswith("AMAZON.") and (
                not sounds_alike or second.intent in (YES, NO))  # "go bag" is "go back"
            if not built_in and second.intent not in (
                    "ProvidePinIntent", "SelectItemIntent") and second.score == 100.0:
                return second
        return match

    def _name_alone(self, text: str) -> Match | None:
        """A product's name and nothing else ("trash bags. now."): buying it, which the skill
        restates and asks to confirm."""
        plain = strip_fillers(drop_hesitations(normalize(text)))
        found = self.slot_finder.find(plain)
        if found.item_score and [w for w in found.shape.split()
                                 if w not in _AROUND_A_NAME] == [ITEM]:
            return self._with_slots("BuyIntent", found, found.item_score, plain)
        return None

    def _after_story(self, story: str, request: str) -> Match | None:
        """The request after a story, with the item the story named when the request
        says "it" ("... picked up shampoo, so take it out of the cart")."""
        match = self._match_one(request, None)
        if match.intent == FALLBACK:
            return None
        if "Item" in self.intents[match.intent].slots and "Item" not in match.slots and \
                _REFERS_BACK & set(request.split()):
            item = self.slot_finder.find(story).slots.get("Item")
            if item is not None:
                return Match(match.intent, {**match.slots, "Item": item}, match.score)
        return match

    def _about_other_things(self, text: str) -> bool:
        """Whether ``text`` has words of requests about other things ("timer", "coin")."""
        return any(w in self.slot_finder.context_words for w in normalize(text).split())

    def _sound_alike_readings(self, text: str) -> list[str]:
        """``text`` with one word replaced by a word of the shop's that sounds like it."""
        words = normalize(text).split()
        readings = []
        for i, word in enumerate(words):
            if self.items is not None and self.slot_finder.item_span([word]) is not None:
                continue
            readings += [" ".join([*words[:i], alike, *words[i + 1:]])
                         for alike in self._sound_alikes.of(word)]
        return readings[:6]

    @property
    def _sound_alikes(self) -> SoundAlikes:
        if self._alikes is None:
            self._alikes = SoundAlikes(set(word_lists()["sound_alike_targets"]))
        return self._alikes

    def _match_one(self, text: str, expecting: str | None) -> Match:
        heard = normalize(text)
        plain = strip_fillers(drop_hesitations(heard))
        if not plain:
            return Match(FALLBACK, score=0.0)
        if expecting == "howmany":
            first_clause = strip_fillers(drop_hesitations(normalize(clauses_of(text)[0])))
            number = self._how_many(plain) or self._how_many(first_clause)
            if number is not None:
                return number  # "five, because there are five of us"
        answer = self._answer(heard, plain, expecting, text)
        if answer is not None:
            return answer
        plain = self._unmerged(mend_homophones(plain))
        pin = self.slot_finder.pin(heard)
        if pin is None and expecting == "pin":  # "for too won ate"
            pin = self.slot_finder.pin(" ".join(_PIN_HOMOPHONES.get(w, w) for w in heard.split()))
        if pin is not None and (expecting == "pin" or any(
                w in ("pin", "code", "passcode", "password") for w in heard.split())):
            return Match("ProvidePinIntent", {"Pin": pin})
        if expecting == "howmany" and plain in ("the one", "just the one", "just one", "one"):
            return Match("ChangeQuantityIntent", {"Quantity": "one"})
        found = self.slot_finder.find(plain)
        if expecting != "howmany" and found.shape in (NUMBER, f"{NUMBER} please"):
            return Match(FALLBACK, score=0.0)  # "1234" with no question: a number of what?
        if expecting == "howmany" and "Quantity" in found.slots and not found.slots.keys() & {
                "Item", "Category", "Ordinal"} and not any(
                w in cancelling_words() or w in _YES_NO_WORDS or w in hedges()
                for w in heard.split()):
            # The number asked for, in words of its own ("two would be lovely, thank you").
            return Match("ChangeQuantityIntent", {"Quantity": found.slots["Quantity"]})
        best = self._decide(plain, found, expecting)
        as_category = self.slot_finder.find(plain, category_first=True)
        if "Category" in as_category.slots and as_category.shape != found.shape:
            other = self._decide(plain, as_category, expecting)  # "gift cards": item or kind?
            if other.intent == "BrowseCatalogIntent" and best.intent in (
                    FALLBACK, "BrowseCatalogIntent"):
                best = other
        if expecting == "pin" and best.intent not in WHILE_PIN:
            return Match(FALLBACK, score=0.0)
        if expecting == "which" and best.intent not in _NOT_A_CHOICE and (
                found.item_score or "Ordinal" in found.slots):
            # "the dish soap, not the detergent", "that first one you said": a choice.
            slots = {k: v for k, v in found.slots.items() if k in ("Item", "Ordinal")}
            return Match("SelectItemIntent", slots, best.score)
        return best

    def _unmerged(self, plain: str) -> str:
        """Two words a keyboard or recognizer ran together ("mycart", "getmore") split
        apart, when both halves are words of the templates."""
        words = []
        for word in plain.split():
            if len(word) >= 5 and self.slot_finder._unknown(word) and not is_english_word(word):
                split = next((f"{word[:i]} {word[i:]}" for i in range(2, len(word) - 1)
                              if self._plain_word(word[:i]) and self._plain_word(word[i:])),
                             None)
                word = split or word
            words.append(word)
        return " ".join(words)

    def _plain_word(self, word: str) -> bool:
        return word in self.slot_finder.known_words and (len(word) > 2 or word in ("my", "me"))

    def _how_many(self, plain: str) -> Match | None:
        """A number said to "how many?" ("um three i think", "no, just one", "for boxes")."""
        words = [_HOW_MANY_HOMOPHONES.get(w, w) for w in plain.split()]
        found = self.slot_finder.find(" ".join(words))
        if "Quantity" in found.slots and [w for w in found.shape.split()
                                          if w not in _AROUND_A_NUMBER] == [NUMBER]:
            return Match("ChangeQuantityIntent", {"Quantity": found.slots["Quantity"]})
        return None

    def _clear_then_small_talk(self, text: str, verdict: str) -> bool:
        """A typed answer judged clause by clause: thinking aloud first ("hmm... yes, order
        it"), then a clear yes (or no), then small talk that names nothing ("yes, quick,
        before the baby wakes up", "absolutely not, my mom would kill me"; not "yes, the wine
        too", "yes, wait", "yes, but only two", "no, two boxes")."""
        parts = [normalize(p) for p in clauses_of(text)]
        while len(parts) > 1 and parts[0] in thinking():
            parts = parts[1:]
        verdicts = [judge(p) for p in parts]
        other = "no" if verdict == "yes" else "yes"
        if verdict not in verdicts or other in verdicts:
            return False
        same = {"yes", "yeah", "yep", "yup", "sure", "okay"} if verdict == "yes" else {
            "no", "nope", "nah", "naw", "not", "never"}
        first = verdicts.index(verdict)
        for part in parts[:first] + parts[first + 1:]:  # "duh, yes"; "yes, quick, ..."
            words = part.split()
            if judge(part) == other or is_hedged(part) or asks_back(part) or any(
                    w in hedges() or w in cancelling_words() or w in _YES_NO_WORDS - same
                    or (verdict == "no" and w in assent_words()) or w.isdigit()
                    or w in QUANTITY_WORDS
                    or w in _SMALL_TALK_STOPS
                    for w in words):
                return False
            if self.items is not None and self.slot_finder.find(part).slots.keys() & {
                    "Quantity", "Ordinal", "Category"} or self.items is not None and any(
                    self.slot_finder.item_span(words[i:i + n]) is not None
                    for n in (1, 2, 3) for i in range(len(words))):
                return False
        return True

    def _answer(self, heard: str, plain: str, expecting: str | None,
                raw: str = "") -> Match | None:
        """A yes or no, judged strictly; at a yes/no question a hedge asks again.

        Away from a yes/no question only a short answer counts ("no thanks"): "cancel my
        last order" is a request, not a no.
        """
        texts = (heard, plain)
        if expecting != "yesno":  # only a plain yes or no ("no thanks"), not "that's all"
            texts = tuple(t for t in texts if len(t.split()) <= 3 and not any(
                w in cancelling_words() for w in t.split()) and any(
                w in _YES_NO_WORDS for w in t.split()))
        if any(w in hedges() for w in heard.split()) or asks_back(heard):
            texts = texts[:1]  # "mm mm hmm hmm" is not "yes" once its hesitations are gone;
            # nor "would you order it" once "would you" is taken for politeness
        for text in texts:
            answer = judge(text)
            if answer:
                return Match(YES if answer == "yes" else NO)
        if expecting == "yesno" and self._clear_then_small_talk(raw, "yes"):
            return Match(YES)
        if expecting == "yesno" and self._clear_then_small_talk(raw, "no"):
            return Match(NO)
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
