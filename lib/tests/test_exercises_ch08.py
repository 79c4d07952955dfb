"""The chapter 08 checker accepts the right answer and rejects typical slips with their hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import theory
from gdlinear.exercises import ch08


def right_by_hand(sigma, lam, r):
    worst = np.inf
    for i in range(r):
        for j in range(r, len(sigma)):
            B = np.array([[lam[j] * sigma[i] / lam[i], -sigma[j]], [-sigma[j], sigma[i]]])
            worst = min(worst, np.linalg.eigvalsh(B)[0])
    return worst


def _variant(pairs, entry, pick=lambda ev: ev[0], agg=min, off=True):
    def saddle_curvature(sigma, lam, r):
        vals = []
        for i, j in pairs(r, len(sigma)):
            a = entry(sigma, lam, i, j)
            B = np.array([[a, -sigma[j] * off], [-sigma[j] * off, sigma[i]]])
            vals.append(pick(np.linalg.eigvalsh(B)))
        return agg(vals)
    return saddle_curvature


def across(r, m):
    return [(i, j) for i in range(r) for j in range(r, m)]


def every(r, m):
    return [(i, j) for i in range(m) for j in range(i + 1, m)]


def shifted(r, m):
    return [(i, j) for i in range(r - 1) for j in range(r - 1, m)] or across(r, m)


good = lambda s, la, i, j: la[j] * s[i] / la[i]          # noqa: E731
swapped = _variant(across, lambda s, la, i, j: la[i] * s[i] / la[j])
all_pairs = _variant(every, good)
maximum = _variant(across, good, agg=max)
larger = _variant(across, good, pick=lambda ev: ev[1])
no_offdiag = _variant(across, good, off=False)
off_by_one = _variant(shifted, good)


@pytest.mark.parametrize("fn", [theory.saddle_curvature, right_by_hand])
def test_accepts_right_answers(fn):
    assert ch08.check_saddle_curvature(fn).startswith("Correct")


@pytest.mark.parametrize(
    "fn, hint",
    [
        (swapped, "lambda_i and lambda_j are swapped"),
        (all_pairs, "only the pairs with i <= r < j count"),
        (maximum, "take the minimum over the pairs"),
        (larger, "you took the larger eigenvalue"),
        (no_offdiag, "you forgot the off-diagonal entries"),
        (off_by_one, "off by one in the indices"),
    ],
)
def test_rejects_typical_slips_with_specific_hint(fn, hint):
    with pytest.raises(AssertionError, match="Hint") as info:
        ch08.check_saddle_curvature(fn)
    assert hint in str(info.value)


def test_rejects_stub_generic_error_and_non_callable():
    with pytest.raises(AssertionError, match="not filled in"):
        ch08.check_saddle_curvature(lambda sigma, lam, r: None)
    with pytest.raises(AssertionError, match="smallest\neigenvalue|smallest"):
        ch08.check_saddle_curvature(lambda sigma, lam, r: right_by_hand(sigma, lam, r) + 0.01)
    with pytest.raises(AssertionError, match="function itself"):
        ch08.check_saddle_curvature(-0.17)


def test_cases_contain_saddles_and_minima():
    values = [theory.saddle_curvature(s, la, r) for s, la, r in ch08.CURVATURE_CASES]
    assert min(values) < 0 < max(values)
