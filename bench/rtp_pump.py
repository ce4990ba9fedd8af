"""Benchmark of the batched RTP pump (pycti.drivers.rtppump) against the pure-Python RTP path.

For each channel count, a pump under test and a peer pump are linked channel to channel on
127.0.0.1 and exchange G.711 tones both ways (PCMU), one 20 ms tick at a time, paced by the
wall clock.  Per tick the pump under test makes one ``exchange`` call (receive every socket,
play one frame per channel, encode and send one packet per channel).  Reported: the CPU time
(user + system, of the calling thread: CLOCK_THREAD_CPUTIME_ID) of that call as a percentage of
one core (CPU seconds / wall seconds), its mean and 99th-percentile duration, and the packets
lost on the way (sent by the peer and never read by the pump under test, and frames concealed
or played as silence once audio flowed).  The pure-Python row runs the same load with
pycti.rtp's ReceiveStream/SendStream and one Python socket per channel (the peer stays the C
pump, so only the endpoint under test changes).

    python bench/rtp_pump.py                          # 100, 500, 1000 channels, 10 s each
    python bench/rtp_pump.py --channels 1000 --seconds 30
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import socket
import statistics
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pycti.drivers.rtppump import PumpStats, RtpPump, RtpPumpConfig  # noqa: E402
from pycti.rtp.jitter import FrameKind, JitterConfig, decode_frames  # noqa: E402
from pycti.rtp.stream import ReceiveStream, SendStream, encode_frames  # noqa: E402

TICK_S = 0.020
WARMUP_TICKS = 10


@dataclass(frozen=True, slots=True)
class Result:
    """One row of the table."""

    path: str
    mode: str
    channels: int
    ticks: int
    cpu_percent: float  #: CPU time per tick / 20 ms: the share of one core the endpoint needs
    cpu_us: float  #: CPU time per tick
    p99_us: float  #: 99th percentile wall time of the per-tick call
    sent: int
    not_read: int
    gaps: int
    lost_out: int
    late_ticks: int


def tone_frames(channels: int, ticks: int, freq_hz: float, amp: float) -> np.ndarray:
    """(ticks, channels, 160) int16: a tone, phase-shifted per channel."""
    n = np.arange(160 * ticks)
    phase = np.linspace(0, np.pi, channels)[:, None]
    x = np.round(amp * np.sin(2 * np.pi * freq_hz * n[None, :] / 8000 + phase)).astype(np.int16)
    return np.ascontiguousarray(x.reshape(channels, ticks, 160).transpose(1, 0, 2))


def make_pump(channels: int) -> RtpPump:
    return RtpPump(channels, RtpPumpConfig(jitter_depth_ms=40, recv_budget=16))


def pace(start: float, k: int) -> bool:
    """Sleep until tick ``k``'s instant; False when already more than a tick behind."""
    delay = start + k * TICK_S - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    return delay > -TICK_S


class Peer:
    """The far end: a C pump sending a 600 Hz tone on every channel."""

    def __init__(self, channels: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pump = make_pump(channels)
        self.ports = [self.pump.open(ch) for ch in range(channels)]
        self.sig = tone_frames(channels, 50, 600.0, 8000.0)
        self.out = np.empty((channels, 160), dtype=np.int16)
        self.kinds = np.empty(channels, dtype=np.uint8)

    def connect(self, remotes: list[int]) -> None:
        for ch, port in enumerate(remotes):
            self.pump.set_remote(ch, ("127.0.0.1", port))
            self.pump.randomize_send(ch, self.rng)

    def exchange(self, k: int) -> None:
        self.pump.exchange(self.sig[k % 50], out=self.out, kinds=self.kinds)

    def finish(self) -> tuple[int, int]:
        """(packets sent, datagrams read) after draining what is left."""
        while self.pump.receive():
            pass
        s = self.pump.stats()
        self.pump.free()
        return int(s.packets_sent.sum()), _read(s)


def _read(s: PumpStats) -> int:
    return int((s.audio + s.late + s.duplicate + s.probation + s.invalid_sequence + s.malformed).sum())


def peer_main(conn: Connection, channels: int, ticks: int, seed: int) -> None:
    """The peer in its own process, paced by the wall clock from the start instant it is given."""
    peer = Peer(channels, seed)
    conn.send(peer.ports)
    remotes, start = conn.recv()
    peer.connect(remotes)
    for k in range(ticks):
        pace(start, k)
        peer.exchange(k)
    conn.send("looped")
    conn.recv()  # the endpoint has sent its last packet too
    time.sleep(0.05)
    conn.send(peer.finish())


class CEndpoint:
    """The endpoint under test on the C pump: one exchange() per tick."""

    def __init__(self, channels: int, rng: random.Random) -> None:
        self.pump = make_pump(channels)
        self.ports = [self.pump.open(ch) for ch in range(channels)]
        self.rng = rng
        self.out = np.empty((channels, 160), dtype=np.int16)
        self.kinds = np.empty(channels, dtype=np.uint8)

    def connect(self, peer_ports: list[int]) -> None:
        for ch, port in enumerate(peer_ports):
            self.pump.set_remote(ch, ("127.0.0.1", port))
            self.pump.randomize_send(ch, self.rng)

    def exchange(self, frames: np.ndarray) -> int:
        """One tick; returns the channels that played no received audio."""
        self.pump.exchange(frames, out=self.out, kinds=self.kinds)
        return int(np.count_nonzero(self.kinds != 1))

    def finish(self) -> tuple[int, int]:
        """(packets sent, datagrams read) after draining what is left."""
        while self.pump.receive():
            pass
        s = self.pump.stats()
        self.pump.free()
        return int(s.packets_sent.sum()), _read(s)


class PythonEndpoint:
    """The pure-Python path: a socket, a ReceiveStream and a SendStream per channel."""

    def __init__(self, channels: int, rng: random.Random) -> None:
        self.socks = []
        for _ in range(channels):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            self.socks.append(s)
        self.ports = [s.getsockname()[1] for s in self.socks]
        self.rx = [ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=40)) for _ in range(channels)]
        self.tx = [SendStream.create(rng) for _ in range(channels)]
        self.remote: list[tuple[str, int]] = []
        self.pts = [0] * channels
        self.read = 0

    def connect(self, peer_ports: list[int]) -> None:
        self.remote = [("127.0.0.1", port) for port in peer_ports]

    def exchange(self, frames: np.ndarray) -> int:
        now_s = time.monotonic()
        for s, rx in zip(self.socks, self.rx):
            while True:
                try:
                    data, addr = s.recvfrom(2048)
                except BlockingIOError:
                    break
                self.read += 1
                rx.receive(data, addr, now_s)
        played = [rx.tick() for rx in self.rx]
        decode_frames(played)
        for s, tx, remote, codes in zip(self.socks, self.tx, self.remote, encode_frames(frames, self.pts)):
            for packet in tx.send_codes(codes):
                s.sendto(packet, remote)
        return sum(1 for f in played if f.kind is not FrameKind.AUDIO)

    def finish(self) -> tuple[int, int]:
        """(packets sent, datagrams read) after draining what is left."""
        for s, rx in zip(self.socks, self.rx):
            while True:
                try:
                    data, addr = s.recvfrom(2048)
                except BlockingIOError:
                    break
                self.read += 1
            s.close()
        return sum(tx.packet_count for tx in self.tx), self.read


