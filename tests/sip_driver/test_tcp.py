"""SIP over TCP (RFC 3261 §18) against SIPp in TCP mode (``-t t1``: one connection) on
127.0.0.1, driver level: an outbound call to a ``tcp`` trunk goes over one connection the
driver opens (INVITE, ACK, BYE on it, the Via naming TCP); an inbound call from SIPp's
connection is answered on that connection (§18.2.2) and its BYE clears it."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from pycti.drivers.base import Alerting, Answered, DriverEvent, IncomingCall, Released
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig
from pycti.drivers.sip.transport import on_stream_via
from pycti.sip.message import SipRequest, make_request, parse_message
from pycti.sip.uri import parse_uri

from .sipp import SIPP, finish, run_sipp
from .test_outbound import has, run_until

pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_outbound_call_over_tcp(tmp_path: Path) -> None:
    port = free_tcp_port()
    proc = await run_sipp(["-sn", "uas", "-t", "t1", "-i", "127.0.0.1", "-p", str(port),
                           "-mi", "127.0.0.1", "-mp", "0"], tmp_path)
    await asyncio.sleep(0.3)  # let SIPp listen
    try:
        trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", port=port, channels=1, transport="tcp")
        async with SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(trunk,),
                                             seed=7)) as sip:
            events: list[DriverEvent] = []
            sip.dial(0, "13800138000")
            await run_until(sip, events, has(Answered))
            assert [type(e) for e in events] == [Alerting, Answered]
            assert sip.transport_stats().tcp_connections == 1  # one connection, reused
            sip.release(0)
            await run_until(sip, events, lambda _: proc.returncode is not None, timeout_s=5)
            stats = sip.transport_stats()
            assert stats.tcp_sent >= 3 and stats.tcp_send_errors == 0  # INVITE, ACK, BYE
            assert stats.udp_sent == 0
            assert not any(isinstance(e, Released) for e in events)
    finally:
        code, out = await finish(proc)
    assert code == 0, out


async def test_inbound_call_over_tcp(tmp_path: Path) -> None:
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", port=5060, ip_auth=("127.0.0.1",), channels=1)
    async with SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(trunk,),
                                         seed=8, tcp=True)) as sip:
        proc = await run_sipp(["-sn", "uac", "-t", "t1", "-i", "127.0.0.1", "-p", str(free_tcp_port()),
                               "-mi", "127.0.0.1", "-mp", "0", "-d", "500", "-s", "5551234",
                               f"127.0.0.1:{sip.sip_port}"], tmp_path)
        try:
            events: list[DriverEvent] = []
            await run_until(sip, events, has(IncomingCall))
            offered = next(e for e in events if isinstance(e, IncomingCall))
            assert offered.port == 0 and offered.called == "5551234"
            sip.answer(0)
            await run_until(sip, events, has(Released))
            assert [type(e) for e in events] == [IncomingCall, Released]
            stats = sip.transport_stats()
            assert stats.tcp_send_errors == 0 and stats.tcp_sent >= 3  # 180, 200, 200 to BYE
            assert stats.udp_sent == 0  # nothing went over UDP
        finally:
            code, out = await finish(proc)
    assert code == 0, out


def test_stream_via_names_tcp_and_keeps_the_branch() -> None:
    """§18.1.1: the top Via names the transport the request goes on; branch and sent-by
    (what the transaction is matched by) stay; lower Vias and responses are untouched."""
    req = make_request("OPTIONS", parse_uri("sip:127.0.0.1:5070"),
                       via="SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKab12;rport",
                       from_="<sip:pycti@127.0.0.1>;tag=1", to="<sip:127.0.0.1:5070>", call_id="c1", cseq=3,
                       extra=(("Via", "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKlow"),))
    out = on_stream_via(req, "TCP")
    wire = parse_message(out.to_bytes())
    assert isinstance(wire, SipRequest)
    top = wire.top_via()
    assert top is not None and top.transport == "TCP" and top.branch == "z9hG4bKab12"
    assert (top.host, top.port) == ("127.0.0.1", 5060)
    assert wire.headers.get_all("Via")[-1].startswith("SIP/2.0/UDP 10.0.0.9:5060")
    assert on_stream_via(out, "TCP") is out  # already right: the same message
