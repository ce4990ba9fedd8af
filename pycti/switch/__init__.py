"""The soft switch: the ECMA-269 call model as a sans-I/O core, and the batched media plane."""

from __future__ import annotations

from .core import DeviceKind, SwitchCore
from .ids import ConnectionID
from .states import ConnectionState

__all__ = ["SwitchCore", "DeviceKind", "ConnectionID", "ConnectionState"]
