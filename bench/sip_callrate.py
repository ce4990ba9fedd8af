"""SIP call-rate benchmark: SIPp calls pycti's SIP driver on 127.0.0.1, rate stepped up.

The ladder (``sip_scenarios/uac_hold.xml``): INVITE with a PCMU offer, 100 (optional), 180,
200, ACK, a 2 s hold, BYE, 200 (RFC 3261 §13, §15).  The callee is one Python process running
:class:`pycti.drivers.sip.SipDriver` directly (the driver ``pycti serve`` uses for ``[sip]``):
a 20 ms tick loop that polls the driver, answers every ``IncomingCall`` at once and runs
``exchange`` for every port with a call (so each call has its RTP socket and sends G.711 as in
service).  It measures the SIP path (UDP transport, parser, transaction and dialog layers,
the driver's port table, SDP offer/answer, RTP socket open/close), not the switch's dial plan
or IVR.  Trunks: as many ``ip_auth 127.0.0.1`` trunks of 10,000 channels as the highest rate
needs (a trunk has at most 10,000).

For each rate ``r`` SIPp places ``r * --seconds`` calls (``-r r -m ...``); its ``-trace_stat``
CSV gives failed calls and retransmissions (INVITE/BYE resent by SIPp's timers: a reply that
came later than 500 ms).  The step passes with 0 failed and 0 retransmitted.  The same rates
are run SIPp to SIPp (``uas_ladder.xml`` as callee), the ceiling of the tooling on this
machine.  The callee's CPU per call comes from /proc/<pid>/stat (utime + stime) over the step.

    python bench/sip_callrate.py                         # 10 ... 1000 calls/s, 4 s each
    python bench/sip_callrate.py --rates 100,200 --seconds 5
    python bench/sip_callrate.py --profile /tmp/sip.prof --rates 200   # cProfile the callee
    python bench/sip_callrate.py --callees serve --rates 10,25,50,100   # `pycti serve` instead

``--callees serve`` runs ``pycti serve`` on a copy of examples/center/center-sip.toml (DNIS
8888 to its one-menu IVR route, which answers and plays its prompt until the BYE): the whole
center, switch and IVR included, for comparison with the SipDriver-only callee.

The callee alone (used by the runner and by ``bench/sip_media.py``)::

    python bench/sip_callrate.py --callee --port 5070 --channels 3000 [--echo] [--ready FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pycti.drivers.base import IncomingCall, Released, RequestRefused  # noqa: E402
from pycti.drivers.rtppump import FRAME_SAMPLES  # noqa: E402
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent / "sip_scenarios"
SIPP = shutil.which("sipp")
TICK_S = 0.020
TRUNK_CHANNELS_MAX = 10_000
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- the callee
def callee_config(port: int, channels: int) -> SipDriverConfig:
    """SIP on 127.0.0.1:``port``, ``channels`` trunk ports in trunks of at most 10,000, every one
    trusting 127.0.0.1 (ip_auth)."""
    trunks = []
    left, k = channels, 1
    while left > 0:
        n = min(left, TRUNK_CHANNELS_MAX)
        trunks.append(SipTrunkConfig(name=f"carrier{k}", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=n))
        left -= n
        k += 1
    return SipDriverConfig(listen_host="127.0.0.1", listen_port=port, trunks=tuple(trunks), seed=1)


def stats_summary(sip: SipDriver, calls: int) -> dict[str, int]:
    """The pump's RTP counters summed over the ports (RFC 3550 A.3 ``lost``, ``received``,
    ticks ``played``/``concealed``/``silence``), plus how many calls are up."""
    st = sip.rtp_stats()
    out = {"calls_up": calls}
    if st is not None:
        for name in ("received", "lost", "audio", "late", "duplicate", "played", "concealed", "silence"):
            out[name] = int(np.asarray(getattr(st, name)).sum())
    return out


async def run_callee(port: int, channels: int, *, echo: bool, ready: Path | None, snapshot: Path | None) -> None:
    """Answer every call at once; tick every 20 ms (poll, answer, exchange) until SIGTERM.
    ``late_ticks``: ticks that ended after the next one was due.  With ``echo`` each port sends back the audio it heard the tick before (a bridge to
    itself), else silence.  SIGUSR1 writes :func:`stats_summary` to ``snapshot`` (JSON)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with SipDriver(callee_config(port, channels)) as sip:
        n = sip.capacity()
        frames = np.zeros((n, FRAME_SAMPLES), dtype=np.int16)
        up: set[int] = set()
        answered = refused = ticks = late = 0
        if snapshot is not None:
            def dump() -> None:
                data = stats_summary(sip, len(up)) | {"answered": answered, "refused": refused,
                                                              "errors": len(sip.errors), "ticks": ticks,
                                                              "late_ticks": late}
                snapshot.write_text(json.dumps(data))
            loop.add_signal_handler(signal.SIGUSR1, dump)
        if ready is not None:
            ready.write_text(str(sip.sip_port))
        next_tick = loop.time()
        while not stop.is_set():
            for ev in sip.poll():
                if isinstance(ev, IncomingCall):
                    try:
                        sip.answer(ev.port)
                        answered += 1
                        up.add(ev.port)
                    except RequestRefused:
                        refused += 1
                elif isinstance(ev, Released):
                    up.discard(ev.port)
            inbound = sip.exchange(frames)
            if echo:
                frames = inbound
            next_tick += TICK_S
            delay = next_tick - loop.time()
            ticks += 1
            late += delay < 0
            if delay < -0.2:  # far behind: do not try to catch up with a burst of ticks
                next_tick = loop.time()
            await asyncio.sleep(max(0.0, delay))


