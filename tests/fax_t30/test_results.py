"""Every T.30 result code the engine defines, each reached by a call on the simulated line."""

from __future__ import annotations

from typing import Callable

import pytest

from pycti.fax.t30 import T30Engine
from pycti.fax.t30_dis import DisModems
from pycti.fax.t30_frames import Fcf
from pycti.fax.t30_io import Abort, SetTimer, T30Config, T30Result
from pycti.fax.t4_types import Resolution

from . import CodecSink, CodecSource, Line, pair, test_page

NORMAL = T30Config(ecm=False)


def _call(caller: T30Config | None, answerer: T30Config | None, pages: int = 1,
          **hooks: object) -> Line:
    source, sink = CodecSource([test_page(i) for i in range(pages)]), CodecSink()
    line = pair(T30Engine.caller(caller, source) if caller else None,
                T30Engine.answerer(answerer, sink) if answerer else None, **hooks)
    line.run()
    return line


def nobody_answers() -> Line:
    return _call(NORMAL, None)


def nobody_calls() -> Line:
    return _call(None, T30Config())


def dcs_never_arrives() -> Line:
    return _call(NORMAL, T30Config(),
                 v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.DCS else "ok")


def mcf_never_arrives() -> Line:
    return _call(NORMAL, T30Config(),
                 v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.MCF else "ok")


def tcf_always_bad_on_v27ter() -> Line:
    return _call(T30Config(ecm=False, modems=DisModems.V27TER), T30Config(),
                 tcf_zero_ms=lambda rate, ms: 0)


def tcf_bad_and_dcn_lost() -> Line:
    return _call(T30Config(ecm=False, modems=DisModems.V27TER), T30Config(),
                 tcf_zero_ms=lambda rate, ms: 0,
                 v21_hook=lambda who, fcf, n: "drop" if fcf is Fcf.DCN else "ok",
                 hangup_delay_s=60.0)  # the caller's DCN is lost and its line stays up


def post_page_command_lost() -> Line:
    return _call(NORMAL, T30Config(),
                 v21_hook=lambda who, fcf, n: "drop" if fcf in (Fcf.EOP, Fcf.DCN) else "ok")


def no_common_modem() -> Line:
    return _call(T30Config(modems=DisModems.V27TER), T30Config(modems=DisModems.V29))


def rtn_every_time() -> Line:
    def damage(n: int, data: bytes) -> bytes:
        return data[:300] + bytes(b ^ 0x5A for b in data[300:400]) + data[400:]
    return _call(NORMAL, T30Config(rtn_bad_line_ratio=0.02), image_damage=damage)


def ecm_always_bad() -> Line:
    return _call(T30Config(max_rate_bps=2400), T30Config(), ecm_bad=lambda tx, n: n == 0)


def line_drops() -> Line:
    return _call(NORMAL, T30Config(), drop_line_at_s=9.0)


def answerer_aborts_before_the_call() -> Line:
    source, sink = CodecSource([test_page(0)]), CodecSink()
    line = pair(None, T30Engine.answerer(T30Config(), sink))
    line.inject(10.0, line.answerer, Abort())
    line.run()
    return line


def normal_call() -> Line:
    return _call(NORMAL, T30Config(), pages=2)


def polling_not_offered() -> Line:
    line = pair(T30Engine.poller(NORMAL, CodecSink()), T30Engine.answerer(T30Config(), CodecSink()))
    line.run()
    return line


