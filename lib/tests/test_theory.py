"""Tests of gdlinear.theory against independent computations."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import gdlinear as gl
from gdlinear import theory as th

SIG = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


def _map_loop(sigma, lam, eta, w0, steps):
    """Plain Python recursion (independent of the vectorised implementation)."""
    out = [np.array(w0, dtype=float) * np.ones_like(sigma)]
    for _ in range(steps):
        w = out[-1]
        out.append(w * (1 + eta * (sigma - lam * w)) ** 2)
    return np.array(out)


def test_mode_map_matches_plain_recursion_and_broadcasts():
    ref = _map_loop(SIG, LAM, 0.3, 1e-4, 500)
    np.testing.assert_allclose(th.mode_map(SIG, LAM, 0.3, 1e-4, 500), ref, rtol=1e-13)
    batch = th.mode_map(SIG, LAM, np.array([[0.1], [0.3]]), 1e-4, 500)
    assert batch.shape == (501, 2, 4)
    np.testing.assert_allclose(batch[:, 1], ref, rtol=1e-13)
    assert th.mode_map(1.0, 1.0, 0.1, 0.5, 3).shape == (4, 1)


def test_mode_map_unbalanced_reduces_to_balanced():
    a, b = th.mode_map_unbalanced(SIG, LAM, 0.2, 1e-2, 1e-2, 300)
    np.testing.assert_allclose(a * b, th.mode_map(SIG, LAM, 0.2, 1e-4, 300), rtol=1e-12)
    a, b = th.mode_map_unbalanced(SIG, LAM, 0.2, 0.3, 0.01, 2000)
    np.testing.assert_allclose(a[-1] * b[-1], SIG / LAM, rtol=1e-9)


def test_mode_map_divergence():
    with pytest.raises(gl.DivergenceError, match=r"eta = 3.*1/sigma_1 = 1"):
        th.mode_map(SIG, LAM, 3.0, 1e-3, 1000)


def test_gradient_flow_closed_form_vs_solve_ivp():
    w0 = np.array([1e-3, 0.2, 2.0, 0.0])
    t = np.linspace(0, 12, 25)
    sol = solve_ivp(lambda _t, w: 2 * w * (SIG - LAM * w), (0, 12), w0, t_eval=t,
                    method="DOP853", rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(th.gradient_flow(SIG, LAM, w0, t), sol.y.T, rtol=1e-8, atol=1e-12)


def test_gradient_flow_is_small_step_limit_of_gd():
    eta = 1e-3
    gd = th.mode_map(SIG, LAM, eta, 1e-3, 6000)[-1]
    fl = th.gradient_flow(SIG, LAM, 1e-3, [6.0])[0]
    np.testing.assert_allclose(gd, fl, rtol=2e-2)


def test_linear_closed_forms():
    W = np.zeros(4)
    out = [W]
    for _ in range(50):
        W = W - 0.3 * (LAM * W - SIG)
        out.append(W)
    np.testing.assert_allclose(th.linear_gd(SIG, LAM, 0.3, 0.0, 50), np.array(out), atol=1e-14)
    t = np.linspace(0, 5, 11)
    sol = solve_ivp(lambda _t, w: SIG - LAM * w, (0, 5), np.full(4, 0.1), t_eval=t,
                    rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(th.linear_flow(SIG, LAM, 0.1, t), sol.y.T, atol=1e-10)
    with pytest.raises(gl.DivergenceError, match="2/lambda_max"):
        th.linear_gd(SIG, LAM, 5.0, 0.0, 5000)


def test_deep_flow_depth2_and_small_step_gd():
    t = np.array([0.0, 1.0, 3.0, 8.0])
    np.testing.assert_allclose(th.deep_flow(SIG, LAM, 0.01, t, depth=2),
                               th.gradient_flow(SIG, LAM, 0.01, t))
    # depth 3: scalar factor recursion a+ = a + eta a^2 (sigma - lam a^3), w = a^3
    eta, steps = 2e-3, 4000
    a = np.full(4, 0.05 ** (1 / 3))
    for _ in range(steps):
        a = a + eta * a**2 * (SIG - LAM * a**3)
    w_flow = th.deep_flow(SIG, LAM, 0.05, [eta * steps], depth=3)[0]
    np.testing.assert_allclose(a**3, w_flow, rtol=2e-2)


@pytest.mark.parametrize("depth", [3, 4])
def test_deep_critical_times_rescaled_limit(depth):
    sig, lam = np.array([1.0, 0.5]), np.array([1.0, 2.0])
    delta = 30.0
    scale = np.exp(delta * (1 - 2 / depth))
    T = np.linspace(0.1, 3.0, 600)
    w = th.deep_flow(sig, lam, np.exp(-delta), scale * T, depth=depth)
    half = T[np.argmax(w >= 0.5 * sig / lam, axis=0)]
    np.testing.assert_allclose(half, th.critical_times(sig, depth=depth), rtol=0.02)


def test_critical_times_values_and_gd_limit():
    np.testing.assert_allclose(th.critical_times(SIG), 1 / (2 * SIG))
    np.testing.assert_allclose(th.critical_times(SIG, eta=0.1), 1 / (2 * np.log1p(0.1 * SIG)))
    np.testing.assert_allclose(th.critical_times(SIG, depth=3), 1 / SIG)
    delta, eta = 160.0, 0.1
    w = th.mode_map(SIG, LAM, eta, np.exp(-delta), int(30 * delta))
    half = np.argmax(w >= 0.5 * SIG / LAM, axis=0) / delta
    np.testing.assert_allclose(half, th.critical_times(SIG, eta=eta), rtol=0.02)


def test_learning_time_flow_is_exact():
    w0 = np.array([1e-6, 1e-3, 0.01, 0.002])
    for frac in (0.1, 0.5, 0.9):
        t = th.learning_time(SIG, LAM, w0, frac=frac)
        w = np.array([th.gradient_flow(SIG[i], LAM[i], w0[i], [t[i]])[0, 0] for i in range(4)])
        np.testing.assert_allclose(w, frac * SIG / LAM, rtol=1e-10)
    assert th.learning_time(1.0, 1.0, 0.9)[0] == 0.0


@pytest.mark.parametrize("c", [0.02, 0.1, 0.25, 0.4, 0.5])
def test_learning_time_gd_within_5_percent_of_map(c):
    delta = 30.0
    eta = c / SIG[0]
    pred = th.learning_time(SIG, LAM, np.exp(-delta), eta=eta)
    w = th.mode_map(SIG, LAM, eta, np.exp(-delta), int(1.2 * pred.max()) + 10)
    hit = np.argmax(w >= 0.5 * SIG / LAM, axis=0)
    np.testing.assert_allclose(pred, hit, rtol=0.05)
    assert np.max(np.abs(pred - hit)) < 1.0      # in fact within one iteration


def test_learning_time_gd_tends_to_flow():
    w0 = np.exp(-20.0)
    flow = th.learning_time(SIG, LAM, w0)
    eta = 1e-5
    np.testing.assert_allclose(eta * th.learning_time(SIG, LAM, w0, eta=eta), flow, rtol=1e-4)


def test_step_size_regimes_match_the_map():
    assert th.step_size_regime(1.0, 0.5) == "monotone"
    assert th.step_size_regime(2.0, 0.3) == "overshoot"
    assert th.step_size_regime(1.0, 1.0) == "unstable"
    for c, regime in [(0.3, "monotone"), (0.5, "monotone"), (0.8, "overshoot"), (1.2, "unstable")]:
        u = th.mode_map(1.0, 1.0, c, 1e-6, 3000)[:, 0]
        assert th.step_size_regime(1.0, c) == regime
        if regime == "monotone":
            assert np.all(np.diff(u) >= 0) and u.max() <= 1 + 1e-12
        elif regime == "overshoot":
            assert u.max() > 1.01 and abs(u[-1] - 1) < 1e-9
        else:
            assert abs(u[-1] - 1) > 0.1         # 2-cycle, no convergence


def test_stability_bounds():
    P = gl.problems.commuting(SIG, LAM, d=5, p=4)
    assert th.stability_bound(P) == pytest.approx(1.0)
    assert th.stability_bound(P, "linear") == pytest.approx(1.0)    # 2 / lam_max = 2/2
    assert th.stability_bound(SIG, "linear", lam=LAM) == pytest.approx(1.0)
    assert th.stability_bound(P, "deep", depth=2) == pytest.approx(1.0)
    L = 3
    expect = 2 / np.max(L * LAM * (SIG / LAM) ** (2 - 2 / L))
    assert th.stability_bound(P, "deep", depth=3) == pytest.approx(expect)
    Pd = gl.problems.from_moments(P.Sx, P.Syx)
    assert th.stability_bound(Pd, "deep", depth=3) == pytest.approx(expect)


def test_limit_path_and_distance():
    T = np.array([0.3, 0.6, 0.8, 1.4, 3.0])
    lim = th.limit_path(SIG, LAM, T)
    expect = np.where(T[:, None] > 1 / (2 * SIG), SIG / LAM, 0.0)
    np.testing.assert_allclose(lim, expect)
    dists = []
    for delta in (20.0, 80.0):
        w = th.gradient_flow(SIG, LAM, np.exp(-delta), delta * T)
        dists.append(th.distance_to_limit(w, SIG, LAM, T))
    assert np.all(dists[1] < dists[0]) and dists[1].max() < 0.05
    # GD: rescaled in iterations
    eta, delta = 0.2, 80.0
    Tg = np.array([2.0, 4.0, 6.0, 9.0, 20.0])
    w = th.mode_map(SIG, LAM, eta, np.exp(-delta), int(delta * Tg[-1]))
    d = th.distance_to_limit(w[(delta * Tg).astype(int)], SIG, LAM, Tg, eta=eta)
    assert d.max() < 0.05


def test_escape_bounds_contain_hitting_time():
    for c in (0.05, 0.2, 0.5):
        for u0 in (1e-12, 1e-6):
            for eps in (0.01, 0.1):
                u = th.mode_map(1.0, 1.0, c, u0, 5000)[:, 0]
                tau = int(np.argmax(u >= eps))
                lo, hi = th.escape_bounds(c, u0, eps)
                assert lo[0] <= tau <= hi[0]


def test_saturation_factor_bound():
    for c in np.linspace(0.01, 0.5, 20):
        u = np.linspace(0.5, 1.0, 201)
        up = u * (1 + c * (1 - u)) ** 2
        assert np.all(1 - up <= th.saturation_factor(c)[0] * (1 - u) + 1e-15)