# ----------------------------------------------------------------------------- helpers
def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """utime + stime of process ``pid`` (proc(5) /proc/<pid>/stat fields 14, 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def udp_drops() -> int:
    """The kernel's UDP receive-buffer drops so far, all sockets (/proc/net/snmp RcvbufErrors)."""
    lines = [ln.split() for ln in Path("/proc/net/snmp").read_text().splitlines() if ln.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


@dataclass(frozen=True, slots=True)
class SippResult:
    """The totals of one SIPp run (its -trace_stat CSV, last row)."""

    exit_code: int
    placed: int
    successful: int
    failed: int
    retransmissions: int
    wall_s: float
    rtd_ms: float  #: mean INVITE -> 200 response time


def read_stat(path: Path) -> dict[str, str]:
    """The last row of a SIPp -trace_stat CSV (';' separated) as name -> value."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    return dict(zip(rows[0], rows[-1]))


def rtd_mean_ms(value: str) -> float:
    """SIPp's 'HH:MM:SS:microseconds' (or seconds) mean response time, in ms."""
    parts = value.split(":")
    if len(parts) >= 4:
        h, m, s, us = (float(p) for p in parts[:4])
        return ((h * 60 + m) * 60 + s) * 1000 + us / 1000
    try:
        return float(value) * 1000
    except ValueError:
        return float("nan")


def run_sipp(work: Path, scenario: str, target: str, rate: int, count: int, hold_ms: int,
             *, extra: tuple[str, ...] = (), limit_s: float = 60.0) -> SippResult:
    """One SIPp UAC run: ``count`` calls at ``rate`` calls/s to ``target``, bounded in time."""
    assert SIPP is not None
    stat = work / f"stat_{scenario}_{rate}.csv"
    stat.unlink(missing_ok=True)
    cmd = [SIPP, "-sf", str(SCENARIOS / scenario), "-s", "8888", "-i", "127.0.0.1", "-p", "0",
           "-mi", "127.0.0.1", "-mp", str(free_udp_port()), "-r", str(rate), "-m", str(count),
           "-d", str(hold_ms), "-l", str(max(10, rate * 8)), "-max_socket", "65000",
           "-trace_stat", "-stf", str(stat), "-fd", "1", "-stat_delimiter", ";",
           "-timeout", f"{int(limit_s)}s", "-timeout_error", "-nostdin",
           *extra, target]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=limit_s + 15, check=False)
    wall = time.monotonic() - t0
    if not stat.exists():
        raise RuntimeError(f"sipp wrote no statistics: {proc.stderr.decode(errors='replace')[-2000:]}")
    row = read_stat(stat)
    return SippResult(exit_code=proc.returncode, placed=int(row["OutgoingCall(C)"]),
                      successful=int(row["SuccessfulCall(C)"]), failed=int(row["FailedCall(C)"]),
                      retransmissions=int(row["Retransmissions(C)"]), wall_s=wall,
                      rtd_ms=rtd_mean_ms(row.get("ResponseTime1(C)", "nan")))


