"""Every public detector refuses bad input with a ``ValueError`` that names the problem.

Before, the tone detectors (call progress, fax, combined) raised ``IndexError`` on a scalar block
and every country-taking constructor ``KeyError`` on an unknown country.  A refused block must
also leave the detector usable: the next good block gives what it would have given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from pycti.dsp.callerid_dtmf import DtmfCallerIdReceiver
from pycti.dsp.callerid_fsk import FskCallerIdReceiver
from pycti.dsp.dtmf import DtmfDetector, dtmf_tones
from pycti.dsp.fax_tones import CallToneDetector, FaxToneDetector, cng
from pycti.dsp.fsk import FskDiscriminator
from pycti.dsp.progress import ToneGenerator, progress_tone
from pycti.dsp.progress_detect import ProgressToneDetector
from pycti.dsp.progress_tables import COUNTRIES, ToneTableError, lookup, rows_for

DETECTORS: dict[str, Callable[[int], Any]] = {
    "DtmfDetector": DtmfDetector,
    "FaxToneDetector": FaxToneDetector,
    "CallToneDetector": CallToneDetector,
    "ProgressToneDetector": ProgressToneDetector,
    "DtmfCallerIdReceiver": DtmfCallerIdReceiver,
    "FskCallerIdReceiver": FskCallerIdReceiver,
    "FskDiscriminator": FskDiscriminator,
}
COUNTRY_DETECTORS: dict[str, Callable[..., Any]] = {
    "ProgressToneDetector": ProgressToneDetector,
    "CallToneDetector": CallToneDetector,
}

SHAPE_MESSAGE = r"1-D or 2-D int16/float array of shape \(channels, n\)"
BAD_BLOCKS: list[tuple[str, object, str]] = [
    ("int16 scalar", np.int16(3), SHAPE_MESSAGE + r", got a scalar of shape \(\)"),
    ("python int", 5, SHAPE_MESSAGE + ", got a scalar"),
    ("python float", 0.0, SHAPE_MESSAGE + ", got a scalar"),
    ("None", None, SHAPE_MESSAGE + ", got a scalar"),
    ("0-d array", np.array(7, np.int16), SHAPE_MESSAGE + ", got a scalar"),
    ("3-D", np.zeros((1, 2, 160), np.int16), SHAPE_MESSAGE + r", got 3-D of shape \(1, 2, 160\)"),
    ("complex", np.zeros(160, complex), "int16 or float, got dtype complex128"),
    ("strings", np.array(["a", "b"]), "int16 or float, got dtype <U1"),
    ("bools", np.zeros(160, bool), "int16 or float, got dtype bool"),
    ("channels", np.zeros((3, 160), np.int16), "audio block has 3 channels, detector was built for 2"),
    ("1-D on 2 channels", np.zeros(160, np.int16), "audio block has 1 channels, detector was built for 2"),
]


@pytest.mark.parametrize("name", DETECTORS)
@pytest.mark.parametrize(("what", "block", "message"), BAD_BLOCKS, ids=[b[0] for b in BAD_BLOCKS])
def test_bad_block_is_a_value_error_naming_the_problem(name: str, what: str, block: object, message: str) -> None:
    det = DETECTORS[name](2)
    with pytest.raises(ValueError, match=message) as info:
        det.process(block)
    assert type(info.value) is ValueError  # not an IndexError/TypeError dressed up
    assert "\n" not in str(info.value)


def _signal_for(name: str) -> np.ndarray:
    if name in ("FaxToneDetector", "CallToneDetector"):
        return cng(3000)
    if name == "ProgressToneDetector":
        return progress_tone("CN", "BUSY", 3000)
    return np.concatenate([dtmf_tones("A12C", on_ms=60, off_ms=60), np.zeros(2000, np.int16)])


@pytest.mark.parametrize("name", DETECTORS)
def test_a_refused_block_leaves_the_detector_usable(name: str) -> None:
    x = np.stack([_signal_for(name)] * 2)
    ref = DETECTORS[name](2)
    det = DETECTORS[name](2)
    cut = 1000
    before_ref, before = ref.process(x[:, :cut]), det.process(x[:, :cut])
    for _, block, _ in BAD_BLOCKS:
        with pytest.raises(ValueError):
            det.process(block)
    after_ref, after = ref.process(x[:, cut:]), det.process(x[:, cut:])
    if name == "FskDiscriminator":  # arrays, not events
        np.testing.assert_array_equal(after.freq_hz, after_ref.freq_hz)
        return
    assert before + after + det.flush() == before_ref + after_ref + ref.flush()


@pytest.mark.parametrize("name", DETECTORS)
@pytest.mark.parametrize("channels", [0, -1, 1.5, True, "2", None])
def test_bad_channel_count_is_refused(name: str, channels: object) -> None:
    with pytest.raises(ValueError, match="channels must be an integer >= 1"):
        DETECTORS[name](channels)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", COUNTRY_DETECTORS)
@pytest.mark.parametrize("country", ["XX", "", ("CN", "XX"), ["zz"]])
def test_unknown_country_is_a_value_error_listing_the_known_ones(name: str, country: object) -> None:
    with pytest.raises(ValueError) as info:
        COUNTRY_DETECTORS[name](1, country)
    text = str(info.value)
    assert text.startswith("unknown country ") and f"known: {', '.join(COUNTRIES)}" in text
    bad = "XX" if "XX" in repr(country) else ("zz" if "zz" in repr(country) else "")
    assert repr(bad) in text
    assert isinstance(info.value, ToneTableError) and isinstance(info.value, KeyError)  # old callers


@pytest.mark.parametrize("name", COUNTRY_DETECTORS)
@pytest.mark.parametrize("country", [5, [], (), b"CN", ["CN", 7]])
def test_country_of_the_wrong_kind_is_a_value_error(name: str, country: object) -> None:
    with pytest.raises(ValueError, match="country"):
        COUNTRY_DETECTORS[name](1, country)


@pytest.mark.parametrize("name", COUNTRY_DETECTORS)
def test_known_countries_in_any_case_and_as_lists_are_accepted(name: str) -> None:
    for country in ("us", ["CN", "de"], tuple(COUNTRIES)):
        COUNTRY_DETECTORS[name](1, country)


def test_unknown_tone_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown tone name"):
        ProgressToneDetector(1, "CN", tones=("BUSY", "HOWLER"))
    with pytest.raises(ValueError, match="sequence of tone names"):
        CallToneDetector(1, "CN", tones="BUSY")  # type: ignore[arg-type]


def test_table_lookups_and_generators_raise_the_same_error() -> None:
    for call in (lambda: lookup("XX", "BUSY"), lambda: rows_for(["CN", "XX"]),
                 lambda: progress_tone("XX", "BUSY", 100),
                 lambda: ToneGenerator(1).start(0, "XX", "BUSY")):
        with pytest.raises(ValueError, match="unknown country 'XX'"):
            call()
    with pytest.raises(KeyError) as info:  # still what lookup's callers catch
        lookup("XX", "BUSY")
    assert str(info.value).startswith("unknown country 'XX'")  # not KeyError's quoted repr
