"""Tests of gdlinear.dynamics: full-matrix runs against the per-mode theory."""

import numpy as np
import pytest

import gdlinear as gl
from gdlinear import dynamics as dyn
from gdlinear import problems
from gdlinear import theory as th
from gdlinear.problems import commuting, teacher

SIG = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


def _random_commuting(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 5))
    d, p = m + int(rng.integers(0, 3)), m + int(rng.integers(0, 3))
    sigma = np.sort(rng.uniform(0.2, 2.0, m))[::-1]
    lam = rng.uniform(0.5, 2.0, m)
    return commuting(sigma, lam, d=d, p=p, seed=seed), rng


@pytest.mark.parametrize("seed", range(4))
def test_full_gd_matches_mode_map_to_1e10_relative(seed):
    P, rng = _random_commuting(seed)
    sigma, lam = P.modes.sigma, P.modes.lam
    eta = rng.uniform(0.05, 0.6) / sigma[0]
    scale = 10 ** rng.uniform(-3, -1)
    steps = 2000
    run = dyn.gd_two_layer(P, eta, steps, dyn.spectral_init(P, scale), record=1)
    ref = th.mode_map(sigma, lam, eta, scale, steps)
    assert np.max(np.abs(run.modes - ref) / np.abs(ref)) < 1e-10
    # unbalanced spectral init against the (a, b) recursion
    run = dyn.gd_two_layer(P, eta, steps, dyn.spectral_init(P, scale, balanced=False, ratio=3.0),
                           record=1)
    a, b = th.mode_map_unbalanced(sigma, lam, eta, 3 * np.sqrt(scale), np.sqrt(scale) / 3, steps)
    assert np.max(np.abs(run.modes - a * b) / np.abs(a * b)) < 1e-10


def test_d_not_equal_p_both_ways_and_wide_hidden_layer():
    for d, p in [(7, 4), (4, 7)]:
        P = commuting(SIG, LAM, d=d, p=p, seed=1)
        init = dyn.spectral_init(P, 1e-3, width=6)
        assert init.W1.shape == (6, d) and init.W2.shape == (p, 6)
        run = dyn.gd_two_layer(P, 0.3, 2000, init, record=1)
        ref = th.mode_map(SIG, LAM, 0.3, 1e-3, 2000)
        assert np.max(np.abs(run.modes - ref) / ref) < 1e-10
        # nothing leaks outside the modes
        resid = run.products - np.einsum("pi,ki,di->kpd", P.modes.U, run.modes, P.modes.V)
        assert np.abs(resid).max() < 1e-12


def test_narrow_hidden_layer_learns_top_modes_only():
    P = commuting(SIG, LAM, d=5, p=4)
    run = dyn.gd_two_layer(P, 0.3, 3000, dyn.spectral_init(P, 1e-3, width=2))
    np.testing.assert_allclose(run.modes[-1], [0.5, 1.4, 0.0, 0.0], atol=1e-10)


def test_gd_linear_matches_closed_form():
    P = commuting(SIG, LAM, d=6, p=5, seed=3)
    W0 = (P.modes.U * 0.01) @ P.modes.V.T
    run = dyn.gd_linear(P, 0.7, 2000, W0, record=1)
    ref = th.linear_gd(SIG, LAM, 0.7, 0.01, 2000)
    np.testing.assert_allclose(run.modes, ref, rtol=1e-10, atol=1e-14)
    assert run.W.shape == (5, 6) and run.depth == 1


def test_acceptance_half_times_within_5_percent_at_delta_30():
    P = commuting(SIG, LAM, d=6, p=5, seed=0)
    delta = 30.0
    for c in (0.1, 0.3, 0.5):
        eta = c / SIG[0]
        pred = th.learning_time(SIG, LAM, np.exp(-delta), eta=eta)
        steps = int(1.3 * pred.max()) + 10
        run = dyn.gd_two_layer(P, eta, steps, dyn.spectral_init(P, np.exp(-delta)), record=1)
        half = np.argmax(run.modes >= 0.5 * SIG / LAM, axis=0)
        assert np.all(half > 0)
        np.testing.assert_allclose(pred, half, rtol=0.05)


