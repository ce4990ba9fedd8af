"""Transfers the network carries out: the part of :class:`~pycti.switch.core.SwitchCore` for
a single-step transfer of an external party to an external number that the trunk's far end
makes itself (SIP REFER, RFC 3515, towards a carrier that allows it) instead of the switch
holding two trunks and bridging them.

The layer below decides whether a trunk's far end can do it: it sets
:attr:`NetworkTransferServices.network_transfer` to a function ``(trunk, number) -> bool``
that asks the trunk's driver (the local switch asks ``transfer_out`` of drivers that have
it) and returns whether the request went out.  Then
:func:`~pycti.switch.core_transfer.single_step_transfer_call` reports the transferring
device's departure (Transferred, to the number) and leaves the trunk alone in the call until
its driver reports it released (the far end took the call elsewhere: ConnectionCleared,
CallCleared) or :meth:`NetworkTransferServices.network_transfer_failed`, after which the
switch connects the call itself through an outbound trunk.
"""

from __future__ import annotations

from collections.abc import Callable

from pycti.switch import core_transfer as _xfer
from pycti.switch.core_model import CallModel

__all__ = ["NetworkTransferServices"]


class NetworkTransferServices:
    """Mixin of :class:`~pycti.switch.core.SwitchCore` (see the module docstring)."""

    _m: CallModel

    @property
    def network_transfer(self) -> Callable[[str, str], bool] | None:
        """``(trunk, number) -> bool``: ask the trunk's far end to call ``number`` itself;
        True when the request went out.  None: every transfer stays in the switch."""
        return self._m.network_transfer

    @network_transfer.setter
    def network_transfer(self, hook: Callable[[str, str], bool] | None) -> None:
        self._m.network_transfer = hook

    def network_transfer_failed(self, trunk: str, now: float) -> bool:
        """The far end of ``trunk`` did not take the transfer: see
        :func:`pycti.switch.core_transfer.network_transfer_failed`."""
        done = _xfer.network_transfer_failed(self._m, trunk, now)
        self._m.finish(now)
        return done
