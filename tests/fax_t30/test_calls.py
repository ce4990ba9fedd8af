"""Two T.30 engines on a simulated line: a caller sends, the answerer receives (normal mode)."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.fax.t30 import T30Engine
from pycti.fax.t30_dis import DisModems, ModemRate
from pycti.fax.t30_frames import Fcf, T30Frame
from pycti.fax.t30_io import (
    Abort,
    FrameReceived,
    Negotiated,
    PageReceived,
    PageSent,
    ReceiveHighSpeed,
    SendFrames,
    SendTcf,
    T30Config,
    T30ConfigError,
    TransmitDone,
    T30Result,
    WaitSilence,
)
from pycti.fax.t4_types import Coding, Resolution

from . import CodecSink, CodecSource, Line, pair, test_page

NORMAL = T30Config(ecm=False, local_id="+1 555 0100")


def call(caller_cfg: T30Config, answerer_cfg: T30Config, pages: list[np.ndarray],
         **hooks: object) -> tuple[Line, CodecSource, CodecSink]:
    source, sink = CodecSource(pages), CodecSink()
    line = pair(T30Engine.caller(caller_cfg, source), T30Engine.answerer(answerer_cfg, sink),
                **hooks)
    line.run()
    return line, source, sink


def results(line: Line) -> tuple[T30Result, T30Result]:
    assert line.caller.completed is not None and line.answerer.completed is not None
    return line.caller.outcome.result, line.answerer.outcome.result


def test_two_pages_arrive_intact_with_mcf() -> None:
    pages = [test_page(1), test_page(2)]
    line, source, sink = call(NORMAL, T30Config(local_id="+44 20 7946 0000"), pages)
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.caller.sent_fcfs() == [Fcf.TSI, Fcf.DCS, Fcf.MPS, Fcf.EOP, Fcf.DCN]
    assert line.answerer.sent_fcfs() == [Fcf.CSI, Fcf.DIS, Fcf.CFR, Fcf.MCF, Fcf.MCF]
    assert [np.array_equal(img, p) for (_, img, _), p in zip(sink.pages, pages)] == [True, True]
    stats = line.caller.outcome.stats
    assert (stats.pages_sent, stats.rate_bps, stats.coding, stats.ecm) == (2, 14400, Coding.MR, False)
    assert stats.remote_id == "+44 20 7946 0000"
    assert line.answerer.outcome.stats.remote_id == "+1 555 0100"
    received = line.answerer.of(PageReceived)
    assert [(p.page_number, p.lines, p.bad_lines, p.response) for p in received] == [
        (1, 120, 0, Fcf.MCF), (2, 120, 0, Fcf.MCF)]
    assert [p.response for p in line.caller.of(PageSent)] == [Fcf.MCF, Fcf.MCF]


def test_x_bit_caller_sets_it_answerer_does_not() -> None:
    line, _, _ = call(NORMAL, T30Config(), [test_page(1)])
    caller_codes = [f[2] for a in line.caller.of(SendFrames)
                    for f in a.frames]
    answer_codes = [f[2] for a in line.answerer.of(SendFrames) for f in a.frames]
    assert all(c & 1 for c in caller_codes)
    assert not any(c & 1 for c in answer_codes)


def test_75_ms_gap_before_every_change_of_modem() -> None:
    line, _, _ = call(NORMAL, T30Config(), [test_page(1)])
    acts = [a for _, a in line.caller.actions if isinstance(a, (WaitSilence, SendTcf))]
    i = next(i for i, a in enumerate(acts) if isinstance(a, SendTcf))
    assert acts[i - 1] == WaitSilence(duration_ms=75)
    assert line.caller.of(SendTcf) == [SendTcf(rate=ModemRate.V17_14400, duration_ms=1500)]


def test_capabilities_are_negotiated_down_to_what_both_have() -> None:
    caller = T30Config(ecm=False, modems=DisModems.V27TER_V29, codings=frozenset({Coding.MH, Coding.MR}))
    answerer = T30Config(ecm=False, codings=frozenset({Coding.MH}), min_scan_line_time_ms=20,
                         resolutions=frozenset({Resolution.STANDARD}))
    line, source, sink = call(caller, answerer, [test_page(3)])
    assert results(line) == (T30Result.OK, T30Result.OK)
    negotiated = line.caller.of(Negotiated)[0]
    assert negotiated.rate is ModemRate.V29_9600
    params = negotiated.params
    assert (params.coding, params.resolution, params.min_scan_line_time_ms) == (
        Coding.MH, Resolution.STANDARD, 20)
    assert source.requests[0][1] == params
    assert line.answerer.of(Negotiated)[0].params == params
    assert sink.pages[0][0].params == params


def test_nsf_goes_before_csi_and_dis() -> None:
    line, _, _ = call(NORMAL, T30Config(nsf=b"\x00\x00\x0e\x01", local_id="1"), [test_page(1)])
    first = line.answerer.of(SendFrames)[0].frames
    decoded = [T30Frame.decode(f) for f in first]
    assert [(f.fcf, f.final) for f in decoded] == [(Fcf.NSF, False), (Fcf.CSI, False), (Fcf.DIS, True)]
    assert decoded[0].fif == b"\x00\x00\x0e\x01"


def test_ftt_falls_back_one_rate_at_a_time() -> None:
    line, _, sink = call(NORMAL, T30Config(), [test_page(1)],
                         tcf_zero_ms=lambda rate, ms: 300 if rate.rate_bps > 7200 else ms)
    assert results(line) == (T30Result.OK, T30Result.OK)
    rates = [a.rate for a in line.caller.of(SendTcf)]
    assert rates == [ModemRate.V17_14400, ModemRate.V17_12000, ModemRate.V17_9600, ModemRate.V17_7200]
    assert line.answerer.sent_fcfs()[1:5] == [Fcf.FTT, Fcf.FTT, Fcf.FTT, Fcf.CFR]
    assert sink.pages[0][0].params.rate_bps == 7200
    assert line.caller.outcome.stats.trainings == 4


def test_receiver_follows_the_rate_of_each_dcs() -> None:
    line, _, _ = call(NORMAL, T30Config(), [test_page(1)],
                      tcf_zero_ms=lambda rate, ms: 0 if rate is ModemRate.V17_14400 else ms)
    rx_rates = [a.rate for a in line.answerer.of(ReceiveHighSpeed)]
    assert rx_rates[:2] == [ModemRate.V17_14400, ModemRate.V17_12000]


def test_rtp_accepts_the_page_and_the_caller_retrains() -> None:
    def damage(n: int, data: bytes) -> bytes:  # two octets of the first page
        if n != 1:
            return data
        out = bytearray(data)
        out[300] ^= 0x5A
        out[301] ^= 0x5A
        return bytes(out)

    line, _, sink = call(NORMAL, T30Config(rtn_bad_line_ratio=0.02), [test_page(1), test_page(2)],
                         image_damage=damage)
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.answerer.sent_fcfs().count(Fcf.RTP) == 1
    assert line.caller.sent_fcfs().count(Fcf.DCS) == 2  # retrained before page 2
    assert len(sink.pages) == 2 and sink.pages[0][2] > 0


def _damage_first(times: int):  # type: ignore[no-untyped-def]
    def damage(n: int, data: bytes) -> bytes:
        if n > times:
            return data
        out = bytearray(data)
        for i in range(300, 400):
            out[i] ^= 0x5A
        return bytes(out)
    return damage


def test_rtn_retrains_and_sends_the_page_again() -> None:
    line, _, sink = call(NORMAL, T30Config(rtn_bad_line_ratio=0.02), [test_page(1)],
                         image_damage=_damage_first(1))
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.answerer.sent_fcfs() == [Fcf.DIS, Fcf.RTN, Fcf.CFR, Fcf.MCF] or \
        line.answerer.sent_fcfs() == [Fcf.DIS, Fcf.CFR, Fcf.RTN, Fcf.CFR, Fcf.MCF]
    assert [a.rate for a in line.caller.of(SendTcf)] == [ModemRate.V17_14400, ModemRate.V17_12000]
    assert np.array_equal(sink.pages[-1][1], test_page(1))
    assert line.caller.outcome.stats.pages_rejected == 1
    assert line.answerer.outcome.stats.pages_received == 1


def test_rtn_on_every_try_of_the_last_page() -> None:
    line, _, _ = call(NORMAL, T30Config(rtn_bad_line_ratio=0.02), [test_page(1)],
                      image_damage=_damage_first(99))
    assert results(line) == (T30Result.RTN_ON_LAST_PAGE, T30Result.DCN_UNEXPECTED)
    assert line.answerer.sent_fcfs().count(Fcf.RTN) == 3


def test_rtn_on_a_middle_page_goes_on_after_its_tries() -> None:
    line, _, sink = call(T30Config(ecm=False, page_tries=1), T30Config(rtn_bad_line_ratio=0.02),
                         [test_page(1), test_page(2)], image_damage=_damage_first(1))
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert [p.response for p in line.caller.of(PageSent)] == [Fcf.RTN, Fcf.MCF]
    assert np.array_equal(sink.pages[-1][1], test_page(2))


def test_eom_between_pages_of_different_resolution_renegotiates() -> None:
    source, sink = CodecSource([test_page(1), test_page(2)],
                               resolutions=[Resolution.FINE, Resolution.STANDARD]), CodecSink()
    line = pair(T30Engine.caller(NORMAL, source), T30Engine.answerer(T30Config(), sink))
    line.run()
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.caller.sent_fcfs() == [Fcf.TSI, Fcf.DCS, Fcf.EOM, Fcf.TSI, Fcf.DCS, Fcf.EOP, Fcf.DCN]
    assert line.answerer.sent_fcfs().count(Fcf.DIS) == 2
    assert [p.params.resolution for p, _, _ in sink.pages] == [Resolution.FINE, Resolution.STANDARD]


def test_lost_dcs_is_repeated_after_t4() -> None:
    line, _, sink = call(NORMAL, T30Config(), [test_page(1)],
                         v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.DCS and n == 0 else "ok")
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.caller.sent_fcfs().count(Fcf.DCS) == 2
    assert len(sink.pages) == 1


def test_lost_cfr_makes_the_caller_repeat_dcs_and_the_answerer_retrain() -> None:
    line, _, sink = call(NORMAL, T30Config(), [test_page(1)],
                         v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.CFR and n == 0 else "ok")
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.answerer.sent_fcfs().count(Fcf.CFR) == 2
    assert len(sink.pages) == 1


def test_corrupt_dcs_draws_crp_and_a_repeat() -> None:
    line, _, _ = call(NORMAL, T30Config(), [test_page(1)],
                      v21_hook=lambda who, fcf, n: "corrupt" if fcf is Fcf.DCS and n == 0 else "ok")
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert Fcf.CRP in line.answerer.sent_fcfs()
    assert line.caller.sent_fcfs().count(Fcf.DCS) == 2


def test_lost_mcf_repeats_eop_and_the_page_is_stored_once() -> None:
    line, _, sink = call(NORMAL, T30Config(), [test_page(1)],
                         v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.MCF and n == 0 else "ok")
    assert results(line) == (T30Result.OK, T30Result.OK)
    assert line.caller.sent_fcfs().count(Fcf.EOP) == 2
    assert line.answerer.sent_fcfs().count(Fcf.MCF) == 2
    assert len(sink.pages) == 1


def test_answerer_refuses_polling() -> None:
    sink = CodecSink()
    engine = T30Engine.answerer(T30Config(), sink)
    engine.start(0.0)
    engine.handle(TransmitDone(), 1.9)  # DIS is out
    dtc = T30Frame(fcf=Fcf.DTC, fif=b"\x00\x00\x00", x_bit=True).encode()
    actions = engine.handle(FrameReceived(data=dtc), 5.0)
    assert engine.result is T30Result.INCOMPATIBLE
    assert any(isinstance(a, SendFrames) for a in actions)


def test_engine_misuse_is_a_value_error() -> None:
    engine = T30Engine.caller(NORMAL, CodecSource([test_page(1)]))
    engine.start(0.0)
    with pytest.raises(ValueError, match="already started"):
        engine.start(1.0)
    with pytest.raises(ValueError, match="at least one page"):
        T30Engine.caller(NORMAL, CodecSource([]))
    with pytest.raises(T30ConfigError, match="command_tries 0") as info:
        T30Config(command_tries=0, ecm_frame_octets=128, local_id="ACME")
    assert isinstance(info.value, ValueError)
    assert "ecm_frame_octets 128" in str(info.value) and "Table 3" in str(info.value)


def test_local_abort_mid_page_sends_dcn_that_the_sending_caller_cannot_hear() -> None:
    source, sink = CodecSource([test_page(1), test_page(2)]), CodecSink()
    line = pair(T30Engine.caller(NORMAL, source), T30Engine.answerer(T30Config(), sink))
    line.inject(7.5, line.answerer, Abort())  # the caller is sending page 1 (half duplex)
    line.run()
    assert results(line) == (T30Result.FAR_END_HUNG_UP, T30Result.LOCAL_ABORT)
    assert line.answerer.sent_fcfs()[-1] is Fcf.DCN
    assert sink.pages == []


def test_line_drop_mid_call() -> None:
    line, _, sink = call(NORMAL, T30Config(), [test_page(1), test_page(2)], drop_line_at_s=9.0)
    assert results(line) == (T30Result.FAR_END_HUNG_UP, T30Result.FAR_END_HUNG_UP)
    assert len(sink.pages) < 2
