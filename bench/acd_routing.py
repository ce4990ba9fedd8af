"""Cost of one ACD routing decision: 10,000 logged-on agents, 50 skills, 1,000 queued calls.

Issue "Call-center layer" target: under 100 us per decision (median).

The state is a real :class:`~pycti.callcenter.acd.Acd` (its agent views and queues filled in as
its agent events would leave them) and, beside it, a
:class:`~pycti.callcenter.routing_index.RoutingIndex` holding the same ready agents.  Each agent
has 1-4 of the 50 skills (levels 1-10); each queue asks a minimum level of 1-4; 1,000 calls wait,
spread over the queues.  Then, ``--decisions`` times: one decision is timed both ways on the
same state --

* **indexed**: :func:`pycti.callcenter.routing_index.next_offer`;
* **scan**: ``Acd._next_offer(now, scan_all=True)``, the ACD's linear scan (its reference; the
  ACD itself now routes the indexed strategies with this index) (every waiting call looked at in turn,
  each with a pass over all 10,000 agents and ``strategies.rank``) -- timed on the first
  ``--scan-decisions`` decisions only, as it is slow;
* **one-call scan**: for the chosen call, the candidate pass and ``rank`` alone (the cost of
  picking the agent by a linear scan, without the search for a call);

-- the two answers are checked to be the same (call and agent), the agent is taken out of the
ready set and the call out of its queue, and the traffic moves on: a new call joins a random
queue and a random busy agent becomes ready again, so about ``--ready`` agents stay ready.

    python bench/acd_routing.py [--agents 10000] [--skills 50] [--calls 1000] [--ready 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from pycti.callcenter.acd import Acd, AgentProfile, QueueConfig, WaitingCall
from pycti.callcenter.routing_index import ReadyAgent, RoutingIndex, next_offer
from pycti.callcenter.strategies import Choice, Strategy, rank
from pycti.local.config import SwitchConfig
from pycti.local.provider import LocalProvider
from pycti.switch.ids import ConnectionID


def build(agents: int, skills: int, calls: int, ready: int, strategy: Strategy, seed: int
          ) -> tuple[Acd, RoutingIndex, random.Random]:
    rng = random.Random(seed)
    names = [f"Q{k:02d}" for k in range(skills)]
    queues = [QueueConfig(name=q, strategy=strategy, min_skill_level=rng.randint(1, 4)) for q in names]
    profiles = [AgentProfile(agent_id=f"A{k:05d}", skills={q: rng.randint(1, 10) for q in rng.sample(names, rng.randint(1, 4))})
                for k in range(agents)]
    provider = LocalProvider(SwitchConfig(trunks=0, stations=1, routes=()))  # never opened: no calls made
    acd = Acd(provider, queues, profiles, seed=seed)
    index = RoutingIndex({q.name: strategy for q in queues})
    for k, view in enumerate(acd.agents.values()):  # all logged on at their own station
        view.station, view.groups = f"S{k:05d}", frozenset(view.profile.skills)
    for view in rng.sample(list(acd.agents.values()), ready):
        _make_ready(acd, index, view.profile.agent_id, rng.uniform(0.0, 100.0))
    for k in range(calls):
        _arrive(acd, rng, k, 100.0 + k * 0.01)
    return acd, index, rng


def _make_ready(acd: Acd, index: RoutingIndex, agent_id: str, now: float) -> None:
    v = acd.agents[agent_id]
    v.idle_since_s = now
    v.ready = True  # (the ACD's own index follows; the bench's index is told here)
    index.add(ReadyAgent(agent_id, v.order, now, v.answered, v.talk_s, {q: v.profile.skills[q] for q in v.groups}))


def _arrive(acd: Acd, rng: random.Random, k: int, now: float) -> None:
    q = acd.queues[rng.choice(list(acd.queues))]
    w = WaitingCall(f"C{k}", ConnectionID(f"C{k}", q.config.name), q.config.name, now, k, f"1{k:09d}")
    q.waiting.append(w)  # arrivals come in time order: the list stays sorted by key


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="ACD routing decision cost, indexed vs linear scan")
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--skills", type=int, default=50)
    ap.add_argument("--calls", type=int, default=1_000)
    ap.add_argument("--ready", type=int, default=200)
    ap.add_argument("--decisions", type=int, default=2_000)
    ap.add_argument("--scan-decisions", type=int, default=20)
    ap.add_argument("--strategy", default="LONGEST_IDLE", choices=[s.name for s in Strategy])
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    strategy = Strategy[args.strategy]
    acd, index, rng = build(args.agents, args.skills, args.calls, args.ready, strategy, args.seed)
    cfgs = {name: q.config for name, q in acd.queues.items()}

    def level_of(queue: str, w: WaitingCall) -> int:
        return cfgs[queue].min_level(now - w.enqueued_s)

    indexed_ns: list[int] = []
    scan_ns: list[int] = []
    one_call_ns: list[int] = []
    now = 200.0
    next_call = args.calls
    found = 0
    for d in range(args.decisions):
        lists = [(name, q.waiting) for name, q in acd.queues.items()]
        t0 = time.perf_counter_ns()
        got = next_offer(index, lists, level_of, lambda w: acd._last_agent.get(w.caller or ""))
        indexed_ns.append(time.perf_counter_ns() - t0)
        if d < args.scan_decisions:
            t0 = time.perf_counter_ns()
            ref = acd._next_offer(now, scan_all=True)
            scan_ns.append(time.perf_counter_ns() - t0)
            # (the ACD returns the agents to offer to: a list, of one but for RING_ALL)
            ref_agent = None if ref is None else (ref[2][0] if isinstance(ref[2], list) else ref[2]).profile.agent_id
            same = (ref is None and got is None) or (ref is not None and got is not None and ref[1] is got[1]
                                                     and ref_agent == got[2])
            if not same:
                raise SystemExit(f"decision {d}: index chose {got and (got[1].call_id, got[2])}, "
                                 f"scan chose {ref and (ref[1].call_id, ref_agent)}")
        if got is not None:
            name, w, agent_id = got
            q = acd.queues[name]
            t0 = time.perf_counter_ns()
            cands = acd._candidates(q, w, now)
            rank(q.config.strategy, cands, Choice(acd._rng, q.last_offered_order, None))
            one_call_ns.append(time.perf_counter_ns() - t0)
            found += 1
            acd.agents[agent_id].ready = False  # offered: busy now
            index.discard(agent_id)
            q.waiting.remove(w)
        _arrive(acd, rng, next_call, now)
        next_call += 1
        busy = [a for a in rng.sample(list(acd.agents), 8) if not acd.agents[a].ready]
        if busy and len(index) < args.ready:
            _make_ready(acd, index, busy[0], now)
        now += 0.05

    def us(ns: list[int]) -> str:
        return f"median {statistics.median(ns) / 1000:.1f} us, p90 {sorted(ns)[int(0.9 * len(ns))] / 1000:.1f} us"

    print(f"{args.agents} agents logged on, {args.skills} skills, {args.calls} calls queued, "
          f"~{args.ready} ready, strategy {strategy.name}; {found} of {args.decisions} decisions found a pair")
    print(f"  indexed (routing_index.next_offer): {us(indexed_ns)}  [{len(indexed_ns)} decisions]")
    print(f"  Acd linear scan (scan_all=True):    {us(scan_ns)}  [{len(scan_ns)} decisions, same answers]")
    print(f"  one-call linear scan + rank:        {us(one_call_ns)}  [{len(one_call_ns)} decisions]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
