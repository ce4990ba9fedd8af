"""T.30 HDLC control frames: the facsimile control field (FCF) codes and their information fields.

Facts used (ITU-T T.30, 09/2005):

* 5.3.4-5.3.5: every frame starts with the address field ``0xFF`` and the control field
  ``0x03`` (``1100 0000`` in transmission order), or ``0x13`` (``1100 1000``) on the last frame
  of a transmission (the final-frame bit).  The frame check sequence is the HDLC layer's; the
  octets here stop before it.
* 5.3.6.1: the FCF codes, written as T.30 writes them, first transmitted bit on the left.  The
  first bit of the commands and responses that follow the identification phase is the "X"
  bit: ``1`` from the station that received a valid DIS in answer to its call (the calling
  station, when it transmits), ``0`` from the station that sent that DIS.  DIS, CSI, NSF, DTC,
  CIG and NSC have no X bit (their first bit tells DIS from DTC), nor have the T.4 Annex A
  frames FCD and RCP.  An HDLC octet goes out least significant bit first, so the leftmost
  bit of a T.30 pattern is bit 0 of the octet.
* 5.3.6.2.4 and Table 3: CSI/TSI/CIG carry 20 characters (digits, "+" and space), the last
  character of the number sent first, padded with spaces.
* Annex A (A.4): PPS carries the post-message FCF (or NULL, 0x00), the page counter, the block
  counter and the number of frames in the block minus one; PPR carries a 256-bit map, bit
  ``n`` (octet ``n // 8``, bit ``n % 8``, in transmission order) set when frame ``n`` is to be
  sent again; CTC carries the new data signalling rate in DCS bits 11-14; FCD carries the
  frame number then the coded image data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pycti.errors import PyctiError

__all__ = [
    "ADDRESS",
    "CONTROL",
    "CONTROL_FINAL",
    "ID_LENGTH",
    "PPR_MAP_OCTETS",
    "Fcf",
    "FrameError",
    "PpsFields",
    "T30Frame",
    "decode_fcd",
    "decode_identifier",
    "decode_ppr_map",
    "decode_pps",
    "encode_fcd",
    "encode_identifier",
    "encode_ppr_map",
    "encode_pps",
]

ADDRESS = 0xFF  # T.30 5.3.4: all-ones address
CONTROL = 0x03  # T.30 5.3.5: "1100 0000", not the final frame
CONTROL_FINAL = 0x13  # T.30 5.3.5: "1100 1000", the final frame of a transmission
ID_LENGTH = 20  # T.30 5.3.6.2.4: 20 characters
PPR_MAP_OCTETS = 32  # T.30 A.4: 256 bits, one per frame of a partial page
_ID_CHARS = frozenset("0123456789+ ")  # T.30 Table 3


class FrameError(PyctiError, ValueError):
    """A T.30 frame or field that cannot be encoded or decoded; the message names the value."""


def _pattern(bits: str, x: int = 0) -> int:
    """The octet of a T.30 bit pattern (first transmitted bit first, "X" for the X bit)."""
    value = 0
    for i, ch in enumerate(bits.replace(" ", "")):
        bit = x if ch == "X" else int(ch)
        value |= bit << i
    return value


class Fcf(enum.IntEnum):
    """The facsimile control field codes (T.30 5.3.6.1, Annex A), with the X bit clear.

    ``has_x_bit`` says whether the code's first bit is the X bit.
    """

    # Initial identification (no X bit)
    DIS = _pattern("0000 0001")
    CSI = _pattern("0000 0010")
    NSF = _pattern("0000 0100")
    DTC = _pattern("1000 0001")
    CIG = _pattern("1000 0010")
    NSC = _pattern("1000 0100")
    # Commands to receive
    DCS = _pattern("X100 0001")
    TSI = _pattern("X100 0010")
    NSS = _pattern("X100 0100")
    CTC = _pattern("X100 1000")
    # Pre-message responses
    CFR = _pattern("X010 0001")
    FTT = _pattern("X010 0010")
    CTR = _pattern("X010 0011")
    # Post-message commands
    EOM = _pattern("X111 0001")
    MPS = _pattern("X111 0010")
    EOP = _pattern("X111 0100")
    PRI_EOM = _pattern("X111 1001")
    PRI_MPS = _pattern("X111 1010")
    PRI_EOP = _pattern("X111 1100")
    PPS = _pattern("X111 1101")
    EOR = _pattern("X111 0011")
    RR = _pattern("X111 0110")
    # Post-message responses
    MCF = _pattern("X011 0001")
    RTP = _pattern("X011 0011")
    RTN = _pattern("X011 0010")
    PIP = _pattern("X011 0101")
    PIN = _pattern("X011 0100")
    PPR = _pattern("X011 1101")
    RNR = _pattern("X011 0111")
    ERR = _pattern("X011 1000")
    # Other line control
    DCN = _pattern("X101 1111")
    CRP = _pattern("X101 1000")
    # T.4 Annex A frames carried by the image modem (no X bit)
    FCD = _pattern("0110 0000")
    RCP = _pattern("0110 0001")

    @property
    def has_x_bit(self) -> bool:
        """True when the code's first transmitted bit is the X bit."""
        return self not in _NO_X


