"""The simulated people of the demo: callers on the trunks and agents at the stations.

Callers are sim-board scripts (ring with FSK caller ID, listen to the IVR prompt, press a
digit as DTMF tones, wait in queue up to their patience, talk, hang up — the central office then
sends busy tone).  Agents lift the handset a moment after their phone rings and put it down
when the call ends.  Both act only through the board, as people would; the switch learns what
they did from line signalling and audio.

People act on their own time, so their acts race: an agent may lift the handset in the very
tick the switch notices that the caller has already given up and hung up.  Such an act on a
line that has moved on is skipped and counted (:attr:`Callers.nudges_skipped`,
:attr:`Agents.problems`); one caller's end never stops the simulation.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import numpy as np

from ..drivers.sim import SimDriver
from ..errors import DriverError
from ..drivers.sim_ops import CidMode, Hangup, Mark, Ring, Speech, WaitNudge, WaitPrompt, dtmf_ops
from ..dsp.callerid import CallerId, encode_mdmf
from ..dsp.callerid_fsk import fsk_callerid_signal
from ..local.provider import LocalProvider
from ..switch import events as ev
from .scenario import CallerPlan, DemoConfig

__all__ = ["Callers", "Agents"]

_MARK_ABANDON = 1


class Callers:
    """Starts each planned caller on a free trunk when its arrival time comes."""

    def __init__(self, provider: LocalProvider, cfg: DemoConfig, plans: list[CallerPlan],
                 on_blocked: Any) -> None:
        self._p = provider
        self._driver: SimDriver = provider.driver
        self._pending = deque(plans)
        self._free = deque(range(cfg.trunks))
        self._busy: dict[int, CallerPlan] = {}
        self.port_of_number: dict[str, int] = {}
        self._on_blocked = on_blocked
        self.started = 0
        self.nudges_skipped = 0  #: nudges not sent: the caller's script had already ended

    def nudge(self, number: str) -> bool:
        """Tell the caller ``number`` that an agent answered (its WaitNudge goes on).

        Skipped, and counted in :attr:`nudges_skipped`, when that caller's script has ended
        (it gave up and hung up just before the answer) or its trunk serves someone else by
        now.  Returns whether the nudge was sent."""
        port = self.port_of_number.get(number)
        plan = self._busy.get(port) if port is not None else None
        if port is None or plan is None or plan.number != number:
            self.nudges_skipped += 1
            return False
        board = self._driver.board
        try:
            if not board.state(port).script_running:
                self.nudges_skipped += 1
                return False
            board.nudge(port)
        except DriverError:  # the script ended or the port failed between the check and the nudge
            self.nudges_skipped += 1
            return False
        return True

    def on_tick(self, now: float) -> None:
        drv = self._driver
        while drv.script_events:
            e = drv.script_events.popleft()
            if e.type.name == "SCRIPT_DONE" and e.port in self._busy:
                plan = self._busy.pop(e.port)
                self.port_of_number.pop(plan.number, None)
                self._free.append(e.port)
        while self._pending and self._pending[0].arrival_s <= now:
            plan = self._pending.popleft()
            self.started += 1
            if not self._free:
                self._on_blocked(plan)
                continue
            port = self._free.popleft()
            self._busy[port] = plan
            self.port_of_number[plan.number] = port
            drv.board.script(port, self._script(plan, now))

    @staticmethod
    def _script(plan: CallerPlan, now: float) -> list[Any]:
        minute = int(now // 60)
        cid = CallerId(number=plan.number, month=11, day=24, hour=9 + minute // 60, minute=minute % 60)
        ops: list[Any] = [
            Ring(on_ms=1000, off_ms=4000, max_ms=40_000,
                 cid_samples=fsk_callerid_signal(encode_mdmf(cid)), cid_mode=CidMode.AFTER_FIRST_RING),
            WaitPrompt(quiet_ms=600, max_ms=20_000),
            *dtmf_ops(plan.digit),
        ]
        abandon_at = len(ops) + 3
        ops += [
            WaitNudge(max_ms=int(plan.patience_s * 1000) + 15_000, timeout_goto=abandon_at),
            Speech(ms=int(plan.talk_s * 1000), level_dbm0=-20.0),
            Hangup(busy_tone=True, loop_drop=True),
            Mark(mark_id=_MARK_ABANDON),
            Hangup(busy_tone=True, loop_drop=True),
        ]
        return ops


class Agents:
    """Agents who answer their ringing phones after a seeded delay and hang up when the call ends."""

    def __init__(self, provider: LocalProvider, stations: list[str], callers: Callers, seed: int) -> None:
        self._p = provider
        self._stations = stations
        self._callers = callers
        self._rng = np.random.default_rng(seed + 7919)
        self._tasks: set[asyncio.Task[None]] = set()
        self._alerting: set[str] = set()
        self.problems: list[str] = []  #: handset moves the board refused (the run goes on)

    async def run(self) -> None:
        """Act at every station until cancelled (pending pick-ups are dropped then)."""
        try:
            await asyncio.gather(*(self._agent(s) for s in self._stations))
        finally:
            for t in list(self._tasks):
                t.cancel()

    async def _agent(self, station: str) -> None:
        p = self._p
        port = p.engine.port_of[station]
        async with p.monitor(station) as events:
            async for e in events:
                if isinstance(e, ev.Delivered) and e.connection.device_id == station:
                    self._alerting.add(station)
                    self._spawn(self._pick_up(station, port, float(self._rng.uniform(1.0, 4.0))))
                elif isinstance(e, ev.Established) and e.established_connection.device_id == station:
                    if e.calling_device in self._callers.port_of_number:
                        self._callers.nudge(e.calling_device)
                elif isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id == station:
                    if station in self._alerting:  # the caller left while the phone rang
                        self._alerting.discard(station)
                    else:
                        self._hook(station, port, False)

    def _spawn(self, coro: Any) -> None:
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        """Forget a finished pick-up; a failure is kept in :attr:`problems`, not lost."""
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.problems.append(f"agent pick-up failed: {task.exception()!r}")

    async def _pick_up(self, station: str, port: int, delay_s: float) -> None:
        await self._p.sleep(delay_s)
        if station in self._alerting:
            self._alerting.discard(station)
            self._hook(station, port, True)

    def _hook(self, station: str, port: int, offhook: bool) -> None:
        """Lift or replace the handset; a refusal is noted in :attr:`problems`, not raised."""
        try:
            self._p.driver.hook(port, offhook)
        except DriverError as exc:
            self.problems.append(f"agent at {station}: {'lift' if offhook else 'replace'} handset: {exc}")
