"""Queueing-theory predictions for a single-skill queue: Erlang B, Erlang C and Erlang A.

Notation: ``n`` agents, arrival rate ``lam_per_s`` (Poisson), mean talk time ``aht_s``
(exponential, rate mu = 1 / aht_s), offered load a = lam / mu Erlangs, and for Erlang A a mean
patience ``patience_s`` (exponential, rate theta = 1 / patience_s).  Service level is the
probability of being answered within ``t_s`` seconds.

* **Erlang B** (M/M/n/n, blocking), by the recursion B(0) = 1,
  B(k) = a B(k-1) / (k + a B(k-1)), which stays within [0, 1] at every step and so is stable
  for n in the thousands (A. K. Erlang 1917; e.g. Kleinrock, *Queueing Systems* vol. 1, 1975,
  eq. 3.46).
* **Erlang C** (M/M/n, infinite patience, a < n): P(wait) C = n B / (n - a (1 - B));
  P(W <= t) = 1 - C exp(-(n mu - lam) t); ASA = E[W] = C / (n mu - lam)  (Kleinrock eq.
  3.40-3.42; Gross and Harris, *Fundamentals of Queueing Theory*, sec. 2.3).
* **Erlang A** (M/M/n+M, Palm 1946; Garnett, Mandelbaum and Reiman, "Designing a call center
  with impatient customers", *Manufacturing & Service Operations Management* 4(3):208-227,
  2002, sec. 2): the number in system is a birth-death process with birth rate lam and death
  rate k mu (k <= n) or n mu + (k - n) theta (k > n), so

    pi_k ∝ a^k / k!  (k <= n),   pi_{n+j} = pi_n prod_{i=1..j} lam / (n mu + i theta);

  P(wait) = sum_{j>=0} pi_{n+j} (PASTA); P(abandon) = theta E[Q] / lam with
  E[Q] = sum_j j pi_{n+j} (the abandonment flow balance of GMR eq. 2.4).  An arrival that finds
  j callers queued ahead is answered when j + 1 departures from the head part of the queue (rate
  r_k = n mu + k theta with k still ahead) happen before its own patience runs out (rate theta):
  with R_k = r_k + theta, P(served | j) = prod_{k=0..j} r_k / R_k, and given service its wait
  is the sum of independent Exp(R_k), k = 0..j.  The mean wait of answered calls and
  P(answered within t) follow by summing over j; the last is evaluated as the absorption of
  that pure-death chain with :func:`scipy.sparse.linalg.expm_multiply`.  The closed forms of
  GMR (incomplete-gamma function A(x, y)) give the same P(wait); this module computes the
  stationary law in log space instead, stable for n up to thousands of agents.

The stationary distribution is summed in log space (``lgamma``, ``logsumexp``), so loads of
hundreds of Erlangs neither overflow nor underflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln, logsumexp

from ..errors import PyctiError

__all__ = [
    "ErlangError",
    "ErlangCPrediction",
    "ErlangAPrediction",
    "erlang_b",
    "erlang_c",
    "erlang_c_prediction",
    "erlang_a_prediction",
]

#: Terms of the stationary law smaller than the largest by this factor (natural log) are dropped.
_LOG_CUTOFF = 60.0
#: Hard bound on the queue lengths summed for Erlang A (a guard, far above any call center).
_MAX_QUEUE = 2_000_000


class ErlangError(PyctiError, ValueError):
    """A queueing formula was given a value outside its domain (the message names it)."""


@dataclass(frozen=True, slots=True)
class ErlangCPrediction:
    """What Erlang C predicts for M/M/n (every call is answered)."""

    agents: int
    load_erlangs: float
    p_wait: float  #: probability that a call waits (all agents busy on arrival)
    service_level: float  #: P(wait <= t_s)
    asa_s: float  #: mean wait of all (= answered) calls
    occupancy: float  #: a / n
    t_s: float


@dataclass(frozen=True, slots=True)
class ErlangAPrediction:
    """What Erlang A predicts for M/M/n+M."""

    agents: int
    load_erlangs: float
    p_wait: float  #: probability that a call finds all agents busy
    p_abandon: float  #: probability that a call hangs up before an agent answers
    service_level: float  #: P(answered within t_s) / P(answered)  (answered calls' SL)
    service_level_offered: float  #: P(answered within t_s)  (abandons count as misses)
    asa_s: float  #: mean wait of answered calls
    mean_wait_s: float  #: mean time in queue of all calls (answered or not), E[Q] / lam
    t_s: float


def _check(n: int, lam_per_s: float, aht_s: float, t_s: float) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ErlangError(f"agents must be a whole number >= 1, got {n!r}")
    for name, v in (("arrival rate", lam_per_s), ("aht_s", aht_s)):
        if not math.isfinite(v) or v <= 0:
            raise ErlangError(f"{name} must be a finite number > 0, got {v!r}")
    if not math.isfinite(t_s) or t_s < 0:
        raise ErlangError(f"t_s must be a finite number >= 0, got {t_s!r}")


def erlang_b(n: int, load_erlangs: float) -> float:
    """Blocking probability of M/M/n/n with ``load_erlangs`` offered (Erlang B, recursive)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ErlangError(f"servers must be a whole number >= 0, got {n!r}")
    if not math.isfinite(load_erlangs) or load_erlangs < 0:
        raise ErlangError(f"load must be a finite number >= 0, got {load_erlangs!r}")
    b = 1.0
    for k in range(1, n + 1):
        b = load_erlangs * b / (k + load_erlangs * b)
    return b


