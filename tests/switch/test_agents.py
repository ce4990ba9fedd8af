"""ACD agents in the core: log on at any station, states with reasons, offers, personal calls,
wrap-up, pending states and ring-outs, all with the events ECMA-269 names."""

from __future__ import annotations

import pytest

from pycti.errors import CstaError, ErrorValue
from pycti.switch import events as ev
from pycti.switch.agent_states import AgentState, PendingAgentState, RequestedAgentState as Req
from pycti.switch.agents import TABLE, AgentConfig, AgentPhase, AgentRules, Trigger
from pycti.switch.core import DeviceKind, SwitchCore
from pycti.switch.ids import ConnectionID


class Center:
    """Stations S1, S2, trunks T1, T2, queues Q1, Q2; agents A1 (password 1234) and A2."""

    def __init__(self, rules: AgentRules | None = None) -> None:
        self.core = SwitchCore(agent_rules=rules)
        for d, k in [("S1", DeviceKind.STATION), ("S2", DeviceKind.STATION), ("T1", DeviceKind.TRUNK),
                     ("T2", DeviceKind.TRUNK), ("Q1", DeviceKind.QUEUE), ("Q2", DeviceKind.QUEUE)]:
            self.core.add_device(d, k)
        self.core.add_agent(AgentConfig(agent_id="A1", password="1234", groups=("Q1", "Q2")))
        self.core.add_agent(AgentConfig(agent_id="A2", groups=("Q1",), wrap_up_ms=2000))
        self.now = 0.0

    def at(self, t: float) -> float:
        self.now = t
        self.core.handle_timer(t)
        return t

    def agent_events(self) -> list[ev.AgentEvent]:
        return [e for e in self.core.take_events() if isinstance(e, ev.AgentEvent)]

    def log_on(self, station: str, agent: str, password: str | None = None, ready: bool = True) -> None:
        self.core.set_agent_state(station, Req.LOGGED_ON, self.now, agent_id=agent, password=password)
        if ready:
            self.core.set_agent_state(station, Req.READY, self.now)
        self.core.take_events()

    def queue_call(self, trunk: str = "T1", queue: str = "Q1") -> ConnectionID:
        """A caller on ``trunk`` waits in ``queue``; returns the queued connection."""
        self.core.incoming_call(trunk, calling_number="5550100", called_number=queue, now=self.now)
        call = self.core.snapshot_device(trunk)[0][0].call_id
        return ConnectionID(call, queue)

    def offer(self, station: str, trunk: str = "T1", queue: str = "Q1") -> ConnectionID:
        """A queue call deflected to ``station`` (alerting there); returns its connection."""
        queued = self.queue_call(trunk, queue)
        self.core.deflect_call(queued, station, self.now)
        return ConnectionID(queued.call_id, station)

    def phase(self, station: str) -> AgentPhase:
        return self.core.get_agent_state(station).phase


def test_log_on_needs_the_password_and_starts_not_ready() -> None:
    c = Center()
    with pytest.raises(CstaError) as err:
        c.core.set_agent_state("S1", Req.LOGGED_ON, 0.0, agent_id="A1", password="0000")
    assert err.value.error_value is ErrorValue.INVALID_AGENT_PASSWORD
    with pytest.raises(CstaError) as err:
        c.core.set_agent_state("S1", Req.LOGGED_ON, 0.0, agent_id="nobody")
    assert err.value.error_value is ErrorValue.INVALID_AGENT_IDENTIFIER
    assert c.core.get_agent_state("S1").logged_on is False and not c.core.take_events()

    c.core.set_agent_state("S1", Req.LOGGED_ON, 1.0, agent_id="A1", password="1234")
    on, not_ready = c.agent_events()
    assert isinstance(on, ev.AgentLoggedOn) and on.agent_id == "A1" and on.agent_device == "S1"
    assert isinstance(not_ready, ev.AgentNotReady) and not_ready.reason == "login"
    assert {"S1", "Q1", "Q2"} <= not_ready.devices()
    entry = c.core.get_agent_state("S1")
    assert entry.agent_state is AgentState.NOT_READY and entry.groups == ("Q1", "Q2")


