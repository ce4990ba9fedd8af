"""Error correction mode (T.30 Annex A, T.4 Annex A): partial pages of FCD frames.

A page's coded data is cut into frames of 64 or 256 octets (the DCS bit 28 choice; the last
frame of a page may be shorter), frames are grouped into partial pages (blocks) of at most 256,
numbered 0..255 within the block.  The image modem carries the block's FCD frames followed by
three RCP frames (T.4 A.3.6: "return to control for partial page").  The receiver keeps the
frames whose FCS was good, learns from PPS how many the block had, and asks for the missing
ones with PPR's frame map until the block is whole.

:class:`EcmPageSender` is the transmitting half, :class:`EcmBlockReceiver` the receiving half.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pycti.fax.t30_frames import Fcf, FrameError, T30Frame, decode_fcd, encode_fcd

__all__ = ["FRAMES_PER_BLOCK", "RCP_REPEATS", "EcmBlockReceiver", "EcmPageSender"]

FRAMES_PER_BLOCK = 256  # T.30 A.1: a partial page holds at most 256 frames
RCP_REPEATS = 3  # T.4 A.3.6.2: RCP is sent three times at the end of a partial page


@dataclass(slots=True)
class EcmPageSender:
    """One page cut into blocks of FCD payloads; ``block`` is the block being sent."""

    blocks: list[list[bytes]]
    block: int = 0

    @classmethod
    def from_page(cls, data: bytes, frame_octets: int) -> EcmPageSender:
        """Cut ``data`` into ``frame_octets`` frames (64 or 256) and blocks of up to 256."""
        if frame_octets not in (64, 256):
            raise FrameError(f"ECM frame size {frame_octets} octets, T.30 allows 64 or 256")
        if not data:
            raise FrameError("an ECM page needs at least one octet of coded data")
        frames = [data[i:i + frame_octets] for i in range(0, len(data), frame_octets)]
        blocks = [frames[i:i + FRAMES_PER_BLOCK] for i in range(0, len(frames), FRAMES_PER_BLOCK)]
        return cls(blocks=blocks)

    @property
    def frame_count(self) -> int:
        """Frames in the current block."""
        return len(self.blocks[self.block])

    @property
    def last_block(self) -> bool:
        """True when the current block ends the page."""
        return self.block == len(self.blocks) - 1

    def frames(self, wanted: frozenset[int] | None = None) -> tuple[bytes, ...]:
        """The encoded FCD frames of the current block (all, or only the numbers in
        ``wanted``, in order), then the three RCP frames."""
        payloads = self.blocks[self.block]
        numbers = range(len(payloads)) if wanted is None else sorted(
            n for n in wanted if n < len(payloads))
        rcp = T30Frame(fcf=Fcf.RCP, final=False).encode()
        return tuple(encode_fcd(n, payloads[n]) for n in numbers) + (rcp,) * RCP_REPEATS


@dataclass(slots=True)
class EcmBlockReceiver:
    """The frames of the block being received, by frame number; ``rcp_seen`` once an RCP came."""

    frames: dict[int, bytes] = field(default_factory=dict)
    rcp_seen: bool = False

    def add(self, frame: T30Frame) -> None:
        """Keep an FCD frame (a later good copy replaces nothing: frames are identical), note
        an RCP; other codes are a :class:`FrameError`."""
        if frame.fcf is Fcf.RCP:
            self.rcp_seen = True
            return
        if frame.fcf is not Fcf.FCD:
            raise FrameError(f"{frame.fcf.name} is not an ECM image frame (FCD or RCP)")
        number, data = decode_fcd(frame.fif)
        self.frames.setdefault(number, data)

    def missing(self, frame_count: int) -> frozenset[int]:
        """The numbers among ``0..frame_count-1`` not yet received with a good FCS."""
        return frozenset(n for n in range(frame_count) if n not in self.frames)

    def data(self, frame_count: int) -> bytes:
        """The block's coded data, frames in order; :class:`FrameError` if any is missing."""
        gaps = self.missing(frame_count)
        if gaps:
            raise FrameError(f"ECM block still misses frames {sorted(gaps)}")
        return b"".join(self.frames[n] for n in range(frame_count))

    def reset(self) -> None:
        """Forget the block (it was confirmed with MCF)."""
        self.frames.clear()
        self.rcp_seen = False
