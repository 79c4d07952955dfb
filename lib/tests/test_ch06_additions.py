"""Tests of the library additions made for chapter 06 (time rescaling).

``theory.hitting_time_bounds``, ``theory.rank_penalty`` and ``estimators.rank_penalised``,
each against an independent computation (the exact mode map, brute-force minimisation).
"""

from __future__ import annotations

import numpy as np
import pytest

import gdlinear as gl
from gdlinear import estimators, problems, theory


def _objective(P, W, mu, rank):
    return 0.5 * np.linalg.norm(P.Syx - W @ P.Sx) ** 2 + mu * rank


# ------------------------------------------------------------------ hitting_time_bounds


@pytest.mark.parametrize("c", [0.01, 0.1, 0.3, 0.5, 0.8, 1.5])
@pytest.mark.parametrize("frac", [0.1, 0.5, 0.9])
def test_hitting_time_bounds_sandwich_the_exact_map(c, frac):
    u0 = np.array([1e-3, 1e-8, 1e-20, 1e-60])
    lo, hi = theory.hitting_time_bounds(c, u0, frac)
    steps = int(np.ceil(hi.max())) + 5
    u = theory.mode_map(1.0, 1.0, c, u0, steps)   # sigma = lam = 1: w = u, eta = c
    tau = theory.hitting_time(u, frac)
    assert np.all(tau >= 0)
    assert np.all(lo <= tau), (lo, tau)
    assert np.all(tau < hi), (tau, hi)


def test_hitting_time_bounds_gap_does_not_depend_on_u0():
    lo, hi = theory.hitting_time_bounds(0.2, np.geomspace(1e-100, 1e-2, 7), 0.5)
    gap = hi - lo
    assert np.ptp(gap) < 1e-9
    c, r = 0.2, 1.1**2
    assert gap[0] == pytest.approx(1 + c * 0.5 * r / ((r - 1) * np.log1p(c)))


def test_hitting_time_bounds_slope_is_the_critical_time():
    deltas = np.array([100.0, 200.0])
    lo, hi = theory.hitting_time_bounds(0.3, np.exp(-deltas))
    assert (lo[1] - lo[0]) / 100.0 == pytest.approx(theory.critical_times(1.0, 0.3)[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"c": 0.2, "u0": 0.6}, "u0"),
        ({"c": 0.2, "u0": 1e-3, "frac": 1.0}, "frac"),
        ({"c": -0.2, "u0": 1e-3}, "positive"),
        ({"c": 0.2, "u0": 0.0}, "positive"),
    ],
)
def test_hitting_time_bounds_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        theory.hitting_time_bounds(**kwargs)


# ------------------------------------------------------------------ rank_penalty


@pytest.mark.parametrize("eta", [None, 0.05, 0.4])
def test_rank_penalty_keeps_exactly_the_learned_modes(eta):
    rng = np.random.default_rng(3)
    for _ in range(50):
        sigma = np.sort(rng.uniform(0.05, 2.0, size=5))[::-1]
        Tc = theory.critical_times(sigma, eta)
        T = rng.uniform(0.2, 1.2) * Tc.max() * rng.uniform(0.3, 1.0)
        if np.min(np.abs(T - Tc)) < 1e-9:
            continue
        mu = theory.rank_penalty(T, eta)[0]
        assert np.array_equal(0.5 * sigma**2 > mu, Tc < T)


def test_rank_penalty_is_decreasing_and_flow_limit():
    T = np.linspace(0.1, 10, 200)
    for eta in (None, 0.1):
        mu = theory.rank_penalty(T, eta)
        assert np.all(np.diff(mu) < 0)
    assert theory.rank_penalty(2.0)[0] == pytest.approx(1 / 32)
    eta = 1e-5
    assert theory.rank_penalty(2.0 / eta, eta)[0] == pytest.approx(1 / 32, rel=1e-4)


