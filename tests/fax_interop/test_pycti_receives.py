"""spandsp (calling) sends to pycti (answering): every modem x ECM x coding cell, plus a
multi-page call; the pages pycti decoded must match the TIFF spandsp sent pixel for pixel."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycti.dsp.linemodel import LineModel
from pycti.fax.t30_dis import Modem
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FaxTerminal
from tests.fax_terminal import document, same_image

from . import CELL_IDS, CELLS, call_spandsp, options, run_call, spandsp


def _receive(tmp_path: Path, modem: Modem, ecm: bool, coding: Coding, rows: tuple[int, ...],
             line: LineModel | None = None) -> None:
    peer = spandsp()
    pages = document(*rows, seed=31)
    tx_path = tmp_path / "spandsp_tx.tif"
    peer.write_tiff_f(tx_path, [p.image.astype(bool) for p in pages])  # type: ignore[attr-defined]
    terminal = FaxTerminal("answering", options(modem, ecm, coding))
    result, theirs = call_spandsp(peer, terminal, modem, ecm, coding, calling=True, local_ident="+1 555 0100",
                                  line=line, tx_tiff=tx_path)
    assert result.pages == theirs.pages_tx == len(rows)
    assert result.remote_id == "+1 555 0100"
    got = terminal.received_pages
    assert [p.complete for p in got] == [True] * len(rows)
    assert all(p.bad_lines == 0 and same_image(p.page.image, s.image) for p, s in zip(got, pages))


@pytest.mark.parametrize(("modem", "ecm", "coding"), CELLS, ids=CELL_IDS)
def test_pycti_receives_one_page(tmp_path: Path, modem: Modem, ecm: bool, coding: Coding
                                 ) -> None:
    _receive(tmp_path, modem, ecm, coding, (110,))


def test_pycti_receives_three_pages_v27ter_mr(tmp_path: Path) -> None:
    _receive(tmp_path, Modem.V27TER, False, Coding.MR, (150, 90, 120))


def test_pycti_receives_a4_page_through_a_noisy_line(tmp_path: Path) -> None:
    """A whole A4 page at fine resolution (2287 lines), band filter, 3 dB loss, noise at
    -55 dBm0 and the clocks 50 ppm apart (spandsp 0.0.6 needs the noise below its carrier
    detectors' threshold: at -42 dBm0 it never answered pycti's DIS), V.29 without ECM, MR."""
    line = LineModel(gain_db=-3.0, noise_dbm0=-55.0, clock_ppm=-50.0, seed=9)
    _receive(tmp_path, Modem.V29, False, Coding.MR, (2287,), line=line)


def test_pycti_receives_three_pages_v17_without_ecm(tmp_path: Path) -> None:
    """V.17: the long training for the TCF, the short one for each page after it (the
    receiver keeping its equalizer from page to page)."""
    _receive(tmp_path, Modem.V17, False, Coding.MR, (110, 120, 110))


def test_defaults_against_spandsp_offering_everything(tmp_path: Path) -> None:
    """spandsp could use V.17, but pycti's DIS offers V.27ter and V.29 only: spandsp picks
    V.29 at 9600 bit/s, with ECM and T.6."""
    peer = spandsp()
    pages = document(100, seed=43)
    tx_path = tmp_path / "tx.tif"
    peer.write_tiff_f(tx_path, [p.image.astype(bool) for p in pages])  # type: ignore[attr-defined]
    terminal = FaxTerminal("answering")
    fax = peer.SpandspFax(calling=True, tx_tiff=tx_path, ecm=True)  # type: ignore[attr-defined]
    try:
        run_call(terminal, fax)
    finally:
        fax.close()
    assert terminal.result is not None and fax.result is not None
    assert terminal.result.summary() == (
        "result=OK pages=1 rate=9600 modem=V.29 ecm=on coding=MMR remote='pycti peer'")
    assert (fax.result.bit_rate_bps, fax.result.compression) == (9600, "T6")
    assert same_image(terminal.received_pages[0].page.image, pages[0].image)
