"""`pycti serve` on SIP: sipp calls the center over a SIP trunk on 127.0.0.1, keys its IVR choice
as RFC 4733 digits, and is answered by an agent on a sim-board station -- a SIP leg and a board
leg in one call; the CDR row holds the calling and called numbers, the digit, queue, agent and
times."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from pycti.callcenter.cdr import CdrStore
from pycti.center.config import load_center
from pycti.center.run import ServeOutcome, serve
from pycti.local.provider import LocalProvider

from ..sip_driver.sipp import SCENARIOS, SIPP, digits_stream, finish, run_sipp, write_pcap
from .test_config import GOOD, _write

pytestmark = pytest.mark.skipif(SIPP is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_sip_caller_through_ivr_and_acd_to_a_board_agent(tmp_path: Path) -> None:
    port = _free_udp_port()
    sip = (f'\n[sip]\nlisten = "127.0.0.1:{port}"\ntransports = ["udp"]\n\n'
           '[[trunks]]\nname = "carrier"\nhost = "127.0.0.1"\nip_auth = ["127.0.0.1"]\nchannels = 2\n')
    text = GOOD.replace('"4999" = "ivr:quick"', '"4999" = "ivr:quick"\n"8888" = "ivr:quick"') + sip
    center = load_center(_write(tmp_path, text))
    write_pcap(tmp_path / "digits.pcap", digits_stream("2"))
    stop = asyncio.Event()
    result: dict[str, object] = {}

    async def caller(p: LocalProvider) -> None:
        async def call() -> None:
            proc = await run_sipp(["-sf", str(SCENARIOS / "uac_digits.xml"), "-s", "8888",
                                   "-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", "0",
                                   f"127.0.0.1:{port}"], tmp_path)
            result["sipp"] = await finish(proc)
            await asyncio.sleep(0.5)  # the hang-up reaches the call log
            stop.set()

        asyncio.ensure_future(call())

    out = await asyncio.wait_for(serve(center, stop=stop, on_ready=caller, outcome=ServeOutcome()), 60)
    code, sipp_out = result["sipp"]  # type: ignore[misc]
    assert code == 0, sipp_out
    with CdrStore(center.cdr_path) as store:
        (row,) = store.records(run_id=out.run_id)
    assert row.caller_number == "02112345678" and row.called == "8888"  # P-Asserted-Identity, Request-URI
    assert (row.choice, row.queue, row.agent, row.outcome) == ("2", "SUPPORT", "1003", "answered")
    assert row.trunk == "carrier-1"
    # (the agent answers by itself, in the tick the call reached the queue)
    assert row.arrived_s < row.enqueued_s <= row.answered_s < row.ended_s  # type: ignore[operator]
