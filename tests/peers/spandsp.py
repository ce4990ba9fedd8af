"""A cffi binding of spandsp 0.0.6 used as a far-end fax terminal and as reference modems.

This is test and benchmark tooling, not part of the installed pycti package.  It binds the
Debian ``libspandsp-dev`` 0.0.6 C library in cffi API mode (see :mod:`tests.peers._spandsp_build`:
declarations checked by the compiler against the installed headers, compiled on first use into
``$XDG_CACHE_HOME/pycti-peers``, rebuilt when they change; if the headers or library are
missing, :class:`SpandspUnavailable` says ``apt-get install libspandsp-dev``).

What is wrapped, with numpy ``int16`` audio at 8000 samples/s in and out:

* :class:`SpandspFax` - a complete ITU-T T.30 fax terminal (``fax_init``/``fax_rx``/``fax_tx``)
  sending or receiving a TIFF-F file: control frames over V.21 channel 2 at 300 bit/s (T.30
  clause 5), the image over V.27 ter (2400/4800 bit/s), V.29 (7200/9600 bit/s) or V.17
  (7200..14400 bit/s), T.4 one- and two-dimensional coding (MH, MR) or T.6 coding (MMR,
  only with the error correcting mode of T.30 Annex A), with or without ECM.  Phase B, D
  and E events come from spandsp through ``extern "Python"`` callbacks; the result is
  :class:`FaxResult`.
* :class:`SpandspModemTx` / :class:`SpandspModemRx` - the bare data pumps V.29, V.27 ter,
  V.17 and V.21 channel 2 (the 300 bit/s FSK channel T.30 uses for its HDLC control frames),
  fed from and draining to numpy bit arrays.  The receiver reports carrier and training
  status (spandsp's ``SIG_STATUS_*`` values) as :class:`ModemStatusEvent`.
* :class:`SpandspHdlcTx` / :class:`SpandspHdlcRx` - spandsp's HDLC framer (ISO/IEC 13239 flag,
  zero-bit insertion and FCS, as T.30 clause 5 uses it) on bit arrays.

The modem and HDLC classes live in :mod:`tests.peers.spandsp_modems` and the build in
:mod:`tests.peers._spandsp_build`; both are re-exported here.

``run_back_to_back`` connects two terminals in 160-sample lock-step; ``write_tiff_f`` writes a
TIFF-F document (1728 pixels wide, 204 x 196 dpi, Group 3 or Group 4 coded) with Pillow.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ._spandsp_build import (
    FRAME_SAMPLES,
    SAMPLE_RATE_HZ,
    T30_ERR_NAMES,
    Int16Array,
    SpandspUnavailable,
    SpandspValueError,
    as_int16,
    load,
    raise_pending,
)
from .spandsp_modems import (
    MODEM_RATES_BPS,
    HdlcFrame,
    ModemStatusEvent,
    SpandspHdlcRx,
    SpandspHdlcTx,
    SpandspModemRx,
    SpandspModemTx,
)

__all__ = [
    "FRAME_SAMPLES",
    "SAMPLE_RATE_HZ",
    "SpandspUnavailable",
    "SpandspValueError",
    "FaxPhaseEvent",
    "FaxResult",
    "SpandspFax",
    "run_back_to_back",
    "write_tiff_f",
    "MODEM_RATES_BPS",
    "ModemStatusEvent",
    "SpandspModemTx",
    "SpandspModemRx",
    "HdlcFrame",
    "SpandspHdlcTx",
    "SpandspHdlcRx",
    "load",
]


# ---------------------------------------------------------------------------------------------
# Fax terminal (ITU-T T.30)

_MODEM_FLAGS: Final = {
    "V27ter": "T30_SUPPORT_V27TER",
    "V29": "T30_SUPPORT_V29",
    "V17": "T30_SUPPORT_V17",
}
_COMPRESSION_FLAGS: Final = {
    "MH": "T30_SUPPORT_T4_1D_COMPRESSION",
    "MR": "T30_SUPPORT_T4_2D_COMPRESSION",
    "T6": "T30_SUPPORT_T6_COMPRESSION",
}
_ENCODING_NAMES: Final = {
    "T4_COMPRESSION_NONE": "none",
    "T4_COMPRESSION_ITU_T4_1D": "MH",
    "T4_COMPRESSION_ITU_T4_2D": "MR",
    "T4_COMPRESSION_ITU_T6": "T6",
}


@dataclasses.dataclass(frozen=True)
class FaxPhaseEvent:
    """A T.30 phase callback from spandsp.

    ``phase`` is ``"B"`` (a pre-message command or response arrived; ``code`` is its T.30
    facsimile control field, ``name`` spandsp's name for it, e.g. ``"DCS"``), ``"D"`` (a
    post-message frame, e.g. ``"MCF"``) or ``"E"`` (the call ended; ``code`` is the completion
    code and ``name`` its ``T30_ERR_*`` identifier).  ``at_sample`` counts received samples.
    """

    phase: str
    code: int
    name: str
    at_sample: int


@dataclasses.dataclass(frozen=True)
class FaxResult:
    """The outcome of a spandsp fax session, from phase E and ``t30_get_transfer_statistics``."""

    completion_code: int
    completion_name: str  # the T30_ERR_* identifier, e.g. "T30_ERR_OK"
    completion_text: str  # spandsp's description, t30_completion_code_to_str()
    pages_transferred: int  # pages sent (transmitter) or received (receiver)
    pages_tx: int
    pages_rx: int
    bit_rate_bps: int
    ecm_used: bool
    compression: str  # "MH", "MR", "T6" or "none": the coding used on the line
    x_resolution_ppm: int  # pixels per metre, as spandsp reports (204 dpi -> 8031)
    y_resolution_ppm: int
    width_px: int
    bad_rows: int
    remote_ident: str

    @property
    def success(self) -> bool:
        """True if the call completed with ``T30_ERR_OK``."""
        return self.completion_name == "T30_ERR_OK"


def _flags(lib: Any, names: Iterable[str], table: dict[str, str], what: str) -> int:
    chosen = set(names)
    if not chosen:
        raise SpandspValueError(f"{what} must not be empty")
    mask = 0
    for item in sorted(chosen):
        if item not in table:
            raise SpandspValueError(f"unknown {what} {item!r}; choose from {sorted(table)}")
        mask |= int(getattr(lib, table[item]))
    return mask


class SpandspFax:
    """One spandsp T.30 fax terminal on an 8 kHz int16 audio path.

    ``calling`` selects the calling (CNG, waits for DIS) or answering (CED, sends DIS) role;
    either may send (``tx_tiff``) or receive (``rx_tiff``).  ``modems`` is a subset of
    ``{"V27ter", "V29", "V17"}`` and ``compressions`` of ``{"MH", "MR", "T6"}`` (T6 is only
    used with ECM).  Feed received audio with :meth:`rx` and take transmit audio with
    :meth:`tx`; :attr:`done` turns true at phase E, then :attr:`result` holds the outcome.
    Call :meth:`close` (or use ``with``) to free spandsp's state and close the TIFF files.
    ``log_flow`` turns on spandsp's protocol-flow log (on stderr).
    """

    def __init__(
        self,
        *,
        calling: bool,
        tx_tiff: str | os.PathLike[str] | None = None,
        rx_tiff: str | os.PathLike[str] | None = None,
        ecm: bool = False,
        modems: Iterable[str] = ("V27ter", "V29", "V17"),
        compressions: Iterable[str] = ("MH", "MR", "T6"),
        local_ident: str = "pycti peer",
        log_flow: bool = False,
    ) -> None:
        self._ffi, self._lib = ffi, lib = load()
        modem_mask = _flags(lib, modems, _MODEM_FLAGS, "modem")
        compression_mask = _flags(lib, compressions, _COMPRESSION_FLAGS, "compression")
        if len(local_ident) > 20 or not local_ident.isascii():
            raise SpandspValueError(f"local_ident must be <= 20 ASCII characters: {local_ident!r}")
        if tx_tiff is not None and not Path(tx_tiff).is_file():
            raise SpandspValueError(f"tx_tiff {os.fspath(tx_tiff)!r} is not a file")
        self._state = lib.fax_init(ffi.NULL, 1 if calling else 0)
        if self._state == ffi.NULL:
            raise SpandspUnavailable("fax_init returned NULL")
        self._t30 = lib.fax_get_t30_state(self._state)
        self._handle = ffi.new_handle(self)
        self.events: list[FaxPhaseEvent] = []
        self.samples_rx = 0
        self.samples_tx = 0
        self._result: FaxResult | None = None
        self._keep: list[Any] = []
        lib.fax_set_transmit_on_idle(self._state, 1)
        level = lib.SPAN_LOG_FLOW if log_flow else lib.SPAN_LOG_NONE  # spandsp logs to stderr
        lib.span_log_set_level(lib.fax_get_logging_state(self._state), level)
        lib.span_log_set_level(lib.t30_get_logging_state(self._t30), level)
        if tx_tiff is not None:
            lib.t30_set_tx_file(self._t30, self._cstr(os.fspath(tx_tiff)), -1, -1)
        if rx_tiff is not None:
            lib.t30_set_rx_file(self._t30, self._cstr(os.fspath(rx_tiff)), -1)
        lib.t30_set_tx_ident(self._t30, self._cstr(local_ident))
        lib.t30_set_ecm_capability(self._t30, 1 if ecm else 0)
        lib.t30_set_supported_modems(self._t30, modem_mask)
        lib.t30_set_supported_compressions(self._t30, compression_mask)
        lib.t30_set_phase_b_handler(self._t30, lib._pycti_phase_b, self._handle)
        lib.t30_set_phase_d_handler(self._t30, lib._pycti_phase_d, self._handle)
        lib.t30_set_phase_e_handler(self._t30, lib._pycti_phase_e, self._handle)

    def _cstr(self, text: str) -> Any:
        buf = self._ffi.new("char[]", os.fsencode(text))
        self._keep.append(buf)  # spandsp may keep the pointer
        return buf

    def _live(self) -> Any:
        if self._state is None:
            raise SpandspValueError("this SpandspFax is closed")
        return self._state

    def rx(self, samples: npt.ArrayLike) -> None:
        """Process received audio (a 1-D int16 array at 8000 samples/s)."""
        audio = as_int16(samples, "samples")
        state = self._live()
        self._lib.fax_rx(state, self._ffi.from_buffer("int16_t[]", audio), audio.size)
        self.samples_rx += audio.size
        raise_pending()

    def tx(self, n: int = FRAME_SAMPLES) -> Int16Array:
        """Generate the next ``n`` samples of transmit audio (silence when spandsp is idle)."""
        if n < 0:
            raise SpandspValueError(f"n must be >= 0, got {n}")
        state = self._live()
        out = np.zeros(n, dtype=np.int16)
        self._lib.fax_tx(state, self._ffi.from_buffer("int16_t[]", out), n)
        self.samples_tx += n
        raise_pending()
        return out

    def _on_phase(self, phase: str, code: int) -> None:
        lib, ffi = self._lib, self._ffi
        if phase == "E":
            name = next((n for n in T30_ERR_NAMES if getattr(lib, n) == code), str(code))
            self.events.append(FaxPhaseEvent(phase, code, name, self.samples_rx))
            self._result = self._collect(code, name)
        else:
            name = ffi.string(lib.t30_frametype(code & 0xFF)).decode()
            self.events.append(FaxPhaseEvent(phase, code, name, self.samples_rx))

    def _collect(self, code: int, name: str) -> FaxResult:
        lib, ffi = self._lib, self._ffi
        stats = ffi.new("t30_stats_t *")
        lib.t30_get_transfer_statistics(self._t30, stats)
        encodings = {int(getattr(lib, key)): value for key, value in _ENCODING_NAMES.items()}
        remote = lib.t30_get_rx_ident(self._t30)
        return FaxResult(
            completion_code=code,
            completion_name=name,
            completion_text=ffi.string(lib.t30_completion_code_to_str(code)).decode(),
            pages_transferred=max(stats.pages_tx, stats.pages_rx),
            pages_tx=stats.pages_tx,
            pages_rx=stats.pages_rx,
            bit_rate_bps=stats.bit_rate,
            ecm_used=bool(stats.error_correcting_mode),
            compression=encodings.get(stats.encoding, f"encoding {stats.encoding}"),
            x_resolution_ppm=stats.x_resolution,
            y_resolution_ppm=stats.y_resolution,
            width_px=stats.width,
            bad_rows=stats.bad_rows,
            remote_ident=ffi.string(remote).decode(errors="replace") if remote != ffi.NULL else "",
        )

    @property
    def done(self) -> bool:
        """True once spandsp reported phase E (the call is over)."""
        return self._result is not None

    @property
    def result(self) -> FaxResult | None:
        """The outcome, available once :attr:`done` is true."""
        return self._result

    def close(self) -> None:
        """Free spandsp's state; this also closes the received TIFF file."""
        if self._state is not None:
            self._lib.fax_free(self._state)
            self._state = None
            self._keep.clear()

    def __del__(self) -> None:
        if getattr(self, "_state", None) is not None:
            self.close()

    def __enter__(self) -> SpandspFax:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_back_to_back(
    a: SpandspFax, b: SpandspFax, *, max_duration_s: float = 600.0, frame: int = FRAME_SAMPLES
) -> float:
    """Connect two terminals' audio in ``frame``-sample lock-step until both are done.

    Returns the audio duration in seconds.  Raises :class:`SpandspValueError` if the call is
    not over within ``max_duration_s`` of audio.
    """
    max_frames = int(max_duration_s * SAMPLE_RATE_HZ / frame)
    for count in range(max_frames):
        a_out = a.tx(frame)
        b_out = b.tx(frame)
        a.rx(b_out)
        b.rx(a_out)
        if a.done and b.done:
            return (count + 1) * frame / SAMPLE_RATE_HZ
    raise SpandspValueError(f"fax call not finished after max_duration_s={max_duration_s}")


def write_tiff_f(
    path: str | os.PathLike[str],
    pages: Sequence[npt.NDArray[np.bool_]],
    *,
    compression: str = "group4",
) -> None:
    """Write bilevel pages as a multi-page TIFF-F file (204 x 196 dpi) with Pillow.

    Each page is a 2-D bool array, True for black, normally 1728 pixels wide (the T.4 A4 scan
    line at 8 pels/mm).  ``compression`` is Pillow's ``"group3"`` (T.4) or ``"group4"``
    (T.6), written through libtiff.
    """
    from PIL import Image

    if compression not in ("group3", "group4"):
        raise SpandspValueError(f"compression must be 'group3' or 'group4', got {compression!r}")
    if not pages:
        raise SpandspValueError("pages must not be empty")
    images = []
    for page in pages:
        array = np.asarray(page)
        if array.ndim != 2 or array.dtype != np.bool_:
            raise SpandspValueError(
                f"a page must be a 2-D bool array, got {array.shape} {array.dtype}"
            )
        images.append(Image.fromarray(~array).convert("1"))  # Pillow's "1": True is white
    images[0].save(
        os.fspath(path),
        format="TIFF",
        compression=compression,
        dpi=(204, 196),
        save_all=True,
        append_images=images[1:],
    )
