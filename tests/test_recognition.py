"""The recognizer's grammar and its reject path: speech outside the domain is heard as
nothing rather than forced onto a command; fillers are never digits; every catalog word can
be heard; the grammar stays small and quick to build as the phrasings grow."""

import subprocess
import time

import pytest

from skill.interaction_model import load_model
from skill.spoken_numbers import parse_pin
from tests.test_voice_loop import speak
from voice_local.audio import read_wav
from voice_local.grammar import RISKY, Grammar
from voice_local.recognition import GARBAGE, SphinxRecognizer, checked
from voice_local.session import LocalConversation
from voice_local.talk import build_grammar
from voice_local.word_graph import build

VOICES = [("en-us", 160), ("en-us+f3", 160), ("en-gb-x-rp", 130)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from skill.runtime import Runtime

    folder = tmp_path_factory.mktemp("recognition")
    runtime = Runtime.open(f"sqlite:///{folder}/voicecart.db")
    runtime.seed_demo()
    return runtime, SphinxRecognizer(build_grammar(runtime)), folder


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
    ("i wonder what time it is", "pin"),
])
def test_speech_outside_the_domain_is_never_a_yes_a_pin_or_a_purchase(demo, text, expecting):
    runtime, _, _ = demo
    matcher = LocalConversation(runtime, "demo").matcher
    for voice, speed in VOICES:
        heard = hear(demo, text, expecting, voice, speed)
        intent = matcher.match(heard, expecting=expecting).intent if heard else "(nothing)"
        assert intent not in RISKY, (text, voice, heard, intent)


def test_a_pin_with_a_filler_is_the_digits_said(demo):
    for voice, speed in VOICES:
        heard = hear(demo, "uh, two five eight zero", "pin", voice, speed)
        assert parse_pin(heard) in ("2580", None), (voice, heard)  # never 0258
        assert "uh" not in heard.split()
    assert parse_pin(hear(demo, "um one two three four", "pin")) == "1234"


def test_only_four_digits_are_a_pin():
    fillers = {"uh", "um"}
    assert checked("one two three four", "pin", fillers) == "one two three four"
    assert checked("uh one two um three four", "pin", fillers) == "one two three four"
    assert checked("one two three", "pin", fillers) == ""
    assert checked("one two three four five", "pin", fillers) == ""
    assert checked("cancel", "pin", fillers) == "cancel"
    assert checked(f"{GARBAGE}tell {GARBAGE}me", None, fillers) == ""  # the garbage path
    assert checked("reorder [unk]", None, fillers) == ""  # Vosk's off-grammar word


def test_every_catalog_item_can_be_heard(demo):
    _, recognizer, _ = demo
    assert recognizer.unknown_words == set()
    assert recognizer.decoder.lookup_word("sonicare")  # espeak-ng's pronunciation
    heard = {hear(demo, "reorder sonicare toothbrush heads", None, v, s) for v, s in VOICES}
    assert any("sonicare toothbrush heads" in h for h in heard), heard


def test_a_yes_no_question_hears_answers_and_refusals(demo):
    for text, expected in [("yes", "yes"), ("no", "no"), ("nope nope", "nope nope")]:
        assert hear(demo, text, "yesno") == expected


def test_the_word_graph_is_factored_and_small(demo):
    runtime, recognizer, _ = demo
    grammar = recognizer._grammar
    graph = build(grammar, None)
    item_words = [w for phrase in grammar.rules["item"] for w in phrase.split()]
    copies = sum(a[3] == "sonicare" for a in graph.arcs)
    assert 0 < copies <= 30  # one item list per intent and a few inline uses, not per sample
    assert len(graph.arcs) < 25 * len(item_words) + 15_000
    assert not any(a[3] in ("zero", "oh") for a in graph.arcs)  # no PIN unless asked for
    pin = build(grammar, "pin")
    assert {"zero", "oh", "cancel"} <= pin.words() and "reorder" not in pin.words()


def test_two_thousand_samples_build_quickly():
    """The model's samples alone (no templates): thousands of them stay a small graph."""
    model = load_model("en-US")
    samples = sum(len(i.get("samples", [])) for i in model["interactionModel"][
        "languageModel"]["intents"])
    grammar = Grammar.build(model, ["coffee pods", "dish soap", "oat milk"] * 20)
    started = time.perf_counter()
    graph = build(grammar, None)
    took = time.perf_counter() - started
    print(f"{samples} samples -> {graph.states} states, {len(graph.arcs)} arcs in "
          f"{1000 * took:.0f} ms")
    assert samples > 1000 and len(graph.arcs) < 10 * samples


def test_espeak_is_there():
    assert subprocess.run(["espeak-ng", "--version"], capture_output=True).returncode == 0