def erlang_c(n: int, load_erlangs: float) -> float:
    """Probability of waiting in M/M/n (Erlang C); needs ``load_erlangs < n``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ErlangError(f"agents must be a whole number >= 1, got {n!r}")
    if not math.isfinite(load_erlangs) or not 0 <= load_erlangs < n:
        raise ErlangError(f"Erlang C needs 0 <= load < agents ({n}), got {load_erlangs!r}")
    b = erlang_b(n, load_erlangs)
    return n * b / (n - load_erlangs * (1.0 - b))


def erlang_c_prediction(n: int, lam_per_s: float, aht_s: float, t_s: float = 20.0) -> ErlangCPrediction:
    """P(wait), service level P(W <= t_s) and ASA of M/M/n (see the module docstring)."""
    _check(n, lam_per_s, aht_s, t_s)
    a = lam_per_s * aht_s
    c = erlang_c(n, a)
    drain_per_s = n / aht_s - lam_per_s
    return ErlangCPrediction(agents=n, load_erlangs=a, p_wait=c, service_level=1.0 - c * math.exp(-drain_per_s * t_s),
                             asa_s=c / drain_per_s, occupancy=a / n, t_s=t_s)


def _queue_law(n: int, lam: float, mu: float, theta: float) -> tuple[float, np.ndarray]:
    """log P(no wait) and log pi_{n+j}, j = 0..J (normalised), of M/M/n+M."""
    a = lam / mu
    k = np.arange(n + 1, dtype=np.float64)
    log_low = k * math.log(a) - gammaln(k + 1)  # pi_k, k <= n, unnormalised
    # pi_{n+j}/pi_n = prod_{i<=j} lam / (n mu + i theta): grow the tail in blocks until it is
    # negligible (the ratio falls below 1 once i theta > lam - n mu)
    tail = [np.zeros(1)]
    last, peak, j0 = 0.0, 0.0, 1
    block = 1024
    while True:
        i = np.arange(j0, j0 + block, dtype=np.float64)
        logs = last + np.cumsum(math.log(lam) - np.log(n * mu + i * theta))
        tail.append(logs)
        last, peak, j0 = float(logs[-1]), max(peak, float(logs.max())), j0 + block
        ratio_below_one = lam < n * mu + j0 * theta
        if ratio_below_one and last < peak - _LOG_CUTOFF:
            break
        if j0 > _MAX_QUEUE:
            raise ErlangError(f"Erlang A: queue law does not converge below {_MAX_QUEUE} waiting "
                              f"(patience rate {theta!r} too small for load {a!r} on {n} agents)")
        block *= 2
    log_tail = log_low[-1] + np.concatenate(tail)
    log_all = np.concatenate([log_low[:-1], log_tail])
    log_z = float(logsumexp(log_all))
    log_tail = log_tail - log_z
    log_no_wait = float(logsumexp(log_low[:-1] - log_z)) if n > 0 else -math.inf
    keep = log_tail > log_tail.max() - _LOG_CUTOFF
    last_kept = int(np.nonzero(keep)[0][-1])
    return log_no_wait, log_tail[: last_kept + 1]


def erlang_a_prediction(n: int, lam_per_s: float, aht_s: float, patience_s: float,
                        t_s: float = 20.0) -> ErlangAPrediction:
    """P(wait), P(abandon), service level and ASA of M/M/n+M (see the module docstring)."""
    _check(n, lam_per_s, aht_s, t_s)
    if not math.isfinite(patience_s) or patience_s <= 0:
        raise ErlangError(f"patience_s must be a finite number > 0, got {patience_s!r}")
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    log_no_wait, log_q = _queue_law(n, lam_per_s, mu, theta)
    q = np.exp(log_q)  # P(an arrival finds j callers queued), j = 0..J
    p_wait = float(q.sum())
    j = np.arange(len(q), dtype=np.float64)
    mean_queue = float((j * q).sum())
    r = n * mu + j * theta  # departures from the head part when j are ahead
    big_r = r + theta
    served = np.exp(np.cumsum(np.log(r) - np.log(big_r)))  # P(served | j ahead)
    w = q * served  # arrivals finding j ahead and answered
    p_no_wait = math.exp(log_no_wait)
    p_answered = p_no_wait + float(w.sum())
    mean_wait_served = np.cumsum(1.0 / big_r)
    asa = float((w * mean_wait_served).sum()) / p_answered
    within = p_no_wait + _absorbed_by(w, big_r, t_s)
    return ErlangAPrediction(agents=n, load_erlangs=lam_per_s * aht_s, p_wait=p_wait,
                             p_abandon=theta * mean_queue / lam_per_s,
                             service_level=within / p_answered, service_level_offered=within,
                             asa_s=asa, mean_wait_s=mean_queue / lam_per_s, t_s=t_s)


def _absorbed_by(w: np.ndarray, rates: np.ndarray, t_s: float) -> float:
    """Mass absorbed by ``t_s`` in the pure-death chain j -> j-1 at ``rates[j]`` (0 -> done),
    started with mass ``w[j]`` at j: sum_j w_j P(sum_{k<=j} Exp(rates_k) <= t_s)."""
    if t_s == 0:
        return 0.0
    size = len(w)
    # generator rows: state j loses rates[j]; gains into j-1 (state -1 = absorbed, dropped)
    gen = sp.diags([-rates, rates[1:]], [0, -1], shape=(size, size), format="csr")
    # row vector evolution p(t) = p(0) expm(G t): use the transpose on a column vector
    left = expm_multiply(gen.T.tocsr() * t_s, w)
    return float(w.sum() - np.clip(left, 0.0, None).sum())
