"""CPU cost of many concurrent fax sessions in one pycti switch, with spandsp's per-terminal
cost beside it in the same run (test tooling).

``N`` terminals make ``N / 2`` station-to-station calls on the simulated board of one
:class:`~pycti.local.provider.LocalProvider` running in virtual time (lock-step 20 ms ticks, as
fast as the CPU allows).  On every call one end is a :class:`~pycti.callcenter.fax.FaxService`
session on the calling station's connection -- a tap in the media plane -- and the other end a
fax machine on the called station's line of the board (:class:`tests.callcenter.fax_line.LineFax`:
a real :class:`~pycti.fax.terminal.FaxTerminal` that hears the line and talks back up it).
Even-numbered calls send through the service (the line machine receives), odd ones receive.
All calls start in the same tick, so N terminals, half sending and half receiving, run side by
side through the switch engine, the media plane and the board.

Reported per N:

* ``CPU/s``: process CPU seconds (``time.process_time``) per second of virtual (fax audio)
  time while the sessions ran -- the fraction of one core the N sessions need in real time,
  switch, media plane, board and asyncio included (below 1.0: they fit in one core);
* ``x RT / terminal``: N x audio seconds / CPU seconds, the multiple of real time per
  terminal with everything included, and the same for the terminals' own ``process`` calls
  only (timed around each call);
* pages OK: calls whose page arrived pixel-identical with an OK result at both ends.

spandsp's per-terminal multiple of real time is measured in the same run on a spandsp-to-
spandsp call of the same page (:mod:`bench.spandsp_fax`, direct ``fax_rx``/``fax_tx`` calls on
the recorded audio).  Other processes on the machine do not count in process CPU time, but
they slow caches and clocks: run it a few times and report the range.  From the repository
root::

    python bench/fax_sessions.py [--sessions 10 50 100] [--rows 2287] [--ecm] [--no-spandsp]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pycti  # noqa: E402  (after the path set-up)
from pycti.callcenter.fax import FaxService, FaxSession  # noqa: E402
from pycti.dsp import dspcore  # noqa: E402
from pycti.drivers.sim import SimDriver  # noqa: E402
from pycti.fax.document_page import FaxPage  # noqa: E402
from pycti.fax.t30_dis import Modem  # noqa: E402
from pycti.fax.t4_types import Coding, Resolution  # noqa: E402
from pycti.fax.terminal import FaxTerminal  # noqa: E402
from pycti.fax.terminal_events import FaxOptions, FaxResult  # noqa: E402
from pycti.switch import events as ev  # noqa: E402
from pycti.switch.ids import ConnectionID  # noqa: E402
from tests.callcenter.fax_line import LineFax  # noqa: E402

TICK_S = 0.02


class _ProcessTimer:
    """CPU seconds spent inside every FaxTerminal.process call of this run (the bench wraps
    the method; the library is untouched)."""

    def __init__(self) -> None:
        self.cpu_s = 0.0
        self._original: Callable[..., Any] = FaxTerminal.process

    def __enter__(self) -> _ProcessTimer:
        original = self._original
        clock = time.process_time

        @functools.wraps(original)
        def timed(terminal: FaxTerminal, rx: Any) -> Any:
            start = clock()
            try:
                return original(terminal, rx)
            finally:
                self.cpu_s += clock() - start

        FaxTerminal.process = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        FaxTerminal.process = self._original  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)
class RunFigures:
    """One N's figures."""

    terminals: int
    audio_s: float  # virtual seconds from the fax start to the last terminal done
    terminal_audio_s: float  # sum over terminals of their own call time
    cpu_s: float
    terminal_cpu_s: float
    pages_ok: int
    calls: int


def _page(rows: int) -> FaxPage:
    import spandsp_fax  # bench/spandsp_fax.py: the text-like A4 letter page

    image = spandsp_fax.letter_page(np.random.default_rng(760))[:rows]
    return FaxPage(image.astype(np.uint8), Resolution.FINE)


def _options(ecm: bool) -> FaxOptions:
    if ecm:
        return FaxOptions(modems=frozenset({Modem.V29}), ecm=True, codings=frozenset({Coding.MMR}))
    return FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MR}))


async def _connect(p: Any, calls: int) -> list[tuple[ConnectionID, str]]:
    """Set up ``calls`` station-to-station calls; return (calling connection, called device)."""
    out = []
    for k in range(calls):
        a, b = p.config.station_device(2 * k), p.config.station_device(2 * k + 1)
        async with p.monitor(b) as mon:
            calling = await p.make_call(a, b)
            async for e in mon:
                if isinstance(e, ev.Delivered):
                    await p.answer_call(e.connection)
                elif isinstance(e, ev.Established):
                    break
        out.append((calling, b))
    return out


