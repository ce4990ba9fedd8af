"""The virtual-time tick loop stops yielding early once no other task is ready: a whole small
call center (callers, IVR, ACD, agents, call log) must see the same events at the same virtual
times as with the full number of yields every tick."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from pycti.demo.run import run_demo
from pycti.demo.scenario import DemoConfig
from pycti.local import provider as prov


async def _always(times: int, ready: object = None) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


def _run(tmp: str, early_stop: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Any]:
    seen: list[str] = []
    route = prov.LocalProvider._route

    def recording(self: prov.LocalProvider, ev: Any) -> None:
        seen.append(f"{self.engine.now:.2f} {type(ev).__name__} {sorted(ev.devices())}")
        route(self, ev)

    with monkeypatch.context() as m:
        m.setattr(prov.LocalProvider, "_route", recording)
        if not early_stop:
            m.setattr(prov, "_yield_to_ready", _always)
        cfg = DemoConfig(calls=8, seed=5, trunks=4, agents=3, calls_per_min=20.0, talk_mean_s=8.0,
                         patience_mean_s=30.0, wrap_up_s=1.0, db_path=os.path.join(tmp, f"{early_stop}.db"))
        report, problems = asyncio.run(run_demo(cfg, progress=None))
    return seen, (report.calls, report.total.answered, report.total.abandoned, report.blocked, problems)


def test_early_stop_of_virtual_yields_changes_nothing(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    want_events, want_report = _run(str(tmp_path), False, monkeypatch)
    got_events, got_report = _run(str(tmp_path), True, monkeypatch)
    assert want_report[0] == 8 and len(want_events) > 50
    assert got_report == want_report
    assert got_events == want_events