def test_acceptance_eta_sigma_3_raises_divergence_error():
    P = commuting(SIG, LAM, d=6, p=5)
    with pytest.raises(gl.DivergenceError, match=r"eta = 3\b.*step \d+|step \d+.*eta = 3\b") as exc:
        dyn.gd_two_layer(P, 3.0, 2000, dyn.spectral_init(P, 1e-3))
    assert "1/sigma_1 = 1" in str(exc.value)
    assert exc.value.eta == 3.0 and exc.value.bound == pytest.approx(1.0) and exc.value.step > 0
    with pytest.raises(gl.DivergenceError, match=r"eta < 2/lambda_max = 1\b"):
        dyn.gd_linear(P, 2.5, 2000)
    with pytest.raises(gl.DivergenceError, match="depth-3"):
        dyn.gd_deep(P, 3.0, 2000, dyn.spectral_init(P, 0.1, depth=3))
    # random init, data problem: still detected
    Pd = teacher(d=5, p=4, rank=2, n_train=50, n_test=5, noise=0.1).train
    s1 = np.linalg.norm(Pd.Syx, 2)
    with pytest.raises(gl.DivergenceError, match="1/sigma_1"):
        dyn.gd_two_layer(Pd, 3.0 / s1, 2000, dyn.random_init(Pd, 0.01, 5))


def test_overshoot_and_two_cycle_are_not_divergence():
    P = commuting(SIG, d=5, p=4)                  # whitened: full bound = 1/sigma_1
    assert th.stability_bound(P, "two_layer_full") == pytest.approx(1.0)
    run = dyn.gd_two_layer(P, 0.8, 3000, dyn.spectral_init(P, 1e-3))   # overshoot, converges
    np.testing.assert_allclose(run.modes[-1], SIG, rtol=1e-9)
    run = dyn.gd_two_layer(P, 1.2, 3000, dyn.spectral_init(P, 1e-3))   # 2-cycle, bounded
    assert np.all(np.isfinite(run.loss)) and abs(run.modes[-1, 0] - 1.0) > 0.1


def test_full_two_layer_bound_is_hessian_top_eigenvalue():
    P = commuting(SIG, LAM, d=4, p=4)
    a = np.sqrt(SIG / LAM)
    x0 = np.concatenate([(a[:, None] * P.modes.V.T).ravel(), (P.modes.U * a).ravel()])

    def grad(x):
        A, B = x[:16].reshape(4, 4), x[16:].reshape(4, 4)
        G = B @ A @ P.Sx - P.Syx
        return np.concatenate([(B.T @ G).ravel(), (G @ A.T).ravel()])

    H = np.array([(grad(x0 + 1e-6 * e) - grad(x0 - 1e-6 * e)) / 2e-6 for e in np.eye(32)])
    top = np.linalg.eigvalsh(0.5 * (H + H.T))[-1]
    assert th.stability_bound(P, "two_layer_full") == pytest.approx(2 / top, rel=1e-6)
    assert th.stability_bound(P, "two_layer_full") < th.stability_bound(P)


def test_recording_schedules_and_batch_quantities():
    P = commuting(SIG, LAM, d=6, p=5)
    init = dyn.spectral_init(P, 1e-2)
    run = dyn.gd_two_layer(P, 0.2, 5000, init)
    assert run.steps[0] == 0 and run.steps[-1] == 5000
    assert 150 <= run.steps.size <= 202 and np.all(np.diff(run.steps) > 0)
    np.testing.assert_allclose(run.time, 0.2 * run.steps)
    np.testing.assert_allclose(run.singular_values,
                               np.linalg.svd(run.products, compute_uv=False), atol=1e-14)
    assert np.all(np.diff(run.singular_values, axis=1) <= 0)
    np.testing.assert_allclose(run.loss, P.loss(run.products))
    np.testing.assert_allclose(run.products[-1], run.W, atol=1e-14)
    np.testing.assert_allclose(run.W, run.W2 @ run.W1)
    every = dyn.gd_two_layer(P, 0.2, 1000, init, record=300)
    np.testing.assert_array_equal(every.steps, [0, 300, 600, 900, 1000])
    chosen = dyn.gd_two_layer(P, 0.2, 1000, init, record=[5, 17, 999])
    np.testing.assert_array_equal(chosen.steps, [5, 17, 999])
    full = dyn.gd_two_layer(P, 0.2, 1000, init, record=1)
    np.testing.assert_allclose(chosen.products, full.products[[5, 17, 999]], rtol=1e-14)
    np.testing.assert_array_equal(dyn.schedule("log", 0), [0])
    assert dyn.gd_two_layer(P, 0.2, 0, init).steps.tolist() == [0]


