"""The flow runner on the simulated board: callers ring trunks and key DTMF as real audio,
virtual time; routing, retries, collection, opening hours, hooks, failures, hang-ups, call data."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import pycti
from pycti.callcenter.calldata import CallDataStore
from pycti.callcenter.calllog import CallLog
from pycti.callcenter.cdr import CdrStore
from pycti.callcenter.flow import load_flow
from pycti.callcenter.flow_runner import FlowRunner, HookRequest
from pycti.demo.prompts import synthetic_prompt
from pycti.drivers.sim_ops import CidMode, Hangup, Ring, Silence, Speech, WaitPrompt, dtmf_ops
from pycti.dsp.audiofile import write_wav
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from ..local.conftest import next_event

CFG = SwitchConfig(trunks=3, stations=2, routes=("IVR",), queues=("QA", "QB", "QC"))
PROMPTS = {"menu": synthetic_prompt(syllables=4), "sorry": synthetic_prompt(syllables=2, seed=5)}


def _ring(number: str, called: str | None = None) -> Ring:
    cid = fsk_callerid_signal(encode_mdmf(CallerId(number=number)))
    return Ring(on_ms=1000, off_ms=4000, max_ms=30_000, cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING,
                called=called)


def _flow(tmp_path: Path, text: str, name: str = "f.toml") -> Any:
    path = tmp_path / name
    path.write_text(text)
    return load_flow(path, prompts=PROMPTS)


async def _serve(p: Any, runner: FlowRunner) -> asyncio.Task[None]:
    task = asyncio.ensure_future(runner.run())
    await asyncio.sleep(0)
    return task


MENU = """
[flow]
start = "menu"
fallback = "b"

[nodes.menu]
kind = "menu"
prompt = "@menu"
invalid_prompt = "@sorry"
options = { "1" = "a", "2" = "b" }
timeout_s = 2.0
tries = 2
no_input = "b"
invalid = "c"
store = "choice"

[nodes.a]
kind = "transfer"
queue = "QA"

[nodes.b]
kind = "transfer"
queue = "QB"

[nodes.c]
kind = "transfer"
queue = "QC"
"""


async def test_menu_routes_by_dtmf_retries_on_no_input_and_invalid(tmp_path: Path) -> None:
    flow = _flow(tmp_path, MENU)
    async with pycti.open(CFG) as p:
        runner = FlowRunner(p, {"IVR": flow})
        task = await _serve(p, runner)
        qa, qb, qc = p.monitor("QA"), p.monitor("QB"), p.monitor("QC")
        b = p.driver.board
        b.script(0, [_ring("111"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("1"), Speech(ms=20_000)])
        b.script(1, [_ring("222"), Speech(ms=30_000)])  # never keys
        b.script(2, [_ring("333"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("7"),
                     WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("9"), Speech(ms=30_000)])
        q1 = await next_event(qa, ev.Queued)
        q2 = await next_event(qb, ev.Queued)
        q3 = await next_event(qc, ev.Queued)
        assert (q1.calling_device, q2.calling_device, q3.calling_device) == ("111", "222", "333")
        assert q2.time - q1.time > 2 * 2.0  # two prompts and two 2 s timeouts before no_input
        d1, d3 = runner.calldata.get(q1.queued_connection.call_id), runner.calldata.get(q3.queued_connection.call_id)
        assert d1 is not None and d1.variables["choice"] == "1" and d1.digits == "1" and d1.caller == "111"
        assert d3 is not None and d3.digits == "7 9" and "choice" not in d3.variables
        assert d1.variables["transferred_to"] == "QA" and d1.path == ("menu", "a")
        assert runner.failures == [] and runner.active_calls == 0
        task.cancel()


COLLECT = """
[flow]
start = "account"
fallback = "b"

[nodes.account]
kind = "collect"
prompt = "@menu"
store = "account"
min_digits = 4
max_digits = 8
terminator = "#"
pattern = "[0-9]+"
inter_digit_timeout_s = 3.0
next = "check"
invalid = "b"

[nodes.check]
kind = "condition"
default = "b"
[[nodes.check.when]]
var = "account"
prefix = "47"
goto = "a"

[nodes.a]
kind = "transfer"
queue = "QA"

