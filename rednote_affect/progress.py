"""A progress line for long inference steps (done/total, texts/s and ETA), and `log`, the package's one-line message."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def log(message: str) -> None:
    """One line on stderr, prefixed with the package name (dbt shows a Python model's stderr in its log)."""
    print(f"rednote_affect: {message}", file=sys.stderr, flush=True)


def _format_seconds(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:d}:{secs:02d}"


class Progress:
    """Logs `label: done/total (pct) texts/s ETA` at most every `every_seconds`, and once at the end."""

    def __init__(
        self,
        total: int,
        label: str,
        every_seconds: float = 10.0,
        log: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total = int(total)
        self.label = label
        self.every_seconds = every_seconds
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._last_logged = self.started

    def rate(self, now: float | None = None) -> float:
        elapsed = (self.clock() if now is None else now) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        rate = self.rate(now)
        remaining = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = _format_seconds(remaining) if rate > 0 else "?"
        percent = 100.0 * self.done / self.total if self.total else 100.0
        return f"{self.label}: {self.done}/{self.total} ({percent:.1f}%) {rate:.1f} texts/s ETA {eta}"

    def update(self, count: int) -> None:
        self.done += int(count)
        now = self.clock()
        if now - self._last_logged >= self.every_seconds and self.done < self.total:
            self._last_logged = now
            self.log(self.line(now))

    def finish(self) -> None:
        self.log(self.line() + " done")
