"""Fax on demand on the simulated board: a caller rings the IVR, keys 2 for the timetable,
and the IVR faxes that document back on the same call (examples/flows/fax_on_demand.toml).

The caller's end is a real fax machine: a pycti FaxTerminal (answering, i.e. receiving) put on
the caller's line of the board once the caller has keyed the digit (the script's Mark), as a
person presses Start.  The IVR's hook sends with FaxService over run_tap.  At the end the pages
the caller's machine received are compared with the document, pixel for pixel.

Run: python examples/fax_on_demand.py
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import pycti
from pycti.callcenter.fax import FaxService
from pycti.callcenter.flow_load import load
from pycti.callcenter.flow_runner import FlowRunner, HookRequest
from pycti.drivers.sim import SimDriver
from pycti.drivers.sim_ops import Mark, Ring, WaitNudge, WaitPrompt, dtmf_ops
from pycti.fax.document import FaxPage, write_tiff
from pycti.fax.t30_dis import Modem
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import FaxEvent, FaxOptions, FaxResult
from pycti.switch import events
from pycti.switch.ids import ConnectionID

FLOW = Path(__file__).parent / "flows" / "fax_on_demand.toml"
START_PRESSED = 7  # the Mark id the caller's script emits when they press Start
OPTIONS = FaxOptions(modems=frozenset({Modem.V29}), ecm=False, codings=frozenset({Coding.MH}),
                     local_id="+1 555 0100")


def sample_page(seed: int, rows: int = 64) -> FaxPage:
    """A text-like page: rows of black runs (the "document"), 1728 pixels wide."""
    rng = np.random.default_rng(seed)
    image = np.zeros((rows, 1728), dtype=np.uint8)
    for row in range(4, rows - 4, 12):
        for start in rng.integers(40, 1600, size=12):
            image[row:row + 7, start:start + int(rng.integers(8, 80))] = 1
    return FaxPage(image, Resolution.FINE)


class CallerFaxMachine:
    """A fax machine on one line of the board: after the script's Mark it hears what the
    switch sends down the line and its answer replaces what the line sends up."""

    def __init__(self, driver: SimDriver, port: int) -> None:
        self.port, self.terminal = port, FaxTerminal("answering", FaxOptions(local_id="+1 555 0199"))
        self._driver, self._on = driver, False
        self._board_exchange = driver.lines.exchange
        driver.lines.exchange = self._exchange  # type: ignore[method-assign]

    def _exchange(self, outbound: np.ndarray) -> Any:
        inbound = self._board_exchange(outbound)
        marks = self._driver.script_events
        self._on = self._on or any(e.port == self.port and e.type.name == "MARK" and e.arg == START_PRESSED
                                   for e in marks)
        if self._on and not self.terminal.done:
            inbound[self.port] = self.terminal.process(np.ascontiguousarray(outbound[self.port]))
        return inbound


@dataclass(frozen=True)
class Outcome:
    """What happened: the sender's result and progress, the caller's machine, the document."""

    sent: FaxResult
    progress: tuple[FaxEvent, ...]
    caller_machine: FaxTerminal
    document: tuple[FaxPage, ...]
    flow_variables: dict[str, str]


async def fax_on_demand(folder: Path) -> Outcome:
    """Run one fax-on-demand call and return what happened."""
    catalogue = {"1": folder / "prices.tif", "2": folder / "timetable.tif"}
    documents = {"1": [sample_page(1)], "2": [sample_page(2)]}
    for key, path in catalogue.items():
        write_tiff(path, documents[key])
    config = pycti.SwitchConfig(trunks=1, stations=0, routes=("IVR",))
    driver = SimDriver(1, 0, seed=config.seed)
    machine = CallerFaxMachine(driver, port=0)
    progress: list[FaxEvent] = []
    results: list[FaxResult] = []
    async with pycti.open(config, drivers=[driver]) as provider:
        faxes = FaxService(provider)

        async def send_fax(request: HookRequest) -> dict[str, str]:
            connection = ConnectionID(request.call_id, request.variables["route"])
            result = await faxes.send(connection, catalogue[request.args["choice"]], OPTIONS,
                                      on_event=progress.append)
            results.append(result)
            return {"fax_result": result.code, "fax_pages": str(result.pages)}

        runner = FlowRunner(provider, {"IVR": load(FLOW)}, hooks={"send_fax": send_fax})
        serving = asyncio.ensure_future(runner.run())
        driver.board.script(0, [Ring(on_ms=1000, off_ms=4000), WaitPrompt(quiet_ms=400, max_ms=15_000),
                                *dtmf_ops("2"), Mark(mark_id=START_PRESSED), WaitNudge(max_ms=120_000)])
        async with provider.monitor("IVR") as stream:
            async for event in stream:
                if isinstance(event, events.CallCleared):  # the flow hung up after the fax
                    break
        serving.cancel()
        variables = dict(runner.calldata.get(event.cleared_call).variables)  # type: ignore[union-attr]
    return Outcome(sent=results[0], progress=tuple(progress), caller_machine=machine.terminal,
                   document=tuple(documents["2"]), flow_variables=variables)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        outcome = await fax_on_demand(Path(folder))
    for event in outcome.progress:
        print(type(event).__name__, event)
    got = outcome.caller_machine.received_pages
    same = len(got) == len(outcome.document) and all(
        np.array_equal(g.page.image, d.image) for g, d in zip(got, outcome.document))
    print(f"sent: {outcome.sent.summary()}; caller's machine got {len(got)} page(s), identical: {same}")
    assert outcome.sent.ok and same


if __name__ == "__main__":
    asyncio.run(main())
