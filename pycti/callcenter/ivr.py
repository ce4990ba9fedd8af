"""A menu IVR on a route device: answer, play a prompt, read one DTMF digit, send the call on.

The IVR answers calls delivered to its route device (AnswerCall: the trunk goes off-hook),
plays the prompt to the caller, waits for a DigitsDetected event of that call, and moves the
call to the queue the digit names with SingleStepTransferCall.  No digit within
``digit_timeout_s`` replays the prompt, up to ``attempts`` times, then the default option is
taken.  A caller who hangs up in the IVR just ends the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import CstaError
from ..dsp.audiofile import shared_copy
from ..provider import MediaProvider
from ..switch import events as ev
from ..switch.ids import ConnectionID
from .calllog import CallLog

__all__ = ["MenuConfig", "MenuIvr"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuConfig:
    """One menu: digit -> destination device; ``default`` is used after no valid digit."""

    route: str
    options: Mapping[str, str] = field(default_factory=dict)
    default: str = ""
    digit_timeout_s: float = 5.0
    attempts: int = 2


class MenuIvr:
    """Runs :class:`MenuConfig` on every call delivered to its route device."""

    def __init__(self, provider: MediaProvider, config: MenuConfig, prompt: np.ndarray,
                 calllog: CallLog | None = None) -> None:
        if not config.options:
            raise ValueError("an IVR menu needs at least one option")
        self._p = provider
        self.config = config
        self._prompt = shared_copy(prompt)  # stored once for every call it is played on
        self._log = calllog
        self._digits: dict[str, asyncio.Queue[str]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.errors: list[str] = []

    async def run(self) -> None:
        async with self._p.monitor(self.config.route) as events:
            async for e in events:
                if isinstance(e, ev.Delivered) and e.connection.device_id == self.config.route:
                    cid = e.connection.call_id
                    self._digits[cid] = asyncio.Queue()
                    self._tasks[cid] = asyncio.create_task(self._serve(e.connection))
                elif isinstance(e, ev.DigitsDetected):
                    q = self._digits.get(e.connection.call_id)
                    if q is not None:
                        for d in e.digits:
                            q.put_nowait(d)
                elif isinstance(e, ev.CallCleared) or (
                    isinstance(e, ev.ConnectionCleared)
                    and e.dropped_connection.call_id in self._tasks
                    and e.dropped_connection.device_id != self.config.route
                ):
                    cid = e.cleared_call if isinstance(e, ev.CallCleared) else e.dropped_connection.call_id
                    self._end(cid)

    def _end(self, call_id: str) -> None:
        task = self._tasks.pop(call_id, None)
        self._digits.pop(call_id, None)
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def _serve(self, conn: ConnectionID) -> None:
        cfg = self.config
        try:
            await self._p.answer_call(conn)
            choice = None
            queue = self._digits[conn.call_id]
            for _ in range(cfg.attempts):
                await self._p.play(conn, self._prompt)
                choice = await self._wait_digit(queue, cfg.digit_timeout_s)
                if choice in cfg.options:
                    break
            dest = cfg.options.get(choice or "", cfg.default or next(iter(cfg.options.values())))
            if self._log is not None:
                self._log.note(conn.call_id, choice=choice)
            await self._p.single_step_transfer_call(conn, dest)
        except asyncio.CancelledError:
            pass
        except CstaError as exc:  # the caller left meanwhile, or the destination refused
            self.errors.append(f"{conn}: {exc}")
        finally:
            self._tasks.pop(conn.call_id, None)
            self._digits.pop(conn.call_id, None)

    async def _wait_digit(self, queue: asyncio.Queue[str], timeout_s: float) -> str | None:
        """First digit within ``timeout_s`` of switch time, else None."""
        getter = asyncio.ensure_future(queue.get())
        timer = asyncio.ensure_future(self._p.sleep(timeout_s))
        try:
            done, _ = await asyncio.wait({getter, timer}, return_when=asyncio.FIRST_COMPLETED)
            return getter.result() if getter in done else None
        finally:
            getter.cancel()
            timer.cancel()
