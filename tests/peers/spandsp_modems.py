"""spandsp's V.29, V.27 ter, V.17 and V.21 data pumps and its HDLC framer, on numpy arrays.

Reference implementations for testing pycti's own modems (test tooling, not part of the
installed package).  The transmitters take bits (a uint8 array of 0/1) and produce 8 kHz int16
audio; the receivers take audio and return bits plus the carrier/training status spandsp
signals through put_bit (``SIG_STATUS_*``).  Rates: V.29 (ITU-T V.29) 9600/7200/4800 bit/s,
V.27 ter 4800/2400 bit/s, V.17 14400/12000/9600/7200 bit/s (long training), V.21 channel 2
(1650/1850 Hz, 300 bit/s, the channel T.30 clause 5 uses for its control frames).  A modem
object can carry several transmissions (``restart``); V.17 can then use its short training
sequence, as T.30 does for the pages after the first.  The HDLC classes are spandsp's HDLC
framer (flags, zero-bit insertion, 16-bit FCS) as T.30 uses it for its control frames.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ._spandsp_build import (
    FRAME_SAMPLES,
    BitArray,
    Int16Array,
    SpandspUnavailable,
    SpandspValueError,
    as_bits,
    as_int16,
    load,
    raise_pending,
    status_name,
)

__all__ = [
    "MODEM_RATES_BPS",
    "ModemStatusEvent",
    "SpandspModemTx",
    "SpandspModemRx",
    "HdlcFrame",
    "SpandspHdlcTx",
    "SpandspHdlcRx",
]

# ---------------------------------------------------------------------------------------------
# Reference modems (V.29, V.27 ter, V.17, V.21 channel 2)


@dataclasses.dataclass(frozen=True)
class _ModemFunctions:
    """The spandsp (or helper) C functions of one modem kind, by role."""

    rates_bps: tuple[int, ...]
    tx_init: str
    tx: str
    tx_power: str
    tx_restart: str
    tx_free: str
    rx_init: str
    rx: str
    rx_power: str
    rx_restart: str
    rx_free: str
    short_train: bool  # only V.17 has a short training sequence


def _pumps(kind: str, rates_bps: tuple[int, ...], tx_restart: str, short: bool) -> _ModemFunctions:
    """V.29, V.27 ter and V.17: spandsp's ``<kind>_tx_*`` / ``<kind>_rx_*`` functions."""
    tx, rx = f"{kind}_tx", f"{kind}_rx"
    return _ModemFunctions(
        rates_bps=rates_bps,
        tx_init=tx + "_init", tx=tx, tx_power=tx + "_power", tx_restart=tx_restart,
        tx_free=tx + "_free",
        rx_init=rx + "_init", rx=rx, rx_power=rx + "_signal_power", rx_restart=rx + "_restart",
        rx_free=rx + "_free",
        short_train=short,
    )


_MODEMS: Final = {
    "V29": _pumps("v29", (9600, 7200, 4800), "pycti_v29_tx_restart", False),
    "V27ter": _pumps("v27ter", (4800, 2400), "pycti_v27ter_tx_restart", False),
    "V17": _pumps("v17", (14400, 12000, 9600, 7200), "v17_tx_restart", True),
    "V21": _ModemFunctions(  # spandsp's generic FSK modem with the V.21 channel 2 preset
        rates_bps=(300,),
        tx_init="pycti_v21ch2_tx_init", tx="fsk_tx", tx_power="fsk_tx_power",
        tx_restart="pycti_v21ch2_tx_restart", tx_free="fsk_tx_free",
        rx_init="pycti_v21ch2_rx_init", rx="fsk_rx", rx_power="fsk_rx_signal_power",
        rx_restart="pycti_v21ch2_rx_restart", rx_free="fsk_rx_free",
        short_train=False,
    ),
}

_ONE_BIT: Final = np.ones(1, dtype=np.uint8)  # a valid pointer for an empty window

MODEM_RATES_BPS: Final = {kind: spec.rates_bps for kind, spec in _MODEMS.items()}
"""The modem kinds and the bit rates spandsp implements for each ("V21" is channel 2)."""


def _modem(kind: str, rate_bps: int) -> _ModemFunctions:
    spec = _MODEMS.get(kind)
    if spec is None:
        raise SpandspValueError(f"unknown modem kind {kind!r}; choose from {sorted(_MODEMS)}")
    if rate_bps not in spec.rates_bps:
        raise SpandspValueError(f"{kind} has no rate_bps={rate_bps}; choose from {spec.rates_bps}")
    return spec


def _check_short_train(spec: _ModemFunctions, kind: str, short_train: bool) -> None:
    if short_train and not spec.short_train:
        raise SpandspValueError(f"{kind} has no short training sequence (short_train=True)")


