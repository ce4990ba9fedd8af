"""CPU cost of one spandsp fax terminal, as a multiple of real time (test tooling).

Runs one spandsp-to-spandsp T.30 call per document (a 1-page and a 3-page A4 letter of
text-like content, 1728 x 2287 pels at 204 x 196 dpi) through :mod:`tests.peers.spandsp` in
160-sample lock-step, recording the audio each terminal received.  spandsp is deterministic,
so each terminal is then run again alone on its recorded input and timed with
``time.process_time``:

* ``wrapped``: through :class:`SpandspFax` (numpy frames, the cost pycti's tests see);
* ``raw``: calling ``fax_rx``/``fax_tx`` directly on preallocated cffi buffers, which is as
  close to spandsp's own cost as Python can measure.

"x real time" is audio seconds / CPU seconds for one terminal (the project note quotes spandsp
at about 760x per receiving terminal).  Run from the repository root::

    python bench/spandsp_fax.py [--repeat 5] [--ecm]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.peers.spandsp import (  # noqa: E402  (after the path set-up)
    FRAME_SAMPLES,
    SAMPLE_RATE_HZ,
    FaxResult,
    SpandspFax,
    load,
    write_tiff_f,
)

A4_ROWS = 2287  # 297 mm at 7.7 lines/mm (fine resolution)
Frames = list[npt.NDArray[np.int16]]


def letter_page(rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """A page of text-like lines: 40-pel line pitch, words of 12 x 20 pel stroke glyphs."""
    page = np.zeros((A4_ROWS, 1728), dtype=np.bool_)
    glyphs = np.zeros((64, 20, 12), dtype=np.bool_)
    for glyph in glyphs:  # two or three 2-pel strokes per glyph
        for _ in range(int(rng.integers(2, 4))):
            if rng.random() < 0.5:
                column = int(rng.integers(0, 10))
                glyph[int(rng.integers(0, 8)) : 20, column : column + 2] = True
            else:
                row = int(rng.integers(0, 18))
                glyph[row : row + 2, int(rng.integers(0, 4)) : int(rng.integers(8, 12))] = True
    for top in range(200, A4_ROWS - 200, 40):
        left = 160
        while left < 1728 - 160 - 12 * 10:
            for _ in range(int(rng.integers(2, 10))):  # one word
                page[top : top + 20, left : left + 12] = glyphs[int(rng.integers(0, 64))]
                left += 14
            left += 28
    return page


def record_call(tx_path: Path, rx_path: Path, ecm: bool) -> tuple[Frames, Frames, FaxResult, float]:
    """Run one call; return the audio each end received, the receiver's result, duration."""
    sender = SpandspFax(calling=True, tx_tiff=tx_path, ecm=ecm)
    receiver = SpandspFax(calling=False, rx_tiff=rx_path, ecm=ecm)
    to_sender: Frames = []
    to_receiver: Frames = []
    for _ in range(int(900 * SAMPLE_RATE_HZ / FRAME_SAMPLES)):
        out_s, out_r = sender.tx(FRAME_SAMPLES), receiver.tx(FRAME_SAMPLES)
        sender.rx(out_r)
        receiver.rx(out_s)
        to_sender.append(out_r)
        to_receiver.append(out_s)
        if sender.done and receiver.done:
            break
    result = receiver.result
    sender.close()
    receiver.close()
    if result is None or not result.success:
        raise SystemExit(f"the call failed: {result}")
    return to_sender, to_receiver, result, len(to_receiver) * FRAME_SAMPLES / SAMPLE_RATE_HZ


def time_wrapped(frames: Frames, **terminal: object) -> float:
    """CPU seconds for a fresh terminal to process ``frames`` through SpandspFax."""
    fax = SpandspFax(**terminal)  # type: ignore[arg-type]
    start = time.process_time()
    for frame in frames:
        fax.rx(frame)
        fax.tx(FRAME_SAMPLES)
    elapsed = time.process_time() - start
    replayed = fax.result
    fax.close()
    if replayed is None or not replayed.success:  # the replay must repeat the call
        raise SystemExit(f"the replayed terminal did not complete the call: {replayed}")
    return elapsed


def time_raw(frames: Frames, **terminal: object) -> float:
    """CPU seconds for a fresh terminal to process ``frames`` with direct fax_rx/fax_tx."""
    ffi, lib = load()
    fax = SpandspFax(**terminal)  # type: ignore[arg-type]
    state = fax._live()
    inputs = [ffi.from_buffer("int16_t[]", frame) for frame in frames]
    out = ffi.new("int16_t[]", FRAME_SAMPLES)
    fax_rx, fax_tx = lib.fax_rx, lib.fax_tx
    start = time.process_time()
    for buf in inputs:
        fax_rx(state, buf, FRAME_SAMPLES)
        fax_tx(state, out, FRAME_SAMPLES)
    elapsed = time.process_time() - start
    replayed = fax.result
    fax.close()
    if replayed is None or not replayed.success:  # the replay must repeat the call
        raise SystemExit(f"the replayed terminal did not complete the call: {replayed}")
    return elapsed


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing runs; the minimum is kept")
    parser.add_argument("--ecm", action="store_true", help="use ECM (T.6 coding) instead of MR")
    args = parser.parse_args()
    rng = np.random.default_rng(760)
    pages = [letter_page(rng) for _ in range(3)]
    print(f"spandsp fax terminal CPU, ECM {'on' if args.ecm else 'off'}, min of {args.repeat} runs")
    header = f"{'doc':>7} {'coding':>6} {'rate':>5} {'audio s':>8}  {'terminal':<9}"
    header += f" {'wrapped CPU s':>13} {'x real time':>11} {'raw CPU s':>10} {'x real time':>11}"
    print(header + f" {'raw CPU ms/fax s':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1, 3):
            tx_path, rx_path = Path(tmp) / f"doc{count}.tif", Path(tmp) / f"rx{count}.tif"
            write_tiff_f(tx_path, pages[:count], compression="group4")
            to_sender, to_receiver, result, audio_s = record_call(tx_path, rx_path, args.ecm)
            ends = {
                "sender": (to_sender, {"calling": True, "tx_tiff": tx_path, "ecm": args.ecm}),
                "receiver": (to_receiver, {"calling": False, "rx_tiff": rx_path, "ecm": args.ecm}),
            }
            for name, (frames, terminal) in ends.items():
                wrapped = min(time_wrapped(frames, **terminal) for _ in range(args.repeat))
                raw = min(time_raw(frames, **terminal) for _ in range(args.repeat))
                print(
                    f"{count:>2} page{'s' if count > 1 else ' '} {result.compression:>6} "
                    f"{result.bit_rate_bps:>5} {audio_s:>8.1f}  {name:<9} {wrapped:>13.3f} "
                    f"{audio_s / wrapped:>10.0f}x {raw:>10.3f} {audio_s / raw:>10.0f}x"
                    f" {1000 * raw / audio_s:>16.3f}"
                )


if __name__ == "__main__":
    main()
