"""Batched RTP media pump for SIP channels (C through cffi, API mode): no per-packet Python.

:class:`RtpPump` owns ``channels`` UDP sockets (IPv4 or IPv6, one per channel) and moves the
G.711 audio of all of them in one C call per 20 ms tick:

* :meth:`RtpPump.receive` drains every socket with ``recvmmsg`` (at most ``recv_budget``
  datagrams per channel per call), checks each RTP header as RFC 3550 A.1 asks, validates
  sequence numbers (A.1: probation, dropout, misorder, confirmed restart) and keeps the A.3
  loss and A.8 jitter figures (arrival times from the kernel, ``SO_TIMESTAMPNS``), drops
  duplicates and files PCMU/PCMA payloads (RFC 3551; any packet length, cut at 20 ms frame
  boundaries) in a fixed-delay playout buffer per channel.  It follows
  :class:`pycti.rtp.stream.ReceiveStream` with a ``"fixed"``
  :class:`~pycti.rtp.jitter.JitterConfig` rule for rule: the tests feed both the same packets
  and compare every played sample and counter (the adaptive mode is not in C);
* :meth:`RtpPump.tick` plays one ``(channels, 160)`` int16 frame, with concealment (the last
  frame repeated once) or silence for a missing one, and says per channel what it played;
* :meth:`RtpPump.send` G.711-encodes one frame per active channel and sends it (sequence +1,
  timestamp +160, marker bit on a talkspurt's first packet, RFC 3551 §4.1); a masked-off channel
  pauses (its timestamp runs on); :meth:`RtpPump.exchange` is receive, tick and send in one call.

Rare packets go to a side queue that :meth:`RtpPump.side_packets` drains, for the sans-I/O
logic of :mod:`pycti.rtp`: RTCP on the RTP port (RFC 5761 §4), RFC 4733 telephone-events,
payload types not negotiated, the first packet of a new SSRC (the stream restarts on it, RFC
3550 §8.2) and the first packet from a new source address (symmetric RTP, RFC 4961: the caller
decides whether to latch and calls :meth:`RtpPump.set_remote`).  :meth:`RtpPump.send_rtp` sends
a payload built in Python (RFC 4733 events) in the channel's sequence space;
:meth:`RtpPump.send_raw` sends any datagram (RTCP).

Bad arguments raise :class:`RtpPumpArgumentError` (a ``ValueError``) before anything changes;
C failures raise :class:`RtpPumpError` subclasses (``DriverError``) naming the call and channel.
Socket errors during the batch calls never stop the batch: they are counted per channel
(:attr:`PumpStats.send_dropped`, :attr:`PumpStats.recv_errors`, :attr:`PumpStats.last_errno`).
A pump is driven by one thread (cffi releases the GIL during its calls).  POSIX only; on
Linux it uses ``recvmmsg`` and kernel timestamps, elsewhere a ``recvmsg`` loop and the clock.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import os
import operator
import random
from dataclasses import dataclass, fields
from typing import Any, Literal, NoReturn, Self

import numpy as np

from ..errors import DriverError, PyctiError
from ._rtppump import ffi, lib  # compiled by cffi from drivers/rtp; typed by _rtppump.pyi

__all__ = [
    "FRAME_SAMPLES",
    "Address",
    "ChannelClosedError",
    "ChannelInUseError",
    "NoRemoteError",
    "PlayedFrame",
    "PumpStats",
    "RtpPump",
    "RtpPumpArgumentError",
    "RtpPumpConfig",
    "RtpPumpError",
    "RtpSocketError",
    "SendBufferFullError",
    "SendState",
    "SideKind",
    "SidePacket",
]

FRAME_SAMPLES = 160  #: 20 ms at 8 kHz
_PT_PCMU, _PT_PCMA = 0, 8
_SIDE_CHUNK = 64
#: (host, port), numeric host only
Address = tuple[str, int]


class RtpPumpArgumentError(PyctiError, ValueError):
    """An argument out of range (channel number, payload type, array shape ...)."""


class RtpPumpError(DriverError):
    """A pump call failed in C: ``call``, ``channel`` and ``code`` (RTP_ERR_*) say which."""

    def __init__(self, code: int, call: str, channel: int | None, detail: str = "") -> None:
        self.code = code
        self.call = call
        self.channel = channel
        where = f"channel {channel}" if channel is not None else "pump"
        super().__init__(f"{call} on {where} failed: {_CODE_NAMES.get(code, 'unknown error')} ({code}){detail}")


class ChannelClosedError(RtpPumpError):
    """The channel has no socket: :meth:`RtpPump.open` it first."""


class ChannelInUseError(RtpPumpError):
    """The channel already has a socket."""


class NoRemoteError(RtpPumpError):
    """Sending on a channel with no remote address (:meth:`RtpPump.set_remote`)."""


class SendBufferFullError(RtpPumpError):
    """The socket's send buffer was full: the packet was dropped (counted)."""


