"""Library additions for chapter 07: ``theory.plateau_error_rate``."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import theory

SIGMA = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


def _mid_times(Tc):
    return np.array([Tc[0] / 2, *np.sqrt(Tc[:-1] * Tc[1:]), 1.3 * Tc[-1]])


def _fitted_rate(dist, deltas):
    ok = dist > 1e-12                      # above the round-off floor of the learned modes
    return -np.polyfit(deltas[ok], np.log(dist[ok]), 1)[0]


def test_gd_rate_matches_the_mode_map():
    eta = 0.2
    Tc = theory.critical_times(SIGMA, eta)
    Tm = _mid_times(Tc)
    deltas = np.arange(30.0, 91.0, 10.0)
    n = int(deltas.max() * Tm.max()) + 2
    w = theory.mode_map(SIGMA, LAM, eta, np.exp(-deltas)[:, None], n)
    rates = theory.plateau_error_rate(SIGMA, Tm, eta)
    for T, r in zip(Tm, rates, strict=True):
        lim = np.where(Tc < T, SIGMA / LAM, 0.0)
        dist = np.array([np.linalg.norm(w[int(np.floor(d * T)), j] - lim)
                         for j, d in enumerate(deltas)])
        assert abs(_fitted_rate(dist, deltas) / r - 1) < 0.03, (T, r)


def test_flow_rate_matches_the_closed_form():
    Tc = theory.critical_times(SIGMA)
    Tm = _mid_times(Tc)
    deltas = np.arange(20.0, 61.0, 10.0)
    rates = theory.plateau_error_rate(SIGMA, Tm)
    for T, r in zip(Tm, rates, strict=True):
        lim = np.where(Tc < T, SIGMA / LAM, 0.0)
        dist = np.array([np.linalg.norm(theory.gradient_flow(SIGMA, LAM, np.exp(-d), [d * T])[0]
                                        - lim) for d in deltas])
        assert abs(_fitted_rate(dist, deltas) / r - 1) < 0.03, (T, r)


def test_rates_are_positive_and_do_not_depend_on_order():
    Tc = theory.critical_times(SIGMA, 0.3)
    T = np.linspace(0.5, 20, 50)
    T = T[np.min(np.abs(T[:, None] - Tc), axis=1) > 1e-3]
    r1 = theory.plateau_error_rate(SIGMA, T, 0.3)
    r2 = theory.plateau_error_rate(SIGMA[::-1], T, 0.3)
    assert np.all(r1 > 0) and np.array_equal(r1, r2)


@pytest.mark.parametrize(
    "args, match",
    [
        (([1.0, 1.0], [1.0]), "distinct"),
        (([1.0, 0.5], [0.0]), "positive"),
        (([1.0, 0.5], [1.0], 0.5), "1/2"),
        (([1.0, 0.5], [0.5]), "critical time"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        theory.plateau_error_rate(*args)
