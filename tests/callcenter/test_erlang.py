"""Erlang B, C and A against independent formulas: exact rational sums, the Poisson form of
Erlang B, the closed forms of Garnett, Mandelbaum and Reiman (2002), and the M/M/infinity
special case of Erlang A (patience rate equal to the service rate)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammainc, gammaln
from scipy.stats import poisson

from pycti.callcenter.erlang import ErlangError, erlang_a_prediction, erlang_b, erlang_c, erlang_c_prediction


def _exact_b(n: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def _exact_c(n: int, a: Fraction) -> Fraction:
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), a_tenths=st.integers(1, 600))
def test_erlang_b_and_c_equal_the_exact_sums(n: int, a_tenths: int) -> None:
    a = Fraction(a_tenths, 10)
    assert erlang_b(n, float(a)) == pytest.approx(float(_exact_b(n, a)), rel=1e-12)
    if a < n:
        assert erlang_c(n, float(a)) == pytest.approx(float(_exact_c(n, a)), rel=1e-12)


def test_textbook_values() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)  # the Erlang B table's 1.84 %
    assert erlang_b(0, 3.0) == 1.0
    pc = erlang_c_prediction(10, 8.0 / 180.0, 180.0, 20.0)
    assert pc.p_wait == pytest.approx(0.40918, abs=1e-5)
    drain = 10 / 180.0 - 8.0 / 180.0
    assert pc.asa_s == pytest.approx(pc.p_wait / drain)
    assert pc.service_level == pytest.approx(1 - pc.p_wait * math.exp(-drain * 20.0))


@pytest.mark.parametrize(("n", "a"), [(1000, 950.0), (1000, 999.0), (500, 480.5)])
def test_large_centers_are_stable(n: int, a: float) -> None:
    # Erlang B is P(X = n) / P(X <= n) for X ~ Poisson(a): an independent route for big n
    assert erlang_b(n, a) == pytest.approx(poisson.pmf(n, a) / poisson.cdf(n, a), rel=1e-9)
    c = erlang_c(n, a)
    assert 0.0 < c < 1.0
    pa = erlang_a_prediction(n, a / 180.0, 180.0, 120.0, 20.0)
    assert 0.0 < pa.p_abandon < pa.p_wait < 1.0 and 0.0 < pa.service_level <= 1.0


def _gmr(n: int, lam: float, aht_s: float, patience_s: float) -> tuple[float, float]:
    """GMR 2002's closed forms: P(W > 0) and P(Ab), with A(x, y) = x e^y y^-x gamma(x, y)."""
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    x, y = n * mu / theta, lam / theta
    big_a = x * math.exp(y - x * math.log(y) + gammaln(x)) * gammainc(x, y)
    e = erlang_b(n, lam / mu)
    rho = lam / (n * mu)
    p_wait = big_a * e / (1 + (big_a - 1) * e)
    return p_wait, p_wait * (1 / (rho * big_a) + 1 - 1 / rho)


@pytest.mark.parametrize(("n", "lam", "aht_s", "patience_s"),
                         [(10, 0.3, 30.0, 30.0), (10, 11 / 30, 30.0, 30.0), (50, 0.5, 100.0, 40.0),
                          (3, 0.2, 10.0, 100.0), (100, 1.2, 90.0, 200.0)])
def test_erlang_a_matches_the_gmr_closed_forms(n: int, lam: float, aht_s: float, patience_s: float) -> None:
    pa = erlang_a_prediction(n, lam, aht_s, patience_s)
    p_wait, p_ab = _gmr(n, lam, aht_s, patience_s)
    assert pa.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert pa.p_abandon == pytest.approx(p_ab, rel=1e-9)
    # those not answered are exactly those who abandoned
    p_answered = pa.service_level_offered / pa.service_level
    assert 1 - p_answered == pytest.approx(pa.p_abandon, rel=1e-9)


def test_erlang_a_with_patience_equal_to_talk_time_is_m_m_infinity() -> None:
    # theta = mu: the number in system is Poisson(a), whatever n
    n, a, aht = 10, 9.0, 30.0
    pa = erlang_a_prediction(n, a / aht, aht, aht)
    assert pa.p_wait == pytest.approx(poisson.sf(n - 1, a), rel=1e-12)
    k = range(n, 200)
    mean_queue = sum((j - n) * poisson.pmf(j, a) for j in k)
    assert pa.p_abandon == pytest.approx(mean_queue / a, rel=1e-10)  # theta E[Q] / lam
    assert pa.mean_wait_s == pytest.approx(mean_queue / (a / aht), rel=1e-10)  # Little


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    pc = erlang_c_prediction(10, 8 / 60, 60.0, 20.0)
    pa = erlang_a_prediction(10, 8 / 60, 60.0, 1e7, 20.0)
    assert pa.p_wait == pytest.approx(pc.p_wait, rel=1e-4)
    assert pa.asa_s == pytest.approx(pc.asa_s, rel=1e-3)
    assert pa.service_level == pytest.approx(pc.service_level, rel=1e-4)
    assert pa.p_abandon < 1e-5


def test_erlang_a_service_level_grows_from_no_wait_to_one() -> None:
    levels = [erlang_a_prediction(10, 11 / 30, 30.0, 30.0, t).service_level_offered for t in (0, 5, 20, 60, 600)]
    p0 = 1 - erlang_a_prediction(10, 11 / 30, 30.0, 30.0).p_wait
    assert levels[0] == pytest.approx(p0)
    assert all(x < y for x, y in zip(levels, levels[1:]))
    answered = 1 - erlang_a_prediction(10, 11 / 30, 30.0, 30.0).p_abandon
    assert levels[-1] == pytest.approx(answered, rel=1e-9)  # in the end every answered call counts
    # overload (11 Erlangs on 10 agents) is fine with abandonment, not in Erlang C
    with pytest.raises(ErlangError, match="11"):
        erlang_c_prediction(10, 11 / 30, 30.0)


@pytest.mark.parametrize(("call", "needle"), [
    (lambda: erlang_b(-1, 1.0), "-1"),
    (lambda: erlang_b(3, float("nan")), "nan"),
    (lambda: erlang_c(5, 5.0), "5.0"),
    (lambda: erlang_c_prediction(0, 1.0, 1.0), "0"),
    (lambda: erlang_a_prediction(5, 0.1, 30.0, -2.0), "-2.0"),
    (lambda: erlang_a_prediction(5, 0.1, 30.0, 30.0, t_s=-1.0), "-1.0"),
])
def test_bad_input_names_the_value(call: object, needle: str) -> None:
    with pytest.raises(ErlangError, match=needle):
        call()  # type: ignore[operator]
