"""SIP media benchmark: N concurrent G.711 calls from SIPp, answered and echoed by pycti.

SIPp (``sip_scenarios/uac_media.xml``) places N calls at ``--rate`` calls/s; each sends a
1 kHz PCMU tone (G.711 mu-law, ITU-T G.711 Table 2a, payload type 0, RFC 3551 §4.5.14), 20 ms
packets, with SIPp's ``rtp_stream`` for the whole hold.  The callee is the
:class:`pycti.drivers.sip.SipDriver` process of ``bench/sip_callrate.py --callee --echo``: it
answers every call and, each 20 ms tick, sends every call back the frame it heard the tick
before (one ``exchange`` of the C RTP pump for all ports), so RTP flows both ways.

Once every call is up, a measuring window of ``--window`` seconds: the callee's CPU time
(/proc/<pid>/stat utime + stime) over the window / the window = its share of one core, / N
per call; inbound loss from the pump's RFC 3550 A.3 counters (``lost`` = expected - received,
summed over the ports, the difference across the window) and the ticks played from a
packet vs concealed; and the kernel's UDP receive-buffer drops (/proc/net/snmp RcvbufErrors,
for the whole machine).  SIPp's ``rtp_stream`` never reads the RTP that comes back to it, so
once its socket buffer is full every packet pycti sends is dropped there: that column then
counts pycti's sent packets (compare ``pycti tx due`` = calls x 50/s x window); the
callee's ``late ticks`` are 20 ms ticks it finished after the next was due.

    python bench/sip_media.py                       # 100, 500, 1000 calls
    python bench/sip_media.py --calls 100 --window 10
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sip_callrate import (  # noqa: E402
    SCENARIOS, SIPP, cpu_s, free_udp_port, read_stat, start_callee, stop_callee, udp_drops,
)
from pycti.dsp.g711 import ulaw_encode  # noqa: E402

SR_HZ = 8000


@dataclass(frozen=True, slots=True)
class MediaResult:
    """One row: N calls up, the window's figures."""

    calls: int
    up: int
    window_s: float
    cpu_percent: float  #: callee CPU seconds / window seconds (100 = one core)
    cpu_us_per_call_s: float  #: callee CPU microseconds per call per second of call
    received: int
    lost: int
    played: int
    concealed: int
    kernel_drops: int
    sent_expected: int  #: calls up x 50 packets/s x window: what pycti should have sent
    late_ticks: int
    sipp_failed: int


def write_tone(path: Path, seconds: float = 1.0, freq_hz: float = 1000.0) -> None:
    """A raw mu-law file of a sine at -6 dBFS-ish (amplitude 8000), for SIPp's rtp_stream."""
    t = np.arange(int(seconds * SR_HZ)) / SR_HZ
    path.write_bytes(ulaw_encode((8000 * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)).tobytes())


def snapshot(proc: subprocess.Popen[bytes], path: Path) -> dict[str, int]:
    """Ask the callee for its RTP counters (SIGUSR1) and read them."""
    path.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    for _ in range(200):
        if path.exists() and path.stat().st_size:
            return dict(json.loads(path.read_text()))
        time.sleep(0.01)
    raise RuntimeError("the callee wrote no RTP snapshot")


def run_one(work: Path, calls: int, rate: int, window_s: float) -> MediaResult:
    """N calls: ramp at ``rate``, then measure ``window_s`` with every call up."""
    assert SIPP is not None
    ramp_s = calls / rate
    hold_ms = int((ramp_s + window_s + 4.0) * 1000)
    snap = work / "snap.json"
    proc, port = start_callee(work, calls + 50, echo=True, snapshot=snap)
    stat = work / f"media_{calls}.csv"
    cmd = [SIPP, "-sf", str(SCENARIOS / "uac_media.xml"), "-s", "8888", "-i", "127.0.0.1", "-p", "0",
           "-mi", "127.0.0.1", "-mp", str(free_udp_port()), "-r", str(rate), "-m", str(calls),
           "-l", str(calls), "-d", str(hold_ms), "-max_socket", "65000",
           "-trace_stat", "-stf", str(stat), "-fd", "1", "-stat_delimiter", ";",
           "-timeout", f"{int(hold_ms / 1000 + ramp_s + 30)}s", "-timeout_error", "-nostdin",
           f"127.0.0.1:{port}"]
    sipp = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(ramp_s + 2.0)
        s0, c0, d0, t0 = snapshot(proc, snap), cpu_s(proc.pid), udp_drops(), time.monotonic()
        time.sleep(window_s)
        s1, c1, d1, t1 = snapshot(proc, snap), cpu_s(proc.pid), udp_drops(), time.monotonic()
        sipp.wait(timeout=hold_ms / 1000 + ramp_s + 40)
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
        stop_callee(proc)
    row = read_stat(stat) if stat.exists() else {}
    wall = t1 - t0
    cpu = c1 - c0
    up = min(s0["calls_up"], s1["calls_up"])
    return MediaResult(calls=calls, up=up, window_s=wall, cpu_percent=100 * cpu / wall,
                       cpu_us_per_call_s=1e6 * cpu / wall / max(1, up),
                       received=s1["received"] - s0["received"], lost=s1["lost"] - s0["lost"],
                       played=s1["played"] - s0["played"], concealed=s1["concealed"] - s0["concealed"],
                       kernel_drops=d1 - d0, sent_expected=round(up * wall / 0.020),
                       late_ticks=s1["late_ticks"] - s0["late_ticks"],
                       sipp_failed=int(row.get("FailedCall(C)", -1)))


def main() -> None:
    """Command line: one row per call count."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", default="100,500,1000")
    ap.add_argument("--rate", type=int, default=50, help="calls/s while ramping up")
    ap.add_argument("--window", type=float, default=10.0, help="seconds measured with every call up")
    a = ap.parse_args()
    if SIPP is None:
        sys.exit("sipp is not installed (Debian package sip-tester)")
    work = Path(tempfile.mkdtemp(prefix="sip_media_"))
    write_tone(work / "tone.ulaw")
    print(f"# PCMU both ways (SIPp rtp_stream in, pycti echo out), ramp {a.rate} calls/s, "
          f"{a.window:g} s window, load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'calls':>5} {'up':>5} {'cpu %core':>9} {'us/call/s':>9} {'rx pkts':>8} {'lost':>6} "
          f"{'played':>8} {'concealed':>9} {'kern drops':>10} {'pycti tx due':>12} {'late ticks':>10} {'sipp failed':>11}")
    for n in (int(x) for x in a.calls.split(",")):
        r = run_one(work, n, a.rate, a.window)
        print(f"{r.calls:5d} {r.up:5d} {r.cpu_percent:9.1f} {r.cpu_us_per_call_s:9.1f} {r.received:8d} "
              f"{r.lost:6d} {r.played:8d} {r.concealed:9d} {r.kernel_drops:10d} {r.sent_expected:12d} {r.late_ticks:10d} "
              f"{r.sipp_failed:11d}", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
