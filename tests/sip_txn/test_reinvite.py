"""re-INVITE: hold and resume with the application's SDP, 491 glare and the §14.1 back-off,
500 for an INVITE while one is pending, session refresh re-INVITE answered by the core."""

from __future__ import annotations

import pytest

from pycti.sip.message import SipRequest
from pycti.sip.session import OfferState, glare_backoff_s
from pycti.sip.session_events import (
    UaError, GlareBackoff, ReinviteAnswered, ReinviteFailed, ReinviteReceived,
)

from tests.sip_txn.netsim import Network, Node
from tests.sip_txn.test_calls import ANSWER, OFFER, auto_answer, call, pair

HOLD = OFFER.replace(b"o=alice 1 1", b"o=alice 1 2") + b"a=sendonly\r\n"
RESUME = OFFER.replace(b"o=alice 1 1", b"o=alice 1 3") + b"a=sendrecv\r\n"
HELD_ANSWER = ANSWER.replace(b"o=bob 2 2", b"o=bob 2 3") + b"a=recvonly\r\n"


def established(seed: int, **kw: object) -> tuple[Network, Node, Node, int, int]:
    net, a, b = pair(seed, **kw)
    auto_answer(net, b)
    sid = call(net, a)
    net.run(2.0)
    (inc,) = [e for _, e in b.events if type(e).__name__ == "IncomingInvite"]
    return net, a, b, sid, inc.session_id  # type: ignore[attr-defined]


def test_hold_and_resume_carry_the_callers_sdp() -> None:
    net, a, b, sid_a, sid_b = established(30)

    def bob(n: Node, ev: object) -> None:
        if isinstance(ev, ReinviteReceived):
            n.ua.answer_reinvite(ev.session_id, net.now_s,
                                 sdp=HELD_ANSWER if ev.hold else ANSWER)
    b.react = bob
    a.ua.reinvite(sid_a, net.now_s, sdp=HOLD)
    net.flush(a)
    net.run(4.0)
    a.ua.reinvite(sid_a, net.now_s, sdp=RESUME)
    net.flush(a)
    net.run(6.0)
    received = b.of(ReinviteReceived)
    assert [e.hold for e in received] == [True, False]  # type: ignore[attr-defined]
    assert [e.sdp for e in received] == [HOLD, RESUME]  # type: ignore[attr-defined]
    answered = a.of(ReinviteAnswered)
    assert [e.sdp for e in answered] == [HELD_ANSWER, ANSWER]  # type: ignore[attr-defined]
    invites = [s.message for s in net.sent("alice", "INVITE")]
    assert len(invites) == 3 and len({m.call_id for m in invites}) == 1
    seqs = [m.cseq().seq for m in invites]  # type: ignore[union-attr]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert all(m.to().tag for m in invites[1:])  # type: ignore[union-attr]
    assert len(net.sent("alice", "ACK")) == 3
    assert a.ua.session(sid_a).offer is OfferState.IDLE


def test_rejected_reinvite_keeps_the_session() -> None:
    net, a, b, sid_a, _ = established(31)
    b.react = lambda n, ev: n.ua.reject_reinvite(ev.session_id, net.now_s, status=488) \
        if isinstance(ev, ReinviteReceived) else None
    a.ua.reinvite(sid_a, net.now_s, sdp=HOLD)
    net.flush(a)
    net.run(40.0)
    assert [e.status for e in a.of(ReinviteFailed)] == [488]  # type: ignore[attr-defined]
    assert a.ua.session(sid_a).state.value == "confirmed"


