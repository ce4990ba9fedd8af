"""The demo end to end: sim board, switch, IVR with real DTMF, ACD, CDRs in SQLite, report."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from pycti.callcenter.stats import format_report
from pycti.demo.run import QUEUES, run_demo
from pycti.demo.scenario import DemoConfig


async def test_demo_same_seed_same_report_and_cdrs(tmp_path):
    reports = []
    for i in range(2):
        cfg = DemoConfig(calls=10, seed=3, db_path=str(tmp_path / f"cdr{i}.db"))
        report, problems = await run_demo(cfg, progress=None)
        reports.append(format_report(report))
    assert reports[0] == reports[1]
    assert report.calls == 10
    assert report.total.answered >= 5
    assert set(report.queues) <= set(QUEUES) and report.queues
    rows = sqlite3.connect(tmp_path / "cdr0.db").execute(
        "SELECT caller_number, outcome, queue, agent FROM cdr").fetchall()
    assert len(rows) == 10
    # Caller numbers came over FSK caller ID and were decoded from the trunk audio.
    assert all(r[0] and r[0].isdigit() and len(r[0]) == 11 for r in rows)
    # Every answered call went through the IVR menu (real DTMF) to a queue and an agent.
    assert all(r[2] in QUEUES and r[3] for r in rows if r[1] == "answered")


async def test_a_different_seed_gives_a_different_day(tmp_path):
    out = []
    for seed in (1, 2):
        cfg = DemoConfig(calls=6, seed=seed, db_path=str(tmp_path / f"s{seed}.db"))
        report, _ = await run_demo(cfg, progress=None)
        out.append(format_report(report))
    assert out[0] != out[1]


def test_cli_demo_prints_report(tmp_path):
    db = tmp_path / "cli.db"
    proc = subprocess.run(
        [sys.executable, "-m", "pycti.cli.main", "demo", "--calls", "4", "--seed", "2", "--db", str(db)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "offered" in proc.stdout and "per queue" in proc.stdout and "per agent" in proc.stdout
    assert "4/4 calls" in proc.stderr  # the progress bar
    assert db.exists()
