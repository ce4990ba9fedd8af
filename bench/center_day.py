"""A whole call center in virtual time, for sizing: how many times faster than real time.

Issue "Call-center layer" targets, for an 8-hour day of a 200-agent, 300-trunk center:

* ``--mode audio``: the demo center (:func:`pycti.demo.run.run_demo`) -- callers on sim-board
  trunks with FSK caller ID, the IVR flow's spoken prompt, DTMF digits keyed as tones and
  detected by the switch, hold music, agents at stations lifting the handset -- at 20 ms ticks.
  Target: at least 50x real time on one core.
* ``--mode signalling``: the staffing what-if: :func:`pycti.center.simulate.simulate`
  (caller stations dialling the queue, the real ACD, agents answering and hanging up through the
  Provider), no prompts and no hold music, 1 s ticks.  Target: the day in under 60 s.  The
  switch runs signalling only (``SwitchConfig(media=False)``: no media plane tick, no driver
  audio detectors; the sim board is only advanced in time); ``--with-media`` runs the media
  plane as before, for comparison.  No caller's choice needs DTMF here: a caller is a station
  whose MakeCall names the queue (the number a caller would key in an IVR comes with the call).
  ``--profile`` splits the CPU time between the media plane's tick and the rest.

The day is scaled by ``--minutes`` of traffic (the rate stays that of the full day); the
report gives the virtual seconds run, the CPU seconds, their ratio and the extrapolation to
8 hours.  Traffic: ``--occupancy`` x agents Erlangs at ``--aht`` seconds mean talk time.

    python bench/center_day.py --mode audio --minutes 10
    python bench/center_day.py --mode signalling --minutes 60 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time

DAY_S = 8 * 3600.0


def _audio(agents: int, trunks: int, calls_per_min: float, calls: int, aht_s: float, seed: int) -> tuple[float, float, str]:
    from pycti.demo.run import run_demo
    from pycti.demo.scenario import DemoConfig

    with tempfile.TemporaryDirectory() as tmp:
        cfg = DemoConfig(calls=calls, seed=seed, trunks=trunks, agents=agents, calls_per_min=calls_per_min,
                         talk_mean_s=aht_s, patience_mean_s=120.0, wrap_up_s=5.0, tick_ms=20,
                         db_path=os.path.join(tmp, "day.db"))
        t0 = time.process_time()
        report, problems = asyncio.run(run_demo(cfg, progress=None))
        cpu_s = time.process_time() - t0
    t = report.total
    note = (f"{report.calls} calls: {t.answered} answered, {t.abandoned} abandoned, {report.blocked} blocked, "
            f"{report.ivr_only} ended in the IVR; SL {t.service_level * 100:.1f} %, ASA {t.asa_s:.1f} s; "
            f"{len(problems)} problems noted")
    return report.period_s, cpu_s, note


def _signalling(agents: int, trunks: int, calls_per_min: float, calls: int, aht_s: float, seed: int,
                tick_ms: int, media: bool) -> tuple[float, float, str]:
    import dataclasses

    from pycti.center import simulate as sim
    from pycti.center.simulate import TrafficConfig, abandon_rate, asa_s, service_level, simulate
    from pycti.local.config import SwitchConfig

    cfg = TrafficConfig(agents=agents, arrival_rate_per_s=calls_per_min / 60.0, mean_talk_s=aht_s, calls=calls,
                        mean_patience_s=120.0, seed=seed, tick_ms=tick_ms, caller_stations=trunks)

    def switch_config(**kw: object) -> SwitchConfig:
        # TrafficConfig has no media switch yet: the bench sets it on the switch run_traffic builds
        return dataclasses.replace(SwitchConfig(**kw), media=media)  # type: ignore[arg-type]

    setattr(sim, "SwitchConfig", switch_config)  # noqa: B010 - until TrafficConfig carries it
    try:
        res = simulate(cfg)
    finally:
        setattr(sim, "SwitchConfig", SwitchConfig)  # noqa: B010
    note = (f"{calls} calls: abandoned {abandon_rate(res.calls) * 100:.1f} %, SL(20 s) "
            f"{service_level(res.calls, 20.0) * 100:.1f} %, ASA {asa_s(res.calls):.1f} s, "
            f"blocked {sum(c.blocked for c in res.calls)}, ACD errors {len(res.acd_errors)}")
    return res.virtual_s, res.cpu_s, note


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="a call-center day in virtual time")
    ap.add_argument("--mode", choices=("audio", "signalling"), default="audio")
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--trunks", type=int, default=300)
    ap.add_argument("--aht", type=float, default=180.0, help="mean talk time, s (default 180)")
    ap.add_argument("--occupancy", type=float, default=0.85, help="offered load / agents (default 0.85)")
    ap.add_argument("--minutes", type=float, default=10.0, help="minutes of arrivals to run (default 10)")
    ap.add_argument("--tick-ms", type=int, default=1000, help="signalling mode's tick (default 1000)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--with-media", action="store_true", help="signalling mode: run the media plane too")
    ap.add_argument("--profile", action="store_true", help="split CPU time: media plane tick vs the rest")
    args = ap.parse_args(argv)
    calls_per_min = args.occupancy * args.agents / args.aht * 60.0
    calls = max(1, int(calls_per_min * args.minutes))
    prof = cProfile.Profile() if args.profile else None
    if prof is not None:
        prof.enable()
    if args.mode == "audio":
        virtual_s, cpu_s, note = _audio(args.agents, args.trunks, calls_per_min, calls, args.aht, args.seed)
    else:
        virtual_s, cpu_s, note = _signalling(args.agents, args.trunks, calls_per_min, calls, args.aht, args.seed,
                                             args.tick_ms, args.with_media)
    print(f"{args.mode}: {args.agents} agents, {args.trunks} {'trunks' if args.mode == 'audio' else 'caller stations'}, "
          f"{calls_per_min:.1f} calls/min, AHT {args.aht:g} s, {args.minutes:g} min of arrivals")
    print(f"  {note}")
    speed = virtual_s / cpu_s
    print(f"  {virtual_s:.0f} virtual s in {cpu_s:.1f} CPU s = {speed:.1f}x real time; "
          f"8-hour day extrapolated: {DAY_S / speed:.0f} CPU s")
    if prof is not None:
        prof.disable()
        st = pstats.Stats(prof)
        media_s = sum(v[3] for k, v in st.stats.items() if k[2] == "tick" and k[0].endswith(os.path.join("media", "plane.py")))  # type: ignore[attr-defined]
        rest_s = cpu_s - media_s * cpu_s / max(st.total_tt, 1e-9)  # type: ignore[attr-defined]
        share = media_s / max(st.total_tt, 1e-9)  # type: ignore[attr-defined]
        print(f"  media plane tick: {share * 100:.0f} % of the (profiled) time; without it about "
              f"{virtual_s / rest_s:.0f}x real time, day ~{DAY_S / (virtual_s / rest_s):.0f} CPU s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
