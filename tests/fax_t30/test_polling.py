"""Polling (T.30 DIS bit 9, CIG + DTC): the calling terminal receives the document the answering
terminal offers, engine to engine on the simulated line and terminal to terminal over real line
audio; normal mode and ECM, MH/MR/T.6, several pages; the pages must arrive pixel-identical.
And the refusals: a DIS that offers nothing to poll, a DTC to a terminal with nothing to send.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp.linemodel import LineModel
from pycti.fax.document_page import FaxPage
from pycti.fax.t30 import State, T30Engine
from pycti.fax.t30_dis import DisFields, Modem, ModemRate
from pycti.fax.t30_frames import Fcf, T30Frame, decode_identifier, decode_pps
from pycti.fax.t30_io import (
    FrameReceived,
    Negotiated,
    PageReceived,
    PageSent,
    SendFrames,
    T30Config,
    T30Result,
    TransmitDone,
)
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal import FaxTerminal
from pycti.fax.terminal_events import FaxOptions, Negotiated as FaxNegotiated
from pycti.fax.terminal_loop import run_pair
from pycti.fax.terminal_modems import FaxTerminalError
from tests.fax_terminal import document, same_image

from . import CodecSink, CodecSource, Line, pair, test_page
from .test_fuzz import Bytes, drive_arbitrarily, inputs

POLLER = T30Config(ecm=False, local_id="+1 555 0100")
POLLED = T30Config(local_id="+44 20 7946 0000")


def poll(poller_cfg: T30Config, polled_cfg: T30Config, pages: list[np.ndarray], *,
         answerer_sink: bool = False, resolutions: list[Resolution] | None = None,
         **hooks: object) -> tuple[Line, CodecSource, CodecSink]:
    source, sink = CodecSource(pages, resolutions=resolutions), CodecSink()
    line = pair(T30Engine.poller(poller_cfg, sink),
                T30Engine.answerer(polled_cfg, CodecSink() if answerer_sink else None,
                                   polled=source), **hooks)
    line.run()
    return line, source, sink


def _frames(line: Line, who: str) -> list[T30Frame]:
    side = line.caller if who == "caller" else line.answerer
    return [T30Frame.decode(f) for a in side.of(SendFrames) for f in a.frames]


# ---------------------------------------------------------------- engine to engine


def test_polled_pages_arrive_intact_normal_mode_mr() -> None:
    pages = [test_page(1), test_page(2), test_page(3)]
    line, _, sink = poll(POLLER, POLLED, pages)
    assert (line.caller.outcome.result, line.answerer.outcome.result) == (T30Result.OK,
                                                                          T30Result.OK)
    # the caller identifies itself with CIG and commands with DTC, then answers as a receiver;
    # the answerer transmits as a caller would and sends the final DCN
    assert line.caller.sent_fcfs() == [Fcf.CIG, Fcf.DTC, Fcf.CFR, Fcf.MCF, Fcf.MCF, Fcf.MCF]
    assert line.answerer.sent_fcfs() == [Fcf.CSI, Fcf.DIS, Fcf.TSI, Fcf.DCS, Fcf.MPS, Fcf.MPS,
                                         Fcf.EOP, Fcf.DCN]
    assert [np.array_equal(img, p) for (_, img, _), p in zip(sink.pages, pages)] == [True] * 3
    polled_stats, poller_stats = line.answerer.outcome.stats, line.caller.outcome.stats
    assert (poller_stats.pages_received, poller_stats.pages_sent) == (3, 0)
    assert (polled_stats.pages_sent, polled_stats.pages_received) == (3, 0)
    assert (poller_stats.rate_bps, poller_stats.coding, poller_stats.ecm) == (14400, Coding.MR,
                                                                              False)
    assert poller_stats.remote_id == "+44 20 7946 0000"  # from CSI
    assert polled_stats.remote_id == "+1 555 0100"  # from CIG
    assert [p.response for p in line.answerer.of(PageSent)] == [Fcf.MCF] * 3
    assert [(p.page_number, p.lines) for p in line.caller.of(PageReceived)] == [
        (1, 120), (2, 120), (3, 120)]


def test_dis_bits_9_and_10_and_the_dtc_the_poller_sends() -> None:
    line, _, _ = poll(POLLER, POLLED, [test_page(1)])
    dis = DisFields.decode(next(f for f in _frames(line, "answerer") if f.fcf is Fcf.DIS).fif)
    assert dis.ready_to_transmit and not dis.ready_to_receive  # a document, nowhere to put one
    caller = _frames(line, "caller")
    assert [(f.fcf, f.final) for f in caller[:2]] == [(Fcf.CIG, False), (Fcf.DTC, True)]
    assert decode_identifier(caller[0].fif) == "+1 555 0100"
    dtc = DisFields.decode(caller[1].fif)
    assert dtc.ready_to_receive and not dtc.ready_to_transmit and not dtc.ecm


def test_an_answerer_with_a_document_and_a_sink_sets_both_bits_and_still_receives() -> None:
    source, sink = CodecSource([test_page(5)]), CodecSink()
    line = pair(T30Engine.caller(POLLER, CodecSource([test_page(6)])),
                T30Engine.answerer(POLLED, sink, polled=source))
    line.run()
    dis = DisFields.decode(next(f for f in _frames(line, "answerer") if f.fcf is Fcf.DIS).fif)
    assert dis.ready_to_transmit and dis.ready_to_receive
    assert line.answerer.outcome.result is T30Result.OK
    assert len(sink.pages) == 1 and np.array_equal(sink.pages[0][1], test_page(6))
    assert source.requests == []  # nobody polled: the offered document was not sent


def test_x_bit_stays_with_the_calling_station() -> None:
    line, _, _ = poll(POLLER, POLLED, [test_page(1)])
    caller_codes = [f[2] for a in line.caller.of(SendFrames) for f in a.frames]
    answer_codes = [f[2] for a in line.answerer.of(SendFrames) for f in a.frames]
    caller_with_x = [c for c, fr in zip(caller_codes, _frames(line, "caller")) if fr.fcf.has_x_bit]
    assert caller_with_x and all(c & 1 for c in caller_with_x)  # CFR, MCF
    assert not any(c & 1 for c in answer_codes)  # TSI, DCS, MPS/EOP, DCN


@pytest.mark.parametrize("coding", [Coding.MH, Coding.MR, Coding.MMR])
def test_polled_pages_in_ecm(coding: Coding) -> None:
    pages = [test_page(1, 300), test_page(2)]
    poller = T30Config(ecm_frame_octets=64, codings=frozenset({Coding.MH, coding}))
    line, _, sink = poll(poller, POLLED, pages)
    assert (line.caller.outcome.result, line.answerer.outcome.result) == (T30Result.OK,
                                                                          T30Result.OK)
    assert [np.array_equal(img, p) for (_, img, _), p in zip(sink.pages, pages)] == [True, True]
    assert all(p.params.ecm and p.params.coding is coding for p, _, _ in sink.pages)
    pps = [decode_pps(f.fif) for f in _frames(line, "answerer") if f.fcf is Fcf.PPS]
    assert [(p.post, p.page) for p in pps] == [(Fcf.MPS, 0), (Fcf.EOP, 1)]
    assert line.caller.outcome.stats.ecm and line.caller.outcome.stats.coding is coding


def test_ecm_frames_lost_are_asked_for_by_the_poller() -> None:
    pages = [test_page(4, 200)]
    line, _, sink = poll(T30Config(ecm_frame_octets=64), POLLED, pages,
                         ecm_bad=lambda tx, n: tx == 1 and n in (1, 3))
    assert line.caller.outcome.result is T30Result.OK
    assert Fcf.PPR in line.caller.sent_fcfs()
    assert line.answerer.outcome.stats.ecm_frames_resent == 2
    assert np.array_equal(sink.pages[0][1], pages[0])


def test_eom_between_resolutions_makes_the_poller_send_dtc_again() -> None:
    pages = [test_page(1), test_page(2)]
    line, _, sink = poll(POLLER, POLLED, pages, resolutions=[Resolution.FINE, Resolution.STANDARD])
    assert (line.caller.outcome.result, line.answerer.outcome.result) == (T30Result.OK,
                                                                          T30Result.OK)
    assert line.answerer.sent_fcfs() == [Fcf.CSI, Fcf.DIS, Fcf.TSI, Fcf.DCS, Fcf.EOM, Fcf.TSI,
                                         Fcf.DCS, Fcf.EOP, Fcf.DCN]
    assert line.caller.sent_fcfs().count(Fcf.DTC) == 2
    assert [p.params.resolution for p, _, _ in sink.pages] == [Resolution.FINE,
                                                               Resolution.STANDARD]


@pytest.mark.parametrize(("lost", "asked_by"), [
    ((Fcf.DTC,), Fcf.CRP),  # CIG came without its final frame: a bad command, CRP
    ((Fcf.CIG, Fcf.DTC), Fcf.DIS),  # nothing came: the answerer repeats DIS after T4
])
def test_a_lost_dtc_is_sent_again_when_the_answerer_asks(lost: tuple[Fcf, ...],
                                                         asked_by: Fcf) -> None:
    line, _, sink = poll(POLLER, POLLED, [test_page(1)],
                         v21_hook=lambda who, fcf, n: "drop" if fcf in lost and n == 0
                         else "ok")
    assert (line.caller.outcome.result, line.answerer.outcome.result) == (T30Result.OK,
                                                                          T30Result.OK)
    assert line.caller.sent_fcfs()[:4] == [Fcf.CIG, Fcf.DTC, Fcf.CIG, Fcf.DTC]
    assert line.answerer.sent_fcfs()[:3] == [Fcf.CSI, Fcf.DIS, asked_by] or \
        line.answerer.sent_fcfs()[:4] == [Fcf.CSI, Fcf.DIS, Fcf.CSI, asked_by]
    assert len(sink.pages) == 1 and np.array_equal(sink.pages[0][1], test_page(1))


def test_a_dtc_lost_after_eom_is_repeated_on_t4() -> None:
    line, _, sink = poll(POLLER, POLLED, [test_page(1), test_page(2)],
                         resolutions=[Resolution.FINE, Resolution.STANDARD],
                         v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.DTC and n == 1
                         else "ok")
    assert (line.caller.outcome.result, line.answerer.outcome.result) == (T30Result.OK,
                                                                          T30Result.OK)
    assert line.caller.sent_fcfs().count(Fcf.DTC) == 3
    assert len(sink.pages) == 2


def test_a_lost_dcs_from_the_polled_answerer_is_repeated_after_t4() -> None:
    line, _, sink = poll(POLLER, POLLED, [test_page(1)],
                         v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.DCS and n == 0
                         else "ok")
    assert (line.caller.outcome.result, line.answerer.outcome.result) == (T30Result.OK,
                                                                          T30Result.OK)
    assert line.answerer.sent_fcfs().count(Fcf.DCS) == 2
    assert line.caller.sent_fcfs().count(Fcf.DTC) == 1
    assert len(sink.pages) == 1


def test_ftt_makes_the_polled_answerer_fall_back() -> None:
    line, _, sink = poll(POLLER, POLLED, [test_page(1)],
                         tcf_zero_ms=lambda rate, ms: 0 if rate.rate_bps > 9600 else ms)
    assert line.caller.outcome.result is T30Result.OK
    negotiated = [a.rate for a in line.answerer.of(Negotiated)]
    assert negotiated == [ModemRate.V17_14400, ModemRate.V17_12000, ModemRate.V17_9600]
    assert line.caller.sent_fcfs().count(Fcf.FTT) == 2
    assert sink.pages[0][0].params.rate_bps == 9600


# ---------------------------------------------------------------- refusals


def test_a_dis_without_bit_9_ends_the_poll_with_polling_not_offered() -> None:
    line = pair(T30Engine.poller(POLLER, CodecSink()), T30Engine.answerer(POLLED, CodecSink()))
    line.run()
    assert line.caller.outcome.result is T30Result.POLLING_NOT_OFFERED
    assert line.caller.sent_fcfs() == [Fcf.DCN]
    assert line.answerer.outcome.result is T30Result.DCN_UNEXPECTED
    assert line.caller.outcome.stats.remote_id == "+44 20 7946 0000"


def test_a_dtc_to_an_answerer_with_nothing_to_be_polled_gets_dcn() -> None:
    """A caller that polls although the DIS did not offer it (CIG + DTC straight away)."""
    engine = T30Engine.answerer(POLLED, CodecSink())
    engine.start(0.0)
    engine.handle(TransmitDone(), 1.9)  # CSI/DIS are out
    assert engine.state is State.R_AWAIT_DCS
    cig = T30Frame(fcf=Fcf.CIG, fif=b"0010 555 1+".ljust(20), final=False).encode()
    dtc = T30Frame(fcf=Fcf.DTC, fif=DisFields(ecm=True).encode()).encode()
    assert engine.handle(FrameReceived(data=cig), 4.0) == []
    actions = engine.handle(FrameReceived(data=dtc), 4.1)
    assert engine.result is T30Result.INCOMPATIBLE
    sent = [T30Frame.decode(f).fcf for a in actions if isinstance(a, SendFrames) for f in a.frames]
    assert sent == [Fcf.DCN]


def test_a_dtc_to_a_sending_caller_gets_dcn() -> None:
    engine = T30Engine.caller(POLLER, CodecSource([test_page(1)]))
    engine.start(0.0)
    dtc = T30Frame(fcf=Fcf.DTC, fif=DisFields().encode()).encode()
    engine.handle(FrameReceived(data=dtc), 3.0)
    assert engine.result is T30Result.INCOMPATIBLE


def test_a_dcs_to_an_answerer_that_can_only_be_polled_gets_dcn() -> None:
    line = pair(T30Engine.caller(POLLER, CodecSource([test_page(1)])),
                T30Engine.answerer(POLLED, polled=CodecSource([test_page(2)])))
    line.run()
    # its DIS clears bit 10: the caller sees no receiver and gives up before DCS
    assert line.caller.outcome.result is T30Result.INCOMPATIBLE
    assert line.caller.sent_fcfs() == [Fcf.DCN]


def test_engine_misuse() -> None:
    with pytest.raises(ValueError, match="needs a PageSink, a PageSource"):
        T30Engine.answerer(POLLED)
    with pytest.raises(ValueError, match="at least one page"):
        T30Engine.answerer(POLLED, polled=CodecSource([]))


# ---------------------------------------------------------------- terminal to terminal (audio)


def _terminal_poll(poller: FaxOptions, polled: FaxOptions, pages: list[FaxPage]
                   ) -> tuple[FaxTerminal, FaxTerminal]:
    caller = FaxTerminal("calling", poller)
    answerer = FaxTerminal("answering", polled, document=pages)
    run_pair(caller, answerer, max_duration_s=240)
    return caller, answerer


@pytest.mark.parametrize(("modem", "ecm", "coding"), [
    (Modem.V29, False, Coding.MH),
    (Modem.V27TER, False, Coding.MR),
    (Modem.V29, True, Coding.MMR),
    (Modem.V17, True, Coding.MR),
], ids=["v29-noecm-MH", "v27ter-noecm-MR", "v29-ecm-T6", "v17-ecm-MR"])
def test_terminals_poll_over_line_audio(modem: Modem, ecm: bool, coding: Coding) -> None:
    pages = document(130, 90, seed=7)
    modems = frozenset({modem}) if modem is not Modem.V17 else frozenset(
        {Modem.V27TER, Modem.V29, Modem.V17})
    poller = FaxOptions(poll=True, local_id="+1 555 0100", modems=modems, ecm=ecm,
                        codings=frozenset({coding}))
    polled = FaxOptions(poll=True, local_id="+44 20 7946 0000",
                        modems=frozenset({Modem.V27TER, Modem.V29, Modem.V17}))
    caller, answerer = _terminal_poll(poller, polled, pages)
    got, sent = caller.result, answerer.result
    assert got is not None and sent is not None
    assert got.ok and sent.ok, (got, sent)
    assert (got.pages, sent.pages) == (2, 2)
    assert (got.modem, got.ecm, got.coding) == (modem, ecm, coding)
    assert (sent.modem, sent.ecm, sent.coding) == (modem, ecm, coding)
    assert got.remote_id == "+44 20 7946 0000" and sent.remote_id == "+1 555 0100"
    received = caller.received_pages
    assert [p.complete for p in received] == [True, True]
    assert all(p.bad_lines == 0 and same_image(p.page.image, s.image)
               for p, s in zip(received, pages))
    assert answerer.received_pages == []
    assert any(isinstance(e, FaxNegotiated) for e in caller.take_events())


@pytest.mark.parametrize("ecm", [False, True], ids=["noecm", "ecm"])
def test_terminals_poll_through_a_line_with_loss_noise_and_clock_offset(ecm: bool) -> None:
    pages = document(150, 100, seed=9)
    caller = FaxTerminal("calling", FaxOptions(poll=True, ecm=ecm))
    answerer = FaxTerminal("answering", FaxOptions(poll=True), document=pages)
    line = LineModel(gain_db=-6.0, noise_dbm0=-45.0, clock_ppm=80.0, seed=3)
    run_pair(caller, answerer, line=line, max_duration_s=240)
    assert caller.result is not None and answerer.result is not None
    assert caller.result.ok and answerer.result.ok, (caller.result, answerer.result)
    assert caller.result.pages == 2 and caller.result.ecm is ecm
    assert all(p.complete and same_image(p.page.image, s.image)
               for p, s in zip(caller.received_pages, pages))


def test_a_pollable_answering_terminal_still_receives_a_caller_that_sends() -> None:
    offered, sent = document(50, seed=3), document(80, seed=4)
    caller = FaxTerminal("calling", FaxOptions(ecm=False), document=sent)
    answerer = FaxTerminal("answering", FaxOptions(poll=True), document=offered)
    run_pair(caller, answerer, max_duration_s=120)
    assert caller.result is not None and answerer.result is not None
    assert caller.result.ok and answerer.result.ok
    assert (caller.result.pages, answerer.result.pages) == (1, 1)
    got = answerer.received_pages
    assert len(got) == 1 and same_image(got[0].page.image, sent[0].image)


def test_terminal_poll_of_an_answerer_without_a_document() -> None:
    caller = FaxTerminal("calling", FaxOptions(poll=True))
    answerer = FaxTerminal("answering", FaxOptions(local_id="+44 20 7946 0000"))
    run_pair(caller, answerer, max_duration_s=120)
    assert caller.result is not None and answerer.result is not None
    assert caller.result.result is T30Result.POLLING_NOT_OFFERED
    assert caller.result.summary().startswith("result=POLLING_NOT_OFFERED pages=0")
    assert answerer.result.result is T30Result.DCN_UNEXPECTED
    assert caller.received_pages == []


def test_terminal_polling_options_are_checked() -> None:
    with pytest.raises(FaxTerminalError, match="polling calling terminal receives"):
        FaxTerminal("calling", FaxOptions(poll=True), document=document(10))
    with pytest.raises(FaxTerminalError, match="needs a document to be polled"):
        FaxTerminal("answering", FaxOptions(poll=True))
    with pytest.raises(FaxTerminalError, match="FaxOptions\\(poll=True\\) to poll"):
        FaxTerminal("calling")


# ---------------------------------------------------------------- arbitrary inputs

@settings(max_examples=200, deadline=None)
@given(st.booleans(), st.lists(inputs, max_size=40))
def test_arbitrary_inputs_to_a_poller_and_a_polled_answerer(polling: bool,
                                                            seq: list[object]) -> None:
    doc = Bytes()
    cfg = T30Config(ecm_frame_octets=64)
    engine = T30Engine.poller(cfg, doc) if polling else T30Engine.answerer(cfg, polled=doc)
    drive_arbitrarily(engine, seq)
