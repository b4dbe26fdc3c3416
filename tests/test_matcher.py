"""Offline intent matching, measured on labelled shopper speech (typed).

Held-out sets (never tuned on; see each file's header for how it was made):
``heldout.tsv`` (written from personas before tuning), ``heldout_clinc.tsv`` (human-written,
CLINC150 test/val), ``heldout_fresh.tsv`` (written after the first round of tuning),
``heldout_personas5.tsv`` (written after the second round, with new personas; its misses
were looked at once), ``heldout_check7.tsv`` (written after the third round, only measured);
``heldout_check12.tsv`` (written after the sixth round by new people, only measured) is
reported on its own: the figure for phrasings nobody has heard.
Tuning sets: ``dev.tsv``, ``dev2.tsv``, ``dev3.tsv``, ``dev4.tsv``, ``dev6.tsv`` (persona-written,
looked at), ``dev_clinc.tsv`` (CLINC150 train).
"""

import time

import pytest

from skill.catalog import list_items
from tests.labelled import DATA, load, problem
from voice_local.answers import judge
from voice_local.matcher import IntentMatcher
from voice_local.text import normalize

HELD_OUT = ("heldout.tsv", "heldout_clinc.tsv", "heldout_fresh.tsv", "heldout_personas5.tsv",
            "heldout_check7.tsv")
TUNING = ("dev.tsv", "dev2.tsv", "dev3.tsv", "dev4.tsv", "dev6.tsv", "dev_clinc.tsv")


@pytest.fixture(scope="module")
def matcher(tmp_path_factory):
    from skill.runtime import Runtime

    runtime = Runtime.open(f"sqlite:///{tmp_path_factory.mktemp('m') / 'm.db'}")
    runtime.seed_demo()
    with runtime.transaction() as s:
        index = runtime.resolver.index(s)
        categories = sorted({i.category for i in list_items(s)})
    yield IntentMatcher(index, categories)
    runtime.engine.dispose()


def measure(matcher, names, capsys, title):
    """(intent accuracy, intent + slots accuracy) over the files, each file's figures and the
    whole's printed with the misses; every utterance is matched once."""
    wrong_intent, wrong_slots, count = 0, 0, 0
    started = time.perf_counter()
    lines = []
    for name in names:
        rows = load(name)
        intent_misses, slot_misses = [], []
        for row in rows:
            found = problem(matcher, row)
            if found:
                (intent_misses if found.startswith("intent") else slot_misses).append(
                    f"[{row.context or '-'}] {row.text!r} -> {found}")
        lines.append(f"  {name} ({len(rows)}): intent {1 - len(intent_misses) / len(rows):.1%}"
                     f", intent + slots "
                     f"{1 - (len(intent_misses) + len(slot_misses)) / len(rows):.1%}")
        lines += ["    " + line for line in intent_misses + slot_misses]
        wrong_intent, wrong_slots = wrong_intent + len(intent_misses), wrong_slots + len(
            slot_misses)
        count += len(rows)
    per_turn = (time.perf_counter() - started) / count * 1000
    intent = 1 - wrong_intent / count
    both = 1 - (wrong_intent + wrong_slots) / count
    with capsys.disabled():
        print(f"\ntyped matching, {title} ({count} utterances): intent {intent:.1%}, "
              f"intent + slots {both:.1%}, {per_turn:.1f} ms a turn")
        print("\n".join(lines))
    return intent, both


def test_held_out_sets_are_large_and_say_how_they_were_made():
    rows = [row for name in HELD_OUT for row in load(name)]
    assert len(rows) >= 500
    for name in HELD_OUT:
        header = (DATA / name).read_text("utf-8").split("\n", 12)
        assert any("held-out" in line.lower() or "test" in line.lower() for line in header)
    assert len({row.intent for row in rows}) >= 24


HELD_OUT_FLOOR = (0.94, 0.93)
"""Intent, and intent + slots, over the five held-out sets (2,481 lines), measured at 94.2% and
93.3% (issue 11 asks 95% and 93%): 98.6% on the first set, 94.8-94.9% on the CLINC and fresh
ones, 89-90% on the two written after tuning with new personas (dialects, stories, stammers)."""


def test_typed_accuracy_on_the_held_out_sets(matcher, capsys):
    intent, both = measure(matcher, HELD_OUT, capsys, "held-out")
    assert intent >= HELD_OUT_FLOOR[0]
    assert both >= HELD_OUT_FLOOR[1]


