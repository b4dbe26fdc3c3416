"""Replies spoken with pyttsx3 (espeak-ng on Linux, the platform's voice elsewhere).

Each reply is synthesized to a WAV file and then played with sounddevice, rather than with
pyttsx3's ``say``: the file is what ``--save-replies`` keeps, and on Linux pyttsx3 would
play through ``aplay``, which fails silently without a sound card. pyttsx3 2.99 keeps only
the last of several queued ``save_to_file`` calls, so each file gets its own ``runAndWait``.

Waiting for the file is deterministic. pyttsx3's espeak driver synthesizes asynchronously:
``runAndWait`` returns while espeak-ng's own thread is still producing the audio, and its
callback writes the file later. Worse, the next ``runAndWait`` asks espeak whether it is still
busy and, if it is (the thread finishing the previous reply), cancels the synthesis it is
about to start, so that reply never gets a file. So with the espeak driver each synthesis
starts only once espeak is idle, and ends only when espeak is idle again: by then the file is
complete or will never come, and a synthesis that wrote nothing is run once more. Every
synthesis writes a fresh temporary name beside the target and the complete file is then
moved into place, so a reused path never holds a half-written or stale file. With other
drivers the file is awaited until it is a complete WAV.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import uuid
import wave
from pathlib import Path

WRITE_TIMEOUT = 30.0
"""Seconds to wait for the synthesizer (long replies on a slow machine)."""
ATTEMPTS = 2
"""A synthesis that wrote no audio is run once more."""


class SpeechError(Exception):
    """Speech output that failed, in one line."""


class Speaker:
    """Synthesizes replies to WAV files and, when asked, plays them."""

    def __init__(self, rate: int | None = None, voice: str | None = None) -> None:
        import pyttsx3

        try:
            self.engine = pyttsx3.init()
        except (RuntimeError, OSError, ImportError) as error:
            raise SpeechError(f"No speech synthesizer: {error}. On Debian: apt-get install "
                              "espeak-ng") from None
        if rate:
            self.engine.setProperty("rate", rate)
        if voice:
            self.engine.setProperty("voice", voice)
        self._cannot_play: str | None = None

    def synthesize(self, text: str, path: Path) -> Path:
        """``text`` spoken into the WAV file ``path`` (its folder must exist)."""
        path = path.resolve()
        for _ in range(ATTEMPTS):
            fresh = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.wav")
            try:
                if self._synthesize_once(text, fresh):
                    os.replace(fresh, path)
                    return path
            finally:
                fresh.unlink(missing_ok=True)
        raise SpeechError(f"The speech synthesizer wrote no audio to {path}")

    def _synthesize_once(self, text: str, target: Path) -> bool:
        """Whether one synthesis of ``text`` left a complete WAV file at ``target``."""
        espeak = _espeak_driver(self.engine)
        with contextlib.redirect_stdout(io.StringIO()):  # the espeak driver prints "saved"
            if espeak is not None:
                _settle(espeak)
            self.engine.save_to_file(text, str(target))
            self.engine.runAndWait()
            if espeak is not None:
                _settle(espeak)  # the callback has written the file, or never will
                return _complete_wav(target)
            deadline = time.monotonic() + WRITE_TIMEOUT
            while not _complete_wav(target):
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)
        return True

    def say(self, text: str, keep: Path | None = None) -> str | None:
        """Speak ``text`` aloud (keeping the audio in ``keep`` if given); the reason, once,
        when there is no way to play sound."""
        if self._cannot_play:
            if keep is not None:
                self.synthesize(text, keep)
            return None
        with tempfile.TemporaryDirectory() as folder:
            path = self.synthesize(text, keep or Path(folder, "reply.wav"))
            try:
                play(path)
            except SpeechError as error:
                self._cannot_play = str(error)
                return self._cannot_play
        return None


def _espeak_driver(engine: object) -> object | None:
    """pyttsx3's espeak driver behind ``engine``, or None for any other driver."""
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    if type(driver).__module__ != "pyttsx3.drivers.espeak" or not hasattr(driver, "_stopping"):
        return None
    return driver


def _settle(driver: object) -> None:
    """Wait until espeak-ng has no synthesis running or queued (its callback included), and
    clear the driver's stop request, which would otherwise cancel the next synthesis."""
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + WRITE_TIMEOUT
    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise SpeechError("The speech synthesizer did not finish")
        time.sleep(0.005)
    driver._stopping = False  # type: ignore[attr-defined]


def _complete_wav(path: Path) -> bool:
    """A WAV file whose header is written and whose frames are all there."""
    try:
        with wave.open(str(path), "rb") as wav:
            expected = wav.getnframes() * wav.getsampwidth() * wav.getnchannels()
            return expected > 0 and len(wav.readframes(wav.getnframes())) == expected
    except (OSError, EOFError, wave.Error):
        return False


def play(path: Path) -> None:
    """Play a WAV file on the default output device and wait until it ends."""
    import numpy as np

    try:
        import sounddevice
    except OSError as error:
        raise SpeechError(f"Replies cannot be played: {error}") from None
    with wave.open(str(path), "rb") as wav:
        rate, width = wav.getframerate(), wav.getsampwidth()
        frames = wav.readframes(wav.getnframes())
    if width != 2:
        raise SpeechError(f"{path}: expected 16-bit audio from the synthesizer")
    try:
        sounddevice.play(np.frombuffer(frames, "<i2"), rate, blocking=True)
    except (sounddevice.PortAudioError, ValueError) as error:
        raise SpeechError(f"Replies cannot be played: no audio output ({error})") from None