def test_random_problem_without_modes_has_no_mode_projection():
    split = teacher(d=5, p=4, rank=2, n_train=60, n_test=10, noise=0.1)
    P = split.train
    run = dyn.gd_two_layer(P, 0.05, 300, dyn.random_init(P, 1e-3, 6, seed=1))
    assert run.modes is None and run.singular_values.shape == (run.steps.size, 4)


def test_random_init_scale_and_reproducibility():
    P = commuting(SIG, LAM, d=6, p=5)
    for depth in (2, 3):
        init = dyn.random_init(P, 0.02, 7, seed=4, depth=depth)
        assert init.depth == depth and init.width == 7 and not init.spectral
        assert np.linalg.norm(init.W, 2) == pytest.approx(0.02, rel=1e-12)
    a, b = dyn.random_init(P, 0.1, 3, seed=9), dyn.random_init(P, 0.1, 3, seed=9)
    np.testing.assert_array_equal(a.W1, b.W1)


def test_deep_gd_against_factor_recursion_and_depth_two():
    P = commuting(SIG, LAM, d=5, p=4, seed=2)
    init2 = dyn.spectral_init(P, 1e-2)
    r2 = dyn.gd_deep(P, 0.3, 500, init2, record=1)
    np.testing.assert_allclose(r2.products, dyn.gd_two_layer(P, 0.3, 500, init2, record=1).products)
    L, eta, steps, s = 3, 0.2, 1500, 0.05
    run = dyn.gd_deep(P, eta, steps, dyn.spectral_init(P, s, depth=L), record=1)
    a = np.full(4, s ** (1 / L))
    ref = [a**L]
    for _ in range(steps):
        a = a + eta * a ** (L - 1) * (SIG - LAM * a**L)
        ref.append(a**L)
    np.testing.assert_allclose(run.modes, np.array(ref), rtol=1e-10)


def test_deep_gradients_are_derivatives_of_the_loss():
    split = teacher(d=4, p=3, rank=2, n_train=30, n_test=5, noise=0.2, seed=3)
    P = split.train
    rng = np.random.default_rng(0)
    fs = [rng.normal(size=(5, 4)), rng.normal(size=(5, 5)), rng.normal(size=(3, 5))]
    W = fs[2] @ fs[1] @ fs[0]
    grads = dyn._deep_grads(fs, P.gradient(W))
    h = 1e-6
    for j, F in enumerate(fs):
        num = np.zeros_like(F)
        for idx in np.ndindex(F.shape):
            Fp = [f.copy() for f in fs]
            Fm = [f.copy() for f in fs]
            Fp[j][idx] += h
            Fm[j][idx] -= h
            num[idx] = (P.loss(Fp[2] @ Fp[1] @ Fp[0]) - P.loss(Fm[2] @ Fm[1] @ Fm[0])) / (2 * h)
        np.testing.assert_allclose(grads[j], num, atol=1e-6)


