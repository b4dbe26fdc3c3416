"""Spoken accuracy on the held-out sets (tests/data/heldout*.tsv, answers_no.txt,
answers_maybe.txt; never tuned on): a sample of rows spread over the sets, each spoken by
espeak-ng in one cell of the 5 voices x 3 speeds x {clean, 15 dB SNR noise} grid (No and
Fallback rows in three), heard with what its context expects, matched. The figures are
printed; the whole sets run in bench/bench_voice.py (figures in bench/RESULTS.md)."""

import tempfile
import time
from pathlib import Path

from voice_local.evaluation import demo_setup, evaluate, heldout_rows, sample

DATA = Path(__file__).resolve().parent / "data"
ROWS = 240
"""Sized for about half a minute of recognition on two cores (measured: 16 s for 120)."""
ACCURACY_FLOOR = 0.429
"""What this sample measured, the same in two runs (103/240 = 42.9%, since a turn the grammar
hears as nothing is heard again by the trigram model of the templates; 40.8% before); the
issue's target, 70%, is not met."""
FALSE_ACCEPTS_CEILING = 11
"""What this sample measured, before and after the trigram model (1 yes, 9 purchases, 1 PIN
after): 11 of 406 utterances (15 before a yes had to be heard by the
open-vocabulary search too; most are now purchases, which the skill restates and asks a yes
for). The issue's target, zero, is not met."""


def test_spoken_accuracy_and_false_accepts():
    rows = sample(heldout_rows(DATA), ROWS)
    with tempfile.TemporaryDirectory() as folder:
        factory, match = demo_setup(Path(folder))
        started = time.perf_counter()
        report = evaluate(rows, factory, match, workers=2, cache=Path(folder, "audio"))
        took = time.perf_counter() - started
    print(f"\n{len(rows)} held-out rows, {took:.0f} s:\n" + "\n".join(report.lines()))
    right, total = report.accuracy()
    assert total == len(rows)
    assert right / total >= ACCURACY_FLOOR
    assert len(report.false_accepts) <= FALSE_ACCEPTS_CEILING, "\n".join(report.lines())
