"""``pycti bench switch``: media-plane cost per tick and call setups per second, for sizing."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(commands: Any, bench_commands: Any) -> None:
    p = bench_commands.add_parser("switch", help="media-plane cost per 20 ms tick and call setups per second")
    p.add_argument("--channels", type=int, default=2000, help="media channels, all bridged, DTMF on each (default 2000)")
    p.add_argument("--ticks", type=int, default=100, help="ticks to time (default 100)")
    p.add_argument("--calls", type=int, default=3000, help="call setups+teardowns to time (default 3000)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..local.bench import measure_call_rate, measure_dialled_rate
    from ..media.bench import measure_tick_cost

    print(f"media plane: {args.channels} channels bridged in pairs, DTMF detection on every inbound stream")
    cost = measure_tick_cost(args.channels, args.ticks)
    ms = cost["ms_per_tick"]
    print(f"  {ms:.3f} ms per 20 ms tick = {ms / 20.0 * 100:.1f} % of real time on one core")
    print(f"  => about {int(args.channels * 20.0 / ms) if ms > 0 else 0} channels per core at 100 % load")
    rate = measure_call_rate(args.calls)
    print("call setups+teardowns (MakeCall, AnswerCall, ClearCall through switch + sim board, virtual time):")
    print(f"  {rate['calls_per_cpu_s']:.0f} per CPU-second")
    dialled = measure_dialled_rate(max(args.calls // 3, 64))
    print("station-dialled calls (off-hook, digits through the dial plan, answer, hang-up on the board):")
    print(f"  {dialled['calls_per_cpu_s']:.0f} per CPU-second")
    return 0