def test_log_on_at_any_station_but_only_one_at_a_time() -> None:
    c = Center()
    c.log_on("S2", "A1", "1234")
    assert c.core.agent_at("S2") == "A1"
    with pytest.raises(CstaError, match="logged on at S2"):
        c.core.set_agent_state("S1", Req.LOGGED_ON, 0.0, agent_id="A1", password="1234")
    with pytest.raises(CstaError, match="A1 is logged on at S2"):
        c.core.set_agent_state("S2", Req.LOGGED_ON, 0.0, agent_id="A2")
    c.core.set_agent_state("S2", Req.LOGGED_OFF, 0.0)
    assert isinstance(c.agent_events()[-1], ev.AgentLoggedOff)
    c.log_on("S1", "A1", "1234")
    assert c.core.agent_at("S1") == "A1" and c.core.agent_at("S2") is None


def test_group_log_on_is_checked() -> None:
    c = Center()
    with pytest.raises(CstaError) as err:
        c.core.set_agent_state("S1", Req.LOGGED_ON, 0.0, agent_id="A2", group="Q2")
    assert err.value.error_value is ErrorValue.INVALID_AGENT_GROUP
    with pytest.raises(CstaError) as err:
        c.core.set_agent_state("S1", Req.LOGGED_ON, 0.0, agent_id="A2", group="T1")
    assert err.value.error_value is ErrorValue.INVALID_AGENT_GROUP
    c.core.set_agent_state("S1", Req.LOGGED_ON, 0.0, agent_id="A2", group="Q1")
    assert c.core.get_agent_state("S1").groups == ("Q1",)


def test_requests_invalid_in_the_state_change_nothing() -> None:
    c = Center()
    with pytest.raises(CstaError) as err:
        c.core.set_agent_state("S1", Req.READY, 0.0)
    assert err.value.error_value is ErrorValue.INVALID_AGENT_STATE
    c.log_on("S1", "A1", "1234", ready=False)
    with pytest.raises(CstaError):
        c.core.set_agent_state("T1", Req.READY, 0.0)  # not a station
    assert c.phase("S1") is AgentPhase.NOT_READY and not c.core.take_events()


def test_reasons_entering_and_leaving_not_ready() -> None:
    c = Center()
    c.log_on("S1", "A1", "1234")
    c.core.set_agent_state("S1", Req.NOT_READY, 5.0, reason="lunch")
    (nr,) = c.agent_events()
    assert isinstance(nr, ev.AgentNotReady) and nr.reason == "lunch" and nr.previous_reason is None
    c.core.set_agent_state("S1", Req.NOT_READY, 6.0, reason="meeting")
    (nr2,) = c.agent_events()
    assert nr2.reason == "meeting" and nr2.previous_reason == "lunch"  # type: ignore[attr-defined]
    c.core.set_agent_state("S1", Req.READY, 7.0)
    (ready,) = c.agent_events()
    assert isinstance(ready, ev.AgentReady) and ready.previous_reason == "meeting"


def test_acd_call_offer_answer_wrap_up_ready() -> None:
    c = Center()
    c.log_on("S2", "A2")
    conn = c.offer("S2")
    events = c.agent_events()
    assert [type(e) for e in events] == [ev.AgentBusy]
    assert events[0].acd_group == "Q1" and c.phase("S2") is AgentPhase.OFFERED
    c.core.answer_call(conn, c.at(1.0))
    assert c.phase("S2") is AgentPhase.ON_CALL and not c.agent_events()  # still busy
    c.core.clear_connection(conn, c.at(10.0))
    (wac,) = c.agent_events()
    assert isinstance(wac, ev.AgentWorkingAfterCall) and wac.time == 10.0
    assert c.core.next_timer() == pytest.approx(12.0)  # A2's own 2 s wrap-up
    c.at(11.9)
    assert c.phase("S2") is AgentPhase.AFTER_CALL
    c.at(12.0)
    (ready,) = c.agent_events()
    assert isinstance(ready, ev.AgentReady) and c.phase("S2") is AgentPhase.READY


