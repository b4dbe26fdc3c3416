"""Spoken accuracy: labelled utterances spoken by espeak-ng, heard by the recognizer, matched.

Each row (text, context, intent, slots) is spoken in one cell of a grid of voices x speeds x
{clean, noise at 15 dB SNR}, round-robin, so a pass over a few hundred rows stays short; rows
that must never become a purchase (No, Fallback) are spoken in more cells. The recognizer is
told what the context waits for (``expecting``), as the loop tells it; the matcher gets the
same context. Reported: intent accuracy spoken (overall and per condition) and typed, and every
false accept: a row that is no yes, PIN or purchase heard as one.

Rows come from the labelled sets of ``tests/labelled.py`` (``text, context, intent, slots``)
and from answer lists (one answer to a yes/no question per line, all of one intent).

Run: ``python -m voice_local.evaluation [FILE...] [--workers 2] [--limit N]``.
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voice_local.audio import read_wav
from voice_local.grammar import RISKY
from voice_local.recognition import Recognizer

VOICES = ("en-us", "en", "en-us+m3", "en-us+f3", "en-gb-x-rp")
SPEEDS = (130, 160, 190)
SNR_DB = 15.0
CONTEXTS = ("yesno", "which", "howmany", "pin")
"""What an open question waits for; ``-`` in a TSV is no open question."""
CAREFUL = frozenset({"AMAZON.NoIntent", "AMAZON.FallbackIntent"})
"""Rows spoken in extra cells: the likeliest to be forced onto a yes."""
EXTRA_CELLS = 2
REJECTED = "AMAZON.FallbackIntent"
"""What speech heard as nothing amounts to: the loop asks again, as for Fallback."""


@dataclass(frozen=True)
class Row:
    """One labelled utterance."""

    text: str
    context: str | None
    """``yesno``, ``which``, ``howmany``, ``pin`` or None (no open question)."""
    intent: str
    slots: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Cell:
    """One speaking condition."""

    voice: str
    speed: int
    noisy: bool

    def __str__(self) -> str:
        return f"{self.voice} {self.speed} wpm {'noisy' if self.noisy else 'clean'}"


GRID = tuple(Cell(v, s, n) for n in (False, True) for s in SPEEDS for v in VOICES)
"""30 cells; row ``i`` is spoken in ``GRID[i % 30]``."""


def read_rows(path: Path) -> list[Row]:
    """Rows of a labelled TSV (``text, context, intent, slots``; ``-`` for none)."""
    rows = []
    for line in Path(path).read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, context, intent, slots = line.split("\t")
        pairs = dict(p.split("=", 1) for p in slots.split(";")) if slots != "-" else {}
        rows.append(Row(text, None if context == "-" else context, intent, pairs))
    return rows


def read_answers(path: Path, intent: str) -> list[Row]:
    """Answers to a yes/no question, one per line, all meaning ``intent``."""
    return [Row(line.strip(), "yesno", intent)
            for line in Path(path).read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


HELDOUT = ("heldout.tsv", "heldout_clinc.tsv", "heldout_fresh.tsv")
HELDOUT_ANSWERS = (("answers_no.txt", "AMAZON.NoIntent"),
                   ("answers_maybe.txt", "AMAZON.FallbackIntent"))


def heldout_rows(data: Path) -> list[Row]:
    """The held-out sets (``tests/data``), the refusals and hedged answers included."""
    return [*(r for name in HELDOUT for r in read_rows(data / name)),
            *(r for name, intent in HELDOUT_ANSWERS for r in read_answers(data / name, intent))]


def sample(rows: list[Row], size: int) -> list[Row]:
    """``size`` rows spread evenly over ``rows`` (deterministic)."""
    if size >= len(rows):
        return rows
    return [rows[i * len(rows) // size] for i in range(size)]


def cells_for(index: int, row: Row, every_cell: bool = False) -> list[Cell]:
    """The cells row ``index`` is spoken in: one, or more for rows that must not be a yes
    (``every_cell``: all of them, the row's own first)."""
    if every_cell:
        return [GRID[(index + k) % len(GRID)] for k in range(len(GRID))]
    count = 1 + (EXTRA_CELLS if row.intent in CAREFUL else 0)
    step = len(GRID) // count
    return [GRID[(index + k * step) % len(GRID)] for k in range(count)]


# --- audio ------------------------------------------------------------------------------------

def synthesize(text: str, voice: str, speed: int, cache: Path) -> Path:
    """``text`` spoken by espeak-ng, cached by (text, voice, speed)."""
    key = hashlib.sha1(f"{voice}\0{speed}\0{text}".encode()).hexdigest()[:20]
    path = cache / f"{key}.wav"
    if not path.exists():
        partial = path.with_suffix(".part.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(partial), text],
                       check=True, capture_output=True)
        partial.replace(path)
    return path


def with_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """White noise mixed in at ``snr_db`` below the speech's power (deterministic per seed)."""
    speech = np.frombuffer(pcm, "<i2").astype(np.float64)
    loud = speech[np.abs(speech) > 0.05 * max(1.0, np.abs(speech).max())]
    power = float(np.mean(loud ** 2)) if loud.size else 1.0
    noise = np.random.default_rng(seed).normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)),
                                               speech.size)
    return np.clip(speech + noise, -32768, 32767).astype("<i2").tobytes()


