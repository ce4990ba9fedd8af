"""SIP transports of the SIP driver (RFC 3261 §18): UDP (§18.1.1, §18.2.1), one non-blocking
socket drained by an event-loop reader callback, and TCP (:class:`TcpTransport`: a listening
socket, one connection per peer, frames cut by :class:`~pycti.sip.message_framing.StreamFramer`,
§18.3).

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
import socket
from collections import deque
from collections.abc import Callable

from ...sip.message import SipMessage, SipRequest
from ...sip.message_errors import SipFramingError
from ...sip.message_framing import StreamFramer
from ...sip.timers import Destination
from ...sip.transaction_table import Transmit, replace_top_via

__all__ = ["UdpTransport", "TcpTransport", "TransportStats", "on_stream_via"]

#: receive buffer asked for the SIP UDP socket (the kernel caps it at net.core.rmem_max).  The
#: default (about 200 KB, which the kernel counts at ~2 KB per small datagram) holds ~90
#: requests: at hundreds of calls a second a 100 ms pause of the loop (a garbage collection)
#: overflowed it, and each dropped request cost its caller a 500 ms retransmission.
UDP_RCVBUF_BYTES = 4 << 20

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


#: datagrams read per readiness of the UDP socket at most: the event loop's other callbacks
#: (the media tick) wait at most this many datagrams
READ_BATCH = 16
#: sources remembered (their Destination reused) before the memory starts again
_SOURCES_MAX = 4096


class UdpTransport:
    """One bound UDP socket for SIP: :meth:`open`, :meth:`send`, :meth:`close`.

    The socket is read by the event loop's reader callback, every datagram waiting (up to
    :data:`READ_BATCH`) per readiness, not one per loop turn; a send goes straight to
    ``sendto`` and is queued (sent when the socket is writable) only when the socket's buffer
    is full."""

    def __init__(self, host: str, port: int, receiver: Receiver) -> None:
        self.host = host
        self.port = port
        self._receiver = receiver
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._backlog: deque[tuple[bytes, tuple[str, int]]] = deque()
        #: (host, port) -> its Destination: peers recur, a Destination never changes
        self._sources: dict[tuple[str, int], Destination] = {}
        self.sent = 0
        self.send_errors = 0

    async def open(self) -> int:
        """Bind the socket; returns the bound port (``port`` 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
        error: OSError | None = None
        for family, kind, proto, _, address in infos:  # the first address that binds
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RCVBUF_BYTES)
                except OSError:
                    pass  # the system's default buffer, then
                sock.bind(address)
                break
            except OSError as exc:
                sock.close()
                error = exc
        else:
            raise error if error is not None else OSError(f"no address for {self.host!r}")
        self._sock, self._loop = sock, loop
        self.port = int(sock.getsockname()[1])
        loop.add_reader(sock.fileno(), self._read)
        return self.port

    def _read(self) -> None:
        sock = self._sock
        for _ in range(READ_BATCH):
            if sock is None or self._sock is not sock:
                return  # closed by what a datagram caused
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ICMP errors reported on the socket: the transaction times out
                continue
            key = (str(addr[0]), addr[1])
            source = self._sources.get(key)
            if source is None:
                if not 0 < key[1] <= 65535:
                    continue
                if len(self._sources) >= _SOURCES_MAX:
                    self._sources.clear()
                source = self._sources[key] = Destination(key[0], key[1], "UDP")
            self._receiver(data, source)

    def send(self, item: Transmit) -> bool:
        """Send one message; False when the socket is closed or the send failed."""
        sock = self._sock
        if sock is None:
            self.send_errors += 1
            return False
        data, to = item.data, (item.dest.host, item.dest.port)
        if self._backlog:
            self._backlog.append((data, to))
            return True
        try:
            sock.sendto(data, to)
        except (BlockingIOError, InterruptedError):  # buffer full: send when writable
            self._backlog.append((data, to))
            assert self._loop is not None
            self._loop.add_writer(sock.fileno(), self._write)
            return True
        except OSError:
            self.send_errors += 1
            return False
        self.sent += 1
        return True

    def _write(self) -> None:
        sock, backlog = self._sock, self._backlog
        while sock is not None and backlog:
            data, to = backlog[0]
            try:
                sock.sendto(data, to)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.send_errors += 1
            else:
                self.sent += 1
            backlog.popleft()
        if sock is not None and self._loop is not None:
            self._loop.remove_writer(sock.fileno())

    def close(self) -> None:
        """Close the socket (idempotent)."""
        sock, self._sock = self._sock, None
        if sock is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
                self._loop.remove_writer(sock.fileno())
            sock.close()
        self._backlog.clear()


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