def test_wrap_up_by_group_and_ended_early() -> None:
    c = Center(AgentRules(group_wrap_up_ms={"Q2": 30_000}, default_wrap_up_ms=1000))
    c.log_on("S1", "A1", "1234")
    conn = c.offer("S1", queue="Q2")
    c.core.answer_call(conn, c.at(1.0))
    c.core.clear_connection(conn, c.at(5.0))
    assert c.core.next_timer() == pytest.approx(35.0)
    c.core.set_agent_state("S1", Req.READY, c.at(8.0))  # ends wrap-up early
    assert c.phase("S1") is AgentPhase.READY and c.core.next_timer() is None


def test_personal_call_does_not_make_a_not_ready_agent_ready() -> None:
    c = Center()
    c.log_on("S1", "A1", "1234", ready=False)
    c.core.set_agent_state("S1", Req.NOT_READY, 0.0, reason="break")
    c.core.take_events()
    calling = c.core.make_call("S1", "S2", c.at(1.0))
    c.core.answer_call(ConnectionID(calling.call_id, "S2"), c.at(2.0))
    c.core.clear_connection(calling, c.at(3.0))
    assert not c.agent_events()
    entry = c.core.get_agent_state("S1")
    assert entry.phase is AgentPhase.NOT_READY and entry.reason == "break"


def test_personal_call_while_ready_is_busy_then_ready_without_wrap_up() -> None:
    c = Center(AgentRules(default_wrap_up_ms=10_000))
    c.log_on("S1", "A1", "1234")
    calling = c.core.make_call("S1", "S2", c.at(1.0))
    assert [type(e) for e in c.agent_events()] == [ev.AgentBusy]
    c.core.clear_connection(calling, c.at(3.0))
    assert [type(e) for e in c.agent_events()] == [ev.AgentReady]
    c.at(30.0)  # no wrap-up timer ends later
    assert not c.agent_events() and c.phase("S1") is AgentPhase.READY


def test_logged_out_agent_station_calls_leave_it_logged_out() -> None:
    c = Center()
    calling = c.core.make_call("S1", "S2", c.at(1.0))
    c.core.clear_connection(calling, c.at(2.0))
    assert not c.agent_events() and c.core.get_agent_state("S1").agent_state is AgentState.NULL


def test_requests_during_a_call_are_pending() -> None:
    c = Center()
    c.log_on("S1", "A1", "1234")
    conn = c.offer("S1")
    c.core.answer_call(conn, c.at(1.0))
    c.agent_events()
    pending = c.core.set_agent_state("S1", Req.NOT_READY, c.at(2.0), reason="coffee")
    assert pending is PendingAgentState.NOT_READY
    # still busy, and now saying what comes after the call (ECMA-269 AgentBusy pendingAgentState)
    (busy,) = c.agent_events()
    assert isinstance(busy, ev.AgentBusy) and busy.pending_agent_state is PendingAgentState.NOT_READY
    assert c.core.get_agent_state("S1").pending_agent_state is PendingAgentState.NOT_READY
    assert c.core.set_agent_state("S1", Req.NOT_READY, c.at(2.5), reason="coffee") is PendingAgentState.NOT_READY
    assert not c.agent_events()  # the same pending state again: nothing new to say
    c.core.clear_connection(conn, c.at(3.0))
    (nr,) = c.agent_events()
    assert isinstance(nr, ev.AgentNotReady) and nr.reason == "coffee"


def test_log_off_during_a_call_waits_for_its_end() -> None:
    c = Center()
    c.log_on("S1", "A1", "1234")
    conn = c.offer("S1")
    c.core.answer_call(conn, c.at(1.0))
    assert c.core.set_agent_state("S1", Req.LOGGED_OFF, c.at(2.0)) is PendingAgentState.NULL
    assert c.core.agent_at("S1") == "A1"
    c.core.clear_connection(conn, c.at(3.0))
    assert isinstance(c.agent_events()[-1], ev.AgentLoggedOff) and c.core.agent_at("S1") is None


