"""Two fax terminals on one simulated line, in 20 ms lock-step (for tests, the ``pycti fax
loopback`` command and benchmarks).

Each frame, both terminals process what reached them in the previous frame; each direction
passes through its own :class:`~pycti.dsp.linemodel.LineChannel` when a
:class:`~pycti.dsp.linemodel.LineModel` is given (band filter, loss, noise, clock offset, G.711),
seeded differently per direction.  When one terminal has finished and the other has not within
``hangup_delay_s``, the line drops for it (:meth:`~pycti.fax.terminal.FaxTerminal.hang_up`),
as a telephone line does once one end has hung up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from pycti.dsp.linemodel import LineModel
from pycti.fax.terminal import FRAME_SAMPLES, FaxTerminal
from pycti.fax.terminal_modems import FaxTerminalError

__all__ = ["run_pair"]


def run_pair(caller: FaxTerminal, answerer: FaxTerminal, *, line: LineModel | None = None,
             max_duration_s: float = 600.0, hangup_delay_s: float = 1.0,
             observe: Callable[[], None] | None = None) -> float:
    """Run the call between ``caller`` and ``answerer`` until both are done; return the
    audio time in seconds.  ``observe`` is called after every frame (progress display).
    :class:`FaxTerminalError` if the call lasts beyond ``max_duration_s``."""
    forward = line.stream() if line is not None else None
    backward = (dataclasses.replace(line, seed=line.seed + 1).stream()
                if line is not None else None)
    to_caller = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    to_answerer = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    frames = int(max_duration_s * 50)
    hangup_frames = int(hangup_delay_s * 50)
    first_done: int | None = None
    for count in range(1, frames + 1):
        from_caller = caller.process(to_caller)
        from_answerer = answerer.process(to_answerer)
        to_answerer = forward.process(from_caller) if forward is not None else from_caller
        to_caller = backward.process(from_answerer) if backward is not None else from_answerer
        if observe is not None:
            observe()
        if caller.done and answerer.done:
            return count * FRAME_SAMPLES / 8000
        if caller.done or answerer.done:
            first_done = count if first_done is None else first_done
            if count - first_done >= hangup_frames:
                (answerer if caller.done else caller).hang_up()
    raise FaxTerminalError(f"the fax call did not end within max_duration_s={max_duration_s}")
