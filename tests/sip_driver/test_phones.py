"""SIP phones as stations, through pycti.open, with two SIPp phones on 127.0.0.1: 8001
registers (401 unauthenticated, 403 with a bad password, 200 with the right one) and waits;
8002 calls 8001 (its INVITE challenged, then authenticated): Seized + the dialled number route
the call, pycti rings 8001 at its registered contact, 8001 answers, 8002 hangs up and pycti
sends 8001 its BYE."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

import pycti
from pycti import SwitchConfig
from pycti.drivers.base import PortKind
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipPhoneConfig
from pycti.switch import events as ev

from .sipp import SCENARIOS, SIPP, finish, run_sipp
from .test_inbound import free_udp_port, until

# CI installs sipp (.ci/run) and must run these; elsewhere a machine without it skips them
pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


async def test_phone_registers_then_one_phone_calls_the_other(tmp_path: Path) -> None:
    phones = (SipPhoneConfig(extension="8001", password="secret1"),
              SipPhoneConfig(extension="8002", password="secret2"))
    # SIPp answers only the first challenge and knows only MD5
    sip = SipDriver(SipDriverConfig(listen_port=0, phones=phones, digest_algorithms=("MD5",), seed=11))
    assert [(i.kind, i.name) for i in sip.ports()] == [(PortKind.STATION, "8001"), (PortKind.STATION, "8002")]
    cfg = SwitchConfig(trunks=0, stations=0, routes=(), realtime=True)
    async with pycti.open(cfg, drivers=[sip]) as p:
        assert p.engine.port_of == {"8001": 0, "8002": 1}
        callee, caller = p.monitor("8001"), p.monitor("8002")
        common = ["-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", "0", f"127.0.0.1:{sip.sip_port}"]
        # 8001 is two SIPp runs: one answers on its own port, one registers that port
        port_8001 = free_udp_port()
        answerer = await run_sipp(["-sf", str(SCENARIOS / "phone_answer.xml")] + common
                                  + ["-p", str(port_8001)], tmp_path)
        registering = await run_sipp(["-sf", str(SCENARIOS / "phone_register.xml"),
                                      "-key", "contact_port", str(port_8001)] + common, tmp_path)
        calling = None
        try:
            loop = asyncio.get_running_loop()
            end = loop.time() + 5
            assert sip.registrar is not None
            while not sip.registered("8001"):
                assert loop.time() < end, "8001 did not register"
                await asyncio.sleep(0.05)
            assert sip.registrar.refused == {401: 2, 403: 1}
            code, out = await finish(registering)
            assert code == 0, out
            # SIPp's digest uri defaults to sip:host:port; the verifier wants the Request-URI (§22.4)
            calling = await run_sipp(["-sf", str(SCENARIOS / "phone_call.xml"), "-s", "8001",
                                      "-auth_uri", f"8001@127.0.0.1:{sip.sip_port}"] + common, tmp_path)
            await until(caller, ev.ServiceInitiated)
            delivered = await until(callee, ev.Delivered)
            assert delivered.calling_device == "8002"
            established = await until(callee, ev.Established)
            assert established.answering_device == "8001"
            cleared = await until(callee, ev.ConnectionCleared)
            assert cleared.releasing_device == "8002"  # 8002 hung up; pycti sent 8001 its BYE
        finally:
            code, out = await finish(answerer)
            if calling is not None:
                code2, out2 = await finish(calling)
                assert code2 == 0, out2
        assert code == 0, out
        assert sip.registrar.refused[401] == 3  # and 8002's first INVITE
