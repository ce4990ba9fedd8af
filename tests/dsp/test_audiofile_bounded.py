"""read_audio reads only regular files, and only as much as their header and ``max_seconds`` allow.

Covers what a whole-file read got wrong: a FIFO (would block), ``/dev/zero`` (would grow without
end), a directory, a streaming writer's placeholder sizes (``0`` / ``0xFFFFFFFF`` in the
``data`` chunk, read to the end of the file), pad bytes after odd chunks, truncated headers, and
the ``max_seconds`` limit (checked on sparse files of gigabytes, which must fail fast).
"""

from __future__ import annotations

import os
import stat
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pycti.dsp import audiofile
from pycti.dsp.audiofile import DEFAULT_MAX_SECONDS, read_audio, write_wav
from pycti.dsp.g711 import ulaw_decode, ulaw_encode
from pycti.errors import AudioFormatError

RNG = np.random.default_rng(5)
SAMPLES = np.clip(RNG.normal(0, 5000, 3001), -32768, 32767).astype(np.int16)
UNKNOWN = 0xFFFFFFFF
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


def _fmt(*, tag: int = 1, rate: int = 8000, channels: int = 1, bits: int = 16) -> bytes:
    align = channels * bits // 8
    body = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)
    return b"fmt " + struct.pack("<I", len(body)) + body


def _wav(body: bytes, *, riff_size: int | None = None, data_size: int | None = None,
         before: bytes = b"", after: bytes = b"", fmt: bytes | None = None) -> bytes:
    """A WAVE file with explicit (possibly placeholder) RIFF and data sizes."""
    fmt = _fmt() if fmt is None else fmt
    size = len(body) if data_size is None else data_size
    pad = b"\0" if len(body) % 2 and after else b""
    chunks = before + fmt + b"data" + struct.pack("<I", size) + body + pad + after
    riff = 4 + len(chunks) if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", riff) + b"WAVE" + chunks


def _in_thread(fn: Callable[[], object], unblock: Callable[[], None], timeout: float = 5.0) -> BaseException | None:
    """Run ``fn`` in a thread; fail (after ``unblock``-ing it) if it is still running after
    ``timeout`` s.  Returns what it raised (``None`` if it returned)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        unblock()
        t.join(timeout)
        pytest.fail(f"read_audio blocked for more than {timeout} s")
    return outcome[0]


def _open_fifo_writer(path: Path) -> Callable[[], None]:
    def unblock() -> None:  # a writer that connects and leaves ends a blocked reader's wait
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    return unblock


# ------------------------------------------------------------------ not regular files

@needs_fifo
@pytest.mark.parametrize("name", ["in.wav", "in.ul", "in.raw", "in.bin"])
def test_fifo_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    exc = _in_thread(lambda: read_audio(fifo), _open_fifo_writer(fifo))
    assert isinstance(exc, AudioFormatError) and isinstance(exc, ValueError)
    assert str(exc) == f"{fifo}: is a FIFO (named pipe), not a regular file; read_audio reads regular files only"


@needs_fifo
def test_fifo_swapped_in_after_the_stat_is_still_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if the path looked regular when stat-ed (a race), the file is opened non-blocking and
    its descriptor is checked again before anything is read."""
    fifo = tmp_path / "race.wav"
    os.mkfifo(fifo)
    real_stat = os.stat
    regular = real_stat(__file__)

    def stat_says_regular(path: object, *args: object, **kwargs: object) -> os.stat_result:
        return regular if os.fspath(path) == os.fspath(fifo) else real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audiofile.os, "stat", stat_says_regular)
    exc = _in_thread(lambda: read_audio(fifo), _open_fifo_writer(fifo))
    assert isinstance(exc, AudioFormatError) and "FIFO" in str(exc)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("name", ["zero.wav", "zero.ul", "zero.raw"])
def test_dev_zero_is_refused_before_reading(tmp_path: Path, name: str) -> None:
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    for path in (link, Path("/dev/zero")):
        exc = _in_thread(lambda p=path: read_audio(p), lambda: None)  # type: ignore[misc]
        assert isinstance(exc, AudioFormatError)
        assert str(exc).startswith(f"{path}: is a character device, not a regular file")


def test_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "d.wav"
    d.mkdir()
    with pytest.raises(AudioFormatError, match=r"d\.wav: is a directory, not a regular file"):
        read_audio(d)


def test_missing_file_is_still_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_audio(tmp_path / "nope.ul")


# ------------------------------------------------------------------ streaming WAVs, pads, truncation

