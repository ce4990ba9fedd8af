"""RFC 3261 §17 transactions: retransmission counts and times, timeouts, matching."""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from pycti.sip.message import SipRequest, SipResponse, make_request, make_response, parse_message
from pycti.sip.timers import Destination, TimerConfig, TimerWheel
from pycti.sip.transaction import TABLES, Transaction, TxInput, TxKind, TxState
from pycti.sip.transaction_table import (
    IncomingRequest, IncomingResponse, StrayResponse, TransactionFailed, TransactionLayer,
    Transmit,
)
from pycti.sip.uri import parse_uri

UDP = Destination("192.0.2.2", 5060, "UDP")
TCP = Destination("192.0.2.2", 5060, "TCP")
PEER = Destination("192.0.2.1", 5060, "UDP")


def request(method: str = "INVITE", branch: str = "z9hG4bKabc", transport: str = "UDP") -> SipRequest:
    req = make_request(method, parse_uri("sip:bob@192.0.2.2"),
                       via=f"SIP/2.0/{transport} 192.0.2.1:5060;branch={branch}",
                       from_="<sip:alice@192.0.2.1>;tag=a1", to="<sip:bob@192.0.2.2>",
                       call_id="c1@192.0.2.1", cseq=1, contact="<sip:alice@192.0.2.1>")
    wire = parse_message(req.to_bytes())  # real bytes
    assert isinstance(wire, SipRequest)
    return wire


def run_until(layer: TransactionLayer, end_s: float) -> list[tuple[float, object]]:
    """Fire the layer's timers up to ``end_s``; return (time, output) pairs."""
    seen: list[tuple[float, object]] = []
    for _ in range(1000):
        t = layer.next_deadline_s()
        if t is None or t > end_s:
            break
        layer.on_timer(t)
        seen += [(t, o) for o in layer.drain()]
    return seen


def sends(seen: list[tuple[float, object]]) -> list[float]:
    return [round(t, 6) for t, o in seen if isinstance(o, Transmit)]


def test_invite_client_timer_a_doubles_and_timer_b_times_out() -> None:
    layer = TransactionLayer(TimerConfig())
    layer.send_request(request(), UDP, 0.0)
    first = layer.drain()
    assert [type(o) for o in first] == [Transmit]
    seen = run_until(layer, 100.0)
    # Retransmissions at T1 intervals doubling: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; B at 64*T1.
    assert sends(seen) == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    failures = [(t, o) for t, o in seen if isinstance(o, TransactionFailed)]
    assert len(failures) == 1 and failures[0][0] == 32.0
    assert failures[0][1].reason == "timeout"  # type: ignore[attr-defined]
    assert len(layer) == 0


def test_base_timers_are_configurable() -> None:
    layer = TransactionLayer(TimerConfig(t1_s=0.1, t2_s=0.3))
    layer.send_request(request("OPTIONS"), UDP, 0.0)
    layer.drain()
    seen = run_until(layer, 10.0)
    assert sends(seen)[:5] == [0.1, 0.3, 0.6, 0.9, 1.2]  # E capped at T2 = 0.3 s
    assert [t for t, o in seen if isinstance(o, TransactionFailed)] == [6.4]  # F = 64*T1


def test_non_invite_client_timer_e_caps_at_t2_and_f_times_out() -> None:
    layer = TransactionLayer(TimerConfig())
    layer.send_request(request("OPTIONS"), UDP, 0.0)
    layer.drain()
    seen = run_until(layer, 100.0)
    assert sends(seen) == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert [t for t, o in seen if isinstance(o, TransactionFailed)] == [32.0]


