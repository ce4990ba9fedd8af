"""A burst of loud noise hits the line in the middle of page 1 (300 ms, after the image
carrier trained): without ECM the damaged page draws RTN, the caller trains again and sends
the page again; with ECM the frames the burst broke are named by PPR and sent again.  Either
way the pages end pixel-identical."""

from __future__ import annotations

import numpy as np

from pycti.fax.t30 import State
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FRAME_SAMPLES, FaxTerminal
from pycti.fax.terminal_events import FaxOptions, PageReceived

from . import document, same_image

BURST_FRAMES = 15  # 300 ms
DELAY_FRAMES = 25  # 500 ms after the receiver's image modem trained


def _call_with_burst(ecm: bool, rms: float) -> tuple[FaxTerminal, FaxTerminal, list[PageReceived]]:
    pages = document(200, 100)
    sender = FaxTerminal("calling", FaxOptions(ecm=ecm, codings=frozenset({Coding.MR})),
                         document=pages)
    receiver = FaxTerminal("answering")
    rng = np.random.default_rng(1)
    silence = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    to_sender, to_receiver = silence, silence
    burst_at: int | None = None
    events: list[PageReceived] = []
    for frame in range(50 * 120):
        from_sender, to_sender = sender.process(to_sender), receiver.process(to_receiver)
        to_receiver = from_sender
        if burst_at is None and receiver.t30_state is State.R_RX_PAGE:
            burst_at = frame + DELAY_FRAMES
        if burst_at is not None and burst_at <= frame < burst_at + BURST_FRAMES:
            noisy = from_sender + rng.normal(0.0, rms, FRAME_SAMPLES)
            to_receiver = np.clip(noisy, -32768, 32767).astype(np.int16)
        events += [e for e in receiver.take_events() if isinstance(e, PageReceived)]
        if sender.done and receiver.done:
            break
    assert burst_at is not None
    assert all(same_image(p.page.image, s.image) for p, s in zip(receiver.received_pages, pages))
    return sender, receiver, events


def test_without_ecm_the_damaged_page_is_sent_again_after_rtn() -> None:
    sender, receiver, events = _call_with_burst(ecm=False, rms=1000.0)
    assert sender.result is not None and sender.result.ok and sender.result.pages == 2
    first = events[0]
    assert (first.page_number, first.response) == (1, "RTN") and first.bad_lines > 10
    assert [(e.page_number, e.bad_lines, e.response) for e in events[1:]] == [
        (1, 0, "MCF"), (2, 0, "MCF")]
    assert sender.result.trainings == 2  # the first TCF and the retrain after RTN
    assert [p.complete for p in receiver.received_pages] == [True, True]


def test_with_ecm_the_broken_frames_are_sent_again_after_ppr() -> None:
    sender, receiver, events = _call_with_burst(ecm=True, rms=3000.0)
    assert sender.result is not None and sender.result.ok
    assert sender.result.ecm_frames_resent > 0 and sender.result.trainings == 1
    assert [(e.page_number, e.bad_lines, e.response) for e in events] == [
        (1, 0, "MCF"), (2, 0, "MCF")]
