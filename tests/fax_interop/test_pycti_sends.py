"""pycti (calling) sends to spandsp (answering): every modem x ECM x coding cell, plus a
multi-page call; spandsp's received TIFF read back must match the pages sent pixel for pixel,
and both ends must agree on the mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycti.dsp.linemodel import LineModel
from pycti.fax.document import read_tiff
from pycti.fax.t30_dis import Modem
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FaxTerminal
from tests.fax_terminal import document, same_image

from . import CELL_IDS, CELLS, call_spandsp, options, run_call, spandsp


def _send(tmp_path: Path, modem: Modem, ecm: bool, coding: Coding, rows: tuple[int, ...],
          line: LineModel | None = None) -> None:
    peer = spandsp()
    pages = document(*rows, seed=21)
    rx_path = tmp_path / "spandsp_rx.tif"
    terminal = FaxTerminal("calling", options(modem, ecm, coding), document=pages)
    result, theirs = call_spandsp(peer, terminal, modem, ecm, coding, calling=False, local_ident="+1 555 0199",
                                  line=line, rx_tiff=rx_path)
    assert result.pages == theirs.pages_rx == len(rows)
    assert result.remote_id == "+1 555 0199" and theirs.remote_ident == "+49 30 1234567"
    got = read_tiff(rx_path)
    assert len(got) == len(pages)
    assert all(same_image(g.image, p.image) for g, p in zip(got, pages))


@pytest.mark.parametrize(("modem", "ecm", "coding"), CELLS, ids=CELL_IDS)
def test_pycti_sends_one_page(tmp_path: Path, modem: Modem, ecm: bool, coding: Coding) -> None:
    _send(tmp_path, modem, ecm, coding, (110,))


def test_pycti_sends_three_pages_v29_ecm_t6(tmp_path: Path) -> None:
    _send(tmp_path, Modem.V29, True, Coding.MMR, (150, 90, 120))


def test_pycti_sends_a4_page_through_a_noisy_line(tmp_path: Path) -> None:
    """A whole A4 page at fine resolution (2287 lines), band filter, 3 dB loss, noise at
    -55 dBm0 and the clocks 50 ppm apart (spandsp 0.0.6 needs the noise below its carrier
    detectors' threshold: at -42 dBm0 it never answered pycti's TCF), V.29 with ECM and MR."""
    line = LineModel(gain_db=-3.0, noise_dbm0=-55.0, clock_ppm=50.0, seed=8)
    _send(tmp_path, Modem.V29, True, Coding.MR, (2287,), line=line)


def test_pycti_sends_three_pages_v17_without_ecm(tmp_path: Path) -> None:
    """V.17: the long training for the TCF, the short one for each page after it (the
    receiver keeping its equalizer from page to page)."""
    _send(tmp_path, Modem.V17, False, Coding.MR, (110, 120, 110))


def test_defaults_against_spandsp_offering_everything(tmp_path: Path) -> None:
    """pycti with its defaults, spandsp offering V.27ter, V.29 and V.17, ECM, MH/MR/T.6: the
    best mode both have is V.29 at 9600 bit/s with ECM and T.6."""
    peer = spandsp()
    pages = document(100, seed=41)
    rx_path = tmp_path / "rx.tif"
    terminal = FaxTerminal("calling", document=pages)
    fax = peer.SpandspFax(calling=False, rx_tiff=rx_path, ecm=True)  # type: ignore[attr-defined]
    try:
        run_call(terminal, fax)
    finally:
        fax.close()
    assert terminal.result is not None and fax.result is not None
    assert terminal.result.summary() == (
        "result=OK pages=1 rate=9600 modem=V.29 ecm=on coding=MMR remote='pycti peer'")
    assert (fax.result.bit_rate_bps, fax.result.compression) == (9600, "T6")
    assert same_image(read_tiff(rx_path)[0].image, pages[0].image)
