"""RFC 3261 §12 dialogs: creation on both sides, route sets, loose and strict routing,
target refresh, CSeq rules."""

from __future__ import annotations

import random

import pytest

from pycti.sip.dialog import Dialog, DialogError, DialogId, DialogState, destination_for
from pycti.sip.message import SipRequest, SipResponse, make_request, make_response, parse_message
from pycti.sip.timers import Destination
from pycti.sip.uri import parse_uri


def invite() -> SipRequest:
    req = make_request("INVITE", parse_uri("sip:bob@example.com"),
                       via="SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1",
                       from_="Alice <sip:alice@example.com>;tag=a1", to="<sip:bob@example.com>",
                       call_id="cid@192.0.2.1", cseq=10, contact="<sip:alice@192.0.2.1>",
                       extra=(("Record-Route", "<sip:p1.example.com;lr>"),
                              ("Record-Route", "<sip:p2.example.com;lr>")))
    parsed = parse_message(req.to_bytes())
    assert isinstance(parsed, SipRequest)
    return parsed


def answer(req: SipRequest, status: int = 200) -> SipResponse:
    resp = make_response(req, status, to_tag="b1",
                         extra=(("Record-Route", "<sip:p1.example.com;lr>"),
                                ("Record-Route", "<sip:p2.example.com;lr>"),
                                ("Contact", "<sip:bob@192.0.2.2:5070>")))
    parsed = parse_message(resp.to_bytes())
    assert isinstance(parsed, SipResponse)
    return parsed


def test_uac_dialog_reverses_record_route_and_targets_the_contact() -> None:
    req = invite()
    d = Dialog.from_uac(req, answer(req), "UDP")
    assert d.id == DialogId("cid@192.0.2.1", "a1", "b1")
    assert d.state is DialogState.CONFIRMED and d.is_uac
    assert [str(r.uri) for r in d.route_set] == ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]
    assert str(d.remote_target) == "sip:bob@192.0.2.2:5070"
    bye = d.request("BYE", cseq=d.next_cseq(random.Random(1)), via="SIP/2.0/UDP h;branch=z9hG4bKx",
                    contact=None)
    assert bye.cseq().seq == 11  # type: ignore[union-attr]
    assert str(bye.uri) == "sip:bob@192.0.2.2:5070"  # loose routing: the target stays
    assert bye.headers.get_list("Route") == ("<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>")
    assert bye.to().tag == "b1" and bye.from_().tag == "a1"  # type: ignore[union-attr]
    assert d.destination() == Destination("p2.example.com", 5060, "UDP")


def test_uas_dialog_keeps_record_route_order() -> None:
    req = invite()
    d = Dialog.from_uas(req, "b1", confirmed=False, transport="UDP")
    assert d.state is DialogState.EARLY and not d.is_uac
    assert d.id == DialogId("cid@192.0.2.1", "b1", "a1")
    assert [str(r.uri) for r in d.route_set] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert d.remote_seq == 10 and d.local_seq is None
    rng = random.Random(2)
    first = d.next_cseq(rng)
    assert 1 <= first < 2**31  # chosen at random when empty
    assert d.local_uri.tag == "b1"


def test_strict_route_goes_into_the_request_uri() -> None:
    req = invite()
    resp = answer(req).without_header("Record-Route").with_header(
        "Record-Route", "<sip:strict.example.com>")
    d = Dialog.from_uac(req, resp, "UDP")
    msg = d.request("INFO", cseq=12, via="SIP/2.0/UDP h;branch=z9hG4bKy", contact=None)
    assert str(msg.uri) == "sip:strict.example.com"
    assert msg.headers.get_list("Route") == ("<sip:bob@192.0.2.2:5070>",)


def test_early_route_set_is_replaced_by_the_2xx_then_fixed() -> None:
    req = invite()
    early = answer(req, 180).without_header("Record-Route")
    d = Dialog.from_uac(req, early, "UDP")
    assert d.state is DialogState.EARLY and d.route_set == ()
    d.update_from_response(answer(req))
    assert d.state is DialogState.CONFIRMED and len(d.route_set) == 2
    d.update_from_response(answer(req).without_header("Record-Route"))
    assert len(d.route_set) == 2  # fixed at the 2xx


def test_cseq_rules_and_target_refresh() -> None:
    req = invite()
    d = Dialog.from_uas(req, "b1", confirmed=True, transport="UDP")
    lower = req.with_replaced_header("CSeq", "9 INVITE")
    assert d.check_request(lower) == 500
    ack = req.with_replaced_header("CSeq", "10 ACK")
    assert d.check_request(ack) is None
    higher = req.with_replaced_header("CSeq", "11 INVITE").with_replaced_header(
        "Contact", "<sip:alice@198.51.100.7>")
    assert d.check_request(higher) is None and d.remote_seq == 11
    d.refresh_target(higher)
    assert str(d.remote_target) == "sip:alice@198.51.100.7"


def test_errors_name_the_missing_field() -> None:
    req = invite()
    with pytest.raises(DialogError, match="To tag"):
        Dialog.from_uac(req, make_response(req, 200), "UDP")
    with pytest.raises(DialogError, match="Contact"):
        Dialog.from_uas(req.without_header("Contact"), "t", confirmed=True, transport="UDP")
    with pytest.raises(DialogError, match="tel:"):
        destination_for(parse_uri("tel:+123"))
    assert destination_for(parse_uri("sips:x@h.example")) == Destination("h.example", 5061, "UDP")
    assert destination_for(parse_uri("sip:x@h;transport=tcp")).transport == "TCP"
