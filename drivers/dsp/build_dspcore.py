"""cffi build script (API mode) for the modem receivers' C kernels: ``pycti.dsp._dspcore``.

Used by ``setup.py`` through ``cffi_modules``; run it directly (``python
drivers/dsp/build_dspcore.py``) to build the extension into the source tree.  The compiler
check is the sim board's (``drivers/sim/build_simboard.check_compiler``), so a missing compiler
stops the build with the same message naming what to install.  Without the module pycti's
receivers run their numpy code (:mod:`pycti.dsp.dspcore` says which is in use).
"""

from __future__ import annotations

import importlib.util
import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "dspcore.h")
SOURCES = ("dsp_frontend.c", "dsp_equalizer.c", "dsp_viterbi.c", "dsp_v21.c", "dsp_bits.c")


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
    "pycti.dsp._dspcore",
    '#include "dspcore.h"\n',
    sources=_SIM.source_paths(HERE, SOURCES, relative=__name__ != "__main__"),
    include_dirs=[HERE],
    libraries=["m"],
    # No -ffast-math: the kernels keep IEEE semantics so that they decide as the numpy code does.
    extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra"],
)

if __name__ == "__main__":
    import glob
    import shutil
    import tempfile

    target = os.path.join(os.path.dirname(os.path.dirname(HERE)), "pycti", "dsp")
    with tempfile.TemporaryDirectory() as tmp:  # the generated C and objects stay out of the tree
        built = ffibuilder.compile(tmpdir=tmp, verbose=True)
        for path in glob.glob(os.path.join(os.path.dirname(built), "_dspcore*.so")):
            # A new file renamed over the old one: processes that have the old one loaded
            # keep their copy (writing into a loaded library would crash them).
            dest = os.path.join(target, os.path.basename(path))
            shutil.copy(path, dest + ".new")
            os.replace(dest + ".new", dest)
