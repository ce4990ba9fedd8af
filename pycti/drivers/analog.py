"""The analog-line adapter: turns line signals and line audio into the call events of
:mod:`pycti.drivers.base`, for every analog board (the sim board now, DAHDI and modems later).

What an analog line does and a SIP trunk does not is here, once:

* **incoming calls** -- ring bursts are counted and caller ID (FSK or DTMF, sent between the
  first and second ring) is received on idle lines; the call is offered as
  :class:`~pycti.drivers.base.IncomingCall` once caller ID arrived or after
  ``rings_before_offer`` rings.  The called number comes from the line (DID) where it has one;
* **far-end disconnect** -- loop-current drop, or busy/congestion tone on a line in a call,
  becomes :class:`~pycti.drivers.base.Released`;
* **outgoing calls** -- :meth:`AnalogAdapter.dial` seizes the line, waits for the dial-tone
  delay and dials the number in band as DTMF; ringback then gives
  :class:`~pycti.drivers.base.Alerting`, busy tone ``Released(BUSY)``, congestion or SIT
  ``Released(UNREACHABLE)``, and battery reversal ``Answered`` (answer supervision);
* **stations** -- lifting a ringing phone is ``Answered``, lifting an idle one ``Seized``; a
  call that rings a phone already off-hook (call waiting, or the handset lifted in the very
  tick the ring started: glare) gets a call-waiting tone in the earpiece instead of a refused
  ring, and lifting/answering then answers it.

A failing detector is switched off and reported as :class:`DetectorFailed`; the lines go on.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..clock import Clock
from ..dsp.dtmf import dtmf_tones
from ..dsp.progress import ProgressToneDetector, progress_tone
from .base import (
    Alerting,
    Answered,
    CallerIdentity,
    DriverEvent,
    EventsLost,
    IncomingCall,
    LineDriver,
    LineEvent,
    LineSignal,
    MediaDirection,
    PortDead,
    PortFailed,
    PortInfo,
    PortKind,
    PortRestored,
    Presentation,
    Released,
    ReleaseCause,
    RequestRefused,
    Seized,
)

__all__ = ["AnalogConfig", "AnalogAdapter", "DetectorFailed"]

log = logging.getLogger("pycti.drivers.analog")

_DIALLABLE = frozenset("0123456789*#ABCD")


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorFailed(DriverEvent):
    """A detector of the adapter raised and was switched off (``port`` is -1)."""

    detector: str
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalogConfig:
    """How analog lines behave: caller-ID signalling, the tone plan, dialling and supervision."""

    caller_id: str = "fsk"  #: "fsk", "dtmf" or "none"
    country: str = "CN"  #: call-progress tone plan (busy, congestion, ringback)
    rings_before_offer: int = 2  #: offer a call after this many rings when no caller ID came
    dial_delay_ms: int = 300  #: wait after seizure before dialling (dial tone)
    digit_on_ms: int = 80
    digit_off_ms: int = 80
    international_prefix: str = "00"  #: what a leading '+' is dialled as
    answer_supervision: bool = True  #: True: battery reversal means answered; False: answered once dialled
    call_waiting_period_ms: int = 4400  #: one cadence of the call-waiting tone (CN: 400 on, 4000 off)

    def __post_init__(self) -> None:
        if self.caller_id not in ("fsk", "dtmf", "none"):
            raise ValueError(f"caller_id must be 'fsk', 'dtmf' or 'none', got {self.caller_id!r}")
        for name in ("rings_before_offer", "dial_delay_ms", "digit_on_ms", "digit_off_ms", "call_waiting_period_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (1 if name in ("rings_before_offer", "digit_on_ms", "call_waiting_period_ms") else 0):
                raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
        if not set(self.international_prefix) <= _DIALLABLE:
            raise ValueError(f"international_prefix must be DTMF digits, got {self.international_prefix!r}")


class _T(enum.Enum):
    IDLE = "idle"
    RINGING = "ringing"  # the network rings us; not yet offered
    OFFERED = "offered"  # IncomingCall sent; not answered
    ANSWERED = "answered"  # we took the incoming call
    DIALLING = "dialling"  # seized, digits going out
    OUTGOING = "outgoing"  # dialled, waiting for the far end
    CONNECTED = "connected"  # the far end answered


@dataclass(slots=True)
class _Line:
    state: _T = _T.IDLE
    rings: int = 0
    caller: CallerIdentity | None = None
    alerted: bool = False
    # station side
    ringing: bool = False
    waiting: bool = False  # call waiting: the phone is off-hook, we play a tone instead of ringing
    offhook: bool = False
    failed: bool = False
    echoes: list[bool] = field(default_factory=list)  # hook changes the switch made, whose events are still to come


@dataclass(slots=True)
class _Pending:
    """In-band audio the adapter sends on a port: dialled digits or a call-waiting tone."""

    samples: np.ndarray
    pos: int = 0
    mix: bool = False  # add to the switch's audio (call waiting) rather than replace it (dialling)
    repeat_every: int = 0  # samples; 0 = once
    wait: int = 0  # samples before it starts (dial-tone delay)
    after: Any = None  # called once it has all gone out
    done: bool = field(default=False)


def _caller_from_cid(cid: Any) -> CallerIdentity:
    """A caller-ID message (or None for one that failed) as a CallerIdentity."""
    if cid is None:
        return CallerIdentity(presentation=Presentation.UNAVAILABLE)
    if cid.number is not None:
        return CallerIdentity(number=cid.number, name=cid.name)
    presentation = Presentation.WITHHELD if cid.number_absence == "private" else Presentation.UNAVAILABLE
    return CallerIdentity(name=cid.name, presentation=presentation)


class _IdleLinesOnly:
    """Feeds a caller-ID receiver only lines without a call (DTMF caller ID, which may come
    before the first ring): speech or DTMF on a line in a call would only cost work and false
    starts."""

    def __init__(self, receiver: Any, channels: int) -> None:
        self.receiver = receiver
        self.busy = np.zeros(channels, dtype=bool)

    def line_ringing(self, row: int) -> None:
        """The first ring came on line ``row`` (it was listened to already while idle)."""

    def line_idle(self, row: int) -> None:
        """Line ``row`` is idle again: listen to it."""
        self.busy[row] = False

    def line_busy(self, row: int) -> None:
        """Line ``row`` was offered, answered or seized: stop listening."""
        self.busy[row] = True

    def listening(self) -> int:
        """How many lines the receiver hears now."""
        return int(self.busy.size - np.count_nonzero(self.busy))

    def process(self, block: np.ndarray) -> list[Any]:
        if self.busy.any():
            block = block.copy()
            block[self.busy] = 0
        return list(self.receiver.process(block))


@dataclass(frozen=True, slots=True)
class _RowEvent:
    """A caller-ID event of a one-line receiver, with the line's row in the trunk block."""

    channel: int
    caller_id: Any


