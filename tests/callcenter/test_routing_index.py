"""The routing index picks the same agent as the strategies' rank() over a linear scan of the
candidates, on random histories of agents becoming ready and busy, for every indexed strategy."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.callcenter.routing_index import INDEXED_STRATEGIES, ReadyAgent, RoutingIndex, RoutingIndexError
from pycti.callcenter.strategies import Candidate, Choice, Strategy, rank

QUEUES = ("Q1", "Q2", "Q3")

# one step of a history: (kind, agent number, queue number, level, exclusion mask, time step)
_step = st.tuples(st.sampled_from(("ready", "ready", "busy", "ask")), st.integers(0, 11), st.integers(0, 2),
                  st.integers(1, 10), st.integers(0, (1 << 12) - 1), st.sampled_from((0.0, 0.0, 1.0, 2.5)))


def _skills(seed: int, n: int) -> list[dict[str, int]]:
    rng = random.Random(seed)
    return [{q: rng.randint(1, 10) for q in QUEUES if rng.random() < 0.7} for _ in range(n)]


def _scan(model: dict[str, ReadyAgent], queue: str, level: int, excluded: set[str], strategy: Strategy,
          last: str | None) -> str | None:
    """The ACD's way: every ready agent checked, the candidates ranked by the strategy."""
    cands = [Candidate(a.agent_id, a.order, a.idle_since_s, a.calls, a.talk_s, a.levels[queue])
             for a in model.values()
             if queue in a.levels and a.levels[queue] >= level and a.agent_id not in excluded]
    if not cands:
        return None
    return rank(strategy, cands, Choice(random.Random(0), last_agent=last))[0].agent_id


@settings(max_examples=150, deadline=None)
@given(strategy=st.sampled_from(sorted(INDEXED_STRATEGIES, key=lambda s: s.value)), seed=st.integers(0, 10_000),
       history=st.lists(_step, min_size=1, max_size=120))
def test_index_answers_as_rank_over_a_scan(strategy: Strategy, seed: int,
                                           history: list[tuple[str, int, int, int, int, float]]) -> None:
    skills = _skills(seed, 12)
    ids = [f"A{k:02d}" for k in range(12)]
    index = RoutingIndex({q: strategy for q in QUEUES})
    model: dict[str, ReadyAgent] = {}
    calls = [0] * 12
    now = 0.0
    asked = 0
    for kind, k, qn, level, mask, dt_s in history:
        now += dt_s  # ties in idle time happen (dt 0): broken by the configured order
        if kind == "ready":
            calls[k] += seed % 3
            agent = ReadyAgent(ids[k], k, now, calls[k], 7.5 * calls[k] + (k * seed) % 5, skills[k])
            index.add(agent)
            model[ids[k]] = agent
        elif kind == "busy":
            index.discard(ids[k])
            model.pop(ids[k], None)
        else:
            excluded = {ids[j] for j in range(12) if mask >> j & 1 and j % 3 == 0}
            last = ids[k]
            got = index.best(QUEUES[qn], min_level=level, exclude=excluded, last_agent=last)
            assert got == _scan(model, QUEUES[qn], level, excluded, strategy, last)
            asked += 1
        assert len(index) == len(model)
        assert index.has_ready(QUEUES[qn], level) == any(
            QUEUES[qn] in a.levels and a.levels[QUEUES[qn]] >= level for a in model.values())
    # the history always ends with everyone's answer checked once more
    for q in QUEUES:
        for level in (1, 5, 10):
            assert index.best(q, min_level=level) == _scan(model, q, level, set(), strategy, None)


def test_stale_entries_are_compacted_and_answers_stay_right() -> None:
    index = RoutingIndex({"Q": Strategy.LONGEST_IDLE})
    for t in range(5000):  # one agent flapping ready/busy, another always ready
        index.add(ReadyAgent("flap", 1, float(t), 0, 0.0, {"Q": 5}))
        index.discard("flap")
    index.add(ReadyAgent("steady", 2, 10_000.0, 0, 0.0, {"Q": 5}))
    heap = index._queues["Q"].heaps[5]  # the heap did not keep 5000 stale entries
    assert len(heap) < 100
    assert index.best("Q") == "steady"
    index.add(ReadyAgent("flap", 1, 10_001.0, 0, 0.0, {"Q": 5}))
    assert index.best("Q") == "steady" and index.best("Q", exclude={"steady"}) == "flap"


