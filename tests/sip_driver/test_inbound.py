"""Inbound trunk calls from SIPp on 127.0.0.1 through pycti.open: an IVR route answers, RFC 4733
digits come out as DigitsDetected, SIPp's BYE clears the call; a CANCEL before the answer."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

import pycti
from pycti import SwitchConfig
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig
from pycti.switch import events as ev

from .sipp import SCENARIOS, SIPP, digits_stream, finish, run_sipp, write_pcap

# CI installs sipp (.ci/run) and must run these; elsewhere a machine without it skips them
pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


async def until(stream, cls, timeout_s=10.0):  # type: ignore[no-untyped-def]
    async def read():  # type: ignore[no-untyped-def]
        async for e in stream:
            if isinstance(e, cls):
                return e
        raise AssertionError(f"stream ended before {cls.__name__}")
    return await asyncio.wait_for(read(), timeout_s)


def driver(channels: int = 2) -> SipDriver:
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", port=5060, ip_auth=("127.0.0.1",), channels=channels)
    return SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(trunk,), seed=3))


async def flood(sip_port: int, count: int) -> int:
    """Send ``count`` junk datagrams to the SIP port in bursts of 50: seeded random bytes, and
    every fifth a request with an unparsable CSeq (RFC 4475 §3.1.2.x style).  Returns how many
    400 responses came back."""
    import random
    import socket

    rng = random.Random(2026)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    port, answered = sock.getsockname()[1], 0
    try:
        for k in range(count):
            if k % 5 == 0:
                junk = (f"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{k}\r\n"
                        f"From: <sip:j@127.0.0.1>;tag={k}\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: junk{k}\r\n"
                        f"CSeq: {k}x OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
            else:
                junk = rng.randbytes(rng.randint(1, 1200))
            sock.sendto(junk, ("127.0.0.1", sip_port))
            if k % 50 == 49:
                await asyncio.sleep(0.005)
                answered += _drain_400(sock)
        await asyncio.sleep(0.1)
        return answered + _drain_400(sock)
    finally:
        sock.close()


def _drain_400(sock) -> int:  # type: ignore[no-untyped-def]
    n = 0
    for _ in range(10_000):
        try:
            n += sock.recv(65535).startswith(b"SIP/2.0 400 ")
        except BlockingIOError:
            return n
    return n


@pytest.mark.parametrize("junk", [0, 5000])
async def test_inbound_call_answered_digits_and_bye(tmp_path: Path, junk: int) -> None:
    """With ``junk``, 5,000 junk datagrams hit the SIP port during the call: the call's
    digits, audio and hang-up go on, and the malformed requests get 400."""
    write_pcap(tmp_path / "digits.pcap", digits_stream("42#"))
    sip = driver()
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True)
    async with pycti.open(cfg, drivers=[sip]) as p:
        assert p.engine.port_of == {"carrier-1": 0, "carrier-2": 1}
        ivr = p.monitor("IVR")
        proc = await run_sipp(["-sf", str(SCENARIOS / "uac_digits.xml"), "-s", "8888",
                               "-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", "0",
                               f"127.0.0.1:{sip.sip_port}"], tmp_path)
        try:
            delivered = await until(ivr, ev.Delivered)
            assert delivered.calling_device == "02112345678"  # P-Asserted-Identity over From
            assert p.engine.callers["carrier-1"].name == "Bob"
            await p.answer_call(delivered.connection)
            await until(ivr, ev.Established)
            flooding = asyncio.ensure_future(flood(sip.sip_port, junk))
            got = ""
            while len(got) < 3:
                got += (await until(ivr, ev.DigitsDetected)).digits
            assert got == "42#"
            stats = sip.rtp_stats()
            assert stats is not None
            assert stats.received[0] > 10 and stats.packets_sent[0] > 10  # RTP both ways
            assert stats.event[0] > 0
            cleared = await until(ivr, ev.ConnectionCleared)
            assert cleared.releasing_device == "carrier-1"
            assert cleared.cause is ev.EventCause.NORMAL_CLEARING
            answered_400 = await asyncio.wait_for(flooding, 10)
            # malformed requests are answered 400 (§18.3); a burst can overflow a socket buffer
            assert answered_400 >= junk // 10
        finally:
            code, out = await finish(proc)
    assert code == 0, out


async def test_inbound_call_cancelled_before_answer(tmp_path: Path) -> None:
    sip = driver()
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True)
    async with pycti.open(cfg, drivers=[sip]) as p:
        ivr = p.monitor("IVR")
        proc = await run_sipp(["-sf", str(SCENARIOS / "uac_cancel.xml"), "-s", "8888",
                               "-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", "0",
                               f"127.0.0.1:{sip.sip_port}"], tmp_path)
        try:
            delivered = await until(ivr, ev.Delivered)
            assert p.engine.callers["carrier-1"].number is None  # Privacy: id
            assert p.engine.callers["carrier-1"].presentation.value == "withheld"
            cleared = await until(ivr, ev.ConnectionCleared)
            assert cleared.dropped_connection.call_id == delivered.connection.call_id
            assert cleared.releasing_device == "carrier-1"
        finally:
            code, out = await finish(proc)
    assert code == 0, out


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 now (bound to 0 and read back)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
