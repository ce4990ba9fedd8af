"""M/M/n(+M) traffic through the switch and the ACD, in virtual time, for checks against Erlang.

:func:`run_traffic` builds a local switch on the simulated board with ``agents`` agent stations
and a pool of caller stations, runs the real :class:`~pycti.callcenter.acd.Acd` on one queue,
and drives it only through the Provider API, as people at phones would:

* callers arrive as a Poisson process (exponential gaps, rate ``arrival_rate_per_s``); each
  takes a free caller station and dials the queue (MakeCall); one who finds every caller
  station busy is counted as blocked (size the pool so that this does not happen);
* a caller with a patience (exponential, mean ``mean_patience_s``) who is not answered in that
  time hangs up (ClearConnection), in queue or while an agent's phone rings;
* agents log on and become ready (SetAgentState); an agent answers an offered call at once
  (AnswerCall) and hangs up (ClearConnection) after the call's talk time (exponential, mean
  ``mean_talk_s``); with no wrap-up the switch makes the agent ready again and the ACD, which
  follows the agent events, offers the next call.

Every draw comes from one seeded generator, per call (gap, patience, talk), so a seed fixes the
traffic whatever the routing does.  The wait of a call runs from its MakeCall to the agent's
AnswerCall (the switch's Established bears the same time); with a tick of ``tick_ms`` every event lands on a
tick, so waits and talk times carry up to one tick of rounding each (tens of ms against
tens of seconds of talk).

:func:`reference_outcomes` puts the same draws through an ideal first-come-first-served
n-server queue in continuous time (the Kiefer-Wolfowitz recursion; Kiefer and Wolfowitz, "On
the theory of queues with many servers", *Trans. AMS* 78, 1955), so a run can be compared
call by call with what the queue model says for that very sample path.

:func:`batch_means` turns per-call figures into a mean and a 95 % confidence half-width by
the method of batch means (Law and Kelton, *Simulation Modeling and Analysis*, sec. 9.5.3):
the calls after the warm-up are cut into ``batches`` consecutive groups in arrival order, and
the group means are treated as independent normal samples (Student t with batches - 1 degrees
of freedom).

``on_queued`` (of :func:`run_traffic`) samples the ACD as each call arrives: it is called with
the ACD, the call id and the time right after the ACD has handled the call's first Queued
event and before it routes anything, so that, e.g., ``acd.estimated_wait_s(call_id)`` is the
estimated wait the ACD would announce to that caller at its arrival; each
:class:`CallOutcome` carries its call id to match the samples with the waits.
:func:`sample_arrival` is such a sampler's body (:class:`ArrivalSample`), and beside the ACD's
own estimate two wait predictors from the literature are provided to check it against:
:func:`mmn_wait_s`, the M/M/n conditional mean wait given the state at arrival,
max(0, position - idle) x AHT / N (with all N agents busy on exponential talk times the
departures are a Poisson process of rate N/AHT, so the wait is Erlang(position, N/AHT), the
queue-length predictor of Whitt, "Predicting queueing delays", *Management Science* 45(6),
1999; the ACD announces it, computed from what it knows, so on homogeneous agents the two
agree), and
:func:`last_entered_wait_s`, the wait of the last caller to have been answered (the
last-to-enter-service predictor of Ibrahim and Whitt, "Real-time delay estimation based on
delay history", *MSOM* 11(3), 2009); :func:`error_stats` gives bias, mean absolute and RMS
error.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from ..errors import CstaError, PyctiError
from ..local.config import SwitchConfig
from ..local.provider import LocalProvider
from ..switch import events as ev
from ..switch.agent_states import RequestedAgentState
from ..switch.ids import ConnectionID
from ..callcenter.acd import Acd, AgentProfile
from ..callcenter.queue_rules import QueueConfig
from ..callcenter.strategies import Strategy

__all__ = ["TrafficConfig", "CallOutcome", "TrafficResult", "Estimate", "SimulationError", "QueuedHook",
           "run_traffic", "simulate", "ArrivalSample", "sample_arrival", "mmn_wait_s",
           "last_entered_wait_s", "ErrorStats", "error_stats", "draw_traffic", "reference_outcomes", "batch_means", "asa_s", "service_level", "abandon_rate", "mean_talk_s"]


class SimulationError(PyctiError, ValueError):
    """A traffic configuration that cannot be simulated, or a run that did not finish."""


#: ``on_queued(acd, call_id, now_s)``: see the module docstring
QueuedHook = Callable[[Acd, str, float], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficConfig:
    """An M/M/n (``mean_patience_s`` None) or M/M/n+M queue to drive through the switch."""

    agents: int
    arrival_rate_per_s: float
    mean_talk_s: float
    calls: int
    mean_patience_s: float | None = None
    seed: int = 0
    tick_ms: int = 100
    caller_stations: int | None = None  #: size of the callers' pool (None: chosen from the load)
    queue: str = "Q"
    strategy: Strategy = Strategy.LONGEST_IDLE
    max_virtual_s: float | None = None  #: guard (None: 50 x the expected span of the arrivals)

    def __post_init__(self) -> None:
        if self.agents < 1:
            raise SimulationError(f"agents must be >= 1, got {self.agents!r}")
        if self.calls < 1:
            raise SimulationError(f"calls must be >= 1, got {self.calls!r}")
        for name in ("arrival_rate_per_s", "mean_talk_s"):
            v = getattr(self, name)
            if not math.isfinite(v) or v <= 0:
                raise SimulationError(f"{name} must be a finite number > 0, got {v!r}")
        if self.mean_patience_s is not None and (not math.isfinite(self.mean_patience_s) or self.mean_patience_s <= 0):
            raise SimulationError(f"mean_patience_s must be > 0 or None, got {self.mean_patience_s!r}")
        if self.caller_stations is not None and self.caller_stations < 1:
            raise SimulationError(f"caller_stations must be >= 1, got {self.caller_stations!r}")

    @property
    def load_erlangs(self) -> float:
        return self.arrival_rate_per_s * self.mean_talk_s

    def pool_size(self) -> int:
        """Caller stations: the given number, else twice the agents plus 20 (room for the queue)."""
        if self.caller_stations is not None:
            return self.caller_stations
        return 2 * self.agents + 20


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """One call, in arrival order; times in virtual seconds."""

    index: int
    arrival_s: float
    answered_s: float | None  #: the agent's AnswerCall (None: abandoned or blocked)
    ended_s: float
    blocked: bool = False  #: no free caller station
    call_id: str | None = None  #: the switch's call id (None: blocked, or the ideal queue's)

    @property
    def wait_s(self) -> float | None:
        return None if self.answered_s is None else self.answered_s - self.arrival_s


@dataclass(frozen=True, slots=True)
class TrafficResult:
    """The calls of a run and what it cost."""

    config: TrafficConfig
    calls: tuple[CallOutcome, ...]
    virtual_s: float
    cpu_s: float
    acd_errors: tuple[str, ...]
    answer_races: int  #: answers the switch refused because the caller had just hung up


@dataclass(frozen=True, slots=True)
class Estimate:
    """A batch-means estimate: mean and 95 % half-width."""

    mean: float
    half_width: float
    batches: int

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies within the confidence interval."""
        return abs(value - self.mean) <= self.half_width


