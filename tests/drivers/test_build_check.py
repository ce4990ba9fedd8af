"""Without a C compiler the build stops with a message that names what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_missing_compiler_stops_the_build_with_an_install_hint(tmp_path):
    code = (
        "import runpy, sys\n"
        f"sys.path.insert(0, {str(ROOT / 'drivers' / 'sim')!r})\n"
        "import build_simboard\n"
        "build_simboard.check_compiler()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"CC": "/nonexistent/cc", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode != 0
    msg = proc.stderr + proc.stdout
    assert "C compiler" in msg and "gcc" in msg and "python3-dev" in msg


def test_present_compiler_passes_the_check():
    sys.path.insert(0, str(ROOT / "drivers" / "sim"))
    try:
        import build_simboard

        build_simboard.check_compiler()  # gcc is on this machine: no exception
    finally:
        sys.path.remove(str(ROOT / "drivers" / "sim"))