class _RingingLinesOnly:
    """FSK caller ID (Telcordia GR-30-CORE, ETSI EN 300 659-1 clause 6.1.1: sent after the
    first ring burst) is only listened for between the first ring and the offer: one fresh
    one-line receiver per ringing line, as if made at the first ring (so no state of an earlier
    call or of the idle line is carried over) and dropped at the offer, answer or reset.  An
    idle or busy line costs nothing.

    ``factory(start_sample)`` makes a receiver whose stream begins at ``start_sample``.  The
    receiver is made at the line's first non-zero sample after the ring, started at the number
    of zero samples heard since: digital silence leaves a receiver no state (see
    :class:`~pycti.dsp.callerid_fsk.FskCallerIdReceiver`), so this is the receiver the first
    ring would have made, fed the same samples, without the cost of feeding it the silence of
    the ring burst."""

    #: samples a line's receiver is fed at once (100 ms): the receiver's per-call cost is most of
    #: its cost and its results do not depend on how the stream is cut, so it runs every fifth
    #: 20 ms tick; a caller ID is then known at most 80 ms later (the offer waits for it)
    BATCH_SAMPLES = 800

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._rx: dict[int, Any] = {}  # row -> its receiver, None until its first non-zero sample
        self._silent: dict[int, int] = {}  # row -> zero samples heard before its receiver was made
        self._held: dict[int, list[np.ndarray]] = {}  # row -> samples not yet given to its receiver

    def line_ringing(self, row: int) -> None:
        """The first ring came on line ``row``: start listening there afresh."""
        if row not in self._rx:
            self._rx[row] = None
            self._silent[row] = 0

    def line_idle(self, row: int) -> None:
        """Line ``row`` is idle again: no caller ID can come before its next first ring."""
        self._rx.pop(row, None)
        self._silent.pop(row, None)
        self._held.pop(row, None)

    line_busy = line_idle

    def listening(self) -> int:
        """How many lines the receiver hears now."""
        return len(self._rx)

    def process(self, block: np.ndarray) -> list[Any]:
        out: list[Any] = []
        for row, rx in list(self._rx.items()):  # in the order the lines began ringing
            if rx is None:
                if not block[row].any():
                    self._silent[row] += block.shape[1]
                    continue
                rx = self._rx[row] = self._factory(self._silent.pop(row))
            held = self._held.setdefault(row, [])
            held.append(block[row : row + 1].copy())
            if sum(b.shape[1] for b in held) < self.BATCH_SAMPLES:
                continue
            del self._held[row]
            samples = held[0] if len(held) == 1 else np.concatenate(held, axis=1)
            out.extend(_RowEvent(row, ev.caller_id) for ev in rx.process(samples))
        return out


