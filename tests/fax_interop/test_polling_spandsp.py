"""Polling (T.30 DIS bit 9, CIG + DTC) between pycti and spandsp 0.0.6, both ways.

spandsp's T.30 polls and can be polled through its ordinary file API
(``/usr/include/spandsp/t30_api.h``): an answering ``fax_init(..., 0)`` with only
``t30_set_tx_file`` sends a DIS with bit 9 set and bit 10 clear, and transmits after DTC; a
calling ``fax_init(..., 1)`` with only ``t30_set_rx_file`` answers a DIS that has bit 9 with
CIG + DTC and receives.  No new binding is needed.  The pages must arrive pixel-identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pycti.fax.document import read_tiff, write_tiff
from pycti.fax.document_page import FaxPage
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import FaxOptions
from tests.fax_terminal import document, same_image

from . import call_spandsp, completed_call, options, run_call, spandsp

POLL_CELLS = [(Modem.V29, False, Coding.MH), (Modem.V27TER, False, Coding.MR),
              (Modem.V29, True, Coding.MMR), (Modem.V17, True, Coding.MR)]
POLL_IDS = [f"{m.value}-{'ecm' if e else 'noecm'}-{c.value}" for m, e, c in POLL_CELLS]


def _poll_options(modem: Modem, ecm: bool, coding: Coding) -> FaxOptions:
    base = options(modem, ecm, coding)
    return FaxOptions(modems=base.modems, ecm=ecm, codings=base.codings,
                      local_id=base.local_id, poll=True)


@pytest.mark.parametrize(("modem", "ecm", "coding"), POLL_CELLS, ids=POLL_IDS)
def test_pycti_polls_spandsp(tmp_path: Path, modem: Modem, ecm: bool, coding: Coding) -> None:
    peer = spandsp()
    pages = document(110, 90, seed=51)
    tx_path = tmp_path / "offered.tif"
    peer.write_tiff_f(tx_path, [p.image.astype(bool) for p in pages])  # type: ignore[attr-defined]
    terminal = FaxTerminal("calling", _poll_options(modem, ecm, coding))
    result, theirs = call_spandsp(peer, terminal, modem, ecm, coding, calling=False, local_ident="+1 555 0100",
                                  tx_tiff=tx_path)
    assert result.pages == theirs.pages_tx == 2 and theirs.pages_rx == 0
    assert result.remote_id == "+1 555 0100"  # its CSI
    assert theirs.remote_ident == "+49 30 1234567"  # our CIG
    got = terminal.received_pages
    assert [p.complete for p in got] == [True, True]
    assert all(p.bad_lines == 0 and same_image(p.page.image, s.image) for p, s in zip(got, pages))


@pytest.mark.parametrize(("modem", "ecm", "coding"), POLL_CELLS, ids=POLL_IDS)
def test_spandsp_polls_pycti(tmp_path: Path, modem: Modem, ecm: bool, coding: Coding) -> None:
    peer = spandsp()
    pages = document(120, 80, 100, seed=61)
    rx_path = tmp_path / "polled.tif"
    base = options(modem, ecm, coding)
    terminal = FaxTerminal("answering", FaxOptions(modems=base.modems, ecm=ecm,
                                                   codings=base.codings, local_id=base.local_id,
                                                   poll=True), document=pages)
    result, theirs = call_spandsp(peer, terminal, modem, ecm, coding, calling=True, local_ident="+1 555 0199",
                                  rx_tiff=rx_path)
    assert result.pages == theirs.pages_rx == 3 and theirs.pages_tx == 0
    assert result.remote_id == "+1 555 0199"  # spandsp's CIG
    assert theirs.remote_ident == "+49 30 1234567"
    assert terminal.received_pages == []
    got = read_tiff(rx_path)
    assert len(got) == 3 and all(same_image(g.image, p.image) for g, p in zip(got, pages))


def _receive_only_call(terminal: FaxTerminal, tmp_path: Path, *, calling: bool) -> tuple[FaxTerminal, object]:
    """Run a call between ``terminal`` and a spandsp terminal that has only a receive file
    (``calling`` or answering), close spandsp, and require that both ends reported a result."""
    fax = spandsp().SpandspFax(calling=calling, rx_tiff=tmp_path / "rx.tif")  # type: ignore[attr-defined]
    try:
        run_call(terminal, fax)
    finally:
        fax.close()
    assert terminal.result is not None and fax.result is not None
    return terminal, fax


def test_pycti_polls_a_spandsp_answerer_with_nothing_to_send(tmp_path: Path) -> None:
    """spandsp with only a receive file: its DIS clears bit 9, pycti sends DCN at once."""
    terminal, fax = _receive_only_call(FaxTerminal("calling", FaxOptions(poll=True)), tmp_path, calling=False)
    assert terminal.result.result is T30Result.POLLING_NOT_OFFERED
    assert (terminal.result.pages, terminal.received_pages) == (0, [])
    assert fax.result.completion_name == "T30_ERR_RX_DCNWHY"  # DCN while it waited for DCS


def test_spandsp_polling_a_pycti_answerer_with_nothing_to_send(tmp_path: Path) -> None:
    """pycti's DIS without bit 9: spandsp (calling, only a receive file) sends no DTC but
    DCN, and ends with its own "far end is not able to transmit"."""
    terminal, fax = _receive_only_call(FaxTerminal("answering", FaxOptions(local_id="+49 30 1234567")), tmp_path,
                                       calling=True)
    assert fax.result.completion_name == "T30_ERR_TX_INCAPABLE"
    assert terminal.result.result is T30Result.DCN_UNEXPECTED
    assert terminal.received_pages == []


def _mixed() -> list[FaxPage]:
    """A fine page then a standard one: the transmitter ends the first with EOM (a new mode)."""
    return document(100, seed=71) + document(60, seed=72, resolution=Resolution.STANDARD)


def test_pycti_polls_spandsp_across_eom(tmp_path: Path) -> None:
    """After MCF to EOM pycti sends CIG + DTC again; spandsp takes it and sends the
    standard-resolution page after a new DCS."""
    peer = spandsp()
    pages = _mixed()
    tx_path = tmp_path / "mixed.tif"
    write_tiff(tx_path, pages, Coding.MMR)
    terminal = FaxTerminal("calling", FaxOptions(poll=True, ecm=False))
    fax = peer.SpandspFax(calling=False, tx_tiff=tx_path)  # type: ignore[attr-defined]
    completed_call(terminal, fax)
    assert terminal.result.pages == fax.result.pages_tx == 2
    got = terminal.received_pages
    assert [p.page.resolution for p in got] == [Resolution.FINE, Resolution.STANDARD]
    assert all(same_image(p.page.image, s.image) for p, s in zip(got, pages))


def test_spandsp_polls_pycti_across_eom(tmp_path: Path) -> None:
    """After MCF to EOM spandsp, the poller, sends CSI + DIS (not DTC); pycti's polled
    transmitter takes a DIS there as well and goes on with DCS."""
    peer = spandsp()
    pages = _mixed()
    rx_path = tmp_path / "polled.tif"
    terminal = FaxTerminal("answering", FaxOptions(poll=True, ecm=False), document=pages)
    fax = peer.SpandspFax(calling=True, rx_tiff=rx_path)  # type: ignore[attr-defined]
    completed_call(terminal, fax)
    assert [e.name for e in fax.events if e.phase != "E"] == ["DIS", "DCS", "EOM", "DCS", "EOP"]
    got = read_tiff(rx_path)
    assert [g.resolution for g in got] == [Resolution.FINE, Resolution.STANDARD]
    assert all(same_image(g.image, p.image) for g, p in zip(got, pages))
