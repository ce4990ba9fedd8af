"""Two UA cores calling each other through the in-memory network: set-up, tear-down, CANCEL,
lost ACKs, loss/duplication/reordering, 481/500/420/405 answers, forking."""

from __future__ import annotations

import pytest

from pycti.sip.dialog import Dialog
from pycti.sip.message import SipRequest, SipResponse, make_request, parse_message
from pycti.sip.session import CallState
from pycti.sip.session_events import (
    Answered, Cancelled, Confirmed, Ended, Failed, IncomingInvite, Ringing, SessionProgress,
    UaError,
)
from pycti.sip.timers import Destination
from pycti.sip.uri import parse_uri

from tests.sip_txn.netsim import Network, Node

OFFER = b"v=0\r\no=alice 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
ANSWER = b"v=0\r\no=bob 2 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"


def pair(seed: int = 1, **kw: object) -> tuple[Network, Node, Node]:
    net = Network(seed, **kw)  # type: ignore[arg-type]
    return net, net.add("alice", "10.0.0.1", seed=seed), net.add("bob", "10.0.0.2", seed=seed + 100)


def auto_answer(net: Network, node: Node, *, ring_s: float = 0.0, sdp: bytes = ANSWER) -> None:
    """Bob rings at once and answers ``ring_s`` later (through a timer-free schedule)."""
    def react(n: Node, ev: object) -> None:
        if isinstance(ev, IncomingInvite):
            n.ua.ring(ev.session_id, net.now_s)
            if ring_s == 0.0:
                n.ua.answer(ev.session_id, net.now_s, sdp=sdp)
            else:
                pending.append((net.now_s + ring_s, ev.session_id))
    pending: list[tuple[float, int]] = []
    node.react = react
    node.pending = pending  # type: ignore[attr-defined]


def call(net: Network, a: Node, target: str = "sip:bob@10.0.0.2") -> int:
    sid = a.ua.invite(target, net.now_s, sdp=OFFER)
    net.flush(a)
    return sid


def test_call_set_up_and_torn_down_by_the_caller() -> None:
    net, a, b = pair()
    auto_answer(net, b)
    sid = call(net, a)
    net.run(2.0)
    (ans,) = a.of(Answered)
    assert isinstance(ans, Answered) and ans.sdp == ANSWER
    assert len(a.of(Ringing)) == 1
    (inc,) = b.of(IncomingInvite)
    assert isinstance(inc, IncomingInvite) and inc.sdp == OFFER
    assert len(b.of(Confirmed)) == 1
    assert a.ua.session(sid).state is CallState.CONFIRMED
    labels = [s.label for s in net.log]
    assert labels == ["INVITE", "180", "200", "PRACK", "ACK", "200"]
    a.ua.hangup(sid, net.now_s)
    net.flush(a)
    net.run(40.0)
    (end_a,) = a.of(Ended)
    (end_b,) = b.of(Ended)
    assert isinstance(end_a, Ended) and not end_a.by_remote
    assert isinstance(end_b, Ended) and end_b.by_remote
    # Dialog state on the wire: the BYE carries both tags and the next CSeq of Alice.
    bye = net.sent("alice", "BYE")[0].message
    invite = net.sent("alice", "INVITE")[0].message
    assert bye.call_id == invite.call_id and bye.to().tag is not None  # type: ignore[union-attr]
    assert bye.cseq().seq == invite.cseq().seq + 2  # type: ignore[union-attr]  # PRACK took +1


def test_callee_hangs_up_and_caller_sees_remote_end() -> None:
    net, a, b = pair(2)
    auto_answer(net, b)
    call(net, a)
    net.run(1.0)
    (inc,) = b.of(IncomingInvite)
    b.ua.hangup(inc.session_id, net.now_s)  # type: ignore[attr-defined]
    net.flush(b)
    net.run(5.0)
    (end_a,) = a.of(Ended)
    assert isinstance(end_a, Ended) and end_a.by_remote
    bye = net.sent("bob", "BYE")[0].message
    assert isinstance(bye, SipRequest)
    assert str(bye.uri) == "sip:alice@10.0.0.1:5060"  # the remote target from the Contact


