"""FaxService on sim-board calls: a fax sent on a station call and received on a trunk call,
the far end a real fax terminal on the line (tests.callcenter.fax_line); progress events per
page; received pages pixel-identical; the errors that stop a fax before anything is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import pycti
from pycti.local.provider import LocalProvider
from pycti.callcenter.fax import FaxCallError, FaxService, FaxServiceError, FaxSession
from pycti.drivers.sim import SimDriver
from pycti.drivers.sim_ops import Hangup, WaitNudge
from pycti.errors import CstaError
from pycti.fax.document import DocumentError, FaxPage, read_tiff, write_tiff
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import CallEnded, FaxEvent, FaxOptions, Negotiated, PageReceived, PageSent
from pycti.fax.terminal_modems import FaxTerminalError
from pycti.switch import events as ev

from ..fax_terminal import document, same_image
from ..local.conftest import next_event
from .fax_line import LineFax
from .test_ivr_acd import _ring

V29 = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MH}),
                 local_id="+1 555 0100")
V27 = FaxOptions(modems=frozenset({Modem.V27TER}), ecm=True, codings=frozenset({Coding.MMR}),
                 local_id="+1 555 0100")


def _open(trunks: int, stations: int, routes: tuple[str, ...] = ()) -> tuple[LocalProvider, LineFax]:
    config = pycti.SwitchConfig(trunks=trunks, stations=stations, routes=routes)
    driver = SimDriver(trunks, stations, seed=config.seed)
    line = LineFax(driver)
    return pycti.open(config, drivers=[driver]), line


async def test_send_on_a_station_call_to_a_fax_machine_on_the_far_line() -> None:
    pages = document(80)
    p, line = _open(0, 2)
    async with p:
        mon = p.monitor("8002")
        calling = await p.make_call("8001", "8002")
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        far = FaxTerminal("answering", FaxOptions(local_id="+1 555 0199"))
        machine = line.plug(p.engine.port_of["8002"], far)
        seen: list[FaxEvent] = []
        session = FaxService(p).start_send(calling, pages, V29, on_event=seen.append)
        iterated = [e async for e in session]
        result = await session.wait()
        assert result.ok and result.pages == 1 and result.remote_id == "+1 555 0199"
        assert (result.modem, result.rate_bps) == (Modem.V29, 9600)
        assert iterated == seen and [type(e) for e in seen] == [Negotiated, PageSent, CallEnded]
        assert isinstance(seen[1], PageSent) and seen[1].response == "MCF"
        for _ in range(200):  # the far machine hears the DCN and ends
            if machine.done:
                break
            await p.sleep(0.02)
        assert machine.result is not None and machine.result.ok and machine.result.remote_id == "+1 555 0100"
        got = machine.received_pages
        assert len(got) == 1 and got[0].complete and same_image(got[0].page.image, pages[0].image)
        assert await p.snapshot_call(calling.call_id)  # the call goes on after the fax


async def test_receive_on_a_trunk_call_from_a_calling_fax_machine(tmp_path: Path) -> None:
    pages = document(70, seed=5)
    p, line = _open(1, 0, ("IVR",))
    async with p:
        mon = p.monitor("IVR")
        p.driver.board.script(0, [_ring("5550100"), WaitNudge()])
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        machine = line.plug(0, FaxTerminal("calling", FaxOptions(local_id="+44 20 7946"), document=pages))
        out = tmp_path / "in.tif"
        seen: list[FaxEvent] = []
        result = await FaxService(p).receive(d.connection, out, V27, on_event=seen.append)
        assert result.ok and result.pages == 1 and result.remote_id == "+44 20 7946"
        assert (result.modem, result.ecm, result.coding) == (Modem.V27TER, True, Coding.MMR)
        received = [e for e in seen if isinstance(e, PageReceived)]
        assert [(e.page_number, e.lines, e.bad_lines) for e in received] == [(1, 70, 0)]
        assert isinstance(seen[-1], CallEnded) and seen[-1].result == result
        stored = read_tiff(out)
        assert len(stored) == 1 and same_image(stored[0].image, pages[0].image)
        assert stored[0].resolution is pages[0].resolution
        for _ in range(200):  # the calling machine gets MCF, sends DCN and ends
            if machine.done:
                break
            await p.sleep(0.02)
        assert machine.result is not None and machine.result.ok and machine.result.pages == 1


async def test_the_far_end_hanging_up_mid_fax_is_a_t30_result_not_an_error(tmp_path: Path) -> None:
    p, line = _open(1, 0, ("IVR",))
    async with p:
        mon = p.monitor("IVR")
        p.driver.board.script(0, [_ring("5550100"), WaitNudge(), Hangup()])
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        line.plug(0, FaxTerminal("calling", V29, document=document(900, seed=2)))
        session = FaxService(p).start_receive(d.connection, tmp_path / "cut.tif", V29)
        async for e in session:
            if isinstance(e, Negotiated):
                break
        await p.sleep(4.0)  # into the page
        line.machines.clear()  # the caller gives up: the machine goes quiet, the line drops
        p.driver.board.nudge(0)
        result = await asyncio.wait_for(session.wait(), 30)
        assert result.result is T30Result.FAR_END_HUNG_UP  # the call cleared: the line dropped
        assert result.pages == 0 and result.incomplete_pages == 1
        kept = read_tiff(tmp_path / "cut.tif")  # the part of the page that came is kept
        assert len(kept) == 1 and 0 < kept[0].rows < 900


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")
async def test_bad_requests_fail_before_anything_is_sent(tmp_path: Path) -> None:
    p, _ = _open(0, 2)
    async with p:
        mon = p.monitor("8002")
        calling = await p.make_call("8001", "8002")
        d = await next_event(mon, ev.Delivered)
        service = FaxService(p)
        heard: list[np.ndarray] = []
        ch = p.engine.channel_of("8002")
        p.add_tick_listener(lambda now: heard.append(p.engine._outbound[ch].copy()))
        missing = tmp_path / "nope.tif"
        with pytest.raises(DocumentError, match="nope.tif"):
            service.start_send(calling, missing)
        junk = tmp_path / "junk.tif"
        junk.write_bytes(b"II*\0garbage")
        with pytest.raises(DocumentError, match="junk.tif"):
            await service.send(calling, junk)
        narrow = tmp_path / "narrow.tif"
        write_tiff(narrow, [FaxPage(np.zeros((10, 2048), np.uint8), Resolution.FINE)])
        with pytest.raises(FaxTerminalError, match="2048 pixels"):
            await service.send(calling, narrow)
        with pytest.raises(FaxServiceError, match="does not exist"):
            service.start_receive(calling, tmp_path / "no" / "such" / "dir.tif")
        with pytest.raises(FaxServiceError, match="FaxOptions"):
            service.start_send(calling, document(10), options="V29")  # type: ignore[arg-type]
        with pytest.raises(FaxServiceError, match="not a FaxPage"):
            service.start_send(calling, [np.zeros((10, 1728), np.uint8)])  # type: ignore[list-item]
        with pytest.raises(CstaError, match="exactly one other party"):  # not answered yet
            await service.send(calling, document(10))
        await p.answer_call(d.connection)
        await p.sleep(0.2)
        assert not any(np.any(f) for f in heard)  # nothing was sent down the line
        with pytest.raises(FaxServiceError, match="ConnectionID"):
            service.start_send("C1", document(10))  # type: ignore[arg-type]


class _BrokenTerminal(FaxTerminal):
    """A terminal whose modem code breaks after 10 frames (a bug, not a line condition)."""

    frames = 0

    def process(self, rx_frame: npt.ArrayLike) -> npt.NDArray[np.int16]:
        self.frames += 1
        if self.frames > 10:
            raise RuntimeError("modem lost its mind")
        return super().process(rx_frame)


async def test_a_terminal_that_fails_is_a_fax_call_error_and_the_call_goes_on() -> None:
    p, _ = _open(0, 2)
    async with p:
        mon = p.monitor("8002")
        calling = await p.make_call("8001", "8002")
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        session = FaxSession(p, calling, _BrokenTerminal("calling", V29, document=document(10)), None, None)
        with pytest.raises(FaxCallError, match="RuntimeError: modem lost its mind"):
            await asyncio.wait_for(session.wait(), 30)
        assert [e async for e in session] == []  # no progress was made; the iterator ends
        assert len(await p.snapshot_call(calling.call_id)) == 2


async def test_a_cancelled_fax_leaves_the_line(tmp_path: Path) -> None:
    p, _ = _open(0, 2)
    async with p:
        mon = p.monitor("8002")
        calling = await p.make_call("8001", "8002")
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        service = FaxService(p)
        session = service.start_receive(calling, tmp_path / "never.tif", V29)
        await p.sleep(1.0)
        assert session.terminal.now_s > 0.5
        session.cancel()
        with pytest.raises(asyncio.CancelledError):
            await session.wait()
        await p.sleep(0.1)
        again = service.start_send(calling, document(10), V29)  # the channel is free again
        await p.sleep(1.0)
        assert again.terminal.now_s > 0.5  # its tap is on the line, talking
        again.cancel()
        with pytest.raises(asyncio.CancelledError):
            await again.wait()
        assert not (tmp_path / "never.tif").exists()
