"""The exception tree of pycti.

Every exception pycti raises derives from :class:`PyctiError`.  Service failures carry the
ECMA-269 error value (clause 9.2, ``UniversalFailure``) so that a CSTA server can send it on the
wire unchanged.  Where a builtin exception already says what went wrong, the pycti class also
derives from it: a bad argument is a ``ValueError``, a hardware or I/O failure an ``OSError``,
a timeout a ``TimeoutError``.
"""

from __future__ import annotations

__all__ = [
    "PyctiError",
    "CstaError",
    "DriverError",
    "ServiceTimeout",
    "AudioFormatError",
]


class PyctiError(Exception):
    """Root of every exception raised by pycti."""


class CstaError(PyctiError):
    """A CSTA service was refused by the switch.

    ``error_value`` is the ECMA-269 error value name as spelt in ECMA-285/ECMA-323
    (``invalidConnectionState``, ``invalidDeviceIdentifier`` ...); ``category`` is the
    ``UniversalFailure`` category (``operation``, ``state``, ``system``, ``security``,
    ``resources``, ``performance``, ``private``).  The switch state is unchanged when it is
    raised.
    """

    def __init__(self, error_value: str, detail: str = "", *, category: str = "operation") -> None:
        self.error_value = error_value
        self.category = category
        self.detail = detail
        super().__init__(f"{error_value}: {detail}" if detail else error_value)


class DriverError(PyctiError, OSError):
    """A driver or its hardware failed; names the call and the code."""


class ServiceTimeout(PyctiError, TimeoutError):
    """A service or wait did not complete in time."""


class AudioFormatError(PyctiError, ValueError):
    """Audio of the wrong rate, sample width, channel count or encoding."""
