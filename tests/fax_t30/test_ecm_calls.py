"""Error correction mode (T.30 Annex A) between two engines: blocks, PPR, CTC/CTR, limits."""

from __future__ import annotations

import numpy as np

from pycti.fax.t30 import T30Engine
from pycti.fax.t30_dis import ModemRate
from pycti.fax.t30_frames import Fcf, T30Frame, decode_ppr_map, decode_pps
from pycti.fax.t30_io import PageReceived, SendEcmFrames, SendFrames, T30Config, T30Result
from pycti.fax.t4_types import Coding

from . import CodecSink, CodecSource, Line, pair, test_page

ECM64 = T30Config(ecm_frame_octets=64, local_id="100")


def call(caller_cfg: T30Config, pages: list[np.ndarray], **hooks: object
         ) -> tuple[Line, CodecSource, CodecSink]:
    source, sink = CodecSource(pages), CodecSink()
    line = pair(T30Engine.caller(caller_cfg, source), T30Engine.answerer(T30Config(), sink),
                **hooks)
    line.run()
    return line, source, sink


def _frames_of(line: Line, fcf: Fcf) -> list[T30Frame]:
    return [fr for a in line.caller.of(SendFrames) + line.answerer.of(SendFrames)
            for fr in map(T30Frame.decode, a.frames) if fr.fcf is fcf]


def noisy_page(seed: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((rows, 1728)) < 0.3).astype(np.uint8)


def test_ecm_pages_arrive_as_mmr_blocks() -> None:
    pages = [test_page(1, 400), test_page(2)]
    line, _, sink = call(ECM64, pages)
    assert line.caller.outcome.result is T30Result.OK
    assert line.answerer.outcome.result is T30Result.OK
    assert [np.array_equal(img, p) for (_, img, _), p in zip(sink.pages, pages)] == [True, True]
    assert all(p.params.ecm and p.params.coding is Coding.MMR for p, _, _ in sink.pages)
    pps = [decode_pps(f.fif) for f in _frames_of(line, Fcf.PPS)]
    assert [(p.post, p.page, p.block) for p in pps] == [(Fcf.MPS, 0, 0), (Fcf.EOP, 1, 0)]
    assert pps[0].frame_count == -(-len(sink.pages[0][0].data) // 64)
    assert line.answerer.sent_fcfs() == [Fcf.DIS, Fcf.CFR, Fcf.MCF, Fcf.MCF]


def test_a_page_longer_than_256_frames_goes_in_several_blocks() -> None:
    page = noisy_page(4, 60)  # about 25 kB of MMR: 400 frames of 64 octets
    line, _, sink = call(ECM64, [page])
    assert line.caller.outcome.result is T30Result.OK
    pps = [decode_pps(f.fif) for f in _frames_of(line, Fcf.PPS)]
    assert [(p.post, p.block) for p in pps] == [(None, 0), (Fcf.EOP, 1)]
    assert pps[0].frame_count == 256
    assert np.array_equal(sink.pages[0][1], page)


def test_bad_fcs_frames_are_asked_for_with_ppr_and_sent_again() -> None:
    bad = {3, 7, 20}
    line, _, sink = call(ECM64, [test_page(1, 400)],
                         ecm_bad=lambda tx, n: tx == 1 and n in bad)
    assert line.caller.outcome.result is T30Result.OK
    pprs = _frames_of(line, Fcf.PPR)
    assert [decode_ppr_map(f.fif) for f in pprs] == [bad]
    resent = line.caller.of(SendEcmFrames)[1].frames
    assert [T30Frame.decode(f).fif[0] for f in resent[:-3]] == sorted(bad)
    assert line.caller.outcome.stats.ecm_frames_resent == 3
    assert np.array_equal(sink.pages[0][1], test_page(1, 400))


def test_four_pprs_bring_ctc_one_rate_lower() -> None:
    line, _, sink = call(ECM64, [test_page(1)], ecm_bad=lambda tx, n: tx <= 4 and n == 2)
    assert line.caller.outcome.result is T30Result.OK
    assert len(_frames_of(line, Fcf.PPR)) == 4
    assert len(_frames_of(line, Fcf.CTR)) == 1
    assert line.caller.of(SendEcmFrames)[-1].rate is ModemRate.V17_12000
    assert sink.pages[0][0].params.rate_bps == 12000


def test_ecm_gives_up_after_four_pprs_at_the_slowest_rate() -> None:
    line, _, sink = call(T30Config(ecm_frame_octets=256, max_rate_bps=4800), [test_page(1)],
                         ecm_bad=lambda tx, n: n == 0)
    assert line.caller.outcome.result is T30Result.ECM_RETRANSMIT_LIMIT
    assert line.answerer.outcome.result is T30Result.DCN_UNEXPECTED
    assert len(_frames_of(line, Fcf.PPR)) == 8 and len(_frames_of(line, Fcf.CTC)) == 1
    assert sink.pages == []


def test_lost_mcf_to_pps_is_answered_again_without_a_second_page() -> None:
    line, _, sink = call(ECM64, [test_page(1), test_page(2)],
                         v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.MCF and n == 0 else "ok")
    assert line.caller.outcome.result is T30Result.OK
    assert len(sink.pages) == 2
    assert [p.page_number for p in line.answerer.of(PageReceived)] == [1, 2]
