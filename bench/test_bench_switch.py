"""Call setups and teardowns per second through the switch and the sim board, in virtual time.

Target (issue "Foundation"): over 1,000 setups+teardowns per CPU-second.  Beside it, the same
calls through the bare sans-I/O core (no board, no media plane), so the ratio shows what the
driver and media work add.
"""

from __future__ import annotations

import time

from pycti.local.bench import measure_call_rate
from pycti.switch.core import DeviceKind, SwitchCore
from pycti.switch.ids import ConnectionID


def _core_only(calls: int, stations: int = 64) -> float:
    core = SwitchCore()
    devs = [str(8001 + i) for i in range(stations)]
    for d in devs:
        core.add_device(d, DeviceKind.STATION)
    t0 = time.process_time()
    for n in range(calls):
        a, b = devs[(2 * n) % stations], devs[(2 * n + 1) % stations]
        c = core.make_call(a, b, now=0.0)
        core.answer_call(ConnectionID(c.call_id, b), now=0.0)
        core.clear_call(c.call_id, now=0.0)
        core.take_events()
        core.take_commands()
    return calls / (time.process_time() - t0)


def test_call_setups_through_switch_and_sim_board(benchmark):
    result = benchmark.pedantic(measure_call_rate, kwargs={"calls": 2000}, rounds=3, iterations=1)
    core_rate = _core_only(2000)
    benchmark.extra_info["calls_per_cpu_s"] = round(result["calls_per_cpu_s"])
    benchmark.extra_info["core_only_calls_per_cpu_s"] = round(core_rate)
    benchmark.extra_info["ratio_switch_to_core"] = round(result["calls_per_cpu_s"] / core_rate, 3)
    assert result["calls"] == 2000
