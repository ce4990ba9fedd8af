"""FaxDesk: a call to a route that turns out to be a fax machine (its CNG heard by the switch,
a ToneDetected event) is handed to a receiver that writes the fax to a folder, one record per
fax; a caller that only plays CNG and never talks T.30 ends in a T.30 result, not an error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import pycti
from pycti.local.provider import LocalProvider
from pycti.callcenter.fax import FaxDesk, FaxRecord, FaxService, FaxServiceError
from pycti.callcenter.flow import load_flow
from pycti.callcenter.flow_runner import FlowRunner
from pycti.demo.prompts import synthetic_prompt
from pycti.drivers.sim import SimDriver
from pycti.drivers.sim_ops import ProgressTone, WaitNudge
from pycti.fax.document import read_tiff
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import FaxOptions
from pycti.switch import events as ev

from ..fax_terminal import document, same_image
from ..local.conftest import next_event
from .fax_line import LineFax
from .test_ivr_acd import _ring

V29 = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MH}))
CNG = ProgressTone(f1_hz=1100.0, level_dbm0=-13.0, on_ms=500, off_ms=3000, cycles=3)


def _open() -> tuple[LocalProvider, LineFax]:
    config = pycti.SwitchConfig(trunks=1, stations=0, routes=("FAX",), detect_fax_tones=True)
    driver = SimDriver(1, 0, seed=config.seed)
    return pycti.open(config, drivers=[driver]), LineFax(driver)


async def _record(records: asyncio.Queue[FaxRecord]) -> FaxRecord:
    return await asyncio.wait_for(records.get(), 30)


async def test_a_calling_fax_machine_is_received_into_the_folder(tmp_path: Path) -> None:
    pages = document(60, seed=9)
    p, line = _open()
    async with p:
        records: asyncio.Queue[FaxRecord] = asyncio.Queue()
        desk = FaxDesk(FaxService(p), ("FAX",), tmp_path, V29, answer=True, on_record=records.put_nowait)
        running = asyncio.ensure_future(desk.run())
        mon = p.monitor("FAX")
        p.driver.board.script(0, [_ring("5550100"), WaitNudge()])
        await next_event(mon, ev.Established)  # the desk answered
        line.plug(0, FaxTerminal("calling", FaxOptions(local_id="+1 555 0100"), document=pages))
        tone = await next_event(mon, ev.ToneDetected)  # the machine's own CNG
        assert tone.tone == "CNG" and tone.device == "T00"
        record = await _record(records)
        assert record.call_id == tone.connection.call_id and record.route == "FAX"
        assert record.far_device == "T00" and record.result.ok and record.pages == 1
        assert record.result.remote_id == "+1 555 0100" and record.started_s <= record.ended_s
        assert record.path == tmp_path / f"fax-{record.call_id}.tif"
        stored = read_tiff(record.path)
        assert len(stored) == 1 and same_image(stored[0].image, pages[0].image)
        assert desk.records == [record]
        running.cancel()


async def test_cng_alone_starts_the_receiver_which_ends_with_t1_expired(tmp_path: Path) -> None:
    p, _ = _open()
    async with p:
        records: asyncio.Queue[FaxRecord] = asyncio.Queue()
        desk = FaxDesk(FaxService(p), ("FAX",), tmp_path, V29, on_record=records.put_nowait)
        running = asyncio.ensure_future(desk.run())
        mon = p.monitor("FAX")
        p.driver.board.script(0, [_ring("5550100"), CNG, WaitNudge()])  # plays CNG, then silence
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)  # the application answers (an IVR), the desk listens
        await next_event(mon, ev.ToneDetected)
        record = await _record(records)
        assert record.call_id == d.connection.call_id
        assert record.result.result is T30Result.T1_EXPIRED and record.pages == 0
        assert record.path is None and not list(tmp_path.iterdir())
        assert record.ended_s - record.started_s >= 35.0  # T.30 T1: 35 +/- 5 s
        assert len(desk.records) == 1  # the repeated CNG started one receiver only
        running.cancel()


def test_a_desk_needs_routes_and_a_folder(tmp_path: Path) -> None:
    service = FaxService(None)  # type: ignore[arg-type]  # never reached: the checks come first
    with pytest.raises(FaxServiceError, match="does not exist"):
        FaxDesk(service, ("FAX",), tmp_path / "missing")
    with pytest.raises(FaxServiceError, match="routes"):
        FaxDesk(service, "FAX", tmp_path)
    with pytest.raises(FaxServiceError, match="routes"):
        FaxDesk(service, (), tmp_path)


IVR_FLOW = """
[flow]
start = "menu"

[nodes.menu]
kind = "menu"
prompt = "@menu"
options = { "1" = "bye" }
timeout_s = 4.0
tries = 1
no_input = "bye"
invalid = "bye"

[nodes.bye]
kind = "hangup"
"""


@pytest.mark.parametrize("hand_off", [True, False])
async def test_a_fax_calling_the_ivr_is_taken_from_the_flow(tmp_path: Path, hand_off: bool) -> None:
    """The IVR answers a fax machine and waits 4 s for a key, then hangs up.  The desk hears
    CNG and takes the call: told through ``on_take``, the flow lets go and the fax arrives;
    not told, the flow's timeout hangs up on the fax half-way (why the hook exists)."""
    (tmp_path / "menu.toml").write_text(IVR_FLOW)
    flow = load_flow(tmp_path / "menu.toml", prompts={"menu": synthetic_prompt(syllables=4)})
    (tmp_path / "in").mkdir()
    pages = document(60, seed=3)
    config = pycti.SwitchConfig(trunks=1, stations=0, routes=("IVR",), detect_fax_tones=True)
    driver = SimDriver(1, 0, seed=config.seed)
    p, line = pycti.open(config, drivers=[driver]), LineFax(driver)
    async with p:
        runner = FlowRunner(p, {"IVR": flow})
        records: asyncio.Queue[FaxRecord] = asyncio.Queue()
        desk = FaxDesk(FaxService(p), ("IVR",), tmp_path / "in", V29, on_record=records.put_nowait,
                       on_take=runner.release if hand_off else None)
        tasks = [asyncio.ensure_future(runner.run()), asyncio.ensure_future(desk.run())]
        mon = p.monitor("IVR")
        p.driver.board.script(0, [_ring("5550100"), WaitNudge()])
        est = await next_event(mon, ev.Established)  # the flow answered
        line.plug(0, FaxTerminal("calling", FaxOptions(local_id="+1 555 0100"), document=pages))
        record = await _record(records)
        assert record.call_id == est.established_connection.call_id
        if hand_off:
            assert record.result.ok and record.pages == 1, record
            assert same_image(read_tiff(record.path)[0].image, pages[0].image)
            data = runner.calldata.get(record.call_id)
            assert data is not None and data.variables["handed_off"] == "handed off"
            assert runner.active_calls == 0 and not runner.failures
            assert not runner.release(record.call_id)  # nothing left to release
        else:
            assert not record.result.ok and record.pages == 0, record  # hung up by the flow
        for task in tasks:
            task.cancel()