def test_glare_491_and_random_back_off_resolve() -> None:
    net, a, b, sid_a, sid_b = established(32, delay_s=0.05)
    for node in (a, b):
        node.react = lambda n, ev: n.ua.answer_reinvite(
            ev.session_id, net.now_s, sdp=ANSWER if n.name == "bob" else OFFER) \
            if isinstance(ev, ReinviteReceived) else None
    t0 = net.now_s
    a.ua.reinvite(sid_a, t0, sdp=HOLD)
    b.ua.reinvite(sid_b, t0, sdp=HELD_ANSWER)
    net.flush(a)
    net.flush(b)
    net.run(t0 + 20.0)
    statuses = [s.label for s in net.log if s.at_s >= t0]
    assert statuses.count("491") == 2  # both re-INVITEs met 491
    backoffs = {n.name: n.of(GlareBackoff) for n in (a, b)}
    # Alice generated the Call-ID: 2.1-4 s; Bob did not: 0-2 s (RFC 3261 §14.1).
    (ba,) = backoffs["alice"]
    (bb,) = backoffs["bob"]
    wait_a = ba.retry_at_s - t0  # type: ignore[attr-defined]
    wait_b = bb.retry_at_s - t0  # type: ignore[attr-defined]
    assert 2.1 <= wait_a - 0.1 <= 4.0 + 1e-9 and 0.0 <= wait_b - 0.1 <= 2.0 + 1e-9
    # Bob retries first and wins; Alice's retry follows once Bob's transaction is done.
    assert len(a.of(ReinviteAnswered)) == 1 and len(b.of(ReinviteAnswered)) == 1
    assert len(a.of(ReinviteReceived)) == 1 and len(b.of(ReinviteReceived)) == 1
    assert a.ua.session(sid_a).offer is OfferState.IDLE
    assert b.ua.session(sid_b).offer is OfferState.IDLE


def test_backoff_ranges_are_in_10_ms_steps() -> None:
    import random
    rng = random.Random(5)
    owner = [glare_backoff_s(rng, True) for _ in range(2000)]
    other = [glare_backoff_s(rng, False) for _ in range(2000)]
    assert min(owner) >= 2.1 and max(owner) <= 4.0
    assert min(other) >= 0.0 and max(other) <= 2.0
    assert all(abs(x * 100 - round(x * 100)) < 1e-6 for x in owner + other)
    assert max(owner) > 3.9 and min(other) < 0.1


def test_second_invite_while_first_unanswered_gets_500_retry_after() -> None:
    net, a, b, sid_a, _ = established(33)
    b.react = None  # Bob's application sits on the first re-INVITE
    a.ua.reinvite(sid_a, net.now_s, sdp=HOLD)
    net.flush(a)
    net.run(net.now_s + 0.5)
    d = a.ua.session(sid_a).dialog
    assert d is not None
    second = d.request("INVITE", cseq=d.next_cseq(a.ua.rng), via=a.ua.via(),
                       contact=a.ua.contact(), body=RESUME, content_type="application/sdp")
    b.ua.receive(second.to_bytes(), a.addr, net.now_s)
    resp = [o.message for o in b.ua.drain() if hasattr(o, "message")]  # type: ignore[union-attr]
    assert [r.status for r in resp] == [500]  # type: ignore[union-attr]
    assert resp[0].headers.get("Retry-After") is not None


def test_refresh_reinvite_with_unchanged_sdp_is_answered_by_the_core() -> None:
    net, a, b, sid_a, sid_b = established(34)
    s_b = b.ua.session(sid_b)
    a.ua.session(sid_a).reinvite_refresh = True
    a.ua.reinvite(sid_a, net.now_s, sdp=OFFER)  # the same SDP as the session has
    net.flush(a)
    net.run(net.now_s + 2)
    assert b.of(ReinviteReceived) == []  # no question to Bob's application
    (ans,) = a.of(ReinviteAnswered)
    assert ans.sdp == s_b.local_sdp == ANSWER  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", [35, 36])
def test_hold_under_loss(seed: int) -> None:
    net, a, b, sid_a, _ = established(seed)
    net.loss, net.dup, net.jitter_s = 0.3, 0.2, 0.05
    b.react = lambda n, ev: n.ua.answer_reinvite(ev.session_id, net.now_s, sdp=HELD_ANSWER) \
        if isinstance(ev, ReinviteReceived) else None
    t0 = net.now_s
    a.ua.reinvite(sid_a, t0, sdp=HOLD)
    net.flush(a)
    net.run(t0 + 30)
    assert len(b.of(ReinviteReceived)) == 1
    assert len(a.of(ReinviteAnswered)) == 1
    assert {s.label for s in net.sent("bob") if s.at_s >= t0} <= {"100", "200"}


