"""Two pycti fax terminals exchange documents over real line audio in 20 ms lock-step: every
modem, ECM on and off, each coding, multi-page, and through a line with loss, noise and a
clock offset.  The received pages must be pixel-identical to those sent, and the progress
events and results must say what happened."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp.linemodel import LineModel
from pycti.fax.document_page import FaxPage
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal import FRAME_SAMPLES, FaxTerminal
from pycti.fax.terminal_events import (
    CallEnded,
    FaxOptions,
    Negotiated,
    PageReceived,
    PageSent,
)
from pycti.fax.terminal_loop import run_pair

from . import document, same_image


def _call(options: FaxOptions, pages: list[FaxPage], *, line: LineModel | None = None,
          receiver: FaxOptions | None = None) -> tuple[FaxTerminal, FaxTerminal, float]:
    sender = FaxTerminal("calling", options, document=pages)
    answerer = FaxTerminal("answering", receiver or FaxOptions(local_id="+44 20 7946 0000"))
    seconds = run_pair(sender, answerer, line=line, max_duration_s=240)
    return sender, answerer, seconds


def test_three_pages_v29_mh_without_ecm() -> None:
    pages = document(150, 100, 120)
    options = FaxOptions(modems=frozenset({Modem.V29}), ecm=False,
                         codings=frozenset({Coding.MH}), local_id="+1 555 0100")
    sender, answerer, _ = _call(options, pages)
    assert sender.result is not None and answerer.result is not None
    assert sender.result.result is T30Result.OK and answerer.result.result is T30Result.OK
    assert (sender.result.pages, answerer.result.pages) == (3, 3)
    assert (answerer.result.rate_bps, answerer.result.modem) == (9600, Modem.V29)
    assert answerer.result.coding is Coding.MH and not answerer.result.ecm
    assert sender.result.remote_id == "+44 20 7946 0000"
    assert answerer.result.remote_id == "+1 555 0100"
    got = answerer.received_pages
    assert [p.page_number for p in got] == [1, 2, 3]
    assert all(p.complete and p.bad_lines == 0 for p in got)
    assert all(same_image(p.page.image, s.image) for p, s in zip(got, pages))
    assert all(p.page.resolution is Resolution.FINE for p in got)
    sent_events = sender.take_events()
    assert [type(e) for e in sent_events] == [Negotiated, PageSent, PageSent, PageSent, CallEnded]
    assert [e.response for e in sent_events if isinstance(e, PageSent)] == ["MCF"] * 3
    received = [e for e in answerer.take_events() if isinstance(e, PageReceived)]
    assert [(e.page_number, e.lines, e.bad_lines, e.rate_bps, e.coding) for e in received] == [
        (1, 150, 0, 9600, Coding.MH), (2, 100, 0, 9600, Coding.MH), (3, 120, 0, 9600, Coding.MH)]
    assert answerer.take_events() == []  # drained


@pytest.mark.parametrize(("modem", "ecm", "coding", "rate_bps"), [
    (Modem.V27TER, False, Coding.MR, 4800),
    (Modem.V27TER, True, Coding.MMR, 4800),
    (Modem.V29, True, Coding.MH, 9600),
    (Modem.V29, True, Coding.MR, 9600),
    (Modem.V29, False, Coding.MR, 9600),
])
def test_modem_ecm_coding(modem: Modem, ecm: bool, coding: Coding, rate_bps: int) -> None:
    pages = document(120, 80, seed=4)
    options = FaxOptions(modems=frozenset({modem}), ecm=ecm, codings=frozenset({coding}))
    sender, answerer, _ = _call(options, pages)
    for terminal in (sender, answerer):
        assert terminal.result is not None and terminal.result.ok, terminal.result
        assert (terminal.result.modem, terminal.result.rate_bps) == (modem, rate_bps)
        assert (terminal.result.ecm, terminal.result.coding, terminal.result.pages) == (
            ecm, coding, 2)
    assert all(same_image(p.page.image, s.image) for p, s in zip(answerer.received_pages, pages))


def test_best_common_mode_is_chosen() -> None:
    """Both offer everything: V.29 at 9600, ECM and T.6 (the best coding both have)."""
    sender, answerer, _ = _call(FaxOptions(), document(100))
    assert answerer.result is not None
    assert answerer.result.summary() == "result=OK pages=1 rate=9600 modem=V.29 ecm=on coding=MMR"
    assert same_image(answerer.received_pages[0].page.image, document(100)[0].image)


def test_a_standard_resolution_page() -> None:
    pages = document(90, resolution=Resolution.STANDARD)
    sender, answerer, _ = _call(FaxOptions(ecm=False, codings=frozenset({Coding.MR})), pages)
    got = answerer.received_pages[0]
    assert got.page.resolution is Resolution.STANDARD and same_image(got.page.image, pages[0].image)


@pytest.mark.parametrize(("ecm", "clock_ppm"), [(False, 100.0), (True, -100.0)])
def test_through_a_line_with_loss_noise_and_clock_offset(ecm: bool, clock_ppm: float) -> None:
    """Band filter, 6 dB of loss, white noise at -45 dBm0 (about 29 dB below the signal) and
    the two ends' clocks 100 ppm apart, in each direction."""
    line = LineModel(gain_db=-6.0, noise_dbm0=-45.0, clock_ppm=clock_ppm, delay_ms=12.0, seed=5)
    pages = document(140, 60, seed=7)
    sender, answerer, _ = _call(FaxOptions(ecm=ecm, codings=frozenset({Coding.MR})), pages,
                                line=line)
    assert sender.result is not None and answerer.result is not None
    assert sender.result.ok and answerer.result.ok, (sender.result, answerer.result)
    assert answerer.result.rate_bps == 9600
    got = answerer.received_pages
    assert len(got) == 2
    assert all(same_image(p.page.image, s.image) for p, s in zip(got, pages))


