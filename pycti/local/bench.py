"""Call-setup sizing: setups and teardowns per CPU-second through the switch and the sim board.

Each call is MakeCall from one station to another (the called station's port rings on the
board), AnswerCall (the station goes off-hook on the board, the media plane bridges the two),
and ClearCall (both lines released).  Media ticks run between calls as in service, so the
figure includes the board and media plane work of a switch in virtual time.
"""

from __future__ import annotations

import time

from ..switch.ids import ConnectionID
from .config import SwitchConfig
from .engine import SwitchEngine

__all__ = ["measure_call_rate"]


def measure_call_rate(calls: int = 2000, *, stations: int = 64, calls_per_tick: int = 10) -> dict[str, float]:
    """Run ``calls`` setups+teardowns; return calls per CPU-second and per virtual second."""
    if stations < 2 or stations % 2:
        raise ValueError("stations must be an even number >= 2")
    cfg = SwitchConfig(trunks=0, stations=stations, routes=(), caller_id="none")
    from .provider import _make_driver

    engine = SwitchEngine(cfg, _make_driver(cfg))
    try:
        devices = [cfg.station_device(i) for i in range(stations)]
        pairs = [(devices[i], devices[i + 1]) for i in range(0, stations, 2)]
        now = 0.0
        t0 = time.process_time()
        for n in range(calls):
            a, b = pairs[n % len(pairs)]
            conn = engine.invoke("make_call", a, b)
            engine.invoke("answer_call", ConnectionID(conn.call_id, b))
            engine.invoke("clear_call", conn.call_id)
            engine.events.clear()
            if (n + 1) % calls_per_tick == 0:
                now += cfg.tick_ms / 1000.0
                engine.step(now)
                engine.events.clear()
        cpu = time.process_time() - t0
    finally:
        engine.close()
    return {
        "calls": float(calls),
        "cpu_s": cpu,
        "calls_per_cpu_s": calls / cpu if cpu > 0 else float("inf"),
        "virtual_s": now,
    }
