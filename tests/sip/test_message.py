"""Parsing, serializing and building SIP messages; the stream framer and the datagram verdict."""

from __future__ import annotations

import pytest

from pycti.sip import (
    CSeq, Headers, NameAddr, SipFramingError, SipParseError, SipRequest, SipResponse, SipUri,
    StreamFramer, Via, canonical_name, error_response, judge_datagram, make_ack_for_failure,
    make_cancel, make_request, make_response, parse_message, parse_name_addr, parse_uri, parse_via, split_commas,
)

SDP = (b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\n"
       b"c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\n")


def invite(body: bytes = SDP, length: int | None = None, extra: bytes = b"") -> bytes:
    """The RFC 3261 §24.2 F1 INVITE (hosts under example.com)."""
    n = len(body) if length is None else length
    return (b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n"
            b"Max-Forwards: 70\r\n"
            b"To: Bob <sip:bob@biloxi.example.com>\r\n"
            b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            b"Call-ID: a84b4c76e66710\r\n"
            b"CSeq: 314159 INVITE\r\n"
            b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
            b"Content-Type: application/sdp\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % n) + body


def test_typical_invite_fields() -> None:
    msg = parse_message(invite())
    assert isinstance(msg, SipRequest)
    assert msg.method == "INVITE" and msg.uri == parse_uri("sip:bob@biloxi.example.com")
    assert msg.call_id == "a84b4c76e66710" and msg.cseq() == CSeq(314159, "INVITE")
    assert msg.top_via() == Via("UDP", "pc33.atlanta.example.com", None,
                                (("branch", "z9hG4bKnashds8"),))
    assert msg.from_() is not None and msg.from_().tag == "1928301774"  # type: ignore[union-attr]
    assert msg.to() is not None and msg.to().display_name == "Bob"  # type: ignore[union-attr]
    assert msg.headers.max_forwards == 70 and msg.headers.content_length == len(SDP)
    assert msg.body == SDP


def test_compact_forms_and_case_insensitive_names() -> None:
    raw = (b"OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
           b"v: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\nf: <sip:a@example.com>;tag=1\r\n"
           b"t: sip:carol@chicago.example.com\r\ni: abc@def\r\nCSEQ: 1 OPTIONS\r\n"
           b"k: path, gruu\r\no: presence\r\nu: dialog\r\nr: <sip:x@example.com>\r\n"
           b"b: <sip:y@example.com>\r\nx: 1800\r\ny: sig\r\na: *;audio\r\nj: *;video\r\n"
           b"d: proxy\r\ne: gzip\r\ns: hi\r\nc: text/plain\r\nl: 2\r\n\r\nhi")
    msg = parse_message(raw)
    names = [n for n, _ in msg.headers]
    assert names == ["Via", "From", "To", "Call-ID", "CSeq", "Supported", "Event",
                     "Allow-Events", "Refer-To", "Referred-By", "Session-Expires", "Identity",
                     "Accept-Contact", "Reject-Contact", "Request-Disposition",
                     "Content-Encoding", "Subject", "Content-Type", "Content-Length"]
    assert msg.headers.get("SUPPORTED") == "path, gruu" and msg.headers.get("k") == "path, gruu"
    assert msg.headers.get_list("Supported") == ("path", "gruu")
    assert canonical_name("www-authenticate") == "WWW-Authenticate"
    assert canonical_name("X-Custom") == "X-Custom"


def test_folding_and_repeated_headers_join_into_lists() -> None:
    raw = invite(extra=b"Route: <sip:p1.example.com;lr>,\r\n <sip:p2.example.com;lr>\r\n"
                       b"Route: <sip:p3.example.com;lr>\r\nSubject: one\r\n\ttwo\r\n")
    msg = parse_message(raw)
    assert [str(r.uri) for r in msg.headers.route()] == [
        "sip:p1.example.com;lr", "sip:p2.example.com;lr", "sip:p3.example.com;lr"]
    assert msg.headers.get("Subject") == "one two"
    assert len(msg.headers.get_all("Route")) == 2


def test_comma_split_respects_quotes_and_angle_brackets() -> None:
    value = '"Bell, A." <sip:a@example.com;x=1>, <sip:b@example.com?h=a,b>, sip:c@example.com'
    assert split_commas(value) == ['"Bell, A." <sip:a@example.com;x=1>',
                                   " <sip:b@example.com?h=a,b>", " sip:c@example.com"]
    assert split_commas('"a\\", b" <sip:x@y.example>') == ['"a\\", b" <sip:x@y.example>']


def test_name_addr_forms() -> None:
    quoted = parse_name_addr('"A \\"B\\" C" <sip:a@example.com>;tag=1;x')
    assert quoted.display_name == 'A "B" C' and quoted.params == (("tag", "1"), ("x", None))
    assert str(quoted) == '"A \\"B\\" C" <sip:a@example.com>;tag=1;x'
    tokens = parse_name_addr("Alice  Smith <sip:a@example.com>")
    assert tokens.display_name == "Alice Smith" and str(tokens).startswith("Alice Smith <")
    bare = parse_name_addr("sip:a@example.com;tag=9")
    assert not bare.bracketed and bare.tag == "9" and bare.uri == parse_uri("sip:a@example.com")
    assert str(bare) == "sip:a@example.com;tag=9"
    for bad in ('"open <sip:a@example.com>', "< sip:a@example.com>", "Bell, A <sip:a@b.example>",
                "sip:a@example.com?x=y", "<sip:a@example.com>;;", ""):
        with pytest.raises(SipParseError):
            parse_name_addr(bad)


def test_via_forms_and_parameters() -> None:
    via = parse_via("SIP / 2.0 / udp [2001:db8::9:1]:5070;branch=z9hG4bK1;rport=5071;"
                    "received=[2001:db8::9:255];maddr=224.0.1.75;ttl=16")
    assert (via.protocol, via.transport, via.host, via.port) == (
        "SIP/2.0", "UDP", "[2001:db8::9:1]", 5070)
    assert via.rport == 5071 and via.received == "2001:db8::9:255" and via.ttl == 16
    assert via.maddr == "224.0.1.75" and via.host_address == "2001:db8::9:1"
    assert parse_via("SIP/2.0/TCP h.example.com;rport").rport is True
    filled = via.with_param("received", "192.0.2.7")
    assert filled.received == "192.0.2.7" and str(filled).endswith(";received=192.0.2.7")
    for bad in ("SIP/2.0 h.example.com", "SIP/2.0/UDP", "SIP/2.0/UDP h.example.com;ttl=300",
                "SIP/2.0/UDP h.example.com;branch", "SIP/2.0/UDP h.example.com:70000"):
        with pytest.raises(SipParseError):
            parse_via(bad)


def test_wildcard_contact() -> None:
    raw = (b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK2\r\n"
           b"From: <sip:u@example.com>;tag=1\r\nTo: <sip:u@example.com>\r\nCall-ID: c1\r\n"
           b"CSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert msg.headers.contact_is_wildcard and msg.headers.contact() == ()
    assert msg.headers.expires == 0


def test_content_length_governs_datagrams() -> None:
    surplus = parse_message(invite(length=len(SDP) - 10))
    assert surplus.body == SDP[:-10]
    with pytest.raises(SipParseError) as info:
        parse_message(invite(length=len(SDP) + 1))
    assert info.value.header == "Content-Length" and info.value.reply_status == 400
    no_length = invite().replace(b"Content-Length: %d\r\n" % len(SDP), b"")
    assert parse_message(no_length).body == SDP
    with pytest.raises(SipParseError, match="stream"):
        parse_message(no_length, stream=True)


def test_leading_crlf_skipped_and_bare_lf_rejected() -> None:
    assert isinstance(parse_message(b"\r\n\r\n" + invite()), SipRequest)
    with pytest.raises(SipParseError, match="bare"):
        parse_message(invite().replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\n"))


@pytest.mark.parametrize("mutation,header", [
    ((b"Call-ID: a84b4c76e66710\r\n", b""), "Call-ID"),
    ((b"Max-Forwards: 70", b"Max-Forwards: 256"), "Max-Forwards"),
    ((b"CSeq: 314159 INVITE", b"CSeq: 314159 BYE"), "CSeq"),
    ((b"CSeq: 314159 INVITE", b"CSeq: x INVITE"), "CSeq"),
    ((b"Call-ID: a84b4c76e66710", b"Call-ID: a b"), "Call-ID"),
    ((b"To: Bob <sip:bob@biloxi.example.com>", b"To: Bob <sip:bob@biloxi.example.com"), "To"),
    ((b"Max-Forwards: 70\r\n", b"Max Forwards: 70\r\n"), None),
    ((b"Max-Forwards: 70\r\n", b"Max-Forwards 70\r\n"), None),
])
def test_errors_name_header_and_value(mutation: tuple[bytes, bytes], header: str | None) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(invite().replace(*mutation))
    err = info.value
    assert err.header == header and err.is_request is True and err.reply_status == 400
    assert err.material is not None and err.material.method == "INVITE"
    assert err.material.via == ("SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8",)
    if header is not None:
        assert str(err).startswith(header + ":")


def test_bad_response_is_dropped_and_ack_is_never_answered() -> None:
    response = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK3\r\n"
                b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
                b"Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 5\r\n\r\n")
    verdict = judge_datagram(response)
    assert verdict.error is not None and verdict.reply is None and not verdict.error.is_request
    ack = invite().replace(b"INVITE sip", b"ACK sip").replace(b"314159 INVITE", b"314159 ACK")
    bad_ack = ack.replace(b"Max-Forwards: 70", b"Max-Forwards: -1")
    verdict = judge_datagram(bad_ack)
    assert verdict.error is not None and verdict.reply is None
    assert judge_datagram(ack).message is not None


def test_error_response_copies_the_request_fields() -> None:
    verdict = judge_datagram(invite().replace(b"Max-Forwards: 70", b"Max-Forwards: lots"),
                             to_tag="t1")
    reply = verdict.reply
    assert isinstance(reply, SipResponse) and (reply.status, reply.reason) == (400, "Bad Request")
    assert reply.headers.get("Call-ID") == "a84b4c76e66710"
    assert reply.headers.get("CSeq") == "314159 INVITE"
    assert reply.headers.to() == NameAddr("Bob", parse_uri("sip:bob@biloxi.example.com"),
                                          (("tag", "t1"),))
    assert verdict.error is not None and error_response(verdict.error) is not None
    wire = parse_message(reply.to_bytes())
    assert isinstance(wire, SipResponse) and wire.headers.content_length == 0


def test_keepalive_and_garbage_datagrams_are_dropped() -> None:
    assert judge_datagram(b"\r\n\r\n") == judge_datagram(b"\r\n")
    assert judge_datagram(b"\r\n").message is None and judge_datagram(b"\r\n").error is None
    garbage = judge_datagram(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")
    assert garbage.error is not None and garbage.reply is None


def test_make_response_follows_8_2_6() -> None:
    request = parse_message(invite(extra=b"Via: SIP/2.0/UDP p.example.com;branch=z9hG4bK0\r\n"
                                         b"Timestamp: 54\r\n"))
    assert isinstance(request, SipRequest)
    trying = make_response(request, 100)
    assert trying.reason == "Trying" and trying.headers.get("Timestamp") == "54"
    assert trying.headers.to() == request.to()
    ringing = make_response(request, 180, to_tag="as83kd9bs")
    assert [n for n, _ in ringing.headers] == ["Via", "Via", "From", "To", "Call-ID", "CSeq"]
    assert ringing.headers.via() == request.headers.via()
    assert ringing.headers.to().tag == "as83kd9bs"  # type: ignore[union-attr]
    assert ringing.headers.get("Timestamp") is None
    ok = make_response(request, 200, extra=(("Contact", "<sip:bob@192.0.2.4>"),), body=SDP,
                       content_type="application/sdp")
    again = parse_message(ok.to_bytes())
    assert isinstance(again, SipResponse) and again.body == SDP and again.status == 200
    with pytest.raises(SipParseError):
        make_response(request, 700)


def test_make_request_and_header_edits_are_immutable() -> None:
    req = make_request("OPTIONS", parse_uri("sip:carol@chicago.example.com"),
                       via=Via("UDP", "pc33.atlanta.example.com", 5060,
                               (("branch", "z9hG4bKhjhs8ass877"),)),
                       from_=NameAddr("Alice", parse_uri("sip:alice@atlanta.example.com"),
                                      (("tag", "1928301774"),)),
                       to=NameAddr(None, parse_uri("sip:carol@chicago.example.com")),
                       call_id="a84b4c76e66710", cseq=63104,
                       extra=(("Accept", "application/sdp"),))
    parsed = parse_message(req.to_bytes())
    assert isinstance(parsed, SipRequest) and parsed.cseq() == CSeq(63104, "OPTIONS")
    assert parsed.headers.get("Accept") == "application/sdp"
    assert parsed.top_via() == req.top_via()
    more = req.with_header("Via", "SIP/2.0/TCP proxy.example.com;branch=z9hG4bK9", first=True)
    assert more.top_via() is not None and more.top_via().host == "proxy.example.com"  # type: ignore[union-attr]
    assert req.top_via().host == "pc33.atlanta.example.com"  # type: ignore[union-attr]
    assert "Accept" not in req.without_header("accept").headers and "Accept" in req.headers
    assert req.with_replaced_header("Max-Forwards", 69).headers.max_forwards == 69
    with pytest.raises(SipParseError):
        req.with_header("Subject", "a\r\nInjected: 1")
    with pytest.raises(AttributeError):
        req.method = "BYE"  # type: ignore[misc]
    assert Headers([("v", "x")]).fields == (("Via", "x"),)


def test_stream_framer_reassembles_and_ignores_keepalives() -> None:
    one = invite()
    two = invite(body=b"", length=0).replace(b"314159", b"314160")
    stream = b"\r\n\r\n" + one + two + b"\r\n\r\n" + one
    for chunk in (1, 7, 100, len(stream)):
        framer = StreamFramer()
        frames = []
        for i in range(0, len(stream), chunk):
            frames += framer.feed(stream[i:i + chunk])
        assert [f.raw for f in frames] == [one, two, one]
        assert all(f.error is None and f.message is not None for f in frames)
        assert framer.pings == 2 and framer.buffered_bytes == 0


def test_stream_framer_reports_bad_message_but_keeps_going() -> None:
    bad = invite().replace(b"CSeq: 314159 INVITE", b"CSeq: 314159 BYE")
    framer = StreamFramer()
    frames = framer.feed(bad + invite())
    assert frames[0].error is not None and frames[0].error.header == "CSeq"
    assert frames[1].message is not None


@pytest.mark.parametrize("data", [
    invite().replace(b"Content-Length: %d\r\n" % len(SDP), b""),
    invite(length=-5),
    invite(extra=b"l: 3\r\n"),
    invite(body=b"x" * 300),
])
def test_stream_framer_fails_hard_on_framing_errors(data: bytes) -> None:
    framer = StreamFramer(max_message_bytes=600)
    with pytest.raises(SipFramingError):
        framer.feed(data)
    with pytest.raises(SipFramingError):
        framer.feed(b"more")


def test_stream_framer_bounds_an_endless_header_section() -> None:
    framer = StreamFramer(max_message_bytes=256)
    assert framer.feed(b"INVITE sip:a@b.example SIP/2.0\r\n") == []
    with pytest.raises(SipFramingError, match="256"):
        for _ in range(100):
            framer.feed(b"X-Filler: " + b"a" * 40 + b"\r\n")


def test_sip_uri_in_messages_compares_per_19_1_4() -> None:
    msg = parse_message(invite().replace(b"INVITE sip:bob@biloxi.example.com",
                                         b"INVITE sip:%62ob@BILOXI.example.com"))
    assert isinstance(msg, SipRequest) and isinstance(msg.uri, SipUri)
    assert msg.uri == parse_uri("sip:bob@biloxi.example.com")


def test_cancel_and_ack_for_failure_follow_9_1_and_17_1_1_3() -> None:
    request = parse_message(invite(extra=b"Route: <sip:p1.example.com;lr>\r\n"
                                         b"Via: SIP/2.0/UDP p.example.com;branch=z9hG4bK0\r\n"))
    assert isinstance(request, SipRequest)
    cancel = make_cancel(request)
    assert cancel.method == "CANCEL" and cancel.uri == request.uri
    assert cancel.headers.via() == request.headers.via()[:1]
    assert cancel.cseq() == CSeq(314159, "CANCEL") and cancel.call_id == request.call_id
    assert cancel.headers.get_all("Route") == ("<sip:p1.example.com;lr>",)
    assert cancel.to() == request.to() and cancel.from_() == request.from_()
    busy = make_response(request, 486, to_tag="b7")
    ack = make_ack_for_failure(request, busy)
    assert ack.method == "ACK" and ack.cseq() == CSeq(314159, "ACK")
    assert ack.to() is not None and ack.to().tag == "b7"  # type: ignore[union-attr]
    assert ack.top_via() == request.top_via() and len(ack.headers.via()) == 1
    assert ack.top_via().sent_by == "pc33.atlanta.example.com"  # type: ignore[union-attr]
    assert isinstance(parse_message(ack.to_bytes()), SipRequest)
    assert isinstance(parse_message(cancel.to_bytes()), SipRequest)


def test_get_list_splits_only_list_fields() -> None:
    headers = Headers([("Subject", "lunch, then coffee"), ("Allow", "INVITE, ACK"),
                       ("Allow", "BYE"), ("X-Ext", "a, b"),
                       ("Authorization", 'Digest username="a", realm="b"')])
    assert headers.get_list("Subject") == ("lunch, then coffee",)
    assert headers.get_list("allow") == ("INVITE", "ACK", "BYE")
    assert headers.get_list("X-Ext") == ("a", "b")
    assert headers.get_list("Authorization") == ('Digest username="a", realm="b"',)
