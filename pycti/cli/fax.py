"""``pycti fax send``, ``pycti fax receive`` and ``pycti fax loopback``: a Group 3 fax terminal
(:mod:`pycti.fax.terminal`) on the command line.

``send DOC`` (the calling terminal) and ``receive OUT.tif`` (the answering terminal) exchange
raw signed 16-bit little-endian 8 kHz mono audio on stdin/stdout in lock-step: they read one
20 ms frame (160 samples, 320 bytes), write one, and so on; the program at the other end of the
pipes must do the same (a modem or SIP media bridge, or a test).  The end of stdin is the line
dropping.  Progress goes to stderr, and so does the result line (stdout carries audio).

Polling (T.30 DIS bit 9, DTC) turns the roles round: ``receive OUT.tif --poll`` is the calling
terminal, which polls the far end (CIG + DTC on a DIS that offers a document) and receives;
``send DOC --pollable`` is the answering terminal, which offers DOC to be polled (its DIS sets
bit 9) and transmits it after DTC.  Without a document to poll the caller ends with
``result=POLLING_NOT_OFFERED``.

``loopback DOC OUT.tif`` runs two terminals against each other, optionally through a simulated
line (:class:`pycti.dsp.linemodel.LineModel`: ``--noise-dbm0``, ``--clock-ppm`` ...), and prints
both ends' results on stdout; with ``--poll`` the answering terminal offers DOC and the calling
one polls it into OUT.tif.

The result line is ``result=CODE pages=N rate=BPS modem=M ecm=on|off coding=C`` (CODE is the
T.30 result: OK, T1_EXPIRED, FAR_END_HUNG_UP ...).  Exit status 0 when the call completed
normally, 1 when it failed, 2 for a bad option or an unreadable or unsupported document.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

import numpy as np

from pycti.dsp.linemodel import LineModel
from pycti.fax.document import load_document, write_tiff
from pycti.fax.document_page import DocumentError, FaxPage
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FRAME_SAMPLES, FaxTerminal
from pycti.fax.terminal_events import (
    CallEnded,
    FaxEvent,
    FaxOptions,
    Negotiated,
    PageIncomplete,
    PageReceived,
    PageSent,
)
from pycti.fax.terminal_loop import run_pair
from pycti.fax.terminal_modems import DEFAULT_MODEMS, IMAGE_MODEMS, FaxTerminalError, parse_modems

__all__ = ["describe", "main", "parse_codings", "register", "run_lockstep"]

_CODING_NAMES = {"MH": Coding.MH, "MR": Coding.MR, "T6": Coding.MMR, "MMR": Coding.MMR}
_FRAME_BYTES = FRAME_SAMPLES * 2
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parse_codings(text: str) -> frozenset[Coding]:
    """Coding names separated by commas (MH, MR, T6 or MMR; case-insensitive)."""
    chosen = set()
    for part in (p.strip().upper() for p in text.split(",")):
        if part not in _CODING_NAMES:
            raise FaxTerminalError(f"unknown coding {part!r}; choose from MH, MR, T6")
        chosen.add(_CODING_NAMES[part])
    return frozenset(chosen)


def describe(event: FaxEvent) -> str:
    """One line of progress for ``event``."""
    if isinstance(event, Negotiated):
        return (f"negotiated {event.modem.value} {event.rate_bps} bit/s, {event.coding.value}, "
                f"{event.resolution.name.lower()}, ECM {'on' if event.ecm else 'off'}"
                + (f", remote {event.remote_id!r}" if event.remote_id else ""))
    if isinstance(event, PageSent):
        return f"page {event.page_number} sent at {event.rate_bps} bit/s: {event.response}"
    if isinstance(event, PageReceived):
        return (f"page {event.page_number} received: {event.lines} lines, {event.bad_lines} bad"
                f" ({event.response})")
    if isinstance(event, PageIncomplete):
        return f"page {event.page_number} incomplete: {event.lines} lines kept"
    return f"call ended: {event.result.result.value}"


# ---------------------------------------------------------------- options


def _add_options(p: argparse.ArgumentParser) -> None:
    names = ",".join(IMAGE_MODEMS[m].name for m in sorted(DEFAULT_MODEMS, key=lambda m: m.value))
    every = ",".join(e.name for e in IMAGE_MODEMS.values())
    p.add_argument("--modems", default=names,
                   help=f"image modems offered, comma separated, of {every} (default {names}; "
                        "V17 needs V29 and V27ter beside it)")
    p.add_argument("--ecm", action=argparse.BooleanOptionalAction, default=True,
                   help="error correction mode, T.30 Annex A (default on)")
    p.add_argument("--codings", default="MH,MR,T6",
                   help="codings offered: MH, MR, T6 (T6 only with ECM; default all)")
    p.add_argument("--ident", default="", help="local identifier (CSI/TSI): digits, + and space")
    p.add_argument("--max-duration-s", type=float, default=900.0,
                   help="give up after this much audio (default 900)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _options(args: argparse.Namespace, *, poll: bool = False) -> FaxOptions:
    return FaxOptions(modems=parse_modems(args.modems), ecm=args.ecm,
                      codings=parse_codings(args.codings), local_id=args.ident, poll=poll)


def register(commands: Any, bench_commands: Any) -> None:
    """Add ``fax send|receive|loopback`` to the ``pycti`` subcommands."""
    del bench_commands  # no fax benchmark subcommand
    fax = commands.add_parser("fax", help="a Group 3 fax terminal (T.30) on raw audio")
    sub = fax.add_subparsers(dest="fax_command", metavar="ACTION", required=True)
    p = sub.add_parser("send", help="send DOC as the calling terminal (--pollable: as the "
                                    "answering one, when polled), audio on stdin/stdout")
    p.add_argument("document", metavar="DOC", help="TIFF-F, PDF or picture file")
    p.add_argument("--pollable", action="store_true",
                   help="be the answering terminal and offer DOC to be polled (DIS bit 9): "
                        "the caller's DTC makes it transmit")
    _add_options(p)
    p.set_defaults(func=_cmd_send)
    p = sub.add_parser("receive", help="receive into OUT.tif as the answering terminal (--poll: "
                                       "as the calling one, polling), audio on stdin/stdout")
    p.add_argument("output", metavar="OUT.tif")
    p.add_argument("--poll", action="store_true",
                   help="be the calling terminal and poll the far end (CIG + DTC) for its "
                        "document")
    _add_options(p)
    p.set_defaults(func=_cmd_receive)
    p = sub.add_parser("loopback", help="send DOC from one pycti terminal to another")
    p.add_argument("document", metavar="DOC")
    p.add_argument("output", metavar="OUT.tif")
    _add_options(p)
    p.add_argument("--noise-dbm0", type=float, default=None, help="white noise on the line")
    p.add_argument("--clock-ppm", type=float, default=None, help="receive clock offset")
    p.add_argument("--gain-db", type=float, default=None, help="line gain (negative: loss)")
    p.add_argument("--delay-ms", type=float, default=None, help="line delay")
    p.add_argument("--codec", choices=("ulaw", "alaw"), default=None, help="G.711 round trip")
    p.add_argument("--seed", type=int, default=0, help="seed of the line noise")
    p.add_argument("--poll", action="store_true",
                   help="polling: the answering terminal offers DOC, the calling one polls it")
    p.set_defaults(func=_cmd_loopback)


# ---------------------------------------------------------------- running


def _progress(terminal: FaxTerminal, err: TextIO, quiet: bool, who: str = "") -> None:
    for event in terminal.take_events():
        if not quiet and not isinstance(event, CallEnded):
            print(f"fax{who}: {describe(event)}", file=err, flush=True)


def run_lockstep(terminal: FaxTerminal, audio_in: BinaryIO, audio_out: BinaryIO,
                 err: TextIO, *, quiet: bool = False, max_duration_s: float = 900.0) -> None:
    """Run ``terminal`` over raw audio: read one 320-byte frame, write one, until the call is
    over; the end of ``audio_in`` hangs the terminal up."""
    for _ in range(int(max_duration_s * 50)):
        if terminal.done:
            return
        data = audio_in.read(_FRAME_BYTES)
        if len(data) < _FRAME_BYTES:
            terminal.hang_up()
            _progress(terminal, err, quiet)
            return
        out = terminal.process(np.frombuffer(data, dtype="<i2").astype(np.int16))
        try:
            audio_out.write(out.astype("<i2").tobytes())
            audio_out.flush()
        except BrokenPipeError:
            terminal.hang_up()
        _progress(terminal, err, quiet)
    if not terminal.done:
        print(f"pycti fax: the call lasted over {max_duration_s} s of audio: hanging up",
              file=err)
        terminal.hang_up()
        _progress(terminal, err, quiet)


def _document(path: str) -> list[FaxPage]:
    return list(load_document(path))


def _fail(message: str) -> int:
    print(f"pycti fax: {message}", file=sys.stderr)
    return EXIT_USAGE


def _write_pages(terminal: FaxTerminal, path: str, out: TextIO) -> str | None:
    pages = terminal.received_pages
    if not pages:
        print(f"fax: no page received, {path} not written", file=out)
        return None
    write_tiff(path, [p.page for p in pages], Coding.MMR)
    marks = [str(p.page_number) for p in pages if not p.complete]
    note = f" (incomplete: page {', '.join(marks)})" if marks else ""
    print(f"fax: {len(pages)} page(s) written to {path}{note}", file=out)
    return path


def _cmd_send(args: argparse.Namespace) -> int:
    role = "answering" if args.pollable else "calling"
    try:
        terminal = FaxTerminal(role, _options(args, poll=args.pollable),
                               document=_document(args.document))
    except (DocumentError, FaxTerminalError) as exc:
        return _fail(str(exc))
    run_lockstep(terminal, sys.stdin.buffer, sys.stdout.buffer, sys.stderr, quiet=args.quiet,
                 max_duration_s=args.max_duration_s)
    assert terminal.result is not None
    print(terminal.result.summary(), file=sys.stderr)
    return EXIT_OK if terminal.result.ok else EXIT_FAILED


def _cmd_receive(args: argparse.Namespace) -> int:
    role = "calling" if args.poll else "answering"
    try:
        terminal = FaxTerminal(role, _options(args, poll=args.poll))
    except FaxTerminalError as exc:
        return _fail(str(exc))
    run_lockstep(terminal, sys.stdin.buffer, sys.stdout.buffer, sys.stderr, quiet=args.quiet,
                 max_duration_s=args.max_duration_s)
    assert terminal.result is not None
    try:
        _write_pages(terminal, args.output, sys.stderr)
    except DocumentError as exc:
        return _fail(str(exc))
    print(terminal.result.summary(), file=sys.stderr)
    return EXIT_OK if terminal.result.ok else EXIT_FAILED


def _line(args: argparse.Namespace) -> LineModel | None:
    given = {"noise_dbm0": args.noise_dbm0, "clock_ppm": args.clock_ppm,
             "gain_db": args.gain_db, "delay_ms": args.delay_ms, "codec": args.codec}
    chosen = {k: v for k, v in given.items() if v is not None}
    return LineModel(seed=args.seed, **chosen) if chosen else None


def _cmd_loopback(args: argparse.Namespace) -> int:
    try:
        options = _options(args, poll=args.poll)
        if args.poll:  # the answering terminal sends, the calling one polls and receives
            sender = FaxTerminal("answering", options, document=_document(args.document))
            receiver = FaxTerminal("calling", options)
        else:
            sender = FaxTerminal("calling", options, document=_document(args.document))
            receiver = FaxTerminal("answering", options)
        line = _line(args)
    except (DocumentError, FaxTerminalError, ValueError) as exc:
        return _fail(str(exc))
    caller, answerer = (receiver, sender) if args.poll else (sender, receiver)
    def progress() -> None:
        _progress(sender, sys.stderr, args.quiet, " send")
        _progress(receiver, sys.stderr, args.quiet, " receive")

    try:
        run_pair(caller, answerer, line=line, max_duration_s=args.max_duration_s,
                 observe=progress)
    except FaxTerminalError as exc:
        print(f"pycti fax: {exc}", file=sys.stderr)
    for terminal in (sender, receiver):
        if not terminal.done:
            terminal.hang_up()
    progress()
    try:
        _write_pages(receiver, args.output, sys.stderr)
    except DocumentError as exc:
        return _fail(str(exc))
    assert sender.result is not None and receiver.result is not None
    print(f"sender: {sender.result.summary()}")
    print(f"receiver: {receiver.result.summary()}")
    return EXIT_OK if sender.result.ok and receiver.result.ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pycti.cli.fax ACTION ...``: the same as ``pycti fax ACTION ...``."""
    parser = argparse.ArgumentParser(prog="pycti")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(commands, None)
    args = parser.parse_args(["fax", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
