"""Build hook: compiles the simulated voice board (C, cffi API mode) at install time.

Project metadata lives in pyproject.toml.  drivers/sim/build_simboard.py checks for a C
compiler and the Python headers first and stops with a message naming what to install.
"""

from setuptools import setup

setup(cffi_modules=["drivers/sim/build_simboard.py:ffibuilder"])
