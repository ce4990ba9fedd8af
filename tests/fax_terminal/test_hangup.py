"""The far end goes away in the middle of a page: the pages received whole are kept, and what
arrived of the page under way is decoded and kept, marked incomplete, its lines identical to
the top of the page sent."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.fax.document_page import FaxPage
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4 import decode_page, encode_page
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FRAME_SAMPLES, FaxTerminal
from pycti.fax.terminal_events import CallEnded, FaxOptions, PageIncomplete, PageSent

from . import document, same_image

SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)


def _cut_during_page_two(options: FaxOptions, *, hang_up: bool, after_s: float = 6.0
                         ) -> tuple[FaxTerminal, list[FaxPage]]:
    """Run a two-page call; ``after_s`` after page 1 was confirmed the caller stops sending
    (and, with ``hang_up``, the receiver's line drops); then let the receiver finish."""
    pages = document(100, 800, seed=3)
    sender = FaxTerminal("calling", options, document=pages)
    receiver = FaxTerminal("answering", FaxOptions())
    to_sender, to_receiver = SILENCE, SILENCE
    cut_at = None
    for frame in range(50 * 120):
        out = sender.process(to_sender)
        to_sender = receiver.process(to_receiver)
        to_receiver = out
        if cut_at is None and any(isinstance(e, PageSent) for e in sender.take_events()):
            cut_at = frame + int(after_s * 50)
        if cut_at is not None and frame >= cut_at:
            break
    assert cut_at is not None, "page 1 never went through"
    if hang_up:
        receiver.hang_up()
    for _ in range(50 * 30):  # T2 (6 s) ends a call whose far end just went silent
        if receiver.done:
            break
        receiver.process(SILENCE)
    assert receiver.done
    return receiver, pages


@pytest.mark.parametrize(("ecm", "frame_octets", "after_s"), [
    (False, 256, 6.0),
    (True, 256, 6.0),
    (True, 64, 20.0),  # 64-octet frames: the first 256-frame block was confirmed, then the cut
])
def test_hang_up_mid_page_keeps_the_pages_so_far(ecm: bool, frame_octets: int, after_s: float
                                                 ) -> None:
    options = FaxOptions(modems=frozenset({Modem.V29}), ecm=ecm, ecm_frame_octets=frame_octets,
                         codings=frozenset({Coding.MH}))
    receiver, pages = _cut_during_page_two(options, hang_up=True, after_s=after_s)
    assert receiver.result is not None
    assert receiver.result.result is T30Result.FAR_END_HUNG_UP
    assert (receiver.result.pages, receiver.result.incomplete_pages) == (1, 1)
    first, second = receiver.received_pages
    assert first.complete and same_image(first.page.image, pages[0].image)
    assert not second.complete and second.page_number == 2
    rows = second.page.rows
    assert 20 < rows < pages[1].rows  # a good part of the page, not all of it
    if frame_octets == 64:
        block = encode_page(pages[1].image, Coding.MH)[:256 * 64]
        assert rows > decode_page(block, Coding.MH).rows  # more than the first block held
    # the lines that arrived are the top of the page sent (a non-ECM cut may garble the last)
    whole = rows if ecm else rows - 1
    assert same_image(second.page.image[:whole], pages[1].image[:whole])
    events = receiver.take_events()
    incomplete = [e for e in events if isinstance(e, PageIncomplete)]
    assert [(e.page_number, e.lines) for e in incomplete] == [(2, rows)]
    assert isinstance(events[-1], CallEnded) and events[-1].result == receiver.result


def test_far_end_silent_mid_page_is_carrier_lost() -> None:
    """No hang-up signal: the image carrier just stops, T2 runs out without a post-message
    command, the receiver ends the call with DCN and still keeps the partial page."""
    options = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MR}))
    receiver, pages = _cut_during_page_two(options, hang_up=False, after_s=5.0)
    assert receiver.result is not None
    assert receiver.result.result is T30Result.CARRIER_LOST_MID_PAGE
    assert [p.complete for p in receiver.received_pages] == [True, False]
    partial = receiver.received_pages[1].page.image
    assert same_image(partial[:-1], pages[1].image[:partial.shape[0] - 1])
