"""Outbound trunk calls to SIPp acting as the carrier (UAS) on 127.0.0.1, driver level:
dial -> INVITE with an SDP offer; 180 -> Alerting; 200 -> Answered; release -> BYE; 486 ->
Released(BUSY); a 401 answered with the trunk's credentials (checked by SIPp); release while
ringing -> CANCEL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pycti.drivers.base import Alerting, Answered, DriverEvent, MediaDirection, Released, ReleaseCause
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig

from .sipp import SCENARIOS, SIPP, finish, run_sipp

# CI installs sipp (.ci/run) and must run these; elsewhere a machine without it skips them
pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


async def run_until(sip: SipDriver, events: list[DriverEvent],
                    done: Callable[[list[DriverEvent]], bool], timeout_s: float = 8.0) -> None:
    """Tick the driver every 20 ms (poll + exchange), as the switch does, until ``done``."""
    silence = np.zeros((sip.capacity(), 160), dtype=np.int16)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not done(events):
        assert loop.time() < end, f"timed out; events so far: {events}"
        events += sip.poll()
        sip.exchange(silence)
        await asyncio.sleep(0.02)


def has(cls: type) -> Callable[[list[DriverEvent]], bool]:
    return lambda evs: any(isinstance(e, cls) for e in evs)


async def carrier(tmp_path: Path, scenario: str | None) -> tuple[asyncio.subprocess.Process, int]:
    from .test_inbound import free_udp_port

    port = free_udp_port()
    args = ["-sn", "uas"] if scenario is None else ["-sf", str(SCENARIOS / scenario)]
    proc = await run_sipp(args + ["-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", "0"], tmp_path)
    await asyncio.sleep(0.3)  # let SIPp bind
    return proc, port


def driver(port: int, **trunk: object) -> SipDriver:
    t = SipTrunkConfig(name="carrier", host="127.0.0.1", port=port, channels=2, **trunk)  # type: ignore[arg-type]
    return SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(t,), seed=5))


async def test_dial_answered_then_released_with_bye(tmp_path: Path) -> None:
    proc, port = await carrier(tmp_path, None)
    try:
        async with driver(port) as sip:
            events: list[DriverEvent] = []
            sip.dial(0, "13800138000")
            await run_until(sip, events, has(Answered))
            assert [type(e) for e in events] == [Alerting, Answered]
            assert all(e.port == 0 for e in events)
            await run_until(sip, events, lambda evs: (s := sip.rtp_stats()) is not None and s.packets_sent[0] > 5)
            sip.release(0)
            await run_until(sip, events, lambda evs: proc.returncode is not None, timeout_s=5)
            assert not any(isinstance(e, Released) for e in events)  # we released: no echo
    finally:
        code, out = await finish(proc)
    assert code == 0, out


async def test_dial_busy(tmp_path: Path) -> None:
    proc, port = await carrier(tmp_path, "uas_busy.xml")
    try:
        async with driver(port) as sip:
            events: list[DriverEvent] = []
            sip.dial(1, "+8613800138000")
            await run_until(sip, events, has(Released))
            assert [type(e) for e in events] == [Alerting, Released]
            assert events[-1].port == 1
            assert isinstance(events[-1], Released) and events[-1].cause is ReleaseCause.BUSY
    finally:
        code, out = await finish(proc)
    assert code == 0, out


@pytest.mark.parametrize("password, answered", [("s3cret", True), ("wrong", False)])
async def test_dial_with_digest_challenge(tmp_path: Path, password: str, answered: bool) -> None:
    proc, port = await carrier(tmp_path, "uas_auth.xml")
    try:
        async with driver(port, username="acme", password=password) as sip:
            events: list[DriverEvent] = []
            sip.dial(0, "4001")
            await run_until(sip, events, lambda evs: has(Answered)(evs) or has(Released)(evs))
            if answered:
                assert isinstance(events[-1], Answered)
                sip.release(0)
                await run_until(sip, events, lambda evs: proc.returncode is not None, timeout_s=5)
            else:
                assert isinstance(events[-1], Released) and events[-1].cause is ReleaseCause.REJECTED
    finally:
        code, out = await finish(proc)
    assert code == 0, out


async def test_release_while_ringing_cancels(tmp_path: Path) -> None:
    proc, port = await carrier(tmp_path, "uas_cancel.xml")
    try:
        async with driver(port) as sip:
            events: list[DriverEvent] = []
            sip.dial(0, "555")
            await run_until(sip, events, has(Alerting))
            sip.release(0)  # the switch gives up: CANCEL, SIPp answers 200 + 487, we ACK
            await run_until(sip, events, lambda evs: proc.returncode is not None, timeout_s=5)
            assert not any(isinstance(e, Released) for e in events)
            sip.dial(0, "556")  # the port is free again at once
    finally:
        code, out = await finish(proc)
    assert code == 0, out


async def test_hold_resume_and_peer_hold(tmp_path: Path) -> None:
    proc, port = await carrier(tmp_path, "uas_hold.xml")
    try:
        async with driver(port) as sip:
            events: list[DriverEvent] = []
            sip.dial(0, "7000")
            await run_until(sip, events, has(Answered))
            sip.set_media_direction(0, MediaDirection.SENDONLY)  # SIPp checks a=sendonly
            await run_until(sip, events, lambda evs: sip.media_direction(0) == "sendonly")
            sip.set_media_direction(0, MediaDirection.SENDRECV)  # and a=sendrecv
            await run_until(sip, events, lambda evs: sip.media_direction(0) == "sendrecv")
            # SIPp holds us (sendonly) a second later and checks our recvonly answer
            await run_until(sip, events, lambda evs: sip.media_direction(0) == "recvonly")
            await run_until(sip, events, has(Released))  # and a second later hangs up
            released = events[-1]
            assert isinstance(released, Released) and released.cause is ReleaseCause.NORMAL
    finally:
        code, out = await finish(proc)
    assert code == 0, out
