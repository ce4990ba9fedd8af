"""SIP over UDP for the SIP driver (RFC 3261 §18.1.1, §18.2.1): one asyncio datagram endpoint.

Every datagram that arrives is handed with its source (a
:class:`~pycti.sip.timers.Destination`) to the callback the driver gives, on the event loop's
thread (the thread the switch calls the driver from).  :meth:`UdpTransport.send` writes a
:class:`~pycti.sip.transaction_table.Transmit`'s bytes to its destination; a send error is
reported back so the transaction layer can fail the transaction (§18.4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ...sip.timers import Destination
from ...sip.transaction_table import Transmit

__all__ = ["UdpTransport"]

#: RFC 3261 §18.1.1 keeps UDP messages under the path MTU; we accept any datagram up to this.
MAX_DATAGRAM = 65535

Receiver = Callable[[bytes, Destination], None]


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
