"""A Group 3 fax terminal: the T.30 engine wired to its modems and the T.4/T.6 codec, run in
lock-step over 20 ms frames of 8 kHz line audio.

:class:`FaxTerminal` is sans-I/O like the engine inside it: :meth:`FaxTerminal.process` takes
the 160 samples received in one 20 ms frame and returns the 160 to send in the next; its time
is the count of frames processed.  Around the :class:`~pycti.fax.t30.T30Engine` it does what
the engine's module docstring asks of a terminal:

* tones (T.30 5.2): the calling terminal plays CNG (1100 Hz, 0.5 s on, 3 s off) until the far
  end's HDLC flags are heard (not its carrier alone: a voice prompt may hold that on) or it
  sends itself; the answering terminal plays CED (2100 Hz,
  :attr:`~pycti.fax.terminal_events.FaxOptions.ced_ms`) and starts the engine 75 ms after it
  (T.30 5.3.2 gap), so DIS follows;
* control frames (T.30 5.3): HDLC (:mod:`pycti.dsp.hdlc`, 1 s of flags before the first
  frame) on V.21 channel 2 (:mod:`pycti.dsp.v21`); the V.21 receiver and its HDLC decoder run
  all the time, also beside the image modem (a repeated command may come instead of the
  expected image);
* the image modem of the negotiated rate (:mod:`pycti.fax.terminal_modems`): the TCF (1.5 s
  of zeros, T.30 5.3.6.2.2) and its check (the longest run of zeros, in ms), non-ECM page
  data (T.4 octets sent least significant bit first), or ECM frames (T.30 Annex A, HDLC on the
  image modem after a preamble of flags);
* pages coded and decoded with :mod:`pycti.fax.t4` by :mod:`pycti.fax.terminal_pages`; when
  the call ends during a page, what arrived of it is decoded and kept, marked incomplete.

Half duplex: one transmission at a time, in the order the engine asked for them; a silent
frame is sent when there is nothing to say.  While a modem signal goes out the receivers are
off (they would only hear the line's echo of it) and start afresh after it.  :meth:`FaxTerminal.hang_up` tells the engine the
line dropped.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pycti.dsp import modem as dsp_modem
from pycti.dsp.fax_tones import ced, cng
from pycti.dsp.hdlc import FlagsDetected, HdlcDecoder, HdlcEncoder
from pycti.dsp.v21 import V21Receiver, V21Transmitter
from pycti.fax import t30_io as io
from pycti.fax.document_page import FaxPage
from pycti.fax.t30 import State, T30Engine
from pycti.fax.t30_dis import Modem, ModemRate
from pycti.fax.t30_frames import Fcf, FrameError, T30Frame, decode_fcd
from pycti.fax.t4_types import Coding
from pycti.fax.terminal_events import (
    CallEnded,
    FaxEvent,
    FaxOptions,
    FaxResult,
    Negotiated,
    PageIncomplete,
    PageReceived,
    PageSent,
)
from pycti.fax.terminal_modems import FaxTerminalError, dis_modems, image_modem
from pycti.fax.terminal_pages import DocumentSource, PageCollector, ReceivedFaxPage

__all__ = ["FRAME_SAMPLES", "FaxTerminal", "TerminalRole"]

FRAME_SAMPLES = 160  # 20 ms at 8000 samples/s
_FS_HZ = 8000
ECM_PREAMBLE_MS = 200  # flags between the image modem's training and the first ECM frame
ECM_CLOSING_FLAGS = 4  # flags after the last RCP, before the modem's end sequence
#: An image carrier that did not train but lasted this long was a TCF that failed (the TCF
#: itself is 1.5 s long after the training, T.30 5.3.6.2.2).
TCF_FAILED_MIN_MS = 1000
#: The TCF verdict is due this long after the receiver switched to the image modem: the 75 ms
#: gap, the longest training (V.27ter at 2400 bit/s, 943 ms) and 1.5 s of TCF, with margin.
#: On a line whose noise holds the carrier detector on, the carrier never drops.
TCF_VERDICT_S = 3.5
_FINAL_BIT = 0x10  # T.30 5.3.5: the P/F bit of the control field marks the final frame
_CNG_PERIOD = cng(3500)  # one CNG cadence: 0.5 s of 1100 Hz, 3 s of silence (T.30 5.2.1)
Samples = npt.NDArray[np.int16]


class TerminalRole(enum.Enum):
    """Which end of the call: the calling terminal sends a document, the answering one
    receives; with :attr:`~pycti.fax.terminal_events.FaxOptions.poll` the answering terminal
    offers a document and the calling terminal polls it (receives)."""

    CALLING = "calling"
    ANSWERING = "answering"


class _Samples:
    """A fixed signal (a tone, silence) with the transmitter's ``generate``/``done`` shape,
    except that it returns no more samples than it has left."""

    def __init__(self, samples: Samples) -> None:
        self._samples = samples
        self._pos = 0

    @property
    def done(self) -> bool:
        return self._pos >= self._samples.size

    def generate(self, n: int) -> Samples:
        chunk = self._samples[self._pos:self._pos + n]
        self._pos += chunk.size
        return chunk


class _Job:
    """One queued transmission and what to do once it has left."""

    def __init__(self, source: _Samples | dsp_modem.ModemTransmitter,
                 on_done: Callable[[], None] | None = None, *, modem: bool = False) -> None:
        self.source = source
        self.on_done = on_done
        self.modem = modem  # a modem signal (the receivers are off meanwhile), not a tone


def _bits_of(data: bytes) -> dsp_modem.Bits:
    """Octets as the bits T.30 sends: each octet least significant bit first."""
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")


class FaxTerminal:
    """One fax terminal on a line; see the module docstring.

    ``role`` "calling" needs ``document`` (its pages, 1728 pixels wide); "answering" keeps what
    it receives in :attr:`received_pages`.  With ``FaxOptions(poll=True)`` a "calling" terminal
    polls: it takes no document and keeps the pages the answerer sends in
    :attr:`received_pages`; an "answering" one needs ``document``, offers it to be polled
    (DIS bit 9) and still receives from a caller that sends.  :meth:`process` each 20 ms
    frame; :attr:`done` once the call is over and the last signal sent; then :attr:`result`."""

    def __init__(self, role: TerminalRole | str, options: FaxOptions | None = None, *,
                 document: Sequence[FaxPage] | None = None) -> None:
        try:
            self.role = TerminalRole(role)
        except ValueError:
            raise FaxTerminalError(f"role {role!r} is neither 'calling' nor 'answering'") from None
        self.options = options or FaxOptions()
        config = io.T30Config(local_id=self.options.local_id,
                              modems=dis_modems(self.options.modems), ecm=self.options.ecm,
                              ecm_frame_octets=self.options.ecm_frame_octets,
                              codings=self.options.codings | {Coding.MH})
        self._collector = PageCollector()
        poll = self.options.poll
        #: whether this terminal may receive pages in the call (and keeps partial ones)
        self._receives = self.role is TerminalRole.ANSWERING or poll
        if self.role is TerminalRole.CALLING and poll:
            if document is not None:
                raise FaxTerminalError("a polling calling terminal receives; it takes no "
                                       "document")
            self._engine = T30Engine.poller(config, self)
        elif self.role is TerminalRole.CALLING:
            if document is None:
                raise FaxTerminalError("a calling terminal needs a document to send (or "
                                       "FaxOptions(poll=True) to poll)")
            self._engine = T30Engine.caller(config, DocumentSource(document))
        elif poll:
            if document is None:
                raise FaxTerminalError("an answering terminal with FaxOptions(poll=True) needs "
                                       "a document to be polled")
            self._engine = T30Engine.answerer(config, self, polled=DocumentSource(document))
        else:
            if document is not None:
                raise FaxTerminalError("an answering terminal receives; it takes no document "
                                       "(unless FaxOptions(poll=True) offers it to be polled)")
            self._engine = T30Engine.answerer(config, self)
        self._frames = 0
        self._now_s = 0.0
        self._queue: collections.deque[_Job] = collections.deque()
        self._events: list[FaxEvent] = []
        self._result: FaxResult | None = None
        self._started = False
        self._cng = self.role is TerminalRole.CALLING and self.options.cng
        self._cng_pos = 0
        # control channel, always listening
        self._v21 = V21Receiver()
        self._v21_hdlc = HdlcDecoder()
        self._muted = False
        # image modem receiver, while the engine asks for it
        self._hs: dsp_modem.ModemReceiver | None = None
        self._hs_rate: ModemRate | None = None
        self._hs_purpose = io.RxPurpose.TCF
        #: V.17: the rate of the last TCF sent (page data at that rate uses the short
        #: training) and the receiver that trained on the last TCF received
        self._tcf_rate: ModemRate | None = None
        self._trained_rx: dict[ModemRate, dsp_modem.ModemReceiver] = {}
        self._hs_trained = False
        self._hs_reported = self._hs_carrier = False
        self._hs_up_sample = 0
        self._tcf_deadline_s = 0.0
        self._hs_hdlc = HdlcDecoder()
        self._left_bits: dsp_modem.Bits = np.zeros(0, dtype=np.uint8)
        self._zero_run = self._zero_max = self._tcf_bits = 0
        # what has come of the page under way (kept if the call ends during it)
        self._params: io.PageParams | None = None
        self._page_bytes = bytearray()
        self._ecm_blocks = bytearray()
        self._ecm_block: dict[int, bytes] = {}

    # ------------------------------------------------------------ public

    @property
    def t30_state(self) -> State:
        """The T.30 engine's state (for logs and diagnostics)."""
        return self._engine.state

    @property
    def now_s(self) -> float:
        """Audio time processed, in seconds."""
        return self._now_s

    @property
    def done(self) -> bool:
        """True once the call is over and the last transmission has been sent."""
        return self._result is not None and not self._queue

    @property
    def result(self) -> FaxResult | None:
        """How the call ended (None while it goes on)."""
        return self._result

    @property
    def received_pages(self) -> list[ReceivedFaxPage]:
        """The pages received so far (an answering or a polling terminal), incomplete ones
        marked."""
        return self._collector.pages

    def take_events(self) -> list[FaxEvent]:
        """The progress events since the last call, in order."""
        events, self._events = self._events, []
        return events

    def process(self, rx_frame: npt.ArrayLike) -> Samples:
        """Take the 160 samples received in this 20 ms frame; return the 160 to send next."""
        rx = np.asarray(rx_frame)
        if rx.shape != (FRAME_SAMPLES,) or rx.dtype != np.int16:
            raise FaxTerminalError(f"a frame is {FRAME_SAMPLES} int16 samples, got shape "
                                   f"{rx.shape} of {rx.dtype}")
        self._frames += 1
        self._now_s = self._frames * FRAME_SAMPLES / _FS_HZ
        if not self._started:
            self._start()
        if self._result is None:
            self._receive(rx)
            self._timers()
        return self._transmit()

    def hang_up(self) -> None:
        """The line dropped (the far end hung up, or the audio stream ended)."""
        if self._result is None:
            self._feed(io.LineDropped())
        self._queue.clear()
        self._cng = False

    # ------------------------------------------------------------ PageSink for the engine

    def page_received(self, page: io.ReceivedPage) -> io.PageCheck:
        """The engine's page sink: decode and keep the page; the partial state restarts."""
        self._page_bytes.clear()
        self._ecm_blocks.clear()
        self._ecm_block.clear()
        return self._collector.page_received(page)

    # ------------------------------------------------------------ start and timers

    def _start(self) -> None:
        self._started = True
        if self.role is TerminalRole.CALLING:
            self._perform(self._engine.start(self._now_s))
            return
        gap = np.zeros(io.GAP_MS * _FS_HZ // 1000, dtype=np.int16)
        self._queue.append(_Job(_Samples(ced(self.options.ced_ms))))
        self._queue.append(_Job(_Samples(gap), self._start_engine))

    def _start_engine(self) -> None:
        self._perform(self._engine.start(self._now_s))

    def _timers(self) -> None:
        for _ in range(4):  # each expiry is handled once; a few may fall in one frame
            deadline = self._engine.deadline_s()
            if deadline is None or deadline > self._now_s or self._result is not None:
                return
            self._perform(self._engine.tick(self._now_s))

    def _feed(self, inp: io.T30Input) -> None:
        self._perform(self._engine.handle(inp, self._now_s))

    # ------------------------------------------------------------ receiving

    def _receive(self, rx: Samples) -> None:
        if self._queue and self._queue[0].modem:
            self._muted = True  # half duplex: deaf while talking (to our own echo as well)
            return
        if self._muted:
            self._muted = False
            self._v21.reset()
            self._v21_hdlc.reset()
        if self._hs is not None:
            self._receive_image_modem(self._hs, rx)
        result = self._v21.process(rx)
        events = result.events
        if any(isinstance(e, dsp_modem.CarrierUp) for e in events):
            self._feed(io.CarrierUp(modem=Modem.V21))
        decoded = self._v21_hdlc.process(result.bits)
        if self._cng and (decoded.frames or any(isinstance(e, FlagsDetected) for e in decoded.events)):
            # HDLC flags: the far end's DIS is coming.  Not on carrier alone: a voice prompt
            # (an IVR answering the fax) holds the V.21 carrier detector on now and then, and
            # CNG must go on through it so the far end can tell a fax is calling (T.30 5.2.1)
            self._cng = False
        for frame in decoded.frames:
            self._feed(io.FrameReceived(data=frame.payload, fcs_ok=frame.fcs_ok))
            if frame.fcs_ok and len(frame.payload) >= 2 and frame.payload[1] & _FINAL_BIT:
                # the transmission's last frame: what follows until the next flags is not a
                # frame, even when line noise holds the carrier detector on
                self._v21_hdlc.reset()
                break
        if any(isinstance(e, dsp_modem.CarrierDown) for e in events):
            self._v21_hdlc.reset()
            if self._result is None:
                self._feed(io.CarrierDown(modem=Modem.V21))

    def _receive_image_modem(self, receiver: dsp_modem.ModemReceiver, rx: Samples) -> None:
        assert self._hs_rate is not None
        modem = self._hs_rate.modem
        result = receiver.process(rx)
        for event in result.events:
            if isinstance(event, dsp_modem.CarrierUp):
                self._hs_up_sample = event.sample
                self._hs_carrier = True
            elif isinstance(event, dsp_modem.Trained):
                self._hs_trained = True
                self._feed(io.CarrierUp(modem=modem))
        if self._hs is not receiver:
            return
        if self._hs_trained and result.bits.size:
            self._image_bits(result.bits)
        for event in result.events:
            if self._hs is not receiver:
                return
            if isinstance(event, dsp_modem.CarrierDown):
                self._image_carrier_end(event.sample - self._hs_up_sample, modem)
        if self._hs is receiver and self._hs_purpose is io.RxPurpose.TCF:
            self._tcf_due()

    def _image_bits(self, bits: dsp_modem.Bits) -> None:
        purpose = self._hs_purpose
        if purpose is io.RxPurpose.TCF:
            self._count_zeros(bits)
        elif purpose is io.RxPurpose.IMAGE:
            work = np.concatenate([self._left_bits, bits])
            whole = work.size - work.size % 8
            self._left_bits = work[whole:]
            if whole:
                data = np.packbits(work[:whole], bitorder="little").tobytes()
                self._page_bytes.extend(data)
                self._feed(io.ImageReceived(data=data))
        else:
            for frame in self._hs_hdlc.process(bits).frames:
                if frame.fcs_ok:
                    self._keep_fcd(frame.payload)
                self._feed(io.FrameReceived(data=frame.payload, fcs_ok=frame.fcs_ok))

    def _count_zeros(self, bits: dsp_modem.Bits) -> None:
        """Track the longest run of zero bits of the TCF, across blocks."""
        self._tcf_bits += bits.size
        ones = np.flatnonzero(bits)
        if ones.size == 0:
            self._zero_run += bits.size
        else:
            inner = int(np.max(np.diff(ones))) - 1 if ones.size > 1 else 0
            self._zero_max = max(self._zero_max, self._zero_run + int(ones[0]), inner)
            self._zero_run = bits.size - 1 - int(ones[-1])
        self._zero_max = max(self._zero_max, self._zero_run)

    def _tcf_verdict(self) -> None:
        """Give the engine the TCF summary (once per TCF): the longest run of zeros in ms."""
        assert self._hs_rate is not None
        if not self._hs_reported:
            self._hs_reported = True
            zero_ms = self._zero_max * 1000 // self._hs_rate.rate_bps
            self._feed(io.TcfReceived(zero_run_ms=zero_ms, bits_received=self._tcf_bits))

    def _tcf_due(self) -> None:
        """A TCF whose carrier is still on (a noisy line) is judged once its 1.5 s of bits
        have come, or at :data:`TCF_VERDICT_S` if anything was heard at all."""
        assert self._hs_rate is not None
        full = self._tcf_bits >= self._hs_rate.rate_bps * io.TCF_DURATION_MS // 1000
        late = self._hs_carrier and self._now_s >= self._tcf_deadline_s
        if full or late:
            self._tcf_verdict()

    def _image_carrier_end(self, carrier_samples: int, modem: Modem) -> None:
        """The image carrier ended: the TCF verdict, or the end of the page data.  A carrier
        that never trained is the tail of the far end's V.21 signal or a noise burst, unless
        it lasted as long as a TCF would: then the TCF failed (FTT follows)."""
        if self._hs_purpose is io.RxPurpose.TCF:
            if self._hs_trained or carrier_samples >= TCF_FAILED_MIN_MS * _FS_HZ // 1000:
                self._tcf_verdict()
        elif self._hs_trained:
            self._hs_trained = False
            self._feed(io.CarrierDown(modem=modem))

    def _keep_fcd(self, payload: bytes) -> None:
        try:
            frame = T30Frame.decode(payload)
            if frame.fcf is Fcf.FCD:
                number, data = decode_fcd(frame.fif)
                self._ecm_block[number] = data
        except FrameError:
            pass  # the engine drops it too; PPR will ask for it again

    def _block_so_far(self) -> bytes:
        """The frames of the current ECM block from frame 0 up to the first missing one."""
        data = bytearray()
        number = 0
        while number in self._ecm_block:
            data.extend(self._ecm_block[number])
            number += 1
        return bytes(data)

    def _listen(self, action: io.ReceiveV21 | io.ReceiveHighSpeed) -> None:
        if isinstance(action, io.ReceiveV21):
            self._hs = None
            return
        entry = image_modem(action.rate)
        kept = self._trained_rx.get(action.rate)
        if entry.resume is not None and kept is not None and action.purpose is not io.RxPurpose.TCF:
            entry.resume(kept)  # V.17: the short training, on the equalizer the TCF trained
            self._hs = kept
        else:
            self._hs = entry.receiver(action.rate.rate_bps)
            if entry.resume is not None and action.purpose is io.RxPurpose.TCF:
                self._trained_rx = {action.rate: self._hs}
        self._hs_rate, self._hs_purpose = action.rate, action.purpose
        self._hs_trained = self._hs_reported = self._hs_carrier = False
        self._hs_up_sample = 0
        self._tcf_deadline_s = self._now_s + TCF_VERDICT_S
        self._hs_hdlc.reset()
        self._left_bits = np.zeros(0, dtype=np.uint8)
        self._zero_run = self._zero_max = self._tcf_bits = 0

    # ------------------------------------------------------------ transmitting

    def _transmit(self) -> Samples:
        out = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        if not self._queue and self._cng:
            period = _CNG_PERIOD.size
            idx = (self._cng_pos + np.arange(FRAME_SAMPLES)) % period
            self._cng_pos = (self._cng_pos + FRAME_SAMPLES) % period
            return _CNG_PERIOD[idx]
        pos = 0
        while pos < FRAME_SAMPLES and self._queue:
            job = self._queue[0]
            chunk = job.source.generate(FRAME_SAMPLES - pos)
            out[pos:pos + chunk.size] = chunk
            pos += chunk.size
            if job.source.done:
                self._queue.popleft()
                if job.on_done is not None:
                    job.on_done()
        return out

    def _send(self, source: _Samples | dsp_modem.ModemTransmitter, notify: bool) -> None:
        """Queue a transmission; half duplex, the image modem receiver stops (the engine
        switches it on again when it waits for the next high-speed signal)."""
        self._cng = False
        self._hs = None
        done = (lambda: self._feed(io.TransmitDone())) if notify else None
        self._queue.append(_Job(source, done, modem=notify))

    def _transmitter(self, action: io.SendFrames | io.SendTcf | io.SendImage | io.SendEcmFrames
                     ) -> dsp_modem.ModemTransmitter:
        if isinstance(action, io.SendFrames):
            tx: dsp_modem.ModemTransmitter = V21Transmitter()
            tx.write_bits(HdlcEncoder().encode(action.frames))
        else:
            rate = action.rate.rate_bps
            entry = image_modem(action.rate)
            if isinstance(action, io.SendTcf):
                self._tcf_rate = action.rate
            short = entry.short_transmitter is not None and not isinstance(action, io.SendTcf) \
                and self._tcf_rate == action.rate
            tx = entry.short_transmitter(rate) if short and entry.short_transmitter is not None \
                else entry.transmitter(rate)
            if isinstance(action, io.SendTcf):
                tx.write_bits(np.zeros(rate * action.duration_ms // 1000, dtype=np.uint8))
            elif isinstance(action, io.SendImage):
                tx.write_bits(_bits_of(action.data))
            else:
                tx.write_bits(HdlcEncoder(bit_rate_bps=rate).encode(
                    action.frames, preamble_ms=ECM_PREAMBLE_MS, closing_flags=ECM_CLOSING_FLAGS))
        tx.finish()
        return tx

    # ------------------------------------------------------------ engine actions

    def _perform(self, actions: list[io.T30Action]) -> None:
        """Carry out the engine's actions in order (:data:`_ACTIONS` says how, per type)."""
        delivered = any(isinstance(a, io.PageReceived) for a in actions)
        for action in actions:
            if isinstance(action, io.SendFrames) and not delivered:
                self._note_block_confirmed(action.frames)
            _ACTIONS[type(action)](self, action)

    def _wait(self, action: io.WaitSilence) -> None:
        samples = np.zeros(action.duration_ms * _FS_HZ // 1000, dtype=np.int16)
        self._send(_Samples(samples), notify=False)

    def _start_sending(self, action: io.SendFrames | io.SendTcf | io.SendImage
                       | io.SendEcmFrames) -> None:
        self._send(self._transmitter(action), notify=True)

    def _timer_set(self, action: io.SetTimer) -> None:
        """Informational: :meth:`_timers` asks the engine for its deadline every frame."""

    def _note_block_confirmed(self, frames: tuple[bytes, ...]) -> None:
        """MCF to a PPS-NULL: an ECM block of a page is whole; keep it with the page so far."""
        if self._params is None or not self._params.ecm or not self._receives:
            return
        if any(T30Frame.decode(f).fcf is Fcf.MCF for f in frames):
            self._ecm_blocks.extend(self._block_so_far())
            self._ecm_block.clear()

    def _negotiated(self, action: io.Negotiated) -> None:
        self._params = action.params
        self._page_bytes.clear()
        self._events.append(Negotiated(
            modem=action.rate.modem, rate_bps=action.rate.rate_bps, coding=action.params.coding,
            resolution=action.params.resolution, ecm=action.params.ecm,
            remote_id=action.remote_id))

    def _page_sent(self, action: io.PageSent) -> None:
        self._events.append(PageSent(page_number=action.page_number,
                                     rate_bps=action.rate.rate_bps, coding=action.params.coding,
                                     response=action.response.name))

    def _page_received(self, action: io.PageReceived) -> None:
        self._events.append(PageReceived(
            page_number=action.page_number, rate_bps=action.rate.rate_bps,
            coding=action.params.coding, lines=action.lines, bad_lines=action.bad_lines,
            response=action.response.name))

    def _complete(self, action: io.Completed) -> None:
        stats = action.stats
        incomplete = 0
        if self._receives and self._params is not None:
            data = (bytes(self._ecm_blocks) + self._block_so_far() if self._params.ecm
                    else bytes(self._page_bytes))
            kept = self._collector.keep_partial(stats.pages_received + 1, data, self._params)
            if kept is not None:
                incomplete = 1
                self._events.append(PageIncomplete(page_number=kept.page_number,
                                                   lines=kept.page.rows,
                                                   bad_lines=kept.bad_lines))
        self._hs = None
        self._result = FaxResult(
            result=action.result,
            # a call carries pages one way (polling turns it round): one of the two is 0
            pages=stats.pages_sent + stats.pages_received,
            incomplete_pages=incomplete, rate_bps=stats.rate_bps, modem=stats.modem,
            ecm=stats.ecm, coding=stats.coding, remote_id=stats.remote_id,
            trainings=stats.trainings, ecm_frames_resent=stats.ecm_frames_resent)
        self._events.append(CallEnded(result=self._result))


#: How the terminal carries out each of the engine's actions.
_ACTIONS: dict[type, Callable[[FaxTerminal, Any], None]] = {
    io.WaitSilence: FaxTerminal._wait,
    io.SendFrames: FaxTerminal._start_sending,
    io.SendTcf: FaxTerminal._start_sending,
    io.SendImage: FaxTerminal._start_sending,
    io.SendEcmFrames: FaxTerminal._start_sending,
    io.ReceiveV21: FaxTerminal._listen,
    io.ReceiveHighSpeed: FaxTerminal._listen,
    io.SetTimer: FaxTerminal._timer_set,
    io.Negotiated: FaxTerminal._negotiated,
    io.PageSent: FaxTerminal._page_sent,
    io.PageReceived: FaxTerminal._page_received,
    io.Completed: FaxTerminal._complete,
}