def test_rank_penalty_bad_input():
    with pytest.raises(ValueError, match="positive"):
        theory.rank_penalty(0.0)
    with pytest.raises(ValueError, match="eta"):
        theory.rank_penalty(1.0, eta=-0.1)


# ------------------------------------------------------------------ rank_penalised


@pytest.mark.parametrize("commute", [True, False])
def test_rank_penalised_beats_every_rank(commute):
    if commute:
        P = problems.commuting([1.0, 0.7, 0.4, 0.2], [2.0, 0.5, 1.0, 1.5], d=6, p=5, seed=2)
    else:
        P = problems.noncommuting([1.0, 0.7, 0.4], [2.0, 0.5, 1.0], angle=0.4, d=4, seed=2)
    rng = np.random.default_rng(0)
    s = np.linalg.svd(P.Syx, compute_uv=False)
    for mu in (0.01, 0.1, 0.2, 0.3, 0.6):
        W = estimators.rank_penalised(P, mu)
        k = int(np.linalg.matrix_rank(W, tol=1e-10))
        assert k == int(np.sum(0.5 * s**2 > mu))
        best = _objective(P, W, mu, k)
        for j in range(min(P.p, P.d) + 1):
            Wj = estimators.reduced_rank(P, j, "moment")
            assert best <= _objective(P, Wj, mu, j) + 1e-12
            if j == 0:
                continue
            U, sv, Vt = np.linalg.svd(Wj)
            A, B = U[:, :j] * sv[:j], Vt[:j]
            for _ in range(20):          # random rank-j competitors near the candidate
                Wr = (A + 0.1 * rng.standard_normal(A.shape)) @ (
                    B + 0.1 * rng.standard_normal(B.shape))
                assert best < _objective(P, Wr, mu, np.linalg.matrix_rank(Wr))


def test_rank_penalised_bad_input():
    P = problems.commuting([1.0, 0.5])
    with pytest.raises(ValueError, match="mu"):
        estimators.rank_penalised(P, -1.0)
    with pytest.raises(TypeError):
        estimators.rank_penalised(np.eye(2), 0.1)
    assert not gl.estimators.rank_penalised(P, 10.0).any()       # huge penalty: W = 0
    np.testing.assert_allclose(gl.estimators.rank_penalised(P, 0.0),  # no penalty: OLS
                               estimators.least_squares(P), atol=1e-12)


# ------------------------------------------------------------------ Problem.from_strengths


def test_from_strengths_inverts_mode_strengths():
    P = problems.commuting([1.0, 0.7, 0.4], [2.0, 0.5, 1.0], d=5, p=4, seed=3)
    w = np.random.default_rng(1).standard_normal((7, 2, 3))
    W = P.from_strengths(w)
    assert W.shape == (7, 2, 4, 5)
    np.testing.assert_allclose(P.mode_strengths(W), w, atol=1e-12)
    np.testing.assert_allclose(P.from_strengths(P.modes.targets), estimators.least_squares(P),
                               atol=1e-12)


def test_from_strengths_bad_input():
    P = problems.commuting([1.0, 0.5])
    with pytest.raises(ValueError, match="m = 2"):
        P.from_strengths([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="modes"):
        problems.from_moments(np.eye(2), np.eye(2)).from_strengths([1.0, 1.0])


def test_hitting_time_bounds_broadcast_2d():
    sigma, lam, eta = np.array([1.0, 0.4]), np.array([2.0, 1.0]), 0.3
    deltas = np.array([20.0, 40.0, 80.0])
    u0 = (lam / sigma) * np.exp(-deltas)[:, None]
    lo, hi = theory.hitting_time_bounds(eta * sigma, u0)
    assert lo.shape == hi.shape == (3, 2)
    w = theory.mode_map(sigma, lam, eta, np.exp(-deltas)[:, None], int(hi.max()) + 2)
    tau = theory.hitting_time(w.reshape(len(w), -1), np.tile(sigma / (2 * lam), 3)).reshape(3, 2)
    assert np.all((lo <= tau) & (tau < hi))
