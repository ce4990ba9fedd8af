"""The page and error types of fax documents (TIFF Class F, images, PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from pycti.errors import PyctiError

from .t4_types import Page, Resolution

__all__ = ["DocumentError", "FaxPage"]


class DocumentError(PyctiError, ValueError):
    """A document that cannot be read or written; the message names the file and the problem."""


@dataclass(frozen=True, eq=False)
class FaxPage:
    """One fax page: ``image`` rows x width (uint8, 1 = black) at ``resolution``."""

    image: Page
    resolution: Resolution

    @property
    def width(self) -> int:
        """Pixels per scan line."""
        return int(self.image.shape[1])

    @property
    def rows(self) -> int:
        """Scan lines."""
        return int(self.image.shape[0])
