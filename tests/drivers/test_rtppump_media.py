"""Two pumps on 127.0.0.1 exchange G.711 tones both ways on 64 channels, decoded and checked by
frequency and level; a remote address change takes effect; IPv6 works where the host has it."""

from __future__ import annotations

import random
import select
import socket
import time

import numpy as np
import pytest

from pycti.drivers.rtppump import PlayedFrame, RtpPump, RtpPumpConfig, SideKind
from pycti.rtp.packet import parse_rtp

N = 64
TICKS = 60
RATE_HZ = 8000


def tones(freqs_hz: np.ndarray, amp: float, ticks: int) -> np.ndarray:
    """(channels, ticks * 160) int16 sines, one frequency per channel."""
    n = np.arange(160 * ticks)
    return np.round(amp * np.sin(2 * np.pi * freqs_hz[:, None] * n[None, :] / RATE_HZ)).astype(np.int16)


def peak_and_amplitude(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: frequency of the largest FFT bin (Hz) and its sine amplitude (Hann window)."""
    w = np.hanning(x.shape[1])
    spec = np.abs(np.fft.rfft(x * w, axis=1))
    k = spec.argmax(axis=1)
    return k * RATE_HZ / x.shape[1], 2 * spec[np.arange(len(k)), k] / w.sum()


def pair(n: int, rng: random.Random) -> tuple[RtpPump, RtpPump]:
    a, b = RtpPump(n), RtpPump(n)
    for i in range(n):
        pa, pb = a.open(i), b.open(i)
        a.set_remote(i, ("127.0.0.1", pb))
        b.set_remote(i, ("127.0.0.1", pa))
        law = 8 if i % 2 else 0  # odd channels PCMA, even PCMU
        a.randomize_send(i, rng, payload_type=law)
        b.randomize_send(i, rng, payload_type=law)
    return a, b


def drain(pump: RtpPump, expected: int) -> None:
    """Read until ``expected`` datagrams arrived (loopback delivers at once; bounded anyway)."""
    got = 0
    for _ in range(200):
        got += pump.receive()
        if got >= expected:
            return
        time.sleep(0.001)
    raise AssertionError(f"only {got} of {expected} datagrams arrived")


def test_tone_both_ways_on_64_channels_arrives_at_frequency_and_level_without_loss() -> None:
    rng = random.Random(7)
    a, b = pair(N, rng)
    fa = 300.0 + 25.0 * np.arange(N)  # a sends 300..1875 Hz, b sends 1 kHz on every channel
    sig_a = tones(fa, 8000.0, TICKS)
    sig_b = tones(np.full(N, 1000.0), 5000.0, TICKS)
    got_a, got_b, kinds_a = [], [], []
    with a, b:
        for k in range(TICKS):
            sl = slice(160 * k, 160 * (k + 1))
            assert a.send(sig_a[:, sl]) == N
            assert b.send(sig_b[:, sl]) == N
            drain(a, N)
            drain(b, N)
            out_a, kind_a = a.tick()
            out_b, _ = b.tick()
            got_a.append(out_a.copy())
            got_b.append(out_b.copy())
            kinds_a.append(kind_a.copy())
        sa, sb = a.stats(), b.stats()
    # b heard a's tones, a heard b's 1 kHz, after 2 frames of playout delay + 1 of probation
    heard_b = np.concatenate(got_b[10:], axis=1)
    heard_a = np.concatenate(got_a[10:], axis=1)
    f_b, amp_b = peak_and_amplitude(heard_b.astype(float))
    f_a, amp_a = peak_and_amplitude(heard_a.astype(float))
    bin_hz = RATE_HZ / heard_b.shape[1]
    assert np.all(np.abs(f_b - fa) <= bin_hz)
    assert np.all(np.abs(f_a - 1000.0) <= bin_hz)
    assert np.all(np.abs(20 * np.log10(amp_b / 8000.0)) < 0.5)
    assert np.all(np.abs(20 * np.log10(amp_a / 5000.0)) < 0.5)
    # the decoded audio is the sent audio delayed by exactly 3 frames, sample for sample close
    assert np.max(np.abs(heard_b[:, : 160 * 40].astype(int) - sig_a[:, 160 * 7 : 160 * 47])) < 8000 * 0.07
    for s in (sa, sb):
        assert np.all(s.received == TICKS) and np.all(s.lost == 0)
        assert np.all(s.late == 0) and np.all(s.duplicate == 0) and np.all(s.concealed == 0)
        assert np.all(s.packets_sent == TICKS) and np.all(s.send_dropped == 0)
    assert all(np.all(k == PlayedFrame.AUDIO) for k in kinds_a[3:])


def test_remote_address_change_takes_effect() -> None:
    rng = random.Random(3)
    pump = RtpPump(1)
    old, new = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pump, old, new:
        for s in (old, new):
            s.bind(("127.0.0.1", 0))
            s.settimeout(2.0)
        pump.open(0)
        state = pump.randomize_send(0, rng)
        pump.set_remote(0, old.getsockname())
        frame = np.zeros((1, 160), dtype=np.int16)
        pump.send(frame)
        first = parse_rtp(old.recv(2048))
        pump.set_remote(0, new.getsockname())
        pump.send(frame)
        second = parse_rtp(new.recv(2048))
        old.setblocking(False)
        with pytest.raises(BlockingIOError):
            old.recv(2048)  # nothing more went to the old address
    assert (first.ssrc, first.sequence, first.timestamp, first.marker) == (state.ssrc, state.sequence,
                                                                           state.timestamp, True)
    assert second.sequence == (state.sequence + 1) & 0xFFFF and second.timestamp == (state.timestamp + 160) & 0xFFFFFFFF
    assert not second.marker and second.payload == bytes([0xFF]) * 160  # mu-law zero


def test_mask_pauses_a_channel_and_restarts_it_with_a_marker() -> None:
    rng = random.Random(4)
    pump = RtpPump(2)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pump, sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(2.0)
        for ch in range(2):
            pump.open(ch)
            pump.randomize_send(ch, rng)
            pump.set_remote(ch, sink.getsockname())
        start = pump.send_state(1)
        frames = np.zeros((2, 160), dtype=np.int16)
        sent = [pump.send(frames, np.array([True, m])) for m in (True, False, False, True)]
        packets = [parse_rtp(sink.recv(2048)) for _ in range(sum(sent))]
    assert sent == [2, 1, 1, 2]
    ch1 = [p for p in packets if p.ssrc == start.ssrc]
    assert [p.marker for p in ch1] == [True, True]
    assert ch1[1].timestamp == (start.timestamp + 3 * 160) & 0xFFFFFFFF  # the clock ran on
    assert ch1[1].sequence == (start.sequence + 1) & 0xFFFF  # but no sequence numbers were spent


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this host")
def test_ipv6_channels_exchange_audio_and_report_the_source() -> None:
    rng = random.Random(5)
    a, b = RtpPump(1), RtpPump(1)
    with a, b:
        pa, pb = a.open(0, "::1"), b.open(0, "::1")
        a.set_remote(0, ("::1", pb))
        b.set_remote(0, ("::1", pa))
        a.randomize_send(0, rng)
        sig = tones(np.array([1000.0]), 6000.0, 10)
        for k in range(10):
            a.send(sig[:, 160 * k : 160 * (k + 1)])
            drain(b, 1)
        side = b.side_packets()
        assert b.stats().received[0] == 10
        assert side[0].kind is SideKind.SOURCE_ADDRESS and side[0].source == ("::1", pa)


def test_exchange_is_receive_tick_and_send_in_one_call() -> None:
    rng = random.Random(6)
    a, b = pair(8, rng)
    sig = tones(np.full(8, 1000.0), 7000.0, 20)
    with a, b:
        fds = [a.fileno(ch) for ch in range(8)]
        played = []
        for k in range(20):
            b.send(sig[:, 160 * k : 160 * (k + 1)])
            ready: set[int] = set()
            for _ in range(100):  # every socket readable before the one-call tick (bounded wait)
                ready |= set(select.select(fds, [], [], 0.01)[0])
                if len(ready) == len(fds):
                    break
            out, kinds = a.exchange(sig[:, 160 * k : 160 * (k + 1)])
            played.append(kinds.copy())
            drain(b, 8)  # exchange sent one packet per channel
        sa = a.stats()
    assert np.all(sa.received == 20) and np.all(sa.packets_sent == 20)
    assert [int(k[0]) for k in played[:4]] == [PlayedFrame.SILENCE] * 3 + [PlayedFrame.AUDIO]
    assert all(np.all(k == PlayedFrame.AUDIO) for k in played[3:])
    heard = out.astype(float)
    assert np.all(np.abs(20 * np.log10(np.sqrt(2 * np.mean(heard**2, axis=1)) / 7000.0)) < 0.5)


def test_closed_channels_are_skipped_and_a_reopened_channel_starts_afresh() -> None:
    rng = random.Random(8)
    a, b = pair(3, rng)
    sig = tones(np.full(3, 1000.0), 7000.0, 1)
    with a, b:
        for _ in range(3):
            a.send(sig)
            drain(b, 3)
            b.tick()
        b.close(1)
        assert not b.is_open(1)
        assert a.send(sig) == 3  # a still sends to the closed port: nobody reads it
        drain(b, 2)
        _, kinds = b.tick()
        assert int(kinds[1]) == PlayedFrame.SILENCE
        port = b.open(1)
        a.set_remote(1, ("127.0.0.1", port))
        a.send(sig)
        drain(b, 3)
        s = b.stats()
    assert s.audio.tolist() == [4, 0, 4] and s.probation.tolist() == [1, 1, 1]  # 5 sent; 1 on reopen
    assert s.new_sources.tolist() == [1, 1, 1]  # channel 1's counters started over on open
