"""Tests of gdlinear.estimators against independent computations."""

import numpy as np
import pytest
from scipy.optimize import minimize

from gdlinear import estimators as E
from gdlinear import problems
from gdlinear.problems import commuting

SIG = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


def _data_problem(seed, n=40, d=4, p=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ np.diag(np.linspace(1.5, 0.5, d))
    Y = X @ rng.normal(size=(d, p)) + 0.3 * rng.normal(size=(n, p))
    return problems.from_data(X, Y)


def test_least_squares_matches_lstsq():
    P = _data_problem(0)
    W = E.least_squares(P)
    np.testing.assert_allclose(W.T, np.linalg.lstsq(P.X, P.Y, rcond=None)[0], atol=1e-12)
    np.testing.assert_allclose(P.gradient(W), 0.0, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_rrr_data_metric_matches_generalised_eigen_formula(seed):
    # Independent formula: W_k = H_k H_k^T Syx Sx^{-1}, H_k the top-k eigenvectors of
    # Syx Sx^{-1} Syx^T (Izenman, identity output weight).
    P = _data_problem(seed, d=5, p=4)
    Wols = np.linalg.solve(P.Sx, P.Syx.T).T
    _, H = np.linalg.eigh(P.Syx @ Wols.T)
    for k in range(0, 5):
        Hk = H[:, ::-1][:, :k]
        np.testing.assert_allclose(E.reduced_rank(P, k, "data"), Hk @ Hk.T @ Wols, atol=1e-10)


def test_rrr_moment_metric_is_eckart_young_of_syx():
    P = _data_problem(5, d=5, p=4)
    for k in range(5):
        W = E.reduced_rank(P, k, "moment")
        M = W @ P.Sx
        assert np.linalg.matrix_rank(W, tol=1e-10) == k
        sv = np.linalg.svd(P.Syx, compute_uv=False)
        # ||Syx - W Sx||_F^2 equals the tail energy of Syx's spectrum (Eckart-Young optimum)
        assert np.linalg.norm(P.Syx - M) ** 2 == pytest.approx(np.sum(sv[k:] ** 2), abs=1e-12)


def _brute_force_rank_k(objective, p, d, k, seed, starts=6):
    """Best of random rank-k factorisations A B (p x k)(k x d) refined by BFGS."""
    rng = np.random.default_rng(seed)
    best = np.inf

    def f(z):
        return objective(z[: p * k].reshape(p, k) @ z[p * k:].reshape(k, d))

    for _ in range(starts):
        res = minimize(f, rng.normal(size=p * k + k * d), method="BFGS",
                       options={"gtol": 1e-10, "maxiter": 5000})
        best = min(best, res.fun)
    return best


@pytest.mark.parametrize("k", [1, 2])
def test_rrr_beats_brute_force_search_on_tiny_problem(k):
    P = _data_problem(11, n=25, d=3, p=3)
    W_data = E.reduced_rank(P, k, "data")
    best = _brute_force_rank_k(P.loss, 3, 3, k, seed=k)
    assert P.loss(W_data) <= best + 1e-9
    assert best <= P.loss(W_data) + 1e-6          # the search finds the same optimum
    def mom(W):
        return 0.5 * np.linalg.norm(P.Syx - W @ P.Sx) ** 2

    W_mom = E.reduced_rank(P, k, "moment")
    best_m = _brute_force_rank_k(mom, 3, 3, k, seed=10 + k)
    assert mom(W_mom) <= best_m + 1e-9
    assert best_m <= mom(W_mom) + 1e-6


def test_rrr_metrics_differ_when_orders_disagree():
    P = commuting(SIG, LAM, d=6, p=4)
    w_data = P.mode_strengths(E.reduced_rank(P, 1, "data"))
    w_mom = P.mode_strengths(E.reduced_rank(P, 1, "moment"))
    np.testing.assert_allclose(w_data, [0, 1.4, 0, 0], atol=1e-12)   # largest sigma^2/lam
    np.testing.assert_allclose(w_mom, [0.5, 0, 0, 0], atol=1e-12)    # largest sigma
    assert P.loss(E.reduced_rank(P, 1, "data")) < P.loss(E.reduced_rank(P, 1, "moment"))
    # whitened inputs: the two metrics coincide
    Q = commuting(SIG, d=5, p=4)
    for k in range(5):
        np.testing.assert_allclose(E.reduced_rank(Q, k, "data"), E.reduced_rank(Q, k, "moment"),
                                   atol=1e-12)


@pytest.mark.parametrize("metric", ["data", "moment"])
def test_rrr_path(metric):
    P = _data_problem(3, d=5, p=3)
    path = E.reduced_rank_path(P, metric)
    assert path.shape == (4, 3, 5)
    for k in range(4):
        np.testing.assert_allclose(path[k], E.reduced_rank(P, k, metric), atol=1e-12)
    np.testing.assert_allclose(path[0], 0.0)
    np.testing.assert_allclose(path[-1], E.least_squares(P), atol=1e-11)
    if metric == "data":
        assert np.all(np.diff(P.loss(path)) <= 1e-12)


def test_ridge_and_path():
    P = _data_problem(4)
    alphas = np.array([0.0, 0.01, 0.3, 5.0])
    path = E.ridge_path(P, alphas)
    for a, W in zip(alphas, path, strict=True):
        np.testing.assert_allclose(W @ P.Sx - P.Syx + a * W, 0.0, atol=1e-12)
        np.testing.assert_allclose(E.ridge(P, a), W, atol=1e-13)
    np.testing.assert_allclose(path[0], E.least_squares(P), atol=1e-12)
    norms = np.linalg.norm(path, axis=(1, 2))
    assert np.all(np.diff(norms) < 0)
    # alpha > 0 works when Sx is singular
    X = np.random.default_rng(0).normal(size=(3, 5))
    Ps = problems.from_data(X, X[:, :2])
    W = E.ridge(Ps, 0.1)
    np.testing.assert_allclose(W @ Ps.Sx - Ps.Syx + 0.1 * W, 0.0, atol=1e-12)


@pytest.mark.parametrize("mu", [0.0, 0.05, 0.3, 0.55, 0.75, 2.0])
def test_nuclear_norm_closed_form_matches_fista(mu):
    P = commuting(SIG, LAM, d=6, p=5, seed=1)
    closed = E.nuclear_norm(P, mu)
    fista = E.nuclear_norm(P, mu, method="fista", tol=1e-12)
    np.testing.assert_allclose(closed, fista, atol=1e-8)
    np.testing.assert_allclose(P.mode_strengths(closed), np.maximum(SIG - mu, 0) / LAM, atol=1e-13)


def _kkt_residual(P, W, mu, tol=1e-7):
    """Distance of -grad L(W) from mu * subdifferential of ||W||_* at W."""
    G = -(P.gradient(W))
    U, s, Vt = np.linalg.svd(W)
    r = int(np.sum(s > tol))
    Ur, Vr = U[:, :r], Vt[:r].T
    Z = G - mu * Ur @ Vr.T
    on = np.linalg.norm(Ur.T @ Z) + np.linalg.norm(Z @ Vr)
    off = Z - Ur @ (Ur.T @ Z) - (Z @ Vr) @ Vr.T + Ur @ (Ur.T @ Z @ Vr) @ Vr.T
    excess = max(np.linalg.norm(off, 2) - mu, 0.0)
    return on + excess


@pytest.mark.parametrize("mu", [0.01, 0.2, 0.6])
def test_nuclear_norm_fista_satisfies_kkt_on_noncommuting_data(mu):
    P = _data_problem(6, d=5, p=4)
    W = E.nuclear_norm(P, mu)
    assert _kkt_residual(P, W, mu) < 1e-7
    path = E.nuclear_norm_path(P, [mu, 10 * mu, 0.0])
    np.testing.assert_allclose(path[0], W, atol=1e-7)
    np.testing.assert_allclose(path[2], E.least_squares(P), atol=1e-7)


def test_nuclear_norm_path_closed_form():
    P = commuting(SIG, LAM, d=4, p=4)
    mus = [0.0, 0.3, 1.5]
    path = E.nuclear_norm_path(P, mus)
    for mu, W in zip(mus, path, strict=True):
        np.testing.assert_allclose(W, E.nuclear_norm(P, mu), atol=1e-14)
    np.testing.assert_allclose(path[-1], 0.0)


def test_nuclear_norm_fista_not_converged_raises():
    P = _data_problem(7)
    with pytest.raises(RuntimeError, match="did not converge"):
        E.nuclear_norm(P, 0.1, max_iter=2)