def run(path: str, channels: int, seconds: float, seed: int, mode: str) -> Result:
    """One row: ``mode`` "paced" (peer in another process, both on the wall clock) or
    "lockstep" (peer and endpoint alternate in this thread, as fast as they go)."""
    ticks = int(seconds / TICK_S)
    rng = random.Random(seed)
    dut: CEndpoint | PythonEndpoint = CEndpoint(channels, rng) if path == "C pump" else PythonEndpoint(channels, rng)
    if mode == "paced":
        ctx = mp.get_context("fork")
        here, there = ctx.Pipe()
        proc = ctx.Process(target=peer_main, args=(there, channels, ticks, seed + 1))
        proc.start()
        dut.connect(here.recv())
        start = time.monotonic() + 0.2
        here.send((dut.ports, start))
        peer = None
    else:
        peer = Peer(channels, seed + 1)
        dut.connect(peer.ports)
        peer.connect(dut.ports)
        start = time.monotonic()
    sig = tone_frames(channels, 50, 1000.0, 8000.0)
    durations, gaps, late_ticks, cpu = [], 0, 0, 0.0
    for k in range(ticks):
        if peer is None:
            late_ticks += not pace(start, k)
        else:
            peer.exchange(k)
        c0, w0 = time.thread_time(), time.perf_counter()
        gap = dut.exchange(sig[k % 50])
        c1, w1 = time.thread_time(), time.perf_counter()
        if k >= WARMUP_TICKS:
            cpu += c1 - c0
            durations.append(w1 - w0)
            gaps += gap
    if peer is None:
        here.recv()  # the peer has sent its last packet
        here.send("looped")
    time.sleep(0.05)
    dut_sent, dut_read = dut.finish()
    if peer is None:
        peer_sent, peer_read = here.recv()
        proc.join(timeout=30)
    else:
        peer_sent, peer_read = peer.finish()
    cpu_per_tick_s = cpu / (ticks - WARMUP_TICKS)
    return Result(path, mode, channels, ticks, 100 * cpu_per_tick_s / TICK_S, 1e6 * cpu_per_tick_s,
                  1e6 * float(np.percentile(durations, 99)), peer_sent, peer_sent - dut_read, gaps,
                  dut_sent - peer_read, late_ticks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, nargs="+", default=[100, 500, 1000])
    ap.add_argument("--python-channels", type=int, default=100, help="pure-Python row (0: skip)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--mode", choices=("paced", "lockstep", "both"), default="both")
    args = ap.parse_args()
    modes = ("lockstep", "paced") if args.mode == "both" else (args.mode,)
    rows = []
    for mode in modes:
        rows += [run("C pump", n, args.seconds, 2026 + i, mode) for i, n in enumerate(args.channels)]
        if args.python_channels:
            rows.append(run("pure Python", args.python_channels, args.seconds, 2000, mode))
    print(f"{'path':<12} {'mode':<9} {'chans':>5} {'ticks':>5} {'CPU %':>6} {'CPU us':>7} {'p99 us':>7} "
          f"{'pkts in':>8} {'lost in':>7} {'gaps':>6} {'lost out':>8} {'late':>5}")
    for r in rows:
        print(f"{r.path:<12} {r.mode:<9} {r.channels:>5} {r.ticks:>5} {r.cpu_percent:>6.1f} {r.cpu_us:>7.0f} "
              f"{r.p99_us:>7.0f} {r.sent:>8} {r.not_read:>7} {r.gaps:>6} {r.lost_out:>8} {r.late_ticks:>5}")
    print("CPU %: CPU time (user+system, CLOCK_THREAD_CPUTIME_ID) of the endpoint's per-tick call / 20 ms, i.e. "
          "the share of one core it needs; p99 us: wall time of that call.  pkts in: sent by the peer; lost in: "
          "of those, never read by the endpoint; gaps: frames concealed or silent after warm-up; lost out: "
          "sent by the endpoint, never read by the peer; late: ticks that started over 20 ms late.")


if __name__ == "__main__":
    main()
