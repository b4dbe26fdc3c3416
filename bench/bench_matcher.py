"""Typed-turn intent matching: VoiceCart's matcher against a plain fuzzy baseline.

Every utterance of the held-out and tuning sets (``tests/data/*.tsv``) is matched by the
matcher (slots, templates, classifier) and, as the baseline, by rapidfuzz's ``extractOne``
over the Alexa model's flat samples, the nearest-sample approach the matcher replaced. Both
run in the same process on the same utterances; the ratio is what to compare across machines.
Run: ``python bench/bench_matcher.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.catalog import list_items  # noqa: E402
from skill.interaction_model import language_model, load_model  # noqa: E402
from skill.runtime import Runtime  # noqa: E402
from tests.labelled import load  # noqa: E402
from tests.test_matcher import HELD_OUT, TUNING  # noqa: E402
from voice_local.matcher import IntentMatcher  # noqa: E402
from voice_local.text import normalize  # noqa: E402

SETS = (*HELD_OUT, *TUNING)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    rows = [row for name in SETS for row in load(name)]
    with tempfile.TemporaryDirectory() as folder:
        runtime = Runtime.open(f"sqlite:///{folder}/bench.db")
        runtime.seed_demo()
        with runtime.transaction() as s:
            index = runtime.resolver.index(s)
            categories = sorted({i.category for i in list_items(s)})
        started = time.perf_counter()
        matcher = IntentMatcher(index, categories)
        load_seconds = time.perf_counter() - started
        samples = [normalize(s.replace("{", "").replace("}", "")) for i in
                   language_model(load_model())["intents"] for s in i.get("samples", [])]
        matched, baseline = [], []
        for row in rows:
            started = time.perf_counter()
            matcher.match(row.text, row.context)
            matched.append(1000 * (time.perf_counter() - started))
            started = time.perf_counter()
            process.extractOne(normalize(row.text), samples, scorer=fuzz.token_sort_ratio)
            baseline.append(1000 * (time.perf_counter() - started))
    print(f"{len(rows)} typed utterances; matcher ready in {load_seconds:.1f} s "
          f"(classifier from its cache or trained)")
    print(f"matcher:  p50 {statistics.median(matched):.2f} ms, "
          f"p95 {percentile(matched, 0.95):.2f} ms, max {max(matched):.2f} ms")
    print(f"baseline (extractOne over {len(samples)} samples): p50 "
          f"{statistics.median(baseline):.2f} ms, p95 {percentile(baseline, 0.95):.2f} ms")
    ratio = statistics.median(matched) / statistics.median(baseline)
    print(f"ratio matcher/baseline p50: {ratio:.1f}x")


if __name__ == "__main__":
    main()