def test_reject_gives_failed_with_status_and_ack_from_the_transaction() -> None:
    net, a, b = pair(3)
    b.react = lambda n, ev: n.ua.reject(ev.session_id, net.now_s, status=486) \
        if isinstance(ev, IncomingInvite) else None
    call(net, a)
    net.run(40.0)
    (failed,) = a.of(Failed)
    assert isinstance(failed, Failed) and failed.status == 486
    assert [s.label for s in net.log] == ["INVITE", "486", "ACK"]


def test_cancel_before_answer_gets_487_and_200() -> None:
    net, a, b = pair(4)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    sid = call(net, a)
    net.run(1.0)
    a.ua.hangup(sid, net.now_s)
    net.flush(a)
    net.run(40.0)
    (failed,) = a.of(Failed)
    assert isinstance(failed, Failed) and failed.status == 487
    assert len(b.of(Cancelled)) == 1
    labels = [s.label for s in net.log if s.label not in ("PRACK",)]
    assert labels.count("CANCEL") == 1 and "487" in labels
    cancel_ok = [s for s in net.sent("bob", "200") if s.message.cseq().method == "CANCEL"]  # type: ignore[union-attr]
    assert len(cancel_ok) == 1


def test_cancel_waits_for_a_provisional_response() -> None:
    net, a, b = pair(5)
    b.react = None  # Bob's core sends nothing but the 100 after 200 ms
    sid = call(net, a)
    a.ua.hangup(sid, 0.05)
    net.flush(a)
    net.run(0.1)
    assert net.sent("alice", "CANCEL") == []  # §9.1: no provisional yet
    net.run(0.5)
    (cancel,) = net.sent("alice", "CANCEL")
    assert cancel.at_s == pytest.approx(0.22)  # right after the 100 Trying (0.21)
    net.run(40.0)
    assert [e.status for e in a.of(Failed)] == [487]  # type: ignore[attr-defined]


def test_cancel_crossing_the_200_is_resolved_with_ack_and_bye() -> None:
    net, a, b = pair(6, delay_s=0.05)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    sid = call(net, a)
    net.run(0.3)
    (inc,) = b.of(IncomingInvite)
    # Bob answers and Alice cancels at the same instant: the CANCEL and the 200 cross.
    b.ua.answer(inc.session_id, net.now_s, sdp=ANSWER)  # type: ignore[attr-defined]
    net.flush(b)
    a.ua.hangup(sid, net.now_s)
    net.flush(a)
    net.run(40.0)
    assert a.of(Answered) == []
    (end_a,) = a.of(Ended)
    assert isinstance(end_a, Ended) and end_a.reason == "cancelled"
    labels = [s.label for s in net.log]
    assert "ACK" in labels and "BYE" in labels and "487" not in labels
    (end_b,) = b.of(Ended)
    assert isinstance(end_b, Ended) and end_b.by_remote
    assert b.of(Cancelled) == []  # the INVITE was answered: CANCEL has no effect (§9.2)


def test_lost_acks_make_the_uas_retransmit_2xx_and_then_bye() -> None:
    net, a, b = pair(7)
    auto_answer(net, b)
    net.drop = lambda msg, node, dest: isinstance(msg, SipRequest) and msg.method == "ACK"
    call(net, a)
    net.run(60.0)
    ok_times = [round(s.at_s - net.sent("bob", "200")[0].at_s, 3) for s in net.sent("bob", "200")
                if s.message.cseq().method == "INVITE"]  # type: ignore[union-attr]
    # §13.3.1.4: T1, 2T1, 4T1, then T2 spacing, stopping at 64*T1.
    assert ok_times[:6] == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5]
    assert ok_times[-1] <= 32.0
    acks = net.sent("alice", "ACK")
    assert len(acks) == len(ok_times)  # every retransmitted 2xx was ACKed again
    (end_b,) = b.of(Ended)
    assert isinstance(end_b, Ended) and end_b.reason == "no-ack"
    (end_a,) = a.of(Ended)
    assert isinstance(end_a, Ended) and end_a.by_remote


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_calls_survive_loss_duplication_and_reordering(seed: int) -> None:
    net, a, b = pair(seed, loss=0.25, dup=0.2, delay_s=0.02, jitter_s=0.08)
    auto_answer(net, b)
    sid = call(net, a)
    net.run(20.0)
    assert len(a.of(Answered)) == 1 and len(b.of(IncomingInvite)) == 1
    assert len(b.of(Confirmed)) == 1
    a.ua.hangup(sid, net.now_s)
    net.flush(a)
    net.run(80.0)
    assert len(a.of(Ended)) == 1 and len(b.of(Ended)) == 1
    assert len(net.sent("alice", "INVITE")) >= 1