def test_non_invite_client_in_proceeding_retransmits_every_t2_then_k() -> None:
    layer = TransactionLayer(TimerConfig())
    req = request("BYE")
    key = layer.send_request(req, UDP, 0.0)
    layer.drain()
    layer.receive(make_response(req, 100), UDP, 0.1)
    assert [type(o) for o in layer.drain()] == [IncomingResponse]
    seen = run_until(layer, 9.0)
    assert sends(seen) == [0.5, 4.5, 8.5]  # E fired in Proceeding: reset to T2
    final = make_response(req, 200, to_tag="b1")
    layer.receive(final, UDP, 9.0)
    assert [type(o) for o in layer.drain()] == [IncomingResponse]
    layer.receive(final, UDP, 9.1)  # retransmission absorbed in Completed
    assert layer.drain() == []
    assert layer.get(key) is not None
    run_until(layer, 13.9)
    assert layer.get(key) is not None
    run_until(layer, 14.0)  # Timer K = T4 = 5 s
    assert layer.get(key) is None


def test_invite_client_acks_failure_and_waits_timer_d() -> None:
    layer = TransactionLayer(TimerConfig())
    req = request()
    key = layer.send_request(req, UDP, 0.0)
    layer.drain()
    busy = parse_message(make_response(req, 486, to_tag="b1").to_bytes())
    layer.receive(busy, UDP, 0.2)
    out = layer.drain()
    assert [type(o) for o in out] == [Transmit, IncomingResponse]
    ack = out[0].message  # type: ignore[union-attr]
    assert isinstance(ack, SipRequest) and ack.method == "ACK"
    assert ack.top_via() == req.top_via() and ack.cseq().seq == 1  # type: ignore[union-attr]
    assert ack.to().tag == "b1"  # type: ignore[union-attr]
    layer.receive(busy, UDP, 1.0)  # the 486 again: the same ACK again, not to the TU
    again = layer.drain()
    assert [type(o) for o in again] == [Transmit] and again[0].message == ack  # type: ignore[union-attr]
    run_until(layer, 32.1)
    assert layer.get(key) is not None
    run_until(layer, 32.2)  # Timer D = 32 s
    assert layer.get(key) is None


def test_invite_client_accepted_passes_every_2xx_until_timer_m() -> None:
    layer = TransactionLayer(TimerConfig())
    req = request()
    key = layer.send_request(req, UDP, 0.0)
    layer.drain()
    for tag, t in (("b1", 1.0), ("b1", 1.5), ("b2", 2.0)):
        layer.receive(make_response(req, 200, to_tag=tag), UDP, t)
        assert [type(o) for o in layer.drain()] == [IncomingResponse]
    run_until(layer, 33.0)  # Timer M = 64*T1 after the first 2xx
    assert layer.get(key) is None
    layer.receive(make_response(req, 200, to_tag="b1"), UDP, 40.0)
    assert [type(o) for o in layer.drain()] == [StrayResponse]


def test_reliable_transport_has_no_retransmissions_and_zero_wait_timers() -> None:
    layer = TransactionLayer(TimerConfig())
    req = request("OPTIONS", transport="TCP")
    key = layer.send_request(req, TCP, 0.0)
    layer.drain()
    assert run_until(layer, 10.0) == []  # no Timer E over TCP
    layer.receive(make_response(req, 200, to_tag="x"), TCP, 10.0)
    assert [type(o) for o in layer.drain()] == [IncomingResponse]
    assert layer.get(key) is None  # Timer K is zero
    seen = run_until(layer, 100.0)
    assert [t for t, o in seen if isinstance(o, TransactionFailed)] == []
    inv = request("INVITE", branch="z9hG4bKt2", transport="TCP")
    layer.send_request(inv, TCP, 0.0)
    layer.drain()
    layer.receive(make_response(inv, 603, to_tag="x"), TCP, 1.0)
    assert [type(o) for o in layer.drain()] == [Transmit, IncomingResponse]
    assert len(layer) == 0  # Timer D is zero