def spoken_audio(text: str, cell: Cell, cache: Path) -> bytes:
    """The 16 kHz PCM of ``text`` in ``cell``'s condition."""
    pcm = read_wav(synthesize(text, cell.voice, cell.speed, cache))
    if cell.noisy:
        pcm = with_noise(pcm, SNR_DB, zlib.crc32(f"{cell}\0{text}".encode()))
    return pcm


# --- recognition, in worker processes ---------------------------------------------------------

_worker: Recognizer | None = None


def _start_worker(factory: Callable[[], Recognizer]) -> None:
    global _worker
    _worker = factory()


def _hear(job: tuple[str, Cell, str | None, str]) -> tuple[str, float, float]:
    text, cell, expecting, cache = job
    audio = spoken_audio(text, cell, Path(cache))
    assert _worker is not None
    started = time.perf_counter()
    heard = _worker.transcribe(audio, expecting)
    return heard, time.perf_counter() - started, len(audio) / 32000


# --- the report -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One row spoken in one cell."""

    row: Row
    cell: Cell
    heard: str
    spoken: str
    """The intent matched from what was heard."""
    typed: str
    """The intent matched from the row's text."""
    seconds: float
    """Recognition time."""
    audio_seconds: float
    primary: bool
    """The row's own cell (extra cells count for false accepts only)."""

    @property
    def false_accept(self) -> bool:
        """A yes, PIN or purchase heard where none was said."""
        return self.row.intent not in RISKY and self.spoken in RISKY


@dataclass
class Report:
    """The figures of one pass."""

    outcomes: list[Outcome]

    @property
    def primary(self) -> list[Outcome]:
        """Each row once."""
        return [o for o in self.outcomes if o.primary]

    def accuracy(self, which: str = "spoken",
                 where: Callable[[Outcome], bool] = lambda o: True) -> tuple[int, int]:
        """(right, total) of the rows' intents, ``spoken`` or ``typed``."""
        chosen = [o for o in self.primary if where(o)]
        return sum(getattr(o, which) == o.row.intent for o in chosen), len(chosen)

    @property
    def false_accepts(self) -> list[Outcome]:
        """Every spoken false accept, in any cell."""
        return [o for o in self.outcomes if o.false_accept]

    @property
    def typed_false_accepts(self) -> list[Outcome]:
        """Rows the matcher takes for a yes, PIN or purchase even typed."""
        return [o for o in self.primary if o.row.intent not in RISKY and o.typed in RISKY]

    @property
    def speech_false_accepts(self) -> list[Outcome]:
        """Spoken false accepts of rows the matcher gets right typed: the speech side's."""
        return [o for o in self.false_accepts if o.typed not in RISKY]

    def lines(self) -> list[str]:
        """The report as printed."""
        def pct(pair: tuple[int, int]) -> str:
            right, total = pair
            return f"{right}/{total} = {100 * right / max(total, 1):.1f}%"

        times = [o.seconds for o in self.outcomes]
        rtf = [o.seconds / max(o.audio_seconds, 1e-6) for o in self.outcomes]
        out = [f"rows: {len(self.primary)}, utterances decoded: {len(self.outcomes)}",
               f"intent accuracy spoken: {pct(self.accuracy())}",
               f"intent accuracy typed:  {pct(self.accuracy('typed'))}",
               f"recognition per utterance: median {1000 * statistics.median(times):.0f} ms, "
               f"p95 {1000 * sorted(times)[int(0.95 * (len(times) - 1))]:.0f} ms, "
               f"RTF median {statistics.median(rtf):.3f}"]
        for name, key in [("voice", lambda o: o.cell.voice), ("speed", lambda o: o.cell.speed),
                          ("noise", lambda o: "noisy" if o.cell.noisy else "clean"),
                          ("context", lambda o: o.row.context or "-")]:
            values = sorted({key(o) for o in self.primary}, key=str)
            out.append(f"  by {name}: " + ", ".join(
                f"{v} {pct(self.accuracy(where=lambda o, v=v, key=key: key(o) == v))}"
                for v in values))
        rejected = sum(not o.heard for o in self.primary)
        out.append(f"heard as nothing (rejected): {rejected}/{len(self.primary)}")
        out.append(f"false accepts spoken: {len(self.false_accepts)}, of which "
                   f"{len(self.speech_false_accepts)} are the speech side's (typed: "
                   f"{len(self.typed_false_accepts)} rows)")
        for o in self.false_accepts:
            whose = "" if o.typed not in RISKY else ", typed too"
            out.append(f"  FALSE ACCEPT {o.row.text!r} [{o.row.context or '-'}] ({o.cell}) "
                       f"heard {o.heard!r} -> {o.spoken} (labelled {o.row.intent}{whose})")
        return out


