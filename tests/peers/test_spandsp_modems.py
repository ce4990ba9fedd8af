"""spandsp's reference modems and HDLC framer through the numpy wrappers.

Every modem and rate (V.29 9600/7200/4800, V.27 ter 4800/2400, V.17 14400..7200, V.21
channel 2 at 300 bit/s) sends seeded random bits from :class:`SpandspModemTx` to
:class:`SpandspModemRx` in 160-sample frames; the receiver must report carrier and training,
deliver the bits unchanged, then report the carrier drop after the transmitter's closing
sequence.  HDLC frames (the framing of T.30 clause 5) go over V.21 channel 2 and must come back
with a good FCS; a flipped bit must give a bad one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from tests.peers.spandsp import (
    FRAME_SAMPLES,
    MODEM_RATES_BPS,
    SpandspHdlcRx,
    SpandspHdlcTx,
    SpandspModemRx,
    SpandspModemTx,
    SpandspValueError,
)

CASES = [(kind, rate) for kind, rates in MODEM_RATES_BPS.items() for rate in rates]
SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)


def _transmit(
    kind: str, rate_bps: int, payload: npt.NDArray[np.uint8], max_frames: int = 1000
) -> tuple[npt.NDArray[np.uint8], SpandspModemTx, SpandspModemRx]:
    """Send ``payload`` plus 32 marks as one transmission; return the bits received."""
    tx, rx = SpandspModemTx(kind, rate_bps), SpandspModemRx(kind, rate_bps)
    tx.write_bits(payload)
    tx.write_bits(np.ones(32, dtype=np.uint8))
    tx.finish()
    received = []
    for _ in range(max_frames):
        frame = tx.generate(FRAME_SAMPLES)
        assert frame.dtype == np.int16 and frame.shape == (FRAME_SAMPLES,)
        received.append(rx.process(frame))
        if tx.done:
            break
    assert tx.done, "the transmitter did not finish"
    for _ in range(10):  # let the receiver see the carrier go
        received.append(rx.process(SILENCE))
    return np.concatenate(received), tx, rx


def _find(haystack: npt.NDArray[np.uint8], needle: npt.NDArray[np.uint8]) -> int:
    """Index of the first occurrence of ``needle`` in ``haystack``, or -1."""
    if haystack.size < needle.size:
        return -1
    windows = np.lib.stride_tricks.sliding_window_view(haystack, needle.size)
    hits = np.flatnonzero((windows == needle).all(axis=1))
    return int(hits[0]) if hits.size else -1


@pytest.mark.parametrize(("kind", "rate_bps"), CASES)
def test_random_bits_survive_tx_to_rx(kind: str, rate_bps: int) -> None:
    rng = np.random.default_rng(rate_bps)
    payload = rng.integers(0, 2, size=1500, dtype=np.uint8)
    bits, tx, rx = _transmit(kind, rate_bps, payload)
    offset = _find(bits, payload)
    assert offset >= 0, f"{kind} {rate_bps}: payload not recovered"
    assert offset <= 2  # the data follows the training directly
    assert tx.queued_bits == 0
    names = [event.name for event in rx.events]
    assert names[0] == "SIG_STATUS_CARRIER_UP"
    assert names[-1] == "SIG_STATUS_CARRIER_DOWN"
    if kind != "V21":  # the PSK/QAM modems train before delivering data
        trained = names.index("SIG_STATUS_TRAINING_SUCCEEDED")
        assert "SIG_STATUS_TRAINING_FAILED" not in names
        assert rx.events[trained].bit_index == 0
    assert rx.events[-1].bit_index >= payload.size
    assert rx.bits_delivered == bits.size
    assert not rx.carrier_up and not rx.trained  # after the carrier drop


@pytest.mark.parametrize(("kind", "rate_bps"), [("V29", 9600), ("V17", 14400), ("V21", 300)])
def test_bits_written_while_running_arrive_in_order_with_marks_between(
    kind: str, rate_bps: int
) -> None:
    rng = np.random.default_rng(7)
    chunks = [rng.integers(0, 2, size=120, dtype=np.uint8) for _ in range(3)]
    tx, rx = SpandspModemTx(kind, rate_bps), SpandspModemRx(kind, rate_bps)
    to_write = list(chunks)
    received, empty_frames = [], 10
    for _ in range(600):
        empty_frames = empty_frames + 1 if tx.queued_bits == 0 else 0
        if empty_frames > 10 and to_write:  # 0.2 s of marks, then the next chunk
            tx.write_bits(to_write.pop(0))
        elif not to_write and tx.queued_bits == 0:
            tx.finish()
        received.append(rx.process(tx.generate()))
        if tx.done:
            break
    assert tx.done
    bits = np.concatenate(received + [rx.process(SILENCE) for _ in range(10)])
    position, gaps = 0, 0
    for index, chunk in enumerate(chunks):
        found = _find(bits[position:], chunk)
        assert found >= 0, f"chunk {index} missing"
        if index:  # between chunks the modem sent marks (1 bits)
            assert found > 0 and np.all(bits[position : position + found] == 1)
            gaps += found
        position += found + chunk.size
    assert 0 < gaps <= tx.idle_bits


def _training_samples(
    tx: SpandspModemTx, rx: SpandspModemRx, payload: npt.NDArray[np.uint8]
) -> int:
    """Send ``payload``; return the samples until the receiver reported training success."""
    tx.write_bits(payload)
    tx.finish()
    start, samples, trained_at, bits = len(rx.events), 0, -1, []
    for _ in range(400):
        bits.append(rx.process(tx.generate()))
        samples += FRAME_SAMPLES
        names = [event.name for event in rx.events[start:]]
        if trained_at < 0 and "SIG_STATUS_TRAINING_SUCCEEDED" in names:
            trained_at = samples
        if tx.done:
            break
    bits += [rx.process(SILENCE) for _ in range(10)]
    assert _find(np.concatenate(bits), payload) >= 0
    return trained_at


def test_v17_short_training_after_a_long_one() -> None:
    rng = np.random.default_rng(17)
    tx, rx = SpandspModemTx("V17", 14400), SpandspModemRx("V17", 14400)
    long_train = _training_samples(tx, rx, rng.integers(0, 2, size=2000, dtype=np.uint8))
    tx.restart(short_train=True)
    rx.restart(short_train=True)
    short_train = _training_samples(tx, rx, rng.integers(0, 2, size=2000, dtype=np.uint8))
    # V.17 long training is about 1.4 s of segments, the short one about 0.14 s
    assert 0 < short_train < long_train / 3
    with pytest.raises(SpandspValueError, match="V29 has no short training"):
        SpandspModemTx("V29", 9600).restart(short_train=True)


def test_hdlc_frames_over_v21_channel_2() -> None:
    frames = [bytes([0xFF, 0x13, 0x80, 0x00, 0xCE, 0xF4]), bytes([0xFF, 0x03]) + b"pycti test"]
    hdlc_tx = SpandspHdlcTx()
    hdlc_tx.flags(40)  # about 1 s of flags, the preamble T.30 sends at 300 bit/s
    for frame in frames:
        hdlc_tx.frame(frame)
    modem_tx, modem_rx = SpandspModemTx("V21", 300), SpandspModemRx("V21", 300)
    modem_tx.write_bits(hdlc_tx.get_bits(40 * 8 + 300))
    modem_tx.finish()
    hdlc_rx = SpandspHdlcRx()
    got = []
    for _ in range(200):
        got += hdlc_rx.put_bits(modem_rx.process_raw(modem_tx.generate()))
        if modem_tx.done:
            break
    assert [(frame.data, frame.ok) for frame in got] == [(frame, True) for frame in frames]
    assert hdlc_rx.statuses[:2] == ["SIG_STATUS_CARRIER_UP", "SIG_STATUS_FRAMING_OK"]


def test_hdlc_detects_a_corrupted_frame() -> None:
    hdlc_tx = SpandspHdlcTx()
    hdlc_tx.flags(4)
    hdlc_tx.frame(b"\xff\x13\x80\x00\xce\xf4")
    bits = hdlc_tx.get_bits(200).copy()
    assert np.array_equal(bits[:8], [0, 1, 1, 1, 1, 1, 1, 0])  # the flag 0x7E, LSB first
    good = SpandspHdlcRx().put_bits(bits)
    assert [(frame.data, frame.ok) for frame in good] == [(b"\xff\x13\x80\x00\xce\xf4", True)]
    bits[4 * 8 + 20] ^= 1
    bad = SpandspHdlcRx().put_bits(bits)
    assert len(bad) == 1 and not bad[0].ok


@pytest.mark.parametrize(
    ("kind", "rate_bps", "fragment"),
    [("V34", 2400, "'V34'"), ("V29", 14400, "14400"), ("V17", 4800, "4800")],
)
def test_unknown_modems_and_rates_are_value_errors(kind: str, rate_bps: int, fragment: str) -> None:
    with pytest.raises(SpandspValueError, match=fragment):
        SpandspModemTx(kind, rate_bps)
    with pytest.raises(SpandspValueError, match=fragment):
        SpandspModemRx(kind, rate_bps)


def test_bad_bits_and_audio_are_value_errors() -> None:
    tx, rx = SpandspModemTx("V27ter", 4800), SpandspModemRx("V27ter", 4800)
    with pytest.raises(SpandspValueError, match="0/1"):
        tx.write_bits(np.array([0, 1, 2]))
    with pytest.raises(SpandspValueError, match="int16"):
        rx.process(np.zeros(160, dtype=np.float32))
    tx.finish()
    with pytest.raises(SpandspValueError, match="finish"):
        tx.write_bits(np.array([1]))
