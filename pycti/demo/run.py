"""Runs the simulated call center: sim board, switch, IVR, ACD, callers and agents, then reports.

Each run appends its call detail records to the ``--db`` file under a new run id (see
:class:`~pycti.callcenter.cdr.CdrStore`); records are committed as calls end.  Whatever ends
the run -- all calls done, an interrupt, a failure -- :class:`DemoOutcome` gets the report of
the calls completed so far, so a caller can still print it.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..callcenter.acd import Acd, AgentProfile
from ..callcenter.calllog import CallLog
from ..callcenter.cdr import CallRecord, CdrStore
from ..callcenter.flow import load_flow
from ..callcenter.flow_runner import FlowRunner
from ..callcenter.stats import Report, summarize
from ..local.config import SwitchConfig
from ..switch.agent_states import RequestedAgentState
from ..switch.agents import AgentRules
from ..local.provider import LocalProvider
from .people import Agents, Callers
from .progress import ProgressBar
from .prompts import hold_music, synthetic_prompt
from .scenario import CallerPlan, DemoConfig, plan_callers

__all__ = ["run_demo", "DemoOutcome", "QUEUES"]

QUEUES = ("Q-SALES", "Q-SUPPORT")
#: The demo's IVR flow (menu 1 -> Q-SALES, 2 -> Q-SUPPORT, otherwise Q-SUPPORT).
DEMO_FLOW = Path(__file__).with_name("flow.toml")


@dataclass(slots=True)
class DemoOutcome:
    """How far a run got; :func:`run_demo` fills it in as it goes and when it ends, however.

    ``status`` is ``not started`` (the database could not be opened), ``running``,
    ``completed``, ``interrupted`` (cancelled, Ctrl-C) or ``failed``.  ``report`` covers the
    calls completed (``calls_done``) and is set once the run has ended.
    """

    status: str = "not started"
    run_id: int | None = None
    db_path: str = ""
    calls_done: int = 0
    report: Report | None = None
    problems: list[str] = field(default_factory=list)
    nudges_skipped: int = 0  #: agent answers that came after the caller had hung up


def _agent_profiles(cfg: DemoConfig) -> list[AgentProfile]:
    """Half the agents sell, half support; every fourth does both."""
    out = []
    for i in range(cfg.agents):
        skills = QUEUES if i % 4 == 3 else (QUEUES[i % 2],)
        out.append(AgentProfile(agent_id=f"A{i + 1:02d}", skills={q: 5 for q in skills}))
    return out


async def _log_on(p: LocalProvider, profiles: list[AgentProfile], switch: SwitchConfig) -> list[str]:
    """Each agent logs on at its own station and becomes ready; returns the stations."""
    stations = []
    for i, profile in enumerate(profiles):
        station = switch.station_device(i)
        await p.set_agent_state(station, RequestedAgentState.LOGGED_ON, agent_id=profile.agent_id,
                                password=profile.password)
        await p.set_agent_state(station, RequestedAgentState.READY)
        stations.append(station)
    return stations


def run_label(cfg: DemoConfig) -> str:
    """The label a demo run gets in the ``runs`` table: its size, traffic and seed."""
    return (f"pycti demo calls={cfg.calls} seed={cfg.seed} trunks={cfg.trunks} agents={cfg.agents} "
            f"rate={cfg.calls_per_min:g}/min")


async def run_demo(cfg: DemoConfig, *, progress: TextIO | None = sys.stderr,
                   outcome: DemoOutcome | None = None) -> tuple[Report, list[str]]:
    """Run ``cfg.calls`` callers through the center; return the report and any problems seen.

    The report covers this run's calls only (earlier runs in the same database are kept, not
    counted).  Raises :class:`~pycti.callcenter.cdr.CdrStoreError` before anything starts if
    the database cannot be used.  If the run is cancelled or fails, the exception propagates
    and ``outcome`` (when given) still holds the report of the calls completed.
    """
    out = outcome if outcome is not None else DemoOutcome()
    out.db_path = cfg.db_path
    store = CdrStore(cfg.db_path, run=run_label(cfg))
    out.run_id, out.status = store.run_id, "running"
    bar = ProgressBar(cfg.calls, progress)
    status = "failed"
    now = 0.0
    try:
        report, problems, now = await _simulate(cfg, store, bar, out)
        status = "completed"
        return report, problems
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        try:
            bar.close(max(now, bar.last_s))
            if out.report is None:
                out.report = summarize(store.records(run_id=store.run_id), sl_threshold_s=cfg.sl_threshold_s)
            store.end_run(status)
        finally:
            store.close()
            out.status = status


async def _simulate(cfg: DemoConfig, store: CdrStore, bar: ProgressBar,
                    out: DemoOutcome) -> tuple[Report, list[str], float]:
    profiles = _agent_profiles(cfg)
    switch = SwitchConfig(
        trunks=cfg.trunks, stations=cfg.agents, routes=("IVR",), queues=QUEUES,
        seed=cfg.seed, realtime=cfg.realtime, caller_id="fsk", tick_ms=cfg.tick_ms,
        agents=tuple(a.switch_agent() for a in profiles),
        agent_rules=AgentRules(default_wrap_up_ms=int(cfg.wrap_up_s * 1000)),
    )
    plans = plan_callers(cfg)
    done = asyncio.Event()
    async with LocalProvider(switch) as p:
        def finished(rec: CallRecord) -> None:
            out.calls_done = calllog.finished
            bar.update(rec, p.now())
            if calllog.finished >= cfg.calls:
                done.set()

        trunks = [switch.trunk_device(i) for i in range(cfg.trunks)]
        calllog = CallLog(p, trunks, store, on_record=finished)

        def blocked(plan: CallerPlan) -> None:
            calllog.add_blocked(p.now(), plan.number)

        callers = Callers(p, cfg, plans, blocked)
        flow = load_flow(DEMO_FLOW, prompts={"menu": synthetic_prompt(seed=cfg.seed)})
        ivr = FlowRunner(p, {"IVR": flow}, calllog=calllog)
        acd = Acd(p, QUEUES, profiles, calllog=calllog, hold_audio=hold_music(seed=cfg.seed), seed=cfg.seed)
        agents = Agents(p, [switch.station_device(i) for i in range(len(profiles))], callers, cfg.seed)
        tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(x.run()) for x in (calllog, ivr, acd, agents)]
        try:
            await asyncio.sleep(0)
            await _log_on(p, profiles, switch)
            p.add_tick_listener(callers.on_tick)
            waiter = asyncio.ensure_future(done.wait())
            tasks.append(waiter)
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                if t.done() and not t.cancelled() and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
        finally:
            out.nudges_skipped = callers.nudges_skipped
            out.problems[:] = [*p.engine.errors, *map(str, ivr.failures), *acd.errors, *agents.problems]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        now = p.now()
    if not done.is_set():  # the switch stopped before every call ended
        raise RuntimeError(f"the switch stopped after {calllog.finished} of {cfg.calls} calls")
    report = summarize(store.records(run_id=store.run_id), sl_threshold_s=cfg.sl_threshold_s)
    out.report = report
    return report, list(out.problems), now
