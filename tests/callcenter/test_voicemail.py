"""Voicemail on the sim board: a caller's words end up in a WAV file of the right length in the
mailbox the call came from; '#' ends the message; retention deletes old messages."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import numpy as np

import pycti
from pycti.callcenter.voicemail import Voicemail, VoicemailStore
from pycti.demo.prompts import synthetic_prompt
from pycti.drivers.sim_ops import Hangup, Speech, WaitPrompt, dtmf_ops
from pycti.dsp.audiofile import read_audio
from pycti.local.config import SwitchConfig

from ..local.conftest import ticks
from .test_ivr_acd import _ring

CFG = SwitchConfig(trunks=2, stations=0, routes=("VM",))
NOON = dt.datetime(2026, 12, 4, 12, 0, 0)


async def _until(cond: object, p: pycti.LocalProvider, limit_ticks: int = 3000) -> None:
    for _ in range(limit_ticks // 10):
        if cond():  # type: ignore[operator]
            return
        await ticks(p, 10)
    raise AssertionError("condition not reached")


async def test_a_message_is_recorded_until_the_caller_hangs_up(tmp_path: Path) -> None:
    store = VoicemailStore(tmp_path / "vm")
    async with pycti.open(CFG) as p:
        vm = Voicemail(p, "VM", store, greeting=synthetic_prompt(syllables=3), clock=lambda: NOON)
        task = asyncio.ensure_future(vm.run())
        await asyncio.sleep(0)
        p.driver.board.script(0, [_ring("5550101"), WaitPrompt(quiet_ms=600, max_ms=15_000), Speech(ms=3000),
                                  Hangup(busy_tone=True, loop_drop=True)])
        await _until(lambda: vm.taken, p)
        task.cancel()
    (msg,) = store.messages()
    assert msg.caller == "5550101" and msg.mailbox == "VM" and not msg.heard
    assert 2.5 < msg.duration_s < 5.5, msg.duration_s  # the speech, and the hang-up's detection
    audio = read_audio(msg.path)
    assert np.sqrt(np.mean(audio.astype(float) ** 2)) > 100  # it holds the caller's voice
    store.mark_heard(msg.message_id)
    assert store.messages(unheard_only=True) == []


async def test_the_end_key_ends_the_message_and_clears_the_call(tmp_path: Path) -> None:
    store = VoicemailStore(tmp_path / "vm")
    async with pycti.open(CFG) as p:
        vm = Voicemail(p, "VM", store, clock=lambda: NOON)
        task = asyncio.ensure_future(vm.run())
        await asyncio.sleep(0)
        p.driver.board.script(0, [_ring("5550102"), WaitPrompt(quiet_ms=300, max_ms=10_000), Speech(ms=2000),
                                  *dtmf_ops("#"), Speech(ms=30_000)])
        await _until(lambda: vm.taken, p)
        await ticks(p, 20)
        assert not p.engine.core.calls()  # voicemail hung up
        task.cancel()
    (msg,) = store.messages()
    assert 1.5 < msg.duration_s < 3.5


async def test_max_length_and_a_caller_gone_during_the_greeting(tmp_path: Path) -> None:
    store = VoicemailStore(tmp_path / "vm")
    async with pycti.open(CFG) as p:
        vm = Voicemail(p, "VM", store, greeting=synthetic_prompt(syllables=8), max_message_s=2.0,
                       clock=lambda: NOON)
        task = asyncio.ensure_future(vm.run())
        await asyncio.sleep(0)
        board = p.driver.board
        board.script(0, [_ring("5550103"), WaitPrompt(quiet_ms=300, max_ms=15_000), Speech(ms=30_000)])
        board.script(1, [_ring("5550104"), Speech(ms=500), Hangup(busy_tone=True, loop_drop=True)])
        await _until(lambda: vm.taken, p)
        await ticks(p, 200)
        task.cancel()
    (msg,) = store.messages()
    assert msg.caller == "5550103" and 1.5 < msg.duration_s < 2.6
    assert not vm.errors


def test_retention_deletes_old_messages_and_their_files(tmp_path: Path) -> None:
    from pycti.dsp.audiofile import write_wav

    store = VoicemailStore(tmp_path / "vm")
    old_at, new_at = dt.datetime(2026, 10, 1, 9, 0), dt.datetime(2026, 12, 3, 9, 0)
    paths = []
    for at in (old_at, new_at):
        path = store.new_path("8001", f"C{at.month}", at)
        write_wav(path, np.zeros(800, np.int16))
        paths.append(path)
        store.add("8001", "555", at, path)
    assert store.purge(older_than_days=30, now=NOON) == 1
    assert [m.received_at for m in store.messages("8001")] == [new_at.isoformat(timespec="seconds")]
    assert not paths[0].exists() and paths[1].exists()
