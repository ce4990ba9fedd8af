"""Compile and load the cffi binding of spandsp 0.0.6 that :mod:`tests.peers.spandsp` wraps.

The declarations below are only the functions, types and constants the wrappers use, copied
from the Debian ``libspandsp-dev`` 0.0.6 headers (``spandsp/fax.h``, ``t30.h``, ``t30_api.h``,
``t30_logging.h``, ``v29tx.h``/``v29rx.h``, ``v27ter_tx.h``/``v27ter_rx.h``, ``v17tx.h``/
``v17rx.h``, ``fsk.h``, ``hdlc.h``, ``async.h``).  cffi API mode compiles them against the
installed headers, and the build turns pointer, qualifier and integer conversion warnings into
errors, so a declaration that does not match 0.0.6 (several changed in later releases) fails
the build instead of corrupting the stack.  Constants are declared ``...`` and so take the
header's values.

The extension is built on first use into ``$XDG_CACHE_HOME/pycti-peers`` (default
``~/.cache/pycti-peers``), outside the git tree, under a name hashing the declarations, the C
helpers, the compiler flags and the cffi and Python versions: any change rebuilds it.  A file
lock keeps concurrent test processes from building it twice.

Two C helpers are compiled in: a bit source (feeds a modem transmitter from a byte-per-bit
buffer, then reports ``SIG_STATUS_END_OF_DATA``) and a bit sink (stores the receiver's bits
and ``SIG_STATUS_*`` values in arrival order), so a modem costs no Python call per bit.
T.30 phase B/D/E and HDLC callbacks are ``extern "Python"`` functions.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from pycti.errors import PyctiError

SAMPLE_RATE_HZ: Final = 8000
FRAME_SAMPLES: Final = 160

Int16Array = npt.NDArray[np.int16]
BitArray = npt.NDArray[np.uint8]


class SpandspUnavailable(PyctiError, RuntimeError):
    """spandsp's headers or library are missing, or the binding failed to compile."""


class SpandspValueError(PyctiError, ValueError):
    """A bad argument to one of the spandsp wrappers; the message names the value."""


T30_ERR_NAMES: Final = (
    "T30_ERR_OK T30_ERR_CEDTONE T30_ERR_T0_EXPIRED T30_ERR_T1_EXPIRED T30_ERR_T3_EXPIRED "
    "T30_ERR_HDLC_CARRIER T30_ERR_CANNOT_TRAIN T30_ERR_OPER_INT_FAIL T30_ERR_INCOMPATIBLE "
    "T30_ERR_RX_INCAPABLE T30_ERR_TX_INCAPABLE T30_ERR_NORESSUPPORT T30_ERR_NOSIZESUPPORT "
    "T30_ERR_UNEXPECTED T30_ERR_TX_BADDCS T30_ERR_TX_BADPG T30_ERR_TX_ECMPHD T30_ERR_TX_GOTDCN "
    "T30_ERR_TX_INVALRSP T30_ERR_TX_NODIS T30_ERR_TX_PHBDEAD T30_ERR_TX_PHDDEAD "
    "T30_ERR_TX_T5EXP T30_ERR_RX_ECMPHD T30_ERR_RX_GOTDCS T30_ERR_RX_INVALCMD "
    "T30_ERR_RX_NOCARRIER T30_ERR_RX_NOEOL T30_ERR_RX_NOFAX T30_ERR_RX_T2EXPDCN "
    "T30_ERR_RX_T2EXPD T30_ERR_RX_T2EXPFAX T30_ERR_RX_T2EXPMPS T30_ERR_RX_T2EXPRR "
    "T30_ERR_RX_T2EXP T30_ERR_RX_DCNWHY T30_ERR_RX_DCNDATA T30_ERR_RX_DCNFAX "
    "T30_ERR_RX_DCNPHD T30_ERR_RX_DCNRRD T30_ERR_RX_DCNNORTN T30_ERR_FILEERROR "
    "T30_ERR_NOPAGE T30_ERR_BADTIFF T30_ERR_BADPAGE T30_ERR_BADTAG T30_ERR_BADTIFFHDR "
    "T30_ERR_NOMEM T30_ERR_RETRYDCN T30_ERR_CALLDROPPED T30_ERR_NOPOLL "
    "T30_ERR_IDENT_UNACCEPTABLE T30_ERR_SUB_UNACCEPTABLE T30_ERR_SEP_UNACCEPTABLE "
    "T30_ERR_PSA_UNACCEPTABLE T30_ERR_SID_UNACCEPTABLE T30_ERR_PWD_UNACCEPTABLE "
    "T30_ERR_TSA_UNACCEPTABLE T30_ERR_IRA_UNACCEPTABLE T30_ERR_CIA_UNACCEPTABLE "
    "T30_ERR_ISP_UNACCEPTABLE T30_ERR_CSA_UNACCEPTABLE"
).split()

