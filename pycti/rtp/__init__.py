"""RTP media transport logic for the SIP driver, sans-I/O (RFC 3550, 3551, 4733, 4961).

Bytes, source addresses and ``now_s`` go in; packets, 20 ms G.711 frames, digit events and
decisions come out.  No sockets, no clock, no asyncio: the driver's pump owns those.

* :mod:`~pycti.rtp.packet` -- RTP header parse/build (RFC 3550 §5.1);
* :mod:`~pycti.rtp.stats` -- sequence validation, loss and jitter (RFC 3550 A.1, A.3, A.8);
* :mod:`~pycti.rtp.jitter` -- playout buffer, 20 ms frames, concealment, batch decode;
* :mod:`~pycti.rtp.telephone_event` -- RFC 4733 DTMF sender and receiver;
* :mod:`~pycti.rtp.rtcp` -- SR, RR, SDES, BYE, compound packets, interval (RFC 3550 §6);
* :mod:`~pycti.rtp.latch` -- symmetric RTP / NAT latching (RFC 4961);
* :mod:`~pycti.rtp.stream` -- receive and send streams built from the above.
"""

from __future__ import annotations

from pycti.rtp.jitter import Frame, FrameKind, JitterBuffer, JitterConfig, JitterConfigError, decode_frames
from pycti.rtp.latch import Address, LatchDecision, SymmetricRtpLatch
from pycti.rtp.packet import RtpError, RtpPacket, build_rtp, parse_rtp
from pycti.rtp.stream import ReceiveStream, RxResult, SendStream, encode_frames, rtcp_bye, rtcp_report
from pycti.rtp.telephone_event import DigitReceived, TelephoneEventError, TelephoneEventReceiver, TelephoneEventSender

__all__ = [
    "Address",
    "DigitReceived",
    "Frame",
    "FrameKind",
    "JitterBuffer",
    "JitterConfig",
    "JitterConfigError",
    "LatchDecision",
    "ReceiveStream",
    "RtpError",
    "RtpPacket",
    "RxResult",
    "SendStream",
    "SymmetricRtpLatch",
    "TelephoneEventError",
    "TelephoneEventReceiver",
    "TelephoneEventSender",
    "build_rtp",
    "decode_frames",
    "encode_frames",
    "parse_rtp",
    "rtcp_bye",
    "rtcp_report",
]
