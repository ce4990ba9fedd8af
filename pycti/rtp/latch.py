"""Symmetric RTP (RFC 4961) and latching for NAT: where to send a stream's packets.

A party behind a NAT cannot know its public address, so the address in its SDP may be
unreachable.  Because RFC 4961 endpoints send from the port they receive on, the source
address of the packets they send is where to reach them.  :class:`SymmetricRtpLatch` starts
by sending to the SDP address and, on the first *valid* packet (RTP version 2, a negotiated
payload type, the expected SSRC if the SDP named one) from another address, latches to that
address, once per SSRC.  Once a source is established, packets from any other address are
rejected -- with a different SSRC they are spoofed or stray, with the same SSRC the latch has
already been made -- unless the established source has been silent for ``relatch_after_s``,
when a packet of a new SSRC may move the latch (a media server taking over after a transfer).
Packets from the current remote address are always accepted; a new SSRC from it is recorded.

Pure logic: :meth:`SymmetricRtpLatch.decide` takes (packet, source address, ``now_s``) and
returns a :class:`LatchDecision`; the one transition table maps (state, input) to the
decision and the next state.
"""

from __future__ import annotations

import enum
from typing import Callable

from pycti.rtp.packet import RtpError, RtpPacket, parse_rtp

__all__ = ["Address", "LatchDecision", "LatchState", "SymmetricRtpLatch"]

#: (host, port) as a socket gives it.
Address = tuple[str, int]


class LatchDecision(enum.Enum):
    """Verdict on one received packet."""

    ACCEPT = "accept"  #: from the current remote address: use it
    LATCH = "latch"  #: valid, from a new address: use it, and send there from now on
    REJECT_SPOOF = "reject_spoof"  #: another address with another SSRC: drop
    REJECT_RELATCH = "reject_relatch"  #: another address with the SSRC already latched: drop
    REJECT_INVALID = "reject_invalid"  #: malformed, unexpected PT or SSRC: drop


class LatchState(enum.Enum):
    """Whether a source has been established."""

    WAITING = "waiting"  #: sending to the SDP address, no valid packet yet
    ESTABLISHED = "established"  #: a source (SSRC, address) is known


class _In(enum.Enum):
    INVALID = "invalid"
    FROM_REMOTE = "from_remote"
    OTHER_ADDRESS = "other_address"
    OTHER_SAME_SSRC = "other_same_ssrc"
    OTHER_NEW_SSRC = "other_new_ssrc"
    OTHER_AFTER_SILENCE = "other_after_silence"