_NO_X = frozenset({Fcf.DIS, Fcf.CSI, Fcf.NSF, Fcf.DTC, Fcf.CIG, Fcf.NSC, Fcf.FCD, Fcf.RCP})
_EXACT = {int(c): c for c in _NO_X}
_MASKED = {int(c): c for c in Fcf if c not in _NO_X}


@dataclass(frozen=True, slots=True, kw_only=True)
class T30Frame:
    """One T.30 HDLC frame without its FCS.

    ``x_bit`` is the X bit the sender set (ignored for codes without one), ``fif`` the
    facsimile information field, ``final`` the final-frame bit of the control field.
    """

    fcf: Fcf
    fif: bytes = b""
    x_bit: bool = False
    final: bool = True

    def encode(self) -> bytes:
        """Address, control, FCF and FIF octets, as the HDLC layer frames them."""
        code = int(self.fcf) | (1 if self.x_bit and self.fcf.has_x_bit else 0)
        return bytes((ADDRESS, CONTROL_FINAL if self.final else CONTROL, code)) + self.fif

    @classmethod
    def decode(cls, data: bytes) -> T30Frame:
        """Parse address, control, FCF and FIF; :class:`FrameError` on a bad address, control
        field or unknown FCF."""
        if len(data) < 3:
            raise FrameError(f"T.30 frame too short ({len(data)} octets): {data.hex()}")
        if data[0] != ADDRESS:
            raise FrameError(f"T.30 frame address 0x{data[0]:02x}, expected 0xff")
        if data[1] not in (CONTROL, CONTROL_FINAL):
            raise FrameError(f"T.30 frame control field 0x{data[1]:02x}, expected 0x03 or 0x13")
        code = data[2]
        fcf = _EXACT.get(code) or _MASKED.get(code & 0xFE)
        if fcf is None:
            raise FrameError(f"unknown T.30 facsimile control field 0x{code:02x}")
        return cls(fcf=fcf, fif=bytes(data[3:]), x_bit=bool(code & 1) and fcf.has_x_bit,
                   final=data[1] == CONTROL_FINAL)


def encode_identifier(number: str) -> bytes:
    """The 20-octet FIF of CSI/TSI/CIG for ``number`` (T.30 5.3.6.2.4: last character first,
    padded with spaces).  :class:`FrameError` for characters outside Table 3 or more than 20."""
    if len(number) > ID_LENGTH:
        raise FrameError(f"T.30 identifier {number!r} is longer than {ID_LENGTH} characters")
    bad = sorted(set(number) - _ID_CHARS)
    if bad:
        raise FrameError(f"T.30 identifier {number!r} has characters outside Table 3: {bad}")
    return number.rjust(ID_LENGTH)[::-1].encode("ascii")


