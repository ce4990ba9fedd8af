"""A call the IVR sends on to an outside number is recorded as ``transferred`` (not as ended in
the IVR): the sim board's caller, answered at the IVR route, single-step transferred to an
external number (pycti calls it out on the second trunk), then hangs up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pycti
from pycti.callcenter.calllog import CallLog
from pycti.callcenter.cdr import CdrStore
from pycti.callcenter.stats import summarize
from pycti.drivers.sim_ops import Hangup, Speech
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from ..local.conftest import next_event
from .test_flow_runner import _ring


async def test_a_call_sent_to_an_outside_number_is_recorded_as_transferred(tmp_path: Path) -> None:
    async with pycti.open(SwitchConfig(trunks=2, stations=0, routes=("IVR",))) as p:
        store = CdrStore(str(tmp_path / "cdr.db"), run="transfer test")
        calllog = CallLog(p, ["T00", "T01"], store)
        logging = asyncio.ensure_future(calllog.run())
        await asyncio.sleep(0)
        ivr, caller = p.monitor("IVR"), p.monitor("T00")
        p.driver.board.script(0, [_ring("5550100"), Speech(ms=8000), Hangup(busy_tone=True, loop_drop=False)])
        d = await next_event(ivr, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(ivr, ev.Established)
        await p.single_step_transfer_call(d.connection, "013800138000")
        tr = await next_event(caller, ev.Transferred)
        assert tr.transferring_device == "IVR"
        await next_event(caller, ev.ConnectionCleared, lambda e: e.dropped_connection.device_id == "T00")
        await p.sleep(1.0)
        logging.cancel()
        (record,) = [r for r in store.records() if r.caller_number == "5550100"]
        assert record.outcome == "transferred" and record.queue is None and record.answered_s is None
        assert summarize(store.records()).transferred == 1
