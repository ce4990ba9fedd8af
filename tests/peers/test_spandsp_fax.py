"""spandsp fax terminal to spandsp fax terminal through the audio wrappers (ITU-T T.30).

Each test makes a multi-page TIFF-F with Pillow (1728 pels wide, 204 x 196 dpi, Group 3 or
Group 4 coded), sends it from a calling spandsp terminal to an answering one in 160-sample
lock-step, and checks the phase E completion code, the negotiated modem/coding/ECM reported by
``t30_get_transfer_statistics``, the phase B/D events, and that every received page read back
with Pillow is pixel-identical to the page sent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from tests.peers.spandsp import (
    FaxResult,
    SpandspFax,
    SpandspValueError,
    run_back_to_back,
    write_tiff_f,
)

ROWS = 2287  # A4: 297 mm at 7.7 lines/mm (fine resolution)


def _page(rng: np.random.Generator, rows: int = ROWS) -> npt.NDArray[np.bool_]:
    """A page with text-like blocks, rules and a patch of random pels (True = black)."""
    page = np.zeros((rows, 1728), dtype=np.bool_)
    for _ in range(250):
        top, left = int(rng.integers(0, rows - 30)), int(rng.integers(0, 1728 - 200))
        page[top : top + int(rng.integers(2, 30)), left : left + int(rng.integers(2, 200))] = True
    page[rows // 2, 100:1600] = True
    top = int(rng.integers(0, rows - 64))
    page[top : top + 64, 800:1056] = rng.random((64, 256)) < 0.3
    return page


def _read_pages(path: Path) -> list[npt.NDArray[np.bool_]]:
    pages = []
    with Image.open(path) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            assert image.info.get("dpi") == pytest.approx((204, 196), abs=1)
            pages.append(~np.asarray(image.convert("1")))
    return pages


def _send(
    tmp_path: Path,
    *,
    tiff_compression: str,
    ecm: bool,
    pages: int = 2,
    rx_modems: tuple[str, ...] = ("V27ter", "V29", "V17"),
    rx_compressions: tuple[str, ...] = ("MH", "MR", "T6"),
    seed: int = 1,
) -> tuple[FaxResult, FaxResult, SpandspFax, SpandspFax, float]:
    rng = np.random.default_rng(seed)
    sent = [_page(rng) for _ in range(pages)]
    tx_path, rx_path = tmp_path / "sent.tif", tmp_path / "received.tif"
    write_tiff_f(tx_path, sent, compression=tiff_compression)
    caller = SpandspFax(calling=True, tx_tiff=tx_path, ecm=ecm, local_ident="+1 555 0100")
    answerer = SpandspFax(
        calling=False,
        rx_tiff=rx_path,
        ecm=ecm,
        modems=rx_modems,
        compressions=rx_compressions,
        local_ident="+1 555 0199",
    )
    duration_s = run_back_to_back(caller, answerer, max_duration_s=300)
    caller.close()
    answerer.close()  # closes the received TIFF
    assert caller.result is not None and answerer.result is not None
    received = _read_pages(rx_path)
    assert len(received) == pages
    for page_sent, page_received in zip(sent, received):
        assert page_received.shape == page_sent.shape
        assert np.array_equal(page_received, page_sent)
    return caller.result, answerer.result, caller, answerer, duration_s


@pytest.mark.parametrize(
    ("tiff_compression", "ecm", "rx_compressions", "line_coding"),
    [
        ("group3", False, ("MH",), "MH"),
        ("group4", False, ("MH", "MR", "T6"), "MR"),  # T.6 needs ECM (T.30 Annex A)
        ("group3", True, ("MH", "MR", "T6"), "T6"),
        ("group4", True, ("MR",), "MR"),
    ],
)
def test_pages_arrive_pixel_identical(
    tmp_path: Path,
    tiff_compression: str,
    ecm: bool,
    rx_compressions: tuple[str, ...],
    line_coding: str,
) -> None:
    sent, received, caller, answerer, duration_s = _send(
        tmp_path, tiff_compression=tiff_compression, ecm=ecm, rx_compressions=rx_compressions
    )
    for result in (sent, received):
        assert result.success
        assert (result.completion_code, result.completion_name) == (0, "T30_ERR_OK")
        assert result.completion_text == "OK"
        assert result.ecm_used is ecm
        assert result.compression == line_coding
        assert result.bit_rate_bps == 14400  # V.17 is the best both ends offer
        assert (result.x_resolution_ppm, result.y_resolution_ppm) == (8031, 7700)  # R8 x fine
        assert result.width_px == 1728
        assert result.bad_rows == 0
    assert (sent.pages_tx, sent.pages_transferred) == (2, 2)
    assert (received.pages_rx, received.pages_transferred) == (2, 2)
    assert sent.remote_ident == "+1 555 0199"
    assert received.remote_ident == "+1 555 0100"
    assert 5.0 < duration_s < 300.0
    # the answerer saw DCS in phase B, MPS after page 1 and EOP after page 2, then phase E
    phases = [(event.phase, event.name) for event in answerer.events]
    assert phases[0] == ("B", "DCS")
    post_page = [name for phase, name in phases if phase == "D"]
    assert post_page[-2:] == ["MPS", "EOP"], phases
    assert phases[-1] == ("E", "T30_ERR_OK")
    at = [event.at_sample for event in answerer.events]
    assert at == sorted(at)


@pytest.mark.parametrize(("rx_modems", "bit_rate_bps"), [(("V29",), 9600), (("V27ter",), 4800)])
def test_modem_negotiation_follows_the_receiver(
    tmp_path: Path, rx_modems: tuple[str, ...], bit_rate_bps: int
) -> None:
    sent, received, *_ = _send(
        tmp_path, tiff_compression="group4", ecm=False, pages=1, rx_modems=rx_modems
    )
    assert sent.success and received.success
    assert sent.bit_rate_bps == received.bit_rate_bps == bit_rate_bps


def test_unreadable_tiff_ends_both_ends_with_failure_codes(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-tiff.tif"
    bogus.write_bytes(b"this is not a TIFF file")
    caller = SpandspFax(calling=True, tx_tiff=bogus)
    answerer = SpandspFax(calling=False, rx_tiff=tmp_path / "rx.tif")
    run_back_to_back(caller, answerer, max_duration_s=60)
    assert caller.result is not None and answerer.result is not None
    # the caller opens the file on DIS, fails, and disconnects (DCN) before sending DCS
    assert [(event.phase, event.name) for event in caller.events] == [
        ("B", "DIS"),
        ("E", "T30_ERR_FILEERROR"),
    ]
    assert not caller.result.success and caller.result.pages_tx == 0
    assert caller.result.completion_text == "TIFF/F file cannot be opened"
    assert answerer.result.completion_name == "T30_ERR_RX_DCNWHY"
    caller.close()
    answerer.close()


def test_a_silent_line_times_out_with_t0(tmp_path: Path) -> None:
    write_tiff_f(tmp_path / "doc.tif", [_page(np.random.default_rng(3))])
    caller = SpandspFax(calling=True, tx_tiff=tmp_path / "doc.tif")
    silence = np.zeros(160, dtype=np.int16)
    for _ in range(4000):  # 80 s of audio; T.30 sets timer T0 to 60 +/- 5 s
        caller.tx()
        caller.rx(silence)
        if caller.done:
            break
    assert caller.result is not None
    assert caller.result.completion_name == "T30_ERR_T0_EXPIRED"
    assert 55.0 <= caller.samples_rx / 8000 <= 65.0
    caller.close()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"modems": ("V34",)}, "'V34'"),
        ({"compressions": ("JBIG",)}, "'JBIG'"),
        ({"modems": ()}, "modem must not be empty"),
        ({"tx_tiff": "/nonexistent/doc.tif"}, "/nonexistent/doc.tif"),
        ({"local_ident": "x" * 21}, "local_ident"),
    ],
)
def test_bad_arguments_raise_value_errors(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(SpandspValueError, match=fragment) as caught:
        SpandspFax(calling=True, **kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)


def test_audio_must_be_int16_and_closed_terminals_refuse_audio(tmp_path: Path) -> None:
    fax = SpandspFax(calling=False, rx_tiff=tmp_path / "rx.tif")
    with pytest.raises(SpandspValueError, match="float64"):
        fax.rx(np.zeros(160))
    assert fax.tx(160).dtype == np.int16
    fax.close()
    with pytest.raises(SpandspValueError, match="closed"):
        fax.tx(160)