def start_callee(work: Path, channels: int, *, echo: bool = False, profile: Path | None = None,
                 snapshot: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Start the pycti callee in its own process; (process, its SIP port) once it listens."""
    port = free_udp_port()
    ready = work / f"ready_{port}"
    args = profiled(profile) + (["-f"] if profile is not None else [])
    args += [str(Path(__file__).resolve()), "--callee", "--port", str(port), "--channels", str(channels),
             "--ready", str(ready)]
    if echo:
        args.append("--echo")
    if snapshot is not None:
        args += ["--snapshot", str(snapshot)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        if ready.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    if not ready.exists():
        proc.kill()
        err = proc.communicate()[1].decode(errors="replace")
        raise RuntimeError(f"the pycti callee did not start: {err[-2000:]}")
    return proc, port


#: ``python -c`` runner: cProfile on process CPU time (the machine is shared: wall-clock
#: profiles charge other processes' time to whatever was running), then the target as __main__.
_PROFILE_RUNNER = """
import cProfile, runpy, sys, time
out, how, target = sys.argv[1], sys.argv[2], sys.argv[3]
sys.argv = sys.argv[3:]
prof = cProfile.Profile(time.process_time)
prof.enable()
try:
    if how == "-m":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")
except SystemExit:
    pass
finally:
    prof.disable()
    prof.dump_stats(out)
"""


def profiled(profile: Path | None) -> list[str]:
    """The interpreter command line, profiling on CPU time into ``profile`` when given (then
    follow with ``-m module`` or ``-f script`` and the arguments)."""
    if profile is None:
        return [sys.executable]
    return [sys.executable, "-c", _PROFILE_RUNNER, str(profile.resolve())]


EXAMPLE_CENTER = Path(__file__).resolve().parents[1] / "examples" / "center"


def start_serve(work: Path, channels: int, profile: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """``pycti serve`` on a copy of examples/center/center-sip.toml: SIP on a free port, the
    trunk "carrier" (ip_auth 127.0.0.1) with ``channels`` (at most 10,000), DNIS 8888 to the
    one-menu IVR route "quick" (it answers, plays its prompt and waits for a digit: the
    caller's BYE ends the call).  (process, SIP port) once it says it runs."""
    center = work / "center"
    shutil.rmtree(center, ignore_errors=True)
    shutil.copytree(EXAMPLE_CENTER, center)
    port = free_udp_port()
    text = (center / "center-sip.toml").read_text(encoding="utf-8")
    for old, new in (('listen = "127.0.0.1:5060"', f'listen = "127.0.0.1:{port}"'),
                     ("channels = 10", f"channels = {min(channels, TRUNK_CHANNELS_MAX)}"),
                     ('"4999" = "ivr:quick"', '"4999" = "ivr:quick"\n"8888" = "ivr:quick"'),
                     ('cdr = "center.db"', 'cdr = "bench.db"')):
        if old not in text:
            raise RuntimeError(f"examples/center/center-sip.toml changed: {old!r} not found")
        text = text.replace(old, new)
    (center / "bench.toml").write_text(text, encoding="utf-8")
    log = (center / "serve.log").open("wb")
    proc = subprocess.Popen([*profiled(profile), "-m", "pycti.cli.main", "serve", "bench.toml"], cwd=center,
                            stdout=log, stderr=subprocess.STDOUT,
                            env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    for _ in range(400):
        if b"running" in (center / "serve.log").read_bytes() or proc.poll() is not None:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        raise RuntimeError(f"pycti serve did not start: {(center / 'serve.log').read_text()[-2000:]}")
    return proc, port


def serve_warnings(work: Path) -> int:
    """How many WARNING lines ``pycti serve`` logged (refused driver inputs and the like)."""
    path = work / "center" / "serve.log"
    return path.read_text(errors="replace").count("WARNING") if path.exists() else 0


def stop_callee(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait (bounded); kill when it does not end."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ----------------------------------------------------------------------------- the runner
def step_table(rates: list[int], seconds: float, hold_ms: int, profile: Path | None,
               callees: tuple[str, ...] = ("pycti", "sipp")) -> None:
    """Step the rate up against pycti and SIPp's own UAS, print one row per run."""
    work = Path(tempfile.mkdtemp(prefix="sip_callrate_"))
    channels = int(max(rates) * (hold_ms / 1000 + 1.0)) + 100
    print(f"# ladder INVITE/100/180/200/ACK/{hold_ms} ms hold/BYE/200 on 127.0.0.1, "
          f"{seconds:g} s of calls per step; pycti callee: SipDriver, {channels} channels")
    print(f"{'callee':6} {'rate/s':>6} {'placed':>6} {'ok':>6} {'failed':>6} {'retrans':>7} "
          f"{'rtd ms':>7} {'cpu s':>6} {'cpu ms/call':>11}  verdict")
    for callee in callees:
        for rate in rates:
            count = max(10, int(rate * seconds))
            if callee == "pycti":
                proc, port = start_callee(work, channels, profile=profile)
                uas = None
            elif callee == "serve":
                proc, port = start_serve(work, channels, profile)
                uas = None
            else:
                port = free_udp_port()
                assert SIPP is not None
                uas = subprocess.Popen(
                    [SIPP, "-sf", str(SCENARIOS / "uas_ladder.xml"), "-i", "127.0.0.1", "-p", str(port),
                     "-mi", "127.0.0.1", "-mp", str(free_udp_port()), "-max_socket", "65000",
                     "-nostdin", "-timeout", "120s"],
                    cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                proc = uas
                time.sleep(0.5)
            try:
                cpu0 = cpu_s(proc.pid)
                res = run_sipp(work, "uac_hold.xml", f"127.0.0.1:{port}", rate, count, hold_ms)
                cpu = cpu_s(proc.pid) - cpu0
            finally:
                if uas is not None:
                    uas.terminate()
                    uas.wait(timeout=10)
                else:
                    stop_callee(proc)
            clean = res.failed == 0 and res.retransmissions == 0 and res.successful == count
            print(f"{callee:6} {rate:6d} {res.placed:6d} {res.successful:6d} {res.failed:6d} "
                  f"{res.retransmissions:7d} {res.rtd_ms:7.1f} {cpu:6.2f} {1000 * cpu / max(1, count):11.2f}"
                  f"  {'clean' if clean else 'FAILED'}"
                  + (f" ({serve_warnings(work)} warnings)" if callee == "serve" else ""), flush=True)
            if not clean:
                break
    if not os.environ.get("SIP_CALLRATE_KEEP"):
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Command line: the runner (default) or the callee alone (--callee)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--callee", action="store_true", help="run only the pycti callee")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--channels", type=int, default=3000)
    ap.add_argument("--echo", action="store_true", help="callee sends back what it heard")
    ap.add_argument("--ready", type=Path, help="callee writes its SIP port here once listening")
    ap.add_argument("--snapshot", type=Path, help="callee writes RTP counters here on SIGUSR1")
    ap.add_argument("--rates", default="10,25,50,100,200,400,700,1000")
    ap.add_argument("--seconds", type=float, default=4.0, help="seconds of calls per step")
    ap.add_argument("--hold-ms", type=int, default=2000)
    ap.add_argument("--profile", type=Path, help="cProfile the pycti callee (SipDriver app or pycti serve) into this file")
    ap.add_argument("--callees", default="pycti,sipp", help="callees, in order: pycti (SipDriver app), serve (pycti serve), sipp")
    a = ap.parse_args()
    if a.callee:
        asyncio.run(run_callee(a.port, a.channels, echo=a.echo, ready=a.ready, snapshot=a.snapshot))
        return
    if SIPP is None:
        sys.exit("sipp is not installed (Debian package sip-tester)")
    step_table([int(r) for r in a.rates.split(",")], a.seconds, a.hold_ms, a.profile,
               tuple(a.callees.split(",")))


if __name__ == "__main__":
    main()
