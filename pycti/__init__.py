"""pycti: CTI middleware with one ECMA-269 CSTA call model over any telephony hardware."""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .drivers.base import Driver
    from .local.config import SwitchConfig
    from .local.provider import LocalProvider

__all__ = ["open", "SwitchConfig", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "SwitchConfig":
        from .local.config import SwitchConfig

        return SwitchConfig
    raise AttributeError(name)


def open(config: SwitchConfig | None = None, /, *, drivers: Sequence[Driver] | None = None,  # noqa: A001
         **overrides: Any) -> LocalProvider:
    """Open a switch: ``async with pycti.open(SwitchConfig(...)) as provider``.

    With no config, a simulated board with the defaults of :class:`pycti.SwitchConfig`;
    keyword ``overrides`` replace single fields (``pycti.open(trunks=4, stations=2)``).
    ``drivers`` puts those drivers in the switch instead of one sim board built from the
    config (their ports are named in order: trunks T00, T01 ..., stations from
    ``first_station_number``).
    Returns a :class:`pycti.provider.Provider` that is also an async context manager.
    """
    import dataclasses

    from .local.config import SwitchConfig
    from .local.provider import LocalProvider

    cfg = config if config is not None else SwitchConfig()
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    return LocalProvider(cfg, drivers)
