"""The error of the estimated wait time (EWT) the ACD announces, measured in simulation.

M/M/n traffic through the switch and the real ACD (:func:`pycti.center.simulate.simulate`):
at each call's arrival (right after the ACD has handled its Queued, before it routes) the
``on_queued`` hook samples what the ACD knows -- the call's position, the agents staffed and
idle, the queue's AHT so far and ``Acd.estimated_wait_s`` -- and after the run each sample is
set against the call's actual wait.  Three estimators (the sampler and the last one are in
:mod:`pycti.center.simulate`):

* ``acd``: what the ACD announces, the M/M/n conditional mean wait given the queue,
  ``max(0, position - free) x AHT / N`` with N the agents serving the queue
  (:func:`pycti.callcenter.queue_rules.estimate_wait_s`).  With all N agents busy and
  exponential talk times the departures form a Poisson process of rate N/AHT, so the caller at
  ``position`` waits for ``position`` of them: an Erlang(position, N/AHT) time, mean
  ``position x AHT / N``, standard deviation ``sqrt(position) x AHT / N`` -- the
  "queue-length" predictor of Whitt, "Predicting queueing delays", *Management Science*
  45(6), 1999, the least-squares predictor given the state for M/M/n;
* ``plain``: the ACD's former estimator, ``position x AHT / N`` whatever the agents do (too
  long by AHT / N for a caller an idle agent takes at once);
* ``les``: the wait of the last call to have entered service before this arrival (the
  "last-to-enter-service" delay-history predictor of Ibrahim and Whitt, "Real-time delay
  estimation based on delay history", *MSOM* 11(3), 2009); 0 for the first calls.

For each, over the answered calls after the warm-up (10 %): bias (mean of estimate minus
actual wait), mean absolute error and RMS error, overall and by the state at arrival (an
agent idle; all busy and position 1, 2, 3-5, 6-10, > 10).  ``theory RMS`` is the M/M/n
conditional standard deviation, ``sqrt(mean position) x AHT / N``, the floor for any
estimator that knows only the queue (0 for "idle").

    python bench/ewt_error.py [--agents 10] [--loads 7,8,9] [--calls 6000] [--seed 31] [--aht 30] [--tick-ms 100]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pycti.callcenter.acd import Acd
from pycti.callcenter.queue_rules import estimate_wait_s
from pycti.center.simulate import (ArrivalSample, ErrorStats, TrafficConfig, TrafficResult, error_stats,
                                   last_entered_wait_s, sample_arrival, simulate)

ESTIMATORS = ("acd", "plain", "les")
GROUPS = ("all", "idle", "pos 1", "pos 2", "pos 3-5", "pos 6-10", "pos > 10")


def run_sampled(cfg: TrafficConfig) -> tuple[TrafficResult, dict[str, ArrivalSample]]:
    """Run ``cfg`` and sample every call at its arrival."""
    samples: dict[str, ArrivalSample] = {}

    def hook(acd: Acd, call_id: str, now_s: float) -> None:
        samples[call_id] = sample_arrival(acd, call_id)

    return simulate(cfg, on_queued=hook), samples


def group_of(s: ArrivalSample) -> str:
    """The state group of an arrival (see :data:`GROUPS`)."""
    if s.idle > 0:
        return "idle"
    p = s.position
    return "pos 1" if p == 1 else "pos 2" if p == 2 else "pos 3-5" if p <= 5 else "pos 6-10" if p <= 10 else "pos > 10"


@dataclass(frozen=True, slots=True)
class EwtTable:
    """One load's measurement: per group, the stats of each estimator and the theory RMS."""

    cfg: TrafficConfig
    stats: dict[str, dict[str, ErrorStats]]  #: group -> estimator -> stats
    theory_rms_s: dict[str, float]
    mean_aht_s: float  #: the ACD's AHT at the arrivals, averaged (against the draws' mean talk)
    talk_mean_s: float  #: the mean talk time of the answered calls after the warm-up
    cpu_s: float


def measure(cfg: TrafficConfig, *, warm_up: int | None = None) -> EwtTable:
    """Run ``cfg`` and tabulate the estimators' errors over the answered calls after the warm-up."""
    res, samples = run_sampled(cfg)
    warm = cfg.calls // 10 if warm_up is None else warm_up
    les = last_entered_wait_s(res.calls)
    errs: dict[str, dict[str, list[float]]] = {g: {k: [] for k in ESTIMATORS} for g in GROUPS}
    positions: dict[str, list[int]] = {g: [] for g in GROUPS}
    aht = {g: [] for g in GROUPS}  # type: dict[str, list[float]]
    for c, les_s in zip(res.calls[warm:], les[warm:]):
        if c.wait_s is None or c.call_id is None or c.call_id not in samples:
            continue
        s = samples[c.call_id]
        if s.acd_ewt_s is None:  # nobody serving the queue: the ACD gives no estimate
            continue
        est = {"acd": s.acd_ewt_s, "plain": estimate_wait_s(s.position, s.aht_s, max(1, s.staffed)), "les": les_s}
        for g in ("all", group_of(s)):
            for k in ESTIMATORS:
                errs[g][k].append(est[k] - c.wait_s)
            positions[g].append(0 if s.idle else s.position)
            aht[g].append(s.aht_s / max(1, s.staffed))
    stats = {g: {k: error_stats(errs[g][k]) for k in ESTIMATORS} for g in GROUPS}
    theory = {g: (math.sqrt(float(np.mean(positions[g]))) * float(np.mean(aht[g])) if positions[g] else math.nan)
              for g in GROUPS}
    kept = [c for c in res.calls[warm:] if c.answered_s is not None]
    talk = float(np.mean([c.ended_s - c.answered_s for c in kept if c.answered_s is not None])) if kept else math.nan
    ahts = [samples[c.call_id].aht_s for c in res.calls[warm:] if c.call_id in samples]
    return EwtTable(cfg, stats, theory, float(np.mean(ahts)) if ahts else math.nan, talk, res.cpu_s)


def markdown(tables: Sequence[EwtTable]) -> str:
    """The docs table: one row per load and group."""
    head = ("| load E | state at arrival | calls | " + " | ".join(f"{k} bias / MAE / RMS s" for k in ESTIMATORS)
            + " | theory RMS s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for t in tables:
        for g in GROUPS:
            st = t.stats[g]
            if st["acd"].calls == 0:
                continue
            cells = " | ".join(f"{st[k].bias_s:+.2f} / {st[k].mae_s:.2f} / {st[k].rms_s:.2f}" for k in ESTIMATORS)
            lines.append(f"| {t.cfg.load_erlangs:g} | {g} | {st['acd'].calls} | {cells} | {t.theory_rms_s[g]:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--loads", default="7,8,9")
    ap.add_argument("--aht", type=float, default=30.0)
    ap.add_argument("--calls", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--tick-ms", type=int, default=100)
    args = ap.parse_args(argv)
    tables = []
    for k, load in enumerate(float(x) for x in args.loads.split(",")):
        cfg = TrafficConfig(agents=args.agents, arrival_rate_per_s=load / args.aht, mean_talk_s=args.aht,
                            calls=args.calls, seed=args.seed + k, tick_ms=args.tick_ms,
                            caller_stations=4 * args.agents + 40)
        tables.append(measure(cfg))
        t = tables[-1]
        print(f"# load {load:g} E: ACD's AHT at arrivals {t.mean_aht_s:.2f} s, answered calls' mean talk "
              f"{t.talk_mean_s:.2f} s; {t.cpu_s:.0f} CPU s", flush=True)
    print(markdown(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
