"""Runs the simulated call center: sim board, switch, IVR, ACD, callers and agents, then reports."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from ..callcenter.acd import Acd, AgentConfig
from ..callcenter.calllog import CallLog
from ..callcenter.cdr import CallRecord, CdrStore
from ..callcenter.ivr import MenuConfig, MenuIvr
from ..callcenter.stats import Report, summarize
from ..local.config import SwitchConfig
from ..local.provider import LocalProvider
from .people import Agents, Callers
from .progress import ProgressBar
from .prompts import hold_music, synthetic_prompt
from .scenario import CallerPlan, DemoConfig, plan_callers

__all__ = ["run_demo", "QUEUES"]

QUEUES = ("Q-SALES", "Q-SUPPORT")


def _agent_configs(cfg: DemoConfig, switch: SwitchConfig) -> list[AgentConfig]:
    """Half the agents sell, half support; every fourth does both."""
    out = []
    for i in range(cfg.agents):
        skills = QUEUES if i % 4 == 3 else (QUEUES[i % 2],)
        out.append(AgentConfig(agent_id=f"A{i + 1:02d}", station=switch.station_device(i), skills=skills))
    return out


async def run_demo(cfg: DemoConfig, *, progress: TextIO | None = sys.stderr) -> tuple[Report, list[str]]:
    """Run ``cfg.calls`` callers through the center; return the report and any problems seen."""
    switch = SwitchConfig(
        trunks=cfg.trunks, stations=cfg.agents, routes=("IVR",), queues=QUEUES,
        seed=cfg.seed, realtime=cfg.realtime, caller_id="fsk",
    )
    plans = plan_callers(cfg)
    bar = ProgressBar(cfg.calls, progress)
    done = asyncio.Event()
    with CdrStore(cfg.db_path, fresh=True) as store:
        async with LocalProvider(switch) as p:
            def finished(rec: CallRecord) -> None:
                bar.update(rec, p.now())
                if calllog.finished >= cfg.calls:
                    done.set()

            trunks = [switch.trunk_device(i) for i in range(cfg.trunks)]
            calllog = CallLog(p, trunks, store, on_record=finished)

            def blocked(plan: CallerPlan) -> None:
                calllog.add_blocked(p.now(), plan.number)

            callers = Callers(p, cfg, plans, blocked)
            agents_cfg = _agent_configs(cfg, switch)
            ivr = MenuIvr(p, MenuConfig(route="IVR", options={"1": QUEUES[0], "2": QUEUES[1]},
                                        default=QUEUES[1]), synthetic_prompt(seed=cfg.seed), calllog)
            acd = Acd(p, QUEUES, agents_cfg, wrap_up_s=cfg.wrap_up_s, calllog=calllog,
                      hold_audio=hold_music(seed=cfg.seed))
            agents = Agents(p, [a.station for a in agents_cfg], callers, cfg.seed)
            tasks = [asyncio.ensure_future(x.run()) for x in (calllog, ivr, acd, agents)]
            await asyncio.sleep(0)
            p.add_tick_listener(callers.on_tick)
            waiter = asyncio.ensure_future(done.wait())
            await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                if t.done() and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            problems = [*p.engine.errors, *ivr.errors, *acd.errors]
            bar.close(p.now())
        report = summarize(store.records(), sl_threshold_s=cfg.sl_threshold_s)
    return report, problems
