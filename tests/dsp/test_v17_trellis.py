"""V.17's trellis code: the differential encoding of Table 1, the 8-state encoder of Figure 1,
the constellations of Figures 2 to 5 and the Viterbi decoder."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp.v17_trellis import (
    BITS_PER_SYMBOL,
    DECISION_DELAY,
    TrellisEncoder,
    TrellisMapper,
    ViterbiDecoder,
    constellation,
)

RATES = (14400, 12000, 9600, 7200)


def _min_distance(points: np.ndarray) -> float:
    d = np.abs(points[:, None] - points[None, :])
    return float(np.min(d[~np.eye(points.size, dtype=bool)]))


@pytest.mark.parametrize("rate", RATES)
def test_constellation_sizes_power_and_set_partitioning(rate: int) -> None:
    points = constellation(rate)
    assert points.size == 2 ** (BITS_PER_SYMBOL[rate] + 1)  # 128, 64, 32, 16
    assert np.unique(points).size == points.size
    # The figures keep the mean power near that of the training points (|A|^2 = 40).
    assert 39.0 < float(np.mean(np.abs(points) ** 2)) < 43.0
    # Set partitioning: the 8 subsets (labels' low three bits Y2 Y1 Y0) are at least
    # sqrt(8) times further apart inside than the whole constellation.
    whole = _min_distance(points)
    for subset in range(8):
        inside = points[np.arange(points.size) % 8 == subset]
        assert _min_distance(inside) >= np.sqrt(8) * whole - 1e-9


@pytest.mark.parametrize("rate", RATES)
def test_a_quarter_turn_keeps_the_uncoded_bits(rate: int) -> None:
    """Turning a point by 90 degrees keeps Q3.. (rotational invariance), inverts Y0 and steps
    Y2 Y1 by -1 modulo 4."""
    points = constellation(rate)
    for label, p in enumerate(points):
        turned = int(np.flatnonzero(np.isclose(points, 1j * p))[0])
        assert turned >> 3 == label >> 3
        assert turned & 1 == (label & 1) ^ 1
        assert (turned >> 1) & 3 == (((label >> 1) & 3) - 1) % 4


def test_differential_encoding_of_table_1() -> None:
    """Y1n = Q1n xor Y1(n-1); Y2n = (Q1n and Y1(n-1)) xor Y2(n-1) xor Q2n, for all 16 cases."""
    for prev in range(4):
        for q in range(4):
            enc = TrellisEncoder(diff=prev)
            label = int(enc.labels(np.array([q]))[0])
            y1, y2 = (label >> 1) & 1, (label >> 2) & 1
            q1, q2, p1, p2 = q & 1, q >> 1, prev & 1, prev >> 1
            assert y1 == q1 ^ p1
            assert y2 == (q1 & p1) ^ p2 ^ q2


def test_redundant_bit_comes_from_the_encoder_state() -> None:
    """Y0 of each element is the state's w0 before the element: the first element from the
    zero state has Y0 = 0, and the uncoded bits pass straight into the label."""
    enc = TrellisEncoder()
    labels = enc.labels(np.array([0b101100, 0b000011, 0b111111, 0, 0, 0]))
    assert labels[0] & 1 == 0
    assert labels[0] >> 3 == 0b1011 and labels[2] >> 3 == 0b1111
    # The sequence is a path of the 8-state trellis: the state returns to where the same
    # inputs take it from the same start.
    again = TrellisEncoder().labels(np.array([0b101100, 0b000011, 0b111111, 0, 0, 0]))
    assert np.array_equal(labels, again)


@pytest.mark.parametrize("rate", RATES)
def test_viterbi_recovers_the_bits_of_clean_points(rate: int) -> None:
    bps = BITS_PER_SYMBOL[rate]
    bits = np.random.default_rng(1).integers(0, 2, bps * 600).astype(np.uint8)
    points = TrellisMapper(rate).map(bits)
    dec = ViterbiDecoder(rate)
    out = np.concatenate([dec.decode(np.zeros(0, np.intp), points[i:i + 48]) for i in range(0, 600, 48)])
    assert out.size == bps * (600 - DECISION_DELAY)
    # The first element's Q1 Q2 depend on the differential encoder's start (not data in V.17).
    assert np.array_equal(out[2:], bits[2:out.size])


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_code_is_transparent_to_quarter_turns_of_the_carrier(turns: int) -> None:
    """Differential encoding plus the rotationally invariant code: the receiver that sees every
    point turned by 90, 180 or 270 degrees still recovers the data after a few elements."""
    rate = 14400
    bits = np.random.default_rng(2).integers(0, 2, 6 * 400).astype(np.uint8)
    points = TrellisMapper(rate).map(bits) * 1j**turns
    dec = ViterbiDecoder(rate)
    out = np.concatenate([dec.decode(np.zeros(0, np.intp), points[i:i + 40]) for i in range(0, 400, 40)])
    assert np.array_equal(out[60:], bits[60:out.size])


@pytest.mark.parametrize("rate", [14400, 9600])
def test_viterbi_beats_element_by_element_decisions_in_noise(rate: int) -> None:
    rng = np.random.default_rng(3)
    bps = BITS_PER_SYMBOL[rate]
    n = 4000
    bits = rng.integers(0, 2, bps * n).astype(np.uint8)
    points = TrellisMapper(rate).map(bits)
    sigma = {14400: 0.33, 9600: 0.66}[rate]  # about one element in 20 misjudged alone
    noisy = points + sigma * (rng.normal(size=n) + 1j * rng.normal(size=n))
    table = constellation(rate)
    hard = np.argmin(np.abs(noisy[:, None] - table[None, :]), axis=1)
    element_errors = int(np.count_nonzero(table[hard] != points))
    assert element_errors > n // 40
    dec = ViterbiDecoder(rate)
    out = np.concatenate([dec.decode(np.zeros(0, np.intp), noisy[i:i + 48]) for i in range(0, n, 48)])
    wrong = (out[2:] != bits[2:out.size]).reshape(-1)
    assert np.count_nonzero(wrong) < element_errors / 4


def test_decoder_without_soft_symbols_uses_the_decided_points() -> None:
    rate = 7200
    bits = np.random.default_rng(4).integers(0, 2, 3 * 200).astype(np.uint8)
    points = TrellisMapper(rate).map(bits)
    table = constellation(rate)
    idx = np.argmin(np.abs(points[:, None] - table[None, :]), axis=1)
    out = ViterbiDecoder(rate).decode(idx)
    assert np.array_equal(out[2:], bits[2:out.size])


def test_unrolled_add_compare_select_matches_the_trellis_table() -> None:
    """The generated straight-line ACS against a plain evaluation of the trellis: for each
    state, the best of the four branches (previous state, input) that lead into it."""
    from pycti.dsp.v17_trellis import _BRANCH_SUBSET, _PREV_STATE, NEXT_CONV, _acs

    rng = np.random.default_rng(5)
    metric = rng.uniform(0, 5, 8).tolist()
    rows = rng.uniform(0, 10, (30, 8))
    choice: list[int] = []
    got = _acs(list(metric), rows.tolist(), choice)
    ref = np.array(metric)
    for t, bm in enumerate(rows):
        new = np.full(8, np.inf)
        for c in range(8):
            for v in range(4):
                ns = int(NEXT_CONV[c, v])
                new[ns] = min(new[ns], ref[c] + bm[(v << 1) | (c & 1)])
        # The recorded branch into each state is the one that gives that state's metric.
        for s in range(8):
            k = (choice[t] >> (2 * s)) & 3
            assert ref[_PREV_STATE[s, k]] + bm[_BRANCH_SUBSET[s, k]] == pytest.approx(new[s])
        ref = new
    assert np.allclose(got, ref - ref.min())
