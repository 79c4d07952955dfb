"""Tests of the library additions made for chapter 11: the Hessian tools of the two-layer loss
(``dynamics.hessian_vector_product``, ``hessian_two_layer``, ``sharpness``, ``sharpness_path``),
``dynamics.minibatch_gradient_noise`` and ``problems.commuting_data``."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from gdlinear import dynamics, estimators, problems, theory

SIG = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


def _grad(P, theta, r):
    """Gradient of L(W1, W2) in (vec W1, vec W2), written independently of the library."""
    n1 = r * P.d
    W1 = theta[:n1].reshape(r, P.d)
    W2 = theta[n1:].reshape(P.p, r)
    G = W2 @ W1 @ P.Sx - P.Syx
    return np.concatenate([(W2.T @ G).ravel(), (G @ W1.T).ravel()])


def _fd_hessian(P, W1, W2, h=1e-5):
    theta = np.concatenate([W1.ravel(), W2.ravel()])
    n = theta.size
    H = np.empty((n, n))
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        H[:, k] = (_grad(P, theta + e, W1.shape[0]) - _grad(P, theta - e, W1.shape[0])) / (2 * h)
    return 0.5 * (H + H.T)


@pytest.mark.parametrize(("d", "p", "r"), [(4, 4, 4), (5, 3, 2), (3, 6, 5)])
def test_hessian_matches_finite_differences_away_from_minima(d, p, r):
    P = problems.commuting(SIG[: min(d, p, 4)], LAM[: min(d, p, 4)], d=d, p=p, seed=2)
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((r, d)), rng.standard_normal((p, r))
    H = dynamics.hessian_two_layer(P, (W1, W2))
    H_fd = _fd_hessian(P, W1, W2)
    assert np.max(np.abs(H - H_fd)) < 1e-6 * max(1.0, np.abs(H).max())
    assert np.allclose(H, H.T)
    # Hessian-vector product = dense Hessian times the vector
    D1, D2 = rng.standard_normal(W1.shape), rng.standard_normal(W2.shape)
    H1, H2 = dynamics.hessian_vector_product(P, (W1, W2), D1, D2)
    Hv = H @ np.concatenate([D1.ravel(), D2.ravel()])
    assert np.allclose(np.concatenate([H1.ravel(), H2.ravel()]), Hv, atol=1e-10)
    # the sharpness is the largest eigenvalue, by both methods
    top = np.linalg.eigvalsh(H_fd)[-1]
    assert abs(dynamics.sharpness(P, (W1, W2), method="dense") - top) < 1e-5
    assert abs(dynamics.sharpness(P, (W1, W2), method="lanczos") - top) < 1e-5


def test_sharpness_at_the_balanced_minimum_has_the_closed_form():
    P = problems.commuting(SIG, LAM, seed=0)          # d = p = r = m = 4
    init = dynamics.spectral_init(P, SIG / LAM)        # the balanced global minimum
    ev = np.linalg.eigvalsh(dynamics.hessian_two_layer(P, init))
    pred = np.sort(np.concatenate([(SIG[None, :] + SIG[:, None] * LAM[None, :] / LAM[:, None])
                                   .ravel(), np.zeros(16)]))
    assert np.allclose(ev, pred, atol=1e-10)
    assert abs(dynamics.sharpness(P, init) - 3.8) < 1e-10
    full_bound = theory.stability_bound(P, "two_layer_full")
    assert abs(dynamics.sharpness(P, init) - 2 / full_bound) < 1e-10
    # whitened inputs: the balanced minimum has sharpness 2 sigma_1
    Pw = problems.commuting([3.0, 1.0], seed=1)
    assert abs(dynamics.sharpness(Pw, dynamics.spectral_init(Pw, [3.0, 1.0])) - 6.0) < 1e-10


def test_every_global_minimum_is_at_least_2_sigma_1_sharp():
    P = problems.commuting(SIG, LAM, seed=0)
    rng = np.random.default_rng(3)
    W_star = estimators.least_squares(P)
    for r in (4, 6):
        for _ in range(20):
            W1 = rng.standard_normal((r, 4))
            W2 = W_star @ np.linalg.pinv(W1)          # W2 W1 = W* (W1 has full column rank)
            assert np.allclose(W2 @ W1, W_star)
            assert dynamics.sharpness(P, (W1, W2)) >= 2 * SIG[0] - 1e-9


def test_sharpness_inputs():
    P = problems.commuting([1.0, 0.5])
    with pytest.raises(ValueError, match="two factors"):
        dynamics.sharpness(P, (np.eye(2),))
    with pytest.raises(ValueError, match="factors must be"):
        dynamics.sharpness(P, (np.eye(3), np.eye(2)))
    with pytest.raises(ValueError, match="method"):
        dynamics.sharpness(P, dynamics.spectral_init(P, 0.1), method="power")


def test_sharpness_path_is_the_same_run():
    P = problems.commuting(SIG, LAM, seed=0)
    init = dynamics.spectral_init(P, np.exp(-6.0))
    path = dynamics.sharpness_path(P, 0.4, 205, init, every=20)
    run = dynamics.gd_two_layer(P, 0.4, 205, init, record=path.steps)
    assert path.steps.tolist() == list(range(0, 201, 20)) + [205]
    assert np.allclose(path.modes, run.modes, atol=1e-13)
    assert np.allclose(path.loss, run.loss, atol=1e-13)
    assert np.allclose(path.factors[0], run.W1) and np.allclose(path.factors[1], run.W2)
    assert np.all(path.imbalance < 1e-12)
    assert abs(path.sharpness[-1] - 3.8) < 1e-6             # converged to the balanced minimum
    assert abs(path.sharpness[0] - SIG[0]) < 1e-2            # near the saddle W = 0: +-sigma_i


def test_sharpness_path_reports_divergence_with_the_absolute_step():
    from gdlinear import DivergenceError

    P = problems.commuting([3.0, 1.0], seed=1)
    with pytest.raises(DivergenceError) as info:
        dynamics.sharpness_path(P, 1.0, 400, dynamics.spectral_init(P, 1e-2), every=3)
    assert info.value.step > 3


def test_minibatch_gradient_noise_by_exhaustive_enumeration():
    P = problems.commuting_data([1.0, 0.5], n=7, noise=0.3, d=2, p=3, seed=0)
    W = np.random.default_rng(1).standard_normal((3, 2))
    G = P.gradient(W)
    g = np.einsum("kp,kd->kpd", P.X @ W.T - P.Y, P.X)     # per-sample gradients
    assert np.allclose(g.mean(axis=0), G)
    for b in range(1, 8):
        errs = [np.sum((g[list(B)].mean(axis=0) - G) ** 2) for B in combinations(range(7), b)]
        means = np.mean([g[list(B)].mean(axis=0) for B in combinations(range(7), b)], axis=0)
        noise, spread = dynamics.minibatch_gradient_noise(P, W, b)
        assert np.allclose(means, G)
        assert abs(noise - np.mean(errs)) < 1e-12 * max(1.0, spread)
        assert abs(spread - np.mean(np.sum((g - G) ** 2, axis=(1, 2)))) < 1e-12
    assert dynamics.minibatch_gradient_noise(P, W, 7)[0] == 0.0


def test_minibatch_noise_vanishes_at_an_interpolating_minimum():
    P = problems.commuting_data([1.0, 0.5], n=20, noise=0.0, d=3, p=2, seed=2)
    noise, spread = dynamics.minibatch_gradient_noise(P, estimators.least_squares(P), 1)
    assert spread < 1e-25 and noise < 1e-25
    Pn = problems.commuting_data([1.0, 0.5], n=20, noise=0.1, d=3, p=2, seed=2)
    assert dynamics.minibatch_gradient_noise(Pn, estimators.least_squares(Pn), 1)[1] > 1e-3
    with pytest.raises(ValueError, match="P.X"):
        dynamics.minibatch_gradient_noise(problems.commuting([1.0]), np.zeros((1, 1)), 1)


def test_commuting_data_has_the_exact_moments():
    P = problems.commuting_data(SIG, LAM, n=50, noise=0.2, d=6, p=5, seed=4)
    P0 = problems.commuting(SIG, LAM, d=6, p=5, seed=4)
    assert np.allclose(P.Sx, P0.Sx, atol=1e-13) and np.allclose(P.Syx, P0.Syx, atol=1e-13)
    assert P.modes is P0.modes or np.allclose(P.modes.U, P0.modes.U)
    R = P.Y - P.X @ estimators.least_squares(P).T
    assert np.allclose(R.T @ R / 50, 0.04 * np.eye(5), atol=1e-12)
    assert np.allclose(P.X.T @ R, 0.0, atol=1e-10)
    with pytest.raises(ValueError, match="n"):
        problems.commuting_data(SIG, n=5, d=4, p=4)
    with pytest.raises(ValueError, match="noise"):
        problems.commuting_data(SIG, n=20, noise=-1.0)


def test_two_cycle_is_a_cycle_with_the_stated_multiplier():
    c = np.linspace(1.01, 2.5, 60)
    lo, hi, mult = theory.two_cycle(c)

    def g(u):
        return u * (1 + c * (1 - u)) ** 2

    assert np.allclose(g(lo), hi, atol=1e-12) and np.allclose(g(hi), lo, atol=1e-12)
    assert np.all(lo < 1) and np.all(hi > 1)
    h = 1e-6
    d_gg = (g(g(lo + h)) - g(g(lo - h))) / (2 * h)
    assert np.allclose(d_gg, mult, atol=1e-6)
    stable = np.abs(mult) < 1
    assert np.array_equal(stable, c < np.sqrt(5) - 1)
    tail = theory.mode_map(1.0, 1.0, 1.2, 1e-6, 800)[-2:, 0]
    assert np.allclose(np.sort(tail), np.concatenate(theory.two_cycle(1.2)[:2]), atol=1e-10)
    with pytest.raises(ValueError, match="c = eta sigma > 1"):
        theory.two_cycle(0.9)
