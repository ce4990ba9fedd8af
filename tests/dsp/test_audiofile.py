"""read_audio / write_wav on files of every accepted format and on bad ones."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from pycti.dsp.audiofile import read_audio, write_wav
from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from pycti.errors import AudioFormatError, PyctiError

RNG = np.random.default_rng(12)
SAMPLES = np.clip(RNG.normal(0, 6000, 4001), -32768, 32767).astype(np.int16)


def _wav_bytes(body: bytes, *, tag: int = 1, channels: int = 1, rate: int = 8000,
               bits: int = 16, extra_chunks: bytes = b"", fmt_extra: bytes = b"") -> bytes:
    """A RIFF/WAVE file built field by field (RFC 2361 / Microsoft RIFF layout)."""
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits) + fmt_extra
    chunks = (b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
              + b"data" + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b""))
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def test_pcm16_round_trip_and_stdlib_agrees(tmp_path: Path) -> None:
    p = tmp_path / "a.wav"
    write_wav(p, SAMPLES)
    got = read_audio(p)
    assert got.dtype == np.int16 and np.array_equal(got, SAMPLES)
    with wave.open(str(p)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), "<i2"), SAMPLES)


def test_stereo_write_is_interleaved(tmp_path: Path) -> None:
    p = tmp_path / "s.wav"
    left, right = SAMPLES[:100], -SAMPLES[:100]
    write_wav(p, np.stack([left, right]))
    with wave.open(str(p)) as w:
        assert w.getnchannels() == 2
        frames = np.frombuffer(w.readframes(100), "<i2").reshape(-1, 2)
    assert np.array_equal(frames[:, 0], left) and np.array_equal(frames[:, 1], right)
    with pytest.raises(AudioFormatError, match=r"s\.wav: 2 channels, expected mono"):
        read_audio(p)


@pytest.mark.parametrize(("tag", "encode", "decode"), [(7, ulaw_encode, ulaw_decode),
                                                       (6, alaw_encode, alaw_decode)])
def test_g711_wav(tmp_path: Path, tag: int, encode, decode) -> None:
    codes = encode(SAMPLES)
    p = tmp_path / "g.wav"
    # An odd-length LIST chunk before the data tests the RIFF pad byte.
    listc = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\0"
    p.write_bytes(_wav_bytes(codes.tobytes(), tag=tag, bits=8, extra_chunks=listc,
                             fmt_extra=b"\0\0"))
    got = read_audio(p)
    assert np.array_equal(got, decode(codes))
    assert np.max(np.abs(got.astype(int) - SAMPLES)) < 1100  # G.711 step at 6000 is < 512*2


def test_wave_format_extensible_pcm(tmp_path: Path) -> None:
    guid_pcm = struct.pack("<H", 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    ext = struct.pack("<HHI", 22, 16, 4) + guid_pcm
    p = tmp_path / "x.wav"
    p.write_bytes(_wav_bytes(SAMPLES.tobytes(), tag=0xFFFE, fmt_extra=ext))
    assert np.array_equal(read_audio(p), SAMPLES)


@pytest.mark.parametrize("suffix", [".raw", ".sln", ".sln8", ".SLN"])
def test_raw_files(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"r{suffix}"
    p.write_bytes(SAMPLES.astype("<i2").tobytes())
    assert np.array_equal(read_audio(p), SAMPLES)


@pytest.mark.parametrize(("suffix", "encode", "decode"), [
    (".ul", ulaw_encode, ulaw_decode), (".ulaw", ulaw_encode, ulaw_decode),
    (".mulaw", ulaw_encode, ulaw_decode), (".PCMU", ulaw_encode, ulaw_decode),
    (".al", alaw_encode, alaw_decode), (".alaw", alaw_encode, alaw_decode),
    (".pcma", alaw_encode, alaw_decode),
])
def test_raw_g711_files(tmp_path: Path, suffix: str, encode, decode) -> None:
    """Headerless G.711 codes, one byte a sample, as SoX (.ul/.al) and Asterisk (.ulaw/.alaw) write them."""
    p = tmp_path / f"r{suffix}"
    codes = encode(SAMPLES)
    p.write_bytes(codes.tobytes())
    assert np.array_equal(read_audio(p), decode(codes))


@pytest.mark.parametrize(("name", "data", "message"), [
    ("rate.wav", _wav_bytes(b"\0\0" * 10, rate=16000),
     "rate.wav: sample rate 16000 Hz, expected 8000 Hz"),
    ("st.wav", _wav_bytes(b"\0\0" * 10, channels=2), "st.wav: 2 channels, expected mono"),
    ("u8.wav", _wav_bytes(b"\0" * 10, bits=8), "u8.wav: PCM with 8-bit samples, expected 16-bit"),
    ("ulaw16.wav", _wav_bytes(b"\0" * 10, tag=7, bits=16),
     "ulaw16.wav: mu-law with 16-bit samples, expected 8-bit"),
    ("f.wav", _wav_bytes(b"\0" * 16, tag=3, bits=32),
     "f.wav: encoding IEEE float, expected PCM16, mu-law or A-law"),
    ("gsm.wav", _wav_bytes(b"\0" * 16, tag=0x31), "gsm.wav: encoding GSM 6.10, expected"),
    ("text.wav", b"hello, not audio", "text.wav: not a RIFF/WAVE file"),
    ("nofmt.wav", b"RIFF\x04\0\0\0WAVE", "nofmt.wav: WAVE file without a valid 'fmt ' chunk"),
    ("nodata.wav", _wav_bytes(b"")[:-8], "nodata.wav: WAVE file without a 'data' chunk"),
    ("odd.raw", b"\0\0\0", "odd.raw: raw 16-bit file has an odd length of 3 bytes"),
    ("a.mp3", b"ID3....", "a.mp3: unknown audio file type '.mp3'"),
])
def test_bad_files_raise_one_line_errors(tmp_path: Path, name: str, data: bytes,
                                         message: str) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(AudioFormatError) as info:
        read_audio(p)
    text = str(info.value)
    assert text.startswith(str(p)) and message.split(": ", 1)[1] in text
    assert "\n" not in text
    assert isinstance(info.value, ValueError) and isinstance(info.value, PyctiError)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_audio(tmp_path / "missing.wav")


def test_truncated_data_chunk_keeps_whole_samples(tmp_path: Path) -> None:
    p = tmp_path / "t.wav"
    full = _wav_bytes(SAMPLES[:10].tobytes())
    p.write_bytes(full[:-3])  # cut inside the 9th sample
    assert np.array_equal(read_audio(p), SAMPLES[:8])


def test_write_rejects_bad_shapes_and_rates(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="mono or stereo"):
        write_wav(tmp_path / "b.wav", np.zeros((3, 5, 2), np.int16))
    with pytest.raises(ValueError, match="fs_hz"):
        write_wav(tmp_path / "b.wav", SAMPLES, fs_hz=16000)