class SymmetricRtpLatch:
    """Decides the remote RTP address of one stream (see the module docstring).

    ``sdp_address`` is the address of the remote SDP (``c=`` and ``m=`` port);
    ``payload_types`` the negotiated ones; ``expected_ssrc`` from ``a=ssrc`` if any;
    ``latching`` False keeps the SDP address (only validity checks apply).
    """

    def __init__(self, sdp_address: Address, payload_types: frozenset[int], *, expected_ssrc: int | None = None,
                 latching: bool = True, relatch_after_s: float = 2.0) -> None:
        self.payload_types = payload_types
        self.expected_ssrc = expected_ssrc
        self.latching = latching
        self.relatch_after_s = relatch_after_s
        self.reset(sdp_address)

    def reset(self, sdp_address: Address, payload_types: frozenset[int] | None = None) -> None:
        """Start over with a new remote SDP (a re-INVITE): back to the SDP address."""
        self.sdp_address = sdp_address
        self.remote: Address = sdp_address  #: where to send RTP now
        if payload_types is not None:
            self.payload_types = payload_types
        self.state = LatchState.WAITING
        self.ssrc: int | None = None  #: SSRC of the established source
        self._latched_ssrcs: set[int] = set()
        self._last_s = 0.0

    @property
    def latched(self) -> bool:
        """True when the remote address moved away from the SDP address."""
        return self.remote != self.sdp_address

    def decide_bytes(self, data: bytes, source: Address, now_s: float) -> LatchDecision:
        """:meth:`decide` on raw bytes; a malformed packet is ``REJECT_INVALID``."""
        try:
            packet = parse_rtp(data)
        except RtpError:
            return LatchDecision.REJECT_INVALID
        return self.decide(packet, source, now_s)

    def decide(self, packet: RtpPacket, source: Address, now_s: float) -> LatchDecision:
        """The verdict on ``packet`` from ``source`` at ``now_s``; updates :attr:`remote`."""
        return self.decide_fields(packet.payload_type, packet.ssrc, source, now_s)

    def decide_fields(self, payload_type: int, ssrc: int, source: Address, now_s: float) -> LatchDecision:
        """:meth:`decide` from the two header fields it looks at (the per-packet fast path)."""
        if source == self.remote and self.state is LatchState.ESTABLISHED and ssrc == self.ssrc \
                and payload_type in self.payload_types:
            self._last_s = now_s
            return LatchDecision.ACCEPT
        kind = self._classify(payload_type, ssrc, source, now_s)
        action, nxt = _TABLE[(self.state, kind)]
        decision = action(self, ssrc, source, now_s)
        if decision is LatchDecision.ACCEPT or decision is LatchDecision.LATCH:
            self.state = nxt
        return decision

    def _classify(self, payload_type: int, ssrc: int, source: Address, now_s: float) -> _In:
        if payload_type not in self.payload_types or (self.expected_ssrc is not None and ssrc != self.expected_ssrc):
            return _In.INVALID
        if source == self.remote:
            return _In.FROM_REMOTE
        if not self.latching:
            return _In.INVALID
        if self.state is LatchState.WAITING:
            return _In.OTHER_ADDRESS
        if ssrc == self.ssrc or ssrc in self._latched_ssrcs:
            return _In.OTHER_SAME_SSRC
        if now_s - self._last_s >= self.relatch_after_s:
            return _In.OTHER_AFTER_SILENCE
        return _In.OTHER_NEW_SSRC

    # -- actions -------------------------------------------------------------------------------
    def _accept(self, ssrc: int, source: Address, now_s: float) -> LatchDecision:
        self.ssrc = ssrc
        self._last_s = now_s
        return LatchDecision.ACCEPT

    def _latch(self, ssrc: int, source: Address, now_s: float) -> LatchDecision:
        self.remote = source
        self.ssrc = ssrc
        self._latched_ssrcs.add(ssrc)
        self._last_s = now_s
        return LatchDecision.LATCH

    def _invalid(self, ssrc: int, source: Address, now_s: float) -> LatchDecision:
        return LatchDecision.REJECT_INVALID

    def _spoof(self, ssrc: int, source: Address, now_s: float) -> LatchDecision:
        return LatchDecision.REJECT_SPOOF

    def _relatch(self, ssrc: int, source: Address, now_s: float) -> LatchDecision:
        return LatchDecision.REJECT_RELATCH


_Action = Callable[[SymmetricRtpLatch, int, Address, float], LatchDecision]
_W, _E = LatchState.WAITING, LatchState.ESTABLISHED
#: (state, input) -> (action, next state when the packet is accepted).
_TABLE: dict[tuple[LatchState, _In], tuple[_Action, LatchState]] = {
    (_W, _In.INVALID): (SymmetricRtpLatch._invalid, _W),
    (_W, _In.FROM_REMOTE): (SymmetricRtpLatch._accept, _E),
    (_W, _In.OTHER_ADDRESS): (SymmetricRtpLatch._latch, _E),
    (_E, _In.INVALID): (SymmetricRtpLatch._invalid, _E),
    (_E, _In.FROM_REMOTE): (SymmetricRtpLatch._accept, _E),
    (_E, _In.OTHER_SAME_SSRC): (SymmetricRtpLatch._relatch, _E),
    (_E, _In.OTHER_NEW_SSRC): (SymmetricRtpLatch._spoof, _E),
    (_E, _In.OTHER_AFTER_SILENCE): (SymmetricRtpLatch._latch, _E),
}
