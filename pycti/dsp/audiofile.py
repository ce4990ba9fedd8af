"""Reading telephony audio files (8 kHz mono) and writing PCM16 WAV.

Accepted inputs:

* raw signed 16-bit little-endian PCM at 8 kHz, mono: ``.raw``, ``.sln``, ``.sln8``;
* raw G.711 codes at 8 kHz, mono, one byte a sample: mu-law ``.ul``, ``.ulaw``, ``.mulaw``,
  ``.pcmu`` and A-law ``.al``, ``.alaw``, ``.pcma`` (the names SoX and Asterisk use);
* RIFF/WAVE with a ``fmt `` chunk of format 1 (PCM, 16 bit), 7 (mu-law, 8 bit) or 6 (A-law,
  8 bit), 8000 Hz, one channel; ``WAVE_FORMAT_EXTENSIBLE`` (0xFFFE) whose sub-format GUID
  names one of those.  The chunks are parsed here with :mod:`struct` because the standard
  library's :mod:`wave` refuses formats 6 and 7.

Anything else raises :class:`pycti.errors.AudioFormatError` whose message is one line naming
the file and what is wrong, e.g. ``x.wav: sample rate 16000 Hz, expected 8000 Hz``.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from pycti.dsp._base import FS_HZ, check_fs
from pycti.dsp.g711 import alaw_decode, ulaw_decode
from pycti.errors import AudioFormatError

__all__ = ["RAW_ALAW_SUFFIXES", "RAW_SUFFIXES", "RAW_ULAW_SUFFIXES", "read_audio", "write_wav"]

RAW_SUFFIXES = (".raw", ".sln", ".sln8")
RAW_ULAW_SUFFIXES = (".ul", ".ulaw", ".mulaw", ".pcmu")
RAW_ALAW_SUFFIXES = (".al", ".alaw", ".pcma")
#: Decoder of each raw G.711 suffix.
_RAW_G711 = {**dict.fromkeys(RAW_ULAW_SUFFIXES, ulaw_decode), **dict.fromkeys(RAW_ALAW_SUFFIXES, alaw_decode)}
WAVE_FORMAT_PCM = 1
WAVE_FORMAT_ALAW = 6
WAVE_FORMAT_MULAW = 7
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_FORMAT_NAMES = {WAVE_FORMAT_PCM: "PCM", WAVE_FORMAT_ALAW: "A-law", WAVE_FORMAT_MULAW: "mu-law",
                 3: "IEEE float", 2: "MS ADPCM", 0x11: "IMA ADPCM", 0x31: "GSM 6.10",
                 0x55: "MPEG layer 3"}
_BITS = {WAVE_FORMAT_PCM: 16, WAVE_FORMAT_ALAW: 8, WAVE_FORMAT_MULAW: 8}
_FMT = struct.Struct("<HHIIHH")
_CHUNK = struct.Struct("<4sI")


def _fail(path: str | os.PathLike[str], what: str) -> AudioFormatError:
    return AudioFormatError(f"{os.fspath(path)}: {what}")


def read_audio(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an 8 kHz mono telephony file as int16 samples (WAV PCM16/mu-law/A-law, raw PCM16
    or raw G.711).

    Raises ``AudioFormatError`` (a ``ValueError``) for an unsupported rate, width, channel count
    or encoding or a malformed file, and ``OSError`` when the file cannot be read.
    """
    p = Path(path)
    data = p.read_bytes()
    if p.suffix.lower() in RAW_SUFFIXES:
        if len(data) % 2:
            raise _fail(path, f"raw 16-bit file has an odd length of {len(data)} bytes")
        return np.frombuffer(data, dtype="<i2").astype(np.int16)
    decode = _RAW_G711.get(p.suffix.lower())
    if decode is not None:
        return decode(np.frombuffer(data, dtype=np.uint8))
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _read_wav(path, data)
    if p.suffix.lower() == ".wav":
        raise _fail(path, "not a RIFF/WAVE file")
    known = ", ".join((".wav", *RAW_SUFFIXES, *_RAW_G711))
    raise _fail(path, f"unknown audio file type {p.suffix or '(no suffix)'!r}; expected {known}")