_SIG_STATUS_NAMES: Final = (
    "SIG_STATUS_CARRIER_DOWN SIG_STATUS_CARRIER_UP SIG_STATUS_TRAINING_IN_PROGRESS "
    "SIG_STATUS_TRAINING_SUCCEEDED SIG_STATUS_TRAINING_FAILED SIG_STATUS_FRAMING_OK "
    "SIG_STATUS_END_OF_DATA SIG_STATUS_ABORT SIG_STATUS_BREAK SIG_STATUS_SHUTDOWN_COMPLETE "
    "SIG_STATUS_OCTET_REPORT SIG_STATUS_POOR_SIGNAL_QUALITY SIG_STATUS_MODEM_RETRAIN_OCCURRED "
    "SIG_STATUS_LINK_CONNECTED SIG_STATUS_LINK_DISCONNECTED SIG_STATUS_LINK_ERROR"
).split()

_OTHER_CONSTANTS: Final = (
    "T30_SUPPORT_V27TER T30_SUPPORT_V29 T30_SUPPORT_V17 "
    "T30_SUPPORT_T4_1D_COMPRESSION T30_SUPPORT_T4_2D_COMPRESSION T30_SUPPORT_T6_COMPRESSION "
    "T4_COMPRESSION_NONE T4_COMPRESSION_ITU_T4_1D T4_COMPRESSION_ITU_T4_2D "
    "T4_COMPRESSION_ITU_T6 SPAN_LOG_NONE SPAN_LOG_FLOW"
).split()