[nodes.b]
kind = "transfer"
queue = "QB"
"""


async def test_collect_with_terminator_then_condition_on_the_digits(tmp_path: Path) -> None:
    flow = _flow(tmp_path, COLLECT)
    async with pycti.open(CFG) as p:
        store = CdrStore(str(tmp_path / "cdr.db"), run="flow test")
        calllog = CallLog(p, ["T00", "T01"], store)
        runner = FlowRunner(p, {"IVR": flow}, calllog=calllog)
        tasks = [await _serve(p, runner), asyncio.ensure_future(calllog.run())]
        qa, qb = p.monitor("QA"), p.monitor("QB")
        b = p.driver.board
        b.script(0, [_ring("111"), Silence(ms=7000), *dtmf_ops("4711#"), Speech(ms=3000),
                     Hangup(busy_tone=True, loop_drop=False)])
        b.script(1, [_ring("222"), Silence(ms=7000), *dtmf_ops("12"), Speech(ms=20_000)])  # too short, no #
        q1 = await next_event(qa, ev.Queued)
        data = runner.calldata.get(q1.queued_connection.call_id)
        assert data is not None and data.variables["account"] == "4711" and data.digits == "4711#"
        q2 = await next_event(qb, ev.Queued)
        assert q2.calling_device == "222"
        data2 = runner.calldata.get(q2.queued_connection.call_id)
        assert data2 is not None and "account" not in data2.variables and data2.digits.startswith("12")
        await next_event(qa, ev.ConnectionCleared)
        await p.sleep(1.0)
        rows = [r for r in store.records() if r.caller_number == "111"]
        assert [r.choice for r in rows] == ["4711#"]  # the keyed digits reach the CDR
        for t in tasks:
            t.cancel()
        store.close()


HOURS = """
[flow]
start = "hours"
timezone = "Europe/Paris"

[nodes.hours]
kind = "condition"
default = "closed"
[[nodes.hours.when]]
hours = ["08:00-12:00", "13:00-18:00"]
days = "mon-fri"
goto = "open"

[nodes.open]
kind = "transfer"
queue = "QA"

[nodes.closed]
kind = "transfer"
voicemail = "QC"
"""


async def test_opening_hours_with_an_injected_clock(tmp_path: Path) -> None:
    flow = _flow(tmp_path, HOURS)
    # Tuesday 2026-12-01 09:30 UTC is 10:30 in Paris (open); 11:30 UTC is 12:30 (lunch, closed)
    now = [datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)]
    async with pycti.open(CFG) as p:
        runner = FlowRunner(p, {"IVR": flow}, clock=lambda: now[0])
        task = await _serve(p, runner)
        qa, qc = p.monitor("QA"), p.monitor("QC")
        b = p.driver.board
        b.script(0, [_ring("111"), Speech(ms=20_000)])
        assert (await next_event(qa, ev.Queued)).calling_device == "111"
        now[0] = datetime(2026, 12, 1, 11, 30, tzinfo=timezone.utc)
        b.script(1, [_ring("222"), Speech(ms=20_000)])
        assert (await next_event(qc, ev.Queued)).calling_device == "222"
        now[0] = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)  # a Sunday
        b.script(2, [_ring("333"), Speech(ms=20_000)])
        assert (await next_event(qc, ev.Queued)).calling_device == "333"
        task.cancel()


HOOKS = """
[flow]
start = "lookup"
fallback = "sorry"

[nodes.lookup]
kind = "hook"
hook = "crm"
args = { number = "${caller}" }
timeout_s = 2.0
next = "route"

[nodes.route]
kind = "transfer"
queue = "${queue}"

[nodes.sorry]
kind = "play"
prompt = "@sorry"
next = "c"

