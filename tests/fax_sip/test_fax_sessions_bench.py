"""The many-sessions fax benchmark (bench/fax_sessions.py) runs and its pages arrive: a
small run of it, so the script the closing note's figures come from keeps working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_fax_sessions_bench_runs_two_sessions_and_both_pages_arrive() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "fax_sessions.py"), "--sessions", "2",
                          "--rows", "200", "--no-spandsp"], capture_output=True, text=True, timeout=300, check=True)
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:2] == ["2", "1"]]
    assert rows, out.stdout
    assert rows[-1][-1] == "1/1", out.stdout  # the call's page OK at both ends
    cpu_per_s = float(rows[-1][4])
    assert cpu_per_s > 0, out.stdout  # a figure was measured (its size is the bench's, not a test's)
