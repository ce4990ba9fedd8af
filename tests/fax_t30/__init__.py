"""Tests of the T.30 engine, and the simulated line they share.

:class:`Line` connects two :class:`~pycti.fax.t30.T30Engine` s (or one, for a call nobody
answers) in virtual time.  It turns one side's actions into the other side's inputs the way a
half-duplex fax line does: V.21 frames arrive when their transmission ends (1 s of flag
preamble plus the frame bits at 300 bit/s, T.30 5.3.1), TCF and image data only when the
receiver listens to that modem at that rate, image-modem carriers come up after the modem's
training time.  Faults are injected through hooks: drop or corrupt a V.21 frame, shorten the
TCF's run of zeros at some rates, corrupt ECM frames' FCS, damage non-ECM image octets.

:class:`CodecSource` / :class:`CodecSink` back the pages with pycti's T.4/T.6 coder, so a page
travels as real MH/MR/MMR data and the sink's line count comes from decoding it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import numpy as np

from pycti.fax.t30 import T30Engine
from pycti.fax.t30_dis import ModemRate, Modem
from pycti.fax.t30_frames import Fcf, T30Frame
from pycti.fax.t30_io import (
    Abort,
    CarrierDown,
    CarrierUp,
    Completed,
    FrameReceived,
    ImageReceived,
    LineDropped,
    PageCheck,
    PageParams,
    ReceivedPage,
    ReceiveHighSpeed,
    ReceiveV21,
    SendEcmFrames,
    SendFrames,
    SendImage,
    SendTcf,
    SetTimer,
    T30Action,
    T30Input,
    TcfReceived,
    TransmitDone,
    WaitSilence,
)
from pycti.fax.t4 import decode_page, encode_page
from pycti.fax.t4_types import Resolution

A = TypeVar("A")
V21_BPS = 300
PREAMBLE_S = 1.0  # T.30 5.3.1: 1 s +/- 15 % of flags before the first frame
#: Training times of the image modems (long training for TCF and the first page): V.27ter
#: 4800 bit/s 708 ms, 2400 bit/s 943 ms; V.29 253 ms; V.17 long train 1393 ms.
TRAIN_S = {Modem.V27TER: 0.708, Modem.V29: 0.253, Modem.V17: 1.393}


def frame_seconds(frames: tuple[bytes, ...], bps: int) -> float:
    """Air time of HDLC frames: each with its 16-bit FCS and a closing flag."""
    return sum((len(f) + 3) * 8 for f in frames) / bps


@dataclass
class Side:
    """One end of the line."""

    name: str
    engine: T30Engine | None
    rx: ReceiveV21 | ReceiveHighSpeed = field(default_factory=ReceiveV21)
    tx_free_s: float = 0.0
    silence_s: float = 0.0
    actions: list[tuple[float, T30Action]] = field(default_factory=list)
    completed: Completed | None = None

    @property
    def outcome(self) -> Completed:
        """The Completed action (the call must have ended)."""
        assert self.completed is not None, f"{self.name} did not complete"
        return self.completed

    def of(self, kind: type[A]) -> list[A]:
        """The actions of one type this side's engine returned, in order."""
        return [a for _, a in self.actions if isinstance(a, kind)]

    def sent_fcfs(self) -> list[Fcf]:
        """FCFs of the V.21 frames this side sent, in order."""
        return [T30Frame.decode(f).fcf for a in self.of(SendFrames) for f in a.frames]


V21Hook = Callable[[str, Fcf, int], str]  # (sender, fcf, nth frame of that fcf) -> ok/drop/corrupt