[nodes.c]
kind = "transfer"
queue = "QC"
"""


async def test_hook_result_routes_the_call_and_a_failing_or_slow_hook_goes_to_fallback(tmp_path: Path) -> None:
    flow = _flow(tmp_path, HOOKS)
    async with pycti.open(CFG) as p:
        asked: list[HookRequest] = []

        async def crm(request: HookRequest) -> dict[str, str]:
            asked.append(request)
            if request.args["number"] == "222":
                raise ConnectionError("CRM database down")
            if request.args["number"] == "333":
                await p.sleep(10.0)  # longer than the node's 2 s timeout
            return {"queue": "QA", "vip": "yes"}

        runner = FlowRunner(p, {"IVR": flow}, hooks={"crm": crm})
        task = await _serve(p, runner)
        qa, qc = p.monitor("QA"), p.monitor("QC")
        b = p.driver.board
        for port, number in enumerate(("111", "222", "333")):
            b.script(port, [_ring(number), Speech(ms=30_000)])
        q1 = await next_event(qa, ev.Queued)
        qs = [await next_event(qc, ev.Queued), await next_event(qc, ev.Queued)]
        assert q1.calling_device == "111" and sorted(q.calling_device for q in qs) == ["222", "333"]
        data = runner.calldata.get(q1.queued_connection.call_id)
        assert data is not None and data.variables["vip"] == "yes"
        assert sorted(r.args["number"] for r in asked) == ["111", "222", "333"]
        by_caller = {f.call_id: f for f in runner.failures}
        assert len(runner.failures) == 2 and all(f.node == "lookup" and not f.gave_up for f in runner.failures)
        errors = sorted((f.error, f.detail) for f in by_caller.values())
        assert errors[0] == ("ConnectionError", "CRM database down")
        assert errors[1][0] == "FlowRuntimeError" and "did not answer within 2 s" in errors[1][1]
        task.cancel()


BAD_AUDIO = """
[flow]
start = "greet"
fallback = "c"

[nodes.greet]
kind = "play"
prompt_var = "wav"
next = "a"

[nodes.a]
kind = "transfer"
queue = "QA"

[nodes.c]
kind = "transfer"
queue = "QC"
"""


async def test_a_prompt_that_fails_at_call_time_sends_the_caller_to_fallback(tmp_path: Path) -> None:
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunk")
    write_wav(tmp_path / "good.wav", synthetic_prompt(syllables=2))
    flow = _flow(tmp_path, BAD_AUDIO.replace('start = "greet"', 'start = "tts"') + """
[nodes.tts]
kind = "hook"
hook = "tts"
next = "greet"
""")
    async with pycti.open(CFG) as p:
        async def tts(request: HookRequest) -> dict[str, str]:  # a speech synthesiser writing files
            name = "good.wav" if request.caller == "111" else "broken.wav"
            return {"wav": str(tmp_path / name)}

        runner = FlowRunner(p, {"IVR": flow}, hooks={"tts": tts})
        task = await _serve(p, runner)
        qa, qc = p.monitor("QA"), p.monitor("QC")
        p.driver.board.script(0, [_ring("222"), Speech(ms=30_000)])
        p.driver.board.script(1, [_ring("111"), Speech(ms=30_000)])
        assert (await next_event(qc, ev.Queued)).calling_device == "222"
        assert (await next_event(qa, ev.Queued)).calling_device == "111"  # the runner lives on
        [failure] = runner.failures
        assert failure.node == "greet" and failure.error == "AudioFormatError" and "broken.wav" in failure.detail
        task.cancel()


async def test_caller_hanging_up_mid_flow_ends_quietly(tmp_path: Path) -> None:
    flow = _flow(tmp_path, COLLECT)
    async with pycti.open(CFG) as p:
        runner = FlowRunner(p, {"IVR": flow})
        task = await _serve(p, runner)
        ivr = p.monitor("IVR")
        b = p.driver.board
        b.script(0, [_ring("111"), Silence(ms=1500), Hangup(busy_tone=True, loop_drop=False)])  # during the prompt
        b.script(1, [_ring("222"), Silence(ms=7000), *dtmf_ops("47"), Hangup(busy_tone=True, loop_drop=False)])
        for _ in range(2):
            await next_event(ivr, ev.CallCleared)
        await p.sleep(5.0)
        assert runner.failures == [] and runner.active_calls == 0
        qa = p.monitor("QA")
        b.script(2, [_ring("333"), Silence(ms=7000), *dtmf_ops("4700#"), Speech(ms=10_000)])
        assert (await next_event(qa, ev.Queued)).calling_device == "333"
        task.cancel()


AGENT = """
[flow]
start = "pin"

[nodes.pin]
kind = "collect"
prompt = "@menu"
store = "pin"
min_digits = 4
max_digits = 4
terminator = ""
private = true
next = "agent"

