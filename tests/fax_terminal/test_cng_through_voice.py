"""A calling fax terminal keeps sending CNG while the answering side talks (an IVR prompt, a
person saying hello): T.30 5.2.1 has CNG go on until the far end's DIS, and a voice holds the
V.21 carrier detector on now and then, which must not silence the calling tone."""

from __future__ import annotations

import numpy as np

from pycti.demo.prompts import synthetic_prompt
from pycti.dsp.fax_tones import FaxToneDetector
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import FaxOptions

from . import document

FRAME = 160


def _cng_heard(heard: np.ndarray, seconds: float) -> list[float]:
    """The times (s) of the CNG a switch's fax-tone detector finds in the calling
    terminal's output while it hears ``heard`` (looped)."""
    terminal = FaxTerminal("calling", FaxOptions(local_id="+1 555 0100"), document=document(40, seed=1))
    frames = int(seconds * 8000) // FRAME
    loop = np.resize(heard.astype(np.int16), frames * FRAME)
    out = np.concatenate([terminal.process(np.ascontiguousarray(loop[k * FRAME:(k + 1) * FRAME]))
                          for k in range(frames)])
    det = FaxToneDetector(1)
    events = det.process(out[np.newaxis, :]) + det.flush()
    return [e.start_sample / 8000 for e in events if e.tone == "CNG"]


def test_cng_goes_on_through_a_voice_prompt() -> None:
    quiet = _cng_heard(np.zeros(FRAME, np.int16), 11.0)
    voice = _cng_heard(synthetic_prompt(syllables=12, level_dbm0=-12.0), 11.0)
    assert len(quiet) == 4  # 0, 3.5, 7, 10.5 s: every cadence
    assert voice == quiet  # the same cadence, at the same times, while the prompt plays
