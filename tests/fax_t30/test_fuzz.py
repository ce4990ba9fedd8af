"""Every state x input: arbitrary input sequences never make the engine raise or misbehave.

The inputs are drawn from everything a terminal can feed: well-formed frames of every FCF
with arbitrary information fields (so DIS/DCS/PPS/PPR/CTC fields are garbage as often as not),
undecodable octets, bad FCSs, carriers, TCF summaries, image data, "transmission done", timer
ticks, line drops and aborts.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.fax.t30 import State, T30Engine
from pycti.fax.t30_dis import DcsFields, DisFields, Modem, ModemRate
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
    T30Config,
    TcfReceived,
    TransmitDone,
)
from pycti.fax.t4_types import Resolution


@dataclass
class Bytes:
    """A document of fixed octets and a sink that counts pages (the engine is under test)."""

    pages: int = 0

    def page_count(self) -> int:
        return 2

    def page_resolution(self, index: int) -> Resolution:
        return Resolution.STANDARD if index else Resolution.FINE

    def page_data(self, index: int, params: PageParams) -> bytes:
        return bytes(range(256)) * 3

    def page_received(self, page: ReceivedPage) -> PageCheck:
        self.pages += 1
        return PageCheck(lines=100, bad_lines=len(page.data) % 7)


_GOOD_FIFS = [DisFields(ecm=True, t6=True).encode(),
              DcsFields(rate=ModemRate.V29_9600).encode(), b"\x4e\x00\x00\x03", bytes(32)]
fifs = st.one_of(st.binary(max_size=40), st.sampled_from(_GOOD_FIFS))
frames = st.builds(lambda fcf, fif, x, fin: T30Frame(fcf=fcf, fif=fif, x_bit=x, final=fin).encode(),
                   st.sampled_from(Fcf), fifs, st.booleans(), st.booleans())
inputs = st.one_of(
    st.builds(FrameReceived, data=frames, fcs_ok=st.booleans()),
    st.builds(FrameReceived, data=st.binary(max_size=8)),
    st.builds(CarrierUp, modem=st.sampled_from(Modem)),
    st.builds(CarrierDown, modem=st.sampled_from(Modem)),
    st.builds(TcfReceived, zero_run_ms=st.integers(0, 2000), bits_received=st.integers(0, 30000)),
    st.builds(ImageReceived, data=st.binary(max_size=64)),
    st.just(TransmitDone()), st.just(TransmitDone()), st.just(LineDropped()), st.just(Abort()),
    st.floats(0.0, 40.0),  # a tick that far ahead
)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.lists(inputs, max_size=40))
def test_arbitrary_inputs(answering: bool, seq: list[object]) -> None:
    doc = Bytes()
    cfg = T30Config(ecm_frame_octets=64)
    engine = T30Engine.answerer(cfg, doc) if answering else T30Engine.caller(cfg, doc)
    drive_arbitrarily(engine, seq)


def drive_arbitrarily(engine: T30Engine, seq: list[object]) -> None:
    """Feed ``engine`` the inputs of ``seq`` (a float: a tick that far ahead), 0.25 s apart, and
    check what must hold whatever they are: a state at every step, nothing more once done, at
    most one Completed and its result the engine's."""
    now = 0.0
    completed = [a for a in engine.start(now) if isinstance(a, Completed)]
    for item in seq:
        now += 0.25
        if isinstance(item, float):
            now += item
            actions = engine.tick(now)
        else:
            actions = engine.handle(item, now)  # type: ignore[arg-type]
        completed += [a for a in actions if isinstance(a, Completed)]
        assert isinstance(engine.state, State)
        if engine.done:
            assert engine.handle(TransmitDone(), now) == [] and engine.tick(now + 100) == []
    assert len(completed) <= 1
    assert engine.done == bool(completed)
    if completed:
        assert completed[0].result is engine.result


# ---------------------------------------------------------------- whole calls on a bad line

import random  # noqa: E402

import numpy as np  # noqa: E402

from pycti.fax.t30_io import PageReceived, T30Result  # noqa: E402

from . import CodecSink, CodecSource, pair, test_page  # noqa: E402

PAGES = [test_page(11, 60), test_page(12, 60)]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.floats(0.0, 0.3))
def test_calls_on_a_lossy_line_end_consistently(seed: int, ecm: bool, loss: float) -> None:
    rng = random.Random(seed)
    source, sink = CodecSource(PAGES), CodecSink()
    line = pair(T30Engine.caller(T30Config(ecm=ecm, ecm_frame_octets=64), source),
                T30Engine.answerer(T30Config(), sink),
                v21_hook=lambda who, fcf, n: rng.choices(
                    ["ok", "drop", "corrupt"], [1 - loss, loss / 2, loss / 2])[0],
                tcf_zero_ms=lambda rate, ms: ms if rng.random() > loss else 100,
                ecm_bad=lambda tx, n: rng.random() < loss)
    line.run()
    caller, answerer = line.caller.outcome.result, line.answerer.outcome.result
    accepted = [p for p in line.answerer.of(PageReceived) if p.response is not Fcf.RTN]
    if caller is T30Result.OK:
        assert [p.page_number for p in accepted] == [1, 2]
        images = [img for (page, img, _) in sink.pages]
        assert np.array_equal(images[-1], PAGES[1])
        assert any(np.array_equal(img, PAGES[0]) for img in images)
    if answerer is T30Result.OK:
        assert len(accepted) == 2
        assert caller in (T30Result.OK, T30Result.NO_RESPONSE_TO_POST_PAGE,
                          T30Result.FAR_END_HUNG_UP)