def decode_identifier(fif: bytes) -> str:
    """The number in a CSI/TSI/CIG FIF, spaces stripped.  Lenient about characters (many
    terminals send letters): any printable ASCII is accepted, anything else is a
    :class:`FrameError`."""
    if any(b < 0x20 or b > 0x7E for b in fif):
        raise FrameError(f"T.30 identifier field {fif.hex()} holds non-printable octets")
    if len(fif) > ID_LENGTH:
        raise FrameError(f"T.30 identifier field has {len(fif)} octets, at most {ID_LENGTH}")
    return fif.decode("ascii")[::-1].strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class PpsFields:
    """The FIF of PPS (T.30 A.4): ``post`` is the post-message command of the block (MPS, EOM,
    EOP) or None for PPS-NULL; counters are modulo 256; ``frame_count`` is 1..256."""

    post: Fcf | None
    page: int
    block: int
    frame_count: int


_PPS_POST = (Fcf.MPS, Fcf.EOM, Fcf.EOP, Fcf.PRI_MPS, Fcf.PRI_EOM, Fcf.PRI_EOP)


def encode_pps(fields: PpsFields, *, x_bit: bool) -> bytes:
    """The four FIF octets of PPS (or EOR, whose FIF is the first of them alone)."""
    if fields.post is not None and fields.post not in _PPS_POST:
        raise FrameError(f"PPS post-message code {fields.post.name} is not MPS/EOM/EOP")
    if not 1 <= fields.frame_count <= 256:
        raise FrameError(f"PPS frame count {fields.frame_count} outside 1..256")
    post = 0 if fields.post is None else int(fields.post) | int(x_bit)
    return bytes((post, fields.page % 256, fields.block % 256, fields.frame_count - 1))


def decode_pps(fif: bytes) -> PpsFields:
    """Parse a PPS FIF; :class:`FrameError` when it is not four octets or its post-message code
    is not NULL, MPS, EOM or EOP."""
    if len(fif) != 4:
        raise FrameError(f"PPS FIF has {len(fif)} octets, expected 4: {fif.hex()}")
    post: Fcf | None = None
    if fif[0] != 0:
        post = _MASKED.get(fif[0] & 0xFE)
        if post not in _PPS_POST:
            raise FrameError(f"PPS post-message code 0x{fif[0]:02x} is not NULL/MPS/EOM/EOP")
    return PpsFields(post=post, page=fif[1], block=fif[2], frame_count=fif[3] + 1)


def encode_ppr_map(frames: frozenset[int] | set[int]) -> bytes:
    """The 32-octet PPR map asking again for the frame numbers in ``frames`` (0..255)."""
    octets = bytearray(PPR_MAP_OCTETS)
    for n in frames:
        if not 0 <= n <= 255:
            raise FrameError(f"PPR frame number {n} outside 0..255")
        octets[n // 8] |= 1 << (n % 8)
    return bytes(octets)


def decode_ppr_map(fif: bytes) -> frozenset[int]:
    """The frame numbers a PPR map asks for; :class:`FrameError` unless the FIF is 32 octets."""
    if len(fif) != PPR_MAP_OCTETS:
        raise FrameError(f"PPR FIF has {len(fif)} octets, expected {PPR_MAP_OCTETS}")
    return frozenset(i * 8 + b for i, octet in enumerate(fif) for b in range(8) if octet >> b & 1)


def encode_fcd(frame_number: int, data: bytes) -> bytes:
    """An FCD frame (address, control, FCF, frame number, image data) for the image modem."""
    if not 0 <= frame_number <= 255:
        raise FrameError(f"FCD frame number {frame_number} outside 0..255")
    if not data:
        raise FrameError("FCD frame without image data")
    return T30Frame(fcf=Fcf.FCD, fif=bytes((frame_number,)) + data, final=False).encode()


def decode_fcd(fif: bytes) -> tuple[int, bytes]:
    """(frame number, image data) of an FCD FIF; :class:`FrameError` when it holds no data."""
    if len(fif) < 2:
        raise FrameError(f"FCD FIF has {len(fif)} octets, expected a frame number and data")
    return fif[0], bytes(fif[1:])
