"""The local voice loop: turns from typed text, WAV files or the microphone, through the
skill in-process, replies printed and optionally spoken and saved."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from skill import speech
from skill.catalog import list_items
from skill.interaction_model import language_model, load_model
from skill.runtime import Runtime
from voice_local.audio import AudioError, Microphone, Utterance, cut_utterances, read_wav
from voice_local.grammar import Grammar
from voice_local.recognition import Recognizer
from voice_local.session import LocalConversation, Reply
from voice_local.speaker import Speaker


@dataclass
class Heard:
    """One turn's words, and for speech how long recognizing them took."""

    text: str
    audio_seconds: float = 0.0
    ended_at: float | None = None
    """``time.perf_counter()`` at end of speech (None for typed text)."""
    recognize_seconds: float = 0.0


@dataclass
class TurnRecord:
    """What the loop did with one turn (used by the tests and the benchmark)."""

    heard: Heard
    reply: Reply | None
    reply_seconds: float | None
    """End of speech to reply text (None for typed turns and turns heard as nothing)."""


def speech_model(locale: str = "en-US") -> dict:
    """The interaction model with each intent's samples replaced by the recognizer's own
    short list (``voice_local/data/speech_sentences.json``): a grammar recognizer hears best
    among a few hundred plain sentences; the typed matcher still knows every phrasing."""
    model = load_model(locale)
    sentences = json.loads(resources.files("voice_local").joinpath(
        "data/speech_sentences.json").read_text("utf-8"))
    for intent in language_model(model)["intents"]:
        intent["samples"] = sentences.get(intent["name"], [])
    return model


MASK = "****"
NUMBER_WORDS = frozenset(
    "zero oh o one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
    "seventy eighty ninety hundred thousand double triple".split())
"""Words a PIN can be said with: hidden in the transcript while a PIN is in play."""


def masked(text: str) -> str:
    """``text`` with each run of digits or number words as ``****``."""
    words: list[str] = []
    for word in text.split():
        if any(c.isdigit() for c in word) or re.sub(r"[^a-z]", "", word.lower()) in NUMBER_WORDS:
            if not words or words[-1] != MASK:
                words.append(MASK)
        else:
            words.append(word)
    return " ".join(words)


def build_grammar(runtime: Runtime, locale: str = "en-US") -> Grammar:
    """The recognizer's grammar for this runtime's catalog."""
    with runtime.transaction() as session:
        names = [n for item in list_items(session, reorderable_only=True)
                 for n in item.spoken_names]
    return Grammar.build(speech_model(locale), names)


def text_turns(lines: Iterable[str]) -> Iterator[Heard]:
    """Typed turns: one per non-empty line."""
    for line in lines:
        if line.strip():
            yield Heard(line.strip())


Expecting = Callable[[], "str | None"]
"""What the skill waits for now (``LocalConversation.expecting``), asked as each turn is
recognized, after the previous reply."""


def recognize(recognizer: Recognizer, utterance: Utterance,
              expecting: Expecting = lambda: None) -> Heard:
    """One utterance's words, timed."""
    started = time.perf_counter()
    text = recognizer.transcribe(utterance.audio, expecting())
    return Heard(text, utterance.seconds, utterance.ended_at, time.perf_counter() - started)


def wav_turns(audio: list[bytes], recognizer: Recognizer,
              expecting: Expecting = lambda: None) -> Iterator[Heard]:
    """Each file one turn (already read and checked, so a bad file stops nothing midway)."""
    for pcm in audio:
        yield recognize(recognizer, Utterance(pcm, time.perf_counter()), expecting)


def read_wavs(paths: list[Path]) -> list[bytes]:
    """Every file read before the dialog starts; every unreadable one reported at once."""
    audio, problems = [], []
    for path in paths:
        try:
            audio.append(read_wav(path))
        except AudioError as error:
            problems.append(str(error))
    if problems:
        raise AudioError("; ".join(problems))
    return audio


def stream_turns(frames: Iterable[bytes], recognizer: Recognizer,
                 expecting: Expecting = lambda: None) -> Iterator[Heard]:
    """Turns cut from a live stream at each end of speech."""
    for utterance in cut_utterances(frames, time.perf_counter):
        yield recognize(recognizer, utterance, expecting)


def push_to_talk_turns(microphone: Microphone, recognizer: Recognizer,
                       wait: Callable[[str], object],
                       expecting: Expecting = lambda: None) -> Iterator[Heard]:
    """Press Enter to start speaking and Enter again to stop."""
    while True:
        if wait("[Enter] to speak, Ctrl-D to quit") is None:
            return
        stop = threading.Event()
        chunks: list[bytes] = []
        recorder = threading.Thread(target=_record, args=(microphone, stop, chunks))
        recorder.start()
        answer = wait("listening... [Enter] to stop")
        stop.set()
        recorder.join()
        yield recognize(recognizer, Utterance(b"".join(chunks), time.perf_counter()),
                        expecting)
        if answer is None:
            return


def _record(microphone: Microphone, stop: threading.Event, chunks: list[bytes]) -> None:
    chunks.extend(microphone.frames(stop))


def _shown(text: str, secret: bool) -> str:
    """What the transcript prints of a heard text or slot value: never a PIN (the answer to
    the PIN question, a PIN slot, or three digits said anywhere are masked)."""
    return masked(text) if secret or speech.may_be_pin(text) else text


def run_dialog(conversation: LocalConversation, turns: Iterable[Heard],
               echo: Callable[[str], None], speaker: Speaker | None = None, *,
               aloud: bool = False, save_dir: Path | None = None,
               while_answering: Callable[[], AbstractContextManager] = nullcontext,
               ) -> list[TurnRecord]:
    """Open the skill, run every turn until the session ends, close it if still open.

    With a ``speaker``, replies are spoken when ``aloud`` and written to ``save_dir``.
    ``while_answering`` wraps each reply (the microphone mutes itself there).
    """
    records: list[TurnRecord] = []
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)

    def answer(reply: Reply, number: int) -> None:
        echo(f"voicecart: {reply.speech}")
        if speaker is None:
            return
        keep = save_dir / f"reply-{number:02d}.wav" if save_dir is not None else None
        with while_answering():
            if not aloud:
                if keep is not None:
                    speaker.synthesize(reply.speech, keep)
                return
            problem = speaker.say(reply.speech, keep)  # synthesized once, kept and played
            if problem:
                echo(f"({problem}; replies are shown, not spoken)")

    answer(conversation.launch(), 0)
    for heard in turns:
        if not heard.text:
            echo("heard: (nothing) - please say that again")
            records.append(TurnRecord(heard, None, None))
            continue
        pin_asked = conversation.expecting() == "pin"
        reply = conversation.say(heard.text, spoken=heard.ended_at is not None)
        took = time.perf_counter() - heard.ended_at if heard.ended_at is not None else None
        match = reply.match
        # A PIN is never printed: not what was said while one was asked for, nor anything
        # the matcher took for one.
        secret = pin_asked or match is not None and (
            match.intent == "ProvidePinIntent" or any(k.lower() == "pin" for k in match.slots))
        slots = ", ".join(f"{k}={_shown(repr(v), secret)}"
                          for k, v in match.slots.items()) if match else ""
        echo(f"heard: {_shown(reply.heard, secret)}")
        echo(f"intent: {match.intent if match else '-'}" + (f" ({slots})" if slots else ""))
        records.append(TurnRecord(heard, reply, took))
        answer(reply, len(records))
        if reply.ended:
            return records
    conversation.end()
    return records
