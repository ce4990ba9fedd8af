"""``pycti`` console script: dispatches to the subcommands registered by the command modules.

Each command module exposes ``register(commands, bench_commands)``, adding its parsers to the
top-level ``commands`` and to the ``pycti bench`` group, and sets ``func`` on each parser to a
function taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "pycti.cli.demo",
    "pycti.cli.dsp_commands",
    "pycti.cli.bench_switch",
    "pycti.cli.ivr",
    "pycti.cli.serve",
    "pycti.cli.fax",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pycti", description="pycti CTI middleware tools")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    bench = commands.add_parser("bench", help="size a server: media plane, switch, DSP throughput")
    bench_commands = bench.add_subparsers(dest="bench_command", metavar="WHAT")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(commands, bench_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
