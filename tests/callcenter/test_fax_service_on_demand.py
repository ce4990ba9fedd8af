"""The fax-on-demand example: a caller keys 2 in the IVR flow (examples/flows/fax_on_demand.toml)
and the flow's hook faxes the timetable back on the same call with FaxService; the caller's
end is a receiving fax terminal on the trunk line, and what it receives is the document."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from pycti.callcenter.flow_load import check
from pycti.fax.terminal_events import CallEnded, Negotiated, PageSent

EXAMPLE = Path(__file__).parents[2] / "examples" / "fax_on_demand.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fax_on_demand_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


async def test_the_chosen_document_comes_back_on_the_same_call(tmp_path: Path) -> None:
    example = _example()
    outcome = await example.fax_on_demand(tmp_path)
    assert outcome.sent.ok and outcome.sent.pages == 1 and outcome.sent.remote_id == "+1 555 0199"
    assert [type(e) for e in outcome.progress] == [Negotiated, PageSent, CallEnded]
    machine = outcome.caller_machine
    assert machine.result is not None and machine.result.ok and machine.result.remote_id == "+1 555 0100"
    got = machine.received_pages
    assert len(got) == 1 and got[0].complete and got[0].bad_lines == 0
    assert np.array_equal(got[0].page.image, outcome.document[0].image)  # the timetable...
    assert not np.array_equal(got[0].page.image[:64], example.sample_page(1).image)  # ...not the prices
    assert outcome.flow_variables["document"] == "2"
    assert (outcome.flow_variables["fax_result"], outcome.flow_variables["fax_pages"]) == ("OK", "1")


def test_the_flow_checks_clean_and_the_example_runs() -> None:
    assert check(EXAMPLE.parent / "flows" / "fax_on_demand.toml") == []
    run = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "caller's machine got 1 page(s), identical: True" in run.stdout