def test_ring_outs_make_the_agent_not_ready() -> None:
    c = Center(AgentRules(max_ring_outs=2))
    c.log_on("S1", "A1", "1234")
    for n, trunk in enumerate(("T1", "T2")):
        conn = c.offer("S1", trunk=trunk)
        c.core.deflect_call(conn, "Q1", c.at(10.0 + n))  # the ACD takes the call back
    entry = c.core.get_agent_state("S1")
    assert entry.phase is AgentPhase.NOT_READY and entry.reason == "ringNoAnswer"


def test_answering_resets_the_ring_out_count() -> None:
    c = Center(AgentRules(max_ring_outs=2))
    c.log_on("S1", "A1", "1234")
    conn = c.offer("S1", trunk="T1")
    c.core.deflect_call(conn, "Q1", c.at(1.0))
    c.core.answer_call(c.offer("S1", trunk="T2"), c.at(2.0))
    c.core.clear_call(c.core.calls()[-1], c.at(3.0))
    assert c.phase("S1") is AgentPhase.READY
    c.core.clear_call(c.core.calls()[0], c.at(4.0))
    conn = c.offer("S1", trunk="T1")
    c.core.deflect_call(conn, "Q1", c.at(5.0))
    assert c.phase("S1") is AgentPhase.READY  # one ring-out since the answer


def test_caller_hanging_up_during_the_offer_is_not_a_ring_out() -> None:
    c = Center(AgentRules(max_ring_outs=1))
    c.log_on("S1", "A1", "1234")
    c.offer("S1")
    c.core.far_end_released("T1", c.at(2.0))
    assert c.phase("S1") is AgentPhase.READY


def test_the_table_refuses_no_request_it_should_take() -> None:
    requests = {Trigger.LOG_ON, Trigger.LOG_OFF, Trigger.READY, Trigger.NOT_READY, Trigger.WORK}
    for phase in AgentPhase:
        allowed = {t for (p, t) in TABLE if p is phase and t in requests}
        if phase is AgentPhase.LOGGED_OUT:
            assert allowed == {Trigger.LOG_ON}
        else:
            assert {Trigger.LOG_OFF, Trigger.READY, Trigger.NOT_READY} <= allowed


# -- ring-all (forked alerting) ---------------------------------------------------------------
def test_ring_all_first_answer_wins_and_the_others_stop_at_once() -> None:
    c = Center(AgentRules(max_ring_outs=1))
    c.log_on("S1", "A1", "1234")
    c.log_on("S2", "A2")
    queued = c.queue_call()
    c.core.take_events()
    c.core.deflect_call_to_all(queued, ("S1", "S2"), c.at(1.0))
    events = c.core.take_events()
    assert {e.alerting_device for e in events if isinstance(e, ev.Delivered)} == {"S1", "S2"}
    assert c.phase("S1") is AgentPhase.OFFERED and c.phase("S2") is AgentPhase.OFFERED
    c.core.answer_call(ConnectionID(queued.call_id, "S2"), c.at(2.0))
    events = c.core.take_events()
    cleared = [e for e in events if isinstance(e, ev.ConnectionCleared)]
    assert [(e.dropped_connection.device_id, e.cause) for e in cleared] == [("S1", ev.EventCause.DISTRIBUTED)]
    assert c.phase("S2") is AgentPhase.ON_CALL
    assert c.phase("S1") is AgentPhase.READY  # withdrawn, not a ring-out (max_ring_outs=1)
    snap = {d for d, _, _ in c.core.snapshot_call(queued.call_id)}
    assert snap == {"T1", "S2"}


def test_ring_all_caller_hanging_up_stops_every_phone() -> None:
    c = Center()
    c.log_on("S1", "A1", "1234")
    c.log_on("S2", "A2")
    queued = c.queue_call()
    c.core.deflect_call_to_all(queued, ("S1", "S2"), c.at(1.0))
    c.core.far_end_released("T1", c.at(2.0))
    assert not c.core.calls()
    assert c.phase("S1") is AgentPhase.READY and c.phase("S2") is AgentPhase.READY


