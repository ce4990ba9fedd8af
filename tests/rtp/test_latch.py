"""Symmetric RTP latching (RFC 4961 behaviour) as pure decisions."""

from __future__ import annotations

from pycti.rtp.latch import LatchDecision, LatchState, SymmetricRtpLatch
from pycti.rtp.packet import RtpPacket, build_rtp

SDP = ("10.0.0.5", 40000)  # private address in the peer's SDP
NAT = ("203.0.113.9", 61000)  # where its packets really come from
EVIL = ("198.51.100.66", 5004)


def _pkt(ssrc: int = 0x1234, pt: int = 0, seq: int = 1) -> bytes:
    return build_rtp(RtpPacket(pt, seq, 160 * seq, ssrc, b"\xff" * 160))


def test_latches_to_the_first_valid_source_once():
    latch = SymmetricRtpLatch(SDP, frozenset({0, 101}))
    assert latch.remote == SDP and latch.state is LatchState.WAITING
    assert latch.decide_bytes(_pkt(), NAT, 0.0) is LatchDecision.LATCH
    assert latch.remote == NAT and latch.latched and latch.ssrc == 0x1234
    assert latch.decide_bytes(_pkt(seq=2), NAT, 0.02) is LatchDecision.ACCEPT
    assert latch.decide_bytes(_pkt(pt=101, seq=3), NAT, 0.04) is LatchDecision.ACCEPT
    # the same SSRC from yet another address: the latch for this SSRC has been made
    assert latch.decide_bytes(_pkt(seq=4), EVIL, 0.06) is LatchDecision.REJECT_RELATCH
    assert latch.remote == NAT


def test_spoofed_packets_with_another_ssrc_are_rejected():
    latch = SymmetricRtpLatch(SDP, frozenset({0}))
    latch.decide_bytes(_pkt(), NAT, 0.0)
    for i in range(10):
        assert latch.decide_bytes(_pkt(ssrc=0xBAD, seq=100 + i), EVIL, 0.01 * i) is LatchDecision.REJECT_SPOOF
    assert latch.remote == NAT


def test_invalid_packets_never_latch():
    latch = SymmetricRtpLatch(SDP, frozenset({0}))
    assert latch.decide_bytes(b"\x00" * 20, EVIL, 0.0) is LatchDecision.REJECT_INVALID  # version 0
    assert latch.decide_bytes(_pkt(pt=18), EVIL, 0.0) is LatchDecision.REJECT_INVALID  # not negotiated
    assert latch.remote == SDP and latch.state is LatchState.WAITING


def test_packets_from_the_sdp_address_establish_without_moving():
    latch = SymmetricRtpLatch(SDP, frozenset({0}))
    assert latch.decide_bytes(_pkt(), SDP, 0.0) is LatchDecision.ACCEPT
    assert not latch.latched
    assert latch.decide_bytes(_pkt(ssrc=77), NAT, 0.1) is LatchDecision.REJECT_SPOOF


def test_expected_ssrc_from_sdp_is_enforced():
    latch = SymmetricRtpLatch(SDP, frozenset({0}), expected_ssrc=0x55)
    assert latch.decide_bytes(_pkt(ssrc=0x54), NAT, 0.0) is LatchDecision.REJECT_INVALID
    assert latch.decide_bytes(_pkt(ssrc=0x55), NAT, 0.0) is LatchDecision.LATCH


def test_new_source_after_silence_may_relatch_once():
    latch = SymmetricRtpLatch(SDP, frozenset({0}), relatch_after_s=2.0)
    latch.decide_bytes(_pkt(), NAT, 0.0)
    latch.decide_bytes(_pkt(seq=2), NAT, 1.0)
    media_server = ("192.0.2.200", 30000)
    assert latch.decide_bytes(_pkt(ssrc=0x999), media_server, 2.5) is LatchDecision.REJECT_SPOOF  # 1.5 s silent
    assert latch.decide_bytes(_pkt(ssrc=0x999), media_server, 3.0) is LatchDecision.LATCH  # 2 s silent
    assert latch.remote == media_server
    # the first source coming back cannot take the latch again
    assert latch.decide_bytes(_pkt(seq=3), NAT, 9.0) is LatchDecision.REJECT_RELATCH


def test_latching_off_keeps_the_sdp_address():
    latch = SymmetricRtpLatch(SDP, frozenset({0}), latching=False)
    assert latch.decide_bytes(_pkt(), NAT, 0.0) is LatchDecision.REJECT_INVALID
    assert latch.decide_bytes(_pkt(), SDP, 0.0) is LatchDecision.ACCEPT


def test_reset_on_new_sdp_returns_to_waiting():
    latch = SymmetricRtpLatch(SDP, frozenset({0}))
    latch.decide_bytes(_pkt(), NAT, 0.0)
    new = ("10.0.0.6", 42000)
    latch.reset(new, frozenset({8}))
    assert latch.remote == new and latch.state is LatchState.WAITING
    assert latch.decide_bytes(_pkt(pt=0), NAT, 1.0) is LatchDecision.REJECT_INVALID
    assert latch.decide_bytes(_pkt(pt=8), NAT, 1.0) is LatchDecision.LATCH
