"""The session tables: every step has an implementation, every row is well formed, and any
sequence of application calls and network conditions leaves both cores consistent."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from pycti.sip.session import (
    CALL_TABLE, REINVITE_TABLE, CallState, CallStep, OfferInput, OfferState, OfferStep,
)
from pycti.sip.session_agent import UserAgent
from pycti.sip.session_events import (
    Cancelled, Ended, Failed, IncomingInvite, ReinviteReceived, UaError,
)

from tests.sip_txn.netsim import Network
from tests.sip_txn.test_calls import ANSWER, OFFER


def test_every_step_is_implemented() -> None:
    for step in CallStep:
        assert callable(getattr(UserAgent, "_c_" + step.name.lower(), None)), step
    for ostep in OfferStep:
        assert callable(getattr(UserAgent, "_o_" + ostep.name.lower(), None)), ostep


def test_rows_never_leave_ended_and_reach_every_state() -> None:
    assert all(state is not CallState.ENDED for state, _ in CALL_TABLE)
    reached = {CallState.CALLING, CallState.RECEIVED} | {n for n, _ in CALL_TABLE.values()}
    assert reached == set(CallState)
    assert all(isinstance(steps, tuple) for _, steps in REINVITE_TABLE.values())


def test_every_offer_state_answers_a_new_offer_and_takes_ours() -> None:
    # A received re-INVITE/UPDATE must always be answered, and our request always accepted or
    # queued: no (state, input) pair of these may be missing from the table.
    for state in OfferState:
        for inp in (OfferInput.RECV_INVITE, OfferInput.RECV_UPDATE, OfferInput.SEND):
            assert (state, inp) in REINVITE_TABLE, (state, inp)


ACTIONS = st.lists(st.tuples(st.sampled_from(["hangup_a", "hangup_b", "reinvite_a",
                                              "reinvite_b", "update_a", "update_b", "wait"]),
                             st.floats(min_value=0.0, max_value=3.0)), max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), actions=ACTIONS, loss=st.sampled_from([0.0, 0.2]),
       answer_delay=st.sampled_from([0.0, 0.5, None]))
def test_random_call_scripts_end_consistently(seed: int, actions: list[tuple[str, float]],
                                              loss: float, answer_delay: float | None) -> None:
    net = Network(seed, loss=loss, dup=loss, jitter_s=0.03)
    a = net.add("alice", "10.0.0.1", seed=seed)
    b = net.add("bob", "10.0.0.2", seed=seed + 1)
    late: list[int] = []

    def bob(n: object, ev: object) -> None:
        if isinstance(ev, IncomingInvite):
            b.ua.ring(ev.session_id, net.now_s)
            if answer_delay == 0.0:
                b.ua.answer(ev.session_id, net.now_s, sdp=ANSWER)
            elif answer_delay is not None:
                late.append(ev.session_id)
        elif isinstance(ev, ReinviteReceived):
            b.ua.answer_reinvite(ev.session_id, net.now_s, sdp=ANSWER)
    b.react = bob  # type: ignore[assignment]
    a.react = lambda n, ev: a.ua.answer_reinvite(ev.session_id, net.now_s, sdp=OFFER) \
        if isinstance(ev, ReinviteReceived) else None
    sid_a = a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=OFFER)
    net.flush(a)
    if answer_delay:
        net.run(answer_delay)
        for sid in late:
            try:
                b.ua.answer(sid, net.now_s, sdp=ANSWER)
            except UaError:
                pass  # already cancelled
            net.flush(b)
    for action, wait_s in actions:
        net.run(net.now_s + wait_s)
        sids_b = [e.session_id for e in b.of(IncomingInvite)]  # type: ignore[attr-defined]
        try:
            if action == "hangup_a":
                a.ua.hangup(sid_a, net.now_s)
            elif action == "hangup_b" and sids_b:
                b.ua.hangup(sids_b[0], net.now_s)
            elif action == "reinvite_a":
                a.ua.reinvite(sid_a, net.now_s, sdp=OFFER + b"a=sendonly\r\n")
            elif action == "reinvite_b" and sids_b:
                b.ua.reinvite(sids_b[0], net.now_s, sdp=ANSWER + b"a=sendonly\r\n")
            elif action == "update_a":
                a.ua.update(sid_a, net.now_s, sdp=OFFER + b"a=inactive\r\n")
            elif action == "update_b" and sids_b:
                b.ua.update(sids_b[0], net.now_s, sdp=ANSWER + b"a=inactive\r\n")
        except UaError:
            pass  # not allowed in that state: documented refusal
        net.flush(a)
        net.flush(b)
    if not _ended(a.ua, sid_a):
        a.ua.hangup(sid_a, net.now_s)
    net.flush(a)
    net.run(net.now_s + 120.0)
    # Both sides end, each call exactly once, and no timer or transaction is left running.
    assert _ended(a.ua, sid_a)
    assert len(a.of(Ended)) + len(a.of(Failed)) == 1
    incoming = [e.session_id for e in b.of(IncomingInvite)]  # type: ignore[attr-defined]
    assert all(_ended(b.ua, sid) for sid in incoming)
    assert not a.ua.sessions and not b.ua.sessions  # ended sessions are forgotten: no leak per call
    assert len(b.of(Ended)) + len(b.of(Cancelled)) == len(incoming)
    assert a.ua.next_deadline_s() is None and b.ua.next_deadline_s() is None
    assert len(a.ua.layer) == 0 and len(b.ua.layer) == 0


def _ended(ua: object, sid: int) -> bool:
    """The session ended (or ended long enough ago to have been forgotten)."""
    sessions = ua.sessions  # type: ignore[attr-defined]
    return sid not in sessions or sessions[sid].state is CallState.ENDED