def _waits(calls: Sequence[CallOutcome]) -> list[float]:
    return [c.wait_s for c in calls if c.wait_s is not None]


def asa_s(calls: Sequence[CallOutcome]) -> float:
    """Average speed of answer: the mean wait of the answered calls (0 when none)."""
    w = _waits(calls)
    return sum(w) / len(w) if w else 0.0


def service_level(calls: Sequence[CallOutcome], t_s: float) -> float:
    """Calls answered within ``t_s`` / calls answered (as :mod:`pycti.callcenter.stats`)."""
    w = _waits(calls)
    return sum(x <= t_s for x in w) / len(w) if w else 0.0


def abandon_rate(calls: Sequence[CallOutcome]) -> float:
    """Calls not answered (hung up first, or blocked) / calls."""
    return sum(c.answered_s is None for c in calls) / len(calls) if calls else 0.0


def mean_talk_s(calls: Sequence[CallOutcome]) -> float:
    """Mean time from answer to the end of the answered calls (0 when none)."""
    t = [c.ended_s - c.answered_s for c in calls if c.answered_s is not None]
    return sum(t) / len(t) if t else 0.0


def batch_means(calls: Sequence[CallOutcome], metric: Callable[[Sequence[CallOutcome]], float], *,
                warm_up: int, batches: int = 10, confidence: float = 0.95) -> Estimate:
    """``metric`` over ``batches`` consecutive groups of the calls after ``warm_up``; mean
    and ``confidence`` half-width (Student t, see the module docstring)."""
    if batches < 2:
        raise SimulationError(f"batch means need at least 2 batches, got {batches}")
    kept = list(calls[warm_up:])
    size = len(kept) // batches
    if size < 1:
        raise SimulationError(f"{len(kept)} calls after a warm-up of {warm_up} cannot make {batches} batches")
    values = np.array([metric(kept[b * size:(b + 1) * size]) for b in range(batches)])
    t = float(sps.t.ppf(0.5 + confidence / 2, batches - 1))
    return Estimate(float(values.mean()), t * float(values.std(ddof=1)) / math.sqrt(batches), batches)