[nodes.agent]
kind = "transfer"
agent = "8001"
"""


async def test_call_data_follows_the_call_through_transfer_and_a_conference_that_changes_its_id(
        tmp_path: Path) -> None:
    flow = _flow(tmp_path, AGENT)
    async with pycti.open(CFG) as p:
        shared = CallDataStore()
        runner = FlowRunner(p, {"IVR": flow}, calldata=shared)
        tasks = [await _serve(p, runner), asyncio.ensure_future(shared.follow(p, ["T00"]))]
        m1, m2 = p.monitor("8001"), p.monitor("8002")
        p.driver.board.script(0, [_ring("111", called="5551000"), Silence(ms=7000), *dtmf_ops("1234"),
                                  Speech(ms=60_000)])
        d = await next_event(m1, ev.Delivered)
        data = shared.get(d.connection.call_id)  # what an agent desktop reads as the phone rings
        assert data is not None and data.variables["pin"] == "1234" and data.digits == "****"
        assert data.dnis == "5551000" and data.caller == "111" and data.caller_device == "T00"
        await p.answer_call(d.connection)
        first = d.connection
        consult = await p.consultation_call(first, "8002")
        d2 = await next_event(m2, ev.Delivered)
        await p.answer_call(d2.connection)
        await next_event(m1, ev.Established, lambda e: e.established_connection == d2.connection)
        await p.alternate_call(first, consult)  # the caller active again, the consultation held
        await p.conference_call(consult, first)  # merged into the consultation's call
        conf = await next_event(m2, ev.Conferenced)
        new_id = conf.primary_old_call.call_id
        assert new_id != first.call_id
        await p.sleep(0.1)
        moved = shared.get(new_id)
        assert moved is not None and moved.variables["pin"] == "1234" and moved.call_id == new_id
        assert moved.call_ids == (first.call_id, new_id) and shared.get(first.call_id) == moved
        for t in tasks:
            t.cancel()


FIRST = """
[flow]
start = "lang"

[nodes.lang]
kind = "menu"
prompt = "@menu"
options = { "1" = "on", "2" = "on" }
store = "language"
no_input = "on"

[nodes.on]
kind = "transfer"
flow = "IVR2"
"""

SECOND = """
[flow]
start = "pick"

[nodes.pick]
kind = "condition"
default = "b"
[[nodes.pick.when]]
var = "language"
equals = "2"
goto = "a"

[nodes.a]
kind = "transfer"
queue = "QA"

[nodes.b]
kind = "transfer"
queue = "QB"
"""


async def test_transfer_to_another_flow_keeps_the_variables(tmp_path: Path) -> None:
    first, second = _flow(tmp_path, FIRST, "first.toml"), _flow(tmp_path, SECOND, "second.toml")
    cfg = SwitchConfig(trunks=1, stations=0, routes=("IVR", "IVR2"), queues=("QA", "QB"))
    async with pycti.open(cfg) as p:
        runner = FlowRunner(p, {"IVR": first, "IVR2": second})
        task = await _serve(p, runner)
        qa = p.monitor("QA")
        p.driver.board.script(0, [_ring("111"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("2"),
                                  Speech(ms=20_000)])
        q = await next_event(qa, ev.Queued)
        data = runner.calldata.get(q.queued_connection.call_id)
        assert data is not None and data.variables["language"] == "2"
        assert data.path == ("lang", "on", "pick", "a") and runner.failures == []
        task.cancel()


LOOP = """
[flow]
start = "a"
fallback = "out"

[nodes.a]
kind = "condition"
default = "b"

[[nodes.a.when]]
var = "caller"
empty = false
goto = "b"

[nodes.b]
kind = "condition"
default = "a"

[[nodes.b.when]]
var = "nothing"
equals = "x"
goto = "a"

