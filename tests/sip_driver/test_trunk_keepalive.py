"""OPTIONS keep-alives to a trunk (RFC 3261 §11) against SIPp on 127.0.0.1: while the
carrier answers, the trunk is up; when it stops (SIPp gone, the OPTIONS transaction times out
after 64*T1, T1 = 50 ms here) the trunk is down and its channels refuse ``dial`` with a
RequestRefused naming it; a carrier answering again brings it back up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pycti.drivers.base import DriverEvent, RequestRefused
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig

from .sipp import SCENARIOS, SIPP, finish, run_sipp
from .test_outbound import run_until

pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


async def test_trunk_down_when_options_unanswered_and_up_again(tmp_path: Path) -> None:
    from .test_inbound import free_udp_port

    port = free_udp_port()
    args = ["-sf", str(SCENARIOS / "uas_options.xml"), "-i", "127.0.0.1", "-p", str(port)]
    first = await run_sipp(args, tmp_path)
    second = None
    try:
        trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", port=port, channels=1, keepalive_s=1.0)
        config = SipDriverConfig(listen_host="127.0.0.1", listen_port=0, trunks=(trunk,), seed=3, t1_s=0.05)
        async with SipDriver(config) as sip:
            events: list[DriverEvent] = []
            assert sip.trunk_up("carrier")  # up until an OPTIONS goes unanswered
            await run_until(sip, events, lambda _: first.returncode is not None, timeout_s=5.0)
            assert sip.trunk_up("carrier")  # the first OPTIONS was answered
            await run_until(sip, events, lambda _: not sip.trunk_up("carrier"), timeout_s=8.0)
            with pytest.raises(RequestRefused, match="trunk carrier is down"):
                sip.dial(0, "5551234")
            second = await run_sipp(args, tmp_path)  # the carrier is back
            await run_until(sip, events, lambda _: sip.trunk_up("carrier"), timeout_s=8.0)
            assert events == []  # keep-alives are no call events
    finally:
        code, out = await finish(first)
        if second is not None:
            code2, out2 = await finish(second)
            assert code2 == 0, out2
    assert code == 0, out
