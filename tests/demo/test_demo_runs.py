"""The demo under stress and misuse: racing people, interrupted and failed runs, bad options."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pycti.cli.main import main
from pycti.demo import people
from pycti.demo.run import DemoOutcome, run_demo
from pycti.demo.scenario import DemoConfig

#: Few agents, callers with 3 s of patience (they hang up 18 s into the queue), a fast arrival
#: rate and coarse 200 ms switch ticks: agents often lift the handset in the very tick the
#: switch hears the caller's busy tone, so an answer comes for a caller already gone.  Seed 2
#: hits that race twice in 200 calls (virtual time, a few seconds of wall time).
RACE = dict(calls=200, seed=2, trunks=8, agents=2, calls_per_min=40.0, patience_mean_s=0.1,
            talk_mean_s=5.0, wrap_up_s=0.2, tick_ms=200)


async def test_an_answer_for_a_caller_already_gone_does_not_end_the_run(tmp_path: Path) -> None:
    outcome = DemoOutcome()
    report, _ = await run_demo(DemoConfig(db_path=str(tmp_path / "race.db"), **RACE),  # type: ignore[arg-type]
                               progress=None, outcome=outcome)
    assert report.calls == 200 and outcome.status == "completed"
    assert outcome.nudges_skipped >= 1  # the race did happen, and was survived


async def test_a_failing_run_keeps_and_reports_the_calls_it_completed(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    answered: list[str] = []
    real_nudge = people.Callers.nudge

    def failing_nudge(self: people.Callers, number: str) -> bool:
        answered.append(number)
        if len(answered) == 4:
            raise RuntimeError("the agent fell off the chair")
        return real_nudge(self, number)

    monkeypatch.setattr(people.Callers, "nudge", failing_nudge)
    db = tmp_path / "fail.db"
    outcome = DemoOutcome()
    with pytest.raises(RuntimeError, match="chair"):
        await run_demo(DemoConfig(calls=50, seed=1, db_path=str(db)), progress=None, outcome=outcome)
    assert outcome.status == "failed" and outcome.report is not None
    assert 1 <= outcome.calls_done < 50 and outcome.report.calls == outcome.calls_done
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM cdr").fetchone()[0] == outcome.calls_done
    assert con.execute("SELECT status FROM runs").fetchall() == [("failed",)]


async def test_runs_on_one_db_are_appended_with_their_own_run_ids(tmp_path: Path) -> None:
    db = tmp_path / "twice.db"
    for seed in (1, 2):
        report, _ = await run_demo(DemoConfig(calls=3, seed=seed, db_path=str(db)), progress=None)
        assert report.calls == 3  # each report counts its own run only
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    per_run = con.execute("SELECT run_id, COUNT(*) FROM cdr GROUP BY run_id ORDER BY run_id").fetchall()
    assert [n for _, n in per_run] == [3, 3] and per_run[0][0] != per_run[1][0]
    runs = con.execute("SELECT status, started_at, label FROM runs ORDER BY run_id").fetchall()
    assert [r[0] for r in runs] == ["completed", "completed"] and all(r[1] for r in runs)
    assert "seed=1" in runs[0][2] and "seed=2" in runs[1][2]
    assert {r[0] for r in con.execute("SELECT called FROM cdr")} == {None}  # no DNIS on these lines


def _rows(db: Path) -> int:
    try:
        return int(sqlite3.connect(db, timeout=5).execute("SELECT COUNT(*) FROM cdr").fetchone()[0])
    except sqlite3.Error:
        return 0


def _start(db: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pycti.cli.main", "demo", "--calls", "2000", "--quiet", "--db", str(db), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_rows(proc: subprocess.Popen[str], db: Path, n: int) -> None:
    deadline = time.monotonic() + 60
    while _rows(db) < n:
        assert proc.poll() is None and time.monotonic() < deadline, "the demo ended or made no records"
        time.sleep(0.1)


def test_sigterm_mid_run_still_prints_and_writes_the_partial_report(tmp_path: Path) -> None:
    db = tmp_path / "term.db"
    proc = _start(db, "--csv")
    _wait_rows(proc, db, 3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "(partial)" in out and "interrupted after" in err
    done = _rows(db)
    assert 3 <= done < 2000 and f"{done} of 2000 callers" in out
    assert (tmp_path / "term.csv").read_text().startswith("scope,name")
    assert sqlite3.connect(db).execute("SELECT status FROM runs").fetchall() == [("interrupted",)]


def test_a_killed_run_leaves_the_completed_calls_in_the_db(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    proc = _start(db)
    _wait_rows(proc, db, 2)
    proc.kill()
    proc.communicate(timeout=60)
    before = _rows(db)
    assert before >= 2  # every call that ended before the kill is there


@pytest.mark.parametrize("argv", [
    ["--rate", "nan"], ["--rate", "inf"], ["--rate", "-3"], ["--rate", "0"], ["--rate", "fast"],
    ["--calls", "0"], ["--calls", "-5"], ["--calls", "1e3"], ["--calls", "many"],
    ["--trunks", "0"], ["--agents", "-1"], ["--seed", "-1"],
])
def test_bad_numbers_get_a_one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"pycti demo: error: argument {argv[0]}")
    assert repr(argv[1]) in err[0]


@pytest.mark.parametrize("case", ["missing dir", "directory", "not sqlite", "no permission"])
def test_an_unusable_db_gets_a_one_line_error(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    if case == "missing dir":
        path, reason = tmp_path / "nope" / "x.db", "does not exist"
    elif case == "directory":
        path, reason = tmp_path, "is a directory"
    elif case == "not sqlite":
        path, reason = tmp_path / "junk.db", "not an SQLite database"
        path.write_text("calls, calls, calls\n" * 200)
    else:
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere")
        path, reason = tmp_path / "ro.db", "Permission denied"
        path.touch()
        path.chmod(0o400)
    assert main(["demo", "--calls", "2", "--quiet", "--db", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and reason in err[0], err


def test_help_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--help"])
    assert info.value.code == 0
    assert "--csv [FILE]" in capsys.readouterr().out