def test_g711_line() -> None:
    """The call survives a mu-law codec round trip on both directions."""
    pages = document(100, seed=9)
    sender, answerer, _ = _call(FaxOptions(ecm=False), pages, line=LineModel(codec="ulaw"))
    assert answerer.result is not None and answerer.result.ok
    assert same_image(answerer.received_pages[0].page.image, pages[0].image)


@pytest.mark.parametrize(("noise_dbm0", "rates_bps"), [
    (-30.0, [9600, 7200]),  # V.29 9600 fails its TCF (FTT): 7200 passes
    (-26.0, [9600, 9600, 7200, 4800, 2400]),  # down through V.27ter to 2400 bit/s
])
def test_noisy_line_falls_back_after_ftt(noise_dbm0: float, rates_bps: list[int]) -> None:
    """Noise that holds the carrier detectors on: the TCF is judged from its bits, FTT makes
    the caller step down one rate at a time (T.30 5.3.6.2.1), and the page arrives clean at
    the rate that trained."""
    line = LineModel(gain_db=-6.0, noise_dbm0=noise_dbm0, seed=2)
    pages = document(60)
    sender, answerer, _ = _call(FaxOptions(ecm=False), pages, line=line,
                                receiver=FaxOptions(ecm=False))
    assert sender.result is not None and answerer.result is not None
    assert sender.result.ok and answerer.result.ok
    negotiated = [e.rate_bps for e in answerer.take_events() if isinstance(e, Negotiated)]
    assert negotiated == rates_bps
    assert answerer.result.rate_bps == rates_bps[-1]
    assert same_image(answerer.received_pages[0].page.image, pages[0].image)


@pytest.mark.parametrize("ecm", [False, True])
def test_talker_echo_does_not_confuse_either_end(ecm: bool) -> None:
    """Each end also hears its own signal 20 ms later at -10 dB (a hybrid's echo): a terminal
    is deaf while it talks, and the echo's last 20 ms after each transmission do not upset
    its receivers."""
    pages = document(100, 60, seed=2)
    sender = FaxTerminal("calling", FaxOptions(ecm=ecm), document=pages)
    answerer = FaxTerminal("answering")
    silence = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    to_sender, to_answerer, echo_s, echo_a = silence, silence, silence, silence
    for _ in range(50 * 90):
        from_s, from_a = sender.process(to_sender), answerer.process(to_answerer)
        to_sender = np.clip(from_a + 0.3 * echo_s, -32768, 32767).astype(np.int16)
        to_answerer = np.clip(from_s + 0.3 * echo_a, -32768, 32767).astype(np.int16)
        echo_s, echo_a = from_s, from_a
        if sender.done and answerer.done:
            break
    assert sender.result is not None and answerer.result is not None
    assert sender.result.ok and answerer.result.ok and answerer.result.pages == 2
    assert all(same_image(p.page.image, s.image) for p, s in zip(answerer.received_pages, pages))
