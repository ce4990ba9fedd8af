"""Helpers for driving SIPp against the SIP driver on 127.0.0.1 (bounded in time).

:func:`write_pcap` writes RTP datagrams as a libpcap file (Ethernet/IPv4/UDP, the format of
the tcpdump file header and record header) for SIPp's ``play_pcap_audio``; :func:`rfc4733_press`
builds the packets of one key press as RFC 4733 §2.3/§2.5 lays them out, by hand (the
driver's receiver is what is under test, so the test does not use pycti's sender).
"""

from __future__ import annotations

import asyncio
import shutil
import struct
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP = shutil.which("sipp")
LIMIT_S = 15.0

#: RFC 4733 §3.2: event codes of the DTMF keys
EVENT_CODE = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    """One RTP packet (RFC 3550 §5.1), version 2, no CSRC/extension."""
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def rfc4733_press(digit: str, ts: int, *, ticks: int = 5) -> list[tuple[bytes, bool]]:
    """(payload, marker) of one key press lasting ``ticks`` x 20 ms: start (marker), updates,
    and the end packet three times (RFC 4733 §2.5.1.4), volume 10 (-10 dBm0)."""
    code = EVENT_CODE[digit]
    out = [(struct.pack("!BBH", code, 10, 160 * k), k == 1) for k in range(1, ticks + 1)]
    end = struct.pack("!BBH", code, 0x80 | 10, 160 * ticks)
    return out + [(end, False)] * 3


def digits_stream(digits: str, *, ssrc: int = 0x5EED, pt: int = 101) -> list[tuple[float, bytes]]:
    """(time_s, datagram): 10 PCMU packets of a 1 kHz tone, then each digit as RFC 4733
    events separated by 5 audio packets, every 20 ms, one sequence space."""
    import numpy as np

    from pycti.dsp.g711 import ulaw_encode

    tone = (8000 * np.sin(2 * np.pi * 1000 * np.arange(160) / 8000)).astype(np.int16)
    audio = ulaw_encode(tone).tobytes()
    packets: list[tuple[float, bytes]] = []
    seq, ts, t = 1000, 16000, 0.0

    def push(p: int, payload: bytes, marker: bool, stamp: int) -> None:
        nonlocal seq, t
        packets.append((t, rtp(p, seq, stamp, ssrc, payload, marker)))
        seq += 1
        t += 0.02

    for _ in range(10):
        push(0, audio, False, ts)
        ts += 160
    for d in digits:
        press = rfc4733_press(d, ts)
        for payload, marker in press:
            push(pt, payload, marker, ts)
        ts += 160 * 8
        for _ in range(5):
            push(0, audio, False, ts)
            ts += 160
    return packets


def write_pcap(path: Path, datagrams: list[tuple[float, bytes]], *, dport: int = 6000) -> None:
    """A libpcap file (magic a1b2c3d4, linktype 1 Ethernet) of UDP datagrams 127.0.0.1 -> ``dport``."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for t, data in datagrams:
        udp = struct.pack("!HHHH", 5000, dport, 8 + len(data), 0) + data
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        checksum = _ip_checksum(ip)
        ip = ip[:10] + struct.pack("!H", checksum) + ip[12:]
        frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
        sec = int(t)
        out.append(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


async def run_sipp(args: list[str], cwd: Path) -> asyncio.subprocess.Process:
    """Start SIPp (``-m 1``, bounded by ``-timeout``) in the background; stdout/stderr piped."""
    assert SIPP is not None
    return await asyncio.create_subprocess_exec(
        SIPP, *args, "-m", "1", "-timeout", f"{int(LIMIT_S)}s", "-timeout_error", "-nostdin",
        cwd=str(cwd), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def finish(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    """Wait (bounded) for SIPp to end; (exit code, its output)."""
    try:
        out, err = await asyncio.wait_for(proc.communicate(), LIMIT_S + 5)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    return int(proc.returncode or 0), (out + err).decode(errors="replace")
