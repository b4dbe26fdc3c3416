"""The recognizer's reject path: speech outside the domain is heard as nothing rather than
forced onto a command; fillers are never digits; every catalog word can be heard; a turn is
heard the same whatever came before it."""

import csv
from pathlib import Path

import pytest

from skill.spoken_numbers import parse_pin
from tests.test_voice_loop import speak
from voice_local.audio import read_wav
from voice_local.grammar import RISKY, Grammar
from voice_local.recognition import SphinxRecognizer, checked
from voice_local.session import LocalConversation
from voice_local.talk import build_grammar, speech_model

ROOT = Path(__file__).resolve().parent.parent
VOICES = [("en-us", 160), ("en-us+f3", 160), ("en-gb-x-rp", 130)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from skill.runtime import Runtime

    folder = tmp_path_factory.mktemp("recognition")
    runtime = Runtime.open(f"sqlite:///{folder}/voicecart.db")
    runtime.seed_demo()
    matcher = LocalConversation(runtime, "demo").matcher
    # As the loop builds it: the trigram model for requests, the typed matcher to check it.
    return runtime, SphinxRecognizer(build_grammar(runtime), understand=lambda text, e: (
        matcher.match(text, expecting=e).intent)), folder


def hear(demo, text: str, expecting: str | None = None, voice: str = "en-us",
         speed: int = 160) -> str:
    _, recognizer, folder = demo
    path = folder / f"{abs(hash((text, voice, speed)))}.wav"
    if not path.exists():
        speak(text, path, voice, speed)
    return recognizer.transcribe(read_wav(path), expecting)


@pytest.mark.parametrize(("text", "expecting"), [
    ("no no no", "yesno"),
    ("will the paper towels be here soon", None),
    ("tell me a joke", None),
    ("what's the weather like tomorrow", "yesno"),
    ("play some music in the kitchen", None),
])
def test_speech_outside_the_domain_is_never_a_yes_a_pin_or_a_purchase(demo, text, expecting):
    runtime, _, _ = demo
    matcher = LocalConversation(runtime, "demo").matcher
    for voice, speed in VOICES:
        heard = hear(demo, text, expecting, voice, speed)
        intent = matcher.match(heard, expecting=expecting).intent if heard else "(nothing)"
        assert intent not in RISKY, (text, voice, heard, intent)


def test_a_request_the_grammar_cannot_hear_is_heard_by_the_trigram_model(demo):
    """The grammar heard nothing here (it has "what can i buy", not "... here"); the trigram
    model hears pieces enough for the matcher."""
    runtime, _, _ = demo
    matcher = LocalConversation(runtime, "demo").matcher
    heard = hear(demo, "what can i buy here", None, "en-us+f3", 160)
    assert matcher.match(heard).intent == "BrowseCatalogIntent", heard


def test_a_hesitation_is_never_a_digit_and_no_pin(demo):
    for voice, speed in VOICES:
        heard = hear(demo, "uh, two five eight zero", "pin", voice, speed)
        assert parse_pin(heard) is None, (voice, heard)  # neither 0258 nor a guess: again
    assert parse_pin(hear(demo, "one two three four", "pin")) == "1234"


def test_only_four_digits_without_hesitation_are_a_pin():
    fillers = frozenset({"uh", "um"})
    assert checked("one two three four", "pin", fillers) == "one two three four"
    assert checked("uh one two three four", "pin", fillers) == ""
    assert checked("one two three", "pin", fillers) == ""
    assert checked("one two three four five", "pin", fillers) == ""
    assert checked("um cancel", "pin", fillers) == "cancel"
    assert checked("oh two five nine", "pin", fillers) == ""  # "uh" heard as "oh"
    assert checked("two oh five nine", "pin", fillers) == "two oh five nine"
    assert checked("uh reorder coffee pods", None, fillers) == "reorder coffee pods"
    assert checked("~tell ~me", None, fillers) == ""  # the garbage path
    assert checked("reorder [unk]", None, fillers) == ""  # Vosk's off-grammar word


@pytest.mark.parametrize("catalog", ["skill/data/demo_catalog.csv",
                                     "tests/data/hardware_catalog.csv"])
def test_every_catalog_item_can_be_heard(catalog):
    with open(ROOT / catalog, encoding="utf-8") as file:
        names = [n for row in csv.DictReader(file)
                 for n in [row["name"], *row["synonyms"].split("|")] if n]
    recognizer = SphinxRecognizer(Grammar.build(speech_model(), names))
    assert recognizer.unknown_words == set()


def test_words_the_dictionary_lacks_are_heard(demo):
    _, recognizer, _ = demo
    assert recognizer.decoder.lookup_word("sonicare")  # espeak-ng's pronunciation
    heard = [hear(demo, "reorder sonicare toothbrush heads", None, v, s) for v, s in VOICES]
    assert sum(h == "reorder sonicare toothbrush heads" for h in heard) >= 2, heard


def test_a_yes_no_question_hears_answers_and_refusals(demo):
    runtime, _, _ = demo
    matcher = LocalConversation(runtime, "demo").matcher
    for text, intent in [("yes", "AMAZON.YesIntent"), ("no", "AMAZON.NoIntent"),
                         ("nope nope", "AMAZON.NoIntent"), ("no thanks", "AMAZON.NoIntent")]:
        heard = hear(demo, text, "yesno")
        assert matcher.match(heard, expecting="yesno").intent == intent, (text, heard)


def test_a_turn_is_heard_the_same_whatever_came_before(demo):
    pin = hear(demo, "one two three four", "pin")
    hear(demo, "yes", "yesno")
    hear(demo, "reorder coffee pods")
    assert hear(demo, "one two three four", "pin") == pin == "one two three four"