def test_offer_in_2xx_answer_in_ack_for_invite_and_reinvite() -> None:
    from pycti.sip.session_events import Answered, Confirmed, IncomingInvite
    net, a, b = pair(37)
    b.react = lambda n, ev: n.ua.answer(ev.session_id, net.now_s, sdp=ANSWER) \
        if isinstance(ev, IncomingInvite) else None
    sid = a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=b"")
    net.flush(a)
    net.run(1.2)
    (ans,) = a.of(Answered)
    assert ans.needs_answer and ans.sdp == ANSWER  # type: ignore[attr-defined]
    assert net.sent("alice", "ACK") == []  # the ACK waits for our answer
    assert len(net.sent("bob", "200")) >= 2  # Bob keeps retransmitting meanwhile
    a.ua.ack(sid, net.now_s, sdp=OFFER)
    net.flush(a)
    net.run(3.0)
    (conf,) = b.of(Confirmed)
    assert conf.sdp == OFFER  # type: ignore[attr-defined]
    acks = net.sent("alice", "ACK")
    assert all(x.message.body == OFFER for x in acks)
    # The same in a re-INVITE without SDP.
    b.react = lambda n, ev: n.ua.answer_reinvite(ev.session_id, net.now_s, sdp=HELD_ANSWER) \
        if isinstance(ev, ReinviteReceived) else None
    a.ua.reinvite(sid, net.now_s, sdp=b"")
    net.flush(a)
    net.run(4.0)
    (re,) = a.of(ReinviteAnswered)
    assert re.needs_answer and re.sdp == HELD_ANSWER  # type: ignore[attr-defined]
    a.ua.ack(sid, net.now_s, sdp=HOLD)
    net.flush(a)
    net.run(6.0)
    assert [c.sdp for c in b.of(Confirmed)] == [OFFER, HOLD]  # type: ignore[attr-defined]
    with pytest.raises(UaError):
        a.ua.ack(sid, net.now_s, sdp=HOLD)


def test_update_with_an_offer_and_its_glare_rules() -> None:
    net, a, b, sid_a, sid_b = established(38)
    b.react = lambda n, ev: n.ua.answer_reinvite(ev.session_id, net.now_s, sdp=HELD_ANSWER) \
        if isinstance(ev, ReinviteReceived) else None
    a.ua.update(sid_a, net.now_s, sdp=HOLD)
    net.flush(a)
    net.run(net.now_s + 2)
    (rec,) = b.of(ReinviteReceived)
    assert rec.method == "UPDATE" and rec.hold and rec.sdp == HOLD  # type: ignore[attr-defined]
    (ans,) = a.of(ReinviteAnswered)
    assert ans.method == "UPDATE" and ans.sdp == HELD_ANSWER  # type: ignore[attr-defined]
    assert net.sent("alice", "ACK")[-1].at_s < net.sent("alice", "UPDATE")[0].at_s  # no ACK
    # Bob's application sits on Alice's next UPDATE; Bob's own offers then get 500/491 rules.
    b.react = None
    a.ua.update(sid_a, net.now_s, sdp=RESUME)
    net.flush(a)
    net.run(net.now_s + 1)
    d = b.ua.session(sid_b).dialog
    assert d is not None
    crossing = d.request("UPDATE", cseq=d.next_cseq(b.ua.rng), via=b.ua.via(),
                         contact=b.ua.contact(), body=ANSWER, content_type="application/sdp")
    a.ua.receive(crossing.to_bytes(), b.addr, net.now_s)  # Alice has her UPDATE out: 491
    statuses = [o.message.status for o in a.ua.drain() if hasattr(o, "message")]  # type: ignore[union-attr]
    assert statuses == [491]
    with pytest.raises(UaError):
        a.ua.update(sid_a, net.now_s, sdp=HOLD)  # one offer at a time
    b.ua.reject_reinvite(sid_b, net.now_s, status=488)
    net.flush(b)
    net.run(net.now_s + 2)
    fails = a.of(ReinviteFailed)
    assert [(f.status, f.method) for f in fails] == [(488, "UPDATE")]  # type: ignore[attr-defined]
    assert a.ua.session(sid_a).offer is OfferState.IDLE
