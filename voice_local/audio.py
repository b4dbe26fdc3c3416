"""Audio in: WAV files and the microphone as 16 kHz mono 16-bit PCM, cut into utterances.

End of speech is found by PocketSphinx's ``Endpointer`` (WebRTC-style voice activity
detection), so the microphone loop needs no key press; the same cutter runs over files.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16_000
"""What both recognizers and the endpointer expect."""


class AudioError(Exception):
    """Audio that cannot be used, said in one line for the shopper or developer."""


def read_wav(path: Path) -> bytes:
    """An audio file (WAV, or anything libsndfile reads) as 16 kHz mono int16 PCM: other
    rates are resampled, channels mixed."""
    import soundfile

    if not Path(path).is_file():
        raise AudioError(f"{path}: no such file")
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError) as error:
        raise AudioError(f"{path}: not a readable audio file ({error})") from None
    if samples.size == 0:
        raise AudioError(f"{path}: the file holds no audio")
    mono = samples.mean(axis=1)
    if rate != RATE:
        mono = _resample(mono, rate)
    return (np.clip(mono, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    import soxr  # libsoxr's band-limited resampler

    if rate < 8_000:
        raise AudioError(f"a sample rate of {rate} Hz is too low for speech")
    return soxr.resample(samples.astype(np.float32), rate, RATE)


@dataclass
class Utterance:
    """One stretch of speech as the endpointer cut it."""

    audio: bytes
    ended_at: float
    """``time.perf_counter()`` when end of speech was detected (for latency)."""

    @property
    def seconds(self) -> float:
        """Length of the speech."""
        return len(self.audio) / 2 / RATE


def cut_utterances(frames: Iterable[bytes], clock: Callable[[], float]) -> Iterator[Utterance]:
    """Speech stretches from a stream of raw frames, each yielded when its speech ends."""
    from pocketsphinx import Endpointer

    endpointer = Endpointer(sample_rate=RATE)
    size = endpointer.frame_bytes
    pending = b""
    speech: list[bytes] = []
    for chunk in frames:
        pending += chunk
        while len(pending) >= size:
            frame, pending = pending[:size], pending[size:]
            out = endpointer.process(frame)
            if out is not None:
                speech.append(out)
                if not endpointer.in_speech:  # this frame closed the stretch of speech
                    yield Utterance(b"".join(speech), clock())
                    speech = []
    if endpointer.in_speech:
        tail = endpointer.end_stream(pending)
        if tail is not None:
            speech.append(tail)
    if speech:
        yield Utterance(b"".join(speech), clock())


def wav_frames(audio: bytes, frame_bytes: int = 960) -> Iterator[bytes]:
    """PCM in the pieces a microphone delivers (30 ms by default)."""
    for start in range(0, len(audio), frame_bytes):
        yield audio[start:start + frame_bytes]


class Microphone:
    """The default input device through sounddevice, as a stream of 30 ms frames."""

    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice
        except OSError as error:  # the PortAudio library itself is missing
            raise AudioError(f"No audio system: {error}. On Debian: apt-get install "
                             "libportaudio2") from None
        try:
            sounddevice.check_input_settings(device=device, channels=1, dtype="int16",
                                             samplerate=RATE)
        except (sounddevice.PortAudioError, ValueError) as error:
            raise AudioError("No microphone found (" + str(error).strip() + "). Use --wav "
                             "FILE... or --text instead.") from None
        self._sounddevice = sounddevice
        self._device = device
        self._frames: queue.Queue[bytes] = queue.Queue()
        self._listening = threading.Event()
        self._listening.set()

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """Hear nothing inside: the skill's own reply must not become the next turn."""
        self._listening.clear()
        try:
            yield
        finally:
            while not self._frames.empty():
                self._frames.get_nowait()
            self._listening.set()

    def frames(self, stop: threading.Event | None = None) -> Iterator[bytes]:
        """Frames until ``stop`` is set (or forever)."""
        def collect(data: bytes, _count: int, _time: object, _status: object) -> None:
            if self._listening.is_set():
                self._frames.put(bytes(data))

        with self._sounddevice.RawInputStream(samplerate=RATE, channels=1, dtype="int16",
                                              blocksize=RATE * 30 // 1000,
                                              device=self._device, callback=collect):
            while stop is None or not stop.is_set():
                try:
                    yield self._frames.get(timeout=0.1)
                except queue.Empty:
                    continue
