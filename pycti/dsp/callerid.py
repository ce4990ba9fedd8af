"""Caller ID messages: SDMF and MDMF framing, checksum, and the caller ID value and event types.

Message layout (Telcordia GR-30-CORE; ETSI EN 300 659-3 for the MDMF parameters)::

    type (1 byte) | length L (1 byte) | L bytes of payload | checksum (1 byte)

The checksum is the two's complement of the modulo-256 sum of every preceding byte, so the sum
of the whole message, checksum included, is 0 modulo 256.

* **SDMF**, type ``0x04``: payload is ``MMDDHHMM`` in ASCII digits (month, day, hour 00-23,
  minute) followed by the calling number in ASCII digits, or by a single ``'O'`` (number
  unavailable, "out of area") or ``'P'`` (private, withheld).
* **MDMF**, type ``0x80``: payload is a sequence of parameters ``type | length | value``:
  ``0x01`` date and time (``MMDDHHMM``), ``0x02`` calling line number, ``0x04`` reason for
  absence of number (``'O'`` unavailable, ``'P'`` private), ``0x07`` calling name, ``0x08``
  reason for absence of name.  Parameters of other types (called number, call type, redirecting
  number ...) are skipped on reception, as EN 300 659-3 asks of receivers.

The modem side lives in :mod:`pycti.dsp.fsk` and :mod:`pycti.dsp.callerid_fsk`; the DTMF
variant in :mod:`pycti.dsp.callerid_dtmf`.  Both receivers report :class:`CallerIdEvent`, and
their public names can also be imported from this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycti.errors import PyctiError

__all__ = [
    "MDMF_TYPE",
    "SDMF_TYPE",
    "CallerId",
    "CallerIdError",
    "CallerIdEvent",
    "checksum",
    "decode_message",
    "encode_mdmf",
    "encode_sdmf",
]

#: Message type of the Single Data Message Format (GR-30-CORE).
SDMF_TYPE = 0x04
#: Message type of the Multiple Data Message Format / ETSI "call set-up" message.
MDMF_TYPE = 0x80

PARAM_DATE_TIME = 0x01
PARAM_NUMBER = 0x02
PARAM_NUMBER_ABSENCE = 0x04
PARAM_NAME = 0x07
PARAM_NAME_ABSENCE = 0x08

_ABSENCE_CODES = {"unavailable": "O", "private": "P"}
_ABSENCE_NAMES = {code: name for name, code in _ABSENCE_CODES.items()}
_NUMBER_CHARS = frozenset("0123456789*#+")
_DATE_LEN = 8


class CallerIdError(PyctiError, ValueError):
    """A caller ID message or value is malformed: bad checksum, length, type or content."""


def _is_name_char(ch: str) -> bool:
    code = ord(ch)
    return 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerId:
    """The identity of a calling party as caller ID delivers it.

    ``number`` is the calling line number (digits, ``*``, ``#``, ``+``) or ``None``; when it is
    ``None``, ``number_absence`` may say why: ``"unavailable"`` (``'O'``) or ``"private"``
    (``'P'``).  ``name`` / ``name_absence`` likewise (MDMF only; Latin-1 printable text).
    ``month`` (1-12), ``day`` (1-31), ``hour`` (0-23) and ``minute`` (0-59) are the network's
    local date and time of the call; they are all set or all ``None`` (the message carries no
    year).  Construction validates every field and raises :class:`CallerIdError`.
    """

    number: str | None = None
    name: str | None = None
    number_absence: str | None = None
    name_absence: str | None = None
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None

    def __post_init__(self) -> None:
        if self.number is not None:
            if not self.number or not set(self.number) <= _NUMBER_CHARS:
                raise CallerIdError(f"calling number {self.number!r} must be digits, '*', '#' or '+'")
            if self.number_absence is not None:
                raise CallerIdError("a number and a reason for its absence are mutually exclusive")
        if self.name is not None:
            if not self.name or not all(_is_name_char(ch) for ch in self.name):
                raise CallerIdError(f"calling name {self.name!r} must be printable Latin-1 text")
            if self.name_absence is not None:
                raise CallerIdError("a name and a reason for its absence are mutually exclusive")
        for field, reason in (("number_absence", self.number_absence), ("name_absence", self.name_absence)):
            if reason is not None and reason not in _ABSENCE_CODES:
                raise CallerIdError(f"{field} must be 'unavailable' or 'private', got {reason!r}")
        date = (self.month, self.day, self.hour, self.minute)
        if any(v is None for v in date) and any(v is not None for v in date):
            raise CallerIdError("month, day, hour and minute must be all set or all None")
        if self.has_date:
            for field, value, low, high in (
                ("month", self.month, 1, 12),
                ("day", self.day, 1, 31),
                ("hour", self.hour, 0, 23),
                ("minute", self.minute, 0, 59),
            ):
                if not isinstance(value, int) or not low <= value <= high:
                    raise CallerIdError(f"{field} must be an integer in {low}..{high}, got {value!r}")

    @property
    def has_date(self) -> bool:
        """True when the date and time fields are set."""
        return self.month is not None

    def date_digits(self) -> str:
        """The ``MMDDHHMM`` string of the date and time (raises if there is none)."""
        if not self.has_date:
            raise CallerIdError("caller ID has no date and time")
        return f"{self.month:02d}{self.day:02d}{self.hour:02d}{self.minute:02d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdEvent:
    """One caller ID transmission received on one channel.

    ``start_sample`` / ``end_sample`` count samples of the channel since the receiver was
    created (end exclusive): for FSK from the start of the recognised mark signal to the end of
    the checksum's stop bit (or to the point where reception failed); for DTMF from the onset
    of the first digit to the end of the last.  Exactly one of ``caller_id`` and ``error`` is
    set: a message that failed its checksum, framing or content checks has ``caller_id=None``
    and ``error`` saying what failed.  ``raw`` holds the bytes received (the FSK message, or the
    DTMF digits in ASCII).  ``signalling`` is ``"bell202"``, ``"v23"`` or ``"dtmf"``.
    """

    channel: int
    start_sample: int
    end_sample: int
    caller_id: CallerId | None
    error: str | None
    raw: bytes
    signalling: str = ""


def checksum(body: bytes) -> int:
    """Caller ID checksum of ``body`` (type, length and payload): two's complement of its sum mod 256."""
    return -sum(body) & 0xFF


def _frame(message_type: int, payload: bytes) -> bytes:
    if len(payload) > 255:
        raise CallerIdError(f"message payload of {len(payload)} bytes exceeds 255")
    body = bytes([message_type, len(payload)]) + payload
    return body + bytes([checksum(body)])


def encode_sdmf(cid: CallerId) -> bytes:
    """Encode ``cid`` as an SDMF message (type 0x04, date/time + number or 'O'/'P', checksum).

    SDMF carries a date and either a number or its reason for absence, nothing else: a caller
    ID without a date, without either, or with a name raises :class:`CallerIdError`.
    """
    if cid.name is not None or cid.name_absence is not None:
        raise CallerIdError("SDMF cannot carry a name; use encode_mdmf")
    if cid.number is not None:
        tail = cid.number
    elif cid.number_absence is not None:
        tail = _ABSENCE_CODES[cid.number_absence]
    else:
        raise CallerIdError("SDMF needs a number or a reason for its absence")
    return _frame(SDMF_TYPE, (cid.date_digits() + tail).encode("ascii"))


def encode_mdmf(cid: CallerId) -> bytes:
    """Encode ``cid`` as an MDMF message (type 0x80) with the parameters it has.

    Order: date/time (0x01), number (0x02) or its reason for absence (0x04), name (0x07) or
    its reason for absence (0x08).  Raises :class:`CallerIdError` if it would exceed 255 bytes.
    """
    params: list[tuple[int, bytes]] = []
    if cid.has_date:
        params.append((PARAM_DATE_TIME, cid.date_digits().encode("ascii")))
    if cid.number is not None:
        params.append((PARAM_NUMBER, cid.number.encode("ascii")))
    elif cid.number_absence is not None:
        params.append((PARAM_NUMBER_ABSENCE, _ABSENCE_CODES[cid.number_absence].encode("ascii")))
    if cid.name is not None:
        params.append((PARAM_NAME, cid.name.encode("latin-1")))
    elif cid.name_absence is not None:
        params.append((PARAM_NAME_ABSENCE, _ABSENCE_CODES[cid.name_absence].encode("ascii")))
    payload = bytearray()
    for ptype, value in params:
        if len(value) > 255:
            raise CallerIdError(f"MDMF parameter 0x{ptype:02x} of {len(value)} bytes exceeds 255")
        payload += bytes([ptype, len(value)]) + value
    return _frame(MDMF_TYPE, bytes(payload))


def _date_fields(value: bytes) -> dict[str, object]:
    if len(value) != _DATE_LEN or not value.isdigit():
        raise CallerIdError(f"date/time must be 8 ASCII digits MMDDHHMM, got {value!r}")
    month, day, hour, minute = (int(value[i : i + 2]) for i in range(0, 8, 2))
    return {"month": month, "day": day, "hour": hour, "minute": minute}


def _ascii(value: bytes, what: str) -> str:
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        raise CallerIdError(f"{what} {value!r} is not ASCII") from None


def _absence(value: bytes, what: str) -> str:
    name = _ABSENCE_NAMES.get(value.decode("latin-1"))
    if name is None:
        raise CallerIdError(f"reason for absence of {what} must be 'O' or 'P', got {value!r}")
    return name


def _decode_sdmf(payload: bytes) -> CallerId:
    if len(payload) <= _DATE_LEN:
        raise CallerIdError(f"SDMF payload of {len(payload)} bytes has no number after the date")
    fields = _date_fields(payload[:_DATE_LEN])
    tail = _ascii(payload[_DATE_LEN:], "SDMF number")
    if tail in _ABSENCE_NAMES:
        fields["number_absence"] = _ABSENCE_NAMES[tail]
    else:
        fields["number"] = tail
    return CallerId(**fields)  # type: ignore[arg-type]


def _decode_mdmf(payload: bytes) -> CallerId:
    fields: dict[str, object] = {}
    seen: set[int] = set()
    pos = 0
    while pos < len(payload):
        if pos + 2 > len(payload):
            raise CallerIdError(f"MDMF parameter header truncated at payload byte {pos}")
        ptype, plen = payload[pos], payload[pos + 1]
        value = payload[pos + 2 : pos + 2 + plen]
        if len(value) != plen:
            raise CallerIdError(f"MDMF parameter 0x{ptype:02x} claims {plen} bytes, {len(value)} left")
        pos += 2 + plen
        if ptype in seen:
            raise CallerIdError(f"MDMF parameter 0x{ptype:02x} appears twice")
        seen.add(ptype)
        if ptype == PARAM_DATE_TIME:
            fields.update(_date_fields(value))
        elif ptype == PARAM_NUMBER:
            fields["number"] = _ascii(value, "calling number")
        elif ptype == PARAM_NUMBER_ABSENCE:
            fields["number_absence"] = _absence(value, "number")
        elif ptype == PARAM_NAME:
            fields["name"] = value.decode("latin-1")
        elif ptype == PARAM_NAME_ABSENCE:
            fields["name_absence"] = _absence(value, "name")
    return CallerId(**fields)  # type: ignore[arg-type]


def decode_message(message: bytes) -> CallerId:
    """Decode one complete SDMF or MDMF message (type, length, payload, checksum).

    Raises :class:`CallerIdError` naming what failed: too short, length byte disagreeing with
    the message size, checksum, unsupported message type, or malformed content.
    """
    data = bytes(message)
    if len(data) < 3:
        raise CallerIdError(f"message of {len(data)} bytes is too short (type, length, checksum)")
    if data[1] != len(data) - 3:
        raise CallerIdError(f"length byte says {data[1]} payload bytes, message carries {len(data) - 3}")
    if sum(data) & 0xFF:
        raise CallerIdError(f"checksum mismatch: got 0x{data[-1]:02x}, expected 0x{checksum(data[:-1]):02x}")
    payload = data[2:-1]
    if data[0] == SDMF_TYPE:
        return _decode_sdmf(payload)
    if data[0] == MDMF_TYPE:
        return _decode_mdmf(payload)
    raise CallerIdError(f"unsupported message type 0x{data[0]:02x} (expected 0x04 SDMF or 0x80 MDMF)")


#: Names of the caller ID modem modules, importable from here too (loaded on first use, so
#: importing the message layer does not pull in the DTMF detector or the FSK modem).
_LAZY_EXPORTS = {
    "fsk_callerid_signal": "pycti.dsp.callerid_fsk",
    "FskCallerIdParams": "pycti.dsp.callerid_fsk",
    "FskCallerIdReceiver": "pycti.dsp.callerid_fsk",
    "dtmf_callerid_digits": "pycti.dsp.callerid_dtmf",
    "dtmf_callerid_signal": "pycti.dsp.callerid_dtmf",
    "parse_dtmf_callerid": "pycti.dsp.callerid_dtmf",
    "DtmfCallerIdParser": "pycti.dsp.callerid_dtmf",
    "DtmfCallerIdReceiver": "pycti.dsp.callerid_dtmf",
}


def __getattr__(name: str) -> object:
    """PEP 562: ``from pycti.dsp.callerid import FskCallerIdReceiver`` and the like."""
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
