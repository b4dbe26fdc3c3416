"""The voice loop on synthesized speech: each labelled shopper utterance of
``tests/data/utterances.tsv`` is spoken by espeak-ng (voices alternating), recognized with the
grammar, matched and answered by the skill. Baseline: the same utterance typed, through the
same matcher and skill, in the same run.

Reports per turn the time from end of speech to reply text, the recognizer's real-time factor
(compute seconds per second of audio) and the intent accuracy, spoken versus typed.
Run: ``python bench/bench_voice.py [--limit N] [--model VOSK_DIR]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.runtime import Runtime  # noqa: E402
from voice_local.audio import read_wav  # noqa: E402
from voice_local.recognition import open_recognizer  # noqa: E402
from voice_local.session import LocalConversation  # noqa: E402
from voice_local.talk import build_grammar  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VOICES = [("en-us", 160), ("en", 175), ("en-us+m3", 140)]


def labelled(limit: int | None) -> list[tuple[str, str]]:
    rows = []
    for line in (ROOT / "tests/data/utterances.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, intent = line.split("\t")[:2]
            rows.append((text, intent))
    return rows[:limit] if limit else rows


def timed_turn(conversation: LocalConversation, text: str) -> tuple[str, float]:
    """The intent of one fresh-session turn and how long matching and answering took."""
    started = time.perf_counter()
    reply = conversation.say(text)
    took = time.perf_counter() - started
    conversation.end()
    return reply.match.intent, took


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N utterances")
    parser.add_argument("--model", help="a Vosk model folder (default: as `voicecart talk`)")
    args = parser.parse_args()
    rows = labelled(args.limit)
    with tempfile.TemporaryDirectory() as folder:
        runtime = Runtime.open(f"sqlite:///{folder}/bench.db")
        runtime.seed_demo()
        recognizer = open_recognizer(build_grammar(runtime), args.model,
                                     notice=lambda line: print(f"# {line}"))
        conversation = LocalConversation(runtime, "demo")
        voice_ms, typed_ms, rtf, spoken_ok, typed_ok, misheard = [], [], [], 0, 0, []
        for number, (text, intent) in enumerate(rows):
            voice, speed = VOICES[number % len(VOICES)]
            wav = Path(folder, "turn.wav")
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
                           check=True)
            audio = read_wav(wav)
            started = time.perf_counter()  # the file is whole: speech has just ended
            heard = recognizer.transcribe(audio)
            recognized = time.perf_counter() - started
            spoken_intent, answered = timed_turn(conversation, heard or "?")
            typed_intent, typed = timed_turn(conversation, text)
            voice_ms.append(1000 * (recognized + answered))
            typed_ms.append(1000 * typed)
            rtf.append(recognized / (len(audio) / 2 / 16_000))
            spoken_ok += spoken_intent == intent
            typed_ok += typed_intent == intent
            if spoken_intent != intent:
                misheard.append(f"{text!r} ({voice}) heard {heard!r} -> {spoken_intent}")
    n = len(rows)
    print(f"recognizer: {recognizer.name}; {n} utterances, voices "
          + ", ".join(f"{v} {s} wpm" for v, s in VOICES))
    print(f"end of speech -> reply: p50 {statistics.median(voice_ms):.1f} ms, "
          f"p95 {percentile(voice_ms, 0.95):.1f} ms")
    print(f"typed turn (baseline):  p50 {statistics.median(typed_ms):.1f} ms, "
          f"p95 {percentile(typed_ms, 0.95):.1f} ms")
    ratio = statistics.median(voice_ms) / statistics.median(typed_ms)
    print(f"ratio spoken/typed p50: {ratio:.1f}x")
    print(f"recognition real-time factor: median {statistics.median(rtf):.3f}, "
          f"max {max(rtf):.3f}")
    print(f"intent accuracy: spoken {spoken_ok}/{n} = {100 * spoken_ok / n:.1f}%, "
          f"typed {typed_ok}/{n} = {100 * typed_ok / n:.1f}%")
    for line in misheard[:15]:
        print(f"  missed: {line}")


if __name__ == "__main__":
    main()