def _chunks(path: str | os.PathLike[str], data: bytes) -> dict[bytes, bytes]:
    """The RIFF chunks of a WAVE file by id (first occurrence wins)."""
    out: dict[bytes, bytes] = {}
    pos = 12
    while pos + _CHUNK.size <= len(data):
        cid, size = _CHUNK.unpack_from(data, pos)
        body = data[pos + _CHUNK.size: pos + _CHUNK.size + size]
        if len(body) < size and cid != b"data":
            raise _fail(path, f"chunk {cid.decode('latin-1')!r} truncated")
        out.setdefault(cid, body)
        pos += _CHUNK.size + size + (size & 1)
    return out


def _read_wav(path: str | os.PathLike[str], data: bytes) -> np.ndarray:
    chunks = _chunks(path, data)
    fmt = chunks.get(b"fmt ")
    if fmt is None or len(fmt) < _FMT.size:
        raise _fail(path, "WAVE file without a valid 'fmt ' chunk")
    tag, channels, rate, _, _, bits = _FMT.unpack_from(fmt)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(fmt) < 26:
            raise _fail(path, "WAVE_FORMAT_EXTENSIBLE without its extension")
        tag = struct.unpack_from("<H", fmt, 24)[0]  # first two bytes of the sub-format GUID
    if tag not in _BITS:
        name = _FORMAT_NAMES.get(tag, f"format tag {tag}")
        raise _fail(path, f"encoding {name}, expected PCM16, mu-law or A-law")
    if rate != FS_HZ:
        raise _fail(path, f"sample rate {rate} Hz, expected {FS_HZ} Hz")
    if channels != 1:
        raise _fail(path, f"{channels} channels, expected mono")
    if bits != _BITS[tag]:
        raise _fail(path, f"{_FORMAT_NAMES[tag]} with {bits}-bit samples, "
                          f"expected {_BITS[tag]}-bit")
    body = chunks.get(b"data")
    if body is None:
        raise _fail(path, "WAVE file without a 'data' chunk")
    width = bits // 8
    body = body[: len(body) - len(body) % width]  # a truncated last sample is dropped
    if tag == WAVE_FORMAT_PCM:
        return np.frombuffer(body, dtype="<i2").astype(np.int16)
    codes = np.frombuffer(body, dtype=np.uint8)
    return ulaw_decode(codes) if tag == WAVE_FORMAT_MULAW else alaw_decode(codes)


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, *, fs_hz: int = 8000) -> None:
    """Write int16 samples as a PCM16 WAV: 1-D is mono, ``(samples, 2)`` or ``(2, samples)``
    stereo (interleaved on disk)."""
    check_fs(fs_hz)
    a = np.asarray(samples)
    if a.ndim == 2 and a.shape[0] == 2 and a.shape[1] != 2:
        a = a.T
    if a.ndim == 1:
        a = a[:, np.newaxis]
    if a.ndim != 2 or a.shape[1] not in (1, 2):
        raise AudioFormatError(f"{os.fspath(path)}: cannot write shape {np.shape(samples)}, "
                               "expected mono or stereo")
    if a.dtype != np.int16:
        a = np.clip(np.rint(a), -32768, 32767).astype(np.int16)
    channels = a.shape[1]
    body = a.astype("<i2").tobytes()
    fmt = _FMT.pack(WAVE_FORMAT_PCM, channels, fs_hz, fs_hz * 2 * channels, 2 * channels, 16)
    header = (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE"
              + _CHUNK.pack(b"fmt ", len(fmt)) + fmt + _CHUNK.pack(b"data", len(body)))
    Path(path).write_bytes(header + body)
