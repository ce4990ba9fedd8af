"""Single-step transfer of a SIP trunk caller to an external number, carried out by the
carrier with REFER (RFC 3515; RFC 5589 §6 blind transfer) when its Allow lists REFER, with
SIPp as the carrier on 127.0.0.1; a REFER whose new call fails leaves the caller with pycti,
which calls the number out on another trunk and bridges the two; a carrier that does not
allow REFER never gets one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pycti
from pycti import SwitchConfig
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig
from pycti.switch import events as ev

from .sipp import SCENARIOS, SIPP, digits_stream, finish, run_sipp, write_pcap
from .test_inbound import until
from .test_outbound import carrier

pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")

TARGET = "013800138000"


def _caller(scenario: str, sip: SipDriver) -> list[str]:
    return ["-sf", str(SCENARIOS / scenario), "-s", "8888", "-i", "127.0.0.1", "-p", "0",
            "-mi", "127.0.0.1", "-mp", "0", f"127.0.0.1:{sip.sip_port}"]


def _inbound(channels: int, *extra: SipTrunkConfig, refer: bool = True) -> SipDriver:
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", port=5060, ip_auth=("127.0.0.1",),
                           channels=channels, refer=refer)
    return SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(trunk, *extra), seed=11))


async def _answer_and_transfer(p: pycti.LocalProvider, stays: str) -> ev.Transferred:
    """The IVR answers the carrier's call and transfers it to TARGET; ``stays``: the device
    whose connection the service returns (the caller's trunk when the carrier takes the call,
    the outbound trunk when pycti calls the number itself)."""
    ivr = p.monitor("IVR")
    delivered = await until(ivr, ev.Delivered)
    await p.answer_call(delivered.connection)
    await until(ivr, ev.Established)
    kept = await p.single_step_transfer_call(delivered.connection, TARGET)
    assert kept.device_id == stays
    transferred: ev.Transferred = await until(ivr, ev.Transferred)
    return transferred


async def test_the_carrier_takes_the_caller_by_refer_and_the_channel_is_freed(tmp_path: Path) -> None:
    sip = _inbound(2)
    async with pycti.open(SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True), drivers=[sip]) as p:
        proc = await run_sipp(_caller("uac_refer.xml", sip), tmp_path)
        try:
            tr = await _answer_and_transfer(p, "carrier-1")
            assert tr.transferring_device == "IVR" and tr.transferred_to_device == TARGET
            code, out = await finish(proc)  # saw REFER to the number, sent 202 + NOTIFY 200, got BYE
            assert code == 0, out
            for _ in range(100):
                if not await p.snapshot_device("carrier-1"):
                    break
                await p.sleep(0.02)
            assert await p.snapshot_device("carrier-1") == []  # the channel is free again
            assert sip.rtp_stats() is not None and not sip.errors
        finally:
            if proc.returncode is None:
                proc.kill()


async def test_a_failed_refer_leaves_the_caller_with_pycti_which_calls_the_number_itself(tmp_path: Path) -> None:
    target_proc, target_port = await carrier(tmp_path, "uas_answer_transfer.xml")
    out_trunk = SipTrunkConfig(name="out", host="127.0.0.1", port=target_port)
    sip = _inbound(1, out_trunk)  # one carrier channel: the fallback leaves on "out"
    async with pycti.open(SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True), drivers=[sip]) as p:
        trunk = p.monitor("carrier-1")
        proc = await run_sipp(_caller("uac_refer_fails.xml", sip), tmp_path)
        try:
            await _answer_and_transfer(p, "carrier-1")
            # the carrier's NOTIFY said 486: pycti dials the number on "out" and bridges
            assert (await until(trunk, ev.Established)).answering_device == "IVR"
            established = await until(trunk, ev.Established, 10)
            assert established.answering_device == "out-1"
            cleared = await until(trunk, ev.ConnectionCleared, 10)  # the caller hangs up later
            assert cleared.releasing_device == "carrier-1"
            code, out = await finish(proc)
            assert code == 0, out
            code, out = await finish(target_proc)
            assert code == 0, out  # the target was INVITEd for the number, answered, got BYE
        finally:
            for pr in (proc, target_proc):
                if pr.returncode is None:
                    pr.kill()


async def test_no_refer_to_a_carrier_that_does_not_allow_it(tmp_path: Path) -> None:
    """refer=False on the trunk: the switch calls the number out itself at once."""
    target_proc, target_port = await carrier(tmp_path, "uas_answer_transfer.xml")
    sip = _inbound(1, SipTrunkConfig(name="out", host="127.0.0.1", port=target_port), refer=False)
    async with pycti.open(SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True), drivers=[sip]) as p:
        trunk = p.monitor("carrier-1")
        write_pcap(tmp_path / "digits.pcap", digits_stream("1"))
        proc = await run_sipp(_caller("uac_digits.xml", sip), tmp_path)  # no REFER in Allow; BYE after ~2.5 s
        try:
            await _answer_and_transfer(p, "out-1")
            assert (await until(trunk, ev.Established)).answering_device == "IVR"
            established = await until(trunk, ev.Established, 10)
            assert established.answering_device == "out-1"
            await until(trunk, ev.ConnectionCleared, 10)
            code, out = await finish(target_proc)
            assert code == 0, out
        finally:
            await finish(proc)
            for pr in (proc, target_proc):
                if pr.returncode is None:
                    pr.kill()
