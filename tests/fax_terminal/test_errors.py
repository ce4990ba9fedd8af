"""Bad documents, options and audio get a FaxTerminalError or DocumentError naming the value;
two terminals with no modem in common end the call cleanly (INCOMPATIBLE)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pycti.errors import PyctiError
from pycti.fax.document import load_document
from pycti.fax.document_page import DocumentError, FaxPage
from pycti.fax.t30_dis import DisModems, Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import FaxOptions
from pycti.fax.terminal_loop import run_pair
from pycti.fax.terminal_modems import FaxTerminalError, dis_modems, parse_modems
from pycti.cli.fax import parse_codings

from . import document


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")
def test_malformed_tiff_is_a_document_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.tif"
    path.write_bytes(b"II*\x00" + b"\x08\x00\x00\x00" + b"\xff" * 40)  # header, then junk
    with pytest.raises(DocumentError, match="broken.tif"):
        load_document(path)


def test_a_page_of_the_wrong_width_is_refused() -> None:
    wide = FaxPage(np.zeros((10, 2048), dtype=np.uint8), Resolution.FINE)
    with pytest.raises(FaxTerminalError, match="page 2 is 2048 pixels wide"):
        FaxTerminal("calling", document=[*document(10), wide])


def test_bad_roles_and_documents() -> None:
    with pytest.raises(FaxTerminalError, match="'polling'"):
        FaxTerminal("polling")
    with pytest.raises(FaxTerminalError, match="needs a document"):
        FaxTerminal("calling")
    with pytest.raises(FaxTerminalError, match="takes no document"):
        FaxTerminal("answering", document=document(10))
    with pytest.raises(FaxTerminalError, match="no pages"):
        FaxTerminal("calling", document=[])


def test_frames_must_be_160_int16_samples() -> None:
    terminal = FaxTerminal("answering")
    with pytest.raises(FaxTerminalError, match=r"shape \(80,\)"):
        terminal.process(np.zeros(80, dtype=np.int16))
    with pytest.raises(FaxTerminalError, match="float64"):
        terminal.process(np.zeros(160))
    assert issubclass(FaxTerminalError, PyctiError) and issubclass(FaxTerminalError, ValueError)


def test_modem_and_coding_options() -> None:
    assert parse_modems("v27ter, V.29") == frozenset({Modem.V27TER, Modem.V29})
    assert dis_modems({Modem.V29}) is DisModems.V29
    assert dis_modems({Modem.V27TER, Modem.V29}) is DisModems.V27TER_V29
    with pytest.raises(FaxTerminalError, match="cannot offer"):
        dis_modems({Modem.V17, Modem.V29})  # DIS announces V.17 only with V.29 and V.27ter
    assert parse_modems("V17,V29,V27ter") == frozenset({Modem.V17, Modem.V29, Modem.V27TER})
    with pytest.raises(FaxTerminalError, match="'v34'"):
        parse_modems("V34")
    with pytest.raises(FaxTerminalError, match="cannot offer"):
        dis_modems(set())
    assert parse_codings("mh,T6") == frozenset({Coding.MH, Coding.MMR})
    with pytest.raises(FaxTerminalError, match="'JBIG'"):
        parse_codings("JBIG")
    with pytest.raises(FaxTerminalError, match="ced_ms 1000"):
        FaxOptions(ced_ms=1000)
    with pytest.raises(FaxTerminalError, match="ecm_frame_octets 128"):
        FaxOptions(ecm_frame_octets=128)
    with pytest.raises(FaxTerminalError, match="MH_RLE"):
        FaxOptions(codings=frozenset({Coding.MH_RLE}))


def test_no_common_modem_ends_the_call_incompatible() -> None:
    sender = FaxTerminal("calling", FaxOptions(modems=frozenset({Modem.V27TER})),
                         document=document(20))
    answerer = FaxTerminal("answering", FaxOptions(modems=frozenset({Modem.V29})))
    run_pair(sender, answerer, max_duration_s=60)
    assert sender.result is not None and answerer.result is not None
    assert sender.result.result is T30Result.INCOMPATIBLE
    assert answerer.result.result is T30Result.DCN_UNEXPECTED  # the caller's DCN
    assert answerer.received_pages == []
