"""The ACD against Erlang C at one load: M/M/10 at 8 Erlangs through the switch, in virtual time.

Real calls: caller stations dial the queue (MakeCall), the ACD deflects each call to a ready
agent's station, the agent answers (AnswerCall) and hangs up after an exponential talk time
(ClearConnection).  4,000 calls, the first 400 dropped as warm-up, the rest cut into 10
batches; Erlang C's service level and ASA must lie within the batch-means 95 % intervals, and
so must the mean talk time (which checks that the switch neither shortens nor stretches
calls).  Beside the theory, the same draws go through an ideal first-come-first-served
10-server queue in continuous time (the Kiefer-Wolfowitz recursion): every call's wait through
the switch must be that ideal wait plus no more than the ticks' rounding.  Seeded, so the run
is the same every time (about 20 s of CPU).
"""

from __future__ import annotations

from pycti.callcenter.erlang import erlang_c_prediction
import numpy as np

from pycti.center.simulate import (TrafficConfig, asa_s, batch_means, mean_talk_s, reference_outcomes,
                                     run_traffic, service_level)

AGENTS, LOAD, AHT_S, SL_T_S = 10, 8.0, 20.0, 5.0


async def test_acd_meets_erlang_c_at_80_percent_occupancy() -> None:
    cfg = TrafficConfig(agents=AGENTS, arrival_rate_per_s=LOAD / AHT_S, mean_talk_s=AHT_S, calls=4000,
                        seed=1, tick_ms=200, caller_stations=40)
    res = await run_traffic(cfg)
    assert not any(c.blocked for c in res.calls) and not res.acd_errors
    assert all(c.answered_s is not None for c in res.calls)  # infinite patience: all answered
    warm = cfg.calls // 10
    predicted = erlang_c_prediction(AGENTS, LOAD / AHT_S, AHT_S, SL_T_S)
    sl = batch_means(res.calls, lambda cs: service_level(cs, SL_T_S), warm_up=warm)
    asa = batch_means(res.calls, asa_s, warm_up=warm)
    talk = batch_means(res.calls, mean_talk_s, warm_up=warm)
    assert talk.covers(AHT_S), talk
    assert sl.covers(predicted.service_level), (sl, predicted)
    assert asa.covers(predicted.asa_s), (asa, predicted)
    # and the intervals are tight enough to mean something
    assert sl.half_width < 0.15 and asa.half_width < 0.6 * predicted.asa_s
    assert res.virtual_s > 0.9 * cfg.calls / cfg.arrival_rate_per_s
    # call by call against the ideal queue fed the same arrivals and talk times
    ideal = reference_outcomes(cfg)
    late_s = np.array([c.wait_s - r.wait_s for c, r in zip(res.calls, ideal)])  # type: ignore[operator]
    tick_s = cfg.tick_ms / 1000
    # each talk time ends on a tick (up to one tick late); a queued call inherits the lateness of
    # the talks ahead of it in its busy period
    assert 0.0 <= late_s.mean() < 2 * tick_s, late_s.mean()
    assert np.abs(late_s).max() < 15 * tick_s, np.abs(late_s).max()  # the longest busy periods
