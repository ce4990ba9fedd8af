"""run_tap on the Provider: a lock-step program talks with the far party of a call on the sim
board, and ends as done, failed (the call goes on, a notice says why) or with the call."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import pycti
from pycti.errors import CstaError
from pycti.provider import TapOutcome
from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID

from ..media.test_taps import ToneTap
from .conftest import next_event, ticks


async def _connected(p: pycti.LocalProvider) -> tuple[ConnectionID, ConnectionID]:
    mon = p.monitor("8002")
    calling = await p.make_call("8001", "8002")
    d = await next_event(mon, ev.Delivered)
    await p.answer_call(d.connection)
    await next_event(mon, ev.Established)
    return calling, d.connection


async def test_a_tap_talks_to_the_far_party_until_done() -> None:
    async with pycti.open(pycti.SwitchConfig(trunks=0, stations=2, routes=())) as p:
        calling, answered = await _connected(p)
        ch = p.engine.channel_of("8002")
        tap = ToneTap(frames=25)
        heard: list[np.ndarray] = []
        p.add_tick_listener(lambda now: heard.append(p.engine._outbound[ch].copy()))
        outcome = await p.run_tap(calling, tap)  # 8001's program talks to 8002
        assert outcome is TapOutcome.DONE and len(tap.heard) == 25
        assert sum(np.array_equal(f, tap.tone) for f in heard) >= 20
        assert (await p.snapshot_call(calling.call_id))  # the call goes on


async def test_a_failing_tap_leaves_the_call_up_and_says_why() -> None:
    async with pycti.open(pycti.SwitchConfig(trunks=0, stations=2, routes=())) as p:
        calling, _ = await _connected(p)
        notices = p.notices()
        outcome = await p.run_tap(calling, ToneTap(frames=50, fail_at=5))
        assert outcome is TapOutcome.FAILED
        notice = await asyncio.wait_for(notices.__anext__(), 5)
        assert notice.kind == "tap_failed" and "modem lost its mind" in notice.text
        assert len(await p.snapshot_call(calling.call_id)) == 2


async def test_the_call_ending_ends_the_tap() -> None:
    async with pycti.open(pycti.SwitchConfig(trunks=0, stations=2, routes=())) as p:
        calling, answered = await _connected(p)
        running = asyncio.ensure_future(p.run_tap(calling, ToneTap(frames=10_000)))
        await ticks(p, 10)
        await p.clear_connection(answered)
        assert await asyncio.wait_for(running, 5) is TapOutcome.CALL_CLEARED


async def test_a_tap_needs_one_party_with_audio() -> None:
    async with pycti.open(pycti.SwitchConfig(trunks=0, stations=2, routes=())) as p:
        calling = await p.make_call("8001", "8002")  # not answered: nobody to talk to
        with pytest.raises(CstaError, match="exactly one other party"):
            await p.run_tap(calling, ToneTap(frames=1))
