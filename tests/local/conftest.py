"""Helpers for end-to-end tests of the local switch on the simulated board."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

import pycti
from pycti.local.config import SwitchConfig
from pycti.local.provider import LocalProvider

#: Wall-clock guard for waits: virtual time runs far faster, so this is never the thing tested.
GUARD_S = 30.0


async def next_event(stream: Any, cls: type, pred: Any = None) -> Any:
    """Read ``stream`` until an event of type ``cls`` (and ``pred(ev)``) arrives."""

    async def _read() -> Any:
        async for ev in stream:
            if isinstance(ev, cls) and (pred is None or pred(ev)):
                return ev
        raise AssertionError(f"stream ended before a {cls.__name__}")

    return await asyncio.wait_for(_read(), GUARD_S)


async def ticks(provider: LocalProvider, n: int = 3) -> None:
    """Let ``n`` media ticks of switch time pass."""
    await provider.sleep(n * provider.config.tick_ms / 1000.0)


def spectrum_peak_hz(x: np.ndarray) -> float:
    """Frequency of the strongest bin of ``x`` (8 kHz)."""
    x = np.asarray(x, dtype=np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec[1:]) + 1) * 8000.0 / len(x)


@pytest.fixture
def small_config() -> SwitchConfig:
    return SwitchConfig(trunks=2, stations=5, routes=("IVR",), queues=("Q1",),
                        caller_id="fsk", pickup_groups={"8001": "g1", "8002": "g1", "8003": "g1"})


@pytest.fixture
async def provider(small_config: SwitchConfig) -> Any:
    async with pycti.open(small_config) as p:
        yield p
