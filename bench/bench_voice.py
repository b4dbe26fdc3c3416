"""The voice loop on synthesized speech, over the held-out sets: every row of
tests/data/heldout.tsv, heldout_clinc.tsv, heldout_fresh.tsv, answers_no.txt and
answers_maybe.txt (never tuned on) spoken by espeak-ng in the grid of 5 voices x 3 speeds x
{clean, white noise at 15 dB SNR}, recognized with the grammar for what the row's context
expects, matched. Each row is spoken in one cell, round-robin over the 30 (No and Fallback rows
in three, for false accepts); ``--every-cell`` speaks every row in all 30.

Reports spoken and typed intent accuracy (overall, by voice, speed, noise and context), turns
rejected, recognition time and real-time factor, and every false accept (a row that is no
yes, PIN or purchase heard as one).
Run: ``python bench/bench_voice.py [--limit N] [--every-cell] [--workers 2]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voice_local.evaluation import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
