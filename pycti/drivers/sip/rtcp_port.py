"""RTCP beside one SIP port's RTP stream (RFC 3550 §6): the socket, our reports on the §6.3
schedule, and the peer's reports.

RTP takes an even port and RTCP the next one (RFC 3550 §11): :func:`open_rtp_pair` binds the
pump's channel on a random even port and a non-blocking UDP socket on the odd one above it,
trying a few pairs; when none is free the call runs without RTCP (RTP alone still works).  We
send to the address of the peer's ``a=rtcp`` (RFC 3605) when its SDP has one, else to its RTP
port + 1.  Ours is always RTP + 1, which RFC 3605 §2.1 lets us leave unsaid.

Each compound packet we send (§6.1) is an SR -- we send audio throughout a call -- with one
report block on the peer's stream once it has one (§6.4.1: fraction lost since the last report,
cumulative lost, extended highest sequence, interarrival jitter, LSR/DLSR from its last SR),
then an SDES with our CNAME; when the call ends, an RR, the SDES and a BYE (§6.3.7, §6.6).
Octet counts assume 160-octet G.711 payloads (the pump counts packets, not octets).  Compound packets from the peer are parsed and their SR/RR kept
(:attr:`PortRtcp.last_sr`, :attr:`PortRtcp.last_report`); a malformed one is counted and dropped.

Reading: the driver's :class:`RtcpReaders` holds every RTCP socket in one epoll set (a
selector where there is no epoll) and reads the readable ones once per tick.  A peer reports
every few seconds, so this costs one non-blocking poll per tick instead of an event-loop reader
per call (registering one was a fifth of a call's setup in the driver).
"""

from __future__ import annotations

import random
import selectors
import socket
import time
from collections.abc import Callable

from ...rtp.packet import RtpError
from ...rtp.rtcp import (
    NTP_UNIX_OFFSET_S, SDES_CNAME, Bye, ReceiverReport, ReportBlock, RtcpScheduler, SdesChunk, SenderReport,
    SourceDescription, build_compound, ntp_middle32, ntp_timestamp, parse_compound,
)
from ..rtppump import RtpPump, RtpPumpError

__all__ = ["PortRtcp", "RtcpReaders", "open_rtp_pair"]

#: G.711 at 20 ms: 64 kbit/s of payload plus RTP/UDP/IP headers (the session bandwidth, §6.2)
SESSION_BW_BPS = 80_000.0
#: octets of payload in one 20 ms G.711 packet
PAYLOAD_OCTETS = 160
_PAIR_TRIES = 16
_PORTS = (16384, 32766)  #: the even RTP ports tried (a common RTP range)


def open_rtp_pair(pump: RtpPump, channel: int, host: str, rng: random.Random) -> tuple[int, socket.socket | None]:
    """Bind ``channel`` of ``pump`` on a random even port of ``host`` and an RTCP socket on the
    port above it; (RTP port, RTCP socket).  With no free pair after a few tries the channel
    takes any port and there is no RTCP socket (None)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(_PAIR_TRIES):
        port = rng.randrange(_PORTS[0], _PORTS[1], 2)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port + 1))
        except OSError:
            sock.close()
            continue
        try:
            bound = pump.open(channel, host, port)
        except (RtpPumpError, OSError):
            sock.close()
            continue
        sock.setblocking(False)
        return bound, sock
    return pump.open(channel, host, 0), None


class RtcpReaders:
    """The RTCP sockets of a driver's calls, read when readable: :meth:`poll` once per tick."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()  # epoll on Linux
        self._ports: dict[int, PortRtcp] = {}  #: fd -> its port's RTCP

    def add(self, rtcp: PortRtcp) -> None:
        """Read ``rtcp``'s socket from now on."""
        assert rtcp.sock is not None
        fd = rtcp.sock.fileno()
        self._selector.register(fd, selectors.EVENT_READ)
        self._ports[fd] = rtcp

    def remove(self, fd: int) -> None:
        """Stop reading ``fd`` (before it is closed)."""
        if self._ports.pop(fd, None) is not None:
            self._selector.unregister(fd)

    def poll(self) -> int:
        """Read every socket with datagrams waiting (never blocks); how many were read."""
        if not self._ports:
            return 0
        ready = self._selector.select(0)
        for key, _ in ready:
            rtcp = self._ports.get(key.fd)
            if rtcp is not None:
                rtcp.read()
        return len(ready)

    def close(self) -> None:
        """Forget every socket (the ports close their own) and close the epoll set."""
        self._ports.clear()
        self._selector.close()


