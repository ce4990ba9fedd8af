"""RFC 3550 A.1 (sequence validation), A.3 (loss) and A.8 (jitter)."""

from __future__ import annotations

import pytest

from pycti.rtp.packet import RtpError
from pycti.rtp.stats import MAX_DROPOUT, ReceptionStats


def _valid_source(first: int) -> ReceptionStats:
    s = ReceptionStats(first)
    assert s.update_sequence(first) is False  # on probation
    assert s.update_sequence((first + 1) & 0xFFFF) is True  # MIN_SEQUENTIAL = 2 in sequence
    return s


def test_probation_restarts_on_a_gap():
    s = ReceptionStats(100)
    assert not s.update_sequence(100)
    assert not s.update_sequence(105)  # not in sequence: probation starts again from 105
    assert s.update_sequence(106)
    assert s.base_seq == 106 and s.received == 1


def test_sequence_wrap_extends_the_number():
    s = _valid_source(65533)
    for seq in (65535, 0, 1):
        assert s.update_sequence(seq)
    assert s.cycles == 65536 and s.extended_max == 65536 + 1
    assert s.extend(65535) == 65535 and s.extend(1) == 65537
    rep = s.loss_report()
    assert (rep.expected, rep.received, rep.cumulative_lost) == (4, 4, 0)  # valid from 65534


def test_loss_and_fraction_lost_per_interval():
    s = _valid_source(999)  # valid from 1000
    lost = {1010, 1020, 1030, 1040, 1050, 1060, 1070, 1080, 1090, 1095}
    for seq in range(1001, 1100):
        if seq not in lost:
            s.update_sequence(seq)
    rep = s.loss_report()
    assert rep.expected == 100 and rep.cumulative_lost == 10
    assert rep.fraction_lost == 10 * 256 // 100  # 25: 8-bit fixed point of 10 %
    for seq in range(1100, 1200):  # an interval without loss
        s.update_sequence(seq)
    rep2 = s.loss_report()
    assert rep2.fraction_lost == 0 and rep2.cumulative_lost == 10


def test_duplicates_make_cumulative_loss_negative_and_fraction_zero():
    s = _valid_source(10)
    for seq in (12, 12, 13, 13):
        assert s.update_sequence(seq)  # a duplicate counts as received (RFC 3550 §6.4.1)
    rep = s.loss_report()
    assert rep.cumulative_lost == -2 and rep.fraction_lost == 0


def test_reordered_packet_is_counted_without_moving_the_maximum():
    s = _valid_source(10)
    for seq in (13, 12):
        assert s.update_sequence(seq)
    assert s.max_seq == 13 and s.loss_report().cumulative_lost == 0


def test_large_jump_needs_confirmation_then_restarts():
    s = _valid_source(10)
    jump = 11 + MAX_DROPOUT + 500
    assert not s.update_sequence(jump)  # bad_seq = jump + 1
    assert s.update_sequence(12)  # still the old stream
    assert not s.update_sequence(jump)
    assert s.update_sequence(jump + 1)  # confirmed: the sender restarted
    assert s.base_seq == jump + 1 and s.received == 1


def test_jitter_follows_the_a8_estimator():
    s = _valid_source(0)
    d = 80  # alternate the network delay by 80 timestamp units (10 ms): |D| = 80 each packet
    expect = 0.0
    for i in range(60):
        ts = 160 * i
        arrival = ts + 1000 + (d if i % 2 else 0)
        s.update_jitter(ts, arrival)
        if i:
            expect += (d - expect) / 16
    assert s.jitter == pytest.approx(expect, abs=1.0)
    assert 70 <= s.jitter <= 80


def test_constant_delay_has_no_jitter():
    s = _valid_source(0)
    for i in range(50):
        s.update_jitter(160 * i, 160 * i + 12345)
    assert s.jitter == 0


def test_cumulative_loss_clamps_to_24_bits():
    s = _valid_source(0)
    s.received = -10_000_000  # as if far more were expected than received
    assert s.loss_report().cumulative_lost == 0x7FFFFF


def test_without_probation_the_first_packet_counts():
    s = ReceptionStats(0, min_sequential=0)
    assert s.update_sequence(0) and s.update_sequence(1)
    assert s.cycles == 0 and s.loss_report().expected == 2
    with pytest.raises(RtpError, match="sequence 70000"):
        ReceptionStats(70000)
