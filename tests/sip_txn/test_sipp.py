"""The UA core over a real UDP socket on 127.0.0.1 against SIPp's built-in scenarios.

A tiny socket loop lives here (the package layer never touches sockets): datagrams in, the
core's Transmit actions out, ``on_timer`` at its deadlines, all on ``time.monotonic``.
Each SIPp run handles one call (``-m 1``) and is bounded to 10 s.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Callable

import pytest

from pycti.sip.session_agent import UserAgent
from pycti.sip.session_events import (
    Answered, Confirmed, Ended, IncomingInvite, Output, UaConfig, UaEvent,
)
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import Transmit

# CI installs sipp (.ci/run) and must run these; elsewhere a machine without it skips them
pytestmark = pytest.mark.skipif(shutil.which("sipp") is None and not os.environ.get("CI"),
                                reason="sipp (Debian package sip-tester) absent")

SDP = (b"v=0\r\no=pycti 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
LIMIT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Loop:
    """One UDP socket driving one UA core in real time."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.ua = UserAgent(UaConfig(host="127.0.0.1", port=self.port, user="pycti"),
                            rng=random.Random(7))
        self.t0 = time.monotonic()
        self.events: list[UaEvent] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def flush(self, react: Callable[[UaEvent], None]) -> None:
        for _ in range(100):
            out: list[Output] = self.ua.drain()
            if not out:
                return
            for item in out:
                if isinstance(item, Transmit):
                    self.sock.sendto(item.data, (item.dest.host, item.dest.port))
                else:
                    self.events.append(item)
                    react(item)

    def run(self, done: Callable[[], bool], react: Callable[[UaEvent], None],
            limit_s: float = LIMIT_S) -> None:
        while not done() and self.now() < limit_s:
            self.flush(react)
            deadline = self.ua.next_deadline_s()
            wait = 0.05 if deadline is None else max(0.0, min(0.05, deadline - self.now()))
            ready, _, _ = select.select([self.sock], [], [], wait)
            if ready:
                data, (host, port) = self.sock.recvfrom(65535)
                self.ua.receive(data, Destination(host, port, "UDP"), self.now())
            self.ua.on_timer(self.now())
        self.flush(react)

    def close(self) -> None:
        self.sock.close()


def sipp(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sipp", *args, "-m", "1", "-timeout", "9s", "-timeout_error",
                             "-nostdin"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes]) -> int:
    try:
        _, err = proc.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("sipp did not finish in time")
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return proc.returncode


def test_we_call_sipp_uas() -> None:
    port = free_port()
    proc = sipp("-sn", "uas", "-i", "127.0.0.1", "-p", str(port))
    loop = Loop()
    try:
        time.sleep(0.3)  # let sipp bind
        sid = loop.ua.invite(f"sip:service@127.0.0.1:{port}", loop.now(), sdp=SDP)

        def react(ev: UaEvent) -> None:
            if isinstance(ev, Answered):
                loop.ua.hangup(sid, loop.now())
        loop.run(lambda: any(isinstance(e, Ended) for e in loop.events), react)
        finish(proc)
    finally:
        loop.close()
        if proc.poll() is None:
            proc.kill()
    assert any(isinstance(e, Answered) for e in loop.events)
    ended = [e for e in loop.events if isinstance(e, Ended)]
    assert len(ended) == 1 and not ended[0].by_remote


def test_sipp_uac_calls_us() -> None:
    loop = Loop()
    proc = sipp("-sn", "uac", "-i", "127.0.0.1", "-p", str(free_port()), "-d", "200",
                f"127.0.0.1:{loop.port}")
    try:
        def react(ev: UaEvent) -> None:
            if isinstance(ev, IncomingInvite):
                loop.ua.ring(ev.session_id, loop.now())
                loop.ua.answer(ev.session_id, loop.now(), sdp=SDP)
        loop.run(lambda: any(isinstance(e, Ended) for e in loop.events), react)
        finish(proc)
    finally:
        loop.close()
        if proc.poll() is None:
            proc.kill()
    kinds = [type(e).__name__ for e in loop.events]
    assert kinds[0] == "IncomingInvite" and "Confirmed" in kinds
    ended = [e for e in loop.events if isinstance(e, Ended)]
    assert len(ended) == 1 and ended[0].by_remote
    assert any(isinstance(e, Confirmed) for e in loop.events)
