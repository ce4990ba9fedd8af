"""A one-line progress bar on a text stream (a terminal, or a log when not a TTY)."""

from __future__ import annotations

from typing import TextIO

from ..callcenter.cdr import CallRecord

__all__ = ["ProgressBar"]


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


class ProgressBar:
    """Counts finished calls; redraws in place on a TTY, prints every 10 % otherwise."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self.total = total
        self.stream = stream
        self.width = width
        self.done = 0
        self.answered = 0
        self.abandoned = 0
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._last_decile = -1
        self.last_s = 0.0  #: switch time of the latest finished call

    def update(self, rec: CallRecord, now_s: float) -> None:
        self.done += 1
        self.answered += rec.outcome == "answered"
        self.abandoned += rec.outcome == "abandoned"
        self.last_s = now_s
        self._draw(now_s)

    def _draw(self, now_s: float, end: bool = False) -> None:
        if self.stream is None:
            return
        frac = self.done / self.total if self.total else 1.0
        decile = int(frac * 10)
        if not self._tty and decile == self._last_decile:
            return
        self._last_decile = decile
        filled = int(frac * self.width)
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} calls  "
                f"switch time {_hms(now_s)}  answered {self.answered}  abandoned {self.abandoned}")
        if self._tty:
            self.stream.write("\r" + line)
            if end:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self, now_s: float) -> None:
        """Finish the line (on a TTY) or print the last state if it was not printed yet."""
        if self._tty:
            self._draw(now_s, end=True)
        else:
            self._draw(now_s)
