"""Call-center figures from CDRs, and the SQLite store."""

from __future__ import annotations

import csv

import pytest

from pycti.callcenter.cdr import CallRecord, CdrStore
from pycti.callcenter.stats import format_report, summarize, write_csv


def rec(i, outcome, *, queue="Q1", enq=10.0, ans=None, end=100.0, agent=None):
    return CallRecord(call_id=f"C{i}", trunk="T00", caller_number="1", arrived_s=0.0, ended_s=end,
                      outcome=outcome, queue=queue, enqueued_s=enq, answered_s=ans, agent=agent)


RECORDS = [
    rec(1, "answered", ans=15.0, agent="A1"),  # waited 5 s, talked 85 s
    rec(2, "answered", ans=40.0, agent="A1"),  # waited 30 s (outside a 20 s service level)
    rec(3, "answered", queue="Q2", ans=20.0, end=50.0, agent="A2"),  # waited 10 s, talked 30 s
    rec(4, "abandoned", end=70.0),
    rec(5, "ivr", queue=None, enq=None),
    rec(6, "blocked", queue=None, enq=None),
    rec(7, "transferred", queue=None, enq=None),  # the IVR sent it to an outside number
]


def test_summary_figures_follow_the_stated_definitions():
    r = summarize(RECORDS, sl_threshold_s=20.0)
    assert (r.calls, r.ivr_only, r.blocked, r.transferred) == (7, 1, 1, 1)
    t = r.total
    assert (t.offered, t.answered, t.abandoned) == (4, 3, 1)
    assert t.asa_s == pytest.approx((5 + 30 + 10) / 3)
    assert t.service_level == pytest.approx(2 / 3)  # answered within 20 s / answered
    assert t.service_level_offered == pytest.approx(2 / 4)
    assert t.abandon_rate == pytest.approx(1 / 4)
    assert t.aht_s == pytest.approx((85 + 60 + 30) / 3)
    assert r.queues["Q1"].offered == 3 and r.queues["Q2"].answered == 1
    assert r.agents["A1"].answered == 2 and r.agents["A2"].aht_s == pytest.approx(30.0)
    text = format_report(r)
    assert "Q1" in text and "A2" in text and "75.0%" not in text.splitlines()[4]
    assert "transferred out: 1" in text.splitlines()[0]


def test_store_round_trip_and_csv(tmp_path):
    db = tmp_path / "cdr.db"
    with CdrStore(db, fresh=True) as s:
        for r in RECORDS:
            s.add(r)
    with CdrStore(db) as s:  # committed rows survive reopening
        assert s.records() == RECORDS
    with CdrStore(db, fresh=True) as s:
        assert s.records() == []
    out = tmp_path / "r.csv"
    write_csv(summarize(RECORDS), out)
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["scope"] == "total" and rows[0]["answered"] == "3"
    assert {r["name"] for r in rows if r["scope"] == "queue"} == {"Q1", "Q2"}


def test_agent_occupancy_is_talk_time_over_the_period():
    r = summarize(RECORDS)
    assert r.period_s == pytest.approx(100.0)
    text = format_report(r)
    a1 = next(line for line in text.splitlines() if line.startswith("A1"))
    assert a1.split()[-1] == "145.0%"  # 85 + 60 s of talk in a 100 s period: two calls overlap
