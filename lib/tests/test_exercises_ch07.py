"""The chapter 07 checker accepts the right answer and rejects typical slips with their hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import theory
from gdlinear.exercises import ch07


def right(sigma, eta, T):
    return theory.plateau_error_rate(sigma, [T], eta)[0]


def right_by_hand(sigma, eta, T):
    s = np.sort(np.asarray(sigma))[::-1]
    Tc = 1 / (2 * np.log1p(eta * s))
    k = int(np.sum(Tc < T))
    terms = [(T - Tc[i]) * np.log(1 / (1 - 2 * eta * s[i])) for i in range(k)]
    if k < s.size:
        terms.append(1 - T / Tc[k])
    return min(terms)


def _learned_rate(rate_fn, with_next=True, nxt_shift=0, agg=min):
    def plateau_rate(sigma, eta, T):
        Tc = theory.critical_times(sigma, eta)
        k = int(np.sum(Tc < T))
        terms = [rate_fn(T, Tc[i], eta * sigma[i]) for i in range(k)]
        if with_next and nxt_shift == 0 and k < len(sigma):
            terms.append(1 - T / Tc[k])
        elif with_next and nxt_shift != 0:
            terms.append(1 - T / Tc[k + nxt_shift])   # Python indexing: Tc[-1] when k = 0
        return agg(terms) if terms else np.inf
    return plateau_rate


small_step = _learned_rate(lambda T, Ti, c: (T - Ti) * 2 * c)
flow_rate = _learned_rate(lambda T, Ti, c: T / Ti - 1)
no_next = _learned_rate(lambda T, Ti, c: (T - Ti) * np.log(1 / (1 - 2 * c)), with_next=False)
wrong_next = _learned_rate(lambda T, Ti, c: (T - Ti) * np.log(1 / (1 - 2 * c)), nxt_shift=-1)
maximum = _learned_rate(lambda T, Ti, c: (T - Ti) * np.log(1 / (1 - 2 * c)), agg=max)


@pytest.mark.parametrize("fn", [right, right_by_hand])
def test_accepts_right_answers(fn):
    assert ch07.check_plateau_rate(fn).startswith("Correct")


@pytest.mark.parametrize(
    "fn, hint",
    [
        (small_step, "2 eta sigma_i is only its small-step approximation"),
        (flow_rate, "you used the flow's rate"),
        (no_next, "you forgot the next mode"),
        (wrong_next, "the next mode to be learned is k+1"),
        (maximum, "take the minimum, not the maximum"),
    ],
)
def test_rejects_typical_slips_with_specific_hint(fn, hint):
    with pytest.raises(AssertionError, match="Hint") as info:
        ch07.check_plateau_rate(fn)
    assert hint in str(info.value)


def test_rejects_stub_and_non_callable():
    with pytest.raises(AssertionError, match="not filled in"):
        ch07.check_plateau_rate(lambda sigma, eta, T: None)
    with pytest.raises(AssertionError, match="function itself"):
        ch07.check_plateau_rate(0.5)
    with pytest.raises(AssertionError, match="minimum of"):
        ch07.check_plateau_rate(lambda sigma, eta, T: right(sigma, eta, T) + 0.01)