def test_strategies_that_depend_on_more_than_the_agent_are_refused() -> None:
    for s in (Strategy.ROUND_ROBIN, Strategy.RANDOM, Strategy.WEIGHTED_RANDOM):
        with pytest.raises(RoutingIndexError, match=s.name):
            RoutingIndex({"Q": s})
    index = RoutingIndex({"Q": Strategy.MOST_SKILLED})
    with pytest.raises(RoutingIndexError, match="11"):
        index.add(ReadyAgent("A", 0, 0.0, 0, 0.0, {"Q": 11}))
    with pytest.raises(RoutingIndexError, match="'NOPE'"):
        index.best("NOPE")


@pytest.mark.parametrize("strategy", [Strategy.LONGEST_IDLE, Strategy.MOST_SKILLED, Strategy.FEWEST_CALLS,
                                      Strategy.LAST_AGENT])
def test_next_offer_chooses_as_the_acd_does(strategy: Strategy) -> None:
    """Across queues, priorities, skill minimums relaxing with the wait and ring-outs: the
    indexed choice of call and agent is the ACD's own (``Acd._next_offer``, a linear scan)."""
    from pycti.callcenter.acd import Acd, AgentProfile, QueueConfig, WaitingCall
    from pycti.callcenter.routing_index import next_offer
    from pycti.local.config import SwitchConfig
    from pycti.local.provider import LocalProvider
    from pycti.switch.ids import ConnectionID

    rng = random.Random(strategy.value)
    names = ["Q0", "Q1", "Q2", "Q3"]
    queues = [QueueConfig(name=q, strategy=strategy, min_skill_level=rng.randint(1, 6), relax_skill=((5.0, 1),))
              for q in names]
    profiles = [AgentProfile(agent_id=f"A{k:03d}", skills={q: rng.randint(1, 10) for q in rng.sample(names, rng.randint(1, 3))})
                for k in range(120)]
    acd = Acd(LocalProvider(SwitchConfig(trunks=0, stations=1, routes=())), queues, profiles)  # never opened
    cfgs = {q.name: q for q in queues}
    index = RoutingIndex({q: strategy for q in names})
    for k, view in enumerate(acd.agents.values()):
        view.station, view.groups = f"S{k}", frozenset(view.profile.skills)
        view.answered = rng.randint(0, 3)
    now = 0.0

    def ready(agent_id: str) -> None:
        v = acd.agents[agent_id]
        v.idle_since_s = now
        v.ready = True
        index.add(ReadyAgent(agent_id, v.order, now, v.answered, v.talk_s, dict(v.profile.skills)))

    for agent_id in rng.sample(list(acd.agents), 15):
        ready(agent_id)
    calls = 0
    compared = 0
    for _ in range(300):
        now += rng.choice((0.0, 0.5, 2.0))
        if rng.random() < 0.6:  # a call arrives, sometimes with priority or a past agent
            name = rng.choice(names)
            caller = f"9{rng.randint(0, 20)}"
            w = WaitingCall(f"C{calls}", ConnectionID(f"C{calls}", name), name, now, calls, caller,
                            priority=rng.choice((0, 0, 0, 2)))
            w.rang_out.update(rng.sample(list(acd.agents), 3))
            acd._last_agent[caller] = rng.choice(list(acd.agents))
            acd.queues[name].waiting.append(w)
            acd.queues[name].waiting.sort(key=WaitingCall.key)
            calls += 1
        if rng.random() < 0.5:
            ready(rng.choice([a for a, v in acd.agents.items() if not v.ready]))
        ref = acd._next_offer(now, scan_all=True)  # the scan, beside the ACD's own index
        assert acd._next_offer(now) == ref
        got = next_offer(index, [(n, acd.queues[n].waiting) for n in names],
                         lambda n, w: cfgs[n].min_level(now - w.enqueued_s),
                         lambda w: acd._last_agent.get(w.caller or ""))
        if ref is None:
            assert got is None
            continue
        agents = ref[2] if isinstance(ref[2], list) else [ref[2]]
        assert got is not None and got[1] is ref[1] and got[2] == agents[0].profile.agent_id
        compared += 1
        acd.agents[got[2]].ready = False  # offered
        index.discard(got[2])
        acd.queues[got[0]].waiting.remove(got[1])
    assert compared > 50
