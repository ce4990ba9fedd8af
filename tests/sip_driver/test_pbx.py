"""pycti as a small PBX between two SIPp peers on 127.0.0.1: a SIP phone (8002) dials a
speed-dial code; the switch's dial plan sends the call out on the SIP trunk, which dials the
number at the carrier (SIPp's built-in UAS): 180, 200, ACK; when the phone hangs up, pycti
sends the carrier its BYE."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

import pycti
from pycti import SwitchConfig
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipPhoneConfig, SipTrunkConfig
from pycti.switch import events as ev
from pycti.switch.dialplan import DialPlan

from .sipp import SCENARIOS, SIPP, finish, run_sipp
from .test_inbound import free_udp_port, until

# CI installs sipp (.ci/run) and must run these; elsewhere a machine without it skips them
pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


async def test_phone_calls_out_through_the_trunk(tmp_path: Path) -> None:
    carrier_port = free_udp_port()
    carrier = await run_sipp(["-sn", "uas", "-i", "127.0.0.1", "-p", str(carrier_port),
                              "-mi", "127.0.0.1", "-mp", "0"], tmp_path)
    await asyncio.sleep(0.3)  # let SIPp bind
    sip = SipDriver(SipDriverConfig(
        listen_port=0, trunks=(SipTrunkConfig(name="carrier", host="127.0.0.1", port=carrier_port),),
        phones=(SipPhoneConfig(extension="8002", password="secret2"),), digest_algorithms=("MD5",), seed=31))
    plan = DialPlan.from_dict({"*1": {"trunk": "carrier", "number": "13800138000"}})
    cfg = SwitchConfig(trunks=0, stations=0, routes=(), dial_plan=plan, realtime=True)
    phone = None
    try:
        async with pycti.open(cfg, drivers=[sip]) as p:
            assert p.engine.port_of == {"carrier-1": 0, "8002": 1}
            trunk = p.monitor("carrier-1")
            phone = await run_sipp(["-sf", str(SCENARIOS / "phone_call.xml"), "-s", "*1",
                                    "-auth_uri", f"*1@127.0.0.1:{sip.sip_port}",
                                    "-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", "0",
                                    f"127.0.0.1:{sip.sip_port}"], tmp_path)
            established = await until(trunk, ev.Established)
            assert established.answering_device == "carrier-1"
            cleared = await until(trunk, ev.ConnectionCleared)
            assert cleared.releasing_device == "8002"
            code, out = await finish(carrier)  # it got our BYE and answered it
            assert code == 0, out
    finally:
        if phone is not None:
            code, out = await finish(phone)
            assert code == 0, out
        if carrier.returncode is None:
            carrier.kill()
            await finish(carrier)