def evaluate(rows: list[Row], factory: Callable[[], Recognizer],
             match: Callable[[str, str | None], str], *, workers: int = 2,
             cache: Path | None = None, every_cell: bool = False) -> Report:
    """Speak, hear and match every row; ``factory`` builds the recognizer in each worker (it
    must pickle: a class and a grammar via ``functools.partial``); ``match(text, context)``
    is the intent. Accuracy counts each row in its own cell; with ``every_cell`` the
    false accepts count every row in every cell of the grid."""
    cache = cache or Path(tempfile.gettempdir(), "voicecart-spoken")
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(row, cell, k == 0) for i, row in enumerate(rows)
            for k, cell in enumerate(cells_for(i, row, every_cell))]
    work = [(row.text, cell, row.context, str(cache)) for row, cell, _ in jobs]
    heard: Iterable[tuple[str, float, float]]
    if workers > 1:
        pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(factory,))
        with pool:
            heard = list(pool.map(_hear, work, chunksize=8))
    else:
        _start_worker(factory)
        heard = [_hear(job) for job in work]
    typed = {row: match(row.text, row.context) for row in rows}
    return Report([Outcome(row, cell, text, match(text, row.context) if text else REJECTED,
                           typed[row], seconds, audio, primary)
                   for (row, cell, primary), (text, seconds, audio) in zip(jobs, heard,
                                                                          strict=True)])


def demo_setup(folder: Path) -> tuple[Callable[[], Recognizer], Callable[[str, str | None], str]]:
    """A recognizer factory and a matcher over the demo catalog, in a database in ``folder``."""
    from functools import partial

    from skill.runtime import Runtime
    from voice_local.recognition import SphinxRecognizer
    from voice_local.session import LocalConversation
    from voice_local.talk import build_grammar

    runtime = Runtime.open(f"sqlite:///{folder}/evaluation.db")
    runtime.seed_demo()
    matcher = LocalConversation(runtime, "demo").matcher

    def match(text: str, context: str | None) -> str:
        return matcher.match(text, expecting=context, spoken=True).intent

    return partial(SphinxRecognizer, build_grammar(runtime), understand=match), match


def main(argv: list[str] | None = None) -> Report:
    """Measure labelled files (default: every held-out set) over the grid and print."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tsv", nargs="*", type=Path, help="labelled TSVs (tests/labelled.py)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, help="only N rows, spread over the set")
    parser.add_argument("--every-cell", action="store_true",
                        help="every row in all 30 cells (30 times the work)")
    args = parser.parse_args(argv)
    data = Path(__file__).resolve().parent.parent / "tests/data"
    rows = [r for path in args.tsv for r in read_rows(path)] or heldout_rows(data)
    rows = sample(rows, args.limit or len(rows))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        factory, match = demo_setup(Path(folder))
        report = evaluate(rows, factory, match, workers=args.workers,
                          every_cell=args.every_cell)
    print("\n".join(report.lines()))
    print(f"pass took {time.perf_counter() - started:.1f} s")
    return report


if __name__ == "__main__":
    main()