def test_gradient_flow_full_matrices_vs_closed_forms():
    P = commuting(SIG, LAM, d=5, p=4, seed=1)
    t = np.linspace(0, 10, 21)
    run = dyn.gradient_flow(P, t, dyn.spectral_init(P, 1e-3), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(run.modes, th.gradient_flow(SIG, LAM, 1e-3, t), rtol=1e-6,
                               atol=1e-12)
    np.testing.assert_allclose(run.time, t)
    lin = dyn.gradient_flow(P, t, None, model="linear", rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(lin.modes, th.linear_flow(SIG, LAM, 0.0, t), atol=1e-8)
    tt = np.linspace(0, 6, 7)
    deep = dyn.gradient_flow(P, tt, dyn.spectral_init(P, 0.05, depth=3), model="deep",
                             rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(deep.modes, th.deep_flow(SIG, LAM, 0.05, tt, depth=3), rtol=1e-6)


def test_gradient_flow_is_small_step_limit_of_full_gd():
    P = commuting(SIG, LAM, d=4, p=4)
    init = dyn.spectral_init(P, 1e-2)
    eta = 1e-3
    gd = dyn.gd_two_layer(P, eta, 5000, init, record=[5000])
    fl = dyn.gradient_flow(P, [5.0], init)
    np.testing.assert_allclose(gd.W, fl.W, atol=1e-2)


def test_sgd_full_batch_equals_gd_and_is_reproducible():
    split = teacher(d=5, p=3, rank=2, n_train=40, n_test=5, noise=0.2, seed=2)
    P = split.train
    init = dyn.random_init(P, 1e-2, 4, seed=0)
    gd = dyn.gd_two_layer(P, 0.05, 400, init, record=50)
    sgd = dyn.sgd_two_layer(P, 0.05, 400, init, batch_size=40, seed=3, record=50)
    np.testing.assert_allclose(sgd.products, gd.products, atol=1e-10)
    a = dyn.sgd_two_layer(P, 0.05, 400, init, batch_size=8, seed=3)
    b = dyn.sgd_two_layer(P, 0.05, 400, init, batch_size=8, seed=3)
    c = dyn.sgd_two_layer(P, 0.05, 400, init, batch_size=8, seed=4)
    np.testing.assert_array_equal(a.products, b.products)
    assert np.abs(a.W - c.W).max() > 1e-6
    lin = dyn.sgd_linear(P, 0.05, 400, batch_size=40, seed=1, record=50)
    np.testing.assert_allclose(lin.products, dyn.gd_linear(P, 0.05, 400, record=50).products,
                               atol=1e-10)


@pytest.mark.parametrize("d", [5, 10])        # einsum (tiny) and batched-matmul code paths
def test_sweep_matches_individual_runs_and_flags_divergence(d):
    P = commuting(SIG, LAM, d=d, p=4)
    etas, scales = np.array([0.1, 0.5, 3.0]), np.array([1e-2, 1e-4])
    S = dyn.sweep_two_layer(P, etas, scales, 600, record=100, singular_values=True)
    assert S.shape == (3, 2) and S.modes.shape == (6, 7, 4)
    np.testing.assert_array_equal(S.grid(S.diverged), [[False, False], [False, False],
                                                       [True, True]])
    for i, (e, s) in enumerate(zip(S.etas, S.scales, strict=True)):
        if S.diverged[i]:
            assert S.diverged_step[i] > 0
            assert np.isnan(S.modes[i, -1]).all()
            continue
        run = dyn.gd_two_layer(P, e, 600, dyn.spectral_init(P, s), record=100)
        np.testing.assert_allclose(S.modes[i], run.modes, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(S.singular_values[i], run.singular_values, atol=1e-13)
        np.testing.assert_allclose(S.loss[i], run.loss, atol=1e-13)
    paired = dyn.sweep_two_layer(P, [0.1, 0.2], [1e-2, 1e-3], 50, grid=False)
    assert paired.shape == (2,) and paired.singular_values is None


def test_sweep_records_singular_values_without_modes():
    P0 = commuting(SIG, LAM, d=5, p=4)
    P = problems.with_modes(problems.from_moments(P0.Sx, P0.Syx))
    S = dyn.sweep_two_layer(P, [0.2], [1e-3], 300, singular_values=True)
    run = dyn.gd_two_layer(P, 0.2, 300, dyn.spectral_init(P, 1e-3))
    np.testing.assert_allclose(S.singular_values[0], run.singular_values, atol=1e-13)


def test_trajectory_and_init_are_frozen():
    P = commuting(SIG, LAM, d=5, p=4)
    init = dyn.spectral_init(P, 1e-2)
    run = dyn.gd_two_layer(P, 0.1, 10, init)
    with pytest.raises(AttributeError):
        run.eta = 1.0
    with pytest.raises(ValueError, match="read-only"):
        init.W1[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        run.W1[0, 0] = 1.0
