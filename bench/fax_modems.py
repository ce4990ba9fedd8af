"""CPU cost of pycti's fax modem receivers and fax terminal, numpy path against C path
(:mod:`pycti.dsp.dspcore`), with spandsp beside them, in one run (test tooling).

Receivers: one transmission of ``--seconds`` of random data per modem (V.27ter 4800, V.29
9600, V.17 14400 bit/s with the long training, V.21 channel 2 at 300 bit/s) through a line
model (-50 dBm0 noise, +100 ppm clock), received in 160-sample (20 ms) blocks by a fresh
receiver: pycti with ``PYCTI_DSP_C=0`` (numpy), pycti with the C kernels, and spandsp's
receiver of the same modem (:mod:`tests.peers.spandsp_modems`) on the same audio.  Every
receiver's bits are checked against the data sent (``errors``, missing bits counted; a
receiver that slips a bit counts the bits on the far side of the slip as errors).

Terminal: one page sent by a pycti calling terminal to a pycti answering terminal (V.29 9600,
MR, no ECM) in 20 ms lock-step; the audio each end received is recorded and each end is then
run again alone on it (pycti terminals are deterministic sans-I/O objects) and timed on both
paths; the replay must end the call as the live one did.  spandsp's terminal is timed the same
way on a spandsp-to-spandsp call of the same page (``bench/spandsp_fax.py``, direct
``fax_rx``/``fax_tx`` calls).

"x real time" is audio seconds / CPU seconds (``time.process_time``), the minimum over
``--repeat`` runs.  Run from the repository root::

    python bench/fax_modems.py [--seconds 10] [--repeat 3] [--no-terminal]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pycti.dsp import dspcore  # noqa: E402  (after the path set-up)
from pycti.dsp.linemodel import LineModel  # noqa: E402
from pycti.dsp.modem import ModemReceiver  # noqa: E402
from pycti.dsp.v17 import V17Receiver, V17Transmitter  # noqa: E402
from pycti.dsp.v21 import V21Receiver, V21Transmitter  # noqa: E402
from pycti.dsp.v27ter import V27terReceiver, V27terTransmitter  # noqa: E402
from pycti.dsp.v29 import V29Receiver, V29Transmitter  # noqa: E402
from pycti.fax.document_page import FaxPage  # noqa: E402
from pycti.fax.t30_dis import Modem  # noqa: E402
from pycti.fax.t4_types import Coding, Resolution  # noqa: E402
from pycti.fax.terminal import FaxTerminal  # noqa: E402
from pycti.fax.terminal_events import FaxOptions  # noqa: E402

FRAME = 160
Int16 = npt.NDArray[np.int16]

#: (label, pycti transmitter, pycti receiver, spandsp kind, rate)
MODEMS: tuple[tuple[str, Callable[[], Any], Callable[[], ModemReceiver], str, int], ...] = (
    ("V.27ter 4800", lambda: V27terTransmitter(4800), lambda: V27terReceiver(4800), "V27ter", 4800),
    ("V.29 9600", lambda: V29Transmitter(9600), lambda: V29Receiver(9600), "V29", 9600),
    ("V.17 14400", lambda: V17Transmitter(14400), lambda: V17Receiver(14400), "V17", 14400),
    ("V.21 ch2 300", V21Transmitter, V21Receiver, "V21", 300),
)


def line_signal(make_tx: Callable[[], Any], data: npt.NDArray[np.uint8]) -> Int16:
    """The transmission of ``data`` with 100 ms of silence on each side, through the line."""
    tx = make_tx()
    tx.write_bits(data)
    tx.finish()
    out = [np.zeros(800, dtype=np.int16)]
    for _ in range(200000):
        if tx.done:
            break
        out.append(tx.generate(FRAME))
    out.append(np.zeros(800, dtype=np.int16))
    signal: Int16 = LineModel(noise_dbm0=-50.0, clock_ppm=100.0, seed=1).apply(np.concatenate(out))
    return signal


def errors(bits: npt.NDArray[np.uint8], data: npt.NDArray[np.uint8]) -> int:
    """Bit errors, missing bits counted.  The data are found in the receiver's bits by a
    64-bit stretch of them (V.21 delivers the idle marks before them; a receiver may drop or
    garble bits): the stretches at each tenth of the data are tried, the fewest errors kept."""
    if bits.size < 64:
        return data.size
    windows = np.lib.stride_tricks.sliding_window_view(bits, 64)
    best = data.size
    for mid in range(0, data.size - 64, max(1, data.size // 10)):
        hits = np.flatnonzero((windows == data[mid:mid + 64]).all(axis=1))
        if hits.size == 0:
            continue
        start = int(hits[0]) - mid  # bits[start + i] is data[i]
        lo, hi = max(0, -start), min(data.size, bits.size - start)
        got = bits[start + lo:start + hi]
        best = min(best, int(np.count_nonzero(got != data[lo:hi])) + data.size - (hi - lo))
    return best


@contextlib.contextmanager
def dsp_path(c_path: bool) -> Iterator[None]:
    """The C kernels on or off for the receivers and their parts built inside (a receiver
    builds some parts when a transmission starts, so the whole run goes inside)."""
    old = os.environ.get(dspcore.ENV_VAR)
    os.environ[dspcore.ENV_VAR] = "1" if c_path else "0"
    try:
        yield
    finally:
        if old is None:
            del os.environ[dspcore.ENV_VAR]
        else:
            os.environ[dspcore.ENV_VAR] = old


def time_pycti(make_rx: Callable[[], ModemReceiver], signal: Int16, c_path: bool
               ) -> tuple[float, npt.NDArray[np.uint8]]:
    """CPU seconds of a fresh receiver over ``signal`` in 20 ms blocks, and its bits."""
    frames = [signal[i:i + FRAME] for i in range(0, signal.size, FRAME)]
    out = []
    with dsp_path(c_path):
        rx = make_rx()
        start = time.process_time()
        for frame in frames:
            out.append(rx.process(frame).bits)
        elapsed = time.process_time() - start
    return elapsed, np.concatenate(out)


def time_spandsp(kind: str, rate: int, signal: Int16) -> tuple[float, npt.NDArray[np.uint8]]:
    """The same for spandsp's receiver (through the test binding's numpy wrapper)."""
    from tests.peers.spandsp_modems import SpandspModemRx

    rx = SpandspModemRx(kind, rate)
    frames = [np.ascontiguousarray(signal[i:i + FRAME]) for i in range(0, signal.size, FRAME)]
    out = []
    start = time.process_time()
    for frame in frames:
        out.append(rx.process(frame))
    elapsed = time.process_time() - start
    rx.close()
    return elapsed, np.concatenate(out).astype(np.uint8)


def receivers(seconds: float, repeat: int) -> None:
    """Print the receiver table."""
    print(f"receivers: {seconds:g} s of random data after the training, line -50 dBm0 noise, "
          f"+100 ppm, 20 ms blocks, min of {repeat} runs; C module "
          f"{'built' if dspcore.AVAILABLE else 'MISSING'}")
    print(f"{'modem':<13} {'audio s':>7} {'numpy x':>8} {'C x':>8} {'speed-up':>8} "
          f"{'spandsp x':>9} {'errors numpy/C/spandsp':>23}")
    rng = np.random.default_rng(29)
    for label, make_tx, make_rx, kind, rate in MODEMS:
        data = rng.integers(0, 2, int(rate * seconds)).astype(np.uint8)
        signal = line_signal(make_tx, data)
        audio_s = signal.size / 8000
        runs: dict[str, tuple[float, int]] = {}
        timers: tuple[tuple[str, Callable[[], tuple[float, npt.NDArray[np.uint8]]]], ...] = (
            ("numpy", lambda: time_pycti(make_rx, signal, False)),
            ("c", lambda: time_pycti(make_rx, signal, True)),
            ("spandsp", lambda: time_spandsp(kind, rate, signal)))
        for name, run in timers:
            if name == "c" and not dspcore.AVAILABLE:
                continue
            best = min((run() for _ in range(repeat)), key=lambda r: r[0])
            runs[name] = (best[0], errors(best[1], data))
        numpy_s = runs["numpy"][0]
        c_s = runs["c"][0] if "c" in runs else float("nan")
        sp_s = runs["spandsp"][0]
        errs = "/".join(str(runs[n][1]) if n in runs else "-" for n in ("numpy", "c", "spandsp"))
        print(f"{label:<13} {audio_s:>7.1f} {audio_s / numpy_s:>7.0f}x {audio_s / c_s:>7.0f}x "
              f"{numpy_s / c_s:>7.1f}x {audio_s / sp_s:>8.0f}x {errs:>23}")


def pycti_call(page: FaxPage) -> tuple[list[Int16], list[Int16], float]:
    """A live pycti-to-pycti call of ``page``: what each end received, the audio time."""
    options = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MR}))
    caller = FaxTerminal("calling", options, document=[page])
    answerer = FaxTerminal("answering", FaxOptions())
    to_caller = np.zeros(FRAME, dtype=np.int16)
    to_answerer = np.zeros(FRAME, dtype=np.int16)
    heard_by_caller: list[Int16] = []
    heard_by_answerer: list[Int16] = []
    for _ in range(300 * 50):
        heard_by_caller.append(to_caller)
        heard_by_answerer.append(to_answerer)
        from_caller = caller.process(to_caller)
        from_answerer = answerer.process(to_answerer)
        to_answerer, to_caller = from_caller, from_answerer
        if caller.done and answerer.done:
            break
    if answerer.result is None or not answerer.result.ok:
        raise SystemExit(f"the pycti call failed: {answerer.result}")
    return heard_by_caller, heard_by_answerer, len(heard_by_caller) * FRAME / 8000


def replay(make: Callable[[], FaxTerminal], frames: list[Int16], c_path: bool) -> float:
    """CPU seconds of a fresh terminal run alone on the audio it heard in the live call."""
    with dsp_path(c_path):
        terminal = make()
        start = time.process_time()
        for frame in frames:
            terminal.process(frame)
            if terminal.done:
                break
        elapsed = time.process_time() - start
    if terminal.result is None or not terminal.result.ok:
        raise SystemExit(f"the replayed terminal did not complete the call: {terminal.result}")
    return elapsed


def terminals(repeat: int) -> None:
    """Print the terminal table."""
    import spandsp_fax  # bench/spandsp_fax.py: its page and its call recorder

    from tests.peers.spandsp import write_tiff_f

    image = spandsp_fax.letter_page(np.random.default_rng(760))
    page = FaxPage(image.astype(np.uint8), Resolution.FINE)
    to_caller, to_answerer, audio_s = pycti_call(page)
    options = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MR}))
    ends: dict[str, tuple[Callable[[], FaxTerminal], list[Int16]]] = {
        "sender": (lambda: FaxTerminal("calling", options, document=[page]), to_caller),
        "receiver": (lambda: FaxTerminal("answering", FaxOptions()), to_answerer),
    }
    with tempfile.TemporaryDirectory() as tmp:
        tx_path, rx_path = Path(tmp) / "doc.tif", Path(tmp) / "rx.tif"
        write_tiff_f(tx_path, [image], compression="group4")
        sp_to_sender, sp_to_receiver, sp_result, sp_audio_s = spandsp_fax.record_call(
            tx_path, rx_path, False)
        sp_ends = {
            "sender": (sp_to_sender, {"calling": True, "tx_tiff": tx_path, "ecm": False}),
            "receiver": (sp_to_receiver, {"calling": False, "rx_tiff": rx_path, "ecm": False}),
        }
        print(f"\nterminal: one A4 letter page (1728 x 2287), no ECM; pycti call V.29 9600 MR "
              f"{audio_s:.1f} s, spandsp call {sp_result.bit_rate_bps} bit/s "
              f"{sp_result.compression} {sp_audio_s:.1f} s of audio; min of {repeat} runs")
        print(f"{'end':<9} {'numpy x':>8} {'C x':>8} {'speed-up':>8} {'spandsp x':>9}")
        for name, (make, frames) in ends.items():
            numpy_s = min(replay(make, frames, False) for _ in range(repeat))
            c_s = min(replay(make, frames, True) for _ in range(repeat)) if dspcore.AVAILABLE else float("nan")
            sp_frames, sp_terminal = sp_ends[name]
            sp_s = min(spandsp_fax.time_raw(sp_frames, **sp_terminal) for _ in range(repeat))
            print(f"{name:<9} {audio_s / numpy_s:>7.0f}x {audio_s / c_s:>7.0f}x "
                  f"{numpy_s / c_s:>7.1f}x {sp_audio_s / sp_s:>8.0f}x")


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="data seconds per receiver")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs; the minimum is kept")
    parser.add_argument("--no-terminal", action="store_true", help="receivers only")
    args = parser.parse_args()
    receivers(args.seconds, args.repeat)
    if not args.no_terminal:
        terminals(args.repeat)


if __name__ == "__main__":
    main()
