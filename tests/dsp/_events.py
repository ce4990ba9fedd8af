"""Comparing detector events produced from differently cut or batched signals.

The decisions (which digit or tone, on which channel, at which sample) must be identical however
a signal is cut into blocks or batched.  The reported ``level_dbm0`` is a float computed from
float32 matrix products (a BLAS ``sgemm`` in the filter banks) and rounded to 0.01 dB; no BLAS
promises the same rounding for a row whatever the number of rows in the product (OpenBLAS picks
kernels, and so summation orders, by shape and CPU), so a level can land on the other side of a
rounding step.  Levels are therefore compared to within :data:`LEVEL_TOL_DB`: one rounding step
plus float slack; everything else exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

#: One 0.01 dB rounding step of ``level_dbm0`` plus float slack.
LEVEL_TOL_DB = 0.0105


def decisions(events: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every field of each event except ``level_dbm0``, in order."""
    return [tuple(getattr(e, f.name) for f in fields(e) if f.name != "level_dbm0") for e in events]


def assert_same_events(got: Sequence[Any], want: Sequence[Any], *, level_tol_db: float = LEVEL_TOL_DB) -> None:
    """``got`` and ``want`` hold the same decisions in the same order, and levels within
    ``level_tol_db`` (see the module docstring for why not exactly)."""
    assert decisions(got) == decisions(want)
    for g, w in zip(got, want, strict=True):
        if hasattr(w, "level_dbm0"):
            assert abs(g.level_dbm0 - w.level_dbm0) <= level_tol_db, (g, w)
