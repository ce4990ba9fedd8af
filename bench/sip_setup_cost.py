"""CPU per call of the SIP driver's signalling, in one process, without SIPp or the network.

The same ladder as ``sip_callrate.py`` (INVITE with a PCMU offer, 180, 200, ACK, BYE, 200)
is fed to a :class:`pycti.drivers.sip.SipDriver` as datagrams, its answers captured instead of
sent: ``--calls`` calls set up in a burst (each answered at once, as the call-rate callee
does), then ACKed, ``--ticks`` 20 ms ticks of ``poll``/``exchange`` with every call up, then
every call ended by BYE.  CPU time (``time.process_time``) per phase: setup (INVITE + answer),
ACK, tick (per call up), BYE; the sum is the floor per call the driver's Python puts on one
core, the figure that bounds the call rate of one process.

    python bench/sip_setup_cost.py --calls 1000
    python bench/sip_setup_cost.py --calls 1000 --profile /tmp/setup.prof
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pycti.drivers.base import IncomingCall  # noqa: E402
from pycti.drivers.rtppump import FRAME_SAMPLES  # noqa: E402
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig  # noqa: E402
from pycti.sip.timers import Destination  # noqa: E402
from pycti.sip.transaction_table import Transmit  # noqa: E402

PEER = Destination("127.0.0.1", 5999, "UDP")
SDP = (b"v=0\r\no=sipp 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n")


def invite(n: int, port: int) -> bytes:
    """SIPp's INVITE of call ``n`` (uac_hold.xml)."""
    head = (f"INVITE sip:8888@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-{n}-1-0\r\n"
            f"From: <sip:02112345678@127.0.0.1:5999>;tag=1SIPpTag00{n}\r\n"
            f"To: <sip:8888@127.0.0.1:{port}>\r\n"
            f"Call-ID: {n}-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:sipp@127.0.0.1:5999>\r\nMax-Forwards: 70\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n")
    return head.encode() + SDP


def in_dialog(method: str, cseq: int, n: int, port: int, to_tag: str) -> bytes:
    """SIPp's ACK or BYE of call ``n`` in the dialog the 200 made."""
    return (f"{method} sip:8888@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-{n}-{cseq}-{method}\r\n"
            f"From: <sip:02112345678@127.0.0.1:5999>;tag=1SIPpTag00{n}\r\n"
            f"To: <sip:8888@127.0.0.1:{port}>;tag={to_tag}\r\n"
            f"Call-ID: {n}-1@127.0.0.1\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:sipp@127.0.0.1:5999>\r\nMax-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


_TO_TAG = re.compile(rb"\r\nTo: [^\r]*;tag=([^;\r]+)")
_CALL_ID = re.compile(rb"\r\nCall-ID: ([0-9]+)-1@")


async def run(calls: int, ticks: int, profile: Path | None) -> dict[str, float]:
    """Milliseconds of CPU per call (per call and tick for ``tick``) for each phase."""
    config = SipDriverConfig(listen_host="127.0.0.1", listen_port=0, seed=1, trunks=tuple(
        SipTrunkConfig(name=f"t{k}", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=1000)
        for k in range((calls + 999) // 1000)))
    out: dict[str, float] = {}
    async with SipDriver(config) as sip:
        sent: list[bytes] = []
        assert sip._transport is not None

        def capture(item: Transmit) -> bool:
            sent.append(item.message.to_bytes())
            return True
        sip._transport.send = capture  # type: ignore[method-assign]
        port = sip.sip_port
        frames = np.zeros((sip.capacity(), FRAME_SAMPLES), dtype=np.int16)
        invites = [invite(n, port) for n in range(calls)]
        prof = cProfile.Profile(time.process_time) if profile is not None else None
        if prof is not None:
            prof.enable()
        t0 = time.process_time()
        for data in invites:
            sip._on_datagram(data, PEER)
            for ev in sip.poll():
                if isinstance(ev, IncomingCall):
                    sip.answer(ev.port)
        t1 = time.process_time()
        tags: dict[int, str] = {}
        for data in sent:
            if data.startswith(b"SIP/2.0 200"):
                tag, cid = _TO_TAG.search(data), _CALL_ID.search(data)
                assert tag is not None and cid is not None
                tags[int(cid.group(1))] = tag.group(1).decode()
        assert len(tags) == calls, f"{len(tags)} of {calls} calls answered"
        acks = [in_dialog("ACK", 1, n, port, tags[n]) for n in range(calls)]
        byes = [in_dialog("BYE", 2, n, port, tags[n]) for n in range(calls)]
        t2 = time.process_time()
        for data in acks:
            sip._on_datagram(data, PEER)
        t3 = time.process_time()
        for _ in range(ticks):
            sip.poll()
            sip.exchange(frames)
        t4 = time.process_time()
        sent.clear()
        for data in byes:
            sip._on_datagram(data, PEER)
        sip.poll()
        t5 = time.process_time()
        if prof is not None:
            prof.disable()
            assert profile is not None
            prof.dump_stats(str(profile))
        ok = sum(1 for d in sent if d.startswith(b"SIP/2.0 200"))
        assert ok == calls, f"{ok} of {calls} BYEs answered 200"
        out = {"setup": (t1 - t0), "ack": (t3 - t2), "tick": (t4 - t3) / max(1, ticks), "bye": (t5 - t4)}
    return {k: 1000 * v / calls for k, v in out.items()}


def main() -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--ticks", type=int, default=50)
    ap.add_argument("--profile", type=Path)
    a = ap.parse_args()
    ms = asyncio.run(run(a.calls, a.ticks, a.profile))
    signalling = ms["setup"] + ms["ack"] + ms["bye"]
    print(f"{a.calls} calls: setup {ms['setup']:.3f} ms, ACK {ms['ack']:.3f} ms, BYE {ms['bye']:.3f} ms "
          f"= {signalling:.3f} ms CPU per call; tick {1000 * ms['tick']:.2f} us per call up")


if __name__ == "__main__":
    main()
