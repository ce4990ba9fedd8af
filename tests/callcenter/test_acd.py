"""The ACD over the Provider: logged-on ready agents only, ring-out back to the queue with the
caller's place kept, priorities, skills relaxing with the wait, and one caller's race never
stopping the others.  Callers are stations that dial the queue; time is virtual."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

import pycti
from pycti.callcenter.acd import Acd, AgentProfile, NotWaitingError, QueueConfig
from pycti.callcenter.strategies import Candidate, Choice, Strategy, rank
from pycti.demo.prompts import hold_music
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev
from pycti.switch.agent_states import RequestedAgentState as Req
from pycti.switch.agents import AgentRules

from ..local.conftest import next_event, ticks

AGENTS = (
    AgentProfile(agent_id="A1", skills={"QA": 3}),
    AgentProfile(agent_id="A2", skills={"QA": 8}),
)
# 8001, 8002: agents' stations; 8003-8005: callers
CFG = SwitchConfig(trunks=0, stations=5, routes=(), queues=("QA",),
                   agents=tuple(a.switch_agent() for a in AGENTS),
                   agent_rules=AgentRules(max_ring_outs=1))


async def _running(p: Any, acd: Acd) -> asyncio.Task[None]:
    task = asyncio.ensure_future(acd.run())
    await asyncio.sleep(0)
    return task


async def _ready(p: Any, station: str, agent: str) -> None:
    await p.set_agent_state(station, Req.LOGGED_ON, agent_id=agent)
    await p.set_agent_state(station, Req.READY)


async def test_no_agent_is_offered_a_call_before_logging_on_and_becoming_ready() -> None:
    async with pycti.open(CFG) as p:
        acd = Acd(p, ("QA",), AGENTS)
        task = await _running(p, acd)
        mon = p.monitor("8001")
        await p.make_call("8003", "QA")
        await ticks(p, 50)
        assert len(acd.queues["QA"].waiting) == 1  # nobody logged on: the call waits
        await p.set_agent_state("8001", Req.LOGGED_ON, agent_id="A1")
        await ticks(p, 50)
        assert len(acd.queues["QA"].waiting) == 1  # logged on, not ready yet
        await p.set_agent_state("8001", Req.READY)
        d = await next_event(mon, ev.Delivered)
        assert d.last_redirection_device == "QA"
        task.cancel()


async def test_a_caller_hanging_up_before_the_acd_sees_queued_stops_nobody() -> None:
    # the race: hold music for a caller already gone failed and killed acd.run()
    async with pycti.open(CFG) as p:
        acd = Acd(p, ("QA",), AGENTS, hold_audio=hold_music())
        task = await _running(p, acd)
        gone = await p.make_call("8003", "QA")
        await p.clear_connection(gone)  # before the ACD task has run at all
        await ticks(p, 5)
        assert not task.done()
        mon = p.monitor("8001")
        await _ready(p, "8001", "A1")
        await p.make_call("8004", "QA")
        d = await next_event(mon, ev.Delivered)
        assert d.calling_device == "8004" and not task.done()
        task.cancel()


async def test_ring_out_returns_the_call_to_its_place_and_to_another_agent() -> None:
    async with pycti.open(CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", offer_timeout_s=1.0),), AGENTS)
        task = await _running(p, acd)
        await p.make_call("8003", "QA")
        await ticks(p, 2)
        await p.make_call("8004", "QA")
        await ticks(p, 2)
        first = acd.queues["QA"].waiting[0].call_id
        mon1, mon2 = p.monitor("8001"), p.monitor("8002")
        await _ready(p, "8001", "A1")  # A1 lets it ring
        d = await next_event(mon1, ev.Delivered)
        assert d.connection.call_id == first
        await next_event(mon1, ev.Diverted)  # rung out after 1 s: back to the queue
        await ticks(p, 2)
        assert acd.position(first) == 1  # ahead of the later caller still
        assert (await p.get_agent_state("8001")).reason == "ringNoAnswer"  # max_ring_outs=1
        await _ready(p, "8002", "A2")
        d2 = await next_event(mon2, ev.Delivered)
        assert d2.connection.call_id == first
        await p.answer_call(d2.connection)
        await next_event(mon2, ev.Established)
        await ticks(p, 2)
        assert acd.agents["A2"].answered == 1 and first not in [w.call_id for w in acd.queues["QA"].waiting]
        task.cancel()


async def test_priority_moves_a_caller_to_the_front_at_once() -> None:
    async with pycti.open(CFG) as p:
        acd = Acd(p, ("QA",), AGENTS)
        task = await _running(p, acd)
        for caller in ("8003", "8004", "8005"):
            await p.make_call(caller, "QA")
            await ticks(p, 1)
        vip = acd.queues["QA"].waiting[2].call_id
        acd.set_priority(vip, 5)
        assert acd.position(vip) == 1
        mon = p.monitor("8001")
        await _ready(p, "8001", "A1")
        d = await next_event(mon, ev.Delivered)
        assert d.connection.call_id == vip
        task.cancel()


async def test_minimum_skill_relaxes_with_the_wait() -> None:
    async with pycti.open(CFG) as p:
        queue = QueueConfig(name="QA", min_skill_level=5, relax_skill=((3.0, 1),))
        acd = Acd(p, (queue,), AGENTS)
        task = await _running(p, acd)
        await _ready(p, "8001", "A1")  # level 3: not enough at first
        mon = p.monitor("8001")
        await p.make_call("8003", "QA")
        t0 = p.now()
        await ticks(p, 100)  # 2 s: still waiting
        assert len(acd.queues["QA"].waiting) == 1
        d = await next_event(mon, ev.Delivered)  # at 3 s the ACD looks again, by itself
        assert d.time - t0 >= 3.0
        task.cancel()


async def test_auto_answer_agent_is_connected_without_touching_the_phone() -> None:
    profiles = (AgentProfile(agent_id="A1", skills={"QA": 3}, auto_answer=True),)
    cfg = SwitchConfig(trunks=0, stations=3, routes=(), queues=("QA",),
                       agents=tuple(a.switch_agent() for a in profiles))
    async with pycti.open(cfg) as p:
        acd = Acd(p, ("QA",), profiles)
        task = await _running(p, acd)
        mon = p.monitor("8001")
        await _ready(p, "8001", "A1")
        await p.make_call("8003", "QA")
        e = await next_event(mon, ev.Established)
        assert e.answering_device == "8001"
        await ticks(p, 2)
        assert acd.agents["A1"].answered == 1
        task.cancel()


# -- strategies, deterministically ------------------------------------------------------------
def _cands() -> list[Candidate]:
    return [
        Candidate("a", 0, idle_since_s=30.0, calls=5, talk_s=100.0, skill_level=2, weight=1.0),
        Candidate("b", 1, idle_since_s=10.0, calls=9, talk_s=50.0, skill_level=9, weight=1.0),
        Candidate("c", 2, idle_since_s=20.0, calls=1, talk_s=400.0, skill_level=5, weight=8.0),
    ]


def _first(strategy: Strategy, **kw: Any) -> str:
    return rank(strategy, _cands(), Choice(random.Random(1), **kw))[0].agent_id


def test_each_strategy_picks_by_its_rule() -> None:
    assert _first(Strategy.LONGEST_IDLE) == "b"
    assert _first(Strategy.FEWEST_CALLS) == "c"
    assert _first(Strategy.LEAST_TALK_TIME) == "b"
    assert _first(Strategy.LINEAR) == "a"
    assert _first(Strategy.ROUND_ROBIN, last_offered_order=0) == "b"
    assert _first(Strategy.ROUND_ROBIN, last_offered_order=2) == "a"  # wraps round
    assert _first(Strategy.MOST_SKILLED) == "b"
    assert _first(Strategy.LAST_AGENT, last_agent="c") == "c"
    assert _first(Strategy.LAST_AGENT, last_agent="gone") == "b"  # falls back to longest idle


def test_random_strategies_follow_their_distribution() -> None:
    rng = random.Random(7)
    picks = {"a": 0, "b": 0, "c": 0}
    wpicks = dict(picks)
    for _ in range(2000):
        picks[rank(Strategy.RANDOM, _cands(), Choice(rng))[0].agent_id] += 1
        wpicks[rank(Strategy.WEIGHTED_RANDOM, _cands(), Choice(rng))[0].agent_id] += 1
    assert all(550 < n < 780 for n in picks.values())  # 1/3 each
    assert 1450 < wpicks["c"] < 1750  # weight 8 of 10
    assert rank(Strategy.RANDOM, _cands(), Choice(random.Random(3))) == rank(
        Strategy.RANDOM, _cands(), Choice(random.Random(3)))  # seeded: repeatable


def test_profiles_check_skill_levels() -> None:
    import pytest

    with pytest.raises(ValueError, match="1-10"):
        AgentProfile(agent_id="x", skills={"QA": 11})
    assert AgentProfile(agent_id="x", skills={"QA": 1, "QB": 10}).switch_agent().groups == ("QA", "QB")


# -- queue rules ---------------------------------------------------------------------------
RULES_CFG = SwitchConfig(trunks=1, stations=5, routes=("IVR",), queues=("QA", "QB"),
                         agents=tuple(a.switch_agent() for a in AGENTS))


async def test_max_length_overflows_to_another_queue() -> None:
    async with pycti.open(RULES_CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", max_length=1, overflow_to="QB"), "QB"), AGENTS)
        task = await _running(p, acd)
        qb = p.monitor("QB")
        await p.make_call("8003", "QA")
        await ticks(p, 2)
        await p.make_call("8004", "QA")  # QA is full
        q = await next_event(qb, ev.Queued)
        assert q.calling_device == "8004" and q.last_redirection_device == "QA"
        assert [o[3:] for o in acd.overflowed] == [("maxLength", "QB")]
        task.cancel()


async def test_max_wait_overflows_and_no_target_clears() -> None:
    async with pycti.open(RULES_CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", max_wait_s=2.0),), AGENTS)
        task = await _running(p, acd)
        mon = p.monitor("8003")
        await p.make_call("8003", "QA")
        cleared = await next_event(mon, ev.ConnectionCleared)
        assert cleared.time >= 2.0 and acd.overflowed[0][3:] == ("maxWait", None)
        task.cancel()


async def test_closed_queue_sends_callers_to_its_closed_destination() -> None:
    import datetime as dt

    from pycti.callcenter.queue_rules import OpeningHours

    hours = OpeningHours(weekly={d: (("08:00", "18:00"),) for d in range(5)},
                         holidays=frozenset({dt.date(2026, 12, 25)}))
    assert hours.is_open(dt.datetime(2026, 12, 4, 9, 30)) and not hours.is_open(dt.datetime(2026, 12, 4, 18, 0))
    assert not hours.is_open(dt.datetime(2026, 12, 5, 10, 0))  # Saturday
    assert not hours.is_open(dt.datetime(2026, 12, 25, 10, 0))  # holiday
    async with pycti.open(RULES_CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", hours=hours, closed_to="QB"), "QB"), AGENTS,
                  clock=lambda: dt.datetime(2026, 12, 25, 10, 0))
        task = await _running(p, acd)
        qb = p.monitor("QB")
        await p.make_call("8003", "QA")
        await next_event(qb, ev.Queued)
        assert acd.overflowed[0][3:] == ("closed", "QB")
        task.cancel()


async def test_join_empty_false_turns_callers_away_while_nobody_is_logged_on() -> None:
    async with pycti.open(RULES_CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", join_empty=False, overflow_to="QB"), "QB"), AGENTS)
        task = await _running(p, acd)
        qb = p.monitor("QB")
        await p.make_call("8003", "QA")
        await next_event(qb, ev.Queued)
        await p.set_agent_state("8001", Req.LOGGED_ON, agent_id="A1")  # not ready, but logged on
        await ticks(p, 2)
        await p.make_call("8004", "QA")
        await ticks(p, 5)
        assert [w.call_id for w in acd.queues["QA"].waiting] != [] and len(acd.overflowed) == 1
        task.cancel()


async def test_exit_key_pressed_by_a_real_caller_leaves_the_queue() -> None:
    from pycti.drivers.sim_ops import Speech, Silence, dtmf_ops

    from .test_ivr_acd import _ring

    async with pycti.open(RULES_CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", exit_keys={"9": "QB"}), "QB"), AGENTS)
        task = await _running(p, acd)
        ivr, qa, qb = p.monitor("IVR"), p.monitor("QA"), p.monitor("QB")
        p.driver.board.script(0, [_ring("555"), Silence(ms=6000), *dtmf_ops("9"), Speech(ms=20_000)])
        d = await next_event(ivr, ev.Delivered)
        await p.answer_call(d.connection)
        await p.single_step_transfer_call(d.connection, "QA")
        await next_event(qa, ev.Queued)
        q = await next_event(qb, ev.Queued)
        assert q.calling_device == "555" and acd.overflowed[0][3:] == ("exitKey", "QB")
        task.cancel()


async def test_announced_position_never_goes_back_and_wait_is_estimated() -> None:
    import numpy as np

    from pycti.callcenter.queue_rules import Announcement, Announcements

    heard: list[Announcement] = []

    def render(a: Announcement) -> np.ndarray:
        heard.append(a)
        return np.zeros(800, np.int16)  # 100 ms

    async with pycti.open(CFG) as p:
        queue = QueueConfig(name="QA", announcements=Announcements(render=render, first_after_s=1.0, every_s=1.0),
                            default_aht_s=120.0)
        acd = Acd(p, (queue,), AGENTS)
        task = await _running(p, acd)
        await p.make_call("8003", "QA")
        await ticks(p, 1)
        await p.make_call("8004", "QA")
        await ticks(p, 80)
        second = acd.queues["QA"].waiting[1].call_id
        await p.make_call("8005", "QA")
        await ticks(p, 2)
        acd.set_priority(acd.queues["QA"].waiting[2].call_id, 9)  # jumps ahead of both
        await ticks(p, 150)
        mine = [a.position for a in heard if a.call_id == second]
        assert mine and mine[0] == 2 and all(x == 2 for x in mine)  # now 3rd, still told 2nd
        assert acd.position(second) == 3
        first_told = next(a for a in heard if a.call_id == second)
        assert first_told.estimated_wait_s is None  # nobody serves the queue: no estimate to give
        with pytest.raises(NotWaitingError, match="'nope' is not waiting"):
            acd.estimated_wait_s("nope")
        task.cancel()


async def test_ring_all_rings_every_ready_agent_and_the_first_answer_wins() -> None:
    async with pycti.open(CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", strategy=Strategy.RING_ALL, offer_timeout_s=2.0),), AGENTS)
        task = await _running(p, acd)
        mon1, mon2 = p.monitor("8001"), p.monitor("8002")
        await _ready(p, "8001", "A1")
        await _ready(p, "8002", "A2")
        await p.make_call("8003", "QA")
        d1 = await next_event(mon1, ev.Delivered)
        d2 = await next_event(mon2, ev.Delivered)
        assert d1.connection.call_id == d2.connection.call_id
        await p.answer_call(d2.connection)
        gone = await next_event(mon1, ev.ConnectionCleared)
        assert gone.cause is ev.EventCause.DISTRIBUTED
        await ticks(p, 5)
        assert acd.agents["A2"].answered == 1 and acd.agents["A1"].answered == 0
        assert (await p.get_agent_state("8001")).reason is None  # not counted as a ring-out
        assert acd.agents["A1"].ready and not acd.abandoned
        task.cancel()


async def test_ring_all_unanswered_comes_back_to_the_queue() -> None:
    rules = SwitchConfig(trunks=0, stations=5, routes=(), queues=("QA",),
                         agents=tuple(a.switch_agent() for a in AGENTS))
    async with pycti.open(rules) as p:
        acd = Acd(p, (QueueConfig(name="QA", strategy=Strategy.RING_ALL, offer_timeout_s=1.0),), AGENTS)
        task = await _running(p, acd)
        qa = p.monitor("QA")
        await _ready(p, "8001", "A1")
        await _ready(p, "8002", "A2")
        await p.make_call("8003", "QA")
        await next_event(qa, ev.Queued)
        back = await next_event(qa, ev.Queued)  # rung out at both: queued again
        assert back.time >= 1.0
        await ticks(p, 3)
        (w,) = acd.queues["QA"].waiting
        assert w.rang_out == {"A1", "A2"} and w.offered_to is None
        task.cancel()


async def test_callback_keeps_the_place_in_line_and_the_agent_calls_back() -> None:
    from pycti.drivers.sim_ops import Silence, Speech, callee_answers, dtmf_ops

    from .test_ivr_acd import _ring

    cfg = SwitchConfig(trunks=2, stations=2, routes=("IVR",), queues=("QA",),
                       agents=tuple(a.switch_agent() for a in AGENTS))
    async with pycti.open(cfg) as p:
        acd = Acd(p, (QueueConfig(name="QA", callback_key="*"),), AGENTS)
        task = await _running(p, acd)
        ivr, qa = p.monitor("IVR"), p.monitor("QA")
        board = p.driver.board
        board.route_outbound("5550001", callee_answers(1, [Speech(ms=20_000)]))
        board.script(0, [_ring("5550001"), Silence(ms=4000), *dtmf_ops("*"), Silence(ms=60_000)])
        d = await next_event(ivr, ev.Delivered)
        await p.answer_call(d.connection)
        await p.single_step_transfer_call(d.connection, "QA")
        await next_event(qa, ev.Queued)
        board.script(1, [_ring("5550002"), Speech(ms=120_000)])
        d2 = await next_event(ivr, ev.Delivered)
        await p.answer_call(d2.connection)
        await p.single_step_transfer_call(d2.connection, "QA")
        await next_event(qa, ev.Queued)
        await next_event(qa, ev.ConnectionCleared)  # the first caller keyed * and was released
        assert [(n, q) for _, n, q in acd.callbacks] == [("5550001", "QA")]
        first = acd.queues["QA"].waiting[0]
        assert first.callback == "5550001" and len(acd.queues["QA"].waiting) == 2
        mon = p.monitor("8001")
        await _ready(p, "8001", "A1")
        e = await next_event(mon, ev.Established, lambda e: e.answering_device != "8001")
        assert e.called_device == "5550001"  # the agent's phone called the first caller back
        assert acd.called_back[0][1:3] == ("5550001", "A1")
        assert [w.caller for w in acd.queues["QA"].waiting] == ["5550002"]  # still in line
        task.cancel()


async def test_ring_progressively_adds_a_phone_each_step_and_the_first_answer_wins() -> None:
    three = (*AGENTS, AgentProfile(agent_id="A3", skills={"QA": 1}))
    cfg = SwitchConfig(trunks=0, stations=5, routes=(), queues=("QA",),
                       agents=tuple(a.switch_agent() for a in three))
    async with pycti.open(cfg) as p:
        queue = QueueConfig(name="QA", strategy=Strategy.RING_PROGRESSIVELY, progressive_step_s=2.0,
                            offer_timeout_s=30.0)
        acd = Acd(p, (queue,), three)
        task = await _running(p, acd)
        mons = {s: p.monitor(s) for s in ("8001", "8002", "8003")}
        for station, agent in (("8001", "A1"), ("8002", "A2"), ("8003", "A3")):
            await _ready(p, station, agent)
            await ticks(p, 1)
        await p.make_call("8005", "QA")
        first = await next_event(mons["8001"], ev.Delivered)  # longest idle first
        second = await next_event(mons["8002"], ev.Delivered)
        third = await next_event(mons["8003"], ev.Delivered)
        assert 1.9 <= second.time - first.time <= 2.2 and 1.9 <= third.time - second.time <= 2.2
        await p.answer_call(second.connection)
        for station in ("8001", "8003"):
            gone = await next_event(mons[station], ev.ConnectionCleared)
            assert gone.cause is ev.EventCause.DISTRIBUTED
        await ticks(p, 3)
        assert acd.agents["A2"].answered == 1 and acd.agents["A1"].ready and acd.agents["A3"].ready
        task.cancel()


async def test_last_agent_gets_the_caller_back_and_unavailable_agents_are_passed_over() -> None:
    async with pycti.open(CFG) as p:
        acd = Acd(p, (QueueConfig(name="QA", strategy=Strategy.LAST_AGENT),), AGENTS)
        task = await _running(p, acd)
        mon1, mon2 = p.monitor("8001"), p.monitor("8002")
        await _ready(p, "8002", "A2")  # A2 ready first: the longest idle
        await ticks(p, 5)
        await _ready(p, "8001", "A1")
        await p.set_agent_state("8002", Req.NOT_READY, reason="break")  # A2 away: A1 takes the first call
        first = await p.make_call("8004", "QA")
        d = await next_event(mon1, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon1, ev.Established)
        await p.clear_connection(first)  # answer then hang-up
        await next_event(mon1, ev.ConnectionCleared)
        await p.set_agent_state("8002", Req.READY)
        await ticks(p, 10)  # A1 back from (zero) wrap-up; A2 ready too, A1 idle for less time
        await p.make_call("8004", "QA")  # the same caller again
        d2 = await next_event(mon1, ev.Delivered)
        assert d2.calling_device == "8004" and not [e for e in _drain(mon2) if isinstance(e, ev.Delivered)]
        task.cancel()


def _drain(stream: Any) -> list[Any]:
    out = []
    while (item := stream.get_nowait()) is not None:
        out.append(item)
    return out


async def test_an_agent_offered_a_caller_who_just_hung_up_stays_available() -> None:
    # the agent becomes ready and the caller hangs up in the same moment: the offer fails
    # (the call is gone) and the agent must still get the next call
    async with pycti.open(CFG) as p:
        acd = Acd(p, ("QA",), AGENTS)
        task = await _running(p, acd)
        await p.set_agent_state("8001", Req.LOGGED_ON, agent_id="A1")
        gone = await p.make_call("8003", "QA")
        await ticks(p, 2)
        await p.set_agent_state("8001", Req.READY)  # the ACD sees this first ...
        await p.clear_connection(gone)  # ... and this after its offer already failed
        await ticks(p, 5)
        mon = p.monitor("8001")
        await p.make_call("8004", "QA")
        d = await next_event(mon, ev.Delivered)
        assert d.calling_device == "8004"
        task.cancel()


async def test_estimated_wait_counts_the_agents_serving_the_queue_and_those_free() -> None:
    """EWT = max(0, position - free) x AHT / serving: agents on calls serve the queue, an agent
    with a break pending after the call does not, nor one on a break; no one serving: None."""
    queue = QueueConfig(name="QA", default_aht_s=120.0)
    async with pycti.open(CFG) as p:
        acd = Acd(p, (queue,), AGENTS)
        task = await _running(p, acd)
        for station, agent in (("8001", "A1"), ("8002", "A2")):
            mon = p.monitor(station)
            await _ready(p, station, agent)
            await p.make_call("8003" if agent == "A1" else "8004", "QA")
            await p.answer_call((await next_event(mon, ev.Delivered)).connection)
        await ticks(p, 5)
        await p.make_call("8005", "QA")
        await ticks(p, 5)
        waiting = acd.queues["QA"].waiting[0].call_id
        assert acd.position(waiting) == 1
        assert acd.estimated_wait_s(waiting) == 120.0 / 2  # both agents busy, no call ended yet
        assert await p.set_agent_state("8002", Req.NOT_READY, reason="lunch") is not None  # pending
        await ticks(p, 2)
        assert acd.estimated_wait_s(waiting) == 120.0 / 1  # A2 leaves after this call
        await p.set_agent_state("8001", Req.NOT_READY, reason="lunch")
        await ticks(p, 2)
        assert acd.estimated_wait_s(waiting) is None  # nobody will free up for the queue
        task.cancel()


async def test_average_handle_time_is_talk_plus_the_wrap_up_that_followed() -> None:
    """AHT over the ended calls: 6 s of talk, then the agent's 4 s wrap-up -> 10 s; a call in
    progress does not count yet, and its wrap-up is added when it ends."""
    agents = (AgentProfile(agent_id="A1", skills={"QA": 3}, wrap_up_ms=4000),)
    cfg = SwitchConfig(trunks=0, stations=3, routes=(), queues=("QA",),
                       agents=tuple(a.switch_agent() for a in agents))
    async with pycti.open(cfg) as p:
        acd = Acd(p, (QueueConfig(name="QA", default_aht_s=99.0),), agents)
        task = await _running(p, acd)
        mon = p.monitor("8001")
        await _ready(p, "8001", "A1")
        caller = await p.make_call("8002", "QA")
        await p.answer_call((await next_event(mon, ev.Delivered)).connection)
        await p.sleep(6.0)
        assert acd.aht_s("QA") == 99.0  # in progress: the prior still
        await p.clear_connection(caller)
        await next_event(mon, ev.AgentWorkingAfterCall)
        assert acd.aht_s("QA") == 6.0  # the talk is known; the wrap-up is under way
        await next_event(mon, ev.AgentReady)
        assert 9.9 <= acd.aht_s("QA") <= 10.1  # 6 s talk + 4 s wrap-up, to a tick
        task.cancel()
