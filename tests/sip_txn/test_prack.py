"""RFC 3262: reliable provisionals with RSeq, retransmission until PRACK, PRACK of received
reliable provisionals, the 2xx held back for the PRACK of an SDP-carrying 183, PRACK timeout."""

from __future__ import annotations

from pycti.sip.message import SipRequest, SipResponse
from pycti.sip.session_events import (
    Answered, Ended, Failed, IncomingInvite, ProvisionalAcknowledged, SessionProgress,
)
from pycti.sip.session_prack import RAck, ReliableReceiver, parse_rack, rseq_of

from tests.sip_txn.netsim import Network
from tests.sip_txn.test_calls import ANSWER, call, pair


def test_reliable_provisional_carries_rseq_and_is_pracked() -> None:
    net, a, b = pair(40)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    call(net, a)
    net.run(1.0)
    (ringing,) = [s.message for s in net.sent("bob", "180")]
    assert isinstance(ringing, SipResponse)
    rseq = rseq_of(ringing)
    assert rseq is not None and 1 <= rseq < 2**31
    (prack,) = [s.message for s in net.sent("alice", "PRACK")]
    assert isinstance(prack, SipRequest)
    rack = parse_rack(prack.headers.get("RAck"))
    invite_cseq = net.sent("alice", "INVITE")[0].message.cseq().seq  # type: ignore[union-attr]
    assert rack == RAck(rseq, invite_cseq, "INVITE")
    assert prack.to().tag == ringing.to().tag  # type: ignore[union-attr]  # in the early dialog
    assert [e.rseq for e in b.of(ProvisionalAcknowledged)] == [rseq]  # type: ignore[attr-defined]


def test_lost_pracks_make_the_uas_retransmit_and_a_later_one_stops_it() -> None:
    net, a, b = pair(41)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    drops = {"n": 0}

    def drop_two_pracks(msg: object, node: object, dest: object) -> bool:
        if isinstance(msg, SipRequest) and msg.method == "PRACK" and drops["n"] < 2:
            drops["n"] += 1
            return True
        return False
    net.drop = drop_two_pracks  # type: ignore[assignment]
    call(net, a)
    net.run(10.0)
    times = [round(s.at_s, 3) for s in net.sent("bob", "180")]
    t0 = times[0]
    # Retransmitted at T1 then 2*T1 (doubling) until the third PRACK got through.
    assert [round(t - t0, 3) for t in times] == [0.0, 0.5, 1.5]
    assert len(net.sent("alice", "PRACK")) == 3  # one per retransmission (RSeq repeats)
    assert len(b.of(ProvisionalAcknowledged)) == 1


def test_2xx_waits_for_the_prack_of_a_183_with_sdp() -> None:
    net, a, b = pair(42, delay_s=0.1)

    def bob(n: object, ev: object) -> None:
        if isinstance(ev, IncomingInvite):
            b.ua.ring(ev.session_id, net.now_s, status=183, sdp=ANSWER)
            b.ua.answer(ev.session_id, net.now_s, sdp=ANSWER)  # at once: must be held back
    b.react = bob  # type: ignore[assignment]
    call(net, a)
    net.run(3.0)
    t183 = net.sent("bob", "183")[0].at_s
    t_prack_ok = [s.at_s for s in net.sent("bob", "200") if s.message.cseq().method == "PRACK"][0]  # type: ignore[union-attr]
    t_200 = [s.at_s for s in net.sent("bob", "200") if s.message.cseq().method == "INVITE"][0]  # type: ignore[union-attr]
    assert t183 < t_prack_ok <= t_200  # the 2xx left only once the PRACK arrived
    assert len(a.of(SessionProgress)) == 1 and len(a.of(Answered)) == 1


def test_no_prack_means_500_after_64_t1() -> None:
    net, a, b = pair(43)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    net.drop = lambda msg, node, dest: isinstance(msg, SipRequest) and msg.method == "PRACK"
    call(net, a)
    net.run(60.0)
    count = len(net.sent("bob", "180"))
    assert count == 7  # 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s; gives up at 32 s
    (end,) = b.of(Ended)
    assert isinstance(end, Ended) and end.reason == "prack-timeout"
    assert [e.status for e in a.of(Failed)] == [500]  # type: ignore[attr-defined]


def test_peer_without_100rel_gets_unreliable_provisionals() -> None:
    net = Network(44)
    a = net.add("alice", "10.0.0.1", seed=1, support_100rel=False)
    b = net.add("bob", "10.0.0.2", seed=2)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    call(net, a)
    net.run(3.0)
    ringing = net.sent("bob", "180")
    assert len(ringing) == 1 and rseq_of(ringing[0].message) is None  # type: ignore[arg-type]
    assert net.sent("alice", "PRACK") == []


def test_receiver_pracks_in_order_only() -> None:
    r = ReliableReceiver()
    assert r.accept(10) and not r.accept(10) and not r.accept(12) and r.accept(11)
