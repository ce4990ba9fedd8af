"""``pycti demo``: a simulated call center on the sim board, in virtual time by default.

Options are checked before anything runs (``pycti demo: error: ...``, exit status 2), and so
is the ``--db`` file.  Records are appended to ``--db`` under a new run id.  A run stopped by
Ctrl-C or SIGTERM (exit status 130) or by a failure (exit status 1) still prints the report
of the calls completed and writes it to ``--csv``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # imported when run, so that ``pycti --help`` stays quick
    from ..demo.run import DemoOutcome
    from ..demo.scenario import DemoConfig

__all__ = ["register", "run"]

_PROG = "pycti demo"
_CSV_FROM_DB = ""  #: ``--csv`` given without a file: the db's name with ``.csv``


def _number(kind: type[int] | type[float], low: float, high: float, *, low_open: bool = False) -> Callable[[str], Any]:
    """An argparse ``type`` accepting a finite ``kind`` within ``low..high`` (``low`` excluded if
    ``low_open``), with a plain-words error otherwise."""
    name = "a whole number" if kind is int else "a number"
    bound = f"> {low:g}" if low_open else f">= {low:g}"

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
        if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
            raise argparse.ArgumentTypeError(f"must be {name} {bound} and <= {high:g}, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _one_line_error(message: str) -> NoReturn:
    """argparse's error, on one line: ``pycti demo: error: ...`` and exit status 2."""
    print(f"{_PROG}: error: {message} (see {_PROG} --help)", file=sys.stderr)
    raise SystemExit(2)


def register(commands: Any, bench_commands: Any) -> None:
    """Add the ``demo`` command to ``commands``."""
    p = commands.add_parser(
        "demo",
        help="run a simulated call center (24 trunks, 8 agents, IVR, two queues) and print its report",
        description="A simulated call center on the sim board: callers with FSK caller ID, an IVR menu "
                    "read by real DTMF detection, two ACD queues, agents; virtual time unless --realtime. "
                    "Call records are appended to --db (SQLite, one run id per run).",
    )
    p.add_argument("--calls", type=_number(int, 1, 1_000_000), default=100,
                   help="callers to simulate (default 100)")
    p.add_argument("--seed", type=_number(int, 0, 2**63 - 1), default=1,
                   help="random seed; the same seed gives the same report")
    p.add_argument("--realtime", action="store_true", help="pace the switch in wall-clock time")
    p.add_argument("--db", default="pycti-demo.db",
                   help="SQLite file for call detail records; each run is appended with its own run id")
    p.add_argument("--trunks", type=_number(int, 1, 256), default=24,
                   help="analog trunk ports on the sim board (default 24)")
    p.add_argument("--agents", type=_number(int, 1, 256), default=8,
                   help="agents, one station port each (default 8)")
    p.add_argument("--rate", type=_number(float, 0.0, 10_000.0, low_open=True), default=9.0,
                   help="mean arrivals per minute (default 9)")
    p.add_argument("--csv", nargs="?", const=_CSV_FROM_DB, default=None, metavar="FILE",
                   help="also write the report as CSV to FILE (without FILE: the --db name with .csv)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    setattr(p, "error", _one_line_error)  # noqa: B010 - one line instead of usage + error
    p.set_defaults(func=run)


def _csv_path(args: argparse.Namespace) -> str | None:
    """The CSV file to write, or None: ``--csv`` alone names it after ``--db``."""
    csv: str | None = args.csv
    if csv == _CSV_FROM_DB:
        root, _ = os.path.splitext(str(args.db))
        return root + ".csv"
    return csv


def _check_csv(path: str) -> str | None:
    """Why ``path`` cannot take the CSV report, or None if it looks writable."""
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "is a directory"
    if not os.path.isdir(parent):
        return f"directory {parent} does not exist"
    if not os.access(parent, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "permission denied"
    return None


async def _run_cancellable(coro: Any) -> Any:
    """Await ``coro``; SIGTERM cancels it like Ctrl-C does, so its report is still made."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    try:
        if task is not None:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # not on this platform / thread
        pass
    try:
        return await coro
    finally:
        try:
            loop.remove_signal_handler(signal.SIGTERM)
        except (NotImplementedError, RuntimeError, ValueError):
            pass


def run(args: argparse.Namespace) -> int:
    """Run the demo from parsed arguments; returns the exit status."""
    from ..callcenter.cdr import CdrStoreError
    from ..demo.run import DemoOutcome, run_demo
    from ..demo.scenario import DemoConfig

    try:
        cfg = DemoConfig(calls=args.calls, seed=args.seed, realtime=args.realtime, db_path=args.db,
                         trunks=args.trunks, agents=args.agents, calls_per_min=args.rate)
    except ValueError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    csv_path = _csv_path(args)
    if csv_path is not None and (why := _check_csv(csv_path)) is not None:
        print(f"{_PROG}: error: --csv {csv_path}: {why}", file=sys.stderr)
        return 2
    outcome = DemoOutcome()
    failure: BaseException | None = None
    t0 = time.perf_counter()
    try:
        asyncio.run(_run_cancellable(run_demo(cfg, progress=None if args.quiet else sys.stderr, outcome=outcome)))
    except CdrStoreError as exc:
        if outcome.run_id is None:  # the database could not be opened: nothing ran
            print(f"{_PROG}: error: --db {exc.path}: {exc.reason}", file=sys.stderr)
            return 2
        failure = exc
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except Exception as exc:  # a failed run still reports the calls it completed
        failure = exc
    wall = time.perf_counter() - t0
    return _finish(cfg, outcome, failure, csv_path, wall)


def _finish(cfg: DemoConfig, outcome: DemoOutcome, failure: BaseException | None, csv_path: str | None,
            wall: float) -> int:
    """Print the report (complete or partial), write the CSV, and choose the exit status."""
    from ..callcenter.stats import format_report, write_csv

    complete = outcome.status == "completed" and failure is None
    if outcome.report is not None:
        head = f"{cfg.calls} callers" if complete else f"{outcome.calls_done} of {cfg.calls} callers (partial)"
        print(f"{_PROG}: {head}, {cfg.trunks} trunks, {cfg.agents} agents, seed {cfg.seed}")
        print(format_report(outcome.report))
        print(f"\nCDRs in {cfg.db_path}, run {outcome.run_id}")
    print(f"wall time {wall:.1f} s", file=sys.stderr)
    status = 0
    if csv_path is not None and outcome.report is not None:
        try:
            write_csv(outcome.report, csv_path)
        except OSError as exc:
            print(f"{_PROG}: error: --csv {csv_path}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
    if outcome.problems:
        print(f"{len(outcome.problems)} switch/IVR/ACD problems logged; first: {outcome.problems[0]}",
              file=sys.stderr)
    if failure is not None:
        print(f"{_PROG}: the run failed after {outcome.calls_done} of {cfg.calls} calls: "
              f"{type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    if not complete:
        print(f"{_PROG}: interrupted after {outcome.calls_done} of {cfg.calls} calls; "
              "the report covers those", file=sys.stderr)
        return 130
    return status
