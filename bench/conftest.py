"""Benchmarks run single-threaded: throughput is quoted per CPU core.

The thread-count variables must be set before numpy (and its BLAS) is first imported, which is
why this happens at conftest import time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
