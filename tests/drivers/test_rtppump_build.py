"""The pump's build script stops with the install hint without a compiler, and the compiled
module exposes the header's constants (the install-time build ran)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pycti.drivers._rtppump import lib

ROOT = Path(__file__).resolve().parents[2]


def test_missing_compiler_stops_the_pump_build_with_an_install_hint() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "drivers" / "rtp" / "build_rtppump.py")],
                          capture_output=True, text=True, cwd=ROOT,
                          env={"CC": "/nonexistent/cc", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode != 0
    msg = proc.stderr + proc.stdout
    assert "C compiler" in msg and "gcc" in msg and "python3-dev" in msg


def test_compiled_module_carries_the_header_constants() -> None:
    assert lib.RTP_PUMP_FRAME_SAMPLES == 160 and lib.RTP_STAT_COUNT == 28
    assert (lib.RTP_PT_PCMU, lib.RTP_PT_PCMA, lib.RTP_PT_EVENT) == (1, 2, 3)