class AnalogAdapter:
    """A :class:`~pycti.drivers.base.Driver` over any :class:`~pycti.drivers.base.LineDriver`."""

    def __init__(self, lines: LineDriver, config: AnalogConfig | None = None) -> None:
        self.lines = lines
        self.config = cfg = config or AnalogConfig()
        self._ports = lines.line_ports()
        self._kind = {i.port: i.kind for i in self._ports}
        self._line = {i.port: _Line() for i in self._ports}
        self.trunk_ports = [i.port for i in self._ports if i.kind is PortKind.TRUNK]
        self._row = {p: k for k, p in enumerate(self.trunk_ports)}
        self._pending: dict[int, _Pending] = {}
        self._events: list[DriverEvent] = []
        self._sample = 0
        self._lost_seen = 0
        self._progress: ProgressToneDetector | None = None
        self._cid: _IdleLinesOnly | _RingingLinesOnly | None = None
        if self.trunk_ports:
            self._progress = ProgressToneDetector(
                len(self.trunk_ports), country=cfg.country, tones=["BUSY", "CONGESTION", "RINGBACK"]
            )
            if cfg.caller_id == "fsk":
                from ..dsp.callerid_fsk import FskCallerIdReceiver

                self._cid = _RingingLinesOnly(lambda start: FskCallerIdReceiver(1, start_sample=start))
            elif cfg.caller_id == "dtmf":
                from ..dsp.callerid_dtmf import DtmfCallerIdReceiver

                self._cid = _IdleLinesOnly(DtmfCallerIdReceiver(len(self.trunk_ports)), len(self.trunk_ports))
        # one cadence of the call-waiting tone (the tables have it for CN; others borrow it)
        try:
            self._cw_tone = progress_tone(cfg.country, "CALL_WAITING", cfg.call_waiting_period_ms)
        except KeyError:
            self._cw_tone = progress_tone("CN", "CALL_WAITING", cfg.call_waiting_period_ms)
        self._opened = False
        self._silence: np.ndarray | None = None  # advance()'s outbound block, shared

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> AnalogAdapter:
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Open the board (idempotent)."""
        if not self._opened:
            self.lines.open()
            self._opened = True

    def close(self) -> None:
        """Close the board (idempotent)."""
        self.lines.close()
        self._opened = False

    def capacity(self) -> int:
        return len(self._ports)

    def ports(self) -> list[PortInfo]:
        return list(self._ports)

    def media_clock(self) -> Clock | None:
        return None

    # ------------------------------------------------------------------ audio
    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        n = outbound.shape[1]
        if self._pending:
            outbound = self._mix_pending(outbound.copy(), n)
        inbound = self.lines.exchange(outbound)
        self._sample += n
        if self.trunk_ports:
            self._detect(inbound[self.trunk_ports[0] : self.trunk_ports[-1] + 1]
                         if self._contiguous_trunks() else inbound[self.trunk_ports])
        return inbound

    def advance(self, n_samples: int) -> None:
        """Signalling only: let ``n_samples`` of line time pass with silence from the switch
        (the board's timers, scripts and hook/ring signalling run; dialled digits still go
        out in band, since the far end needs them) and run no detector: no caller ID, no
        call-progress tones -- see :class:`pycti.local.config.SwitchConfig` ``media``."""
        if n_samples < 1:
            raise ValueError(f"advance: n_samples must be >= 1, got {n_samples!r}")
        silence = self._silence
        if silence is None or silence.shape[1] != n_samples:
            silence = self._silence = np.zeros((len(self._ports), n_samples), dtype=np.int16)
            silence.flags.writeable = False
        outbound = self._mix_pending(silence.copy(), n_samples) if self._pending else silence
        self.lines.exchange(outbound)
        self._sample += n_samples

    def _contiguous_trunks(self) -> bool:
        return self.trunk_ports[-1] - self.trunk_ports[0] + 1 == len(self.trunk_ports)

    def _mix_pending(self, out: np.ndarray, n: int) -> np.ndarray:
        for port, pend in list(self._pending.items()):
            if pend.wait >= n:
                pend.wait -= n
                continue
            start = pend.wait
            pend.wait = 0
            take = min(n - start, len(pend.samples) - pend.pos)
            chunk = pend.samples[pend.pos : pend.pos + take]
            if pend.mix:
                row = out[port, start : start + take].astype(np.int32) + chunk
                out[port, start : start + take] = np.clip(row, -32768, 32767)
            else:
                out[port, start : start + take] = chunk
            pend.pos += take
            if pend.pos >= len(pend.samples):
                if pend.repeat_every:
                    pend.pos = 0
                    pend.wait = max(pend.repeat_every - len(pend.samples), 0)
                else:
                    del self._pending[port]
                    if pend.after is not None:
                        pend.after()
        return out

    def _detect(self, trunks: np.ndarray) -> None:
        if self._cid is not None:
            try:
                for ev in self._cid.process(trunks):
                    self._caller_id(self.trunk_ports[ev.channel], ev.caller_id)
            except Exception as exc:  # noqa: BLE001 - a detector bug must not stop the lines
                self._detector_failed("callerid", exc)
                self._cid = None
        if self._progress is not None:
            try:
                for ev in self._progress.process(trunks):
                    self._tone_heard(self.trunk_ports[ev.channel], ev.tone)
            except Exception as exc:  # noqa: BLE001
                self._detector_failed("progress", exc)
                self._progress = None

    def _detector_failed(self, name: str, exc: BaseException) -> None:
        log.error("analog adapter: %s detector failed and was switched off: %r", name, exc)
        self._events.append(DetectorFailed(port=-1, sample=self._sample, detector=name, error=repr(exc)))

    # ------------------------------------------------------------------ signalling in
    def poll(self) -> list[DriverEvent]:
        for ev in self.lines.poll_lines():
            self._line_event(ev)
        lost = self.lines.events_lost()
        if lost > self._lost_seen:
            self._events.append(EventsLost(port=-1, sample=self._sample, count=lost - self._lost_seen))
            self._lost_seen = lost
        out, self._events = self._events, []
        return out

    def _emit(self, ev: DriverEvent) -> None:
        self._events.append(ev)

    def _line_event(self, ev: LineEvent) -> None:
        port, sig = ev.port, ev.signal
        line = self._line.get(port)
        if line is None:
            return
        if sig is LineSignal.PORT_FAILED:
            self._reset(port)
            self._line[port].failed = True
            self._emit(PortFailed(port=port, sample=ev.sample, reason="the board reports the port failed"))
            return
        if sig is LineSignal.PORT_RESTORED:
            self._line[port].failed = False
            self._emit(PortRestored(port=port, sample=ev.sample))
            return
        if self._kind[port] is PortKind.STATION:
            self._station_event(port, line, sig, ev.sample)
            return
        if sig is LineSignal.RING_ON:
            if line.state is _T.IDLE:
                line.state = _T.RINGING
                if self._cid is not None:
                    self._cid.line_ringing(self._row[port])
            if line.state is _T.RINGING:
                line.rings += 1
                if line.rings >= self.config.rings_before_offer or line.caller is not None or self._cid is None:
                    self._offer(port, ev.sample)
        elif sig is LineSignal.CALLER_GONE:
            if line.state is _T.OFFERED:
                self._emit(Released(port=port, sample=ev.sample, cause=ReleaseCause.NORMAL))
            if line.state in (_T.RINGING, _T.OFFERED):
                self._reset(port)
        elif sig is LineSignal.LOOP_DROP:
            if line.state not in (_T.IDLE, _T.RINGING):
                self._far_end_gone(port, ReleaseCause.NORMAL, ev.sample)
        elif sig is LineSignal.REVERSAL:
            if line.state in (_T.DIALLING, _T.OUTGOING):
                self._pending.pop(port, None)
                line.state = _T.CONNECTED
                self._emit(Answered(port=port, sample=ev.sample))

    def _station_event(self, port: int, line: _Line, sig: LineSignal, sample: int) -> None:
        if sig in (LineSignal.OFFHOOK, LineSignal.ONHOOK) and line.echoes:
            if line.echoes[0] == (sig is LineSignal.OFFHOOK):
                line.echoes.pop(0)  # the board reporting a hook change the switch made
                return
            line.echoes.clear()  # the phone's own move came in between: trust the line again
        if sig is LineSignal.OFFHOOK:
            if line.offhook:
                return
            line.offhook = True
            if line.ringing and not line.waiting:
                line.ringing = False
                self._emit(Answered(port=port, sample=sample))
            elif line.ringing:  # glare: the phone went off-hook as we started ringing it
                self._stop_waiting(port, line)
                self._emit(Answered(port=port, sample=sample))
            else:
                self._emit(Seized(port=port, sample=sample))
        elif sig is LineSignal.ONHOOK:
            if not line.offhook:
                return
            line.offhook = False
            self._stop_waiting(port, line)
            self._emit(Released(port=port, sample=sample, cause=ReleaseCause.NORMAL))

    def _offer(self, port: int, sample: int) -> None:
        line = self._line[port]
        line.state = _T.OFFERED
        if self._cid is not None:
            self._cid.line_busy(self._row[port])
        caller = line.caller or CallerIdentity(presentation=Presentation.UNAVAILABLE)
        self._emit(IncomingCall(port=port, sample=sample, caller=caller, called=self.lines.called_number(port)))

    def _caller_id(self, port: int, cid: Any) -> None:
        line = self._line[port]
        if line.state is not _T.RINGING and line.state is not _T.IDLE:
            return
        line.caller = _caller_from_cid(cid)
        if line.rings >= 1:
            self._offer(port, self._sample)

    def _tone_heard(self, port: int, tone: str) -> None:
        line = self._line[port]
        if line.state is _T.OUTGOING:
            if tone == "RINGBACK" and not line.alerted:
                line.alerted = True
                self._emit(Alerting(port=port, sample=self._sample))
            elif tone == "BUSY":
                self._far_end_gone(port, ReleaseCause.BUSY, self._sample)
            elif tone == "CONGESTION":
                self._far_end_gone(port, ReleaseCause.UNREACHABLE, self._sample)
        elif line.state in (_T.ANSWERED, _T.CONNECTED) and tone in ("BUSY", "CONGESTION"):
            self._far_end_gone(port, ReleaseCause.NORMAL, self._sample)

    def _far_end_gone(self, port: int, cause: ReleaseCause, sample: int) -> None:
        self._emit(Released(port=port, sample=sample, cause=cause))
        self._reset(port)
        self._hook(port, False, "release")

    def _reset(self, port: int) -> None:
        """The line is idle again: forget its call, listen for caller ID again."""
        failed = self._line[port].failed
        self._line[port] = _Line(failed=failed)
        self._pending.pop(port, None)
        if self._cid is not None and port in self._row:
            self._cid.line_idle(self._row[port])

    # ------------------------------------------------------------------ requests out
    def _hook(self, port: int, offhook: bool, request: str) -> None:
        try:
            self.lines.hook(port, offhook)
        except RequestRefused:
            if offhook:
                raise
            # going on-hook on a line already on-hook: nothing to do
        except PortDead:
            self._reset(port)
            raise

    def _trunk(self, port: int, request: str) -> _Line:
        line = self._line.get(port)
        if line is None or self._kind[port] is not PortKind.TRUNK:
            raise RequestRefused(port, request, "not a trunk port")
        return line

    def _station(self, port: int, request: str) -> _Line:
        line = self._line.get(port)
        if line is None or self._kind[port] is not PortKind.STATION:
            raise RequestRefused(port, request, "not a station port")
        return line

    def dial(self, port: int, number: str) -> None:
        line = self._trunk(port, "dial")
        digits = number[1:] if number.startswith("+") else number
        if not digits or not set(digits) <= _DIALLABLE:
            raise ValueError(f"cannot dial {number!r} on an analog line: digits 0-9, *, #, A-D and a leading +")
        if line.state is not _T.IDLE:
            raise RequestRefused(port, "dial", f"the line is {line.state.value}")
        if number.startswith("+"):
            digits = self.config.international_prefix + digits
        self._hook(port, True, "dial")
        line.state = _T.DIALLING
        cfg = self.config
        samples = dtmf_tones(digits, on_ms=cfg.digit_on_ms, off_ms=cfg.digit_off_ms)

        def dialled() -> None:
            if self._line[port].state is _T.DIALLING:
                self._line[port].state = _T.OUTGOING
                if not cfg.answer_supervision:
                    self._line[port].state = _T.CONNECTED
                    self._emit(Answered(port=port, sample=self._sample))

        self._pending[port] = _Pending(samples=samples, wait=cfg.dial_delay_ms * 8, after=dialled)
        if self._cid is not None:
            self._cid.line_busy(self._row[port])

    def answer(self, port: int) -> None:
        """Trunk: take the incoming call off-hook.  Station: answer the ringing phone
        hands-free (or the waiting call, on a phone already off-hook)."""
        line = self._line.get(port)
        if line is None:
            raise RequestRefused(port, "answer", "no such port")
        if self._kind[port] is PortKind.STATION:
            if line.waiting:
                self._stop_waiting(port, line)
                return
            if line.ringing:
                self.stop_ring(port)
            if not line.offhook:
                self._hook(port, True, "answer")
                line.offhook = True
                line.echoes.append(True)
            return
        if line.state not in (_T.OFFERED, _T.RINGING):
            raise RequestRefused(port, "answer", f"no incoming call (the line is {line.state.value})")
        self._hook(port, True, "answer")
        line.state = _T.ANSWERED

    def release(self, port: int, cause: ReleaseCause = ReleaseCause.NORMAL) -> None:
        line = self._line.get(port)
        if line is None:
            raise RequestRefused(port, "release", "no such port")
        if self._kind[port] is PortKind.STATION:
            self._stop_waiting(port, line)
            if line.ringing:
                self.stop_ring(port)
            if line.offhook:
                self._hook(port, False, "release")
                line.offhook = False
                line.echoes.append(False)
            return
        self._reset(port)
        self._hook(port, False, "release")

    def ring(self, port: int, caller: CallerIdentity | None = None) -> None:
        line = self._station(port, "ring")
        if line.ringing:
            return
        line.ringing = True
        if line.offhook:
            self._start_waiting(port, line)
            return
        try:
            self.lines.ring_station(port, True)
        except RequestRefused:
            # the handset went up in this very tick (glare): its OFFHOOK is on its way
            self._start_waiting(port, line)

    def _start_waiting(self, port: int, line: _Line) -> None:
        line.waiting = True
        self._pending[port] = _Pending(samples=self._cw_tone, mix=True, repeat_every=len(self._cw_tone))

    def _stop_waiting(self, port: int, line: _Line) -> None:
        if line.waiting:
            line.waiting = False
            line.ringing = False
            self._pending.pop(port, None)

    def stop_ring(self, port: int) -> None:
        line = self._station(port, "stop_ring")
        if not line.ringing:
            return
        if line.waiting:
            self._stop_waiting(port, line)
            return
        line.ringing = False
        try:
            self.lines.ring_station(port, False)
        except RequestRefused:
            pass  # not ringing on the board (already lifted): nothing to stop

    def send_digits(self, port: int, digits: str) -> bool:
        return False  # analog lines carry digits in band only

    def set_media_direction(self, port: int, direction: MediaDirection) -> None:
        """Analog lines have no media signalling: the switch mutes a held party itself."""
        if port not in self._line:
            raise RequestRefused(port, "set_media_direction", "no such port")

    def caller_id_lines(self) -> int:
        """How many trunk lines the caller-ID receiver listens to now (FSK: the lines between
        their first ring and the offer; DTMF: the lines without a call)."""
        return 0 if self._cid is None else self._cid.listening()

    def line_state(self, port: int) -> str:
        """Where the adapter thinks port ``port`` stands (for diagnostics and tests): a trunk's
        call state, or for a station ``call_waiting`` / ``ringing`` / ``offhook`` / ``onhook``."""
        line = self._line[port]
        if self._kind[port] is PortKind.TRUNK:
            return line.state.value
        if line.waiting:
            return "call_waiting"
        return "ringing" if line.ringing else "offhook" if line.offhook else "onhook"
