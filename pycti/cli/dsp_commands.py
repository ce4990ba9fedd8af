"""``pycti dtmf``, ``pycti tones`` and ``pycti bench dsp``.

``dtmf`` and ``tones`` answer one line per file, ``PATH<TAB>RESULT``.  Without file arguments
they read paths from standard input, one per line, and answer each line as soon as it arrives
(stdout is flushed after every answer), so another program can drive them through a pipe.  A
file that cannot be read or has the wrong format gets a one-line message on stderr naming it
and the problem; the others are still answered; the exit status is 1 if any file failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

import numpy as np

__all__ = ["TONE_CLI_NAMES", "detect_digits", "detect_tones", "register"]

#: Names ``pycti tones`` prints; detector variants map onto them.
TONE_CLI_NAMES = {"CED_PR": "CED", "ANSAM": "CED", "ANSAM_PR": "CED"}
_BLOCK = 160


def register(commands: Any, bench_commands: Any) -> None:
    """Add ``dtmf`` and ``tones`` to ``commands`` and ``dsp`` to ``bench_commands``."""
    p = commands.add_parser("dtmf", help="print the DTMF digits in audio files")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="WAV (PCM16, mu-law, A-law), raw 16-bit (.raw .sln) or raw G.711 "
                        "(.ul .ulaw .pcmu / .al .alaw .pcma), 8 kHz mono; "
                        "none: read paths from stdin")
    p.set_defaults(func=_cmd_dtmf)
    p = commands.add_parser("tones", help="print the fax and call-progress tones in audio files")
    p.add_argument("files", nargs="*", metavar="FILE", help="as for dtmf")
    p.add_argument("--country", default="all",
                   help="call-progress tone tables: a country code, codes separated by commas, "
                        "or 'all' (default: every country in the table)")
    p.set_defaults(func=_cmd_tones)
    p = bench_commands.add_parser("dsp", help="detector throughput on synthetic channels")
    p.add_argument("--channels", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_bench)


def detect_digits(samples: np.ndarray) -> str:
    """The DTMF digits in mono int16 ``samples``, in order."""
    from pycti.dsp.dtmf import DtmfDetector

    det = DtmfDetector(1)
    events = []
    for pos in range(0, len(samples), _BLOCK * 50):
        events += det.process(samples[np.newaxis, pos: pos + _BLOCK * 50])
    events += det.flush()
    return "".join(e.digit for e in sorted(events, key=lambda e: e.start_sample))


def detect_tones(samples: np.ndarray, *, country: str | tuple[str, ...] = "CN") -> list[str]:
    """Fax and call-progress tone names in mono ``samples``, by first onset, each once."""
    from pycti.dsp.fax_tones import CallToneDetector

    det = CallToneDetector(1, country)
    events = det.process(samples[np.newaxis, :]) + det.flush()
    events.sort(key=lambda e: (e.start_sample, e.end_sample))
    names = [TONE_CLI_NAMES.get(e.tone, e.tone) for e in events]
    return list(dict.fromkeys(names))


def _paths(files: list[str], stdin: TextIO) -> Iterator[str]:
    if files:
        yield from files
        return
    for line in iter(stdin.readline, ""):  # one line at a time: answer before reading on
        path = line.rstrip("\r\n")
        if path:
            yield path


def _answer_each(paths: Iterable[str], analyse: Callable[[np.ndarray], str]) -> int:
    from pycti.dsp.audiofile import read_audio
    from pycti.errors import AudioFormatError

    status = 0
    for path in paths:
        try:
            result = analyse(read_audio(path))
        except AudioFormatError as exc:
            print(f"pycti: {exc}", file=sys.stderr, flush=True)
            status = 1
            continue
        except OSError as exc:
            print(f"pycti: {path}: {exc.strerror or exc}", file=sys.stderr, flush=True)
            status = 1
            continue
        print(f"{path}\t{result}", flush=True)
    return status


def _cmd_dtmf(args: argparse.Namespace) -> int:
    try:
        import pycti.dsp.dtmf  # noqa: F401
    except ImportError as exc:
        print(f"pycti dtmf: DTMF detector unavailable ({exc})", file=sys.stderr)
        return 1
    return _answer_each(_paths(args.files, sys.stdin), detect_digits)


def _cmd_tones(args: argparse.Namespace) -> int:
    from pycti.dsp.progress_tables import COUNTRIES

    countries = tuple(COUNTRIES) if args.country.lower() == "all" else tuple(
        c.strip().upper() for c in args.country.split(",") if c.strip())
    if not countries or any(c not in COUNTRIES for c in countries):
        print(f"pycti tones: unknown country {args.country!r}; known: {', '.join(COUNTRIES)} or all",
              file=sys.stderr)
        return 2
    return _answer_each(_paths(args.files, sys.stdin),
                        lambda x: ",".join(detect_tones(x, country=countries)))


_ONE_CORE_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _cmd_bench(args: argparse.Namespace) -> int:
    if any(os.environ.get(v) != "1" for v in _ONE_CORE_ENV):
        # BLAS reads its thread count at import: rerun in a process pinned to one thread.
        env = dict(os.environ, **{v: "1" for v in _ONE_CORE_ENV})
        cmd = [sys.executable, "-m", "pycti.cli.main", "bench", "dsp", "--channels",
               str(args.channels), "--seconds", str(args.seconds), "--seed", str(args.seed)]
        return subprocess.call(cmd, env=env)
    from pycti.cli.dsp_bench import DETECTOR_SETS, bench, bench_g711, workload

    audio = workload(args.channels, args.seconds, seed=args.seed)
    print(f"# {args.channels} channels x {args.seconds:g} s, 20 ms blocks, one thread, best of 3 runs; "
          "channel-seconds of audio per CPU-second", flush=True)
    for name in DETECTOR_SETS:
        try:
            r = bench(name, audio)
        except ImportError as exc:
            print(f"{name}\tunavailable ({exc})", flush=True)
            continue
        print(f"{name}\t{r.channel_seconds_per_cpu_second:,.0f}", flush=True)
    print(f"g711\t{bench_g711(audio).channel_seconds_per_cpu_second:,.0f}", flush=True)
    return 0
