"""``pycti serve CONFIG.toml``: run the call center a center file describes (see
:mod:`pycti.center.config`) until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from ..callcenter.cdr import CdrStoreError
from ..center.config import CenterConfigError, load_center
from ..center.run import serve


def register(commands: Any, bench_commands: Any) -> None:
    p = commands.add_parser("serve", help="run a call center from one TOML file until SIGINT/SIGTERM")
    p.add_argument("config", help="the center file (TOML)")
    p.add_argument("--check", action="store_true", help="only check the file and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        center = load_center(args.config)
    except CenterConfigError as exc:
        print(f"pycti serve: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.config}: OK ({len(center.queues)} queues, {len(center.agents)} agents, "
              f"{len(center.ivr)} IVR menus)")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        outcome = asyncio.run(serve(center))
    except (CenterConfigError, CdrStoreError) as exc:
        print(f"pycti serve: {exc}", file=sys.stderr)
        return 2
    print(f"pycti serve: stopped; {outcome.records} calls recorded in {center.cdr_path} "
          f"(run {outcome.run_id}), {outcome.cleared_at_stop} cleared at stop")
    return 0
