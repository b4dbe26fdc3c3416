"""Replies spoken with pyttsx3 (espeak-ng on Linux, the platform's voice elsewhere).

Each reply is synthesized to a WAV file and then played with sounddevice, rather than with
pyttsx3's ``say``: the file is what ``--save-replies`` keeps, and on Linux pyttsx3 would
play through ``aplay``, which fails silently without a sound card. pyttsx3 2.99 keeps only
the last of several queued ``save_to_file`` calls, so each file gets its own ``runAndWait``;
and its espeak driver may return from ``runAndWait`` before its callback has written the file,
so the file is awaited until it is a complete WAV.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import wave
from pathlib import Path

WRITE_TIMEOUT = 30.0
"""Seconds to wait for the synthesizer's file (long replies on a slow machine)."""


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
        path.unlink(missing_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):  # the espeak driver prints "saved"
            self.engine.save_to_file(text, str(path))
            self.engine.runAndWait()
            deadline = time.monotonic() + WRITE_TIMEOUT
            while not _complete_wav(path):
                if time.monotonic() > deadline:
                    raise SpeechError(f"The speech synthesizer wrote no audio to {path}")
                time.sleep(0.02)
        return path

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
