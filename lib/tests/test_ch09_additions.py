"""Tests of the library additions made for chapter 9: the exact depth-L learning time
(``theory.deep_learning_time``) and the balanced depth-L mode map (``theory.mode_map_deep``)."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from gdlinear import dynamics, errors, problems, theory

SIG = np.array([1.0, 0.7, 0.4])
LAM = np.array([2.0, 0.5, 1.0])


def _direct_time(s, lam, w0, wf, L):
    """t = int_{w0}^{wf} dv / (L v^{2-2/L} (s - lam v)), integrated in z = ln v."""
    q = 1.0 - 2.0 / L

    def f(z):
        return np.exp(-q * z) / (L * (s - lam * np.exp(z)))

    pts = np.linspace(np.log(w0), np.log(wf), 80)
    return sum(quad(f, a, b, epsabs=0.0, epsrel=1e-13)[0] for a, b in zip(pts[:-1], pts[1:],
                                                                          strict=True))


@pytest.mark.parametrize("L", [3, 4, 6])
@pytest.mark.parametrize("delta", [2.0, 10.0, 30.0])
@pytest.mark.parametrize("frac", [0.1, 0.5, 0.99, 0.999])
def test_deep_learning_time_matches_direct_quadrature(L, delta, frac):
    w0 = np.exp(-delta)
    t = theory.deep_learning_time(SIG, LAM, w0, L, frac=frac)
    for i in range(3):
        wf = frac * SIG[i] / LAM[i]
        if w0 >= wf:
            assert t[i] == 0.0
            continue
        assert t[i] == pytest.approx(_direct_time(SIG[i], LAM[i], w0, wf, L), rel=1e-10)


@pytest.mark.parametrize("L", [3, 4])
def test_deep_learning_time_inverts_the_flow(L):
    t = theory.deep_learning_time(SIG, LAM, 1e-3, L, frac=0.5)
    for i in range(3):
        w = theory.deep_flow(SIG[i], LAM[i], 1e-3, [t[i]], L, rtol=1e-12, atol=1e-14)[0, 0]
        assert w == pytest.approx(0.5 * SIG[i] / LAM[i], rel=1e-8)


def test_deep_learning_time_depth_two_and_asymptotics():
    np.testing.assert_allclose(theory.deep_learning_time(SIG, LAM, 1e-4, 2),
                               theory.learning_time(SIG, LAM, 1e-4), rtol=1e-14)
    # t e^{-delta (1 - 2/L)} -> 1/((L - 2) sigma) (theory.critical_times), exponentially fast
    for L in (3, 4):
        q = 1 - 2 / L
        errs = []
        for delta in (10.0, 20.0, 40.0):
            ratio = theory.deep_learning_time(SIG, LAM, np.exp(-delta), L) * np.exp(-delta * q)
            errs.append(np.max(np.abs(ratio - theory.critical_times(SIG, depth=L))))
        assert errs[2] < errs[1] < errs[0] and errs[2] < 1e-3


def test_deep_learning_time_bad_input():
    with pytest.raises(ValueError, match="frac"):
        theory.deep_learning_time(1.0, 1.0, 0.1, 3, frac=1.0)
    with pytest.raises(ValueError, match="w0"):
        theory.deep_learning_time(1.0, 1.0, 0.0, 3)
    with pytest.raises(ValueError, match="depth"):
        theory.deep_learning_time(1.0, 1.0, 0.1, 1)


@pytest.mark.parametrize("L", [3, 4])
def test_mode_map_deep_is_exact_for_full_matrix_gd(L):
    P = problems.commuting(SIG, LAM, d=5, p=4, seed=1)
    eta = 0.3 * theory.stability_bound(P, "deep", depth=L)
    run = dynamics.gd_deep(P, eta, 400, dynamics.spectral_init(P, np.exp(-3.0), depth=L),
                           record=1)
    w = theory.mode_map_deep(SIG, LAM, eta, np.exp(-3.0), 400, L)
    np.testing.assert_allclose(run.modes, w, atol=1e-12)


def test_mode_map_deep_depth_two_and_independent_recursion():
    np.testing.assert_allclose(theory.mode_map_deep(SIG, LAM, 0.2, 1e-3, 300, 2),
                               theory.mode_map(SIG, LAM, 0.2, 1e-3, 300), rtol=1e-14)
    # per-factor recursion written out for one mode, L = 5
    s, lam, eta, L = 0.8, 1.5, 0.05, 5
    x = 1e-2 ** (1 / L)
    ref = [x**L]
    for _ in range(200):
        x = x + eta * x ** (L - 1) * (s - lam * x**L)
        ref.append(x**L)
    np.testing.assert_allclose(theory.mode_map_deep(s, lam, eta, 1e-2, 200, L)[:, 0], ref,
                               rtol=1e-12)


def test_mode_map_deep_batches_and_diverges():
    w0 = np.exp(-np.array([[2.0], [4.0]]))
    out = theory.mode_map_deep(SIG, LAM, 0.1, w0, 50, 3)
    assert out.shape == (51, 2, 3)
    np.testing.assert_allclose(out[:, 1, :], theory.mode_map_deep(SIG, LAM, 0.1, w0[1, 0], 50, 3))
    with pytest.raises(errors.DivergenceError, match="eta"):
        theory.mode_map_deep(SIG, LAM, 5.0, 0.5, 200, 3)
    with pytest.raises(ValueError, match="w0"):
        theory.mode_map_deep(SIG, LAM, 0.1, -1.0, 10, 3)
    with pytest.raises(ValueError, match="w0"):
        theory.mode_map_deep(SIG, LAM, 0.1, 0.0, 10, 3)
    with pytest.raises(ValueError, match="depth"):
        theory.mode_map_deep(SIG, LAM, 0.1, 0.5, 10, 1)
    with pytest.raises(ValueError, match="eta"):
        theory.mode_map_deep(SIG, LAM, -0.1, 0.5, 10, 3)


@pytest.mark.parametrize("L", [2, 3, 4])
def test_separation_delta_is_the_root_of_the_gap(L):
    def gap(delta, r):
        w0 = np.exp(-delta)
        return (theory.deep_learning_time(r, 1.0, w0, L, frac=0.1)[0]
                - theory.deep_learning_time(1.0, 1.0, w0, L, frac=0.9)[0])

    rs = np.array([0.5, 0.8, 0.95])
    got = theory.separation_delta(1.0, rs, L)
    for r, d in zip(rs, got, strict=True):
        assert d == pytest.approx(brentq(gap, 3.0, 300.0, args=(r,), xtol=1e-12), abs=1e-7)
        assert gap(d + 1e-3, r) > 0 > gap(d - 1e-3, r)


def test_separation_delta_two_layer_asymptotics_and_depth_order():
    rs = np.array([0.5, 0.7, 0.9])
    # L = 2, lam = 1: delta* = (r ln 9 + ln 9 - ln r) / (1 - r) + O(e^{-delta*})
    asym = (rs * np.log(9) + np.log(9) - np.log(rs)) / (1 - rs)
    np.testing.assert_allclose(theory.separation_delta(1.0, rs, 2), asym, atol=5e-3)
    d = np.stack([theory.separation_delta(1.0, rs, L) for L in (2, 3, 4)])
    assert np.all(d[0] > d[1]) and np.all(d[1] > d[2])


def test_separation_delta_bad_input_and_already_separated():
    with pytest.raises(ValueError, match="sigma_i > sigma_j"):
        theory.separation_delta(0.5, 1.0, 3)
    with pytest.raises(ValueError, match="lo and hi"):
        theory.separation_delta(1.0, 0.5, 3, lo=0.0)
    with pytest.raises(ValueError, match="not separated"):
        theory.separation_delta(1.0, 0.999, 2, delta_max=20.0)
    # widely different modes are separated at the smallest admissible delta
    lo_end = -np.log(0.5 * min(0.1 * 0.01, 0.9))
    assert theory.separation_delta(1.0, 0.01, 4)[0] == pytest.approx(lo_end)
