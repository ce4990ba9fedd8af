"""cffi build script (API mode) for the simulated voice board: ``pycti.drivers._simboard``.

Used by ``setup.py`` through ``cffi_modules``; run it directly (``python
drivers/sim/build_simboard.py``) to build the extension into the source tree.  Before cffi
is asked to compile anything, :func:`check_compiler` makes sure a C compiler and the Python
headers are there, and stops with a message naming what to install if they are not.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "simboard.h")
SOURCES = ("simboard.c", "sim_script.c", "sim_signal.c", "sim_co.c")

INSTALL_HINT = (
    "pycti needs a C compiler and the Python headers to build its simulated board: "
    "install gcc and python3-dev (Debian/Ubuntu: apt-get install gcc python3-dev; "
    "Fedora: dnf install gcc python3-devel; macOS: xcode-select --install)"
)


class CompilerMissing(SystemExit):
    """Raised (as a SystemExit, so the build stops with just the message) without a compiler."""


def _compiler_command() -> list[str]:
    """The C compiler command the build will use: ``$CC`` or the one Python was built with."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(cc)


def check_compiler() -> None:
    """Stop the build with :data:`INSTALL_HINT` unless a one-line probe including Python.h compiles."""
    if sys.platform == "win32":  # MSVC is located by setuptools itself; leave it the errors
        return
    cmd = _compiler_command()
    if not cmd or shutil.which(cmd[0]) is None:
        raise CompilerMissing(f"{INSTALL_HINT}\n(C compiler {' '.join(cmd)!r} not found)")
    include = sysconfig.get_paths()["include"]
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.c")
        with open(probe, "w", encoding="ascii") as f:
            f.write("#include <Python.h>\nint pycti_probe(void) { return 0; }\n")
        try:
            result = subprocess.run(
                [*cmd, "-c", probe, "-I", include, "-o", os.path.join(tmp, "probe.o")],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except OSError as exc:
            raise CompilerMissing(f"{INSTALL_HINT}\n(running {cmd[0]!r} failed: {exc})") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise CompilerMissing(f"{INSTALL_HINT}\n(probe compile failed: {' '.join(detail)})")


def cdef_text(header: str) -> str:
    """A public header without its preprocessor lines, as cffi's cdef wants it (shared with
    the RTP pump's and the DSP kernels' build scripts)."""
    with open(header, encoding="ascii") as f:
        return "".join(line for line in f if not line.lstrip().startswith("#"))


def source_paths(here: str, sources: tuple[str, ...], *, relative: bool = True) -> list[str]:
    """C sources relative to the working directory when possible and ``relative``
    (setuptools prefers that; a build in a scratch directory needs them absolute)."""
    paths = []
    for name in sources:
        path = os.path.join(here, name)
        if not relative:
            paths.append(path)
            continue
        try:
            rel = os.path.relpath(path)
        except ValueError:  # other drive on Windows
            rel = path
        paths.append(path if rel.startswith("..") else rel)
    return paths


check_compiler()

ffibuilder = FFI()
ffibuilder.cdef(cdef_text(HEADER))
ffibuilder.set_source(
    "pycti.drivers._simboard",
    '#include "simboard.h"\n',
    sources=source_paths(HERE, SOURCES),
    include_dirs=[HERE],
    extra_compile_args=[] if sys.platform == "win32" else ["-O2", "-fno-math-errno", "-std=c99", "-Wall", "-Wextra"],
    libraries=[] if sys.platform == "win32" else ["m"],
)

if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(HERE))
    ffibuilder.compile(tmpdir=root, verbose=True)
