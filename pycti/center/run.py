"""``pycti serve``: runs the call center a center file describes until told to stop.

The center is built from :class:`~pycti.center.config.CenterConfig`: a local switch over the
drivers the file asks for, the IVR menus on route devices named after them, the queues with
their ACD, the agents (logged on at start where the file gives ``station``) and a CDR store.
It runs in real time until SIGINT or SIGTERM (or the ``stop`` event), then clears every call
still up, lets the records of those calls reach the CDR database, ends the run there and
exits.  Every CDR row holds calling and called number, the digit keyed in the IVR, the queue,
the agent, the outcome and the times.

Drivers: ``[sim]`` gives simulated analog trunks and stations; ``[sip]`` with ``[[trunks]]``
and ``[[phones]]`` the SIP driver (:mod:`pycti.drivers.sip`): SIP trunks' channels are trunk
devices named ``<trunk>-<n>``, phones are stations named by their extension.  Both may run in
one center.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from ..callcenter.acd import Acd
from ..callcenter.calllog import CallLog
from ..callcenter.cdr import CallRecord, CdrStore
from ..callcenter.ivr import MenuConfig, MenuIvr
from ..drivers.analog import AnalogConfig
from ..drivers.base import Driver
from ..drivers.sim import SimDriver
from ..drivers.sip import SipDriver, SipDriverConfig, SipDriverConfigError, SipPhoneConfig, SipTrunkConfig
from ..dsp.audiofile import read_audio
from ..switch.core import DeviceKind
from ..local.config import SwitchConfig
from ..local.provider import LocalProvider
from ..switch.agent_states import RequestedAgentState
from ..callcenter.flow_runner import FlowRunner
from ..callcenter.voicemail import Voicemail, VoicemailStore
from ..demo.people import Agents, Callers
from ..demo.scenario import DemoConfig, plan_callers
from .config import CenterConfig, CenterConfigError, IvrFlow, IvrMenu

__all__ = ["ServeOutcome", "drivers", "serve", "switch_config"]

log = logging.getLogger(__name__)

#: gc thresholds while a center runs (see :func:`serve`); the defaults are (700, 10, 10)
SERVE_GC_THRESHOLDS = (50_000, 5, 10)


class ServeOutcome:
    """What a serve run did: the run id in the CDR store, calls recorded, calls cleared at stop."""

    def __init__(self) -> None:
        self.run_id: int | None = None
        self.records = 0
        self.cleared_at_stop = 0
        self.problems: list[str] = []


def _device(destination: str) -> str:
    return destination.partition(":")[2] or destination


def switch_config(center: CenterConfig, *, realtime: bool = True) -> SwitchConfig:
    """The local switch a center runs on."""
    if (center.trunks or center.phones) and center.sip is None:
        raise CenterConfigError(f"{center.path.name}: [[trunks]] and [[phones]] need a [sip] section "
                                "saying where pycti listens")
    routes = tuple(m.name for m in center.ivr) + ((center.voicemail.route,) if center.voicemail is not None else ())
    return SwitchConfig(
        trunks=center.sim.trunks, stations=center.sim.stations, routes=routes,
        queues=tuple(q.name for q in center.queues), default_route=routes[0] if routes else None,
        country=center.country, realtime=realtime, dnis=dict(center.dnis), dial_plan=center.dial_plan,
        agents=tuple(a.switch_agent() for a in center.agents), agent_rules=center.agent_rules,
    )


def drivers(center: CenterConfig) -> list[Driver]:
    """The drivers of a center: the sim board for ``[sim]``, the SIP driver for ``[sip]``."""
    out: list[Driver] = []
    if center.sim.trunks or center.sim.stations:
        out.append(SimDriver(center.sim.trunks, center.sim.stations,
                             config=AnalogConfig(caller_id="fsk", country=center.country)))
    if center.sip is not None:
        sip = center.sip
        try:
            sip_config = SipDriverConfig(
                listen_host=sip.listen_host, listen_port=sip.listen_port, domain=sip.domain,
                tcp="tcp" in sip.transports, digest_algorithms=sip.digest_algorithms,
            trunks=tuple(SipTrunkConfig(name=t.name, host=t.host, port=t.port, ip_auth=t.ip_auth,
                                        username=t.username, password=t.password, channels=t.channels,
                                        numbers=t.numbers, register=t.register,
                                        register_expires_s=t.register_expires_s,
                                        transport=t.transport, refer=t.refer) for t in center.trunks),
            phones=tuple(SipPhoneConfig(extension=ph.extension, password=ph.password) for ph in center.phones),
            )
        except SipDriverConfigError as exc:
            raise CenterConfigError(f"{center.path.name}: [sip]: {exc}") from None
        out.append(SipDriver(sip_config))
    if not out:
        raise CenterConfigError(f"{center.path.name}: no ports: give [sim] trunks/stations or a [sip] section")
    return out


async def serve(center: CenterConfig, *, stop: asyncio.Event | None = None, realtime: bool = True,
                on_ready: Callable[[LocalProvider], Awaitable[None]] | None = None,
                outcome: ServeOutcome | None = None) -> ServeOutcome:
    """Run ``center`` until ``stop`` is set (or SIGINT/SIGTERM when ``stop`` is None)."""
    out = outcome if outcome is not None else ServeOutcome()
    switch = switch_config(center, realtime=realtime)
    stop = stop if stop is not None else _signal_event()
    store = CdrStore(center.cdr_path, run=f"pycti serve {center.path.name}")
    out.run_id = store.run_id
    status = "failed"
    thresholds: tuple[int, int, int] | None = None
    try:
        async with LocalProvider(switch, drivers(center)) as p:
            trunks = [d for d, kind in p.engine.core.devices().items() if kind is DeviceKind.TRUNK]
            calllog = CallLog(p, trunks, store, on_record=_log_record)
            ivrs = [
                MenuIvr(p, MenuConfig(route=m.name, options={d: _device(t) for d, t in m.options.items()},
                                      default=_device(m.default), digit_timeout_s=m.digit_timeout_s,
                                      attempts=m.attempts), read_audio(m.prompt), calllog)
                for m in center.ivr if isinstance(m, IvrMenu)
            ]
            flows = {m.name: m.flow for m in center.ivr if isinstance(m, IvrFlow)}
            flow_runner = FlowRunner(p, flows, calllog=calllog) if flows else None
            acd = Acd(p, center.queues, center.agents, calllog=calllog)
            runners: list[CallLog | Acd | MenuIvr | FlowRunner | Voicemail] = [calllog, acd, *ivrs]
            vm = center.voicemail
            vm_store = None
            if vm is not None:
                vm_store = VoicemailStore(vm.folder)
                runners.append(Voicemail(p, vm.route, vm_store, max_message_s=vm.max_message_s,
                                         greeting=read_audio(vm.greeting) if vm.greeting is not None else None))
            if flow_runner is not None:
                runners.append(flow_runner)
            tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(x.run()) for x in runners]
            await asyncio.sleep(0)
            for agent in center.agents:
                station = center.agent_stations.get(agent.agent_id)
                if station is not None:
                    await p.set_agent_state(station, RequestedAgentState.LOGGED_ON, agent_id=agent.agent_id,
                                            password=agent.password)
                    await p.set_agent_state(station, RequestedAgentState.READY)
            kinds = list(p.engine.core.devices().values())
            log.info("pycti serve: %s running (%d trunks, %d stations%s)", center.name,
                     kinds.count(DeviceKind.TRUNK), kinds.count(DeviceKind.STATION),
                     f", SIP on {center.sip.listen_host}:{p.drivers[-1].sip_port}"  # type: ignore[attr-defined]
                     if center.sip is not None else "")
            if center.sim.callers_per_min:
                tasks.append(_simulated_people(p, center, switch, calllog))
            if on_ready is not None:
                await on_ready(p)
            # what start-up built (flows, prompts, tables, modules) lives as long as the center:
            # out of the collector's way, so its full collections stay short under call load
            gc.freeze()
            # and the cyclic collector runs every 50,000 net allocations instead of 700, its
            # middle generation every 5 young runs: a call leaves its objects to reference
            # counting, and at hundreds of calls a second the default made a young collection
            # every few milliseconds and a full one (150-450 ms: every live call's objects, and
            # the transactions waiting out Timer J) every few seconds -- pauses that held SIP
            # requests past their 500 ms retransmission timer (bench/sip_callrate.py, serve,
            # 40 s at 300 calls/s: 730 retransmissions with the defaults, 98 with (50000, 20))
            thresholds = gc.get_threshold()
            gc.set_threshold(*SERVE_GC_THRESHOLDS)
            waiter = asyncio.ensure_future(stop.wait())
            await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                if t.done() and not t.cancelled() and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
            out.cleared_at_stop = await _clear_all(p)
            await p.sleep(0.2)  # the clearings' events reach the call log, which writes the rows
            out.problems = [*p.engine.errors, *acd.errors, *(e for i in ivrs for e in i.errors),
                            *(str(f) for f in (flow_runner.failures if flow_runner is not None else ()))]
            out.records = calllog.finished
            waiter.cancel()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if vm_store is not None:
                vm_store.close()
        status = "stopped"
        return out
    finally:
        gc.unfreeze()
        if thresholds is not None:
            gc.set_threshold(*thresholds)
        store.end_run(status)
        store.close()


def _log_record(r: CallRecord) -> None:
    """One INFO line per finished call: who called, what became of it, waits and talk."""
    parts = [f"call {r.call_id} from {r.caller_number or 'unknown'}", r.outcome]
    if r.queue is not None:
        parts.append(f"queue {r.queue}")
    if r.agent is not None:
        parts.append(f"agent {r.agent}")
    if r.wait_s is not None:
        parts.append(f"waited {r.wait_s:.1f} s")
    if r.talk_s is not None:
        parts.append(f"talked {r.talk_s:.1f} s")
    log.info("pycti serve: %s", ", ".join(parts))


def _simulated_people(p: LocalProvider, center: CenterConfig, switch: SwitchConfig,
                      calllog: CallLog) -> asyncio.Future[Any]:
    """``[sim] callers_per_min``: the demo's simulated callers on the sim trunks (seeded
    Poisson arrivals; each rings with caller ID, keys 1 or 2, waits, talks, hangs up) and
    simulated agents at the sim stations (they answer a ringing phone after 1-4 s and hang up
    when the caller does).  Returns the agents' task; the callers start at each tick."""
    plan = DemoConfig(calls=1_000_000, seed=center.sim.seed, trunks=center.sim.trunks,
                      calls_per_min=center.sim.callers_per_min, realtime=switch.realtime)
    callers = Callers(p, plan, plan_callers(plan), lambda c: calllog.add_blocked(p.now(), c.number))
    p.add_tick_listener(callers.on_tick)
    sim_stations = {switch.station_device(i) for i in range(center.sim.stations)}
    stations = sorted(s for s in center.agent_stations.values() if s in sim_stations)
    return asyncio.ensure_future(Agents(p, stations, callers, center.sim.seed).run())


async def _clear_all(p: LocalProvider) -> int:
    """Clear every call still up; returns how many."""
    calls = list(p.engine.core.calls())
    for call_id in calls:
        try:
            await p.clear_call(call_id)
        except Exception as exc:  # a call that ended meanwhile
            log.info("clearing %s at stop: %s", call_id, exc)
    return len(calls)


def _signal_event() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, event.set)
    return event
