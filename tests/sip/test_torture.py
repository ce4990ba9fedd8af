"""RFC 4475 torture messages and RFC 5118 IPv6 messages, handled as the RFCs say.

Each file under ``data/rfc4475`` / ``data/rfc5118`` is one datagram.  ``EXPECTED`` maps it to
the outcome: ``"valid"`` (parses; the fields the RFC discusses are checked), a status code
(the parser rejects it and the error response is that status) or ``"drop"`` (rejected and
not answered).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from pycti.sip import (
    AbsoluteUri, SipMessage, SipParseError, SipRequest, SipResponse, SipUri, judge_datagram,
    parse_message,
)

DATA = Path(__file__).parent / "data"

EXPECTED: dict[str, str | int] = {
    # RFC 4475 §3.1.1 valid messages
    "wsinv": "valid", "intmeth": "valid", "esc01": "valid", "escnull": "valid",
    "esc02": "valid", "lwsdisp": "valid", "longreq": "valid", "dblreq": "valid",
    "semiuri": "valid", "transports": "valid", "mpart01": "valid", "unreason": "valid",
    "noreason": "valid",
    # §3.1.2 invalid messages
    "badinv01": 400, "clerr": 400, "ncl": 400, "scalar02": 400, "scalarlg": "drop",
    "quotbal": 400, "ltgtruri": 400, "lwsruri": 400, "lwsstart": 400, "trws": 400,
    "escruri": 400, "baddate": "valid",  # §3.1.2.12 allows ignoring a Date one does not use
    "regbadct": 400, "badaspec": 400, "baddn": 400, "badvers": 505, "mismatch01": 400,
    "mismatch02": 501,  # 501 preferred, 400 acceptable (§3.1.2.18)
    "bigcode": "drop",
    # §3.2 transaction layer
    "badbranch": "valid",
    # §3.3 application layer: syntactically valid unless noted
    "insuf": 400, "unkscm": "valid", "novelsc": "valid", "unksm2": "valid", "bext01": "valid",
    "invut": "valid", "regaut01": "valid", "multi01": 400, "mcl01": 400, "bcast": "valid",
    "zeromf": "valid", "cparam01": "valid", "cparam02": "valid", "regescrt": "valid",
    "sdp01": "valid",
    # §3.4 backward compatibility
    "inv2543": "valid",
    # RFC 5118 §4
    "ipv6-good": "valid", "ipv6-bad": 400, "port-ambiguous": "valid",
    "port-unambiguous": "valid", "via-received-param-with-delim": "valid",
    "via-received-param-no-delim": "valid", "ipv6-in-sdp-headers": "valid",
    "mult-ip-in-header": "valid", "mult-ip-in-sdp-headers": "valid",
    "ipv4-mapped-ipv6-headers": "valid", "ipv6-bug-abnf-3-colons": "valid",
    "ipv6-correct-abnf-2-colons": "valid",
}


def _load(name: str) -> bytes:
    for sub in ("rfc4475", "rfc5118"):
        path = DATA / sub / f"{name}.dat"
        if path.exists():
            return path.read_bytes()
    raise FileNotFoundError(name)


def test_every_data_file_has_an_expectation() -> None:
    files = {p.stem for p in DATA.glob("rfc*/*.dat")}
    assert files == set(EXPECTED)
    assert len([p for p in DATA.glob("rfc4475/*.dat")]) == 49


def _req(msg: SipMessage) -> SipRequest:
    assert isinstance(msg, SipRequest)
    return msg


def _sip(uri: object) -> SipUri:
    assert isinstance(uri, SipUri)
    return uri


def check_wsinv(m: SipMessage) -> None:
    r = _req(m)
    h = r.headers
    assert r.method == "INVITE" and _sip(r.uri).has_param("unknownparam")
    assert h.to() is not None and h.to().tag == "1918181833n"  # type: ignore[union-attr]
    frm = h.from_()
    assert frm is not None and frm.display_name == 'J Rosenberg \\"' and frm.tag == "98asjd8"
    assert h.max_forwards == 68 and h.cseq() is not None
    assert (h.cseq().seq, h.cseq().method) == (9, "INVITE")  # type: ignore[union-attr]
    vias = h.via()
    assert [(v.transport, v.host, v.branch) for v in vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"), ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239")]
    assert h.get("Subject") == "" and h.get("s") == ""
    assert h.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert h.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    contact = h.contact()
    assert len(contact) == 1 and contact[0].display_name == 'Quoted string ""'
    assert contact[0].params == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    route = h.route()
    assert _sip(route[0].uri).params == (("lr", None), ("unknownwith", "value"),
                                         ("unknown-no-value", None))
    assert len(r.body) == 150 and r.body.endswith(b"a=rtpmap:31 LPC\r\n")


def check_intmeth(m: SipMessage) -> None:
    r = _req(m)
    assert r.method == "!interesting-Method0123456789_*+`.%indeed'~"
    uri = _sip(r.uri)
    assert uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert r.headers.top_via().branch == "z9hG4bK-.!%66*_+`'~"  # type: ignore[union-attr]
    to = r.headers.to()
    assert to is not None and to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    frm = r.headers.from_()
    assert frm is not None and frm.display_name == "token1~` token2'+_ token3*%!.-"
    assert frm.param("fromParam''~+*_!.-%") == '"работающий"'
    assert frm.tag == "_token~1'+`*%!-."
    assert r.headers.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert r.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"
    assert r.headers.max_forwards == 255


def check_esc01(m: SipMessage) -> None:
    r = _req(m)
    assert _sip(r.uri).user_unescaped == "sips:user@example.com"
    assert _sip(r.headers.to().uri).user_unescaped == "user"  # type: ignore[union-attr]
    assert _sip(r.headers.from_().uri).user_unescaped == "I have spaces"  # type: ignore[union-attr]
    contact = _sip(r.headers.contact()[0].uri)
    assert contact == SipUri("sip", "caller", "host5.example.net",
                             params=(("lr", None), ("name", "value%41")))
    assert r.headers.get("Content-Type") == "application/sdp"


def check_escnull(m: SipMessage) -> None:
    users = [_sip(c.uri).user_unescaped for c in _req(m).headers.contact()]
    assert users == ["\x00", "\x00\x00"]
    assert _sip(_req(m).headers.to().uri).user_unescaped == "null-\x00-null"  # type: ignore[union-attr]


def check_esc02(m: SipMessage) -> None:
    r = _req(m)
    assert r.method == "RE%47IST%45R" and r.headers.cseq().method == "RE%47IST%45R"  # type: ignore[union-attr]
    assert r.headers.to().display_name == "%Z%45"  # type: ignore[union-attr]
    assert [_sip(c.uri).user for c in r.headers.contact()] == ["alias1", "alias3"]
    assert r.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"


def check_lwsdisp(m: SipMessage) -> None:
    assert _req(m).headers.from_().display_name == "caller"  # type: ignore[union-attr]


def check_longreq(m: SipMessage) -> None:
    r = _req(m)
    vias = r.headers.via()
    assert len(vias) == 34
    assert [v.host for v in vias[:33]] == [f"sip{i}.example.com" for i in range(33, 0, -1)]
    assert vias[33].received == "192.0.2.5" and vias[33].branch.endswith("branchvalue")  # type: ignore[union-attr]
    to = r.headers.to()
    assert to is not None and _sip(to.uri).port == 6000 and len(_sip(to.uri).params) == 3
    assert len(r.headers.from_().tag) == 155  # type: ignore[union-attr, arg-type]
    assert len(r.body) == 150


def check_dblreq(m: SipMessage) -> None:
    r = _req(m)
    assert r.method == "REGISTER" and r.body == b""
    assert _sip(r.headers.contact()[0].uri).host == "host.example.com"


def check_semiuri(m: SipMessage) -> None:
    r = _req(m)
    assert _sip(r.uri).user == "user;par=u%40example.net" and _sip(r.uri).params == ()
    assert r.headers.get_list("Accept") == (
        "application/sdp", "application/pkcs7-mime", "multipart/mixed", "multipart/signed",
        "message/sip", "message/sipfrag")


def check_transports(m: SipMessage) -> None:
    assert [v.transport for v in _req(m).headers.via()] == [
        "UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def check_mpart01(m: SipMessage) -> None:
    r = _req(m)
    assert len(r.body) == 553 and b"\x00" in r.body
    assert r.body.startswith(b"--7a9cbec02ceef655\r\n") and r.body.endswith(
        b"--7a9cbec02ceef655--\r\n")
    via = r.headers.top_via()
    assert via is not None and via.port == 5070 and via.rport is True
    assert r.headers.content_type == "multipart/mixed"


def check_unreason(m: SipMessage) -> None:
    assert isinstance(m, SipResponse) and m.status == 200
    assert m.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"


def check_noreason(m: SipMessage) -> None:
    assert isinstance(m, SipResponse) and (m.status, m.reason) == (100, "")


def check_baddate(m: SipMessage) -> None:
    with pytest.raises(SipParseError, match="GMT"):
        _req(m).headers.date()


def check_badbranch(m: SipMessage) -> None:
    via = _req(m).headers.top_via()
    assert via is not None and via.branch == "z9hG4bK" and via.is_rfc3261_branch


def check_unkscm(m: SipMessage) -> None:
    assert _req(m).uri == AbsoluteUri("nobodyKnowsThisScheme", "totallyopaquecontent")


def check_novelsc(m: SipMessage) -> None:
    assert _req(m).uri == AbsoluteUri("soap.beep", "//192.0.2.103:3002")


def check_unksm2(m: SipMessage) -> None:
    h = _req(m).headers
    assert h.to().uri == AbsoluteUri("isbn", "2983792873")  # type: ignore[union-attr]
    assert str(h.from_().uri) == "http://www.example.com"  # type: ignore[union-attr]
    assert h.contact()[0].uri == AbsoluteUri("name", "John_Smith")


def check_bext01(m: SipMessage) -> None:
    assert _req(m).headers.get_list("Require") == ("nothingSupportsThis",
                                                   "nothingSupportsThisEither")


def check_invut(m: SipMessage) -> None:
    r = _req(m)
    assert r.headers.content_type == "application/unknownformat" and len(r.body) == 40


def check_regaut01(m: SipMessage) -> None:
    auth = _req(m).headers.get("Authorization")
    assert auth == "NoOneKnowsThisScheme opaque-data=here"


def check_bcast(m: SipMessage) -> None:
    assert isinstance(m, SipResponse)
    assert [v.host for v in m.headers.via()] == ["192.0.2.198", "255.255.255.255"]


def check_zeromf(m: SipMessage) -> None:
    assert _req(m).headers.max_forwards == 0


def check_cparam01(m: SipMessage) -> None:
    contact = _req(m).headers.contact()[0]
    assert contact.params == (("unknownparam", None),) and _sip(contact.uri).params == ()


def check_cparam02(m: SipMessage) -> None:
    contact = _req(m).headers.contact()[0]
    assert contact.params == () and _sip(contact.uri).params == (("unknownparam", None),)


def check_regescrt(m: SipMessage) -> None:
    uri = _sip(_req(m).headers.contact()[0].uri)
    assert uri.headers == (("Route", "%3Csip:sip.example.com%3E"),)


def check_sdp01(m: SipMessage) -> None:
    assert _req(m).headers.get("Accept") == "text/nobodyKnowsThis"


def check_inv2543(m: SipMessage) -> None:
    r = _req(m)
    assert r.headers.max_forwards is None and r.headers.top_via().branch is None  # type: ignore[union-attr]
    assert r.headers.from_().tag is None  # type: ignore[union-attr]
    assert r.headers.content_length is None and r.body.endswith(b"m=audio 49217 RTP/AVP 0\r\n")
    assert _sip(r.headers.record_route()[0].uri).param("maddr") == "ss1.example.com"


def check_ipv6_good(m: SipMessage) -> None:
    r = _req(m)
    assert _sip(r.uri).host == "[2001:db8::10]"
    assert r.headers.top_via().host == "[2001:db8::9:1]"  # type: ignore[union-attr]
    assert _sip(r.headers.contact()[0].uri).host_address == "2001:db8::1"


def check_port_ambiguous(m: SipMessage) -> None:
    assert (_sip(_req(m).uri).host, _sip(_req(m).uri).port) == ("[2001:db8::10:5070]", None)


def check_port_unambiguous(m: SipMessage) -> None:
    assert (_sip(_req(m).uri).host, _sip(_req(m).uri).port) == ("[2001:db8::10]", 5070)


def check_received_delim(m: SipMessage) -> None:
    assert _req(m).headers.top_via().received == "2001:db8::9:255"  # type: ignore[union-attr]


def check_mult_ip(m: SipMessage) -> None:
    vias = _req(m).headers.via()
    assert [(v.host, v.port) for v in vias] == [
        ("[2001:db8::9:1]", 6050), ("192.0.2.1", None), ("[2001:db8::9:255]", None)]
    assert vias[2].received == "192.0.2.200"


CHECKS: dict[str, Callable[[SipMessage], None]] = {
    "wsinv": check_wsinv, "intmeth": check_intmeth, "esc01": check_esc01,
    "escnull": check_escnull, "esc02": check_esc02, "lwsdisp": check_lwsdisp,
    "longreq": check_longreq, "dblreq": check_dblreq, "semiuri": check_semiuri,
    "transports": check_transports, "mpart01": check_mpart01, "unreason": check_unreason,
    "noreason": check_noreason, "baddate": check_baddate, "badbranch": check_badbranch,
    "unkscm": check_unkscm, "novelsc": check_novelsc, "unksm2": check_unksm2,
    "bext01": check_bext01, "invut": check_invut, "regaut01": check_regaut01,
    "bcast": check_bcast, "zeromf": check_zeromf, "cparam01": check_cparam01,
    "cparam02": check_cparam02, "regescrt": check_regescrt, "sdp01": check_sdp01,
    "inv2543": check_inv2543, "ipv6-good": check_ipv6_good,
    "port-ambiguous": check_port_ambiguous, "port-unambiguous": check_port_unambiguous,
    "via-received-param-with-delim": check_received_delim,
    "via-received-param-no-delim": check_received_delim, "mult-ip-in-header": check_mult_ip,
}


def _no_check(msg: SipMessage) -> None:
    """Messages whose RFC text checks nothing beyond a successful parse."""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_message_handled_as_the_rfc_says(name: str) -> None:
    data = _load(name)
    expected = EXPECTED[name]
    verdict = judge_datagram(data, to_tag="pycti-tag")
    if expected == "valid":
        assert verdict.error is None, verdict.error
        assert verdict.message is not None
        CHECKS.get(name, _no_check)(verdict.message)
        return
    assert verdict.message is None and isinstance(verdict.error, SipParseError)
    with pytest.raises(SipParseError):
        parse_message(data)
    if expected == "drop":
        assert verdict.reply is None and verdict.error.is_request is False
        return
    reply = verdict.reply
    assert reply is not None and reply.status == expected
    request_vias = verdict.error.material.via  # type: ignore[union-attr]
    assert reply.headers.get_all("Via") == request_vias and request_vias
    # The reply is itself a well-formed message (where the request's fields allow one).
    if name not in ("insuf", "quotbal", "badaspec", "baddn", "scalar02", "badinv01",
                    "mismatch01", "mismatch02", "multi01"):
        reparsed = parse_message(reply.to_bytes())
        assert isinstance(reparsed, SipResponse) and reparsed.status == expected
        reply_to = reparsed.headers.to()
        had_tag = "3xfe-9921883-z9f" if name == "lwsruri" else "pycti-tag"
        assert reply_to is not None and reply_to.tag == had_tag


ERROR_SUBJECTS = {
    "badinv01": "Via", "clerr": "Content-Length", "ncl": "Content-Length", "scalar02": "CSeq",
    "quotbal": "To", "regbadct": "Contact", "badaspec": "To", "baddn": "From",
    "mismatch01": "CSeq", "insuf": "From", "multi01": "Call-ID", "mcl01": "Content-Length",
    "ltgtruri": None, "escruri": None, "badvers": None,
}


@pytest.mark.parametrize("name", sorted(ERROR_SUBJECTS))
def test_errors_name_the_header_at_fault(name: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(_load(name))
    assert info.value.header == ERROR_SUBJECTS[name]
    assert info.value.problem


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e == "valid"))
def test_valid_messages_round_trip(name: str) -> None:
    first = parse_message(_load(name))
    wire = first.to_bytes()
    head, _, body = wire.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    names = [line.split(b":", 1)[0] for line in lines[1:]]
    assert all(len(n) > 1 for n in names), "compact forms are expanded"
    assert names.count(b"Content-Length") == 1
    assert f"Content-Length: {len(first.body)}".encode() in lines and body == first.body
    second = parse_message(wire)
    assert type(second) is type(first)
    assert second.start_line == first.start_line
    strip = [f for f in first.headers.fields if f[0] != "Content-Length"]
    assert [f for f in second.headers.fields if f[0] != "Content-Length"] == strip
    assert second.headers.via() == first.headers.via()
    assert second.headers.from_() == first.headers.from_()
    assert second.headers.contact() == first.headers.contact()
    assert second.to_bytes() == wire


def test_transcribed_bodies_match_their_content_length() -> None:
    """Valid messages carry no stray octets: the transcription kept every body exact."""
    for name, expected in EXPECTED.items():
        if expected != "valid" or name == "dblreq":  # dblreq's surplus is the point of it
            continue
        data = _load(name)
        msg = parse_message(data)
        if msg.headers.content_length is not None:
            assert len(data.split(b"\r\n\r\n", 1)[1]) == msg.headers.content_length, name