Outcome = tuple[T30Result | None, T30Result | None]
SCENARIOS: list[tuple[Callable[[], Line], Outcome]] = [
    (normal_call, (T30Result.OK, T30Result.OK)),
    (nobody_answers, (T30Result.T1_EXPIRED, None)),
    (nobody_calls, (None, T30Result.T1_EXPIRED)),
    # the caller's DCN collides with the DIS the answerer keeps repeating: it sees the line drop
    (dcs_never_arrives, (T30Result.NO_RESPONSE_TO_DCS, T30Result.FAR_END_HUNG_UP)),
    # the answerer has the page and its MCF went out: DCN after EOP is the normal end for it
    (mcf_never_arrives, (T30Result.NO_RESPONSE_TO_POST_PAGE, T30Result.OK)),
    (tcf_always_bad_on_v27ter, (T30Result.FTT_AT_SLOWEST_RATE, T30Result.DCN_UNEXPECTED)),
    (tcf_bad_and_dcn_lost, (T30Result.FTT_AT_SLOWEST_RATE, T30Result.T2_EXPIRED)),
    # T2 (6 s) runs out before the caller's three EOPs; the answerer's DCN meets a repeated EOP
    (post_page_command_lost, (T30Result.FAR_END_HUNG_UP, T30Result.CARRIER_LOST_MID_PAGE)),
    (no_common_modem, (T30Result.INCOMPATIBLE, T30Result.DCN_UNEXPECTED)),
    (rtn_every_time, (T30Result.RTN_ON_LAST_PAGE, T30Result.DCN_UNEXPECTED)),
    (ecm_always_bad, (T30Result.ECM_RETRANSMIT_LIMIT, T30Result.DCN_UNEXPECTED)),
    (line_drops, (T30Result.FAR_END_HUNG_UP, T30Result.FAR_END_HUNG_UP)),
    (answerer_aborts_before_the_call, (None, T30Result.LOCAL_ABORT)),
    # the poller's DCN answers a DIS without bit 9
    (polling_not_offered, (T30Result.POLLING_NOT_OFFERED, T30Result.DCN_UNEXPECTED)),
]


@pytest.mark.parametrize("scenario,expected", SCENARIOS, ids=[s.__name__ for s, _ in SCENARIOS])
def test_result(scenario: Callable[[], Line], expected: Outcome) -> None:
    line = scenario()
    got = tuple(s.outcome.result if s.completed else None for s in (line.caller, line.answerer))
    assert got == expected
    for side, want in zip((line.caller, line.answerer), expected):
        if want is not None:
            assert side.engine is not None and side.engine.done and side.engine.result is want


def test_every_result_code_is_reached() -> None:
    reached = {r for _, outcome in SCENARIOS for r in outcome if r is not None}
    assert reached == set(T30Result)


def test_t1_is_35_s_and_the_answerer_repeats_dis_every_t4() -> None:
    line = nobody_calls()
    assert line.answerer.completed is not None
    t1 = [a.deadline_s for a in line.answerer.of(SetTimer) if a.name == "T1"]
    assert t1 == [35.0]  # started once, ran out (an expired timer needs no stop)
    done_at = next(t for t, a in line.answerer.actions if a is line.answerer.completed)
    assert 35.0 < done_at < 37.0  # after its DCN went out
    assert line.answerer.sent_fcfs()[-1] is Fcf.DCN
    dis_count = line.answerer.sent_fcfs().count(Fcf.DIS)
    # each round: 75 ms gap, 1 s preamble + DIS frame at 300 bit/s, then T4 = 3 s
    assert 7 <= dis_count <= 9
    t4 = [a for a in line.answerer.of(SetTimer) if a.name == "T4" and a.deadline_s]
    assert len(t4) >= dis_count - 1


def test_caller_gives_dcs_three_tries() -> None:
    line = dcs_never_arrives()
    assert line.caller.sent_fcfs().count(Fcf.DCS) == 3
    assert line.caller.sent_fcfs()[-1] is Fcf.DCN


def test_caller_gives_the_post_page_command_three_tries_and_the_page_is_stored_once() -> None:
    line = mcf_never_arrives()
    assert line.caller.sent_fcfs().count(Fcf.EOP) == 3
    assert line.answerer.sent_fcfs().count(Fcf.MCF) == 3  # the same response each time


def test_t1_bounds_the_second_phase_b_after_eom() -> None:
    source, sink = CodecSource([test_page(1), test_page(2)],
                               resolutions=[Resolution.FINE, Resolution.STANDARD]), CodecSink()
    line = pair(T30Engine.caller(NORMAL, source), T30Engine.answerer(T30Config(), sink),
                v21_hook=lambda who, fcf, n: "drop" if (fcf is Fcf.DCS and n >= 1) or fcf is Fcf.DCN
                else "ok", hangup_delay_s=120.0)
    line.run()
    assert line.caller.outcome.result is T30Result.NO_RESPONSE_TO_DCS
    assert line.answerer.outcome.result is T30Result.T1_EXPIRED
    assert len(sink.pages) == 1
