"""pycti: CTI middleware with one ECMA-269 CSTA call model over any telephony hardware."""

from __future__ import annotations

__version__ = "0.1.0"
