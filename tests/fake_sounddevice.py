"""A virtual microphone: a stand-in for the ``sounddevice`` module whose input stream plays
recordings into the callback, as PortAudio would from a sound card, then silence."""

import threading
import time


class PortAudioError(Exception):
    pass


class VirtualInput:
    """Each stream opened plays the next recording, then silence until it is closed."""

    def __init__(self, recordings: list[bytes], speed: float = 8.0) -> None:
        self.recordings = list(recordings)
        self.speed = speed  # faster than real time, to keep tests short
        self.played = threading.Event()
        self.opened = 0

    # the parts of sounddevice's API that voice_local uses
    PortAudioError = PortAudioError

    def check_input_settings(self, **_settings) -> None:
        return None

    def RawInputStream(self, *, samplerate, blocksize, callback, **_settings):  # noqa: N802
        return _Stream(self, samplerate, blocksize, callback)


class _Stream:
    def __init__(self, device: VirtualInput, rate: int, block: int, callback) -> None:
        self.device, self.rate, self.block, self.callback = device, rate, block, callback
        self.closed = threading.Event()

    def __enter__(self):
        self.device.opened += 1
        audio = self.device.recordings.pop(0) if self.device.recordings else b""
        self.thread = threading.Thread(target=self._run, args=(audio,), daemon=True)
        self.thread.start()
        return self

    def _run(self, audio: bytes) -> None:
        size = self.block * 2
        pause = self.block / self.rate / self.device.speed
        offset = 0
        while not self.closed.is_set():
            chunk = audio[offset:offset + size]
            offset += size
            if len(chunk) < size:
                if offset - size <= len(audio) < offset:
                    self.device.played.set()
                chunk = chunk.ljust(size, b"\0")
            self.callback(chunk, self.block, None, None)
            time.sleep(pause)

    def __exit__(self, *_exc) -> None:
        self.closed.set()
        self.thread.join()
