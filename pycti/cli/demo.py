"""``pycti demo``: a simulated call center on the sim board, in virtual time by default."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

__all__ = ["register"]


def register(commands: Any, bench_commands: Any) -> None:
    p = commands.add_parser(
        "demo",
        help="run a simulated call center (24 trunks, 8 agents, IVR, two queues) and print its report",
    )
    p.add_argument("--calls", type=int, default=100, help="callers to simulate (default 100)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same report")
    p.add_argument("--realtime", action="store_true", help="pace the switch in wall-clock time")
    p.add_argument("--db", default="pycti-demo.db", help="SQLite file for call detail records")
    p.add_argument("--trunks", type=int, default=24, help="analog trunk ports on the sim board (default 24)")
    p.add_argument("--agents", type=int, default=8, help="agents, one station port each (default 8)")
    p.add_argument("--rate", type=float, default=9.0, help="mean arrivals per minute")
    p.add_argument("--csv", default=None, help="also write the report as CSV to this file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..callcenter.stats import format_report, write_csv
    from ..demo.run import run_demo
    from ..demo.scenario import DemoConfig

    try:
        cfg = DemoConfig(calls=args.calls, seed=args.seed, realtime=args.realtime, db_path=args.db,
                         trunks=args.trunks, agents=args.agents, calls_per_min=args.rate)
    except ValueError as exc:
        print(f"pycti demo: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    report, problems = asyncio.run(run_demo(cfg, progress=None if args.quiet else sys.stderr))
    wall = time.perf_counter() - t0
    print(f"pycti demo: {cfg.calls} callers, {cfg.trunks} trunks, {cfg.agents} agents, seed {cfg.seed}")
    print(format_report(report))
    print(f"\nCDRs in {cfg.db_path}")
    print(f"wall time {wall:.1f} s", file=sys.stderr)
    if args.csv:
        write_csv(report, args.csv)
    if problems:
        print(f"{len(problems)} switch/IVR/ACD problems logged; first: {problems[0]}", file=sys.stderr)
    return 0