class RtpSocketError(RtpPumpError):
    """A socket call failed; ``errno`` is the system's error number."""


_CODE_NAMES = {
    lib.RTP_ERR_ARGUMENT: "argument out of range",
    lib.RTP_ERR_CHANNEL: "no such channel",
    lib.RTP_ERR_CLOSED: "channel closed",
    lib.RTP_ERR_OPEN: "channel already open",
    lib.RTP_ERR_NOMEM: "out of memory",
    lib.RTP_ERR_SOCKET: "socket error",
    lib.RTP_ERR_NO_REMOTE: "no remote address",
    lib.RTP_ERR_WOULDBLOCK: "send buffer full",
}
_ERRORS: dict[int, type[RtpPumpError]] = {
    lib.RTP_ERR_CLOSED: ChannelClosedError,
    lib.RTP_ERR_OPEN: ChannelInUseError,
    lib.RTP_ERR_NO_REMOTE: NoRemoteError,
    lib.RTP_ERR_WOULDBLOCK: SendBufferFullError,
    lib.RTP_ERR_SOCKET: RtpSocketError,
}


class SideKind(enum.IntEnum):
    """Why a packet is in the side queue."""

    RTCP = lib.RTP_SIDE_RTCP  #: RTCP multiplexed on the RTP port
    EVENT = lib.RTP_SIDE_EVENT  #: RFC 4733 telephone-event (passed sequence/duplicate checks)
    UNKNOWN_PT = lib.RTP_SIDE_UNKNOWN_PT  #: payload type not negotiated (not played)
    NEW_SOURCE = lib.RTP_SIDE_NEW_SOURCE  #: first packet of a new SSRC (also processed)
    SOURCE_ADDRESS = lib.RTP_SIDE_SOURCE_ADDRESS  #: first packet from a new address (latching)
    REJECTED = lib.RTP_SIDE_REJECTED  #: strict channel, foreign address: dropped (once per address)


class PlayedFrame(enum.IntEnum):
    """What :meth:`RtpPump.tick` played on a channel (the ``kinds`` array)."""

    SILENCE = lib.RTP_FRAME_SILENCE
    AUDIO = lib.RTP_FRAME_AUDIO
    CONCEALED = lib.RTP_FRAME_CONCEALED


