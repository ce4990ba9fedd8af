"""REFER (RFC 3515) with its implicit subscription and sipfrag NOTIFYs, and Replaces (RFC 3891):
an attended transfer across three UA cores."""

from __future__ import annotations

import pytest

from pycti.sip.session import CallState
from pycti.sip.session_events import (
    Answered, Ended, IncomingInvite, ReferAccepted, ReferProgress, ReferReceived, UaError,
)
from pycti.sip.session_refer import (
    ReferError, ReplacesValue, embedded_replaces, parse_sipfrag, refer_to_value, sipfrag,
)

from tests.sip_txn.netsim import Network, Node
from tests.sip_txn.test_calls import ANSWER, OFFER


def answering(net: Network, node: Node) -> None:
    def react(n: Node, ev: object) -> None:
        if isinstance(ev, IncomingInvite):
            n.ua.answer(ev.session_id, net.now_s, sdp=ANSWER)
    node.react = react


def test_replaces_value_round_trip_and_errors() -> None:
    v = ReplacesValue.parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only")
    assert v == ReplacesValue("98732@sip.example.com", "ff87ff", "r33th4x0r", True)
    assert ReplacesValue.parse(str(v)) == v
    assert v.matches("98732@sip.example.com", "ff87ff", "r33th4x0r")
    assert not v.matches("98732@sip.example.com", "r33th4x0r", "ff87ff")
    with pytest.raises(ReferError, match="to-tag"):
        ReplacesValue.parse("abc;from-tag=1")
    refer_to = refer_to_value("sip:carol@10.0.0.3", v)
    assert "?Replaces=98732%40sip.example.com%3Bto-tag%3Dff87ff" in refer_to
    target, back = embedded_replaces(refer_to)
    assert target == "sip:carol@10.0.0.3" and back == v


def test_sipfrag_bodies() -> None:
    assert sipfrag(100) == b"SIP/2.0 100 Trying\r\n"
    assert parse_sipfrag(sipfrag(200)) == (200, "SIP/2.0 200 OK")
    with pytest.raises(ReferError):
        parse_sipfrag(b"hello")


def test_blind_refer_with_notify_progress() -> None:
    net = Network(60)
    a = net.add("alice", "10.0.0.1", seed=1)
    b = net.add("bob", "10.0.0.2", seed=2)
    c = net.add("carol", "10.0.0.3", seed=3)
    answering(net, b)
    answering(net, c)
    sid_ab = a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=OFFER)
    net.flush(a)
    net.run(2.0)
    transfers: dict[int, int] = {}

    def bob(n: Node, ev: object) -> None:
        if isinstance(ev, ReferReceived):
            new = n.ua.invite(ev.refer_to, net.now_s, sdp=OFFER)
            transfers[new] = ev.session_id
        elif isinstance(ev, Answered) and ev.session_id in transfers:
            n.ua.notify_refer(transfers[ev.session_id], 200, net.now_s)
    b.react = bob
    a.ua.refer(sid_ab, "sip:carol@10.0.0.3", net.now_s)
    net.flush(a)
    net.run(10.0)
    assert [e.status for e in a.of(ReferAccepted)] == [202]  # type: ignore[attr-defined]
    progress = a.of(ReferProgress)
    assert [(p.status_line, p.final) for p in progress] == [  # type: ignore[attr-defined]
        ("SIP/2.0 100 Trying", False), ("SIP/2.0 200 OK", True)]
    (refer,) = b.of(ReferReceived)
    assert refer.refer_to == "sip:carol@10.0.0.3" and refer.replaces is None  # type: ignore[attr-defined]
    notifies = [s.message for s in net.sent("bob", "NOTIFY")]
    assert [m.headers.get("Subscription-State") for m in notifies] == [
        "active;expires=60", "terminated;reason=noresource"]
    assert all(m.headers.get("Event", "").startswith("refer;id=") for m in notifies)
    assert len(c.of(IncomingInvite)) == 1
    with pytest.raises(UaError):
        b.ua.notify_refer(refer.session_id, 200, net.now_s)  # type: ignore[attr-defined]


def test_attended_transfer_replaces_the_consultation_dialog() -> None:
    net = Network(61)
    a = net.add("alice", "10.0.0.1", seed=11)
    b = net.add("bob", "10.0.0.2", seed=12)
    c = net.add("carol", "10.0.0.3", seed=13)
    answering(net, b)
    answering(net, c)
    sid_ab = a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=OFFER)
    sid_ac = a.ua.invite("sip:carol@10.0.0.3", 0.0, sdp=OFFER)
    net.flush(a)
    net.run(2.0)
    transfers: dict[int, int] = {}

    def bob(n: Node, ev: object) -> None:
        if isinstance(ev, ReferReceived):
            assert ev.replaces is not None
            new = n.ua.invite(ev.refer_to, net.now_s, sdp=OFFER,
                              replaces=ReplacesValue.parse(ev.replaces))
            transfers[new] = ev.session_id
        elif isinstance(ev, Answered) and ev.session_id in transfers:
            n.ua.notify_refer(transfers[ev.session_id], 200, net.now_s)
    b.react = bob
    a.ua.refer(sid_ab, "sip:carol@10.0.0.3", net.now_s, replaces=a.ua.replaces_for(sid_ac))
    net.flush(a)
    net.run(10.0)
    incoming = c.of(IncomingInvite)
    assert len(incoming) == 2
    sid_c_old = incoming[0].session_id  # type: ignore[attr-defined]
    assert incoming[1].replaces == sid_c_old  # type: ignore[attr-defined]
    # Carol answered Bob and ended the replaced dialog with Alice by BYE.
    (ended_c,) = c.of(Ended)
    assert isinstance(ended_c, Ended) and ended_c.reason == "replaced"
    ended_a = [e for e in a.of(Ended) if e.session_id == sid_ac]  # type: ignore[attr-defined]
    assert len(ended_a) == 1 and ended_a[0].by_remote  # type: ignore[attr-defined]
    assert a.ua.session(sid_ab).state is CallState.CONFIRMED
    assert [p.status for p in a.of(ReferProgress)][-1] == 200  # type: ignore[attr-defined]


def test_replaces_naming_no_dialog_is_481_and_early_only_confirmed_is_486() -> None:
    net = Network(62)
    a = net.add("alice", "10.0.0.1", seed=21)
    c = net.add("carol", "10.0.0.3", seed=23)
    answering(net, c)
    sid = a.ua.invite("sip:carol@10.0.0.3", 0.0, sdp=OFFER)
    net.flush(a)
    net.run(2.0)
    bogus = ReplacesValue("nope@x", "t1", "t2")
    a.ua.invite("sip:carol@10.0.0.3", net.now_s, sdp=OFFER, replaces=bogus)
    net.flush(a)
    net.run(4.0)
    assert "481" in [s.label for s in net.sent("carol")]
    real = a.ua.replaces_for(sid)
    early_only = ReplacesValue(real.call_id, real.to_tag, real.from_tag, early_only=True)
    a.ua.invite("sip:carol@10.0.0.3", net.now_s, sdp=OFFER, replaces=early_only)
    net.flush(a)
    net.run(6.0)
    assert "486" in [s.label for s in net.sent("carol")]
    assert len(c.of(IncomingInvite)) == 1
