"""SIP transports of the SIP driver (RFC 3261 §18): UDP (§18.1.1, §18.2.1), one asyncio
datagram endpoint, and TCP (:class:`TcpTransport`: a listening socket, one connection per
peer, frames cut by :class:`~pycti.sip.message_framing.StreamFramer`, §18.3).

Every datagram that arrives is handed with its source (a
:class:`~pycti.sip.timers.Destination`) to the callback the driver gives, on the event loop's
thread (the thread the switch calls the driver from).  :meth:`UdpTransport.send` writes a
:class:`~pycti.sip.transaction_table.Transmit`'s bytes to its destination; a send error is
reported back so the transaction layer can fail the transaction (§18.4).
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import dataclasses
from collections.abc import Callable

from ...sip.message import SipMessage, SipRequest
from ...sip.message_errors import SipFramingError
from ...sip.message_framing import StreamFramer
from ...sip.timers import Destination
from ...sip.transaction_table import Transmit, replace_top_via

__all__ = ["UdpTransport", "TcpTransport", "TransportStats", "on_stream_via"]

#: how long opening a TCP connection may take before what waits for it fails (Timer B/F
#: would end the transaction later anyway, §17.1.1.2)
CONNECT_TIMEOUT_S = 5.0

#: RFC 3261 §18.1.1 keeps UDP messages under the path MTU; we accept any datagram up to this.
MAX_DATAGRAM = 65535

Receiver = Callable[[bytes, Destination], None]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TransportStats:
    """Messages sent per transport, send failures, and the TCP connections open now."""

    udp_sent: int
    udp_send_errors: int
    tcp_sent: int
    tcp_send_errors: int
    tcp_connections: int


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        host, port = str(addr[0]), addr[1]
        if isinstance(port, int) and 0 < port <= 65535:
            self._receiver(data, Destination(host, port, "UDP"))

    def error_received(self, exc: Exception) -> None:  # ICMP errors: the transaction times out
        pass


class UdpTransport:
    """One bound UDP socket for SIP: :meth:`open`, :meth:`send`, :meth:`close`."""

    def __init__(self, host: str, port: int, receiver: Receiver) -> None:
        self.host = host
        self.port = port
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None
        self.sent = 0
        self.send_errors = 0

    async def open(self) -> int:
        """Bind the socket; returns the bound port (``port`` 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._receiver), local_addr=(self.host, self.port))
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self.port

    def send(self, item: Transmit) -> bool:
        """Send one message; False when the socket is closed or the send failed."""
        if self._transport is None or self._transport.is_closing():
            self.send_errors += 1
            return False
        try:
            self._transport.sendto(item.data, (item.dest.host, item.dest.port))
        except OSError:
            self.send_errors += 1
            return False
        self.sent += 1
        return True

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None


def on_stream_via(message: SipMessage, transport: str) -> SipMessage:
    """``message`` as it goes out on a stream: a request's top Via names the transport it is
    sent on (RFC 3261 §18.1.1, §20.42; the core builds Vias with its UDP default).  The
    branch and sent-by, which match the transaction (§17.1.3), are kept."""
    if not isinstance(message, SipRequest):
        return message
    via = message.top_via()
    if via is None or via.transport == transport:
        return message
    return replace_top_via(message, dataclasses.replace(via, transport=transport))


class _Stream(asyncio.Protocol):
    """One TCP connection: octets in through a :class:`StreamFramer`, frames to the owner."""

    def __init__(self, owner: TcpTransport) -> None:
        self._owner = owner
        self._framer = StreamFramer()
        self.peer: tuple[str, int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        name = transport.get_extra_info("peername")
        self.peer = (str(name[0]), int(name[1]))
        self._owner.connections[self.peer] = self

    def data_received(self, data: bytes) -> None:
        if self.peer is None:
            return
        try:
            frames = self._framer.feed(data)
        except SipFramingError:  # §18.3: a stream that cannot be framed is closed
            self.close()
            return
        source = Destination(self.peer[0], self.peer[1], "TCP")
        for frame in frames:
            self._owner.receiver(frame.raw, source)  # judged as a datagram is: 400 if malformed

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self._owner.connections.get(self.peer) is self:
            del self._owner.connections[self.peer]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class TcpTransport:
    """SIP over TCP (RFC 3261 §18): a listening socket and one connection per peer, reused
    both ways (§18.1.1: a request goes on an open connection to its destination; §18.2.2: a
    response on the connection its request came on).  A destination with no connection gets
    one opened; what is sent meanwhile is queued, and a connection that cannot be opened fails
    each queued message through ``failed`` (the transaction ends, §18.4)."""

    def __init__(self, host: str, port: int, receiver: Receiver,
                 failed: Callable[[SipMessage], None]) -> None:
        self.host = host
        self.port = port
        self.receiver = receiver
        self._failed = failed
        self._server: asyncio.base_events.Server | None = None
        self.connections: dict[tuple[str, int], _Stream] = {}
        self._queued: dict[tuple[str, int], list[SipMessage]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.send_errors = 0

    async def open(self) -> int:
        """Listen; returns the bound port (``port`` 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Stream(self), self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def send(self, item: Transmit) -> bool:
        """Write one message on the peer's connection (opened when there is none); False
        when the transport is closed."""
        if self._server is None:
            self.send_errors += 1
            return False
        message = on_stream_via(item.message, "TCP")
        peer = (item.dest.host, item.dest.port)
        conn = self.connections.get(peer)
        if conn is not None and conn.transport is not None and not conn.transport.is_closing():
            conn.transport.write(message.to_bytes())
            self.sent += 1
            return True
        queue = self._queued.setdefault(peer, [])
        queue.append(message)
        if len(queue) == 1:
            task = asyncio.get_running_loop().create_task(self._connect(peer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def _connect(self, peer: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Stream(self), peer[0], peer[1]), CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            for message in self._queued.pop(peer, []):
                self.send_errors += 1
                self._failed(message)
            return
        assert conn.transport is not None
        for message in self._queued.pop(peer, []):
            conn.transport.write(message.to_bytes())
            self.sent += 1

    def close(self) -> None:
        """Stop listening, close every connection, drop what waits for one (idempotent)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self.connections.values()):
            conn.close()
        self.connections.clear()
        for task in self._tasks:
            task.cancel()
        self._queued.clear()
