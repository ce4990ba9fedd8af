"""The control frames travel as real line audio: HDLC framing (pycti.dsp.hdlc) on the V.21
channel 2 modem (pycti.dsp.v21), with seeded noise, between the two engines."""

from __future__ import annotations

import numpy as np

from pycti.dsp.hdlc import HdlcDecoder, HdlcEncoder
from pycti.dsp.v21 import V21Receiver, V21Transmitter
from pycti.fax.t30 import T30Engine
from pycti.fax.t30_frames import Fcf
from pycti.fax.t30_io import FrameReceived, SendFrames, T30Config, T30Result

from . import CodecSink, CodecSource, pair, test_page

BLOCK = 160  # 20 ms at 8000 Hz


class V21Line:
    """Payloads -> HDLC bits -> V.21 audio (+ white noise) -> V.21 receiver -> HDLC frames."""

    def __init__(self, seed: int, noise_rms: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.noise_rms = noise_rms
        self.transmissions = 0

    def __call__(self, payloads: tuple[bytes, ...]) -> list[FrameReceived]:
        self.transmissions += 1
        tx = V21Transmitter()
        tx.write_bits(HdlcEncoder().encode(payloads))
        tx.finish()
        blocks = [np.zeros(800, dtype=np.int16)]
        while not tx.done:
            blocks.append(tx.generate(BLOCK))
        blocks.append(np.zeros(800, dtype=np.int16))
        audio = np.concatenate(blocks).astype(np.float64)
        audio += self.rng.normal(0.0, self.noise_rms, audio.size)
        bits = V21Receiver().process(np.clip(audio, -32768, 32767).astype(np.int16)).bits
        return [FrameReceived(data=f.payload, fcs_ok=f.fcs_ok)
                for f in HdlcDecoder().process(bits).frames]


def test_a_call_whose_control_frames_cross_a_noisy_v21_line() -> None:
    channel = V21Line(seed=7, noise_rms=300.0)  # about 20 dB below the -10 dBm0 carrier
    source, sink = CodecSource([test_page(1), test_page(2)]), CodecSink()
    line = pair(T30Engine.caller(T30Config(ecm=False, local_id="+1 555 0100"), source),
                T30Engine.answerer(T30Config(local_id="+33 1 23 45 67 89"), sink),
                v21_channel=channel)
    line.run()
    assert line.caller.outcome.result is T30Result.OK
    assert line.answerer.outcome.result is T30Result.OK
    assert line.caller.outcome.stats.remote_id == "+33 1 23 45 67 89"
    assert line.answerer.outcome.stats.remote_id == "+1 555 0100"
    assert [np.array_equal(img, test_page(i + 1)) for i, (_, img, _) in enumerate(sink.pages)] == [
        True, True]
    # every V.21 transmission of both sides went through the modem: TSI+DCS, MPS, EOP, DCN and
    # CSI+DIS, CFR, MCF, MCF
    assert channel.transmissions == 8
    assert len(line.caller.of(SendFrames)) + len(line.answerer.of(SendFrames)) == 8


def test_frames_garbled_by_heavy_noise_end_in_a_clean_failure() -> None:
    channel = V21Line(seed=3, noise_rms=12000.0)  # noise far above the carrier: nothing decodes
    source, sink = CodecSource([test_page(1)]), CodecSink()
    line = pair(T30Engine.caller(T30Config(ecm=False), source),
                T30Engine.answerer(T30Config(), sink), v21_channel=channel)
    line.run()
    assert line.caller.outcome.result is T30Result.T1_EXPIRED
    assert line.answerer.outcome.result in (T30Result.T1_EXPIRED, T30Result.FAR_END_HUNG_UP)
    assert sink.pages == [] and Fcf.DCS not in line.caller.sent_fcfs()