class PortRtcp:
    """RTCP of one call's stream on ``sock`` (see the module docstring).  ``cname`` names us
    (§6.5.1); ``readers`` (the driver's) reads its socket when given."""

    def __init__(self, sock: socket.socket, cname: str, rng: random.Random, now_s: float,
                 readers: RtcpReaders | None = None,
                 wall_s: Callable[[], float] = time.time) -> None:
        self.sock: socket.socket | None = sock
        self.cname = cname
        self.remote: tuple[str, int] | None = None  #: the peer's RTCP address (RTP port + 1)
        self.scheduler = RtcpScheduler(session_bw_bps=SESSION_BW_BPS, now_s=now_s, rng=rng)
        self._wall = wall_s
        self._readers = readers
        self.sent = 0  #: compound packets sent
        self.received = 0  #: compound packets received and parsed
        self.malformed = 0  #: datagrams that were no RTCP compound packet
        self.last_sr: SenderReport | None = None  #: the peer's last sender report
        self.last_report: ReportBlock | None = None  #: the peer's last report on our stream
        self._last_sr_at: tuple[int, float] | None = None  # (middle 32 NTP bits, wall time) of it
        self._prior = (0, 0)  # (expected, received) at our last report, for the fraction lost
        if readers is not None:
            readers.add(self)

    def set_remote(self, rtp_address: tuple[str, int] | None, rtcp_address: tuple[str, int] | None = None) -> None:
        """The peer's RTP address from the SDP (None: not known) and its ``a=rtcp`` address if it
        gave one: RTCP goes there, else to the RTP port + 1."""
        if rtp_address is None or not rtp_address[1]:
            self.remote = None
        else:
            self.remote = rtcp_address if rtcp_address is not None else (rtp_address[0], rtp_address[1] + 1)

    @property
    def due_s(self) -> float:
        """When the next compound packet is due (§6.3.2 ``tn``)."""
        return self.scheduler.next_s

    def report(self, now_s: float, *, ssrc: int, rtp_timestamp: int, packets_sent: int, peer_ssrc: int,
               received: int, lost: int, extended_max: int, base_sequence: int, jitter: int) -> bool:
        """Send our SR (with a report block once the peer's stream is valid: ``received`` > 0)
        and SDES if the schedule says so (§6.3.6); True when one went out."""
        if self.sock is None or self.remote is None:
            return False
        members, senders = 2, 2 if received else 1
        if not self.scheduler.expire(now_s, members=members, senders=senders, we_sent=True):
            return False
        wall = self._wall()
        blocks: tuple[ReportBlock, ...] = ()
        if received:
            expected = extended_max - base_sequence + 1
            exp_i, rec_i = expected - self._prior[0], received - self._prior[1]
            self._prior = (expected, received)
            fraction = 0 if exp_i <= 0 or exp_i <= rec_i else ((exp_i - rec_i) << 8) // exp_i
            lsr, dlsr = 0, 0
            if self._last_sr_at is not None:
                lsr = self._last_sr_at[0]
                dlsr = int((wall - self._last_sr_at[1]) * 65536) & 0xFFFFFFFF
            blocks = (ReportBlock(ssrc=peer_ssrc, fraction_lost=min(fraction, 255),
                                  cumulative_lost=max(-(1 << 23), min(lost, (1 << 23) - 1)),
                                  highest_sequence=extended_max & 0xFFFFFFFF, jitter=max(jitter, 0),
                                  lsr=lsr, dlsr=dlsr),)
        packet = build_compound([
            SenderReport(ssrc=ssrc, ntp=ntp_timestamp(wall + NTP_UNIX_OFFSET_S), rtp_timestamp=rtp_timestamp,
                         packet_count=packets_sent & 0xFFFFFFFF,
                         octet_count=(packets_sent * PAYLOAD_OCTETS) & 0xFFFFFFFF, reports=blocks),
            SourceDescription(chunks=(SdesChunk(ssrc=ssrc, items=((SDES_CNAME, self.cname),)),)),
        ])
        try:
            self.sock.sendto(packet, self.remote)
        except OSError:
            return False  # a full buffer or an unreachable peer: the next report tries again
        finally:
            self.scheduler.sent(now_s, len(packet) + 28, members=members, senders=senders, we_sent=True)
        self.sent += 1
        return True

    def read(self) -> None:
        """Take every datagram waiting on the socket (:class:`RtcpReaders` calls it when readable)."""
        sock = self.sock
        for _ in range(16):
            if sock is None:
                return
            try:
                data = sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            try:
                packets = parse_compound(data)
            except RtpError:
                self.malformed += 1
                continue
            self.received += 1
            for p in packets:
                if isinstance(p, SenderReport):
                    self.last_sr = p
                    self._last_sr_at = (ntp_middle32(p.ntp), self._wall())
                if isinstance(p, (SenderReport, ReceiverReport)) and p.reports:
                    self.last_report = p.reports[0]

    def close(self, *, bye_ssrc: int | None = None) -> None:
        """Say BYE for ``bye_ssrc`` (our stream's SSRC; None: nothing to say) when we sent RTCP to
        a known peer, then stop reading and close the socket.  The BYE goes out at once: a call
        ending leaves its members at two, under §6.3.7's 50 where it may be delayed."""
        if self.sock is None:
            return
        if bye_ssrc is not None and self.remote is not None and self.sent:
            packet = build_compound([
                ReceiverReport(ssrc=bye_ssrc),
                SourceDescription(chunks=(SdesChunk(ssrc=bye_ssrc, items=((SDES_CNAME, self.cname),)),)),
                Bye(ssrcs=(bye_ssrc,)),
            ])
            try:
                self.sock.sendto(packet, self.remote)
                self.sent += 1
            except OSError:
                pass  # the peer is gone or unreachable: nothing more to do for a call that ended
        if self._readers is not None:
            self._readers.remove(self.sock.fileno())
        self.sock.close()
        self.sock = None
