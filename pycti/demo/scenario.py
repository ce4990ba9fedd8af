"""The demo's traffic: who calls when, what they press, how long they wait and talk.

Everything is drawn from one seeded generator, so a seed fixes the whole run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["DemoConfig", "CallerPlan", "plan_callers"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoConfig:
    """Size and traffic of the simulated call center."""

    calls: int = 100
    seed: int = 1
    trunks: int = 24
    agents: int = 8
    calls_per_min: float = 9.0  #: mean arrival rate (Poisson)
    talk_mean_s: float = 40.0  #: mean talk time (lognormal)
    talk_sigma: float = 0.5  #: lognormal shape of talk times
    patience_mean_s: float = 60.0  #: mean time a caller waits in queue before abandoning (exponential)
    wrap_up_s: float = 5.0
    sales_share: float = 0.5  #: share of callers pressing 1 (sales); the rest press 2 (support)
    no_digit_share: float = 0.05  #: share of callers who press nothing (IVR default route)
    realtime: bool = False
    db_path: str = "pycti-demo.db"
    sl_threshold_s: float = 20.0
    tick_ms: int = 20  #: the switch's media tick; events within one tick race as they would on a real switch

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{f.name} must be a finite number, got {value!r}")
        if self.calls < 1:
            raise ValueError("calls must be >= 1")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if self.tick_ms < 1:
            raise ValueError("tick_ms must be >= 1")
        if self.trunks < 1 or self.agents < 1:
            raise ValueError("trunks and agents must be >= 1")
        if self.calls_per_min <= 0:
            raise ValueError("the arrival rate must be > 0 calls per minute")
        if self.talk_mean_s <= 0 or self.talk_sigma < 0 or self.patience_mean_s <= 0:
            raise ValueError("talk and patience times must be > 0 (talk_sigma >= 0)")
        if self.wrap_up_s < 0 or self.sl_threshold_s < 0:
            raise ValueError("wrap_up_s and sl_threshold_s must be >= 0")
        if not 0 <= self.sales_share <= 1 or not 0 <= self.no_digit_share <= 1:
            raise ValueError("sales_share and no_digit_share must be within 0..1")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerPlan:
    """One caller: arrival time (s), number, digit to press ('' for none), patience and talk time (s)."""

    index: int
    arrival_s: float
    number: str
    digit: str
    patience_s: float
    talk_s: float
    answer_delay_s: float  #: how long the agent lets the phone ring


def plan_callers(cfg: DemoConfig) -> list[CallerPlan]:
    """The seeded list of callers, in arrival order."""
    rng = np.random.default_rng(cfg.seed)
    gaps = rng.exponential(60.0 / cfg.calls_per_min, cfg.calls)
    arrivals = np.cumsum(gaps) - gaps[0] + 1.0
    mu = np.log(cfg.talk_mean_s) - cfg.talk_sigma**2 / 2
    talks = np.clip(rng.lognormal(mu, cfg.talk_sigma, cfg.calls), 5.0, 20 * cfg.talk_mean_s)
    patience = np.clip(rng.exponential(cfg.patience_mean_s, cfg.calls), 3.0, None)
    choice = rng.random(cfg.calls)
    delay = rng.uniform(1.0, 4.0, cfg.calls)
    plans = []
    for i in range(cfg.calls):
        if choice[i] < cfg.no_digit_share:
            digit = ""
        elif choice[i] < cfg.no_digit_share + (1 - cfg.no_digit_share) * cfg.sales_share:
            digit = "1"
        else:
            digit = "2"
        number = "1" + "".join(str(d) for d in rng.integers(0, 10, 10))
        plans.append(
            CallerPlan(index=i, arrival_s=float(round(arrivals[i], 2)), number=number, digit=digit,
                       patience_s=float(patience[i]), talk_s=float(talks[i]), answer_delay_s=float(delay[i]))
        )
    return plans