_CDEF: Final = (
    """
typedef struct fax_state_s fax_state_t;
typedef struct t30_state_s t30_state_t;
typedef struct logging_state_s logging_state_t;
typedef struct v29_tx_state_s v29_tx_state_t;
typedef struct v29_rx_state_s v29_rx_state_t;
typedef struct v27ter_tx_state_s v27ter_tx_state_t;
typedef struct v27ter_rx_state_s v27ter_rx_state_t;
typedef struct v17_tx_state_s v17_tx_state_t;
typedef struct v17_rx_state_s v17_rx_state_t;
typedef struct fsk_tx_state_s fsk_tx_state_t;
typedef struct fsk_rx_state_s fsk_rx_state_t;
typedef struct hdlc_tx_state_s hdlc_tx_state_t;
typedef struct hdlc_rx_state_s hdlc_rx_state_t;
typedef int (*get_bit_func_t)(void *user_data);
typedef void (*put_bit_func_t)(void *user_data, int bit);
typedef void (*hdlc_frame_handler_t)(void *user_data, const uint8_t *pkt, int len, int ok);
typedef void (*hdlc_underflow_handler_t)(void *user_data);

typedef struct {
    int bit_rate;
    int error_correcting_mode;
    int pages_tx;
    int pages_rx;
    int pages_in_file;
    int x_resolution;
    int y_resolution;
    int width;
    int length;
    int encoding;
    int bad_rows;
    int error_correcting_mode_retries;
    ...;
} t30_stats_t;

fax_state_t *fax_init(fax_state_t *s, int calling_party);
int fax_rx(fax_state_t *s, int16_t *amp, int len);
int fax_tx(fax_state_t *s, int16_t *amp, int max_len);
void fax_set_transmit_on_idle(fax_state_t *s, int transmit_on_idle);
void fax_set_tep_mode(fax_state_t *s, int use_tep);
t30_state_t *fax_get_t30_state(fax_state_t *s);
logging_state_t *fax_get_logging_state(fax_state_t *s);
int fax_free(fax_state_t *s);

void t30_set_tx_file(t30_state_t *s, const char *file, int start_page, int stop_page);
void t30_set_rx_file(t30_state_t *s, const char *file, int stop_page);
int t30_set_ecm_capability(t30_state_t *s, int enabled);
int t30_set_supported_modems(t30_state_t *s, int supported_modems);
int t30_set_supported_compressions(t30_state_t *s, int supported_compressions);
int t30_set_tx_ident(t30_state_t *s, const char *id);
const char *t30_get_rx_ident(t30_state_t *s);
void t30_set_phase_b_handler(t30_state_t *s,
                             int (*handler)(t30_state_t *s, void *user_data, int result),
                             void *user_data);
void t30_set_phase_d_handler(t30_state_t *s,
                             int (*handler)(t30_state_t *s, void *user_data, int result),
                             void *user_data);
void t30_set_phase_e_handler(t30_state_t *s,
                             void (*handler)(t30_state_t *s, void *user_data, int code),
                             void *user_data);
void t30_get_transfer_statistics(t30_state_t *s, t30_stats_t *t);
int t30_call_active(t30_state_t *s);
const char *t30_completion_code_to_str(int result);
const char *t30_frametype(uint8_t x);
logging_state_t *t30_get_logging_state(t30_state_t *s);
int span_log_set_level(logging_state_t *s, int level);
const char *signal_status_to_str(int status);

extern "Python" int _pycti_phase_b(t30_state_t *s, void *user_data, int result);
extern "Python" int _pycti_phase_d(t30_state_t *s, void *user_data, int result);
extern "Python" void _pycti_phase_e(t30_state_t *s, void *user_data, int code);
extern "Python" void _pycti_hdlc_frame(void *user_data, const uint8_t *pkt, int len, int ok);
extern "Python" void _pycti_hdlc_underflow(void *user_data);

v29_tx_state_t *v29_tx_init(v29_tx_state_t *s, int bit_rate, int tep,
                            get_bit_func_t get_bit, void *user_data);
int v29_tx(v29_tx_state_t *s, int16_t amp[], int len);
void v29_tx_power(v29_tx_state_t *s, float power);
int v29_tx_free(v29_tx_state_t *s);
v29_rx_state_t *v29_rx_init(v29_rx_state_t *s, int bit_rate, put_bit_func_t put_bit,
                            void *user_data);
int v29_rx(v29_rx_state_t *s, const int16_t amp[], int len);
float v29_rx_signal_power(v29_rx_state_t *s);
int v29_rx_free(v29_rx_state_t *s);

v27ter_tx_state_t *v27ter_tx_init(v27ter_tx_state_t *s, int bit_rate, int tep,
                                  get_bit_func_t get_bit, void *user_data);
int v27ter_tx(v27ter_tx_state_t *s, int16_t amp[], int len);
void v27ter_tx_power(v27ter_tx_state_t *s, float power);
int v27ter_tx_free(v27ter_tx_state_t *s);
v27ter_rx_state_t *v27ter_rx_init(v27ter_rx_state_t *s, int bit_rate, put_bit_func_t put_bit,
                                  void *user_data);
int v27ter_rx(v27ter_rx_state_t *s, const int16_t amp[], int len);
float v27ter_rx_signal_power(v27ter_rx_state_t *s);
int v27ter_rx_free(v27ter_rx_state_t *s);

v17_tx_state_t *v17_tx_init(v17_tx_state_t *s, int bit_rate, int tep,
                            get_bit_func_t get_bit, void *user_data);
int v17_tx(v17_tx_state_t *s, int16_t amp[], int len);
void v17_tx_power(v17_tx_state_t *s, float power);
int v17_tx_free(v17_tx_state_t *s);
v17_rx_state_t *v17_rx_init(v17_rx_state_t *s, int bit_rate, put_bit_func_t put_bit,
                            void *user_data);
int v17_rx(v17_rx_state_t *s, const int16_t amp[], int len);
float v17_rx_signal_power(v17_rx_state_t *s);
int v17_rx_free(v17_rx_state_t *s);

int fsk_tx(fsk_tx_state_t *s, int16_t amp[], int len);
void fsk_tx_power(fsk_tx_state_t *s, float power);
int fsk_tx_free(fsk_tx_state_t *s);
int fsk_rx(fsk_rx_state_t *s, const int16_t *amp, int len);
float fsk_rx_signal_power(fsk_rx_state_t *s);
int fsk_rx_free(fsk_rx_state_t *s);

hdlc_tx_state_t *hdlc_tx_init(hdlc_tx_state_t *s, int crc32, int inter_frame_flags,
                              int progressive, hdlc_underflow_handler_t handler,
                              void *user_data);
int hdlc_tx_frame(hdlc_tx_state_t *s, const uint8_t *frame, size_t len);
int hdlc_tx_flags(hdlc_tx_state_t *s, int len);
int hdlc_tx_free(hdlc_tx_state_t *s);
hdlc_rx_state_t *hdlc_rx_init(hdlc_rx_state_t *s, int crc32, int report_bad_frames,
                              int framing_ok_threshold, hdlc_frame_handler_t handler,
                              void *user_data);
int hdlc_rx_free(hdlc_rx_state_t *s);

typedef struct {
    const uint8_t *bits;
    int len;
    int pos;
    int finished;
    int ended;
    int idle_bits;
} pycti_bit_source_t;
typedef struct {
    int8_t *out;
    int cap;
    int n;
    int dropped;
} pycti_bit_sink_t;
int pycti_bit_source_get(void *user_data);
void pycti_bit_sink_put(void *user_data, int bit);
fsk_tx_state_t *pycti_v21ch2_tx_init(fsk_tx_state_t *s, int bit_rate, int tep,
                                     get_bit_func_t get_bit, void *user_data);
fsk_rx_state_t *pycti_v21ch2_rx_init(fsk_rx_state_t *s, int bit_rate, put_bit_func_t put_bit,
                                     void *user_data);
int pycti_hdlc_tx_bits(hdlc_tx_state_t *s, uint8_t *out, int n);
int pycti_v29_tx_restart(v29_tx_state_t *s, int bit_rate, int tep, int short_train);
int pycti_v27ter_tx_restart(v27ter_tx_state_t *s, int bit_rate, int tep, int short_train);
int v17_tx_restart(v17_tx_state_t *s, int bit_rate, int tep, int short_train);
int pycti_v21ch2_tx_restart(fsk_tx_state_t *s, int bit_rate, int tep, int short_train);
int v29_rx_restart(v29_rx_state_t *s, int bit_rate, int old_train);
int v27ter_rx_restart(v27ter_rx_state_t *s, int bit_rate, int old_train);
int v17_rx_restart(v17_rx_state_t *s, int bit_rate, int short_train);
int pycti_v21ch2_rx_restart(fsk_rx_state_t *s, int bit_rate, int short_train);
void pycti_hdlc_rx_bits(hdlc_rx_state_t *s, const int8_t *bits, int n);
"""
    + "".join(f"#define {name} ...\n" for name in T30_ERR_NAMES + _SIG_STATUS_NAMES)
    + "".join(f"#define {name} ...\n" for name in _OTHER_CONSTANTS)
)

