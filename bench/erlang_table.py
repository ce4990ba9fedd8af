"""The Erlang table of docs/callcenter-theory.md: M/M/n and M/M/n+M traffic through the switch
and the ACD, in virtual time, against Erlang C and Erlang A.

Each row runs :func:`pycti.center.simulate.simulate` (caller stations dialling a queue, the
real ACD deflecting to agent stations, agents answering and hanging up through the Provider),
drops the first 10 % of the calls as warm-up, and estimates the service level, ASA, abandon
rate and mean talk time by batch means (10 batches, 95 % Student t).  A row passes when each
prediction lies within its measured interval.

    python bench/erlang_table.py [--calls 8000] [--rows all|c|a] [--out rows.jsonl]
    python bench/erlang_table.py --markdown rows.jsonl      # the table of the docs

Beside the theory, each row also puts the same draws (arrivals, talk times, patiences) through
:func:`~pycti.center.simulate.reference_outcomes`, an ideal first-come-first-served queue
in continuous time: the switch must match it up to the ticks' rounding whatever the sample
path, while the theory is matched only within the statistical error of a finite run.

Every row runs the plain :class:`~pycti.callcenter.acd.Acd` (since commit 12c2ac9 an offer
that fails because the caller has just hung up no longer loses its agent, which the Erlang A
rows had found); ``acd_class`` of :func:`run_row` can try a changed ACD.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pycti.callcenter.acd import Acd
from pycti.callcenter.erlang import erlang_a_prediction, erlang_c_prediction
from pycti.center.simulate import (TrafficConfig, abandon_rate, asa_s, batch_means, mean_talk_s,
                                      reference_outcomes, service_level, simulate)

AHT_S = 30.0
SL_T_S = 10.0

# (agents, load in Erlangs, mean patience s or None, caller stations)
ROWS_C = ((10, 7.0, None, 40), (10, 8.0, None, 50), (10, 9.0, None, 70), (30, 27.0, None, 90))
ROWS_A = ((10, 9.0, 30.0, 40), (10, 11.0, 30.0, 40), (10, 8.0, 60.0, 40))


def run_row(agents: int, load: float, patience_s: float | None, pool: int, calls: int, seed: int,
            acd_class: type[Acd] = Acd) -> dict[str, object]:
    """One row: predictions, batch-means estimates, pass/fail."""
    cfg = TrafficConfig(agents=agents, arrival_rate_per_s=load / AHT_S, mean_talk_s=AHT_S, calls=calls,
                        mean_patience_s=patience_s, seed=seed, tick_ms=100, caller_stations=pool)
    res = simulate(cfg, acd_class=acd_class)
    lam = load / AHT_S
    if patience_s is None:
        pc = erlang_c_prediction(agents, lam, AHT_S, SL_T_S)
        pred = {"sl": pc.service_level, "asa_s": pc.asa_s, "abandon": 0.0}
    else:
        pa = erlang_a_prediction(agents, lam, AHT_S, patience_s, SL_T_S)
        pred = {"sl": pa.service_level, "asa_s": pa.asa_s, "abandon": pa.p_abandon}
    warm = calls // 10
    est = {name: batch_means(res.calls, fn, warm_up=warm) for name, fn in
           (("sl", lambda cs: service_level(cs, SL_T_S)), ("asa_s", asa_s), ("abandon", abandon_rate),
            ("talk_s", mean_talk_s))}
    checks = {k: est[k].covers(v) if not (k == "abandon" and patience_s is None) else True for k, v in pred.items()}
    checks["talk_s"] = est["talk_s"].covers(AHT_S)
    return {
        "agents": agents, "load": load, "patience_s": patience_s, "calls": calls, "seed": seed,
        "acd": acd_class.__name__, "pred": pred,
        "meas": {k: [e.mean, e.half_width] for k, e in est.items()},
        "pass": all(checks.values()), "checks": checks,
        "blocked": sum(c.blocked for c in res.calls), "acd_errors": len(res.acd_errors),
        "virtual_s": res.virtual_s, "cpu_s": res.cpu_s,
    }


def _cfg(r: dict[str, Any]) -> TrafficConfig:
    load, agents, pat = float(r["load"]), int(r["agents"]), r["patience_s"]
    return TrafficConfig(agents=agents, arrival_rate_per_s=load / AHT_S, mean_talk_s=AHT_S, calls=int(r["calls"]),
                         mean_patience_s=None if pat is None else float(pat), seed=int(r["seed"]))


def markdown(path: str) -> str:
    """The docs table from the rows in ``path`` (JSON lines written by this script)."""
    head = ("| agents | load E | patience s | ACD | calls | SL({t:g} s) Erlang | SL switch (95 % CI) | SL ideal | "
            "ASA Erlang s | ASA switch s (95 % CI) | ASA ideal s | abandon Erlang | abandon switch (95 % CI) | "
            "abandon ideal | theory in CI | ACD errors | CPU s |").format(t=SL_T_S)
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    with open(path) as f:
        for text in f:
            r = json.loads(text)
            ideal = reference_outcomes(_cfg(r))[int(r["calls"]) // 10:]
            m, p = r["meas"], r["pred"]
            ab = "--" if r["patience_s"] is None else f"{p['abandon'] * 100:.2f} %"
            ab_m = "--" if r["patience_s"] is None else f"{m['abandon'][0] * 100:.2f} ± {m['abandon'][1] * 100:.2f} %"
            ab_i = "--" if r["patience_s"] is None else f"{abandon_rate(ideal) * 100:.2f} %"
            lines.append(
                f"| {r['agents']} | {r['load']:g} | {r['patience_s'] or '∞'} | {r['acd']} | {r['calls']} "
                f"| {p['sl'] * 100:.1f} % | {m['sl'][0] * 100:.1f} ± {m['sl'][1] * 100:.1f} % "
                f"| {service_level(ideal, SL_T_S) * 100:.1f} % "
                f"| {p['asa_s']:.2f} | {m['asa_s'][0]:.2f} ± {m['asa_s'][1]:.2f} | {asa_s(ideal):.2f} "
                f"| {ab} | {ab_m} | {ab_i} | {'pass' if r['pass'] else 'FAIL: ' + ', '.join(k for k, v in r['checks'].items() if not v)} "
                f"| {r['acd_errors']} | {r['cpu_s']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=6000)
    ap.add_argument("--rows", choices=("all", "c", "a"), default="all")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default="-")
    ap.add_argument("--markdown", metavar="ROWS", help="print the docs table of a rows file and stop")
    ap.add_argument("--only", metavar="AGENTS,LOAD", help="run just this Erlang C row (e.g. 30,27)")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(args.markdown))
        return 0
    out = sys.stdout if args.out == "-" else open(args.out, "a")
    jobs: list[tuple[tuple[int, float, float | None, int], type[Acd]]] = []
    if args.rows in ("all", "c"):
        jobs += [(r, Acd) for r in ROWS_C]
    if args.rows in ("all", "a"):
        jobs += [(r, Acd) for r in ROWS_A]
    if args.only:
        agents, load = args.only.split(",")
        jobs = [(r, c) for r, c in jobs if r[0] == int(agents) and r[1] == float(load)]
    for k, (row, cls) in enumerate(jobs):
        result = run_row(*row, calls=args.calls, seed=args.seed + k, acd_class=cls)
        out.write(json.dumps(result) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
