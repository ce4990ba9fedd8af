"""Tests of the fax terminal (pycti.fax.terminal): two pycti terminals in 20 ms lock-step over
real line audio (V.21 control frames, V.27ter/V.29 image data, T.4/T.6 pages), directly or
through a LineModel, and the ``pycti fax`` command line.

Pages are the text-like test pages of :mod:`tests.fax_t30` (black runs on white); received pages
are compared pixel for pixel with those sent.
"""

from __future__ import annotations

import numpy as np

from pycti.fax.document_page import FaxPage
from pycti.fax.t4_types import Resolution
from tests.fax_t30 import test_page


def document(*rows: int, seed: int = 1, resolution: Resolution = Resolution.FINE
             ) -> list[FaxPage]:
    """A document of text-like pages, ``rows`` scan lines each, 1728 pixels wide."""
    return [FaxPage(test_page(seed + i, r), resolution) for i, r in enumerate(rows)]


def same_image(a: np.ndarray, b: np.ndarray) -> bool:
    """Pixel-identical pages (shape and every pixel)."""
    return a.shape == b.shape and bool(np.array_equal(a, b))