@dataclass
class Line:
    """A simulated fax line between ``caller`` and ``answerer`` in virtual time."""

    caller: Side
    answerer: Side
    v21_hook: V21Hook | None = None
    tcf_zero_ms: Callable[[ModemRate, int], int] | None = None
    ecm_bad: Callable[[int, int], bool] | None = None  # (transmission, frame number) -> corrupt
    image_damage: Callable[[int, bytes], bytes] | None = None  # (nth page sent, data) -> data
    drop_line_at_s: float | None = None
    #: carries a V.21 transmission (payloads in, received frames out); None: the frames as sent
    v21_channel: Callable[[tuple[bytes, ...]], list[FrameReceived]] | None = None
    hangup_delay_s: float = 0.5  # a side that completed hangs up; the other sees it this late
    now_s: float = 0.0
    _queue: list[tuple[float, int, str, object]] = field(default_factory=list)
    _seq: int = 0
    _counts: dict[tuple[str, Fcf], int] = field(default_factory=dict)
    _ecm_tx: int = 0
    _pages: int = 0

    def other(self, side: Side) -> Side:
        return self.answerer if side is self.caller else self.caller

    def _at(self, when: float, side: Side, item: object) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, side.name, item))

    def inject(self, when_s: float, side: Side, inp: T30Input) -> None:
        """Feed ``inp`` to ``side`` at ``when_s`` (a local abort, a line drop ...)."""
        self._at(when_s, side, inp)

    def _side(self, name: str) -> Side:
        return self.caller if name == self.caller.name else self.answerer

    # ------------------------------------------------------------ actions -> line

    def perform(self, side: Side, actions: list[T30Action]) -> None:
        """Carry out one batch of a side's actions at ``now_s``."""
        for action in actions:
            side.actions.append((self.now_s, action))
            if isinstance(action, WaitSilence):
                side.silence_s += action.duration_ms / 1000
            elif isinstance(action, (SendFrames, SendTcf, SendImage, SendEcmFrames)):
                self._transmit(side, action)
            elif isinstance(action, (ReceiveV21, ReceiveHighSpeed)):
                side.rx = action
            elif isinstance(action, Completed):
                side.completed = action
                peer = self.other(side)
                if peer.engine is not None and peer.completed is None:
                    self._at(self.now_s + self.hangup_delay_s, peer, LineDropped())
            elif isinstance(action, SetTimer):
                pass  # the loop asks the engines for their deadline

    def _transmit(self, side: Side, action: SendFrames | SendTcf | SendImage | SendEcmFrames
                  ) -> None:
        start = max(self.now_s, side.tx_free_s) + side.silence_s
        side.silence_s = 0.0
        peer = self.other(side)
        if isinstance(action, SendFrames):
            end = start + PREAMBLE_S + frame_seconds(action.frames, V21_BPS)
            delivered = []
            if self.v21_channel is not None:
                delivered = self.v21_channel(action.frames)
            for data in action.frames if self.v21_channel is None else ():
                fcf = T30Frame.decode(data).fcf
                n = self._counts.get((side.name, fcf), 0)
                self._counts[(side.name, fcf)] = n + 1
                verdict = self.v21_hook(side.name, fcf, n) if self.v21_hook else "ok"
                if verdict != "drop":
                    delivered.append(FrameReceived(data=data, fcs_ok=verdict == "ok"))
            self._at(end, peer, ("v21", start, delivered))
        else:
            rate = action.rate
            train = TRAIN_S[rate.modem]
            # each input is delivered when its last bit has crossed the line
            items: list[tuple[float, T30Input]] = []
            if isinstance(action, SendTcf):
                end = start + train + action.duration_ms / 1000
                zeros = (self.tcf_zero_ms(rate, action.duration_ms) if self.tcf_zero_ms
                         else action.duration_ms)
                items = [(end, TcfReceived(
                    zero_run_ms=zeros, bits_received=rate.rate_bps * action.duration_ms // 1000))]
            elif isinstance(action, SendImage):
                end = start + train + len(action.data) * 8 / rate.rate_bps
                self._pages += 1
                data = (self.image_damage(self._pages, action.data) if self.image_damage
                        else action.data)
                items = [(start + train + min(i + 4096, len(data)) * 8 / rate.rate_bps,
                          ImageReceived(data=data[i:i + 4096])) for i in range(0, len(data), 4096)]
            else:
                self._ecm_tx += 1
                at = start + train
                for data in action.frames:
                    at += frame_seconds((data,), rate.rate_bps)
                    fr = T30Frame.decode(data)
                    bad = (fr.fcf is Fcf.FCD and self.ecm_bad is not None
                           and self.ecm_bad(self._ecm_tx, fr.fif[0]))
                    items.append((at, FrameReceived(data=data, fcs_ok=not bad)))
                end = at
            self._at(start, peer, ("hs_start", rate, start + train, end, items))
        side.tx_free_s = end
        self._at(end, side, TransmitDone())

    # ------------------------------------------------------------ line -> inputs

    def _deliver(self, side: Side, item: object) -> None:
        engine = side.engine
        if engine is None or side.completed is not None:
            return
        if isinstance(item, tuple) and item[0] == "v21":
            _, start, frames = item
            if side.tx_free_s > start:  # half duplex: it was talking over us
                return
            for fr in frames:
                self.perform(side, engine.handle(fr, self.now_s))
            self.perform(side, engine.handle(CarrierDown(modem=Modem.V21), self.now_s))
        elif isinstance(item, tuple) and item[0] == "hs_start":
            _, rate, trained_s, end, items = item
            rx = side.rx
            if not (isinstance(rx, ReceiveHighSpeed) and rx.rate is rate):
                return  # the receiver is not listening to this modem: it hears nothing
            self._at(trained_s, side, CarrierUp(modem=rate.modem))
            for when, inp in items:
                self._at(when, side, inp)
            self._at(end, side, CarrierDown(modem=rate.modem))
        else:
            assert isinstance(item, (TransmitDone, CarrierUp, CarrierDown, FrameReceived,
                                     ImageReceived, TcfReceived, LineDropped, Abort))
            self.perform(side, engine.handle(item, self.now_s))

    def run(self, limit_s: float = 900.0, max_steps: int = 20000) -> None:
        """Start both engines and run until both completed (or the line went dead)."""
        for side in (self.answerer, self.caller):
            if side.engine is not None:
                self.perform(side, side.engine.start(self.now_s))
        for _ in range(max_steps):
            live = [s for s in (self.caller, self.answerer)
                    if s.engine is not None and s.completed is None]
            if not live:
                return
            times = [(s.engine.deadline_s(), s) for s in live]  # type: ignore[union-attr]
            timer = min(((t, s) for t, s in times if t is not None), default=None,
                        key=lambda ts: ts[0])
            next_event = self._queue[0][0] if self._queue else None
            if self.drop_line_at_s is not None and (
                    next_event is None or self.drop_line_at_s <= next_event):
                self.now_s = self.drop_line_at_s
                self.drop_line_at_s = None
                for s in live:
                    self.perform(s, s.engine.handle(LineDropped(), self.now_s))  # type: ignore[union-attr]
                continue
            if timer is not None and (next_event is None or timer[0] < next_event):
                self.now_s = timer[0]
                self.perform(timer[1], timer[1].engine.tick(self.now_s))  # type: ignore[union-attr]
                continue
            if next_event is None:
                return
            when, _, name, item = heapq.heappop(self._queue)
            self.now_s = when
            self._deliver(self._side(name), item)
            if self.now_s > limit_s:
                return
        raise AssertionError("simulated call did not settle")


# ---------------------------------------------------------------- pages through the T.4 coder


def test_page(seed: int, rows: int = 120) -> np.ndarray:
    """A deterministic page: text-like black runs on white, rows x 1728."""
    rng = np.random.default_rng(seed)
    page = np.zeros((rows, 1728), dtype=np.uint8)
    for r in range(0, rows, 12):
        for _ in range(int(rng.integers(5, 25))):
            x = int(rng.integers(0, 1700))
            page[r:r + 8, x:x + int(rng.integers(2, 28))] = 1
    return page


test_page.__test__ = False  # type: ignore[attr-defined]


@dataclass
class CodecSource:
    """A document of pages coded on demand by :func:`pycti.fax.t4.encode_page`."""

    pages: list[np.ndarray]
    resolutions: list[Resolution] | None = None
    requests: list[tuple[int, PageParams]] = field(default_factory=list)

    def page_count(self) -> int:
        return len(self.pages)

    def page_resolution(self, index: int) -> Resolution:
        return self.resolutions[index] if self.resolutions else Resolution.FINE

    def page_data(self, index: int, params: PageParams) -> bytes:
        self.requests.append((index, params))
        return encode_page(self.pages[index], params.coding, resolution=params.resolution,
                           min_scan_line_ms=params.min_scan_line_time_ms,
                           bit_rate_bps=params.rate_bps)


@dataclass
class CodecSink:
    """Decodes every page it is given with :func:`pycti.fax.t4.decode_page`."""

    pages: list[tuple[ReceivedPage, np.ndarray, int]] = field(default_factory=list)

    def page_received(self, page: ReceivedPage) -> PageCheck:
        decoded = decode_page(page.data, page.params.coding)
        self.pages.append((page, decoded.image, decoded.bad_lines))
        return PageCheck(lines=decoded.rows, bad_lines=decoded.bad_lines)


def pair(caller_engine: T30Engine | None, answerer_engine: T30Engine | None, **hooks: object
         ) -> Line:
    """A line between two engines (either may be None: nobody there)."""
    return Line(caller=Side("caller", caller_engine), answerer=Side("answerer", answerer_engine),
                **hooks)  # type: ignore[arg-type]
