"""Faxes across a real SIP leg on 127.0.0.1 (T.30 over G.711 pass-through: ITU-T T.30 5.1,
G.711; SIP RFC 3261, SDP offer/answer RFC 3264, RTP RFC 3550).

Two pycti switches run side by side in real time, each with its own
:class:`~pycti.drivers.sip.SipDriver`: the office switch has two stations on a sim board and two
SIP trunks to the fax server's switch; the fax server's switch takes the trunks' INVITEs on its
``FAX`` route.  Both stations dial at once, so two faxes cross at the same time:

* ``direct``: the office's INVITE goes straight to the server; the offer lists PCMU first,
  so the leg runs PCMU (RFC 3551 payload type 0);
* ``alaw``: the INVITE goes through a UDP relay (a stand-in for a carrier's SBC) that strips
  PCMU from the SDP offer (RFC 3264 5: the answerer may pick only what is offered), so the
  server answers PCMA (payload type 8) and the leg runs A-law.

On each call a :class:`~pycti.callcenter.fax.FaxService` sends a page on the station's
connection and another receives it on the route's connection; the page must arrive
pixel-identical with an OK T.30 result at both ends, the audio having gone as RTP.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pycti
from pycti import SwitchConfig
from pycti.callcenter.fax import FaxService
from pycti.drivers.sim import SimDriver
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig
from pycti.fax.document import read_tiff
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding
from pycti.fax.terminal_events import FaxOptions, FaxResult
from pycti.local.provider import LocalProvider
from pycti.switch import events as ev
from pycti.switch.dialplan import DialPlan
from pycti.switch.ids import ConnectionID

from ..fax_terminal import document, same_image

#: dialled number -> the office trunk it leaves on
NUMBERS = {"5550199": "direct", "5550198": "alaw"}
#: V.29 at 9600 bit/s, MR coding without ECM: the T.4 data cross the leg as raw modem audio
SENDER = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MR}),
                    local_id="+1 555 0100", ced_ms=2600)
RECEIVER = FaxOptions(local_id="+1 555 0199", ced_ms=2600)


class _AlawOnlyRelay(asyncio.DatagramProtocol):
    """Relays SIP datagrams between the office (the first sender) and the server; in the
    SDP of the office's INVITEs it keeps only PCMA and telephone-event (Content-Length fixed)."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.office: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.offers: list[bytes] = []  # the offers as relayed
        self.answers: list[bytes] = []  # the SDP of the server's 200 responses

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint's

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        if addr == self.server:
            if self.office is not None:
                if data.startswith(b"SIP/2.0 200") and b"\r\n\r\nv=0" in data:
                    self.answers.append(data.partition(b"\r\n\r\n")[2])
                self.transport.sendto(data, self.office)
            return
        self.office = addr
        if data.startswith(b"INVITE ") and b"\r\n\r\nv=0" in data:
            data = self._pcma_only(data)
        self.transport.sendto(data, self.server)

    def _pcma_only(self, data: bytes) -> bytes:
        head, _, body = data.partition(b"\r\n\r\n")
        body = re.sub(rb"(m=audio \d+ RTP/AVP) 0 ", rb"\1 ", body)
        body = re.sub(rb"a=rtpmap:0 [^\r]*\r\n", b"", body)
        self.offers.append(body)
        head = re.sub(rb"(?im)^(content-length|l):\s*\d+", b"Content-Length: %d" % len(body), head)
        return head + b"\r\n\r\n" + body


async def _next(stream: Any, cls: type, timeout_s: float = 5.0) -> Any:
    async def read() -> Any:
        async for e in stream:
            if isinstance(e, cls):
                return e
        raise AssertionError(f"the stream ended before {cls.__name__}")
    return await asyncio.wait_for(read(), timeout_s)


async def _connect(office: LocalProvider, station: str, number: str,
                   route_calls: asyncio.Queue[ConnectionID]) -> tuple[ConnectionID, ConnectionID]:
    """Dial ``number`` from ``station``; the station's and the fax route's connections once
    the call is up at both ends."""
    watch = office.monitor(station)
    calling = await office.make_call(station, number)
    await _next(watch, ev.Established)  # the server's 200 OK reached the office
    answered = await asyncio.wait_for(route_calls.get(), 5)
    return calling, answered


