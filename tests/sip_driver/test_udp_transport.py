"""The SIP driver's UDP transport (RFC 3261 §18.1.1, §18.2.1): every datagram that arrives is
handed over with its source, however many wait at once; a send goes out or, when the socket's
buffer is full, waits and goes out in order once it is writable; a send that fails or a closed
socket is reported (False), so the transaction can fail (§18.4)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from pycti.drivers.sip.transport import READ_BATCH, UdpTransport
from pycti.sip.message import make_request
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import Transmit
from pycti.sip.uri import parse_uri


def options(n: int) -> Transmit:
    """OPTIONS number ``n`` to 127.0.0.1:5999 (its Call-ID says which)."""
    req = make_request("OPTIONS", parse_uri("sip:a@127.0.0.1"), via="SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1",
                       from_="<sip:b@127.0.0.1>;tag=1", to="<sip:a@127.0.0.1>", call_id=f"call-{n}", cseq=1)
    return Transmit(req, Destination("127.0.0.1", 5999))


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 2.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_a_burst_of_datagrams_all_arrive_in_order_with_their_source() -> None:
    got: list[tuple[bytes, Destination]] = []
    udp = UdpTransport("127.0.0.1", 0, lambda data, src: got.append((data, src)))
    port = await udp.open()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        sent = [b"datagram %d" % i for i in range(3 * READ_BATCH + 5)]
        for data in sent:  # all queued before the loop runs the reader once
            peer.sendto(data, ("127.0.0.1", port))
        await wait_for(lambda: len(got) == len(sent))
        assert [d for d, _ in got] == sent
        assert {src for _, src in got} == {Destination("127.0.0.1", peer.getsockname()[1], "UDP")}
    udp.close()


async def test_send_delivers_and_a_closed_transport_reports_failure() -> None:
    udp = UdpTransport("127.0.0.1", 0, lambda data, src: None)
    await udp.open()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        item = options(1)
        item = Transmit(item.message, Destination("127.0.0.1", peer.getsockname()[1]))
        assert udp.send(item)
        peer.settimeout(2)
        assert peer.recv(65535) == item.data
    assert udp.sent == 1 and udp.send_errors == 0
    udp.close()
    udp.close()  # idempotent
    assert not udp.send(options(2))
    assert udp.send_errors == 1


class _FullThenFree:
    """A socket whose buffer is full for the first ``full`` sends, then takes everything."""

    def __init__(self, real: socket.socket, full: int) -> None:
        self.real, self.full = real, full
        self.sent: list[bytes] = []

    def sendto(self, data: bytes, to: tuple[str, int]) -> int:
        if self.full > 0:
            self.full -= 1
            raise BlockingIOError
        self.sent.append(data)
        return len(data)

    def fileno(self) -> int:
        return self.real.fileno()

    def recvfrom(self, size: int) -> tuple[bytes, tuple[str, int]]:
        return self.real.recvfrom(size)

    def close(self) -> None:
        self.real.close()


async def test_a_full_socket_buffer_delays_sends_in_order_and_loses_none() -> None:
    udp = UdpTransport("127.0.0.1", 0, lambda data, src: None)
    await udp.open()
    assert udp._sock is not None
    fake = _FullThenFree(udp._sock, full=2)
    udp._sock = fake  # type: ignore[assignment]
    items = [options(n) for n in range(5)]
    assert all(udp.send(item) for item in items)  # queued, not failed
    await wait_for(lambda: len(fake.sent) == len(items))
    assert fake.sent == [item.data for item in items]
    assert udp.sent == 5 and udp.send_errors == 0
    udp.close()


async def test_a_send_the_kernel_refuses_is_reported() -> None:
    udp = UdpTransport("127.0.0.1", 0, lambda data, src: None)
    await udp.open()
    bad = Transmit(options(1).message, Destination("255.255.255.255", 5060))  # EACCES: no SO_BROADCAST
    assert not udp.send(bad)
    assert udp.send_errors == 1 and udp.sent == 0
    udp.close()
