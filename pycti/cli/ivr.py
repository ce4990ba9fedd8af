"""``pycti ivr check FLOW`` and ``pycti ivr draw FLOW -o out.svg``: IVR flow files at the prompt.

``check`` loads the flow as the runner would (prompts read and checked) and prints ``OK`` or
every error and warning, one a line as ``file:line: [nodes.NAME] message``; the exit status
is 1 when there is an error.  ``draw`` writes a picture of the flow: SVG, or PNG when the
output name ends in ``.png``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(commands: Any, bench_commands: Any) -> None:
    """Add ``ivr check`` and ``ivr draw`` to the ``pycti`` command line."""
    ivr = commands.add_parser("ivr", help="check or draw declarative IVR flow files (TOML)")
    sub = ivr.add_subparsers(dest="ivr_command", metavar="ACTION")
    check = sub.add_parser("check", help="load a flow file and print OK or its errors (exit 1)")
    check.add_argument("flow", help="the flow file (TOML)")
    _common(check)
    check.add_argument("--hook", action="append", default=None, metavar="NAME",
                       help="a hook the application registers; with any --hook, hooks the flow "
                            "calls that are not listed are errors")
    check.set_defaults(func=run_check)
    draw = sub.add_parser("draw", help="write a picture of a flow (SVG, or PNG for a .png name)")
    draw.add_argument("flow", help="the flow file (TOML)")
    draw.add_argument("-o", "--output", required=True, help="the picture to write (.svg or .png)")
    _common(draw)
    draw.set_defaults(func=run_draw)
    ivr.set_defaults(func=lambda args: (ivr.print_help(), 2)[1])


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prompt", action="append", default=[], metavar="NAME=FILE",
                   help="audio for a prompt the flow names as @NAME (repeatable)")


def _prompts(args: argparse.Namespace) -> dict[str, Any] | None:
    from ..dsp.audiofile import read_audio

    out: dict[str, Any] = {}
    for item in args.prompt:
        name, sep, file = item.partition("=")
        if not sep or not name or not file:
            print(f"--prompt {item!r}: expected NAME=FILE", file=sys.stderr)
            return None
        try:
            out[name] = read_audio(file)
        except (OSError, ValueError) as exc:
            print(f"--prompt {name}: {exc}", file=sys.stderr)
            return None
    return out


def run_check(args: argparse.Namespace) -> int:
    """Print OK, or the issues; 1 if there is an error."""
    from ..callcenter.flow import check_flow, load_flow

    prompts = _prompts(args)
    if prompts is None:
        return 2
    issues = check_flow(args.flow, prompts=prompts)
    errors = [i for i in issues if i.severity == "error"]
    if not errors and args.hook is not None:
        errors = load_flow(args.flow, prompts=prompts).missing_hooks(set(args.hook))
        issues = [*errors, *issues]
    for issue in issues:
        print(issue)
    if errors:
        print(f"{len(errors)} error(s)")
        return 1
    flow = load_flow(args.flow, prompts=prompts)
    hooks = ", ".join(sorted(flow.hooks_used())) or "none"
    print(f"OK {args.flow}: flow {flow.name!r}, {len(flow.nodes)} nodes, hooks used: {hooks}")
    return 0


def run_draw(args: argparse.Namespace) -> int:
    """Write the picture; 1 (and the errors) if the flow does not load."""
    from ..callcenter.flow import FlowError, load_flow
    from ..callcenter.flow_draw import write_picture

    prompts = _prompts(args)
    if prompts is None:
        return 2
    try:
        flow = load_flow(args.flow, prompts=prompts)
    except FlowError as exc:
        print(exc)
        return 1
    kind = write_picture(flow, args.output)
    print(f"wrote {args.output} ({kind.upper()}, {len(flow.nodes)} nodes)")
    return 0
