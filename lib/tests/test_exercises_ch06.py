"""The chapter 06 checker accepts the right answer and rejects typical wrong ones with the hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import estimators, theory
from gdlinear.exercises import ch06


def right(P, T, eta=None):
    k = int(np.sum(theory.critical_times(P.modes.sigma, eta) < T))
    return estimators.reduced_rank(P, k, "moment")


def right_from_modes(P, T, eta=None):
    md = P.modes
    keep = theory.critical_times(md.sigma, eta) < T
    return (md.U * np.where(keep, md.sigma / md.lam, 0.0)) @ md.V.T


def _modes_answer(rate):
    def plateau(P, T, eta=None):
        md = P.modes
        keep = rate(md.sigma, eta) < T
        return (md.U * np.where(keep, md.sigma / md.lam, 0.0)) @ md.V.T
    return plateau


def data_metric(P, T, eta=None):
    k = int(np.sum(theory.critical_times(P.modes.sigma, eta) < T))
    return estimators.reduced_rank(P, k, "data")


def sigma_values(P, T, eta=None):
    md = P.modes
    keep = theory.critical_times(md.sigma, eta) < T
    return (md.U * np.where(keep, md.sigma, 0.0)) @ md.V.T


eta_sigma = _modes_answer(lambda s, eta: 1 / (2 * s) if eta is None else 1 / (2 * eta * s))
flow_times = _modes_answer(lambda s, eta: 1 / (2 * s))
factor_two = _modes_answer(lambda s, eta: 1 / s if eta is None else 1 / np.log1p(eta * s))
reversed_ineq = _modes_answer(lambda s, eta: -theory.critical_times(s, eta))


@pytest.mark.parametrize("fn", [right, right_from_modes])
def test_accepts_right_answers(fn):
    assert ch06.check_plateau(fn).startswith("Correct")


@pytest.mark.parametrize(
    "fn, hint",
    [
        (data_metric, "Izenman's 'data' metric"),
        (sigma_values, "with value sigma_i"),
        (eta_sigma, "your critical time uses eta*sigma; the discrete rate is ln(1 + eta sigma)"),
        (flow_times, "not the flow's 1/(2 sigma_i)"),
        (factor_two, "twice too large"),
    ],
)
def test_rejects_typical_slips_with_specific_hint(fn, hint):
    with pytest.raises(AssertionError, match="Hint") as info:
        ch06.check_plateau(fn)
    assert hint in str(info.value)


def test_reversed_inequality_hint():
    def rev(P, T, eta=None):
        md = P.modes
        keep = theory.critical_times(md.sigma, eta) > T
        return (md.U * np.where(keep, md.sigma / md.lam, 0.0)) @ md.V.T
    with pytest.raises(AssertionError, match="reversed"):
        ch06.check_plateau(rev)


def test_rejects_stub_shape_and_generic_error():
    with pytest.raises(AssertionError, match="not filled in"):
        ch06.check_plateau(lambda P, T, eta=None: None)
    with pytest.raises(AssertionError, match="looks transposed|shape"):
        ch06.check_plateau(lambda P, T, eta=None: right(P, T, eta).T)
    with pytest.raises(AssertionError, match="reduced_rank\\(P, k, 'moment'\\)"):
        ch06.check_plateau(lambda P, T, eta=None: right(P, T, eta) + 0.01)
    with pytest.raises(AssertionError, match="function itself"):
        ch06.check_plateau(right(ch06.exercise_problem(), 1.0))


def test_cases_separate_every_slip():
    """Every slip differs from the right answer on at least one case (the checker can fail)."""
    P = ch06.exercise_problem()
    for fn in (data_metric, sigma_values, eta_sigma, flow_times, factor_two, reversed_ineq):
        diffs = [np.abs(fn(P, T, eta) - right(P, T, eta)).max() for eta, T in ch06.PLATEAU_CASES]
        assert max(diffs) > 1e-3, fn.__name__