@pytest.mark.parametrize(("riff_size", "data_size"), [
    (UNKNOWN, UNKNOWN),  # ffmpeg / arecord writing to a pipe, then saved
    (36, UNKNOWN),
    (0, 0),
    (UNKNOWN, 0),
    (36, 0),  # the RIFF size covers the headers only: nothing was filled in
])
def test_streaming_placeholder_sizes_read_to_the_end(tmp_path: Path, riff_size: int, data_size: int) -> None:
    p = tmp_path / "stream.wav"
    p.write_bytes(_wav(SAMPLES.tobytes(), riff_size=riff_size, data_size=data_size))
    np.testing.assert_array_equal(read_audio(p), SAMPLES)


def test_streaming_wav_with_odd_tail_drops_the_partial_sample(tmp_path: Path) -> None:
    p = tmp_path / "stream.wav"
    p.write_bytes(_wav(SAMPLES[:100].tobytes() + b"\x01", riff_size=UNKNOWN, data_size=UNKNOWN))
    np.testing.assert_array_equal(read_audio(p), SAMPLES[:100])


def test_really_empty_data_chunk_followed_by_a_chunk_is_empty(tmp_path: Path) -> None:
    """A data size of 0 that the RIFF size accounts past is a genuinely empty chunk."""
    p = tmp_path / "empty.wav"
    p.write_bytes(_wav(b"", after=b"LIST" + struct.pack("<I", 4) + b"INFO"))
    got = read_audio(p)
    assert got.dtype == np.int16 and got.size == 0


def test_odd_chunks_pad_bytes_are_skipped(tmp_path: Path) -> None:
    codes = ulaw_encode(SAMPLES[:101])  # odd data length: a pad byte, then another chunk
    odd = b"junk" + struct.pack("<I", 3) + b"abc" + b"\0"
    p = tmp_path / "pad.wav"
    p.write_bytes(_wav(codes.tobytes(), before=odd, fmt=_fmt(tag=7, bits=8),
                       after=b"LIST" + struct.pack("<I", 5) + b"INFOx\0"))
    np.testing.assert_array_equal(read_audio(p), ulaw_decode(codes))


def test_fmt_after_data_is_found(tmp_path: Path) -> None:
    body = SAMPLES[:50].tobytes()
    chunks = b"data" + struct.pack("<I", len(body)) + body + _fmt()
    p = tmp_path / "late.wav"
    p.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    np.testing.assert_array_equal(read_audio(p), SAMPLES[:50])


