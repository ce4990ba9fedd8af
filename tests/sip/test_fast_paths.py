"""The parser's and builders' fast paths give what the general paths give: header lookups in
every spelling (RFC 3261 §7.3.1, §7.3.3), typed values read twice, responses whose added
fields are still checked (§8.2.6), transaction keys and table enums as dict keys, and the SDP
text of the last offer/answer without rendering it again."""

from __future__ import annotations

import pytest

from pycti.sip.headers import Headers, canonical_name
from pycti.sip.message import SipRequest, make_response, parse_message
from pycti.sip.message_errors import SipParseError
from pycti.sip.message_framing import judge_datagram
from pycti.sip.sdp import LocalMedia, OfferAnswer
from pycti.sip.session import CallInput, CallState
from pycti.sip.transaction import TxState
from pycti.sip.transaction_table import TxKey

INVITE = (b"INVITE sip:8888@192.0.2.1 SIP/2.0\r\n"
          b"v: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-1\r\n"
          b"f: <sip:a@192.0.2.9>;tag=77\r\n"
          b"t: <sip:8888@192.0.2.1>\r\n"
          b"i: abc@192.0.2.9\r\n"
          b"CSEQ: 1 INVITE\r\n"
          b"m: <sip:a@192.0.2.9>\r\n"
          b"X-Custom: one\r\n"
          b"x-custom: two\r\n"
          b"l: 0\r\n\r\n")


def parsed() -> SipRequest:
    message = parse_message(INVITE)
    assert isinstance(message, SipRequest)
    return message


def test_header_lookups_in_every_spelling_agree() -> None:
    h = parsed().headers
    for name in ("Call-ID", "call-id", "CALL-ID", "i", "I"):
        assert h.get(name) == "abc@192.0.2.9" and name in h
    for name in ("CSeq", "cseq", "CSEQ"):
        assert h.get_all(name) == ("1 INVITE",)
    assert h.get_all("x-CUSTOM") == ("one", "two") and h.get_list("X-Custom") == ("one", "two")
    assert [n for n, _ in h][:6] == ["Via", "From", "To", "Call-ID", "CSeq", "Contact"]
    assert canonical_name("V") == canonical_name("via") == "Via" and canonical_name("X-Mine") == "X-Mine"
    built = Headers([("i", "x"), ("CALL-id", "y")])
    assert built.get_all("Call-ID") == ("x", "y") and built.call_id == "x"


def test_typed_values_read_twice_are_the_same() -> None:
    msg = parsed()
    assert msg.to() is msg.to() and msg.from_() is msg.from_()
    assert msg.top_via() is msg.top_via() and msg.cseq() is msg.cseq()
    assert msg.from_().tag == "77" and msg.to().tag is None  # type: ignore[union-attr]
    assert msg.headers.contact() == msg.headers.contact() and msg.headers.contact()[0].uri.user == "a"  # type: ignore[union-attr]
    assert msg.headers.content_length == 0 and msg.call_id == "abc@192.0.2.9"
    assert Headers([]).call_id is None and Headers([]).to() is None and Headers([]).cseq() is None


def test_a_response_copies_the_request_and_still_checks_what_is_added() -> None:
    req = parsed()
    resp = make_response(req, 180, to_tag="t1", extra=(("Contact", "<sip:us@192.0.2.1>"),))
    assert [n for n, _ in resp.headers] == ["Via", "From", "To", "Call-ID", "CSeq", "Contact"]
    assert resp.to().tag == "t1" and resp.headers.get("contact") == "<sip:us@192.0.2.1>"  # type: ignore[union-attr]
    again = parse_message(resp.to_bytes())
    assert again.headers.fields == resp.headers.fields + (("Content-Length", "0"),)
    with pytest.raises(SipParseError):
        make_response(req, 200, extra=(("Subject", "a\r\nInjected: 1"),))
    with pytest.raises(SipParseError):
        make_response(req, 200, extra=(("Bad:Name", "x"),))


def test_transaction_keys_are_equal_by_their_fields() -> None:
    a = TxKey("z9hG4bK-1", "INVITE", "192.0.2.9:5060", True)
    b = TxKey(branch="z9hG4bK-1", method="INVITE", sent_by="192.0.2.9:5060", server=True)
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert TxKey("z9hG4bK-1", "INVITE") != a and TxKey("z9hG4bK-1", "INVITE").server is False
    assert a.branch == "z9hG4bK-1" and a.sent_by == "192.0.2.9:5060"


def test_table_enums_key_dicts_and_sets_by_member() -> None:
    table = {(s, i): (s, i) for s in CallState for i in CallInput}
    assert len(table) == len(CallState) * len(CallInput)
    assert table[(CallState.EARLY, CallInput.HANGUP)] == (CallState.EARLY, CallInput.HANGUP)
    assert CallState("early") is CallState.EARLY
    assert [s for s in CallState if s == CallState.EARLY] == [CallState.EARLY]
    assert {TxState.CALLING, TxState.CALLING, TxState.TRYING} == {TxState.TRYING, TxState.CALLING}
    assert TxState["COMPLETED"] is TxState.COMPLETED and hash(TxState.COMPLETED) == hash(TxState("completed"))


OFFER = (b"v=0\r\no=peer 5 5 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\n"
         b"m=audio 49170 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\n")


def test_the_last_description_is_the_text_of_what_was_made() -> None:
    oa = OfferAnswer(LocalMedia("192.0.2.1", 4000, session_id=111))
    answer, _ = oa.take_offer(OFFER)
    assert oa.last_description == answer.to_bytes()
    offer = oa.make_offer("sendonly")  # content changed: the o= version goes up (RFC 3264 §8)
    assert offer.origin.session_version == 1 and oa.last_description == offer.to_bytes()
    oa.cancel_offer()
    same = oa.make_offer("sendonly")
    assert same.origin.session_version == 1 and oa.last_description == same.to_bytes()


def test_a_tag_is_drawn_only_for_a_datagram_that_gets_an_error_response() -> None:
    drawn: list[str] = []

    def tag() -> str:
        drawn.append(f"t{len(drawn)}")
        return drawn[-1]
    assert judge_datagram(INVITE, to_tag=tag).message is not None and drawn == []
    bad = judge_datagram(INVITE.replace(b"CSEQ: 1 INVITE", b"CSEQ: x INVITE"), to_tag=tag)
    assert bad.reply is not None and bad.reply.status == 400 and drawn == ["t0"]
    assert bad.reply.to().tag == "t0"  # type: ignore[union-attr]  # RFC 3261 §8.2.6.2
    response = b"SIP/2.0 200 OK\r\nCSeq: x INVITE\r\n\r\n"
    dropped = judge_datagram(response, to_tag=tag)
    assert dropped.reply is None and dropped.error is not None and drawn == ["t0"]
    assert judge_datagram(INVITE.replace(b"CSEQ: 1 INVITE", b"CSEQ: x INVITE"), to_tag="fixed").reply.to().tag == "fixed"  # type: ignore[union-attr]
