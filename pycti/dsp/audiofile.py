"""Reading telephony audio files (8 kHz mono) and writing PCM16 WAV.

Accepted inputs:

* raw signed 16-bit little-endian PCM at 8 kHz, mono: ``.raw``, ``.sln``, ``.sln8``;
* raw G.711 codes at 8 kHz, mono, one byte a sample: mu-law ``.ul``, ``.ulaw``, ``.mulaw``,
  ``.pcmu`` and A-law ``.al``, ``.alaw``, ``.pcma`` (the names SoX and Asterisk use);
* RIFF/WAVE with a ``fmt `` chunk of format 1 (PCM, 16 bit), 7 (mu-law, 8 bit) or 6 (A-law,
  8 bit), 8000 Hz, one channel; ``WAVE_FORMAT_EXTENSIBLE`` (0xFFFE) whose sub-format GUID
  names one of those.  The chunks are parsed here with :mod:`struct` because the standard
  library's :mod:`wave` refuses formats 6 and 7.

Reading is bounded.  The path is checked with :func:`os.stat` before it is opened: anything
but a regular file (a FIFO, a character or block device such as ``/dev/zero``, a directory, a
socket) is refused without being opened, and the file is then opened non-blocking and checked
again on its descriptor, so a FIFO swapped in meanwhile cannot block the call.  The header is
parsed from small reads (chunk headers and at most :data:`_FMT_READ` bytes of ``fmt ``; other
chunks are skipped by seeking), the format is judged before any sample is read, and the samples
are read in pieces of :data:`READ_PIECE_BYTES`, never more than ``max_seconds`` of audio
(:data:`DEFAULT_MAX_SECONDS`, one hour, by default).

A ``data`` chunk whose size is ``0xFFFFFFFF``, or ``0`` where the RIFF size does not account for
anything after it, is what a streaming writer leaves when it cannot seek back to fill in the
sizes: its samples are read to the end of the file.  A chunk of odd size is followed by a pad
byte (RIFF rule) that is skipped; a last sample cut short by truncation is dropped.

Anything else raises :class:`pycti.errors.AudioFormatError` (a ``ValueError``) whose message
is one line naming the file and what is wrong, e.g. ``x.wav: sample rate 16000 Hz, expected
8000 Hz``; a missing or unreadable file raises ``OSError``.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pycti.dsp._base import FS_HZ, check_fs
from pycti.dsp.g711 import alaw_decode, ulaw_decode
from pycti.errors import AudioFormatError

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "RAW_ALAW_SUFFIXES",
    "RAW_SUFFIXES",
    "RAW_ULAW_SUFFIXES",
    "READ_PIECE_BYTES",
    "read_audio",
    "shared_copy",
    "write_wav",
]

RAW_SUFFIXES = (".raw", ".sln", ".sln8")
RAW_ULAW_SUFFIXES = (".ul", ".ulaw", ".mulaw", ".pcmu")
RAW_ALAW_SUFFIXES = (".al", ".alaw", ".pcma")
#: Decoder of each raw G.711 suffix.
_RAW_G711: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    **dict.fromkeys(RAW_ULAW_SUFFIXES, ulaw_decode),
    **dict.fromkeys(RAW_ALAW_SUFFIXES, alaw_decode),
}
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
_RIFF_HEADER = 12  # "RIFF", size, "WAVE"
#: Bytes of a ``fmt `` chunk that are read (the fields used end at byte 26; the rest is skipped).
_FMT_READ = 64
#: Chunk headers looked at before giving up on finding ``fmt `` and ``data``.
_MAX_CHUNKS = 4096
#: Size a streaming writer leaves in a chunk header it cannot go back to fill in.
_UNKNOWN_SIZE = 0xFFFFFFFF
#: Longest audio :func:`read_audio` reads unless told otherwise: one hour (57.6 MB of PCM16).
DEFAULT_MAX_SECONDS = 3600.0
#: Size of each read of sample data.
READ_PIECE_BYTES = 1 << 16

_Decoder = Callable[[bytes], np.ndarray]


def shared_copy(samples: np.ndarray) -> np.ndarray:
    """A read-only copy of ``samples``.  The media plane stores a read-only buffer once for
    every player of it, and copies a writable one at every play: a prompt played on hundreds
    of calls wants to be read-only."""
    out = np.array(samples, copy=True)
    out.flags.writeable = False
    return out


def _fail(path: str | os.PathLike[str], what: str) -> AudioFormatError:
    return AudioFormatError(f"{os.fspath(path)}: {what}")


def _pcm16(body: bytes) -> np.ndarray:
    return np.frombuffer(body, dtype="<i2").astype(np.int16)


def _g711(decode: Callable[[np.ndarray], np.ndarray]) -> _Decoder:
    return lambda body: decode(np.frombuffer(body, dtype=np.uint8))


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def _not_regular(path: str | os.PathLike[str], mode: int) -> AudioFormatError | None:
    """The error for a file that is not a regular file (``None`` for a regular one)."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    return _fail(path, f"is {kind}, not a regular file; read_audio reads regular files only")


