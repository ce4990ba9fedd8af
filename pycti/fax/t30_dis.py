"""The DIS/DTC and DCS information fields of T.30 (Table 2/T.30) as frozen dataclasses.

Bit ``n`` of Table 2 (numbered from 1, in transmission order) is bit ``(n - 1) % 8`` of FIF
octet ``(n - 1) // 8``, since HDLC sends each octet least significant bit first.  Bits 24, 32,
40, 48 ... are the extend bits: set when another octet follows.  Fields modelled here:

* bit 6 V.8 capability, bit 7 64-octet ECM frames preferred (DIS), bit 9 ready to transmit
  (polling), bit 10 ready to receive / receive command;
* bits 11-14 data signalling rate: DIS ``0000`` V.27ter fall-back (2400 only), ``0100``
  V.27ter, ``1000`` V.29, ``1100`` V.27ter and V.29, ``1101`` V.27ter, V.29 and V.17;
  DCS ``0000`` 2400 V.27ter, ``0100`` 4800 V.27ter, ``1000`` 9600 V.29, ``1100`` 7200 V.29,
  ``0001`` 14400 V.17, ``0101`` 12000 V.17, ``1001`` 9600 V.17, ``1101`` 7200 V.17
  (bits written 11, 12, 13, 14);
* bit 15 R8x7.7 lines/mm (fine), bit 16 two-dimensional coding (MR), bit 31 T.6 coding,
  bit 26 uncompressed mode, bit 27 ECM, bit 28 (DCS) 64-octet frames;
* bits 17-18 recording width, DIS ``00`` 215 mm, ``01`` 215/255/303 mm, ``10`` 215/255 mm;
  DCS ``00`` 215, ``01`` 303, ``10`` 255 mm;
* bits 19-20 recording length, DIS ``00`` A4, ``01`` unlimited, ``10`` A4 and B4; DCS ``00`` A4,
  ``01`` unlimited, ``10`` B4;
* bits 21-23 minimum scan line time, DIS ``000`` 20 ms, ``001`` 40 ms, ``010`` 10 ms, ``100``
  5 ms, ``011``/``110``/``101`` 10/20/40 ms with T7.7 = T3.85 / 2, ``111`` 0 ms; DCS the same
  codes without the halving ones;
* bits 41, 42, 43: R8x15.4 (superfine), 300x300, R16x15.4; bit 44 inch-based resolution.

Bits pycti does not model are kept in ``extra_bits`` so a decoded field encodes back unchanged.
Codings and resolutions are those of the T.4/T.6 coder (:mod:`pycti.fax.t4_types`); a DCS asking
for a resolution above R8x7.7 is a :class:`FrameError`, since the coder has none.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeVar

from pycti.fax.t30_frames import FrameError
from pycti.fax.t4_types import Coding, Resolution

__all__ = [
    "DcsFields",
    "DisFields",
    "DisModems",
    "Modem",
    "ModemRate",
    "RecordingLength",
    "RecordingWidth",
    "decode_ctc",
    "encode_ctc",
    "fallback_rate",
    "rate_from_code",
]


class Modem(enum.Enum):
    """The image modems of T.30."""

    V27TER = "V.27ter"
    V29 = "V.29"
    V17 = "V.17"
    V21 = "V.21"  # channel 2, 300 bit/s: the control channel, never an image modem


class ModemRate(enum.Enum):
    """An image modem at one data signalling rate; value ``(modem, rate_bps, DCS bits 11-14)``."""

    V17_14400 = (Modem.V17, 14400, "0001")
    V17_12000 = (Modem.V17, 12000, "0101")
    V17_9600 = (Modem.V17, 9600, "1001")
    V29_9600 = (Modem.V29, 9600, "1000")
    V17_7200 = (Modem.V17, 7200, "1101")
    V29_7200 = (Modem.V29, 7200, "1100")
    V27TER_4800 = (Modem.V27TER, 4800, "0100")
    V27TER_2400 = (Modem.V27TER, 2400, "0000")

    @property
    def modem(self) -> Modem:
        """The modem."""
        return self.value[0]

    @property
    def rate_bps(self) -> int:
        """The data signalling rate in bit/s."""
        return self.value[1]

    @property
    def dcs_code(self) -> str:
        """DCS bits 11, 12, 13, 14 as a string of 0/1."""
        return self.value[2]


class DisModems(enum.Enum):
    """The modem sets a DIS/DTC can announce; value ``(bits 11-14, rates fastest first)``."""

    V27TER_FALLBACK = ("0000", (ModemRate.V27TER_2400,))
    V27TER = ("0100", (ModemRate.V27TER_4800, ModemRate.V27TER_2400))
    V29 = ("1000", (ModemRate.V29_9600, ModemRate.V29_7200))
    V27TER_V29 = ("1100", (ModemRate.V29_9600, ModemRate.V29_7200, ModemRate.V27TER_4800,
                           ModemRate.V27TER_2400))
    V27TER_V29_V17 = ("1101", tuple(ModemRate))

    @property
    def rates(self) -> tuple[ModemRate, ...]:
        """The rates the set allows, fastest first (V.17 before V.29 at 9600 and 7200)."""
        rates: tuple[ModemRate, ...] = self.value[1]
        return rates


def fallback_rate(current: ModemRate, allowed: tuple[ModemRate, ...]) -> ModemRate | None:
    """The fastest rate of ``allowed`` strictly slower than ``current``, or None at the slowest
    (the step down after FTT: the transmitter retrains at a lower rate, T.30 5.3.6.2.1)."""
    slower = [r for r in ModemRate if r in allowed and r.rate_bps < current.rate_bps]
    return slower[0] if slower else None


#: Table 2 bit of each vertical resolution above standard (R8x7.7 lines/mm: bit 15).
_RESOLUTION_BIT = {Resolution.FINE: 15}


class RecordingWidth(enum.Enum):
    """Scan line width; value ``(mm, DCS bits 17-18)``."""

    A4_215MM = (215, "00")
    B4_255MM = (255, "10")
    A3_303MM = (303, "01")


class RecordingLength(enum.Enum):
    """Recording length; value ``(label, DCS bits 19-20)``."""

    A4 = ("A4", "00")
    B4 = ("B4", "10")
    UNLIMITED = ("unlimited", "01")


_E = TypeVar("_E", "RecordingWidth", "RecordingLength")
_SCAN_CODES = {"000": 20, "001": 40, "010": 10, "100": 5, "111": 0}
_SCAN_HALVED = {"011": 10, "110": 20, "101": 40}
_DIS_WIDTH = {"00": RecordingWidth.A4_215MM, "10": RecordingWidth.B4_255MM,
              "01": RecordingWidth.A3_303MM}
_DIS_LENGTH = {"00": RecordingLength.A4, "10": RecordingLength.B4,
               "01": RecordingLength.UNLIMITED}
_MODELLED_DIS = frozenset({6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                           26, 27, 31, 41, 42, 43, 44})
_MODELLED_DCS = frozenset({10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 26, 27, 28,
                           31, 44})


def _bits_of(fif: bytes) -> set[int]:
    """The Table 2 bit numbers set in ``fif`` (extend bits dropped), after checking the extend
    chain: at least 3 octets, and as many as the extend bits announce."""
    if len(fif) < 3:
        raise FrameError(f"DIS/DCS FIF has {len(fif)} octets, T.30 requires at least 3")
    used = 3
    while used < len(fif) and fif[used - 1] & 0x80:
        used += 1
    bits = {i * 8 + b + 1 for i, octet in enumerate(fif[:used]) for b in range(8) if octet >> b & 1}
    return {n for n in bits if n < 24 or n % 8 != 0}


def _encode_bits(bits: set[int]) -> bytes:
    """FIF octets for the Table 2 bits ``bits``, with extend bits where more octets follow."""
    octets = max(3, (max(bits) + 7) // 8 if bits else 3)
    out = bytearray(octets)
    for n in bits:
        if n >= 24 and n % 8 == 0:
            raise FrameError(f"bit {n} is an extend bit and cannot be set directly")
        out[(n - 1) // 8] |= 1 << ((n - 1) % 8)
    for i in range(2, octets - 1):
        out[i] |= 0x80
    return bytes(out)


def _code(bits: set[int], first: int, count: int) -> str:
    return "".join("1" if n in bits else "0" for n in range(first, first + count))


def _set_code(bits: set[int], first: int, code: str) -> None:
    bits.update(first + i for i, ch in enumerate(code) if ch == "1")


@dataclass(frozen=True, slots=True, kw_only=True)
class DisFields:
    """A DIS or DTC: what the answering terminal can receive (Table 2/T.30)."""

    modems: DisModems = DisModems.V27TER_V29_V17
    ready_to_receive: bool = True
    ready_to_transmit: bool = False
    v8: bool = False
    fine: bool = True
    superfine: bool = False
    r300: bool = False
    r16: bool = False
    inch_preferred: bool = False
    mr: bool = True
    t6: bool = False
    ecm: bool = False
    ecm_64_preferred: bool = False
    uncompressed: bool = False
    width: RecordingWidth = RecordingWidth.A4_215MM
    length: RecordingLength = RecordingLength.UNLIMITED
    min_scan_line_time_ms: int = 0
    min_scan_halved_at_fine: bool = False
    extra_bits: frozenset[int] = frozenset()

    def encode(self) -> bytes:
        """The FIF octets, bits in T.30 order; :class:`FrameError` for a minimum scan line time
        Table 2 has no code for."""
        bits = set(self.extra_bits - _MODELLED_DIS)
        flags = {6: self.v8, 7: self.ecm_64_preferred, 9: self.ready_to_transmit,
                 10: self.ready_to_receive, 15: self.fine, 16: self.mr, 26: self.uncompressed,
                 27: self.ecm, 31: self.t6, 41: self.superfine, 42: self.r300, 43: self.r16,
                 44: self.inch_preferred}
        bits.update(n for n, on in flags.items() if on)
        _set_code(bits, 11, self.modems.value[0])
        _set_code(bits, 17, {v: k for k, v in _DIS_WIDTH.items()}[self.width])
        _set_code(bits, 19, {v: k for k, v in _DIS_LENGTH.items()}[self.length])
        table = _SCAN_HALVED if self.min_scan_halved_at_fine else _SCAN_CODES
        codes = [k for k, v in table.items() if v == self.min_scan_line_time_ms]
        if not codes:
            raise FrameError(f"no DIS code for minimum scan line time "
                             f"{self.min_scan_line_time_ms} ms"
                             f"{' halved at fine' if self.min_scan_halved_at_fine else ''}")
        _set_code(bits, 21, codes[0])
        return _encode_bits(bits)

    @classmethod
    def decode(cls, fif: bytes) -> DisFields:
        """Parse a DIS/DTC FIF; :class:`FrameError` for a rate code Table 2 reserves."""
        bits = _bits_of(fif)
        rate = _code(bits, 11, 4)
        modems = next((m for m in DisModems if m.value[0] == rate), None)
        if modems is None:
            raise FrameError(f"DIS data signalling rate bits 11-14 = {rate} are reserved")
        scan = _code(bits, 21, 3)
        width = _DIS_WIDTH.get(_code(bits, 17, 2), RecordingWidth.A4_215MM)
        length = _DIS_LENGTH.get(_code(bits, 19, 2), RecordingLength.A4)
        return cls(modems=modems, v8=6 in bits, ecm_64_preferred=7 in bits,
                   ready_to_transmit=9 in bits, ready_to_receive=10 in bits, fine=15 in bits,
                   mr=16 in bits, uncompressed=26 in bits, ecm=27 in bits, t6=31 in bits,
                   superfine=41 in bits, r300=42 in bits, r16=43 in bits,
                   inch_preferred=44 in bits, width=width, length=length,
                   min_scan_line_time_ms=_SCAN_HALVED.get(scan, _SCAN_CODES.get(scan, 0)),
                   min_scan_halved_at_fine=scan in _SCAN_HALVED,
                   extra_bits=frozenset(bits - _MODELLED_DIS))

    def scan_time_ms(self, resolution: Resolution) -> int:
        """The minimum scan line time this receiver needs at ``resolution``."""
        if self.min_scan_halved_at_fine and resolution is not Resolution.STANDARD:
            return self.min_scan_line_time_ms // 2
        return self.min_scan_line_time_ms

    def resolutions(self) -> frozenset[Resolution]:
        """The vertical resolutions this DIS accepts."""
        return frozenset({Resolution.STANDARD, Resolution.FINE} if self.fine
                         else {Resolution.STANDARD})

    def codings(self) -> frozenset[Coding]:
        """The codings this DIS accepts (T.6 only together with ECM, T.30 Table 2 note)."""
        out = {Coding.MH}
        if self.mr:
            out.add(Coding.MR)
        if self.t6 and self.ecm:
            out.add(Coding.MMR)
        return frozenset(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class DcsFields:
    """A DCS: the mode the calling terminal chose for the message (Table 2/T.30)."""

    rate: ModemRate
    resolution: Resolution = Resolution.STANDARD
    coding: Coding = Coding.MH
    ecm: bool = False
    ecm_frame_octets: int = 256
    width: RecordingWidth = RecordingWidth.A4_215MM
    length: RecordingLength = RecordingLength.A4
    min_scan_line_time_ms: int = 20
    receive: bool = True
    inch_resolution: bool = False
    extra_bits: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.ecm_frame_octets not in (64, 256):
            raise FrameError(f"ECM frame size {self.ecm_frame_octets} octets, "
                             "T.30 allows 64 or 256")
        if self.min_scan_line_time_ms not in _SCAN_CODES.values():
            raise FrameError(f"no DCS code for minimum scan line time "
                             f"{self.min_scan_line_time_ms} ms")
        if self.coding is Coding.MMR and not self.ecm:
            raise FrameError("T.6 (MMR) coding needs ECM (T.30 Table 2 note)")

    def encode(self) -> bytes:
        """The FIF octets, bits in T.30 order."""
        bits = set(self.extra_bits - _MODELLED_DCS)
        flags = {10: self.receive, 16: self.coding is Coding.MR, 27: self.ecm,
                 28: self.ecm and self.ecm_frame_octets == 64, 31: self.coding is Coding.MMR,
                 44: self.inch_resolution}
        bits.update(n for n, on in flags.items() if on)
        if self.resolution in _RESOLUTION_BIT:
            bits.add(_RESOLUTION_BIT[self.resolution])
        _set_code(bits, 11, self.rate.dcs_code)
        _set_code(bits, 17, self.width.value[1])
        _set_code(bits, 19, self.length.value[1])
        scan = next(k for k, v in _SCAN_CODES.items() if v == self.min_scan_line_time_ms)
        _set_code(bits, 21, scan)
        return _encode_bits(bits)

    @classmethod
    def decode(cls, fif: bytes) -> DcsFields:
        """Parse a DCS FIF; :class:`FrameError` for reserved rate, width, length or scan codes."""
        bits = _bits_of(fif)
        for n, name in ((41, "R8x15.4"), (42, "300x300"), (43, "R16x15.4")):
            if n in bits:
                raise FrameError(f"DCS asks for resolution {name} (bit {n}), which pycti's "
                                 "T.4 coder does not handle")
        return cls(rate=rate_from_code(_code(bits, 11, 4)),
                   resolution=Resolution.FINE if 15 in bits else Resolution.STANDARD,
                   coding=Coding.MMR if 31 in bits else Coding.MR if 16 in bits else Coding.MH,
                   ecm=27 in bits, ecm_frame_octets=64 if 27 in bits and 28 in bits else 256,
                   width=_lookup(RecordingWidth, _code(bits, 17, 2), "width bits 17-18"),
                   length=_lookup(RecordingLength, _code(bits, 19, 2), "length bits 19-20"),
                   min_scan_line_time_ms=_scan_dcs(_code(bits, 21, 3)), receive=10 in bits,
                   inch_resolution=44 in bits, extra_bits=frozenset(bits - _MODELLED_DCS))


def rate_from_code(code: str) -> ModemRate:
    """The :class:`ModemRate` of DCS bits 11-14; :class:`FrameError` for a reserved code."""
    for rate in ModemRate:
        if rate.dcs_code == code:
            return rate
    raise FrameError(f"DCS data signalling rate bits 11-14 = {code} are reserved")


def _lookup(kind: type[_E], code: str, what: str) -> _E:
    for member in kind:
        if member.value[1] == code:
            return member
    raise FrameError(f"DCS recording {what} = {code} is invalid")


def _scan_dcs(code: str) -> int:
    if code not in _SCAN_CODES:
        raise FrameError(f"DCS minimum scan line time bits 21-23 = {code} are invalid")
    return _SCAN_CODES[code]


def encode_ctc(rate: ModemRate) -> bytes:
    """The FIF of CTC (T.30 A.4): two octets laid out as DCS bits 1-16, of which only the
    data signalling rate bits 11-14 are set."""
    bits: set[int] = set()
    _set_code(bits, 11, rate.dcs_code)
    return _encode_bits(bits)[:2]


def decode_ctc(fif: bytes) -> ModemRate:
    """The rate a CTC FIF names; :class:`FrameError` when it is shorter than two octets or the
    code is reserved."""
    if len(fif) < 2:
        raise FrameError(f"CTC FIF has {len(fif)} octets, expected 2: {fif.hex()}")
    bits = {i * 8 + b + 1 for i, octet in enumerate(fif[:2]) for b in range(8) if octet >> b & 1}
    return rate_from_code(_code(bits, 11, 4))
