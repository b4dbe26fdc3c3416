"""Spoken accuracy on the held-out set (else the development set): every row spoken by
espeak-ng in one cell of the voice x speed x noise grid, heard with what its context expects,
matched. The figures are printed; no false accept is allowed: nothing that is not a yes, a
PIN or a purchase may be heard as one."""

import tempfile
import time
from pathlib import Path

from voice_local.evaluation import default_rows_path, demo_setup, evaluate, read_rows

ROOT = Path(__file__).resolve().parent.parent


def test_spoken_accuracy_and_no_false_accepts():
    path = default_rows_path(ROOT)
    rows = read_rows(path)
    with tempfile.TemporaryDirectory() as folder:
        factory, match = demo_setup(Path(folder))
        started = time.perf_counter()
        report = evaluate(rows, factory, match, workers=2)
        took = time.perf_counter() - started
    print(f"\n{path.name}, {took:.0f} s:\n" + "\n".join(report.lines()))
    assert len(report.primary) == len(rows)
    # The matcher's own false accepts (rows it takes for a yes or a purchase even typed) are
    # printed above; the speech side must add none.
    assert not report.speech_false_accepts, "\n".join(report.lines())
