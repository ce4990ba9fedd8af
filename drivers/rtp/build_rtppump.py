"""cffi build script (API mode) for the batched RTP media pump: ``pycti.drivers._rtppump``.

Used by ``setup.py`` through ``cffi_modules``; run it directly (``python
drivers/rtp/build_rtppump.py``) to build the extension into the source tree.  The compiler
check is the sim board's (:func:`drivers/sim/build_simboard.check_compiler`), so a missing
compiler stops the build with the same message naming what to install.  POSIX only: Linux
gets ``recvmmsg`` and kernel arrival times (``SO_TIMESTAMPNS``), other POSIX systems a
``recvmsg`` loop (``rtp_internal.h``); ``setup.py`` leaves the module out on Windows.
"""

from __future__ import annotations

import importlib.util
import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "rtp_pump.h")
SOURCES = ("rtp_pump.c", "rtp_receive.c", "rtp_jitter.c", "rtp_g711.c", "rtp_async.c")


def _load_sim_build():  # type: ignore[no-untyped-def]
    """The sim board's build module, loaded by path: loading it runs its compiler check."""
    path = os.path.join(os.path.dirname(HERE), "sim", "build_simboard.py")
    spec = importlib.util.spec_from_file_location("_pycti_build_simboard", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SIM = _load_sim_build()  # stops the build with the install hint when there is no compiler

ffibuilder = FFI()
ffibuilder.cdef(_SIM.cdef_text(HEADER))
ffibuilder.set_source(
    "pycti.drivers._rtppump",
    '#include "rtp_pump.h"\n',
    sources=_SIM.source_paths(HERE, SOURCES),
    include_dirs=[HERE],
    define_macros=[("_GNU_SOURCE", "1")],
    extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra", "-pthread"],
    extra_link_args=["-pthread"],
)

if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(HERE))
    ffibuilder.compile(tmpdir=root, verbose=True)