def _open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file, without blocking on anything else."""
    error = _not_regular(path, os.stat(path).st_mode)  # before opening: /dev/zero, FIFOs ...
    if error is not None:
        raise error
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        error = _not_regular(path, os.fstat(fd).st_mode)  # replaced since the stat?
        if error is not None:
            raise error
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_exact(f: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the file)."""
    parts: list[bytes] = []
    while n > 0:
        piece = f.read(min(n, READ_PIECE_BYTES))
        if not piece:
            break
        parts.append(piece)
        n -= len(piece)
    return b"".join(parts)


def _max_bytes(max_seconds: float | None, width: int) -> int | None:
    """Bytes of ``max_seconds`` of samples ``width`` bytes wide (``None``: no limit)."""
    if max_seconds is None:
        return None
    return int(max_seconds * FS_HZ) * width


def _read_samples(path: str | os.PathLike[str], f: BinaryIO, length: int | None,
                  width: int, max_seconds: float | None) -> bytes:
    """Read ``length`` bytes of samples (``None``: to the end of the file) in bounded pieces.

    Raises ``AudioFormatError`` as soon as more than ``max_seconds`` of audio turns up.
    """
    limit = _max_bytes(max_seconds, width)
    want = length
    if limit is not None:
        # One byte beyond the limit tells a file that is too long from one that fits exactly.
        want = limit + 1 if want is None else min(want, limit + 1)
    parts: list[bytes] = []
    got = 0
    while want is None or got < want:
        piece = f.read(READ_PIECE_BYTES if want is None else min(READ_PIECE_BYTES, want - got))
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    if limit is not None and got > limit:
        raise _too_long(path, max_seconds)
    body = b"".join(parts)
    return body[: len(body) - len(body) % width]  # a truncated last sample is dropped


def _too_long(path: str | os.PathLike[str], max_seconds: float | None) -> AudioFormatError:
    return _fail(path, f"more than max_seconds={max_seconds:g} s of audio; "
                       "pass a larger max_seconds (or None) to read it")


def _check_length(path: str | os.PathLike[str], n_bytes: int, width: int,
                  max_seconds: float | None) -> None:
    """Refuse, before reading, audio that the header or file size already shows too long."""
    limit = _max_bytes(max_seconds, width)
    if limit is not None and n_bytes - n_bytes % width > limit:
        raise _too_long(path, max_seconds)