# Helpers compiled into the extension.  The bit source feeds a transmitter from a byte-per-bit
# array and, once finished, reports SIG_STATUS_END_OF_DATA so the modem sends its closing
# sequence; the bit sink stores received bits (0/1) and status values (< 0) in arrival order.
_C_SOURCE: Final = r"""
#include <spandsp.h>

typedef struct {
    const uint8_t *bits;
    int len;
    int pos;
    int finished;
    int ended;
    int idle_bits;
} pycti_bit_source_t;

typedef struct {
    int8_t *out;
    int cap;
    int n;
    int dropped;
} pycti_bit_sink_t;

static int pycti_bit_source_get(void *user_data)
{
    pycti_bit_source_t *s = (pycti_bit_source_t *) user_data;
    if (s->pos < s->len)
        return s->bits[s->pos++] & 1;
    if (s->finished) {
        s->ended = 1;
        return SIG_STATUS_END_OF_DATA;
    }
    s->idle_bits++;
    return 1;
}

static void pycti_bit_sink_put(void *user_data, int bit)
{
    pycti_bit_sink_t *s = (pycti_bit_sink_t *) user_data;
    if (s->n < s->cap)
        s->out[s->n++] = (int8_t) ((bit < 0) ? bit : (bit & 1));
    else
        s->dropped++;
}

static fsk_tx_state_t *pycti_v21ch2_tx_init(fsk_tx_state_t *s, int bit_rate, int tep,
                                            get_bit_func_t get_bit, void *user_data)
{
    (void) bit_rate;
    (void) tep;
    return fsk_tx_init(s, &preset_fsk_specs[FSK_V21CH2], get_bit, user_data);
}

static fsk_rx_state_t *pycti_v21ch2_rx_init(fsk_rx_state_t *s, int bit_rate,
                                            put_bit_func_t put_bit, void *user_data)
{
    (void) bit_rate;
    return fsk_rx_init(s, &preset_fsk_specs[FSK_V21CH2], FSK_FRAME_MODE_SYNC, put_bit,
                       user_data);
}

/* Restarts with one shape for every modem: (state, bit rate, tep, short train). */
static int pycti_v29_tx_restart(v29_tx_state_t *s, int bit_rate, int tep, int short_train)
{
    (void) short_train;
    return v29_tx_restart(s, bit_rate, tep);
}

static int pycti_v27ter_tx_restart(v27ter_tx_state_t *s, int bit_rate, int tep,
                                   int short_train)
{
    (void) short_train;
    return v27ter_tx_restart(s, bit_rate, tep);
}

static int pycti_v21ch2_tx_restart(fsk_tx_state_t *s, int bit_rate, int tep, int short_train)
{
    (void) bit_rate;
    (void) tep;
    (void) short_train;
    return fsk_tx_restart(s, &preset_fsk_specs[FSK_V21CH2]);
}

static int pycti_v21ch2_rx_restart(fsk_rx_state_t *s, int bit_rate, int short_train)
{
    (void) bit_rate;
    (void) short_train;
    return fsk_rx_restart(s, &preset_fsk_specs[FSK_V21CH2], FSK_FRAME_MODE_SYNC);
}

static int pycti_hdlc_tx_bits(hdlc_tx_state_t *s, uint8_t *out, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        int bit = hdlc_tx_get_bit(s);
        if (bit < 0)
            break;
        out[i] = (uint8_t) bit;
    }
    return i;
}

static void pycti_hdlc_rx_bits(hdlc_rx_state_t *s, const int8_t *bits, int n)
{
    int i;
    for (i = 0; i < n; i++)
        hdlc_rx_put_bit(s, bits[i]);
}
"""