class SpandspModemTx:
    """A spandsp modem transmitter fed from bit arrays.

    ``kind`` is ``"V29"``, ``"V27ter"``, ``"V17"`` or ``"V21"`` (V.21 channel 2, 1650/1850 Hz),
    ``rate_bps`` one of :data:`MODEM_RATES_BPS` ``[kind]``.  The transmitter sends its training
    sequence, then the bits queued by :meth:`write_bits` (marks - 1 bits - while the queue is
    empty); after :meth:`finish` it sends the queued bits, then its closing sequence, then
    silence, and :attr:`done` becomes true.  ``tep`` adds the talker echo protection tone,
    ``power_dbm0`` overrides spandsp's default transmit level.
    """

    def __init__(
        self, kind: str, rate_bps: int, *, tep: bool = False, power_dbm0: float | None = None
    ) -> None:
        self._ffi, self._lib = ffi, lib = load()
        self.kind, self.rate_bps = kind, rate_bps
        spec = _modem(kind, rate_bps)
        self._tx = getattr(lib, spec.tx)
        self._free = getattr(lib, spec.tx_free)
        self._restart = getattr(lib, spec.tx_restart)
        self._spec, self._tep = spec, int(tep)
        self._source = ffi.new("pycti_bit_source_t *")
        self._pending: BitArray = np.zeros(0, dtype=np.uint8)
        self._buffer = ffi.from_buffer("uint8_t[]", _ONE_BIT)
        self._finished = False
        self._stopped = False
        get_bit = ffi.addressof(lib, "pycti_bit_source_get")
        init = getattr(lib, spec.tx_init)
        self._state = init(ffi.NULL, rate_bps, int(tep), get_bit, self._source)
        if self._state == ffi.NULL:
            raise SpandspUnavailable(f"{spec.tx_init} returned NULL")
        if power_dbm0 is not None:
            getattr(lib, spec.tx_power)(self._state, float(power_dbm0))

    def write_bits(self, bits: npt.ArrayLike) -> None:
        """Queue bits (a 1-D array of 0/1) for transmission after those already queued."""
        if self._finished:
            raise SpandspValueError("write_bits after finish()")
        self._pending = np.concatenate([self._pending, as_bits(bits)])

    def finish(self) -> None:
        """Send what is queued, then end the transmission (the modem's shutdown sequence)."""
        self._finished = True

    def restart(self, *, short_train: bool = False) -> None:
        """Start a new transmission (training again) with the same modem; queued bits are
        dropped.  ``short_train`` (V.17 only) sends the short training sequence, which a
        receiver that trained on a long sequence before can follow."""
        _check_short_train(self._spec, self.kind, short_train)
        self._restart(self._state, self.rate_bps, self._tep, int(short_train))
        self._pending = np.zeros(0, dtype=np.uint8)
        self._finished = self._stopped = False
        self._source.ended = self._source.idle_bits = 0

    @property
    def queued_bits(self) -> int:
        """Bits written but not yet taken by the modem."""
        return int(self._pending.size)

    @property
    def idle_bits(self) -> int:
        """Marks (1 bits) the modem took while the queue was empty."""
        return int(self._source.idle_bits)

    @property
    def done(self) -> bool:
        """True once, after :meth:`finish`, the modem sent all bits and its closing sequence
        (:meth:`generate` then returns silence)."""
        return self._stopped

    def generate(self, n: int = FRAME_SAMPLES) -> Int16Array:
        """Return the next ``n`` samples of line signal (zeros once the modem has stopped)."""
        if n < 0:
            raise SpandspValueError(f"n must be >= 0, got {n}")
        ffi = self._ffi
        # hand spandsp at most twice what n samples can carry: the end of data is signalled
        # only when the whole queue is in the window, and the queue never runs dry inside it
        window = self._pending[: 2 * n * self.rate_bps // 8000 + 64]
        self._buffer = ffi.from_buffer("uint8_t[]", window if window.size else _ONE_BIT)
        self._source.bits, self._source.len, self._source.pos = self._buffer, window.size, 0
        self._source.finished = int(self._finished and window.size == self._pending.size)
        out = np.zeros(n, dtype=np.int16)
        made = self._tx(self._state, ffi.from_buffer("int16_t[]", out), n)
        self._stopped = self._stopped or (bool(self._source.ended) and made < n)
        self._pending = self._pending[self._source.pos :]
        self._source.len = self._source.pos = 0
        return out

    def close(self) -> None:
        """Free the spandsp state."""
        if getattr(self, "_state", None) is not None:
            self._free(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()


@dataclasses.dataclass(frozen=True)
class ModemStatusEvent:
    """A status report from a spandsp receiver, in order with the bits.

    ``name`` is the ``SIG_STATUS_*`` identifier (``SIG_STATUS_CARRIER_UP``,
    ``SIG_STATUS_TRAINING_SUCCEEDED``, ``SIG_STATUS_TRAINING_FAILED``,
    ``SIG_STATUS_CARRIER_DOWN``, ...), ``code`` its value and ``bit_index`` the number of data
    bits the receiver had delivered before it.
    """

    name: str
    code: int
    bit_index: int


class SpandspModemRx:
    """A spandsp modem receiver delivering bit arrays and status events.

    :meth:`process` takes 1-D int16 audio and returns the data bits (uint8 0/1) recovered from
    it; status reports collect in :attr:`events`.  ``kind`` and ``rate_bps`` as for
    :class:`SpandspModemTx`.
    """

    def __init__(self, kind: str, rate_bps: int) -> None:
        self._ffi, self._lib = ffi, lib = load()
        self.kind, self.rate_bps = kind, rate_bps
        spec = _modem(kind, rate_bps)
        self._rx = getattr(lib, spec.rx)
        self._restart = getattr(lib, spec.rx_restart)
        self._spec = spec
        self._power = getattr(lib, spec.rx_power)
        self._free = getattr(lib, spec.rx_free)
        self._sink = ffi.new("pycti_bit_sink_t *")
        self._out = np.zeros(0, dtype=np.int8)
        self.events: list[ModemStatusEvent] = []
        self.bits_delivered = 0
        put_bit = ffi.addressof(lib, "pycti_bit_sink_put")
        self._state = getattr(lib, spec.rx_init)(ffi.NULL, rate_bps, put_bit, self._sink)
        if self._state == ffi.NULL:
            raise SpandspUnavailable(f"{spec.rx_init} returned NULL")

    def process_raw(self, samples: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """Like :meth:`process` but return spandsp's put_bit stream as is: bits 0/1 and
        ``SIG_STATUS_*`` values (< 0) in arrival order (events are still recorded)."""
        audio = as_int16(samples, "samples")
        ffi = self._ffi
        cap = 2 * audio.size + 64  # V.17 14400 bit/s is 1.8 bits per sample
        if self._out.size < cap:
            self._out = np.zeros(cap, dtype=np.int8)
        self._sink.out = ffi.from_buffer("int8_t[]", self._out)
        self._sink.cap, self._sink.n = cap, 0
        self._rx(self._state, ffi.from_buffer("int16_t[]", audio), audio.size)
        raw = self._out[: self._sink.n].copy()
        if self._sink.dropped:
            raise SpandspValueError(f"bit sink overflow: {self._sink.dropped} bits dropped")
        for index in np.flatnonzero(raw < 0):
            code = int(raw[index])
            before = self.bits_delivered + int(np.count_nonzero(raw[:index] >= 0))
            self.events.append(ModemStatusEvent(status_name(self._lib, code), code, before))
        self.bits_delivered += int(np.count_nonzero(raw >= 0))
        return raw

    def process(self, samples: npt.ArrayLike) -> BitArray:
        """Demodulate 1-D int16 audio; return the data bits it completed (uint8 0/1)."""
        raw = self.process_raw(samples)
        return raw[raw >= 0].astype(np.uint8)

    def restart(self, *, short_train: bool = False) -> None:
        """Wait for a new transmission; ``short_train`` (V.17 only) expects the short
        training sequence and keeps the equalizer of the previous long training."""
        _check_short_train(self._spec, self.kind, short_train)
        self._restart(self._state, self.rate_bps, int(short_train))

    @property
    def signal_power_dbm0(self) -> float:
        """spandsp's estimate of the received signal power."""
        return float(self._power(self._state))

    @property
    def trained(self) -> bool:
        """True if the last training status was SIG_STATUS_TRAINING_SUCCEEDED and no carrier
        drop followed it (always true for V.21, which has no training)."""
        for event in reversed(self.events):
            if event.name in ("SIG_STATUS_TRAINING_FAILED", "SIG_STATUS_CARRIER_DOWN"):
                return False
            if event.name == "SIG_STATUS_TRAINING_SUCCEEDED":
                return True
        return self.kind == "V21" and self.carrier_up

    @property
    def carrier_up(self) -> bool:
        """True if the last carrier status was SIG_STATUS_CARRIER_UP."""
        for event in reversed(self.events):
            if event.name == "SIG_STATUS_CARRIER_DOWN":
                return False
            if event.name == "SIG_STATUS_CARRIER_UP":
                return True
        return False

    def close(self) -> None:
        """Free the spandsp state."""
        if getattr(self, "_state", None) is not None:
            self._free(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# HDLC framing (as T.30 clause 5 uses it)


@dataclasses.dataclass(frozen=True)
class HdlcFrame:
    """A frame from :class:`SpandspHdlcRx`: the octets without FCS, and whether the FCS was
    good."""

    data: bytes
    ok: bool


class SpandspHdlcTx:
    """spandsp's HDLC transmitter producing line bits: opening flags, the queued frames with
    zero-bit insertion and FCS (CRC-16, or CRC-32 with ``crc32=True``), then flags while idle.

    spandsp holds one frame at a time; further frames wait here and are handed over from its
    underflow callback, as T.30 does.
    """

    def __init__(self, *, crc32: bool = False, inter_frame_flags: int = 1) -> None:
        self._ffi, self._lib = ffi, lib = load()
        self._handle = ffi.new_handle(self)
        self._queue: list[bytes] = []
        self._busy = False
        self._state = lib.hdlc_tx_init(
            ffi.NULL, int(crc32), inter_frame_flags, 0, lib._pycti_hdlc_underflow, self._handle
        )
        if self._state == ffi.NULL:
            raise SpandspUnavailable("hdlc_tx_init returned NULL")

    def flags(self, count: int) -> None:
        """Queue a preamble of ``count`` flag octets (before the first frame)."""
        if count < 0 or self._lib.hdlc_tx_flags(self._state, count) != 0:
            raise SpandspValueError(f"hdlc_tx_flags refused count={count}")

    def frame(self, data: bytes) -> None:
        """Queue one frame (spandsp appends its FCS)."""
        if not data or len(data) > 400:
            raise SpandspValueError(f"an HDLC frame needs 1..400 octets, got {len(data)}")
        self._queue.append(bytes(data))
        if not self._busy:
            self._on_underflow()

    def _on_underflow(self) -> None:
        self._busy = bool(self._queue)
        if self._queue:
            data = self._queue.pop(0)
            if self._lib.hdlc_tx_frame(self._state, data, len(data)) != 0:
                raise SpandspValueError(f"hdlc_tx_frame refused a {len(data)}-octet frame")

    @property
    def pending_frames(self) -> int:
        """Frames queued and not yet handed to spandsp."""
        return len(self._queue)

    def get_bits(self, n: int) -> BitArray:
        """Return the next ``n`` line bits (flags when nothing is queued)."""
        if n < 0:
            raise SpandspValueError(f"n must be >= 0, got {n}")
        out = np.zeros(n, dtype=np.uint8)
        got = self._lib.pycti_hdlc_tx_bits(self._state, self._ffi.from_buffer("uint8_t[]", out), n)
        raise_pending()
        return out[:got]

    def __del__(self) -> None:
        if getattr(self, "_state", None) is not None:
            self._lib.hdlc_tx_free(self._state)
            self._state = None


class SpandspHdlcRx:
    """spandsp's HDLC receiver: :meth:`put_bits` returns the frames completed by the bits."""

    def __init__(self, *, crc32: bool = False, framing_ok_threshold: int = 2) -> None:
        self._ffi, self._lib = ffi, lib = load()
        self._handle = ffi.new_handle(self)
        self._frames: list[HdlcFrame] = []
        self.statuses: list[str] = []
        self._state = lib.hdlc_rx_init(
            ffi.NULL, int(crc32), 1, framing_ok_threshold, lib._pycti_hdlc_frame, self._handle
        )
        if self._state == ffi.NULL:
            raise SpandspUnavailable("hdlc_rx_init returned NULL")

    def _on_frame(self, pkt: Any, length: int, ok: int) -> None:
        if length < 0:
            self.statuses.append(status_name(self._lib, length))
        else:
            self._frames.append(HdlcFrame(bytes(self._ffi.buffer(pkt, length)), bool(ok)))

    def put_bits(self, bits: npt.ArrayLike) -> list[HdlcFrame]:
        """Feed line bits (0/1; negative ``SIG_STATUS_*`` values from
        :meth:`SpandspModemRx.process_raw` are passed on as status); return completed frames."""
        array = np.ascontiguousarray(np.asarray(bits), dtype=np.int8)
        if array.ndim != 1 or (array.size and array.max() > 1):
            raise SpandspValueError(f"bits must be a 1-D array of 0/1 values, got {array!r:.80}")
        buffer = self._ffi.from_buffer("int8_t[]", array)
        self._lib.pycti_hdlc_rx_bits(self._state, buffer, array.size)
        raise_pending()
        frames, self._frames = self._frames, []
        return frames

    def __del__(self) -> None:
        if getattr(self, "_state", None) is not None:
            self._lib.hdlc_rx_free(self._state)
            self._state = None
