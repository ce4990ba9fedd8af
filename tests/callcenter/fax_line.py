"""A fax machine plugged into a line of the simulated board (a test fixture, not a mock).

The board's scripts can only play prepared audio; a fax machine must react.  :class:`LineFax`
sits between the board and the switch's driver on one port: each 20 ms tick a real
:class:`~pycti.fax.terminal.FaxTerminal` hears what the switch sent down that line and its
answer replaces what the line sends up (the board's own script goes on underneath: ringing,
hook state).  The switch -- its tone detectors, bridges and taps -- sees nothing but line audio.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pycti.drivers.sim import SimDriver
from pycti.fax.terminal import FaxTerminal


class LineFax:
    """Fax machines on the lines of ``driver``'s board, by port."""

    def __init__(self, driver: SimDriver) -> None:
        self._lines = driver.lines
        self._board_exchange = driver.lines.exchange
        self._lines.exchange = self._exchange  # type: ignore[method-assign]
        self.machines: dict[int, FaxTerminal] = {}

    def plug(self, port: int, terminal: FaxTerminal) -> FaxTerminal:
        """Put ``terminal`` on ``port`` from the next tick on (it talks until done)."""
        self.machines[port] = terminal
        return terminal

    def _exchange(self, outbound: np.ndarray) -> Any:
        inbound = self._board_exchange(outbound)
        for port, machine in self.machines.items():
            if not machine.done:
                inbound[port] = machine.process(np.ascontiguousarray(outbound[port], dtype=np.int16))
        return inbound