@dataclass(frozen=True, slots=True, kw_only=True)
class RtpPumpConfig:
    """Playout delay ``jitter_depth_ms`` (a multiple of 20), a packet more than
    ``jitter_max_ms`` ahead re-anchors playout; ``conceal`` repeats the last frame once or
    plays silence; ``side_capacity`` side-queue entries (the excess is counted and dropped);
    ``recv_budget`` packets per channel per receive call; ``min_sequential`` RFC 3550 A.1."""

    jitter_depth_ms: int = 40
    jitter_max_ms: int = 300
    conceal: Literal["repeat", "silence"] = "repeat"
    side_capacity: int = 1024
    recv_budget: int = 64
    min_sequential: int = 2

    def __post_init__(self) -> None:
        for name in ("jitter_depth_ms", "jitter_max_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0 or value % 20:
                raise RtpPumpArgumentError(f"{name} must be a non-negative multiple of 20, got {value!r}")
        if not 20 <= self.jitter_max_ms <= 20 * lib.RTP_PUMP_MAX_JITTER_FRAMES:
            raise RtpPumpArgumentError(f"jitter_max_ms {self.jitter_max_ms} is outside 20-"
                                       f"{20 * lib.RTP_PUMP_MAX_JITTER_FRAMES}")
        if self.jitter_depth_ms > self.jitter_max_ms:
            raise RtpPumpArgumentError(f"jitter_depth_ms {self.jitter_depth_ms} exceeds jitter_max_ms "
                                       f"{self.jitter_max_ms}")
        if self.conceal not in ("repeat", "silence"):
            raise RtpPumpArgumentError(f"conceal must be 'repeat' or 'silence', got {self.conceal!r}")
        for name, low, high in (("side_capacity", 1, 1 << 20), ("recv_budget", 1, 1 << 16),
                                ("min_sequential", 0, 100)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise RtpPumpArgumentError(f"{name} must be an integer {low}-{high}, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SidePacket:
    """One side-queue packet: the whole datagram, where it came from, when (8 kHz units of
    the receive clock: the kernel's arrival time, or the value given to receive())."""

    channel: int
    kind: SideKind
    data: bytes
    source: Address
    arrival_ts: int


@dataclass(frozen=True, slots=True)
class SendState:
    """A channel's next outgoing SSRC, sequence number and timestamp (RFC 3550 §5.1)."""

    ssrc: int
    sequence: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class PumpStats:
    """Per-channel counters, each an int64 array of length ``channels``.

    ``received``/``lost``/``extended_max``/``base_sequence`` are RFC 3550 A.1/A.3 figures of
    the current source (0 before it is valid), ``jitter`` A.8 in timestamp units.  The packet
    counters (``audio`` ... ``rejected``) name the same outcomes as
    :class:`pycti.rtp.stream.RxResult`; ``concealed``/``silence``/``played`` count ticks.
    """

    received: np.ndarray
    lost: np.ndarray
    extended_max: np.ndarray
    jitter: np.ndarray
    audio: np.ndarray
    late: np.ndarray
    duplicate: np.ndarray
    probation: np.ndarray
    invalid_sequence: np.ndarray
    malformed: np.ndarray
    unknown_pt: np.ndarray
    rtcp: np.ndarray
    event: np.ndarray
    rejected: np.ndarray
    concealed: np.ndarray
    silence: np.ndarray
    played: np.ndarray
    resync: np.ndarray
    new_sources: np.ndarray
    ssrc: np.ndarray
    base_sequence: np.ndarray
    packets_sent: np.ndarray
    octets_sent: np.ndarray
    send_dropped: np.ndarray
    recv_errors: np.ndarray
    last_errno: np.ndarray
    side_dropped: np.ndarray
    buffered: np.ndarray  #: frames held in the playout buffer now


_STAT_FIELDS = [f.name for f in fields(PumpStats)]
assert len(_STAT_FIELDS) == lib.RTP_STAT_COUNT


#: receive tables kept per pump (set_payload_types builds each distinct one once)
_PT_TABLES_MAX = 64


def _payload_table(pcmu: tuple[int, ...], pcma: tuple[int, ...], telephone_event: int | None) -> Any:
    """The pump's 128-entry receive table (PT -> RTP_PT_* kind) for these payload types."""
    kinds = {pt: lib.RTP_PT_PCMU for pt in pcmu} | {pt: lib.RTP_PT_PCMA for pt in pcma}
    if telephone_event is not None:
        kinds[telephone_event] = lib.RTP_PT_EVENT
    bad = [pt for pt in kinds if not isinstance(pt, int) or not 0 <= pt <= 127]
    if bad or len(kinds) != len(pcmu) + len(pcma) + (telephone_event is not None):
        raise RtpPumpArgumentError(f"payload types must be distinct integers 0-127: pcmu={pcmu}, "
                                   f"pcma={pcma}, telephone_event={telephone_event}")
    table = ffi.new("uint8_t[128]")  # zero-filled: RTP_PT_NONE
    for pt, kind in kinds.items():
        table[pt] = kind
    return table


def _check(rc: int, call: str, channel: int | None = None, pump: Any = None) -> int:
    """``rc`` if it is not an error code, else raise the matching :class:`RtpPumpError`
    (an :class:`RtpPumpArgumentError` for an argument C refused)."""
    if rc >= 0:
        return rc
    if rc == lib.RTP_ERR_ARGUMENT or rc == lib.RTP_ERR_CHANNEL:
        raise RtpPumpArgumentError(f"{call} on channel {channel}: {_CODE_NAMES[rc]}")
    _raise(rc, call, channel, pump)


def _raise(rc: int, call: str, channel: int | None, pump: Any = None) -> NoReturn:
    """Raise the :class:`RtpPumpError` of ``rc``; a socket failure carries the C call's errno."""
    cls = _ERRORS.get(rc, RtpPumpError)
    with_errno = pump is not None and rc in (lib.RTP_ERR_SOCKET, lib.RTP_ERR_WOULDBLOCK)
    err = int(lib.rtp_pump_errno(pump)) if with_errno else 0
    exc = cls(rc, call, channel, f": {os.strerror(err)} (errno {err})" if err else "")
    exc.errno = err or None
    raise exc


@functools.lru_cache(maxsize=1024)
def _parse_host(host: str) -> tuple[int, bytes]:
    """(4 or 6, packed address) of a numeric host; RtpPumpArgumentError otherwise (cached:
    a call's setup names the same few hosts again and again)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise RtpPumpArgumentError(f"host {host!r} is not a numeric IPv4 or IPv6 address") from None
    return ip.version, ip.packed


def _check_port(port: int) -> int:
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise RtpPumpArgumentError(f"port {port!r} is outside 0-65535")
    return port


class RtpPump:
    """``channels`` RTP channels whose media moves in one C call per tick (module docstring)."""

    def __init__(self, channels: int, config: RtpPumpConfig | None = None) -> None:
        if not isinstance(channels, int) or not 1 <= channels <= lib.RTP_PUMP_MAX_CHANNELS:
            raise RtpPumpArgumentError(f"channels must be 1-{lib.RTP_PUMP_MAX_CHANNELS}, got {channels!r}")
        self.config = cfg = config or RtpPumpConfig()
        c_cfg = ffi.new("rtp_pump_config *")
        c_cfg.jitter_depth_frames = cfg.jitter_depth_ms // 20
        c_cfg.jitter_max_frames = cfg.jitter_max_ms // 20
        c_cfg.conceal_repeat = cfg.conceal == "repeat"
        c_cfg.side_capacity = cfg.side_capacity
        c_cfg.recv_budget = cfg.recv_budget
        c_cfg.min_sequential = cfg.min_sequential
        err = ffi.new("int32_t *")
        raw = lib.rtp_pump_new(channels, c_cfg, err)
        if raw == ffi.NULL:
            _raise(err[0], "rtp_pump_new", None)
        self._p: Any = ffi.gc(raw, lib.rtp_pump_free)
        self._n = channels
        #: (pcmu, pcma, telephone_event) -> its 128-entry receive table, built once
        self._pt_tables: dict[tuple[tuple[int, ...], tuple[int, ...], int | None], Any] = {}
        self._family: list[int | None] = [None] * channels
        self._side = ffi.new("rtp_side_entry[]", _SIDE_CHUNK)
        self._stats = np.zeros((channels, lib.RTP_STAT_COUNT), dtype=np.int64)
        self._tx = ffi.new("uint32_t[3]")

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def free(self) -> None:
        """Close every socket and free the C pump now (the object is unusable afterwards)."""
        if self._p is not None:
            ffi.release(self._p)  # runs rtp_pump_free now, not at garbage collection
            self._p = None

    def _pump(self) -> Any:
        if self._p is None:
            raise RtpPumpError(lib.RTP_ERR_CLOSED, "pump", None, ": the pump was freed")
        return self._p

    @property
    def channels(self) -> int:
        """Number of channels (``0 .. channels-1``)."""
        return self._n

    def _ch(self, channel: int) -> int:
        try:
            ch = operator.index(channel)
        except TypeError:
            raise RtpPumpArgumentError(f"channel must be an integer, got {channel!r}") from None
        if not 0 <= ch < self._n:
            raise RtpPumpArgumentError(f"channel {ch} is outside 0-{self._n - 1}")
        return ch

    # ------------------------------------------------------------------ channel setup
    def open(self, channel: int, host: str = "127.0.0.1", port: int = 0) -> int:
        """Bind the channel's UDP socket on ``host`` (numeric IPv4/IPv6) and ``port`` (0:
        ephemeral); returns the bound port.  Receive state and counters start afresh."""
        ch = self._ch(channel)
        family, packed = _parse_host(host)
        _check(lib.rtp_pump_open(self._pump(), ch, family, packed, _check_port(port)), "open", ch, self._p)
        self._family[ch] = family
        return _check(lib.rtp_pump_local_port(self._p, ch), "local_port", ch)

    def close(self, channel: int) -> None:
        """Close the channel's socket (its receive state is forgotten)."""
        ch = self._ch(channel)
        _check(lib.rtp_pump_close(self._pump(), ch), "close", ch)
        self._family[ch] = None

    def is_open(self, channel: int) -> bool:
        """Whether the channel has a socket."""
        return self._family[self._ch(channel)] is not None

    def local_port(self, channel: int) -> int:
        """The UDP port the channel's socket is bound to."""
        ch = self._ch(channel)
        return _check(lib.rtp_pump_local_port(self._pump(), ch), "local_port", ch)

    def fileno(self, channel: int) -> int:
        """The channel's socket descriptor (for a selector; do not read from it)."""
        ch = self._ch(channel)
        return _check(lib.rtp_pump_fileno(self._pump(), ch), "fileno", ch)

    def set_remote(self, channel: int, address: Address | None) -> None:
        """Where the channel sends (the SDP address, or the latched source); ``None``: nowhere."""
        ch = self._ch(channel)
        if address is None:
            _check(lib.rtp_pump_set_remote(self._pump(), ch, 0, ffi.NULL, 0), "set_remote", ch)
            return
        host, port = address
        family, packed = _parse_host(host)
        if self._family[ch] is not None and family != self._family[ch]:
            raise RtpPumpArgumentError(f"remote {host!r} is IPv{family} but channel {ch} is bound on "
                                       f"IPv{self._family[ch]}")
        _check(lib.rtp_pump_set_remote(self._pump(), ch, family, packed, _check_port(port)), "set_remote", ch)

    def set_strict(self, channel: int, strict: bool) -> None:
        """Strict: packets from anywhere but the remote address are dropped (and each new
        foreign address reported once as REJECTED)."""
        ch = self._ch(channel)
        _check(lib.rtp_pump_set_strict(self._pump(), ch, bool(strict)), "set_strict", ch)

    def set_payload_types(self, channel: int, *, pcmu: tuple[int, ...] = (_PT_PCMU,),
                          pcma: tuple[int, ...] = (_PT_PCMA,), telephone_event: int | None = None) -> None:
        """The negotiated receive payload types: those played as mu-law and A-law, and the
        RFC 4733 one; every other PT goes to the side queue as UNKNOWN_PT."""
        ch = self._ch(channel)
        key = (tuple(pcmu), tuple(pcma), telephone_event)
        table = self._pt_tables.get(key)
        if table is None:  # a few distinct tables in practice (the offers' PT choices)
            if len(self._pt_tables) >= _PT_TABLES_MAX:
                self._pt_tables.clear()
            table = self._pt_tables[key] = _payload_table(*key)
        _check(lib.rtp_pump_set_rx_payloads(self._pump(), ch, table), "set_rx_payloads", ch)

    def set_send(self, channel: int, *, ssrc: int, sequence: int, timestamp: int, payload_type: int = _PT_PCMU,
                 law: int | None = None) -> None:
        """The send stream: PT (0 PCMU, 8 PCMA, or a dynamic PT with ``law`` 0/8), SSRC, first
        sequence number and timestamp (draw them at random, RFC 3550 §5.1: :meth:`randomize_send`)."""
        ch = self._ch(channel)
        law = payload_type if law is None else law
        if law not in (_PT_PCMU, _PT_PCMA) or not 0 <= payload_type <= 127:
            raise RtpPumpArgumentError(f"payload_type {payload_type} must be 0-127 with law 0 or 8, got law {law}")
        for name, value, top in (("ssrc", ssrc, 0xFFFFFFFF), ("sequence", sequence, 0xFFFF),
                                 ("timestamp", timestamp, 0xFFFFFFFF)):
            if not isinstance(value, int) or not 0 <= value <= top:
                raise RtpPumpArgumentError(f"{name} {value!r} is outside 0-{top}")
        _check(lib.rtp_pump_set_tx(self._pump(), ch, payload_type, law, ssrc, sequence, timestamp), "set_tx", ch)

    def randomize_send(self, channel: int, rng: random.Random, *, payload_type: int = _PT_PCMU,
                       law: int | None = None) -> SendState:
        """:meth:`set_send` with SSRC, sequence and timestamp drawn from ``rng``."""
        self.set_send(channel, ssrc=rng.getrandbits(32), sequence=rng.getrandbits(16),
                      timestamp=rng.getrandbits(32), payload_type=payload_type, law=law)
        return self.send_state(channel)

    def send_state(self, channel: int) -> SendState:
        """The SSRC, sequence number and timestamp the next packet will carry."""
        ch = self._ch(channel)
        _check(lib.rtp_pump_get_tx(self._pump(), ch, self._tx), "get_tx", ch)
        return SendState(int(self._tx[0]), int(self._tx[1]), int(self._tx[2]))

    def reset_receive(self, channel: int) -> None:
        """Forget the channel's receive source (a re-INVITE to another party)."""
        ch = self._ch(channel)
        _check(lib.rtp_pump_reset_rx(self._pump(), ch), "reset_rx", ch)

    # ------------------------------------------------------------------ per tick
    def _frames_in(self, frames: np.ndarray) -> Any:
        a = np.asarray(frames)
        if a.dtype != np.int16 or a.shape != (self._n, FRAME_SAMPLES):
            raise RtpPumpArgumentError(f"frames must be int16 of shape ({self._n}, {FRAME_SAMPLES}), "
                                       f"got {a.dtype} {a.shape}")
        return ffi.from_buffer("int16_t[]", np.ascontiguousarray(a))

    def _mask_in(self, mask: np.ndarray | None) -> Any:
        if mask is None:
            return ffi.NULL
        m = np.asarray(mask)
        if m.shape != (self._n,) or m.dtype not in (np.bool_, np.uint8):
            raise RtpPumpArgumentError(f"mask must be bool or uint8 of shape ({self._n},), got {m.dtype} {m.shape}")
        return ffi.from_buffer("uint8_t[]", np.ascontiguousarray(m.view(np.uint8)))

    def _out(self, out: np.ndarray | None, kinds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if out is None:
            out = np.empty((self._n, FRAME_SAMPLES), dtype=np.int16)
        elif out.dtype != np.int16 or out.shape != (self._n, FRAME_SAMPLES) or not out.flags.c_contiguous:
            raise RtpPumpArgumentError(f"out must be C-contiguous int16 of shape ({self._n}, {FRAME_SAMPLES})")
        if kinds is None:
            kinds = np.empty(self._n, dtype=np.uint8)
        elif kinds.dtype != np.uint8 or kinds.shape != (self._n,) or not kinds.flags.c_contiguous:
            raise RtpPumpArgumentError(f"kinds must be contiguous uint8 of shape ({self._n},)")
        return out, kinds

    @staticmethod
    def _arrival(arrival_ts: int | None) -> int:
        if arrival_ts is None:
            return -1
        if not isinstance(arrival_ts, int) or arrival_ts < 0:
            raise RtpPumpArgumentError(f"arrival_ts must be a non-negative integer, got {arrival_ts!r}")
        return arrival_ts & 0xFFFFFFFF

    def receive(self, arrival_ts: int | None = None) -> int:
        """Drain every open socket; returns the datagrams read.  ``arrival_ts`` (8 kHz units)
        stamps them all instead of the kernel's arrival times (for tests and replays)."""
        return int(lib.rtp_pump_receive(self._pump(), self._arrival(arrival_ts)))

    def tick(self, out: np.ndarray | None = None, kinds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Play one 20 ms frame on every channel: ``(frames (channels, 160) int16, kinds
        (channels,) uint8 of PlayedFrame)``; pass ``out``/``kinds`` to reuse arrays."""
        out, kinds = self._out(out, kinds)
        lib.rtp_pump_tick(self._pump(), ffi.from_buffer("int16_t[]", out, require_writable=True),
                          ffi.from_buffer("uint8_t[]", kinds, require_writable=True))
        return out, kinds

    def send(self, frames: np.ndarray, mask: np.ndarray | None = None) -> int:
        """Encode and send row ``i`` of ``frames`` on every open channel ``i`` with a remote
        (and ``mask[i]`` true); returns the packets the kernel took."""
        return int(lib.rtp_pump_send(self._pump(), self._frames_in(frames), self._mask_in(mask)))

    def exchange(self, frames: np.ndarray, mask: np.ndarray | None = None, out: np.ndarray | None = None,
                 kinds: np.ndarray | None = None, arrival_ts: int | None = None, *,
                 background: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`receive`, :meth:`tick` and :meth:`send` in one C call (the media tick).

        ``background``: the send runs on the pump's own thread (:meth:`send_start`), so the
        kernel's work of the packets overlaps what the caller does next."""
        c_frames, c_mask = self._frames_in(frames), self._mask_in(mask)
        out, kinds = self._out(out, kinds)
        call = lib.rtp_pump_exchange_start if background else lib.rtp_pump_exchange
        call(self._pump(), c_frames, c_mask, ffi.from_buffer("int16_t[]", out, require_writable=True),
             ffi.from_buffer("uint8_t[]", kinds, require_writable=True), self._arrival(arrival_ts))
        return out, kinds

    def send_start(self, frames: np.ndarray, mask: np.ndarray | None = None) -> None:
        """:meth:`send` on the pump's own thread: the frames are copied and this returns at
        once; the next send, :meth:`send_start` or :meth:`send_wait` waits for it.  Any other
        call meanwhile waits at most for one block of 64 channels, and a change it makes
        (a new remote, a closed channel) applies from the channels not yet sent."""
        rc = int(lib.rtp_pump_send_start(self._pump(), self._frames_in(frames), self._mask_in(mask)))
        if rc < 0:
            raise RtpPumpError(rc, "send_start", None)

    def send_wait(self) -> int:
        """Wait for a background send under way; the packets the last one sent."""
        return int(lib.rtp_pump_send_wait(self._pump()))

    # ------------------------------------------------------------------ rare packets
    def send_rtp(self, channel: int, payload_type: int, payload: bytes, timestamp: int, marker: bool = False) -> None:
        """Send ``payload`` as an RTP packet of the channel's SSRC and next sequence number
        (RFC 4733 events: mask the channel's audio off while they cover it)."""
        ch = self._ch(channel)
        if not 0 <= payload_type <= 127 or not 0 <= timestamp <= 0xFFFFFFFF:
            raise RtpPumpArgumentError(f"payload_type {payload_type} (0-127) or timestamp {timestamp} out of range")
        if len(payload) > lib.RTP_PUMP_MAX_PACKET - 12:
            raise RtpPumpArgumentError(f"payload of {len(payload)} octets exceeds {lib.RTP_PUMP_MAX_PACKET - 12}")
        _check(lib.rtp_pump_send_rtp(self._pump(), ch, payload_type, bool(marker), timestamp, bytes(payload),
                                     len(payload)), "send_rtp", ch, self._p)

    def send_raw(self, channel: int, data: bytes, address: Address | None = None) -> None:
        """Send a prebuilt datagram (RTCP) from the channel's socket to ``address`` or the remote."""
        ch = self._ch(channel)
        if len(data) > lib.RTP_PUMP_MAX_PACKET:
            raise RtpPumpArgumentError(f"datagram of {len(data)} octets exceeds {lib.RTP_PUMP_MAX_PACKET}")
        if address is None:
            rc = lib.rtp_pump_send_raw(self._pump(), ch, bytes(data), len(data), 0, ffi.NULL, 0)
        else:
            family, packed = _parse_host(address[0])
            if self._family[ch] is not None and family != self._family[ch]:
                raise RtpPumpArgumentError(f"address {address[0]!r} is not of channel {ch}'s address family")
            rc = lib.rtp_pump_send_raw(self._pump(), ch, bytes(data), len(data), family, packed,
                                       _check_port(address[1]))
        _check(rc, "send_raw", ch, self._p)

    def side_pending(self) -> int:
        """Packets waiting in the side queue."""
        return int(lib.rtp_pump_side_pending(self._pump()))

    def side_packets(self) -> list[SidePacket]:
        """Take every packet from the side queue, oldest first."""
        out: list[SidePacket] = []
        p = self._pump()
        while True:
            k = lib.rtp_pump_side_drain(p, self._side, _SIDE_CHUNK)
            for i in range(k):
                e = self._side[i]
                raw = bytes(ffi.buffer(e.addr, 16))
                host = str(ipaddress.IPv4Address(raw[:4]) if e.family == 4 else ipaddress.IPv6Address(raw))
                out.append(SidePacket(channel=e.channel, kind=SideKind(e.kind), data=bytes(ffi.buffer(e.data, e.length)),
                                      source=(host, e.port), arrival_ts=int(e.arrival_ts)))
            if k < _SIDE_CHUNK:
                return out

    def stats(self) -> PumpStats:
        """A snapshot of every channel's counters (see :class:`PumpStats`)."""
        lib.rtp_pump_stats(self._pump(), ffi.from_buffer("int64_t[]", self._stats, require_writable=True))
        snap = self._stats.copy()
        return PumpStats(*(snap[:, i] for i in range(lib.RTP_STAT_COUNT)))