def test_invite_server_sends_100_after_200_ms_unless_tu_answers() -> None:
    server = TransactionLayer(TimerConfig())
    server.receive(request(), PEER, 0.0)
    (incoming,) = server.drain()
    assert isinstance(incoming, IncomingRequest)
    seen = run_until(server, 1.0)
    assert [(t, o.message.status) for t, o in seen] == [(0.2, 100)]  # type: ignore[attr-defined]
    quick = TransactionLayer(TimerConfig())
    quick.receive(request(branch="z9hG4bKq"), PEER, 0.0)
    (inc,) = quick.drain()
    assert isinstance(inc, IncomingRequest) and inc.key is not None
    quick.send_response(inc.key, make_response(inc.request, 180, to_tag="t"), 0.1)
    quick.drain()
    assert run_until(quick, 1.0) == []  # a provisional before 200 ms: no 100
    at_once = TransactionLayer(TimerConfig(trying_delay_s=0.0))
    at_once.receive(request(branch="z9hG4bKz"), PEER, 0.0)
    assert [type(o) for o in at_once.drain()] == [IncomingRequest, Transmit]


def test_invite_server_timer_g_h_and_ack_absorption() -> None:
    server = TransactionLayer(TimerConfig())
    req = request()
    server.receive(req, PEER, 0.0)
    (inc,) = server.drain()
    assert isinstance(inc, IncomingRequest) and inc.key is not None
    server.receive(req, PEER, 0.05)  # retransmission before any response: 100 Trying
    assert [o.message.status for o in server.drain()] == [100]  # type: ignore[union-attr]
    server.send_response(inc.key, make_response(inc.request, 486, to_tag="b"), 0.1)
    server.drain()
    seen = run_until(server, 100.0)
    # G: 0.5, 1, 2, 4, 4, ... until H at 64*T1 = 32 s after the final response.
    times = sends(seen)
    assert times[:6] == [0.6, 1.6, 3.6, 7.6, 11.6, 15.6]
    assert times[-1] == 31.6 and len(times) == 10
    assert [t for t, o in seen if isinstance(o, TransactionFailed)] == [32.1]


def test_invite_server_ack_confirms_then_timer_i() -> None:
    server = TransactionLayer(TimerConfig())
    req = request()
    server.receive(req, PEER, 0.0)
    (inc,) = server.drain()
    assert inc.key is not None  # type: ignore[union-attr]
    resp = make_response(inc.request, 404, to_tag="b")  # type: ignore[union-attr]
    server.send_response(inc.key, resp, 0.1)  # type: ignore[union-attr]
    server.drain()
    ack = parse_message(make_response(req, 404, to_tag="b").to_bytes())
    from pycti.sip.message import make_ack_for_failure
    assert isinstance(ack, SipResponse)
    server.receive(make_ack_for_failure(req, ack), PEER, 0.3)
    assert server.drain() == []  # the ACK of a non-2xx stays in the transaction
    assert run_until(server, 5.2) == []  # Confirmed: no more G
    assert len(server) == 1
    run_until(server, 5.3)  # Timer I = T4
    assert len(server) == 0


def test_non_invite_server_absorbs_and_resends_then_timer_j() -> None:
    server = TransactionLayer(TimerConfig())
    req = request("OPTIONS")
    server.receive(req, PEER, 0.0)
    (inc,) = server.drain()
    assert isinstance(inc, IncomingRequest) and inc.key is not None
    server.receive(req, PEER, 0.5)  # Trying: absorbed, nothing to resend
    assert server.drain() == []
    server.send_response(inc.key, make_response(req, 200, to_tag="s"), 0.6)
    assert len(server.drain()) == 1
    server.receive(req, PEER, 1.0)  # Completed: the final response again
    assert [o.message.status for o in server.drain()] == [200]  # type: ignore[union-attr]
    run_until(server, 32.5)
    assert len(server) == 1
    run_until(server, 32.6)  # J = 64*T1
    assert len(server) == 0