@pytest.mark.parametrize(("data", "message"), [
    (b"RIFF\x24\0", "truncated RIFF header (6 of 12 bytes)"),
    (b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0", "chunk 'fmt ' truncated (4 of 16 bytes)"),
    (b"RIFF\x24\0\0\0WAVEfmt \x10\0", "WAVE file without a valid 'fmt ' chunk"),
    (b"RF64\xff\xff\xff\xffWAVEds64", "RF64 (64-bit WAVE) is not supported"),
    (b"", "not a RIFF/WAVE file"),
])
def test_truncated_headers_get_clear_errors(tmp_path: Path, data: bytes, message: str) -> None:
    p = tmp_path / "t.wav"
    p.write_bytes(data)
    with pytest.raises(AudioFormatError) as info:
        read_audio(p)
    assert str(info.value) == f"{p}: {message}"


def test_small_read_pieces_give_the_same_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "a.wav"
    write_wav(p, SAMPLES)
    whole = read_audio(p)
    monkeypatch.setattr(audiofile, "READ_PIECE_BYTES", 7)
    np.testing.assert_array_equal(read_audio(p), whole)
    q = tmp_path / "s.wav"
    q.write_bytes(_wav(SAMPLES.tobytes(), riff_size=UNKNOWN, data_size=UNKNOWN))
    np.testing.assert_array_equal(read_audio(q), whole)


# ------------------------------------------------------------------ max_seconds

def test_default_limit_is_an_hour() -> None:
    assert DEFAULT_MAX_SECONDS == 3600.0


@pytest.mark.parametrize("kind", ["wav", "stream", "raw", "ul"])
def test_max_seconds_limit(tmp_path: Path, kind: str) -> None:
    two_s = np.zeros(16000, np.int16)
    p = tmp_path / {"wav": "a.wav", "stream": "s.wav", "raw": "a.raw", "ul": "a.ul"}[kind]
    if kind == "wav":
        write_wav(p, two_s)
    elif kind == "stream":
        p.write_bytes(_wav(two_s.tobytes(), riff_size=UNKNOWN, data_size=UNKNOWN))
    elif kind == "raw":
        p.write_bytes(two_s.tobytes())
    else:
        p.write_bytes(ulaw_encode(two_s).tobytes())
    assert read_audio(p, max_seconds=2.0).size == 16000  # exactly at the limit
    assert read_audio(p, max_seconds=None).size == 16000
    with pytest.raises(AudioFormatError) as info:
        read_audio(p, max_seconds=1.999)
    assert str(info.value) == (f"{p}: more than max_seconds=1.999 s of audio; "
                               "pass a larger max_seconds (or None) to read it")


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_max_seconds_must_be_positive(tmp_path: Path, bad: float) -> None:
    p = tmp_path / "a.wav"
    write_wav(p, SAMPLES)
    with pytest.raises(ValueError, match="max_seconds"):
        read_audio(p, max_seconds=bad)


def _sparse(path: Path, head: bytes, size: int) -> Path:
    with open(path, "wb") as f:
        f.write(head)
        try:
            f.truncate(size)
        except OSError as exc:  # pragma: no cover - filesystem without large/sparse files
            pytest.skip(f"cannot make a sparse file: {exc}")
    if os.stat(path).st_blocks * 512 > 1 << 24:  # pragma: no cover - not sparse after all
        path.unlink()
        pytest.skip("filesystem does not keep sparse files sparse")
    return path


@pytest.mark.parametrize(("name", "head"), [
    ("big.wav", _wav(b"", riff_size=UNKNOWN, data_size=UNKNOWN)),
    ("big.ul", b""),
    ("big.raw", b""),
])
def test_gigabyte_file_over_the_limit_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 name: str, head: bytes) -> None:
    """Four GiB of (sparse) audio: refused from its size, without reading it."""
    p = _sparse(tmp_path / name, head, 1 << 32)
    reads: list[int] = []
    real_read = audiofile._read_samples

    def counting(*args: object) -> bytes:
        reads.append(1)
        return real_read(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(audiofile, "_read_samples", counting)
    with pytest.raises(AudioFormatError, match="more than max_seconds=3600 s"):
        read_audio(p)
    assert reads == []  # the size alone decided


def test_wrong_format_is_refused_from_the_header_of_a_huge_file(tmp_path: Path) -> None:
    p = _sparse(tmp_path / "wide.wav",
                _wav(b"", riff_size=UNKNOWN, data_size=UNKNOWN, fmt=_fmt(rate=16000)), 1 << 32)
    with pytest.raises(AudioFormatError, match="sample rate 16000 Hz, expected 8000 Hz"):
        read_audio(p, max_seconds=None)
    q = _sparse(tmp_path / "stereo.wav", _wav(b"", data_size=1 << 31, fmt=_fmt(channels=2)), 1 << 32)
    with pytest.raises(AudioFormatError, match="2 channels, expected mono"):
        read_audio(q, max_seconds=None)


def test_file_growing_past_the_limit_while_read_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size check comes first, but the read itself never takes more than the limit + 1 byte,
    in bounded pieces: simulate a file that grew after its size was taken."""
    p = tmp_path / "grow.ul"
    p.write_bytes(b"\xff" * 24000)  # 3 s
    monkeypatch.setattr(audiofile, "_check_length", lambda *args: None)  # as if stat-ed small
    sizes: list[int] = []
    original_open = audiofile._open_regular

    def spying_open(path: str | os.PathLike[str]) -> object:
        f = original_open(path)
        read = f.read

        def bounded(n: int = -1) -> bytes:
            sizes.append(n)
            return read(n)

        f.read = bounded  # type: ignore[method-assign]
        return f

    monkeypatch.setattr(audiofile, "_open_regular", spying_open)
    with pytest.raises(AudioFormatError, match="more than max_seconds=1 s"):
        read_audio(p, max_seconds=1.0)
    assert sizes and all(0 < n <= audiofile.READ_PIECE_BYTES for n in sizes)
    assert sum(sizes) <= 8000 + 1


def test_regular_file_check_helper_names_every_kind() -> None:
    for mode, kind in [(stat.S_IFIFO, "a FIFO"), (stat.S_IFCHR, "a character device"),
                       (stat.S_IFBLK, "a block device"), (stat.S_IFDIR, "a directory"),
                       (stat.S_IFSOCK, "a socket")]:
        err = audiofile._not_regular("x.wav", mode | 0o644)
        assert err is not None and str(err).startswith(f"x.wav: is {kind}")
    assert audiofile._not_regular("x.wav", stat.S_IFREG | 0o644) is None
