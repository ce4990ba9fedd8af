"""Where a key of a TOML file stands, so a configuration error can name its line.

:mod:`tomllib` (the standard library's TOML reader, used for every pycti configuration file)
reports syntax errors with their line but gives no positions for the values it returns.  This
module scans the source once and maps each key path -- ``("queues", 1, "max_wait_s")`` for
the second ``[[queues]]`` table's ``max_wait_s`` -- to the line where it is written.  It
understands what configuration files use: ``[table]`` and ``[[array.of.tables]]`` headers
(dotted and quoted names), ``key = value`` and dotted keys at the start of a line, and keys
of one-line inline tables (``skills = { SALES = 5 }``).  A path it cannot place gets the line
of its nearest placed ancestor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["KeyLines", "Path"]

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_INLINE_KEY = re.compile(r"""[{,]\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=""")


def _names(dotted: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class KeyLines:
    """Line numbers (1-based) of the keys of one TOML source text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: Path = ()
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:  # inside a ''' or """ string: no keys here
                if in_multiline in line:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                names = _names(header.group(2))
                if header.group(1) == "[[":
                    index = counts.get(tuple(names), 0)
                    counts[tuple(names)] = index + 1
                    table = (*self._resolve(names, counts), index)
                else:
                    table = self._resolve(names, counts)
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_names(key.group(1)))
                self._lines.setdefault(path, number)
                rest = line[key.end():]
                for inner in _INLINE_KEY.finditer(rest):
                    self._lines.setdefault((*path, *_names(inner.group(1))), number)
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote

    @staticmethod
    def _resolve(names: Sequence[str], counts: dict[tuple[str, ...], int]) -> Path:
        """A header's path, with the index of each enclosing array of tables."""
        out: list[str | int] = []
        for i, name in enumerate(names):
            out.append(name)
            seen = counts.get(tuple(names[: i + 1]))
            if seen is not None and i < len(names) - 1:
                out.append(seen - 1)
        return tuple(out)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor written in the file."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return None
