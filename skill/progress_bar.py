"""A one-line progress bar for long commands (``voicecart catalog import``), drawn on a
terminal only: piped or redirected output stays free of control characters."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30
LABELS = {"reading": "reading the file", "checking": "checking rows",
          "writing": "writing items"}
"""What each phase of an import is called on the bar."""


class TerminalProgress:
    """Called as ``(phase, done, total)``; redraws the bar in place on ``stream`` (stderr by
    default) if it is a terminal, and does nothing otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.active = self.stream.isatty()
        self.drawn = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.active:
            return
        label = f"{LABELS.get(phase, phase):<17}"
        if total:
            filled = WIDTH * done // total
            label += (f" [{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,}"
                      f" {100 * done // total:3d}%")
        self.stream.write(f"\r{label}\x1b[K")  # back to the line's start, clear the rest
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        """End the bar's line, so that what is printed next starts on a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