_STRICT_FLAGS: Final = [
    "-Werror=incompatible-pointer-types",
    "-Werror=discarded-qualifiers",
    "-Werror=int-conversion",
    "-Werror=implicit-function-declaration",
    "-Werror=return-type",
]

_INSTALL_HINT: Final = "apt-get install libspandsp-dev"
_MODULE_PREFIX: Final = "_pycti_spandsp_"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pycti-peers"


def _module_name() -> str:
    import cffi  # type: ignore[import-untyped]

    digest = hashlib.sha256()
    for part in (_CDEF, _C_SOURCE, " ".join(_STRICT_FLAGS), cffi.__version__, sys.version):
        digest.update(part.encode())
    return _MODULE_PREFIX + digest.hexdigest()[:16]


def _built_path(folder: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = folder / (name + suffix)
        if candidate.exists():
            return candidate
    return None


def _compile(folder: Path, name: str, libraries: Sequence[str] = ("spandsp",)) -> Path:
    import cffi

    builder = cffi.FFI()
    builder.cdef(_CDEF)
    builder.set_source(name, _C_SOURCE, libraries=list(libraries), extra_compile_args=_STRICT_FLAGS)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        try:
            built = Path(builder.compile(tmpdir=tmp, verbose=False))
        except Exception as exc:  # distutils/setuptools raise several unrelated classes
            raise SpandspUnavailable(
                f"cannot build the spandsp binding ({type(exc).__name__}: {exc}); "
                f"are the spandsp headers and library installed?  {_INSTALL_HINT}"
            ) from exc
        target = folder / built.name
        shutil.move(str(built), target)  # same file system: an atomic rename
    for stale in folder.glob(_MODULE_PREFIX + "*"):  # builds of older declarations
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


_LOADED: list[tuple[Any, Any]] = []


def load() -> tuple[Any, Any]:
    """Return the binding's ``(ffi, lib)``, compiling it into the cache folder on first use.

    Raises :class:`SpandspUnavailable` (naming ``apt-get install libspandsp-dev``) when the
    spandsp headers or library are missing.
    """
    if _LOADED:
        return _LOADED[0]
    folder = _cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = _module_name()
    with open(folder / "build.lock", "w") as lock:  # one builder at a time across processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = _built_path(folder, name) or _compile(folder, name)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SpandspUnavailable(f"cannot import the compiled spandsp binding {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise SpandspUnavailable(f"cannot load {path} ({exc}); {_INSTALL_HINT}") from exc
    ffi, lib = module.ffi, module.lib
    _register_callbacks(ffi)
    _LOADED.append((ffi, lib))
    return ffi, lib


def _register_callbacks(ffi: Any) -> None:
    """Attach the ``extern "Python"`` callbacks; each forwards to the object behind its
    ``user_data`` handle (a SpandspFax, SpandspHdlcRx or SpandspHdlcTx)."""

    def on_error(exc_type: Any, exc: BaseException, tb: Any) -> None:
        _PENDING_ERRORS.append(exc)

    def phase_b(state: Any, user_data: Any, result: int) -> int:
        ffi.from_handle(user_data)._on_phase("B", result)
        return 0

    def phase_d(state: Any, user_data: Any, result: int) -> int:
        ffi.from_handle(user_data)._on_phase("D", result)
        return 0

    def phase_e(state: Any, user_data: Any, code: int) -> None:
        ffi.from_handle(user_data)._on_phase("E", code)

    def hdlc_frame(user_data: Any, pkt: Any, length: int, ok: int) -> None:
        ffi.from_handle(user_data)._on_frame(pkt, length, ok)

    def hdlc_underflow(user_data: Any) -> None:
        ffi.from_handle(user_data)._on_underflow()

    callbacks = {
        "_pycti_phase_b": phase_b,
        "_pycti_phase_d": phase_d,
        "_pycti_phase_e": phase_e,
        "_pycti_hdlc_frame": hdlc_frame,
        "_pycti_hdlc_underflow": hdlc_underflow,
    }
    for name, function in callbacks.items():
        ffi.def_extern(name=name, onerror=on_error)(function)


# Exceptions raised inside a C callback cannot cross spandsp; they wait here and are re-raised
# by the wrapper call that drove spandsp.
_PENDING_ERRORS: list[BaseException] = []


def raise_pending() -> None:
    """Re-raise the first exception a Python callback raised inside spandsp, if any."""
    if _PENDING_ERRORS:
        exc = _PENDING_ERRORS.pop(0)
        _PENDING_ERRORS.clear()
        raise exc


def as_int16(samples: npt.ArrayLike, what: str) -> Int16Array:
    """Check that ``samples`` is a 1-D int16 array and return it C-contiguous."""
    array = np.asarray(samples)
    if array.ndim != 1 or array.dtype != np.int16:
        raise SpandspValueError(
            f"{what} must be a 1-D int16 array, got shape {array.shape} dtype {array.dtype}"
        )
    return np.ascontiguousarray(array)


def as_bits(bits: npt.ArrayLike) -> BitArray:
    """Check that ``bits`` is a 1-D array of 0/1 values and return it as contiguous uint8."""
    array = np.asarray(bits)
    if array.ndim != 1 or (array.size and (array.min() < 0 or array.max() > 1)):
        raise SpandspValueError(f"bits must be a 1-D array of 0/1 values, got {array!r:.80}")
    return np.ascontiguousarray(array, dtype=np.uint8)


def status_name(lib: Any, code: int) -> str:
    """The ``SIG_STATUS_*`` identifier of a status value from spandsp."""
    for name in _SIG_STATUS_NAMES:
        if getattr(lib, name) == code:
            return name
    return f"SIG_STATUS_{code}"
