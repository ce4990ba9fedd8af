"""RFC 4566 parsing and serialising: the lines that matter, kept in order, errors naming the line."""

from __future__ import annotations

import pytest

from pycti.errors import PyctiError
from pycti.sip.sdp import Attribute, Connection, RtpMap, SdpError, parse_sdp

#: An offer as softphones send it: session-level c=, b=, several codecs, DTMF, media c= override.
OFFER = (
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 198.51.100.10\r\n"
    "s=Talk\r\n"
    "c=IN IP4 198.51.100.10\r\n"
    "b=AS:84\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 49170 RTP/AVP 8 0 18 101\r\n"
    "c=IN IP4 203.0.113.7\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
    "a=recvonly\r\n"
)


def test_parse_a_real_offer():
    sd = parse_sdp(OFFER)
    assert sd.origin.username == "alice" and sd.origin.session_id == 2890844526 and sd.origin.session_version == 2890844527
    assert sd.session_name == "Talk" and sd.timing == (0, 0)
    assert sd.connection == Connection("IP4", "198.51.100.10")
    assert sd.other_lines == (("b", "AS:84"),)
    audio, video = sd.media
    assert (audio.kind, audio.port, audio.protocol, audio.payload_types) == ("audio", 49170, "RTP/AVP", (8, 0, 18, 101))
    assert sd.connection_for(audio) == Connection("IP4", "203.0.113.7")  # media level wins
    assert sd.connection_for(video) == sd.connection
    maps = audio.rtpmaps()
    assert maps[0] == RtpMap(0, "PCMU", 8000)  # static PT without rtpmap: RFC 3551
    assert maps[101] == RtpMap(101, "telephone-event", 8000)
    assert audio.fmtp(101) == "0-16" and audio.fmtp(18) == "annexb=no" and audio.fmtp(0) is None
    assert (audio.ptime_ms, audio.maxptime_ms) == (20, 150)
    assert sd.direction == "sendrecv" and sd.media_direction(audio) == "sendrecv"
    assert sd.media_direction(video) == "recvonly"


def test_round_trip_is_exact_for_canonical_text():
    assert parse_sdp(OFFER).to_text() == OFFER
    assert parse_sdp(OFFER.encode()).to_bytes() == OFFER.encode()


def test_bare_lf_and_ipv6_and_extra_lines():
    text = ("v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\ni=info\nc=IN IP6 2001:db8::1\nt=0 0\nr=604800 3600 0 90000\n"
            "t=0 0\nm=audio 5004 RTP/AVP 0\ni=voice\nb=TIAS:64000\na=inactive\n")
    sd = parse_sdp(text)
    assert sd.connection == Connection("IP6", "2001:db8::1") and sd.connection.host == "2001:db8::1"
    assert sd.media_direction(sd.media[0]) == "inactive"
    assert sd.media[0].other_lines == (("i", "voice"), ("b", "TIAS:64000"))
    again = parse_sdp(sd.to_text())
    assert again == sd


def test_session_level_direction_applies_to_media_without_one():
    sd = parse_sdp("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\n"
                   "m=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 0\r\na=recvonly\r\n")
    assert [sd.media_direction(m) for m in sd.media] == ["sendonly", "recvonly"]


def test_attributes_are_kept_as_name_and_value():
    sd = parse_sdp(OFFER)
    assert Attribute("maxptime", "150") in sd.media[0].attributes
    assert Attribute("sendrecv") in sd.attributes


def test_multicast_ttl_suffix_and_hold_address():
    sd = parse_sdp("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\n"
                   "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n")
    assert sd.connection.host == "224.2.1.1" and sd.connection.address == "224.2.1.1/127"
    assert sd.media[0].connection.is_hold_address


HEAD = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"


@pytest.mark.parametrize(("text", "needle"), [
    ("o=- 1 1 IN IP4 192.0.2.1\r\n", r"line 1 'o=.*starts with v=0"),
    ("v=1\r\n", r"line 1 'v=1'"),
    ("v=0\r\no=- x 1 IN IP4 1.2.3.4\r\n", r"line 2 'o=- x 1 IN IP4 1.2.3.4': want"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 999.1.1.1\r\nt=0 0\r\n", r"line 4 .*'999.1.1.1' is not an IP4"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP6 2001:db8::zz\r\nt=0 0\r\n", r"line 4 .*not an IP6"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP5 1.2.3.4\r\nt=0 0\r\n", r"line 4 .*want 'IN IP4"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nc=IN IP4 1.2.3.4\r\n", r"line 5 .*out of the RFC 4566 order"),
    (HEAD + "m=audio 70000 RTP/AVP 0\r\n", r"line 6 'm=audio 70000 RTP/AVP 0': port '70000'"),
    (HEAD + "m=audio 4000 RTP/AVP 0 x\r\n", r"line 6 .*payload types 0-127"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", r"line 7 'a=rtpmap:0 PCMU'"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\na=ptime:abc\r\n", r"line 7 .*not a number"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n", r"line 7 .*whole number"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\na=sendonly:yes\r\n", r"line 7 .*takes no value"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\na=fmtp:x 0-15\r\n", r"line 7 .*fmtp:<pt>"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", r"line 7 .*not allowed in a media section"),
    (HEAD + "x=1\r\n", r"line 6 'x=1'"),
    (HEAD + "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.2\r\n", r"line 8 .*second 'c='"),
    (HEAD + "  \r\n", r"line 6 .*not '<type>=<value>'"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", r"no t= line"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n", r"no s= line"),
])
def test_malformed_sdp_names_the_line(text: str, needle: str):
    with pytest.raises(SdpError, match=needle):
        parse_sdp(text)


def test_sdp_error_is_a_pycti_value_error():
    with pytest.raises(SdpError, match="not UTF-8") as info:
        parse_sdp(b"v=0\r\ns=\xff\r\n")
    assert isinstance(info.value, ValueError) and isinstance(info.value, PyctiError)