def read_audio(path: str | os.PathLike[str], *,
               max_seconds: float | None = DEFAULT_MAX_SECONDS) -> np.ndarray:
    """Read an 8 kHz mono telephony file as int16 samples (WAV PCM16/mu-law/A-law, raw PCM16
    or raw G.711).

    ``max_seconds`` bounds how much audio is read (default :data:`DEFAULT_MAX_SECONDS`, one
    hour); a longer file raises ``AudioFormatError`` instead of being read, and ``None`` lifts
    the limit.  Only regular files are read: a FIFO, a device (``/dev/zero``), a directory or a
    socket raises ``AudioFormatError`` without being opened for reading.

    Raises ``AudioFormatError`` (a ``ValueError``) for an unsupported rate, width, channel count
    or encoding, a malformed or truncated header, or a file that is not a regular file, and
    ``OSError`` when the file cannot be found or read.
    """
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0 or None, got {max_seconds!r}")
    p = Path(path)
    suffix = p.suffix.lower()
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if suffix in RAW_SUFFIXES:
            if size % 2:
                raise _fail(path, f"raw 16-bit file has an odd length of {size} bytes")
            _check_length(path, size, 2, max_seconds)
            return _pcm16(_read_samples(path, f, None, 2, max_seconds))
        decode = _RAW_G711.get(suffix)
        if decode is not None:
            _check_length(path, size, 1, max_seconds)
            return _g711(decode)(_read_samples(path, f, None, 1, max_seconds))
        head = _read_exact(f, _RIFF_HEADER)
        if head[:4] == b"RIFF" and len(head) < _RIFF_HEADER:
            raise _fail(path, f"truncated RIFF header ({len(head)} of {_RIFF_HEADER} bytes)")
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _read_wav(path, f, head, size, max_seconds)
        if head[:4] == b"RF64":
            raise _fail(path, "RF64 (64-bit WAVE) is not supported")
        if suffix == ".wav":
            raise _fail(path, "not a RIFF/WAVE file")
    known = ", ".join((".wav", *RAW_SUFFIXES, *_RAW_G711))
    raise _fail(path, f"unknown audio file type {p.suffix or '(no suffix)'!r}; expected {known}")


def _format(path: str | os.PathLike[str], fmt: bytes) -> tuple[int, int]:
    """The format tag and sample width in bytes of an accepted ``fmt `` chunk body."""
    if len(fmt) < _FMT.size:
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
    return tag, bits // 8


def _data_to_eof(riff_size: int, data_size: int, data_start: int) -> bool:
    """Whether a ``data`` chunk's size is a streaming writer's placeholder.

    ``0xFFFFFFFF`` always is; ``0`` is when the RIFF size is a placeholder too or ends the file
    at the data chunk's header (a genuinely empty ``data`` chunk followed by other chunks is
    covered by a RIFF size that reaches past it).
    """
    if data_size == _UNKNOWN_SIZE:
        return True
    return data_size == 0 and (riff_size in (0, _UNKNOWN_SIZE) or riff_size + 8 <= data_start)


def _read_wav(path: str | os.PathLike[str], f: BinaryIO, head: bytes, size: int,
              max_seconds: float | None) -> np.ndarray:
    """Scan the chunk headers of an open WAVE file (after its 12-byte RIFF header), check
    the format, then read the samples."""
    riff_size = struct.unpack_from("<I", head, 4)[0]
    pos = _RIFF_HEADER
    fmt: bytes | None = None
    data: tuple[int, int | None] | None = None  # (offset of the samples, length or to EOF)
    for _ in range(_MAX_CHUNKS):
        if (fmt is not None and data is not None) or pos + _CHUNK.size > size:
            break
        f.seek(pos)
        header = _read_exact(f, _CHUNK.size)
        if len(header) < _CHUNK.size:
            break
        cid, chunk_size = _CHUNK.unpack(header)
        body_at = pos + _CHUNK.size
        if cid == b"fmt " and fmt is None:
            fmt = _read_exact(f, min(chunk_size, _FMT_READ))
            if len(fmt) < min(chunk_size, _FMT.size):
                raise _fail(path, f"chunk 'fmt ' truncated ({len(fmt)} of {chunk_size} bytes)")
        elif cid == b"data" and data is None:
            if _data_to_eof(riff_size, chunk_size, body_at):
                data = (body_at, None)
                break  # the samples run to the end of the file: no chunk follows
            data = (body_at, chunk_size)
        pos = body_at + chunk_size + (chunk_size & 1)  # odd chunks carry a pad byte
    else:
        raise _fail(path, f"more than {_MAX_CHUNKS} chunks without 'fmt ' and 'data'")
    if fmt is None:
        raise _fail(path, "WAVE file without a valid 'fmt ' chunk")
    tag, width = _format(path, fmt)
    if data is None:
        raise _fail(path, "WAVE file without a 'data' chunk")
    start, length = data
    _check_length(path, max(0, size - start) if length is None else min(length, size - start),
                  width, max_seconds)
    f.seek(start)
    body = _read_samples(path, f, length, width, max_seconds)
    if tag == WAVE_FORMAT_PCM:
        return _pcm16(body)
    return _g711(ulaw_decode if tag == WAVE_FORMAT_MULAW else alaw_decode)(body)


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
