"""`pycti serve`: a caller through the IVR and the ACD to an agent lands in the CDR with every
field; stopping clears the calls still up and writes their records; SIGTERM ends the process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pycti.callcenter.cdr import CdrStore
from pycti.center.config import load_center
from pycti.center.run import ServeOutcome, serve
from pycti.drivers.sim_ops import Hangup, Silence, Speech, WaitPrompt, dtmf_ops
from pycti.local.provider import LocalProvider
from pycti.switch.agent_states import RequestedAgentState

from ..callcenter.test_ivr_acd import _ring
from .test_config import GOOD, _write


async def test_a_call_through_ivr_and_acd_is_recorded_whole(tmp_path: Path) -> None:
    center = load_center(_write(tmp_path, GOOD))
    stop = asyncio.Event()

    async def callers(p: LocalProvider) -> None:
        board = p.driver.board
        # caller 1 keys 2 (support; agent 1003 answers by itself) and hangs up after talking
        board.script(0, [_ring("5550001"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("2"),
                         Speech(ms=6000), Hangup(busy_tone=True, loop_drop=True)])
        # caller 2 keys 1 (sales: nobody answers the phones there) and is still waiting at stop
        board.script(1, [_ring("5550002"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("1"),
                         Speech(ms=600_000)])

        async def later() -> None:
            await p.sleep(60.0)
            stop.set()

        asyncio.ensure_future(later())

    out = await serve(center, stop=stop, realtime=False, on_ready=callers, outcome=ServeOutcome())
    assert out.records == 2 and out.cleared_at_stop >= 1
    with CdrStore(center.cdr_path) as store:
        rows = {r.caller_number: r for r in store.records(run_id=out.run_id)}
        runs = store.runs()
    first, second = rows["5550001"], rows["5550002"]
    assert (first.choice, first.queue, first.agent, first.outcome) == ("2", "SUPPORT", "1003", "answered")
    assert first.arrived_s < first.enqueued_s < first.answered_s < first.ended_s  # type: ignore[operator]
    assert first.ended_s - first.answered_s > 4.0  # type: ignore[operator]
    assert (second.choice, second.queue, second.outcome) == ("1", "SALES", "abandoned")
    assert second.ended_s >= 59.0  # cleared when the center stopped
    assert runs[-1].status == "stopped"


async def test_an_overflow_to_voicemail_leaves_a_message(tmp_path: Path) -> None:
    from pycti.callcenter.voicemail import VoicemailStore

    text = GOOD.replace("max_wait_s = 600", "max_wait_s = 3")
    center = load_center(_write(tmp_path, text))
    stop = asyncio.Event()

    async def caller(p: LocalProvider) -> None:
        # keys 2 (support): the support agents log off first, so the call waits, overflows
        # after 3 s to voicemail, and the caller speaks after the beep
        for station in ("8001", "8003"):
            await p.set_agent_state(station, RequestedAgentState.LOGGED_OFF)
        p.driver.board.script(0, [_ring("5550009"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("2"),
                                  Silence(ms=7000), Speech(ms=2500),
                                  Hangup(busy_tone=True, loop_drop=True)])

        async def later() -> None:
            await p.sleep(60.0)
            stop.set()

        asyncio.ensure_future(later())

    await serve(center, stop=stop, realtime=False, on_ready=caller)
    store = VoicemailStore(tmp_path / "voicemail")
    (msg,) = store.messages()
    assert msg.caller == "5550009" and msg.mailbox == "SUPPORT" and msg.duration_s > 1.5


def test_sigterm_stops_the_process_cleanly(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    proc = subprocess.Popen([sys.executable, "-m", "pycti.cli.main", "serve", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        line = ""
        while time.monotonic() < deadline and "running" not in line:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
        assert "running" in line, line
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out and (tmp_path / "center.db").exists()


async def test_the_example_with_simulated_callers_takes_calls(tmp_path: Path) -> None:
    """The shipped example as it is ([sim] callers_per_min = 3): in 10 minutes of virtual
    time simulated callers ring in, key their choice, and the simulated agents answer."""
    from .test_config import EXAMPLE

    center = load_center(_write(tmp_path, EXAMPLE.read_text(encoding="utf-8").replace("callers_per_min = 3",
                                                                                    "callers_per_min = 6")))
    stop = asyncio.Event()

    async def ten_minutes(p: LocalProvider) -> None:
        async def later() -> None:
            await p.sleep(600.0)
            stop.set()
        asyncio.ensure_future(later())

    out = await serve(center, stop=stop, realtime=False, on_ready=ten_minutes)
    with CdrStore(center.cdr_path) as store:
        rows = list(store.records(run_id=out.run_id))
    assert len(rows) >= 30 and out.records == len(rows)  # ~60 offered in 10 min at 6/min
    answered = [r for r in rows if r.outcome == "answered"]
    assert len(answered) >= len(rows) // 2, [(r.outcome, r.queue, r.choice) for r in rows]
    assert {r.queue for r in answered} <= {"SALES", "SUPPORT"} and {r.agent for r in answered} <= {"1001", "1002", "1003"}
    assert all(r.caller_number and r.caller_number.startswith("1") for r in rows)  # FSK caller ID arrived
    assert not out.problems, out.problems
