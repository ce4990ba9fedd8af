"""RFC 3264 offer/answer for PCMU/PCMA and RFC 4733 telephone-event: codec choice, PT echo,
the §6.1 direction table, rejected streams, hold/resume re-offers and the o= version."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pycti.dsp.goertzel import HalfWindowBank, bin_power, window_gain
from pycti.rtp.jitter import JitterConfig
from pycti.rtp.stream import ReceiveStream, SendStream
from pycti.sip.sdp import (
    ANSWER_DIRECTION,
    LocalMedia,
    OfferAnswer,
    OfferAnswerState,
    OfferAnswerStateError,
    SdpError,
    SdpNegotiationError,
    parse_sdp,
)

US = LocalMedia("192.0.2.1", 4000, session_id=111)


def offer_text(formats: str, attrs: str = "", direction: str = "sendrecv", port: int = 49170,
               extra_media: str = "", conn: str = "c=IN IP4 198.51.100.10\r\n") -> str:
    return ("v=0\r\no=peer 5 5 IN IP4 198.51.100.10\r\ns=-\r\n" + conn + "t=0 0\r\n" + extra_media
            + f"m=audio {port} RTP/AVP {formats}\r\n" + attrs + f"a={direction}\r\n")


TE96 = "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"


def test_our_offer():
    oa = OfferAnswer(US)
    sd = oa.make_offer()
    m = sd.media[0]
    assert m.payload_types == (0, 8, 101) and m.port == 4000 and sd.connection.host == "192.0.2.1"
    assert m.rtpmaps()[101].encoding == "telephone-event" and m.fmtp(101) == "0-16"
    assert m.ptime_ms == 20 and sd.media_direction(m) == "sendrecv"
    assert oa.state is OfferAnswerState.OFFER_SENT
    assert parse_sdp(sd.to_text()) == sd


@pytest.mark.parametrize(("ours", "theirs", "chosen"), [
    ((0, 8), "8 0 96", 0),  # our preference wins over their order
    ((8, 0), "0 8 96", 8),
    ((0, 8), "8 96", 8),  # only what they offer
])
def test_answer_picks_our_preferred_codec_among_theirs_and_echoes_their_event_pt(ours, theirs, chosen):
    oa = OfferAnswer(LocalMedia("192.0.2.1", 4000, session_id=1, codecs=ours))
    answer, media = oa.take_offer(offer_text(theirs, TE96))
    m = answer.media[0]
    assert m.payload_types == (chosen, 96)  # their telephone-event PT, not our 101
    assert m.fmtp(96) == "0-15"  # the events both support
    assert (media.payload_type, media.law, media.telephone_event_pt) == (chosen, chosen, 96)
    assert (media.remote_address, media.remote_port, media.direction) == ("198.51.100.10", 49170, "sendrecv")
    assert media.receive_codecs == {chosen: chosen} and media.receive_telephone_event_pt == 96
    assert oa.state is OfferAnswerState.STABLE


@pytest.mark.parametrize(("fmtp", "answered", "events"), [
    ("a=fmtp:96 0-16\r\n", "0-16", set(range(17))),
    ("a=fmtp:96 0-11,16\r\n", "0-11,16", set(range(12)) | {16}),
    ("", "0-15", set(range(16))),  # RFC 4733 §2.4.1: no fmtp means 0-15
])
def test_telephone_event_lists_are_intersected(fmtp, answered, events):
    answer, media = OfferAnswer(US).take_offer(offer_text("0 96", "a=rtpmap:96 telephone-event/8000\r\n" + fmtp))
    assert answer.media[0].fmtp(96) == answered and media.telephone_events == events


def test_dynamic_pt_pcmu_is_recognised_by_name():
    answer, media = OfferAnswer(US).take_offer(offer_text("110 96", "a=rtpmap:110 PCMU/8000\r\n" + TE96))
    assert answer.media[0].payload_types == (110, 96) and answer.media[0].rtpmaps()[110].encoding == "PCMU"
    assert (media.payload_type, media.law) == (110, 0)


@pytest.mark.parametrize(("offered", "answered"), list(ANSWER_DIRECTION.items()))
def test_answer_direction_follows_rfc3264_table(offered, answered):
    answer, media = OfferAnswer(US).take_offer(offer_text("0", direction=offered))
    assert answer.media_direction(answer.media[0]) == answered == media.direction
    assert ANSWER_DIRECTION == {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly",
                                "inactive": "inactive"}


@pytest.mark.parametrize(("offered", "answered"), [
    ("sendrecv", "sendonly"), ("sendonly", "inactive"), ("recvonly", "sendonly"), ("inactive", "inactive"),
])
def test_answer_while_we_hold_narrows_the_direction(offered, answered):
    oa = OfferAnswer(US)
    oa.local_direction = "sendonly"
    answer, _ = oa.take_offer(offer_text("0", direction=offered))
    assert answer.media_direction(answer.media[0]) == answered


def test_unsupported_streams_are_rejected_with_port_zero():
    video = "m=video 51372 RTP/AVP 99\r\na=rtpmap:99 h263-1998/90000\r\n"
    text = offer_text("0 8", extra_media=video) + "m=audio 49180 RTP/AVP 0\r\n" + "m=audio 49190 RTP/SAVP 0\r\n"
    sd = parse_sdp(text)
    kinds = [(m.kind, m.port) for m in sd.media]
    assert kinds == [("video", 51372), ("audio", 49170), ("audio", 49180), ("audio", 49190)]
    answer, media = OfferAnswer(US).take_offer(sd)
    assert [(m.kind, m.port, m.formats) for m in answer.media] == [
        ("video", 0, ("99",)), ("audio", 4000, ("0",)), ("audio", 0, ("0",)), ("audio", 0, ("0",))]
    assert media.remote_port == 49170


@pytest.mark.parametrize("text", [
    offer_text("18", "a=rtpmap:18 G729/8000\r\n"),  # no codec in common
    offer_text("0", port=0),  # their audio already disabled
    offer_text("0").replace("RTP/AVP", "RTP/SAVP"),  # SRTP is not supported
])
def test_no_acceptable_audio_is_a_negotiation_error(text):
    oa = OfferAnswer(US)
    with pytest.raises(SdpNegotiationError, match="no audio stream"):
        oa.take_offer(text)
    assert oa.state is OfferAnswerState.IDLE


def test_ptime_and_maxptime_of_the_peer_set_our_packet_size():
    _, media = OfferAnswer(US).take_offer(offer_text("0", "a=ptime:30\r\n"))
    assert media.ptime_ms == 30
    _, media = OfferAnswer(US).take_offer(offer_text("0", "a=ptime:40\r\na=maxptime:20\r\n"))
    assert media.ptime_ms == 20
    _, media = OfferAnswer(US).take_offer(offer_text("0", "a=ptime:25\r\n"))
    assert media.ptime_ms == 20  # not a whole number of 10 ms frames


def test_missing_connection_is_named():
    with pytest.raises(SdpError, match="m=audio 49170 RTP/AVP 0: no c= line"):
        OfferAnswer(US).take_offer(offer_text("0", conn=""))


def test_hold_address_stops_sending():
    _, media = OfferAnswer(US).take_offer(offer_text("0", conn="c=IN IP4 0.0.0.0\r\n"))
    assert media.direction == "recvonly" and not media.send and media.receive


def _peer() -> OfferAnswer:
    return OfferAnswer(LocalMedia("2001:db8::7", 5004, session_id=999, codecs=(8, 0), telephone_event_pt=96))


def test_full_exchange_then_hold_and_resume():
    us, peer = OfferAnswer(US), _peer()
    offer = us.make_offer()
    answer, theirs = peer.take_offer(offer.to_bytes())
    ours = us.take_answer(answer.to_text())
    assert (ours.payload_type, ours.telephone_event_pt, ours.remote_address, ours.remote_port) == (8, 101, "2001:db8::7", 5004)
    assert (theirs.payload_type, theirs.remote_address) == (8, "192.0.2.1")
    assert answer.connection.address_type == "IP6" and answer.origin.address_type == "IP6"
    assert ours.receive_codecs == {0: 0, 8: 8} and ours.receive_telephone_event_pt == 101
    v0 = offer.origin.session_version

    held = us.hold()
    assert held.media_direction(held.media[0]) == "sendonly" and held.origin.session_version == v0 + 1
    answer2, theirs2 = peer.take_offer(held)
    assert theirs2.direction == "recvonly" and answer2.origin.session_version == answer.origin.session_version + 1
    assert us.take_answer(answer2).direction == "sendonly"

    # the peer now holds us too: its re-offer is sendonly, our answer inactive
    peer.local_direction = "sendonly"
    reoffer = peer.make_offer()
    answer3, ours3 = us.take_offer(reoffer)
    assert ours3.direction == "inactive"
    peer.take_answer(answer3)
    held_again = us.hold()  # they hold us already: inactive
    assert held_again.media_direction(held_again.media[0]) == "inactive"
    answer4, _ = peer.take_offer(held_again)
    assert us.take_answer(answer4).direction == "inactive"
    resumed = us.resume()
    assert resumed.media_direction(resumed.media[0]) == "sendrecv"
    answer5, _ = peer.take_offer(resumed)  # the peer still holds us: it answers sendonly
    assert us.take_answer(answer5).direction == "recvonly"


def test_resume_and_unchanged_reoffer_keep_versions_right():
    us, peer = OfferAnswer(US), _peer()
    first = us.make_offer()
    v = [first.origin.session_version]
    us.take_answer(peer.take_offer(first)[0])
    for step in (us.make_offer, us.hold, us.hold, us.resume, us.make_offer):
        sd = step()
        v.append(sd.origin.session_version)
        us.take_answer(peer.take_offer(sd)[0])
    # unchanged re-offer, hold (change), hold again (same), resume (change), unchanged
    assert v == [0, 0, 1, 1, 2, 2]
    assert us.media is not None and us.media.direction == "sendrecv"


def test_rejected_answer_and_out_of_turn_steps():
    us = OfferAnswer(US)
    with pytest.raises(OfferAnswerStateError, match="state idle"):
        us.take_answer(offer_text("0"))
    us.make_offer()
    with pytest.raises(OfferAnswerStateError, match="glare"):
        us.take_offer(offer_text("0"))
    with pytest.raises(OfferAnswerStateError, match="make offer"):
        us.make_offer()
    with pytest.raises(SdpNegotiationError, match="rejected the audio stream: m=audio 0 RTP/AVP 0"):
        us.take_answer(offer_text("0", port=0))
    with pytest.raises(SdpNegotiationError, match="no codec we offered"):
        us.take_answer(offer_text("18"))
    us.cancel_offer()
    assert us.state is OfferAnswerState.IDLE and us.media is None


def test_cancelled_hold_restores_the_direction():
    us, peer = OfferAnswer(US), _peer()
    us.take_answer(peer.take_offer(us.make_offer())[0])
    us.hold()
    us.cancel_offer()  # the re-INVITE failed
    assert us.local_direction == "sendrecv" and us.state is OfferAnswerState.STABLE


def test_local_media_validation():
    with pytest.raises(SdpError, match=r"\(18,\)"):
        LocalMedia("192.0.2.1", 4000, session_id=1, codecs=(18,))
    with pytest.raises(SdpError, match="PT 90"):
        LocalMedia("192.0.2.1", 4000, session_id=1, telephone_event_pt=90)
    with pytest.raises(SdpError, match="port 0"):
        LocalMedia("192.0.2.1", 0, session_id=1)


def test_negotiated_media_drives_the_rtp_streams():
    """The negotiation's result configures a send and a receive stream; a 1 kHz tone and a
    digit cross between the two parties."""
    us, peer = OfferAnswer(US), _peer()
    answer, theirs = peer.take_offer(us.make_offer())
    ours = us.take_answer(answer)
    tx = SendStream.create(random.Random(4), payload_type=ours.payload_type, ptime_ms=ours.ptime_ms,
                           telephone_event_pt=ours.telephone_event_pt)
    rx = ReceiveStream(codecs=theirs.receive_codecs, telephone_event_pt=theirs.receive_telephone_event_pt,
                       jitter=JitterConfig(mode="fixed", depth_ms=40))
    n = np.arange(160 * 50)
    x = np.round(8000 * np.sin(2 * np.pi * 1000 * n / 8000)).astype(np.int16)
    out = []
    for k in range(50):
        if k == 40:
            tx.press("9", 60)
        for p in tx.send_frame(x[160 * k : 160 * (k + 1)]):
            rx.receive(p, ("192.0.2.1", 4000), 0.02 * k)
        out.append(rx.tick_pcm())
    pcm = np.concatenate(out).astype(np.float32)
    bank = HalfWindowBank(1, np.array([1000.0]), batch_halves=len(pcm) // 40)
    block = bank.push(pcm[None, :])
    amp = 2 * np.sqrt(bin_power(block.windows[0, 1:, :])) / window_gain()
    assert np.allclose(amp[20:150, 0], 8000, rtol=0.03)
    assert [d.digit for d in rx.poll_digits(2.0)] == ["9"]


def test_unusable_event_list_drops_rfc4733_not_the_call():
    answer, media = OfferAnswer(US).take_offer(offer_text("0 96", "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 x-y\r\n"))
    assert answer.media[0].payload_types == (0,) and media.telephone_event_pt is None
    _, media = OfferAnswer(US).take_offer(offer_text("0 96", "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 32-40\r\n"))
    assert media.telephone_event_pt is None  # no event in common
    with pytest.raises(SdpError, match="0-99999"):
        LocalMedia("192.0.2.1", 4000, session_id=1, telephone_events="0-99999")


@pytest.mark.parametrize("attr, expected", [
    ("", None),  # no a=rtcp: RTCP at the RTP port + 1 (RFC 3550 §11), left to the driver
    ("a=rtcp:53020\r\n", ("198.51.100.10", 53020)),  # RFC 3605 §2.1: port only, the c= address
    ("a=rtcp:53020 IN IP4 126.16.64.4\r\n", ("126.16.64.4", 53020)),  # RFC 3605's own example
    ("a=rtcp:53020 IN IP6 2001:db8::1\r\n", ("2001:db8::1", 53020)),
    ("a=rtcp:0\r\n", None),  # not a port: ignored, not a failed call
    ("a=rtcp:abc\r\n", None),
    ("a=rtcp:53020 IN\r\n", None),
])
def test_the_peers_rtcp_address_comes_from_a_rtcp(attr: str, expected: tuple[str, int] | None) -> None:
    media = OfferAnswer(US).take_offer(offer_text("0", attr))[1]
    assert media.remote_rtcp == expected
    assert (media.remote_address, media.remote_port) == ("198.51.100.10", 49170)