def test_tcp_call_has_no_retransmissions() -> None:
    net, a, b = pair(14, transport="TCP")
    auto_answer(net, b)
    sid = call(net, a)
    net.run(5.0)
    a.ua.hangup(sid, net.now_s)
    net.flush(a)
    net.run(60.0)
    labels = [s.label for s in net.log]
    assert labels == ["INVITE", "180", "200", "PRACK", "ACK", "200", "BYE", "200"]
    assert net.sent("alice", "INVITE")[0].message.top_via().transport == "TCP"  # type: ignore[union-attr]


def test_timeout_without_answer_is_failed_408() -> None:
    net, a, _ = pair(15)
    net.drop = lambda msg, node, dest: node.name == "alice"
    call(net, a)
    net.run(40.0)
    (failed,) = a.of(Failed)
    assert isinstance(failed, Failed) and failed.status == 408
    assert len(net.sent("alice", "INVITE")) == 7  # Timer A: 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5


def _raw(method: str, *, to_tag: str | None, cseq: int, call_id: str = "x@10.0.0.9",
         extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    to = "<sip:bob@10.0.0.2>" + (f";tag={to_tag}" if to_tag else "")
    return make_request(method, parse_uri("sip:bob@10.0.0.2"),
                        via="SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK" + f"{method}{cseq}",
                        from_="<sip:eve@10.0.0.9>;tag=e1", to=to, call_id=call_id, cseq=cseq,
                        contact="<sip:eve@10.0.0.9>", extra=extra).to_bytes()


def _answers(b: Node, data: bytes) -> list[SipResponse]:
    b.ua.receive(data, Destination("10.0.0.9", 5060), 1.0)
    out = [o.message for o in b.ua.drain() if hasattr(o, "message")]  # type: ignore[union-attr]
    return [m for m in out if isinstance(m, SipResponse)]


def test_uas_answers_unknown_dialog_481_bad_extension_420_and_methods() -> None:
    net, _, b = pair(16)
    assert [r.status for r in _answers(b, _raw("BYE", to_tag="nope", cseq=2))] == [481]
    (r420,) = _answers(b, _raw("INVITE", to_tag=None, cseq=3, extra=(("Require", "foo"),)))
    assert r420.status == 420 and r420.headers.get("Unsupported") == "foo"
    assert [r.status for r in _answers(b, _raw("MESSAGE", to_tag=None, cseq=4))] == [405]
    assert [r.status for r in _answers(b, _raw("FROB", to_tag=None, cseq=5))] == [501]
    (opt,) = _answers(b, _raw("OPTIONS", to_tag=None, cseq=6))
    assert opt.status == 200 and "INVITE" in (opt.headers.get("Allow") or "")
    assert [r.status for r in _answers(b, _raw("CANCEL", to_tag=None, cseq=7))] == [481]
    (bad,) = _answers(b, b"INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKq\r\n"
                         b"From: <sip:e@x>;tag=1\r\nTo: <sip:bob@10.0.0.2>\r\nCall-ID: q\r\n"
                         b"CSeq: x INVITE\r\n\r\n")
    assert bad.status == 400


def test_in_dialog_request_with_lower_cseq_gets_500() -> None:
    net, a, b = pair(17)
    auto_answer(net, b)
    sid = call(net, a)
    net.run(2.0)
    d = a.ua.session(sid).dialog
    assert d is not None
    stale = d.request("OPTIONS", cseq=1, via=a.ua.via(), contact=None)  # below the INVITE's
    b.ua.receive(stale.to_bytes(), a.addr, net.now_s)
    statuses = [o.message.status for o in b.ua.drain() if hasattr(o, "message")]  # type: ignore[union-attr]
    assert statuses == [500]
    fresh = d.request("OPTIONS", cseq=d.next_cseq(a.ua.rng), via=a.ua.via(), contact=None)
    b.ua.receive(fresh.to_bytes(), a.addr, net.now_s)
    assert [o.message.status for o in b.ua.drain() if hasattr(o, "message")] == [200]  # type: ignore[union-attr]


def test_forked_provisionals_make_two_early_dialogs_and_second_2xx_is_byed() -> None:
    net, a, b = pair(18)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s) \
        if isinstance(ev, IncomingInvite) else None
    b.ua.config = type(b.ua.config)(**{**b.ua.config.__dict__}) if False else b.ua.config
    sid = call(net, a)
    net.run(1.0)
    s = a.ua.session(sid)
    ringing = net.sent("bob", "180")[0].message
    assert isinstance(ringing, SipResponse)
    # A second branch of a forking proxy: the same provisional with another To tag.
    to = ringing.to()
    assert to is not None
    fork = ringing.with_replaced_header("To", str(to.with_param("tag", "fork2"))) \
        .without_header("Require").without_header("RSeq")
    a.ua.receive(fork.to_bytes(), b.addr, net.now_s)
    net.flush(a)
    assert sorted(s.early) == sorted([to.tag or "", "fork2"])
    assert all(isinstance(d, Dialog) for d in s.early.values())
    (inc,) = b.of(IncomingInvite)
    b.ua.answer(inc.session_id, net.now_s, sdp=ANSWER)  # type: ignore[attr-defined]
    net.flush(b)
    net.run(2.0)
    ok = net.sent("bob", "200")
    ok_invite = [x.message for x in ok if x.message.cseq().method == "INVITE"][0]  # type: ignore[union-attr]
    second = ok_invite.with_replaced_header("To", str(to.with_param("tag", "fork2")))
    a.ua.receive(second.to_bytes(), b.addr, net.now_s)
    out = a.ua.drain()
    sent = [o.message for o in out if hasattr(o, "message")]  # type: ignore[union-attr]
    assert [m.method for m in sent if isinstance(m, SipRequest)] == ["ACK", "BYE"]
    assert all(m.to().tag == "fork2" for m in sent)  # type: ignore[union-attr]
    assert len(a.of(Answered)) == 1 and a.ua.session(sid).dialog.id.remote_tag == to.tag  # type: ignore[union-attr]


def test_api_misuse_raises_ua_error() -> None:
    net, a, _ = pair(19)
    with pytest.raises(UaError):
        a.ua.answer(99, 0.0, sdp=b"")
    sid = call(net, a)
    with pytest.raises(UaError):
        a.ua.reinvite(sid, 0.0, sdp=OFFER)
    with pytest.raises(UaError):
        a.ua.invite("not a uri", 0.0, sdp=OFFER)
    with pytest.raises(UaError):
        a.ua.ring(sid, 0.0, status=200)


def test_progress_183_with_early_media() -> None:
    net, a, b = pair(20)
    b.react = lambda n, ev: n.ua.ring(ev.session_id, net.now_s, status=183, sdp=ANSWER) \
        if isinstance(ev, IncomingInvite) else None
    call(net, a)
    net.run(1.0)
    (prog,) = a.of(SessionProgress)
    assert isinstance(prog, SessionProgress) and prog.sdp == ANSWER and prog.reliable
    assert parse_message(net.sent("bob", "183")[0].message.to_bytes()).headers.get("RSeq")
