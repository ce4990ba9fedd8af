"""The CDR store: WAL mode, appended runs, the called-number column, upgrades, clear errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pycti.callcenter.calllog import CallLog
from pycti.callcenter.cdr import SCHEMA_VERSION, CallRecord, CdrStore, CdrStoreError
from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID

_OLD_LAYOUT = ("CREATE TABLE cdr (id INTEGER PRIMARY KEY, call_id TEXT, trunk TEXT, caller_number TEXT, "
               "arrived_s REAL, ended_s REAL, outcome TEXT, choice TEXT, queue TEXT, enqueued_s REAL, "
               "answered_s REAL, agent TEXT)")


def _rec(i: int, called: str | None = None) -> CallRecord:
    return CallRecord(call_id=f"C{i}", trunk="T00", caller_number="15550001", arrived_s=float(i),
                      ended_s=i + 1.0, outcome="ivr", called=called)


def test_store_runs_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with CdrStore(db, run="a") as s:
        s.add(_rec(1))
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_runs_append_and_keep_apart(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = []
    for n in (2, 3):
        with CdrStore(db, run=f"run of {n}") as s:
            for i in range(n):
                s.add(_rec(i))
            s.end_run("completed")
            ids.append(s.run_id)
    with CdrStore(db) as s:
        assert len(s.records()) == 5  # nothing wiped
        assert len(s.records(run_id=ids[0])) == 2 and len(s.records(run_id=ids[1])) == 3
        runs = s.runs()
    assert [r.run_id for r in runs] == ids and ids[0] != ids[1]
    assert [r.calls for r in runs] == [2, 3] and all(r.status == "completed" and r.started_at for r in runs)


def test_called_number_round_trips(tmp_path: Path) -> None:
    with CdrStore(tmp_path / "c.db", run="x") as s:
        s.add(_rec(1, called="8005551212"))
        s.add(_rec(2))
        assert [r.called for r in s.records()] == ["8005551212", None]


def test_an_old_database_is_upgraded_not_wiped(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute(_OLD_LAYOUT)
    con.execute("INSERT INTO cdr (call_id, trunk, caller_number, arrived_s, ended_s, outcome) "
                "VALUES ('C1', 'T00', '1555', 1.0, 2.0, 'ivr')")
    con.commit()
    con.close()
    with CdrStore(db, run="new") as s:
        assert s.schema_version == SCHEMA_VERSION
        s.add(_rec(7, called="123"))
        old, new = s.records()
        assert old.call_id == "C1" and old.called is None and new.called == "123"
        legacy, current = s.runs()
    assert legacy.status == "legacy" and legacy.calls == 1 and current.calls == 1
    cols = {r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(cdr)")}
    assert {"called", "run_id"} <= cols


def test_committed_rows_survive_a_killed_writer(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    code = (
        "import os, sys\n"
        "from pycti.callcenter.cdr import CallRecord, CdrStore\n"
        "s = CdrStore(sys.argv[1], run='killed')\n"
        "for i in range(3):\n"
        "    s.add(CallRecord(call_id=f'C{i}', trunk='T00', caller_number='1', arrived_s=0.0, ended_s=1.0, outcome='ivr'))\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    with CdrStore(db) as s:
        assert [r.call_id for r in s.records()] == ["C0", "C1", "C2"]
        assert s.runs()[0].status == "running"  # it never ended cleanly


@pytest.mark.parametrize("case", ["missing dir", "directory", "not sqlite", "no permission"])
def test_unusable_paths_give_a_reason(tmp_path: Path, case: str) -> None:
    if case == "missing dir":
        path, reason = tmp_path / "nope" / "x.db", "does not exist"
    elif case == "directory":
        path, reason = tmp_path, "is a directory"
    elif case == "not sqlite":
        path, reason = tmp_path / "junk.db", "not an SQLite database"
        path.write_bytes(b"this is no database, just text\n" * 100)
    else:
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere")
        path, reason = tmp_path / "ro.db", "Permission denied"
        path.touch()
        path.chmod(0o400)
    with pytest.raises(CdrStoreError) as info:
        CdrStore(path, run="x")
    assert info.value.path == str(path) and reason in info.value.reason


class _NoProvider:
    pass


def test_calllog_takes_the_called_number_from_delivered(tmp_path: Path) -> None:
    with CdrStore(tmp_path / "d.db") as store:
        log = CallLog(_NoProvider(), ["T00"], store)  # type: ignore[arg-type]
        for n, (call, dnis) in enumerate((("C1", "8005551212"), ("C2", ""))):
            conn = ConnectionID(call_id=call, device_id="T00")
            log._event("T00", ev.Delivered(
                time=float(n), cause=ev.EventCause.NEW_CALL, involved_devices=frozenset({"T00", "IVR"}),
                connection=conn, alerting_device="IVR", calling_device="15550001", called_device=dnis))
            log._event("T00", ev.CallCleared(
                time=n + 1.0, cause=ev.EventCause.NORMAL_CLEARING, involved_devices=frozenset({"T00"}),
                cleared_call=call))
        assert [r.called for r in store.records()] == ["8005551212", None]
