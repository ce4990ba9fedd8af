"""Identifiers of the call model: connection ids and the deterministic id sequences.

ECMA-269 names a connection by the pair (call, device) (ECMA-285 ``ConnectionID``, clause
6.1 of ECMA-269).  pycti always uses the ``both`` form: a call id and a device id.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConnectionID", "IdSequence"]


@dataclass(frozen=True, slots=True, order=True)
class ConnectionID:
    """The relationship between one call and one device (ECMA-269 ConnectionID).

    ``call_id`` is the switch's call identifier (``"C1"``, ``"C2"`` ...); ``device_id`` the
    device identifier as given to :meth:`SwitchCore.add_device`.  Hashable and ordered by
    value, so it can key dicts and sets.
    """

    call_id: str
    device_id: str

    def __str__(self) -> str:
        return f"{self.call_id}/{self.device_id}"


class IdSequence:
    """Deterministic identifiers ``prefix1``, ``prefix2`` ... (never reused).

    Determinism makes a seeded simulation repeat exactly: the n-th call is always ``C{n}``.
    """

    __slots__ = ("_next", "_prefix")

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._next = 1

    def allocate(self) -> str:
        """Return the next unused identifier."""
        value = f"{self._prefix}{self._next}"
        self._next += 1
        return value