async def _run(n: int, page: FaxPage, options: FaxOptions, progress: bool) -> RunFigures:
    calls = n // 2
    config = pycti.SwitchConfig(trunks=0, stations=2 * calls, routes=(), caller_id="none")
    driver = SimDriver(0, 2 * calls, seed=config.seed)
    line = LineFax(driver)
    p = pycti.open(config, drivers=[driver])
    async with p:
        pairs = await _connect(p, calls)
        service = FaxService(p)
        sessions: list[FaxSession] = []
        machines: list[FaxTerminal] = []
        with _ProcessTimer() as timer:
            start_s, start_cpu = p.now(), time.process_time()
            for k, (calling, called) in enumerate(pairs):
                port = p.engine.port_of[called]
                if k % 2 == 0:
                    sessions.append(service.start_send(calling, [page], options))
                    machines.append(line.plug(port, FaxTerminal("answering", options)))
                else:
                    sessions.append(service.start_receive(calling, None, options))
                    machines.append(line.plug(port, FaxTerminal("calling", options, document=[page])))
            waiting = asyncio.ensure_future(asyncio.gather(*(s.wait() for s in sessions)))
            last = start_s
            while not (waiting.done() and all(m.done for m in machines)):
                await p.sleep(1.0)
                if p.now() - start_s > 900:
                    raise SystemExit(f"N={n}: the faxes did not end within 900 s of audio")
                if progress and p.now() - last >= 5.0:
                    last = p.now()
                    ended = sum(s.terminal.done for s in sessions) + sum(m.done for m in machines)
                    cpu = time.process_time() - start_cpu
                    print(f"  N={n}: {last - start_s:5.0f} s of fax audio, {ended}/{n} terminals "
                          f"done, {cpu:6.1f} CPU s", file=sys.stderr, flush=True)
            audio_s, cpu_s = p.now() - start_s, time.process_time() - start_cpu
            results: list[FaxResult] = await waiting
        terminals = [s.terminal for s in sessions] + machines
        ok = 0
        for k, session in enumerate(sessions):
            receiver = machines[k] if k % 2 == 0 else session.terminal
            got = receiver.received_pages
            same = (len(got) == 1 and got[0].complete and got[0].page.image.shape == page.image.shape
                    and bool(np.array_equal(got[0].page.image, page.image)))
            ends = (results[k], machines[k].result)
            ok += same and all(r is not None and r.ok for r in ends)
    return RunFigures(terminals=2 * calls, audio_s=audio_s,
                      terminal_audio_s=sum(t.now_s for t in terminals), cpu_s=cpu_s,
                      terminal_cpu_s=timer.cpu_s, pages_ok=ok, calls=calls)


def _spandsp(page: FaxPage, ecm: bool, repeat: int) -> dict[str, tuple[float, float]]:
    """spandsp's terminal: (audio s, x real time) per end, the best of ``repeat`` runs."""
    import spandsp_fax

    from tests.peers.spandsp import write_tiff_f

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tx_path, rx_path = Path(tmp) / "doc.tif", Path(tmp) / "rx.tif"
        write_tiff_f(tx_path, [page.image.astype(bool)], compression="group4")
        to_sender, to_receiver, _result, audio_s = spandsp_fax.record_call(tx_path, rx_path, ecm)
        ends: dict[str, tuple[list[npt.NDArray[np.int16]], dict[str, object]]] = {
            "sender": (to_sender, {"calling": True, "tx_tiff": tx_path, "ecm": ecm}),
            "receiver": (to_receiver, {"calling": False, "rx_tiff": rx_path, "ecm": ecm}),
        }
        for name, (frames, terminal) in ends.items():
            cpu = min(spandsp_fax.time_raw(frames, **terminal) for _ in range(repeat))
            out[name] = (audio_s, audio_s / cpu)
    return out


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 50, 100],
                        help="numbers of terminals (even), each run on its own switch")
    parser.add_argument("--rows", type=int, default=2287, help="rows of the A4 letter page sent")
    parser.add_argument("--ecm", action="store_true", help="ECM with MMR (T.6) instead of MR")
    parser.add_argument("--repeat", type=int, default=3, help="spandsp timing runs (best kept)")
    parser.add_argument("--no-spandsp", action="store_true", help="leave spandsp out")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args()
    bad = [n for n in args.sessions if n < 2 or n % 2]
    if bad:
        parser.error(f"--sessions takes even numbers >= 2, got {bad}")
    page, options = _page(args.rows), _options(args.ecm)
    coding = "ECM MMR" if args.ecm else "MR"
    print(f"fax sessions: 1 page 1728 x {page.rows} (A4 letter text), V.29 9600 {coding}; "
          f"C kernels {'on' if dspcore.enabled() else 'off'}; sim board, virtual time")
    if not args.no_spandsp:
        sp = _spandsp(page, args.ecm, args.repeat)
        print("spandsp per terminal (same page, same run): " + ", ".join(
            f"{name} {x:.0f}x ({a:.1f} s call)" for name, (a, x) in sp.items()))
    print(f"{'N':>4} {'calls':>5} {'audio s':>7} {'CPU s':>7} {'CPU/s':>6} "
          f"{'x RT/terminal':>13} {'terminal-only x':>15} {'pages OK':>8}")
    for n in args.sessions:
        f = asyncio.run(_run(n, page, options, not args.quiet))
        print(f"{f.terminals:>4} {f.calls:>5} {f.audio_s:>7.1f} {f.cpu_s:>7.2f} "
              f"{f.cpu_s / f.audio_s:>6.3f} {f.terminal_audio_s / f.cpu_s:>12.0f}x "
              f"{f.terminal_audio_s / f.terminal_cpu_s:>14.0f}x {f.pages_ok:>4}/{f.calls}",
              flush=True)


if __name__ == "__main__":
    main()