def test_ring_all_refuses_a_busy_or_non_station_destination_without_change() -> None:
    c = Center()
    queued = c.queue_call()
    c.core.make_call("S2", "S1", c.at(1.0))  # S2 busy, S1 ringing
    before = (c.core.snapshot_call(queued.call_id), c.core.take_events())
    with pytest.raises(CstaError):
        c.core.deflect_call_to_all(queued, ("S1",), c.at(2.0))
    with pytest.raises(CstaError):
        c.core.deflect_call_to_all(queued, ("Q2",), c.at(2.0))
    with pytest.raises(CstaError):
        c.core.deflect_call_to_all(queued, (), c.at(2.0))
    assert c.core.snapshot_call(queued.call_id) == before[0] and not c.core.take_events()


# -- feature codes dialled from the phone ---------------------------------------------------
def _featured_core() -> SwitchCore:
    from pycti.switch.dialplan import DialPlan

    plan = DialPlan.from_dict({
        "*61": {"feature": "agentLogon", "max": 16},
        "*62": "feature:agentLogoff",
        "*63": "feature:agentReady",
        "*64": {"feature": "agentNotReady", "max": 4},
        "8XXX": "station:S1",
    })
    core = SwitchCore(dial_plan=plan)
    for d, k in [("S1", DeviceKind.STATION), ("S2", DeviceKind.STATION), ("Q1", DeviceKind.QUEUE)]:
        core.add_device(d, k)
    core.add_agent(AgentConfig(agent_id="1001", password="4321", groups=("Q1",)))
    return core


def _dial(core: SwitchCore, station: str, digits: str, now: float) -> list[ev.CstaEvent]:
    core.line_offhook(station, now)
    for d in digits:
        core.digits_detected(station, d, now)
    return core.take_events()


def test_an_agent_logs_on_and_changes_state_from_the_phone() -> None:
    core = _featured_core()
    events = _dial(core, "S2", "*6110014321#", 1.0)
    assert any(isinstance(e, ev.AgentLoggedOn) and e.agent_id == "1001" for e in events)
    assert any(isinstance(e, ev.ConnectionCleared) for e in events)  # accepted: the line is released
    core.line_onhook("S2", 2.0)
    _dial(core, "S2", "*63", 3.0)
    assert core.get_agent_state("S2").phase is AgentPhase.READY
    core.line_onhook("S2", 4.0)
    _dial(core, "S2", "*6412#", 5.0)
    entry = core.get_agent_state("S2")
    assert entry.phase is AgentPhase.NOT_READY and entry.reason == "12"
    core.line_onhook("S2", 6.0)
    _dial(core, "S2", "*62", 7.0)
    assert core.get_agent_state("S2").logged_on is False


def test_a_refused_feature_fails_the_call_and_changes_nothing() -> None:
    core = _featured_core()
    events = _dial(core, "S2", "*6110019999#", 1.0)  # wrong password
    failed = [e for e in events if isinstance(e, ev.Failed)]
    assert failed and failed[0].cause is ev.EventCause.DEST_NOT_OBTAINABLE
    assert not [e for e in events if isinstance(e, ev.AgentEvent)]
    assert core.get_agent_state("S2").logged_on is False
    core.line_onhook("S2", 2.0)
    events = _dial(core, "S2", "*63", 3.0)  # ready while logged out
    assert [e for e in events if isinstance(e, ev.Failed)]


def test_feature_rules_are_checked() -> None:
    from pycti.switch.dialplan import DialPlan, DialPlanError, Feature, MatchStatus

    with pytest.raises(DialPlanError, match="unknown feature 'agentDance'"):
        DialPlan.from_dict({"*61": {"feature": "agentDance"}})
    with pytest.raises(DialPlanError, match="unknown field"):
        DialPlan.from_dict({"*61": {"feature": "agentLogon", "trunk": "T"}})
    with pytest.raises(DialPlanError, match="unknown destination kind|unknown feature"):
        DialPlan.from_dict({"*63": "feature:nap"})
    plan = DialPlan.from_dict({"*61": {"feature": "agentLogon", "max": 8}})
    assert plan.match("*61123").status is MatchStatus.INCOMPLETE  # more may follow
    done = plan.match("*61123#")
    assert done.status is MatchStatus.COMPLETE and done.destination == Feature("agentLogon", "123")
    assert plan.match("*61123", final=True).destination == Feature("agentLogon", "123")