[nodes.out]
kind = "transfer"
queue = "QB"
"""


async def test_a_flow_that_loops_without_waiting_is_stopped_and_the_caller_goes_to_fallback(tmp_path: Path) -> None:
    flow = _flow(tmp_path, LOOP)
    async with pycti.open(CFG) as p:
        runner = FlowRunner(p, {"IVR": flow}, max_steps=50)
        task = await _serve(p, runner)
        qb = p.monitor("QB")
        p.driver.board.script(0, [_ring("111"), Speech(ms=20_000)])
        assert (await next_event(qb, ev.Queued)).calling_device == "111"
        [failure] = runner.failures
        assert failure.error == "FlowRuntimeError" and "more than 50 nodes" in failure.detail
        task.cancel()


async def test_a_hook_error_goes_to_the_nodes_error_target_and_is_recorded(tmp_path: Path) -> None:
    flow = _flow(tmp_path, HOOKS.replace('next = "route"', 'next = "route"\nerror = "b"')
                 + '\n[nodes.b]\nkind = "transfer"\nqueue = "QB"\n')
    async with pycti.open(CFG) as p:
        async def crm(request: HookRequest) -> Any:
            return {"queue": 42}  # not a string: refused

        runner = FlowRunner(p, {"IVR": flow}, hooks={"crm": crm})
        task = await _serve(p, runner)
        qb = p.monitor("QB")
        p.driver.board.script(0, [_ring("111"), Speech(ms=20_000)])
        q = await next_event(qb, ev.Queued)
        [failure] = runner.failures
        assert failure.node == "lookup" and not failure.gave_up and "'queue': 42" in failure.detail
        data = runner.calldata.get(q.queued_connection.call_id)
        assert data is not None and "queue" not in data.variables and data.path == ("lookup", "b")
        task.cancel()


async def test_the_example_flow_end_to_end(tmp_path: Path) -> None:
    flow = load_flow(Path(__file__).resolve().parents[2] / "examples" / "flows" / "support.toml")
    cfg = SwitchConfig(trunks=2, stations=0, routes=("IVR", "VM"), queues=("Q-SALES", "Q-SUPPORT", "Q-GOLD"))
    async with pycti.open(cfg) as p:
        async def crm_lookup(request: HookRequest) -> dict[str, str]:
            return {"tier": "gold" if request.args["account"] == "123456" else "basic"}

        saturday_night = datetime(2026, 12, 5, 22, 0, tzinfo=timezone.utc)
        runner = FlowRunner(p, {"IVR": flow}, hooks={"crm_lookup": crm_lookup}, clock=lambda: saturday_night)
        task = await _serve(p, runner)
        gold, vm = p.monitor("Q-GOLD"), p.monitor("VM")
        b = p.driver.board
        # the partners' number skips the hours check: menu, 2, the account number, #
        b.script(0, [_ring("111", called="5551999"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("2"),
                     WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("123456#"), Speech(ms=20_000)])
        q = await next_event(gold, ev.Queued)
        data = runner.calldata.get(q.queued_connection.call_id)
        assert data is not None and data.path == ("menu", "account", "lookup", "tier", "gold")
        assert data.variables["account"] == "123456" and data.dnis == "5551999"
        b.script(1, [_ring("222"), Speech(ms=20_000)])  # the main number, closed on Saturday night
        d = await next_event(vm, ev.Delivered)
        assert d.calling_device == "222" and runner.failures == []
        task.cancel()


@pytest.mark.parametrize("barge_in", [True, False])
async def test_a_key_cuts_the_menu_prompt_short_only_with_barge_in(tmp_path: Path, barge_in: bool) -> None:
    long_prompt = {"long": synthetic_prompt(syllables=40)}  # 10 s
    path = tmp_path / "f.toml"
    path.write_text(f'[flow]\nstart = "m"\n[nodes.m]\nkind = "menu"\nprompt = "@long"\nbarge_in = {str(barge_in).lower()}\n'
                    'options = { "1" = "a" }\nno_input = "a"\n[nodes.a]\nkind = "transfer"\nqueue = "QA"\n')
    flow = load_flow(path, prompts=long_prompt)
    async with pycti.open(CFG) as p:
        runner = FlowRunner(p, {"IVR": flow})
        task = await _serve(p, runner)
        ivr, qa = p.monitor("IVR"), p.monitor("QA")
        p.driver.board.script(0, [_ring("111"), Silence(ms=1000), *dtmf_ops("1"), Speech(ms=30_000)])
        answered = await next_event(ivr, ev.Established)
        queued = await next_event(qa, ev.Queued)
        waited_s = queued.time - answered.time
        assert (waited_s < 3.0) if barge_in else (10.0 <= waited_s < 11.0)
        data = runner.calldata.get(queued.queued_connection.call_id)
        assert data is not None and data.digits == "1"
        task.cancel()