async def _answer(server: LocalProvider, calls: asyncio.Queue[ConnectionID]) -> None:
    """The fax route answers every call delivered to it."""
    async with server.monitor("FAX") as route:
        async for e in route:
            if isinstance(e, ev.Delivered):
                await server.answer_call(e.connection)
            elif isinstance(e, ev.Established):
                await calls.put(e.established_connection)


PAGES = {"5550199": document(120, seed=9), "5550198": document(100, seed=4)}


async def test_two_pages_faxed_across_sip_trunks_in_pcmu_and_pcma_arrive_pixel_identical(
        tmp_path: Path) -> None:
    server_sip = SipDriver(SipDriverConfig(
        listen_host="127.0.0.1", listen_port=0, seed=41,
        trunks=(SipTrunkConfig(name="office", host="127.0.0.1", port=5060, ip_auth=("127.0.0.1",),
                               channels=2),)))
    server = pycti.open(SwitchConfig(trunks=0, stations=0, routes=("FAX",), realtime=True),
                        drivers=[server_sip])
    loop = asyncio.get_running_loop()
    async with server:
        relay_transport, relay = await loop.create_datagram_endpoint(
            lambda: _AlawOnlyRelay(("127.0.0.1", server_sip.sip_port)), local_addr=("127.0.0.1", 0))
        relay_port = relay_transport.get_extra_info("sockname")[1]
        office_sip = SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, seed=42, trunks=(
            SipTrunkConfig(name="direct", host="127.0.0.1", port=server_sip.sip_port),
            SipTrunkConfig(name="alaw", host="127.0.0.1", port=relay_port))))
        plan = DialPlan.from_dict({n: {"trunk": t, "number": n} for n, t in NUMBERS.items()})
        office = pycti.open(SwitchConfig(trunks=0, stations=2, routes=(), dial_plan=plan, realtime=True),
                            drivers=[SimDriver(0, 2, seed=7), office_sip])
        calls: asyncio.Queue[ConnectionID] = asyncio.Queue()
        answering = asyncio.ensure_future(_answer(server, calls))
        try:
            async with office:
                ends = {n: await _connect(office, station, n, calls)
                        for station, n in zip(("8001", "8002"), NUMBERS)}
                sessions = {n: (FaxService(office).start_send(calling, PAGES[n], SENDER),
                                FaxService(server).start_receive(answered, tmp_path / f"{n}.tif", RECEIVER))
                            for n, (calling, answered) in ends.items()}
                results = await asyncio.wait_for(asyncio.gather(
                    *(asyncio.gather(s.wait(), r.wait()) for s, r in sessions.values())), 40)
                stats = server_sip.rtp_stats(), office_sip.rtp_stats()
        finally:
            answering.cancel()
            relay_transport.close()
    for number, (sent, received) in zip(NUMBERS, results):
        assert sent.result is T30Result.OK and received.result is T30Result.OK, (number, sent, received)
        assert (received.modem, received.rate_bps, received.ecm) == (Modem.V29, 9600, False)
        assert sent.pages == received.pages == 1 and received.remote_id == "+1 555 0100"
        assert sent.remote_id == "+1 555 0199"
        stored = read_tiff(tmp_path / f"{number}.tif")
        assert len(stored) == 1 and same_image(stored[0].image, PAGES[number][0].image)
    # the relayed offer had PCMA only, and the server's answer took it
    assert len(relay.offers) == 1 and re.search(rb"m=audio \d+ RTP/AVP 8 ", relay.offers[0])
    assert len(relay.answers) == 1 and re.search(rb"m=audio \d+ RTP/AVP 8\b", relay.answers[0])
    for side in stats:  # both calls' audio went as RTP both ways (one 20 ms packet per tick)
        assert side is not None and all(side.audio[:2] > 300), side.audio
