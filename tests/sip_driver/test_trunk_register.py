"""A registering trunk against SIPp as the carrier's registrar on 127.0.0.1: the REGISTER is
challenged (401) and sent again with the trunk's credentials (SIPp's verifyauth checks them),
the 3 s binding granted in our Contact's ``expires`` is refreshed before it lapses (same
Call-ID: SIPp matches the messages of one registration by it), and closing the driver
unregisters with ``Expires: 0`` (checked by the scenario), over UDP and over TCP; a refused
REGISTER backs off."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pycti.drivers.base import DriverEvent
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig
from pycti.sip.register_client import RegState

from .sipp import SCENARIOS, SIPP, finish, run_sipp
from .test_outbound import carrier, run_until

pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


def registering(port: int, **trunk: object) -> SipDriver:
    t = SipTrunkConfig(name="carrier", host="127.0.0.1", port=port, username="acme", password="s3cret",
                       register=True, register_expires_s=60, **trunk)  # type: ignore[arg-type]
    return SipDriver(SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(t,), seed=9))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_register_challenged_refreshed_and_unregistered(tmp_path: Path, transport: str) -> None:
    if transport == "udp":
        proc, port = await carrier(tmp_path, "uas_register.xml")
    else:  # SIPp's registrar over TCP (-t t1): every REGISTER on the one connection we open
        from .test_tcp import free_tcp_port

        port = free_tcp_port()
        proc = await run_sipp(["-sf", str(SCENARIOS / "uas_register.xml"), "-t", "t1", "-i", "127.0.0.1",
                               "-p", str(port)], tmp_path)
        await asyncio.sleep(0.3)  # let SIPp listen
    try:
        sip = registering(port, transport=transport)
        async with sip:
            events: list[DriverEvent] = []
            assert not sip.trunk_registered("carrier")  # nothing granted yet
            await run_until(sip, events, lambda _: sip.trunk_registered("carrier"))
            first = sip.trunk_registration("carrier")
            assert first is not None and first.grants == 1 and first.last_status == 200
            assert first.registered_until_s is not None
            # the registrar granted 3 s (not the 60 asked): refreshed half-way, before it lapses
            await run_until(sip, events, lambda _: (s := sip.trunk_registration("carrier")) is not None
                            and s.grants == 2, timeout_s=4.0)
            second = sip.trunk_registration("carrier")
            assert second is not None and second.registered_until_s is not None
            assert 1.0 < second.registered_until_s - first.registered_until_s < 2.5
            assert sip.trunk_registered("carrier")
        final = sip.trunk_registration("carrier")
        assert final is not None and final.state is RegState.UNREGISTERED
        assert not sip.trunk_registered("carrier")
        assert sip.errors == type(sip.errors)()  # nothing went wrong handling SIP events
        stats = sip.transport_stats()
        assert (stats.tcp_sent > 0) == (transport == "tcp") and (stats.udp_sent > 0) == (transport == "udp")
    finally:
        code, out = await finish(proc)
    assert code == 0, out  # every check of the scenario passed, the unregister included


async def test_refused_register_backs_off(tmp_path: Path) -> None:
    proc, port = await carrier(tmp_path, "uas_register_refused.xml")
    try:
        async with registering(port, register_retry_base_s=20.0) as sip:
            events: list[DriverEvent] = []
            await run_until(sip, events, lambda _: (s := sip.trunk_registration("carrier")) is not None
                            and s.state is RegState.FAILED)
            status = sip.trunk_registration("carrier")
            assert status is not None and status.last_status == 403 and status.grants == 0
            assert not sip.trunk_registered("carrier")
            assert status.retry_at_s is not None
            # RFC 5626 §4.5 after one failure: 2 * base times 50-100 %, i.e. 20-40 s from now
            media_clock = sip.media_clock()
            assert media_clock is not None
            wait_s = status.retry_at_s - media_clock.now()
            assert 19.0 < wait_s <= 40.0, wait_s
    finally:
        code, out = await finish(proc)
    assert code == 0, out
