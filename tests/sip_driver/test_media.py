"""Real audio both ways and RFC 4733 digits out, with a hand-written SIP/RTP peer on 127.0.0.1
(driver level): the peer calls in offering PCMU + telephone-event, the switch side answers,
a 1 kHz tone from the peer arrives in ``exchange``'s inbound frames, a 440 Hz tone given to
``exchange`` arrives at the peer as PCMU, ``send_digits`` sends RFC 4733 events (RFC 4733
§2.5), and the switch's release sends BYE to the peer's Contact."""

from __future__ import annotations

import asyncio
import socket
import struct

import numpy as np

from pycti.drivers.base import IncomingCall
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig
from pycti.dsp.g711 import ulaw_decode, ulaw_encode

SR = 8000


def tone(freq_hz: float, n: int, start: int) -> np.ndarray:
    t = np.arange(start, start + n) / SR
    return (8000 * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)


def peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(float) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * SR / len(x))


def udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    return s


def recv_all(s: socket.socket) -> list[bytes]:
    out = []
    for _ in range(10_000):
        try:
            out.append(s.recv(65535))
        except BlockingIOError:
            break
    return out


async def call_in(sip: SipDriver, sip_sock: socket.socket, sdp_rtp_port: int) -> int:
    """The peer's INVITE (PCMU + telephone-event at ``sdp_rtp_port``), the driver's answer,
    the peer's ACK; returns the driver's RTP port from its SDP answer."""
    sip_port = sip_sock.getsockname()[1]
    body = ("v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {sdp_rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n")
    head = (f"Via: SIP/2.0/UDP 127.0.0.1:{sip_port};branch=z9hG4bK-media-{{b}}\r\nMax-Forwards: 70\r\n"
            "From: <sip:13500135000@127.0.0.1>;tag=peer1\r\nTo: <sip:8888@127.0.0.1>{to_tag}\r\n"
            "Call-ID: media@peer\r\n")
    dest = ("127.0.0.1", sip.sip_port)
    sip_sock.sendto((f"INVITE sip:8888@127.0.0.1:{sip.sip_port} SIP/2.0\r\n" + head.format(b=1, to_tag="")
                     + f"CSeq: 1 INVITE\r\nContact: <sip:peer@127.0.0.1:{sip_port}>\r\n"
                     f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode(), dest)
    events: list[object] = []
    for _ in range(100):
        events += sip.poll()
        if events:
            break
        await asyncio.sleep(0.01)
    assert isinstance(events[0], IncomingCall) and events[0].called == "8888"
    sip.answer(0)
    ok = b""
    for _ in range(100):
        ok = next((d for d in recv_all(sip_sock) if d.startswith(b"SIP/2.0 200")), b"")
        if ok:
            break
        await asyncio.sleep(0.01)
    text = ok.decode()
    to_tag = text.split("\r\nTo: ")[1].split("\r\n")[0].split("tag=")[1]
    assert "a=rtpmap:101 telephone-event/8000" in text and "RTP/AVP 0 101" in text
    sip_sock.sendto((f"ACK sip:pycti@127.0.0.1:{sip.sip_port} SIP/2.0\r\n" + head.format(b=2, to_tag=f";tag={to_tag}")
                     + "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode(), dest)
    return int(text.split("m=audio ")[1].split()[0])


async def test_audio_both_ways_digits_out_and_bye() -> None:
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=1)
    sip_sock, rtp_sock = udp(), udp()
    sip_port, rtp_port = sip_sock.getsockname()[1], rtp_sock.getsockname()[1]
    async with SipDriver(SipDriverConfig(listen_port=0, trunks=(trunk,), seed=21)) as sip:
        pycti_rtp = await call_in(sip, sip_sock, rtp_port)
        inbound, heard = [], []
        for k in range(40):  # 0.8 s: the peer's 1 kHz tone in, our 440 Hz tone out
            payload = ulaw_encode(tone(1000, 160, 160 * k)).tobytes()
            rtp_sock.sendto(struct.pack("!BBHII", 0x80, 0, 7000 + k, 160 * k, 0xABCD) + payload,
                            ("127.0.0.1", pycti_rtp))
            sip.poll()
            out = np.zeros((1, 160), dtype=np.int16)
            out[0] = tone(440, 160, 160 * k)
            inbound.append(sip.exchange(out)[0].copy())
            heard += recv_all(rtp_sock)
            await asyncio.sleep(0.02)
        got_in = np.concatenate(inbound[-16:])
        assert abs(peak_hz(got_in) - 1000) < 20
        assert 5000 < np.sqrt(np.mean(got_in.astype(float) ** 2)) < 6300  # 8000/sqrt(2), through G.711
        audio = [d for d in heard if d[1] & 0x7F == 0]
        assert len(audio) > 20 and {len(d) for d in audio} == {172}  # 12 + 160 octets of PCMU
        got_out = np.concatenate([ulaw_decode(np.frombuffer(d[12:], dtype=np.uint8)) for d in audio[-16:]])
        assert abs(peak_hz(got_out) - 440) < 20
        assert sip.send_digits(0, "5")
        assert not sip.send_digits(0, "5E")  # not a key pycti sends
        events = []
        for _ in range(20):
            events += sip.poll()
            sip.exchange(np.zeros((1, 160), dtype=np.int16))
            heard += recv_all(rtp_sock)
            await asyncio.sleep(0.02)
        dtmf = [d for d in heard if d[1] & 0x7F == 101]
        assert dtmf, "no RFC 4733 packets"
        fields = [struct.unpack("!BBH", d[12:16]) for d in dtmf]
        assert {f[0] for f in fields} == {5}  # event 5 (RFC 4733 §3.2)
        assert dtmf[0][1] & 0x80  # the marker on the first packet (§2.5.1.2)
        assert len({d[4:8] for d in dtmf}) == 1  # one timestamp for the whole event
        assert any(f[1] & 0x80 for f in fields)  # and the E bit at its end
        durations = [f[2] for f in fields]
        assert durations == sorted(durations) and durations[-1] >= 800  # 100 ms
        sip.release(0)  # the switch hangs up: BYE to the peer's Contact
        bye = b""
        for _ in range(100):
            bye = next((d for d in recv_all(sip_sock) if d.startswith(b"BYE ")), b"")
            if bye:
                break
            await asyncio.sleep(0.01)
        assert bye.startswith(f"BYE sip:peer@127.0.0.1:{sip_port} SIP/2.0".encode())
    sip_sock.close()
    rtp_sock.close()


async def test_rtp_latches_to_the_source_behind_a_nat() -> None:
    """The peer's SDP names a port nobody listens on (its private address behind a NAT); it
    sends from another: after its first packets, pycti's audio goes there (RFC 4961)."""
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=1)
    sip_sock, rtp_sock, unused = udp(), udp(), udp()
    advertised = unused.getsockname()[1]
    unused.close()
    async with SipDriver(SipDriverConfig(listen_port=0, trunks=(trunk,), seed=22)) as sip:
        pycti_rtp = await call_in(sip, sip_sock, advertised)
        heard: list[bytes] = []
        for k in range(25):
            rtp_sock.sendto(struct.pack("!BBHII", 0x80, 0, 100 + k, 160 * k, 0x1234) + b"\xff" * 160,
                            ("127.0.0.1", pycti_rtp))
            sip.poll()
            sip.exchange(tone(440, 160, 160 * k).reshape(1, 160))
            heard += recv_all(rtp_sock)
            await asyncio.sleep(0.02)
        audio = [d for d in heard if len(d) == 172 and d[1] & 0x7F == 0]
        assert len(audio) > 10
        sip.release(0)
    sip_sock.close()
    rtp_sock.close()