@dataclass(frozen=True, slots=True)
class ArrivalSample:
    """What the ACD knew as a call arrived (see the module docstring)."""

    position: int  #: 1-based place in the queue
    staffed: int  #: agents logged on to the queue
    idle: int  #: of them, ready with no offer out
    aht_s: float  #: the queue's AHT so far (``Acd.aht_s``)
    acd_ewt_s: float | None  #: ``Acd.estimated_wait_s``: what the ACD would announce (None: nobody serving)


def sample_arrival(acd: Acd, call_id: str) -> ArrivalSample:
    """The :class:`ArrivalSample` of a waiting call, e.g. from an ``on_queued`` hook."""
    position = acd.position(call_id)
    queue = next(name for name, q in acd.queues.items() if any(w.call_id == call_id for w in q.waiting))
    staffed = [v for v in acd.agents.values() if v.station is not None and queue in v.groups]
    idle = sum(1 for v in staffed if v.ready and v.offer is None)
    return ArrivalSample(position, len(staffed), idle, acd.aht_s(queue), acd.estimated_wait_s(call_id))


def mmn_wait_s(s: ArrivalSample) -> float:
    """The M/M/n conditional mean wait given the state at arrival, ``max(0, position - idle)
    x AHT / staffed``: 0 for a caller an idle agent can take at once (see the module
    docstring; with all busy its standard deviation is ``sqrt(position) x AHT / staffed``)."""
    return max(0, s.position - s.idle) * s.aht_s / max(1, s.staffed)


def last_entered_wait_s(calls: Sequence[CallOutcome]) -> list[float]:
    """For each call, the wait of the last call answered strictly before it arrived (0 when none)."""
    answered = sorted((c.answered_s, c.answered_s - c.arrival_s) for c in calls if c.answered_s is not None)
    times = [a for a, _ in answered]
    out = []
    for c in calls:
        k = bisect.bisect_left(times, c.arrival_s)  # answered strictly before it arrived
        out.append(answered[k - 1][1] if k else 0.0)
    return out


@dataclass(frozen=True, slots=True)
class ErrorStats:
    """Errors (estimate - actual) over a group of calls, seconds."""

    calls: int
    bias_s: float  #: mean error
    mae_s: float  #: mean absolute error
    rms_s: float  #: root mean square error


def error_stats(errors_s: Sequence[float]) -> ErrorStats:
    """Bias, mean absolute and RMS error of ``errors_s`` (NaN for no errors)."""
    e = np.asarray(errors_s, dtype=float)
    if e.size == 0:
        return ErrorStats(0, math.nan, math.nan, math.nan)
    return ErrorStats(int(e.size), float(e.mean()), float(np.abs(e).mean()), float(np.sqrt((e * e).mean())))