def test_response_matching_branch_method_and_sent_by() -> None:
    layer = TransactionLayer(TimerConfig(), local_sent_by=frozenset(["192.0.2.1:5060"]))
    req = request("OPTIONS")
    layer.send_request(req, UDP, 0.0)
    layer.drain()
    other = request("OPTIONS", branch="z9hG4bKother")
    layer.receive(make_response(other, 200), UDP, 0.1)
    assert [type(o) for o in layer.drain()] == [StrayResponse]
    foreign = make_response(req, 200).without_header("Via").with_header(
        "Via", "SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKabc")
    layer.receive(foreign, UDP, 0.1)
    assert layer.drain() == []  # §18.1.2: not our sent-by
    wrong_method = make_response(req, 200).with_replaced_header("CSeq", "1 INVITE")
    layer.receive(wrong_method, UDP, 0.2)
    assert [type(o) for o in layer.drain()] == [StrayResponse]


def test_cancel_finds_its_invite_server_transaction_and_via_stamping() -> None:
    from pycti.sip.message import make_cancel
    server = TransactionLayer(TimerConfig())
    req = request().with_replaced_header(
        "Via", "SIP/2.0/UDP alice.example.com:5070;branch=z9hG4bKabc;rport")
    server.receive(req, PEER, 0.0)
    (inc,) = server.drain()
    assert isinstance(inc, IncomingRequest) and inc.key is not None
    via = inc.request.top_via()
    assert via is not None and via.received == "192.0.2.1" and via.rport == 5060
    cancel = make_cancel(req)
    assert server.find_invite_for(cancel) == inc.key
    assert server.find_invite_for(make_cancel(request(branch="z9hG4bKnone"))) is None
    server.receive(cancel, PEER, 0.1)
    (c,) = server.drain()
    assert isinstance(c, IncomingRequest) and c.key is not None and c.key != inc.key


def test_every_table_row_is_well_formed() -> None:
    for kind, table in TABLES.items():
        for (state, inp), (nxt, steps) in table.items():
            assert state is not TxState.TERMINATED
            assert isinstance(nxt, TxState) and isinstance(steps, tuple)
            if inp.name.startswith("TU_") or inp in (TxInput.RETRANSMIT, TxInput.ACK):
                assert not kind.is_client
            if inp.name.startswith("RESP_"):
                assert kind.is_client


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(list(TxKind)), reliable=st.booleans(),
       inputs=st.lists(st.sampled_from(list(TxInput)), max_size=25))
def test_any_input_sequence_keeps_the_machine_in_a_valid_state(
        kind: TxKind, reliable: bool, inputs: list[TxInput]) -> None:
    req = request("INVITE" if kind in (TxKind.INVITE_CLIENT, TxKind.INVITE_SERVER) else "BYE")
    txn = Transaction(kind, req, TCP if reliable else UDP, TimerConfig())
    txn.start(0.0)
    responses = {TxInput.RESP_1XX: 180, TxInput.RESP_2XX: 200, TxInput.RESP_FAIL: 486,
                 TxInput.TU_1XX: 180, TxInput.TU_2XX: 200, TxInput.TU_FAIL: 486}
    for i, inp in enumerate(inputs, 1):
        if inp in responses:
            txn.handle(make_response(req, responses[inp], to_tag="t"), float(i))
        elif inp is TxInput.RETRANSMIT:
            txn.handle(req, float(i))
        elif inp is TxInput.TRANSPORT_ERROR:
            txn.transport_error(float(i))
        elif inp is not TxInput.ACK and inp is not TxInput.START:
            txn.fire(inp, float(i))
        assert txn.state in {s for (s, _), _ in TABLES[kind].items()} | {
            n for _, (n, _) in TABLES[kind].items()}


def test_timer_wheel_orders_and_cancels() -> None:
    wheel = TimerWheel()
    wheel.set("b", 2.0)
    wheel.set("a", 1.0)
    wheel.set("c", 1.0)
    wheel.set("b", 0.5)  # moved earlier
    wheel.cancel("c")
    assert wheel.next_s() == 0.5
    assert wheel.pop_due(1.0) == ["b", "a"]
    assert wheel.next_s() is None and len(wheel) == 0
    rng = random.Random(3)
    keys = [(i, rng.random() * 10) for i in range(50)]
    for k, t in keys:
        wheel.set(k, t)
    assert wheel.pop_due(10.0) == [k for k, _ in sorted(keys, key=lambda kt: kt[1])]
