"""Build hook: compiles the simulated voice board, the modem receivers' DSP kernels and, on
POSIX systems, the RTP media pump (C, cffi API mode) at install time.

Project metadata lives in pyproject.toml.  drivers/sim/build_simboard.py checks for a C
compiler and the Python headers first and stops with a message naming what to install;
drivers/rtp/build_rtppump.py runs the same check, and so does drivers/dsp/build_dspcore.py (the
modem receivers' C kernels, pycti.dsp._dspcore; without it they run their numpy code).
"""

import sys

from setuptools import setup

CFFI_MODULES = ["drivers/sim/build_simboard.py:ffibuilder",
                "drivers/dsp/build_dspcore.py:ffibuilder"]
if sys.platform != "win32":  # the RTP pump is written against POSIX sockets
    CFFI_MODULES.append("drivers/rtp/build_rtppump.py:ffibuilder")

setup(cffi_modules=CFFI_MODULES)