# ---------------------------------------------------------------- every reachable state x input

import copy  # noqa: E402

from pycti.fax.t30_dis import DisModems  # noqa: E402
from pycti.fax.t30_frames import PpsFields, encode_fcd, encode_ppr_map, encode_pps  # noqa: E402
from pycti.fax.t30_dis import encode_ctc  # noqa: E402

from . import Line, Side  # noqa: E402


class Recording(Line):
    """A line that keeps a copy of each engine the first time it is in each state."""

    snapshots: dict[State, T30Engine]

    def perform(self, side: Side, actions: list) -> None:  # type: ignore[type-arg]
        super().perform(side, actions)
        engine = side.engine
        if engine is not None and engine.state not in self.snapshots:
            self.snapshots[engine.state] = copy.deepcopy(engine)


def _snapshots() -> dict[State, T30Engine]:
    found: dict[State, T30Engine] = {}
    runs = [
        (T30Config(ecm=False), {}),
        (T30Config(ecm_frame_octets=64), {"ecm_bad": lambda tx, n: tx <= 4 and n == 1}),
        (T30Config(ecm=False, modems=DisModems.V27TER), {"tcf_zero_ms": lambda r, ms: 0}),
        (T30Config(ecm=False), {"v21_hook": lambda who, fcf, n: "drop" if fcf is Fcf.MCF else "ok"}),
    ]
    for cfg, hooks in runs:
        source = CodecSource([test_page(1, 40), test_page(2, 40)],
                             resolutions=[Resolution.FINE, Resolution.STANDARD])
        line = Recording(caller=Side("caller", T30Engine.caller(cfg, source)),
                         answerer=Side("answerer", T30Engine.answerer(T30Config(), CodecSink())),
                         **hooks)  # type: ignore[arg-type]
        line.snapshots = found
        line.run()
    # polling: the caller's P_ states, the answerer transmitting (EOM between the pages)
    source = CodecSource([test_page(1, 40), test_page(2, 40)],
                         resolutions=[Resolution.FINE, Resolution.STANDARD])
    line = Recording(caller=Side("caller", T30Engine.poller(T30Config(ecm=False), CodecSink())),
                     answerer=Side("answerer", T30Engine.answerer(T30Config(), polled=source)))
    line.snapshots = found
    line.run()
    return found


SNAPSHOTS = _snapshots()
_X = dict(x_bit=True)
PROBES: list[object] = [
    *(FrameReceived(data=T30Frame(fcf=f, fif=fif, **_X).encode()) for f, fif in [
        (Fcf.DIS, DisFields(ecm=True, t6=True).encode()), (Fcf.DTC, DisFields().encode()),
        (Fcf.DCS, DcsFields(rate=ModemRate.V29_9600).encode()), (Fcf.CFR, b""), (Fcf.FTT, b""),
        (Fcf.MCF, b""), (Fcf.RTP, b""), (Fcf.RTN, b""), (Fcf.MPS, b""), (Fcf.EOM, b""),
        (Fcf.EOP, b""), (Fcf.CRP, b""), (Fcf.DCN, b""), (Fcf.CTR, b""), (Fcf.PIN, b""),
        (Fcf.PPS, encode_pps(PpsFields(post=Fcf.EOP, page=0, block=0, frame_count=2), x_bit=True)),
        (Fcf.PPR, encode_ppr_map({0})), (Fcf.CTC, encode_ctc(ModemRate.V17_9600)),
        (Fcf.RCP, b"")]),
    FrameReceived(data=encode_fcd(0, b"\x00" * 64)),
    FrameReceived(data=T30Frame(fcf=Fcf.MCF).encode(), fcs_ok=False),
    FrameReceived(data=T30Frame(fcf=Fcf.TSI, final=False).encode()),
    CarrierUp(modem=Modem.V17), CarrierDown(modem=Modem.V17), CarrierDown(modem=Modem.V21),
    TcfReceived(zero_run_ms=1500, bits_received=21600), TcfReceived(zero_run_ms=0, bits_received=0),
    ImageReceived(data=b"\x00\x10"), TransmitDone(), LineDropped(), Abort(), 100.0,
]


def test_the_recorded_calls_reach_every_state() -> None:
    assert set(SNAPSHOTS) == set(State) - {State.C_IDLE, State.R_IDLE, State.P_IDLE}


def test_every_reached_state_takes_every_input() -> None:
    for state, engine in SNAPSHOTS.items():
        for probe in PROBES:
            e = copy.deepcopy(engine)
            now = 1000.0
            actions = e.tick(now + probe) if isinstance(probe, float) else e.handle(probe, now)  # type: ignore[arg-type]
            assert isinstance(e.state, State), (state, probe)
            done = [a for a in actions if isinstance(a, Completed)]
            assert len(done) <= 1 and (e.done == bool(done) or state is State.DONE), (state, probe)
            # whatever happened, the engine can still be driven to its end
            for _ in range(30):
                if e.done:
                    break
                e.handle(TransmitDone(), now)
                now += 40.0
                e.tick(now)
            assert e.done, (state, probe, e.state)
