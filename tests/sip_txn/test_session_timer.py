"""RFC 4028 session timers: negotiation, refresh at half the interval, BYE at expiry, 422."""

from __future__ import annotations

from pycti.sip.message import SipRequest
from pycti.sip.session_events import (
    Answered, Ended, IncomingInvite, SessionExpired, SessionRefreshed,
)
from pycti.sip.session_timer import expiry_delay_s, parse_session_expires

from tests.sip_txn.netsim import Network, Node
from tests.sip_txn.test_calls import auto_answer, call


def timed_pair(seed: int, a_se: int, b_se: int, b_min: int = 90) -> tuple[Network, Node, Node]:
    net = Network(seed)
    a = net.add("alice", "10.0.0.1", seed=seed, session_expires_s=a_se)
    b = net.add("bob", "10.0.0.2", seed=seed + 1, session_expires_s=b_se, min_se_s=b_min)
    auto_answer(net, b)
    return net, a, b


def test_negotiated_interval_and_refresher_roles() -> None:
    net, a, b = timed_pair(50, 600, 300)
    call(net, a)
    net.run(2.0)
    ok = [s.message for s in net.sent("bob", "200") if s.message.cseq().method == "INVITE"][0]  # type: ignore[union-attr]
    assert parse_session_expires(ok.headers.get("Session-Expires")) == (300, "uac")
    assert "timer" in ok.headers.get_list("Require")
    (ra,) = a.of(SessionRefreshed)
    (rb,) = b.of(SessionRefreshed)
    assert (ra.interval_s, ra.we_refresh) == (300, True)  # type: ignore[attr-defined]
    assert (rb.interval_s, rb.we_refresh) == (300, False)  # type: ignore[attr-defined]


def test_refresher_refreshes_by_update_at_half_interval() -> None:
    net, a, b = timed_pair(51, 300, 300)
    call(net, a)
    net.run(1000.0)
    updates = net.sent("alice", "UPDATE")
    t_ack = net.sent("alice", "ACK")[0].at_s
    gaps = [round(u.at_s - t_ack, 1) for u in updates]
    assert gaps[:3] == [150.0, 300.0, 450.0]  # every interval/2 after each refresh
    assert b.of(SessionExpired) == [] and a.of(Ended) == []
    assert len(b.of(SessionRefreshed)) == 1 + len(updates)


def test_silent_refresher_means_bye_at_expiry() -> None:
    net, a, b = timed_pair(52, 300, 300)
    net.drop = lambda msg, node, dest: isinstance(msg, SipRequest) and msg.method == "UPDATE"
    call(net, a)
    net.run(400.0)
    (exp,) = b.of(SessionExpired)
    (bye,) = net.sent("bob", "BYE")
    t_ok = [s.at_s for s in net.sent("bob", "200") if s.message.cseq().method == "INVITE"][0]  # type: ignore[union-attr]
    assert round(bye.at_s - t_ok, 3) == expiry_delay_s(300) == 268.0  # 300 - min(32, 100)
    (end_a,) = a.of(Ended)
    assert isinstance(end_a, Ended) and end_a.by_remote


def test_422_makes_the_caller_retry_with_the_min_se() -> None:
    net, a, b = timed_pair(53, 100, 1800, b_min=120)
    call(net, a)
    net.run(3.0)
    statuses = [s.label for s in net.log]
    assert statuses[:3] == ["INVITE", "422", "ACK"]
    invites = [s.message for s in net.sent("alice", "INVITE")]
    assert [m.headers.get("Session-Expires") for m in invites] == ["100", "120"]
    assert invites[1].cseq().seq == invites[0].cseq().seq + 1  # type: ignore[union-attr]
    assert invites[1].call_id == invites[0].call_id
    assert len(a.of(Answered)) == 1 and len(b.of(IncomingInvite)) == 1
    (ra,) = a.of(SessionRefreshed)
    assert ra.interval_s == 120  # type: ignore[attr-defined]


def test_refresh_by_reinvite_when_peer_lacks_update() -> None:
    net, a, b = timed_pair(54, 200, 200)
    call(net, a)
    net.run(2.0)
    a.ua.sessions[1].remote_allow = frozenset({"INVITE", "ACK", "BYE"})
    net.run(150.0)
    reinvites = net.sent("alice", "INVITE")[1:]
    assert len(reinvites) == 1 and net.sent("alice", "UPDATE") == []
    assert reinvites[0].message.body == net.sent("alice", "INVITE")[0].message.body