NEWEST_FLOOR = (0.86, 0.84)
"""Intent, and intent + slots, on ``heldout_check12.tsv`` (380 lines from people written after
every round of tuning): 86.8% and 85.3% when added; the same 86.8% intent with the code of the
morning before two rounds of tuning, which is why it is reported apart from the others."""


def test_typed_accuracy_on_the_newest_people(matcher, capsys):
    intent, both = measure(matcher, ("heldout_check12.tsv",), capsys, "newest held-out")
    assert intent >= NEWEST_FLOOR[0]
    assert both >= NEWEST_FLOOR[1]


def test_typed_accuracy_on_the_tuning_sets(matcher, capsys):
    intent, _ = measure(matcher, TUNING, capsys, "tuning")
    assert intent >= 0.95


def answers(name):
    text = (DATA / name).read_text("utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def test_persona_answers_at_a_yes_no_question(matcher, capsys):
    """Answers written from personas after tuning (``heldout5_answers_*``, held out) and the
    tuning sets' answers: affirmations are yes, and no refusal or unsure answer is ever yes,
    as ``talk`` matches them at the purchase question."""
    heard = {name: [matcher.match(t, "yesno").intent for t in answers(name)] for name in (
        "heldout5_answers_yes.txt", "heldout5_answers_no.txt", "heldout5_answers_unsure.txt",
        "heldout7_answers_yes.txt", "heldout7_answers_no.txt", "heldout7_answers_unsure.txt",
        "heldout12_answers_yes.txt", "heldout12_answers_no.txt", "heldout12_answers_unsure.txt",
        *(f"dev{n}_answers_{kind}.txt" for n in ("", "3", "4", "5") for kind in ("no", "unsure")))}
    heard = {name.replace("dev_", "dev1_"): v for name, v in heard.items()}
    with capsys.disabled():
        for name, intents in heard.items():
            print(f"\n{name}: {intents.count('AMAZON.YesIntent')} yes, "
                  f"{intents.count('AMAZON.NoIntent')} no of {len(intents)}", end="")
        print()
    for name in ("heldout5_answers_yes.txt", "heldout7_answers_yes.txt",
                 "heldout12_answers_yes.txt"):
        yes = heard[name]
        assert yes.count("AMAZON.YesIntent") >= 0.95 * len(yes)  # measured 150, 148, 143
    for name, intents in heard.items():
        if "_yes" not in name:
            assert "AMAZON.YesIntent" not in intents, name


def test_human_affirmations_are_yes_and_refusals_never_are(capsys):
    """CLINC150's 150 yes, 150 no and 150 maybe answers, human-written. The first 100 of each
    (CLINC's train split) were looked at while tuning the vocabularies; the last 50 (val and
    test) were not, and are reported apart."""
    yes = [judge(normalize(t)) for t in answers("answers_yes.txt")]
    no = [judge(normalize(t)) for t in answers("answers_no.txt")]
    maybe = [judge(normalize(t)) for t in answers("answers_maybe.txt")]
    with capsys.disabled():
        print(f"\nyes/no judging: {yes.count('yes')}/{len(yes)} affirmations are yes; "
              f"{no.count('no')}/{len(no)} refusals are no ({no.count(None)} neither, "
              f"{no.count('yes')} yes); {maybe.count('yes')}/{len(maybe)} hedges are yes")
        for text, verdict in zip(answers("answers_yes.txt"), yes, strict=True):
            if verdict != "yes":
                print(f"  not yes: {text!r} -> {verdict}")
    untouched = yes[100:]  # CLINC's val and test lines: never looked at while tuning
    with capsys.disabled():
        print(f"  of which CLINC's val+test lines: {untouched.count('yes')}/{len(untouched)}")
    assert len(yes) == len(no) == 150
    assert yes.count("yes") >= 0.95 * len(yes)  # measured 98% (issue 11 asks 95%)
    assert "yes" not in no
    assert "yes" not in maybe


@pytest.mark.parametrize("text", ["yes", "yeah order it", "that's right", "yes please",
                                  "sounds good", "go ahead and order it", "yes it's confirmed",
                                  "yeah that's right", "yep, that's the one", "okay", "ok",
                                  "sweet as", "why not, order it"])
def test_clear_assent_is_yes(text):
    assert judge(normalize(text)) == "yes"


@pytest.mark.parametrize("text", ["absolutely not", "no no no", "don't do that",
                                  "nah I'm good", "no", "nope, don't order it", "yeah nah",
                                  "no, it's too much money", "thanks but no thanks"])
def test_clear_refusal_is_no(text):
    assert judge(normalize(text)) == "no"


@pytest.mark.parametrize("text", ["i think that's wrong", "wait", "what", "maybe",
                                  "yeah sure cookies", "yes no", "i guess", "not sure",
                                  "yeah but not now", "yes wait", "what?",
                                  "maybe later", "yes, no, wait", "is it a good deal?",
                                  "how much is it", "good question", "no, yes",
                                  "i don't know", "can't say", "nah yeah", "yes know",
                                  "it's up to you", "half of it, yes"])
def test_hedged_mixed_or_unrelated_is_never_yes(text):
    """Mixed answers ask again, regional ones too ("nah yeah" is a yes to some Australians
    and a muddle to a writer from elsewhere: asking again costs a turn, a wrong yes an
    order)."""
    assert judge(normalize(text)) != "yes"


@pytest.mark.parametrize("text", ["yes cancel", "please cancel it", "sure, cancel it",
                                  "right, cancel that", "yes cancel it", "ok stop",
                                  "yeah don't order it", "yes, never mind"])
def test_an_answer_that_cancels_is_never_yes(text, matcher):
    assert judge(normalize(text)) != "yes"
    assert matcher.match(text, "yesno").intent != "AMAZON.YesIntent"


@pytest.mark.parametrize("text,intent,slots", [
    ("buy paper towels", "BuyIntent", {"Item": "paper towels"}),
    ("get me toothbrush heads", "BuyIntent", {"Item": "toothbrush heads"}),
    ("what's on my list", "ReadCartIntent", {}),
    ("did my stuff ship yet", "OrderStatusIntent", {}),
    ("wipe my cart", "ClearCartIntent", {}),
    ("ring me up", "CheckoutIntent", {}),
    ("scratch the paper towels", "RemoveFromCartIntent", {"Item": "paper towels"}),
    ("add twenty five coffee pods", "AddToCartIntent",
     {"Item": "coffee pods", "Quantity": "twenty five"}),
    ("add half a dozen oat milk to my basket", "AddToCartIntent",
     {"Item": "oat milk", "Quantity": "half a dozen"}),
    ("add three no make that two oat milks", "AddToCartIntent",
     {"Item": "oat milks", "Quantity": "two"}),
    ("my pin's 1234", "ProvidePinIntent", {"Pin": "1234"}),
    ("will the paper towels be here soon", "OrderStatusIntent", {"Item": "paper towels"}),
    ("add eggs to my shopping list", "AddToCartIntent", {"Item": "eggs"}),
    ("what's the weather like tomorrow", "AMAZON.FallbackIntent", {}),
])
def test_phrasings_from_the_issue(matcher, text, intent, slots):
    match = matcher.match(text)
    assert (match.intent, match.slots) == (intent, slots)


def test_an_item_alone_selects_only_while_asked_which(matcher):
    assert matcher.match("the sonicare ones", "which").intent == "SelectItemIntent"
    assert matcher.match("the second one", "which").slots == {"Ordinal": "second"}
    assert matcher.match("the sonicare ones").intent != "SelectItemIntent"


@pytest.mark.parametrize("text,pin", [("uh two five eight zero", "2580"),
                                      ("um my pin is one two three four", "1234"),
                                      ("oh four oh nine", "0409"), ("7 7 0 3", "7703")])
def test_fillers_are_never_pin_digits(matcher, text, pin):
    assert matcher.match(text, "pin").slots == {"Pin": pin}


@pytest.mark.parametrize("text", ["uh two five eight", "one two three four five",
                                  "add coffee pods", "i don't remember"])
def test_while_a_pin_is_asked_nothing_else_buys(matcher, text):
    assert matcher.match(text, "pin").intent in ("AMAZON.FallbackIntent",
                                                 "AMAZON.CancelIntent", "AMAZON.HelpIntent")


def test_a_number_alone_answers_only_how_many(matcher):
    assert matcher.match("1234").intent == "AMAZON.FallbackIntent"
    assert matcher.match("three").intent == "AMAZON.FallbackIntent"
    assert matcher.match("make it three").intent == "ChangeQuantityIntent"


def test_a_number_answers_how_many(matcher):
    assert matcher.match("four", "howmany").slots == {"Quantity": "four"}
    assert matcher.match("um three i think", "howmany").intent == "ChangeQuantityIntent"
    assert matcher.match("a few", "howmany").slots == {"Quantity": "a few"}


@pytest.mark.parametrize("text,intent", [
    ("buy a box of cookies and tell me when my last order comes", "BuyIntent"),
    ("what's in my card", "ReadCartIntent"),
    ("checkout please, i'm on my break", "CheckoutIntent"),
    ("order coffee pods and paper towels please", "BuyIntent"),
    ("roll a dice", "AMAZON.FallbackIntent"),
    ("flip a coin", "AMAZON.FallbackIntent"),
    ("ring my sister", "AMAZON.FallbackIntent"),
])
def test_second_readings_only_for_the_shop(matcher, text, intent):
    """Two requests in one breath are answered by the first; a misheard shop word or a
    clause alone is read again only when the reading is one of the templates' sentences,
    and never for talk about other things."""
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize("text,intent", [
    ("hmm... yeah, okay, order it", "AMAZON.YesIntent"),
    ("yes, quick, before the baby wakes up", "AMAZON.YesIntent"),
    ("yes, the wine too", "AMAZON.FallbackIntent"),
    ("yes, but only two", "AMAZON.FallbackIntent"),
    ("yes, wait", "AMAZON.FallbackIntent"),
    ("yes, stop asking and order it", "AMAZON.NoIntent"),
    ("let me confirm and tell you", "AMAZON.FallbackIntent"),
    ("absolutely not, my dad would go spare", "AMAZON.NoIntent"),
    ("half of it, yes", "AMAZON.FallbackIntent"),
    ("no, wait, yes", "AMAZON.FallbackIntent"),
])
def test_typed_answers_are_judged_clause_by_clause(matcher, text, intent):
    assert matcher.match(text, "yesno").intent == intent


@pytest.mark.parametrize("text,expecting,intent,slots", [
    ("be a love and tell me what's in my basket", None, "ReadCartIntent", {}),
    ("do me a favour and check out", None, "CheckoutIntent", {}),
    ("i wonder if you could tell me what the dish soap costs", None, "PriceIntent",
     {"Item": "dish soap"}),
    ("cancel the order i made an hour ago", None, "CancelOrderIntent", {}),
    ("what are they charging for dish soap", None, "PriceIntent", {"Item": "dish soap"}),
    ("have the batteries shipped or not", None, "OrderStatusIntent", {"Item": "batteries"}),
    ("re-re-reorder the c-c-cat litter", None, "ReorderIntent", {"Item": "cat litter"}),
    ("s-s-stop", None, "AMAZON.StopIntent", {}),
    ("buy ate boxes of coffee pods", None, "BuyIntent", {"Item": "coffee pods",
                                                           "Quantity": "eight"}),
    ("three would be grand, cheers", "howmany", "ChangeQuantityIntent", {"Quantity": "three"}),
    ("dish soap", None, "BuyIntent", {"Item": "dish soap"}),
    ("dish soap", "which", "SelectItemIntent", {"Item": "dish soap"}),
    ("how much is a crate of mangoes", None, "PriceIntent", {"Item": "mangoes"}),
    ("get me a new garden hose", None, "BuyIntent", {"Item": "garden hose"}),
    ("reorder the paper tow, paper towels", None, "ReorderIntent", {"Item": "paper towels"}),
    ("three of the dish soap, not two", None, "ChangeQuantityIntent",
     {"Item": "dish soap", "Quantity": "three"}),
    ("kindly terminate this session", None, "AMAZON.StopIntent", {}),
    ("please erase the whole trolley", None, "ClearCartIntent", {}),
])
def test_ways_of_asking_and_saying_when(matcher, text, expecting, intent, slots):
    """A favour asked first, when it happened, a question tag, a stammer, a number a
    recognizer wrote as a word, a verb's other form, a product's name alone, the container
    of a product the shop does not sell, a false start of a name: none of them changes what
    is asked; "not two" after a number changes a quantity; a verb no template uses is read
    as the template verb of the same sense ("erase" is "delete")."""
    match = matcher.match(text, expecting)
    assert (match.intent, match.slots) == (intent, slots)


def test_a_name_alone_is_a_purchase_only_when_typed(matcher):
    """A recognizer's grammar forces noise and other talk onto the shop's names ("send a text
    to jake" heard as "philips toothbrush heads"): heard, a name alone buys nothing."""
    assert matcher.match("dish soap").intent == "BuyIntent"
    assert matcher.match("dish soap", spoken=True).intent == "AMAZON.FallbackIntent"
    assert matcher.match("buy dish soap", spoken=True).intent == "BuyIntent"
