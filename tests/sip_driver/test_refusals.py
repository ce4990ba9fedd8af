"""INVITEs the SIP driver refuses, over a real UDP socket on 127.0.0.1 (driver level):
403 from an address no trunk trusts, 404 for a number the trunk does not deliver, 503 when
every channel of the trunk is busy, 488 for an offer without PCMU/PCMA; and malformed
requests answered 400 (RFC 3261 §18.3, §21)."""

from __future__ import annotations

import asyncio
import random
import socket

import numpy as np

from pycti.drivers.base import DriverEvent, IncomingCall, Presentation
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig

OFFER = ("v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio {port} RTP/AVP {pts}\r\n{maps}")


def invite(sip_port: int, local_port: int, number: str, call: str, *, pts: str = "0",
           maps: str = "a=rtpmap:0 PCMU/8000\r\n") -> bytes:
    body = OFFER.format(port=40000, pts=pts, maps=maps)
    return (f"INVITE sip:{number}@127.0.0.1:{sip_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK-{call}\r\n"
            f"Max-Forwards: 70\r\nFrom: \"Dan\" <sip:13700137000@127.0.0.1>;tag=t-{call}\r\n"
            f"To: <sip:{number}@127.0.0.1>\r\nCall-ID: {call}@peer\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:peer@127.0.0.1:{local_port}>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


class Peer:
    """A non-blocking UDP socket on 127.0.0.1 that collects final response status codes."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.finals: dict[str, int] = {}  #: Call-ID -> final status

    def read(self) -> None:
        for _ in range(10_000):
            try:
                data = self.sock.recv(65535)
            except BlockingIOError:
                return
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0 "):
                continue
            status = int(text[8:11])
            call_id = next((ln.split(":", 1)[1].strip() for ln in text.split("\r\n")
                            if ln.lower().startswith("call-id:")), "")
            if status >= 200:
                self.finals[call_id] = status


async def tick(sip: SipDriver, peer: Peer, events: list[DriverEvent], until, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    silence = np.zeros((sip.capacity(), 160), dtype=np.int16)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not until():
        assert loop.time() < end, f"timed out: finals {peer.finals}, events {events}"
        events += sip.poll()
        sip.exchange(silence)
        peer.read()
        await asyncio.sleep(0.02)


async def test_refusals() -> None:
    trusted = SipTrunkConfig(name="carrier", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=1, numbers=("8888",))
    stranger = SipTrunkConfig(name="other", host="127.0.0.2", channels=1)
    async with SipDriver(SipDriverConfig(listen_port=0, trunks=(trusted,), seed=1)) as sip:
        peer, events = Peer(), []  # type: ignore[var-annotated]
        send = lambda data: peer.sock.sendto(data, ("127.0.0.1", sip.sip_port))  # noqa: E731
        send(invite(sip.sip_port, peer.port, "9999", "wrong-number"))
        send(invite(sip.sip_port, peer.port, "8888", "no-g711", pts="18", maps="a=rtpmap:18 G729/8000\r\n"))
        send(invite(sip.sip_port, peer.port, "8888", "first"))
        await tick(sip, peer, events, lambda: len(peer.finals) >= 2 and events)
        send(invite(sip.sip_port, peer.port, "8888", "second"))
        await tick(sip, peer, events, lambda: "second@peer" in peer.finals)
        assert peer.finals == {"wrong-number@peer": 404, "no-g711@peer": 488, "second@peer": 503}
        (offered,) = [e for e in events if isinstance(e, IncomingCall)]
        assert offered.port == 0 and offered.called == "8888"
        assert offered.caller.number == "13700137000" and offered.caller.name == "Dan"
        assert offered.caller.presentation is Presentation.AVAILABLE
        sip.release(0)  # not answered: refused with 480 (ReleaseCause.NORMAL)
        await tick(sip, peer, events, lambda: "first@peer" in peer.finals)
        assert peer.finals["first@peer"] == 480
    same_host = SipTrunkConfig(name="other", host="127.0.0.1", port=5999, channels=1)  # no ip_auth
    for trunk in (stranger, same_host):  # another host; the trunk's host from another port
        async with SipDriver(SipDriverConfig(listen_port=0, trunks=(trunk,), seed=1)) as sip:
            peer, events = Peer(), []
            peer.sock.sendto(invite(sip.sip_port, peer.port, "8888", "untrusted"), ("127.0.0.1", sip.sip_port))
            await tick(sip, peer, events, lambda: bool(peer.finals))
            assert peer.finals == {"untrusted@peer": 403} and events == []
            assert sip.rejected == {403: 1}


async def test_malformed_requests_get_400_and_garbage_is_dropped() -> None:
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=1)
    async with SipDriver(SipDriverConfig(listen_port=0, trunks=(trunk,), seed=1)) as sip:
        peer, events = Peer(), []  # type: ignore[var-annotated]
        good = invite(sip.sip_port, peer.port, "8888", "bad-cseq")
        bad = good.replace(b"CSeq: 1 INVITE", b"CSeq: one INVITE")  # §18.3 / RFC 4475 3.1.2
        rng = random.Random(9)
        for k in range(200):  # in bursts the kernel's receive buffer holds
            peer.sock.sendto(rng.randbytes(rng.randint(1, 600)), ("127.0.0.1", sip.sip_port))
            if k % 20 == 19:
                await asyncio.sleep(0.005)
        peer.sock.sendto(bad, ("127.0.0.1", sip.sip_port))
        await tick(sip, peer, events, lambda: bool(peer.finals))
        assert peer.finals == {"bad-cseq@peer": 400}
        assert events == []
