"""RTCP beside the SIP driver's RTP (RFC 3550 §6, §11): an inbound call from SIPp on
127.0.0.1 runs RTP on an even port with RTCP on the next; pycti's sender reports reach the
peer's RTP port + 1 (a socket of this test stands there, beside SIPp's RTP port) -- or the
port of the peer's ``a=rtcp`` (RFC 3605) when its SDP names one -- and parse as SR + SDES
CNAME with the SSRC and packet count of pycti's stream; a receiver report sent to pycti's RTCP
port is read back from the driver; when the call ends pycti says BYE for its SSRC (§6.3.7)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

import pycti
from pycti import SwitchConfig
from pycti.rtp.rtcp import (
    Bye, ReceiverReport, ReportBlock, SenderReport, SourceDescription, build_compound, parse_compound,
)
from pycti.switch import events as ev

from .sipp import SCENARIOS, SIPP, finish, run_sipp
from .test_inbound import driver, until

pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


def _free_pair() -> tuple[int, socket.socket]:
    """An even port for SIPp's RTP with this test's socket bound on the odd one above it."""
    for _ in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1] & ~1
        probe.close()
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            rtcp.bind(("127.0.0.1", port + 1))
        except OSError:
            rtcp.close()
            continue
        return port, rtcp
    raise AssertionError("no free port pair")


def _free_port() -> socket.socket:
    """A socket of this test on a free port (the one ``a=rtcp`` names)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.parametrize("rfc3605", [False, True], ids=["rtp-port+1", "a=rtcp"])
async def test_sender_reports_go_to_the_peer_and_its_reports_are_read(tmp_path: Path, rfc3605: bool) -> None:
    media_port, peer_rtcp = _free_pair()
    scenario = ["-sf", str(SCENARIOS / "uac_long.xml")]
    if rfc3605:  # the peer wants RTCP elsewhere: the socket at RTP + 1 must hear nothing
        beside, peer_rtcp = peer_rtcp, _free_port()
        beside.setblocking(False)
        scenario = ["-sf", str(SCENARIOS / "uac_long_rtcp.xml"), "-key", "rtcp_port", str(peer_rtcp.getsockname()[1])]
    peer_rtcp.setblocking(False)
    loop = asyncio.get_running_loop()
    sip = driver()
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True)
    async with pycti.open(cfg, drivers=[sip]) as p:
        ivr = p.monitor("IVR")
        proc = await run_sipp([*scenario, "-s", "8888", "-i", "127.0.0.1", "-p", "0",
                               "-mi", "127.0.0.1", "-mp", str(media_port), f"127.0.0.1:{sip.sip_port}"], tmp_path)
        try:
            delivered = await until(ivr, ev.Delivered)
            await p.answer_call(delivered.connection)
            await until(ivr, ev.Established)
            rtcp = sip.rtcp(0)
            assert rtcp is not None and rtcp.sock is not None
            media = sip._table.media[0]
            assert media.local_port % 2 == 0 and rtcp.sock.getsockname()[1] == media.local_port + 1
            data = await asyncio.wait_for(loop.sock_recv(peer_rtcp, 2048), 6.0)  # first report: 1-3 s
            sr, sdes = parse_compound(data)[:2]
            assert isinstance(sr, SenderReport) and isinstance(sdes, SourceDescription)
            assert sr.ssrc == sip._pump.send_state(0).ssrc and sr.packet_count > 0  # pycti's stream
            assert sr.octet_count == 160 * sr.packet_count and sdes.chunks[0].cname == "pycti@127.0.0.1"
            # the peer's receiver report on pycti's stream, sent to pycti's RTCP port
            block = ReportBlock(ssrc=sr.ssrc, fraction_lost=12, cumulative_lost=3, highest_sequence=4242,
                                jitter=17)
            peer_rtcp.sendto(build_compound([ReceiverReport(ssrc=0x5EED, reports=(block,))]),
                             ("127.0.0.1", media.local_port + 1))
            for _ in range(100):
                if rtcp.last_report is not None:
                    break
                await asyncio.sleep(0.02)
            assert rtcp.last_report == block and rtcp.received == 1 and rtcp.malformed == 0
            peer_rtcp.sendto(b"\x00junk", ("127.0.0.1", media.local_port + 1))
            for _ in range(100):
                if rtcp.malformed:
                    break
                await asyncio.sleep(0.02)
            assert rtcp.malformed == 1 and rtcp.last_report == block  # dropped, nothing else changed
            await until(ivr, ev.ConnectionCleared, 10)
            assert sip.rtcp(0) is None  # the call's RTCP went with it
            # its last packet: RR + SDES + BYE for pycti's SSRC (reports before it are skipped)
            for _ in range(5):
                packets = parse_compound(await asyncio.wait_for(loop.sock_recv(peer_rtcp, 2048), 2.0))
                if any(isinstance(x, Bye) for x in packets):
                    break
            assert [type(x) for x in packets] == [ReceiverReport, SourceDescription, Bye]
            rr, _, bye = packets
            assert isinstance(rr, ReceiverReport) and isinstance(bye, Bye)
            assert rr.ssrc == sr.ssrc and bye.ssrcs == (sr.ssrc,)
            if rfc3605:
                with pytest.raises(BlockingIOError):
                    beside.recv(2048)
        finally:
            code, out = await finish(proc)
            peer_rtcp.close()
            if rfc3605:
                beside.close()
    assert code == 0, out