def draw_traffic(cfg: TrafficConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seeded draws of a run: inter-arrival gaps, talk times and patiences (inf when
    callers wait for ever), seconds, one of each per call."""
    rng = np.random.default_rng(cfg.seed)
    gaps_s = rng.exponential(1.0 / cfg.arrival_rate_per_s, cfg.calls)
    talk_s = rng.exponential(cfg.mean_talk_s, cfg.calls)
    patience_s = (rng.exponential(cfg.mean_patience_s, cfg.calls) if cfg.mean_patience_s is not None
                  else np.full(cfg.calls, math.inf))
    return gaps_s, talk_s, patience_s


def reference_outcomes(cfg: TrafficConfig) -> tuple[CallOutcome, ...]:
    """The same draws through an ideal first-come-first-served n-server queue in continuous
    time (the Kiefer-Wolfowitz recursion: each call starts at the later of its arrival and
    the earliest time an agent is free; a caller whose wait would exceed its patience leaves
    and takes no agent).  What the switch run should give, less its tick rounding."""
    gaps_s, talk_s, patience_s = draw_traffic(cfg)
    free_s = [0.0] * cfg.agents  # a heap of the times the agents become free
    out = []
    now_s = 0.0
    for i in range(cfg.calls):
        now_s += float(gaps_s[i])
        start_s = max(now_s, free_s[0])
        if start_s - now_s > patience_s[i]:
            out.append(CallOutcome(i, now_s, None, now_s + float(patience_s[i])))
            continue
        heapq.heapreplace(free_s, start_s + float(talk_s[i]))
        out.append(CallOutcome(i, now_s, start_s, start_s + float(talk_s[i])))
    return tuple(out)


class _Run:
    """The people of one run: the callers' driver and the agents (see the module docstring)."""

    def __init__(self, p: LocalProvider, cfg: TrafficConfig, agents: list[str], pool: list[str]) -> None:
        self.p, self.cfg = p, cfg
        self.gaps_s, self.talk_s, self.patience_s = draw_traffic(cfg)
        self.agent_stations = agents
        self.free = deque(pool)
        self.index_of: dict[str, int] = {}  # call id -> call index
        self.call_id_of: dict[int, str] = {}  # call index -> call id
        self.arrival: dict[int, float] = {}
        self.answered: dict[int, float] = {}
        self.station_of: dict[int, str] = {}
        self.outcomes: dict[int, CallOutcome] = {}
        self.answer_races = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.done = asyncio.Event()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def finish(self, index: int, ended_s: float, *, blocked: bool = False) -> None:
        if index in self.outcomes:
            return
        self.outcomes[index] = CallOutcome(index, self.arrival[index], self.answered.get(index), ended_s, blocked,
                                           self.call_id_of.get(index))
        station = self.station_of.pop(index, None)
        if station is not None:
            self.free.append(station)
        if len(self.outcomes) == self.cfg.calls:
            self.done.set()

    async def callers(self) -> None:
        p, cfg = self.p, self.cfg
        due_s = p.now()
        for i in range(cfg.calls):
            due_s += float(self.gaps_s[i])
            await p.sleep(due_s - p.now())
            self.arrival[i] = p.now()
            if not self.free:
                self.finish(i, p.now(), blocked=True)
                continue
            station = self.free.popleft()
            self.station_of[i] = station
            conn = await p.make_call(station, cfg.queue)
            self.index_of[conn.call_id] = i
            self.call_id_of[i] = conn.call_id
            if math.isfinite(self.patience_s[i]):
                self.spawn(self._patience(i, conn))

    async def _patience(self, i: int, conn: ConnectionID) -> None:
        await self.p.sleep(float(self.patience_s[i]))
        if i in self.answered or i in self.outcomes:
            return
        try:
            await self.p.clear_connection(conn)
        except CstaError:
            return  # answered in this very tick: the call goes on
        self.finish(i, self.p.now())

    async def agent(self, station: str) -> None:
        p = self.p
        async with p.monitor(station) as events:
            async for e in events:
                if isinstance(e, ev.Delivered) and e.connection.device_id == station:
                    i = self.index_of.get(e.connection.call_id)
                    try:
                        await p.answer_call(e.connection)
                    except CstaError:
                        self.answer_races += 1  # the caller hung up just before
                        continue
                    if i is not None and i not in self.outcomes:
                        self.answered[i] = p.now()  # the switch's Established carries this time
                        conn = e.connection
                        self.spawn(self._talk(i, conn))

    async def _talk(self, i: int, conn: ConnectionID) -> None:
        await self.p.sleep(float(self.talk_s[i]))
        try:
            await self.p.clear_connection(conn)
        except CstaError:
            pass  # the call has already ended
        self.finish(i, self.p.now())


def _sample_on_queued(acd: Acd, hook: QueuedHook) -> None:
    """Call ``hook`` once per call, right after the ACD has handled the call's first Queued
    (the ACD routes only after it has handled the event, so the call is still waiting)."""
    handle = acd._queued
    seen: set[str] = set()

    def queued(name: str, e: ev.Queued) -> None:
        handle(name, e)
        call_id = e.queued_connection.call_id
        if call_id not in seen:
            seen.add(call_id)
            hook(acd, call_id, e.time)

    setattr(acd, "_queued", queued)


async def run_traffic(cfg: TrafficConfig, *, acd_class: type[Acd] = Acd,
                      on_queued: QueuedHook | None = None) -> TrafficResult:
    """Drive ``cfg``'s traffic through a local switch and the ACD until every call has ended.

    ``acd_class``: the ACD to run (a subclass, to try a change to the ACD against Erlang);
    ``on_queued``: a sampler called as each call arrives (see the module docstring)."""
    pool = cfg.pool_size()
    profiles = [AgentProfile(agent_id=f"A{k:04d}", skills={cfg.queue: 5}) for k in range(cfg.agents)]
    switch = SwitchConfig(trunks=0, stations=cfg.agents + pool, routes=(), queues=(cfg.queue,),
                          caller_id="none", tick_ms=cfg.tick_ms, realtime=False, seed=cfg.seed,
                          agents=tuple(a.switch_agent() for a in profiles))
    agent_stations = [switch.station_device(k) for k in range(cfg.agents)]
    callers = [switch.station_device(cfg.agents + k) for k in range(pool)]
    guard_s = cfg.max_virtual_s if cfg.max_virtual_s is not None else 50.0 * (
        cfg.calls / cfg.arrival_rate_per_s + 10 * cfg.mean_talk_s)
    t0 = time.process_time()
    async with LocalProvider(switch) as p:
        run = _Run(p, cfg, agent_stations, callers)
        acd = acd_class(p, (QueueConfig(name=cfg.queue, strategy=cfg.strategy),), profiles, seed=cfg.seed)
        if on_queued is not None:
            _sample_on_queued(acd, on_queued)
        tasks = [asyncio.ensure_future(acd.run()), *(asyncio.ensure_future(run.agent(s)) for s in agent_stations)]
        try:
            await asyncio.sleep(0)
            for station, profile in zip(agent_stations, profiles):
                await p.set_agent_state(station, RequestedAgentState.LOGGED_ON, agent_id=profile.agent_id)
                await p.set_agent_state(station, RequestedAgentState.READY)
            driver = asyncio.ensure_future(run.callers())
            tasks.append(driver)
            waiter = asyncio.ensure_future(run.done.wait())
            guard = asyncio.ensure_future(p.sleep(guard_s))
            await asyncio.wait([waiter, guard, driver], return_when=asyncio.FIRST_COMPLETED)
            if driver.done() and driver.exception() is not None:
                raise SimulationError(f"the callers' driver failed: {driver.exception()!r}")
            if not waiter.done():
                await asyncio.wait([waiter, guard], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            guard.cancel()
            if not run.done.is_set():
                raise SimulationError(f"only {len(run.outcomes)} of {cfg.calls} calls ended within {guard_s:g} "
                                      f"virtual seconds")
        finally:
            for t in [*tasks, *run.tasks]:
                t.cancel()
            await asyncio.gather(*tasks, *run.tasks, return_exceptions=True)
        virtual_s = p.now()
    cpu_s = time.process_time() - t0
    calls = tuple(run.outcomes[i] for i in range(cfg.calls))
    return TrafficResult(cfg, calls, virtual_s, cpu_s, tuple(acd.errors), run.answer_races)


def simulate(cfg: TrafficConfig, *, acd_class: type[Acd] = Acd, on_queued: QueuedHook | None = None) -> TrafficResult:
    """:func:`run_traffic` in a fresh event loop (for scripts)."""
    return asyncio.run(run_traffic(cfg, acd_class=acd_class, on_queued=on_queued))
