"""OPTIONS keep-alives (RFC 3261 §11) in and out of dialog: failure after no answer, recovery;
transport errors reported as failures."""

from __future__ import annotations

from pycti.sip.message import SipRequest
from pycti.sip.session_events import (
    Failed, KeepAliveFailed, KeepAliveRestored, RequestFailed,
)

from tests.sip_txn.netsim import Network
from tests.sip_txn.test_calls import auto_answer, call, pair


def test_out_of_dialog_keepalive_fails_and_recovers() -> None:
    net = Network(80)
    a = net.add("alice", "10.0.0.1", seed=1)
    net.add("bob", "10.0.0.2", seed=2)
    kid = a.ua.start_keepalive(0.0, interval_s=30.0, target="sip:bob@10.0.0.2")
    net.run(65.0)
    assert [round(s.at_s) for s in net.sent("alice", "OPTIONS")] == [30, 60]
    assert a.of(KeepAliveFailed) == []
    net.drop = lambda msg, node, dest: node.name == "bob"  # bob goes silent
    net.run(130.0)
    (failed,) = a.of(KeepAliveFailed)
    assert failed.keepalive_id == kid and failed.reason == "timeout"  # type: ignore[attr-defined]
    t_fail = [t for t, e in a.events if isinstance(e, KeepAliveFailed)][0]
    assert t_fail == 90.0 + 32.0  # the OPTIONS sent at 90 s timed out after Timer F
    net.drop = None
    net.run(200.0)
    (restored,) = a.of(KeepAliveRestored)
    assert restored.status == 200  # type: ignore[attr-defined]
    a.ua.stop_keepalive(kid)
    count = len(net.sent("alice", "OPTIONS"))
    net.run(400.0)
    assert len(net.sent("alice", "OPTIONS")) == count


def test_in_dialog_keepalive_reports_481_after_the_peer_forgot_the_dialog() -> None:
    net, a, b = pair(81)
    auto_answer(net, b)
    sid = call(net, a)
    net.run(2.0)
    kid = a.ua.start_keepalive(net.now_s, interval_s=10.0, session_id=sid)
    net.run(25.0)
    opts = [s.message for s in net.sent("alice", "OPTIONS")]
    assert len(opts) == 2 and all(isinstance(m, SipRequest) and m.to().tag for m in opts)  # type: ignore[union-attr]
    b.ua.sessions.clear()  # Bob's side restarts and loses the dialog
    b.ua._by_dialog.clear()
    net.run(35.0)
    (failed,) = a.of(KeepAliveFailed)
    assert failed.keepalive_id == kid and failed.reason == "481"  # type: ignore[attr-defined]


def test_transport_error_is_a_503_failure() -> None:
    net, a, _ = pair(82)
    sid = call(net, a)
    key = a.ua.session(sid).invite_key
    assert key is not None
    a.ua.transport_error(key, 0.01)
    net.flush(a)
    (failed,) = a.of(Failed)
    assert failed.status == 503  # type: ignore[attr-defined]
    rid = a.ua.send_request("MESSAGE", "sip:bob@10.0.0.2", 1.0, body=b"hi",
                            content_type="text/plain")
    net.flush(a)
    (message,) = [s.message for s in net.sent("alice", "MESSAGE")]
    a.ua.send_failed(message, 1.1)  # what a driver does when sendto/connect fails
    net.flush(a)
    (rf,) = a.of(RequestFailed)
    assert rf.status == 503 and rf.reason == "transport"  # type: ignore[attr-defined]
