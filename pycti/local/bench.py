"""Call-setup sizing: setups and teardowns per CPU-second through the switch and the sim board.

:func:`measure_call_rate`: MakeCall from one station to another (the called station's port
rings on the board), AnswerCall (the station goes off-hook on the board, the media plane
bridges the two), and ClearCall (both lines released).

:func:`measure_dialled_rate`: a station goes off-hook on the board (Seized: dial tone), keys
the other station's number digit by digit as the DTMF detector reports them (routed by the
dial plan), the called phone is lifted on the board (Answered) and the caller hangs up on the
board (Released).  Media ticks run between steps as in service, so both figures include the
board and media-plane work of a switch in virtual time.
"""

from __future__ import annotations

import functools
import time

from ..switch.dialplan import DialPlan
from ..switch.ids import ConnectionID
from .config import SwitchConfig
from .engine import SwitchEngine

__all__ = ["measure_call_rate", "measure_dialled_rate"]


def _engine(stations: int, **kw: object) -> tuple[SwitchConfig, SwitchEngine]:
    if stations < 2 or stations % 2:
        raise ValueError("stations must be an even number >= 2")
    cfg = SwitchConfig(trunks=0, stations=stations, routes=(), caller_id="none", **kw)  # type: ignore[arg-type]
    from .provider import _make_driver

    return cfg, SwitchEngine(cfg, [_make_driver(cfg)])


def measure_call_rate(calls: int = 2000, *, stations: int = 64, calls_per_tick: int = 10) -> dict[str, float]:
    """Run ``calls`` setups+teardowns; return calls per CPU-second and per virtual second."""
    cfg, engine = _engine(stations)
    core = engine.core
    try:
        devices = [cfg.station_device(i) for i in range(stations)]
        pairs = [(devices[i], devices[i + 1]) for i in range(0, stations, 2)]
        now = 0.0
        t0 = time.process_time()
        for n in range(calls):
            a, b = pairs[n % len(pairs)]
            conn = engine.service(lambda t: core.make_call(a, b, t))
            engine.service(lambda t: core.answer_call(ConnectionID(conn.call_id, b), t))
            engine.service(lambda t: core.clear_call(conn.call_id, t))
            engine.events.clear()
            if (n + 1) % calls_per_tick == 0:
                now += cfg.tick_ms / 1000.0
                engine.step(now)
                engine.events.clear()
        cpu = time.process_time() - t0
    finally:
        engine.close()
    return {"calls": float(calls), "cpu_s": cpu,
            "calls_per_cpu_s": calls / cpu if cpu > 0 else float("inf"), "virtual_s": now}


def measure_dialled_rate(calls: int = 1000, *, stations: int = 64) -> dict[str, float]:
    """Run ``calls`` station-dialled calls (off-hook, digits, answer, hang-up) through the
    dial plan; return calls per CPU-second."""
    numbers = {str(8001 + i): f"station:{8001 + i}" for i in range(stations)}
    cfg, engine = _engine(stations, dial_plan=DialPlan.from_dict(numbers))
    core, board = engine.core, engine.drivers[0].board  # type: ignore[attr-defined]
    try:
        devices = [cfg.station_device(i) for i in range(stations)]
        half = stations // 2
        now = 0.0
        tick_s = cfg.tick_ms / 1000.0

        established = 0

        def step() -> None:
            nonlocal now, established
            now += tick_s
            engine.step(now)
            established += sum(type(e).__name__ == "Established" for e in engine.events)
            engine.events.clear()

        done = 0
        t0 = time.process_time()
        while done < calls:
            batch = min(half, calls - done)
            callers = [(k, k + half) for k in range(batch)]
            for a, _ in callers:
                board.hook(engine.port_of[devices[a]], True)
            step()
            for a, b in callers:
                for digit in devices[b]:
                    engine.service(functools.partial(core.digits_detected, devices[a], digit))
            step()
            for _, b in callers:
                board.hook(engine.port_of[devices[b]], True)
            step()
            for a, _ in callers:
                board.hook(engine.port_of[devices[a]], False)
            step()
            step()
            done += batch
        cpu = time.process_time() - t0
        leftover = core.calls()
    finally:
        engine.close()
    if leftover or established != calls:
        raise RuntimeError(f"dialled-call benchmark: {established} of {calls} calls established, "
                           f"calls left behind: {leftover[:5]}")
    return {"calls": float(calls), "cpu_s": cpu, "calls_per_cpu_s": calls / cpu if cpu > 0 else float("inf")}
