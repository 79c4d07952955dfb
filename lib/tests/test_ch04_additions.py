"""Tests of the library additions made for chapter 4: the unbalanced two-layer flow of one mode
(``theory.unbalanced_flow``) and its exact learning time (``theory.unbalanced_learning_time``)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gdlinear import dynamics, problems, theory

CASES = [
    (1.0, 2.0, 0.3, 0.01),     # c > 0
    (0.7, 0.5, 0.01, 0.5),     # c < 0
    (1.0, 1.0, 1e-3, -2e-3),   # w0 < 0, c < 0
    (0.5, 1.0, 2.0, 0.0),      # w0 = 0 but c != 0: leaves the saddle at once
    (1.0, 1.0, 2e-6, 0.5e-6),  # tiny, unbalanced by a factor 4
    (1.0, 1.0, 1e-3, 1e-3),    # balanced: the logistic
    (1.0, 1.0, -0.3, 0.2),     # negative a
]


def _ode(s, lam, a0, b0, t):
    def rhs(_t, y):
        e = s - lam * y[0] * y[1]
        return [y[1] * e, y[0] * e]

    sol = solve_ivp(rhs, (0.0, float(t[-1])), [a0, b0], t_eval=t, rtol=1e-12, atol=1e-15)
    return sol.y


@pytest.mark.parametrize(("s", "lam", "a0", "b0"), CASES)
def test_unbalanced_flow_matches_ode(s, lam, a0, b0):
    t = np.linspace(0.0, 40.0, 81)
    a, b = theory.unbalanced_flow(s, lam, a0, b0, t)
    ya, yb = _ode(s, lam, a0, b0, t)
    np.testing.assert_allclose(a[:, 0], ya, atol=1e-9)
    np.testing.assert_allclose(b[:, 0], yb, atol=1e-9)
    # the imbalance is conserved
    np.testing.assert_allclose(a[:, 0] ** 2 - b[:, 0] ** 2, a0**2 - b0**2, atol=1e-12)


def test_unbalanced_flow_balanced_limit_and_zero():
    t = np.linspace(0.0, 20.0, 41)
    a, b = theory.unbalanced_flow([1.0, 0.5], [2.0, 1.0], 1e-2, 1e-2, t)
    np.testing.assert_allclose(a * b, theory.gradient_flow([1.0, 0.5], [2.0, 1.0], 1e-4, t),
                               rtol=1e-12)
    # a tiny imbalance is close to the balanced flow (continuity in c)
    a2, b2 = theory.unbalanced_flow(1.0, 1.0, 1e-2 * (1 + 1e-7), 1e-2, t)
    np.testing.assert_allclose(a2 * b2, theory.gradient_flow(1.0, 1.0, 1e-4, t), rtol=1e-5)
    a0, b0 = theory.unbalanced_flow(1.0, 1.0, 0.0, 0.0, t)
    assert np.all(a0 == 0) and np.all(b0 == 0)


def test_unbalanced_flow_is_exact_for_full_matrices():
    P = problems.commuting([1.0, 0.7, 0.4], [2.0, 0.5, 1.0], d=5, p=4, seed=2)
    init = dynamics.spectral_init(P, 1e-3, balanced=False, ratio=3.0)
    t = np.linspace(0.0, 12.0, 25)
    run = dynamics.gradient_flow(P, t, init, rtol=1e-11, atol=1e-14)
    a0 = np.sqrt(1e-3) * 3.0
    b0 = np.sqrt(1e-3) / 3.0
    a, b = theory.unbalanced_flow(P.modes.sigma, P.modes.lam, a0, b0, t)
    np.testing.assert_allclose(run.modes, a * b, atol=1e-8)


@pytest.mark.parametrize(("s", "lam", "a0", "b0"), CASES)
def test_unbalanced_learning_time_inverts_the_flow(s, lam, a0, b0):
    for frac in (0.1, 0.5, 0.9):
        t = theory.unbalanced_learning_time(s, lam, a0, b0, frac=frac)
        if a0 * b0 >= frac * s / lam:
            assert t[0] == 0.0
            continue
        assert np.isfinite(t[0]) and t[0] > 0
        a, b = theory.unbalanced_flow(s, lam, a0, b0, t)
        assert (a * b)[0, 0] == pytest.approx(frac * s / lam, rel=1e-9)


def test_unbalanced_learning_time_special_cases():
    # balanced: the logistic learning time
    t = theory.unbalanced_learning_time([1.0, 0.5], 1.0, 1e-3, 1e-3)
    np.testing.assert_allclose(t, theory.learning_time([1.0, 0.5], 1.0, 1e-6), rtol=1e-12)
    # a0 = -b0: w stays negative and never reaches the target
    assert np.isinf(theory.unbalanced_learning_time(1.0, 1.0, 0.1, -0.1)[0])
    # already past the target
    assert theory.unbalanced_learning_time(1.0, 1.0, 1.0, 0.9)[0] == 0.0
    # an imbalance only speeds the mode up
    t_bal = theory.learning_time(1.0, 1.0, 1e-6)[0]
    t_unb = theory.unbalanced_learning_time(1.0, 1.0, 2e-3, 0.5e-3)[0]
    assert t_unb < t_bal


@pytest.mark.parametrize("frac", [0.0, 1.0, -0.5, 2.0])
def test_unbalanced_learning_time_bad_frac(frac):
    with pytest.raises(ValueError, match="frac"):
        theory.unbalanced_learning_time(1.0, 1.0, 0.1, 0.01, frac=frac)


def test_unbalanced_flow_bad_input():
    with pytest.raises(ValueError, match="sigma"):
        theory.unbalanced_flow(-1.0, 1.0, 0.1, 0.1, [0.0])
    with pytest.raises(ValueError, match="t"):
        theory.unbalanced_flow(1.0, 1.0, 0.1, 0.1, [-1.0])
    with pytest.raises(ValueError):
        theory.unbalanced_flow(1.0, 1.0, np.nan, 0.1, [0.0])
