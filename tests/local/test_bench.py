"""The switch benchmarks run their real paths (figures themselves live in ``pycti bench``)."""

from __future__ import annotations

import subprocess
import sys

from pycti.local.bench import measure_call_rate, measure_dialled_rate


def test_call_rate_runs_make_answer_clear():
    r = measure_call_rate(40, stations=8)
    assert r["calls"] == 40 and r["calls_per_cpu_s"] > 0


def test_dialled_rate_establishes_every_call_through_the_dial_plan():
    r = measure_dialled_rate(24, stations=8)  # raises unless every call was established and cleared
    assert r["calls"] == 24 and r["calls_per_cpu_s"] > 0


def test_cli_bench_switch_prints_the_three_figures():
    out = subprocess.run([sys.executable, "-m", "pycti.cli.main", "bench", "switch", "--channels", "40",
                          "--ticks", "5", "--calls", "90"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "ms per 20 ms tick" in out.stdout and "station-dialled" in out.stdout
