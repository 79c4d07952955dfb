"""Library additions for chapter 10: svd_init, linear_estimator_risk, TeacherSplit risk helpers."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import dynamics, estimators, problems


def _split(noise=0.5, n=40, seed=3):
    return problems.teacher(d=6, p=4, rank=2, n_train=n, n_test=5, noise=noise, seed=seed)


# ------------------------------------------------------------------ svd_init


def test_svd_init_equals_spectral_init_on_commuting_problem():
    P = problems.commuting([1.0, 0.6, 0.3], [2.0, 0.5, 1.0], d=3, p=3, seed=4)
    a, b = dynamics.svd_init(P, 1e-3), dynamics.spectral_init(P, 1e-3)
    np.testing.assert_allclose(a.W, b.W, atol=1e-15)
    np.testing.assert_allclose(P.mode_strengths(a.W), 1e-3, rtol=1e-12)


def test_svd_init_product_and_balance_on_data():
    P = _split().train
    init = dynamics.svd_init(P, 1e-4, width=6)          # width > min(p, d) = 4: zero padding
    A, s, Bt = np.linalg.svd(P.Syx, full_matrices=False)
    np.testing.assert_allclose(init.W, 1e-4 * A @ Bt, atol=1e-18)
    assert init.W1.shape == (6, 6) and init.W2.shape == (4, 6)
    assert np.all(init.W1[4:] == 0) and np.all(init.W2[:, 4:] == 0)
    np.testing.assert_allclose(dynamics.imbalance(init.W1, init.W2), 0.0, atol=1e-18)
    narrow = dynamics.svd_init(P, 2.0, width=1)
    np.testing.assert_allclose(narrow.W, 2.0 * np.outer(A[:, 0], Bt[0]), atol=1e-14)
    assert not init.spectral


@pytest.mark.parametrize("kwargs, match", [({"scale": -1.0}, "scale"),
                                           ({"scale": 1.0, "width": 0}, "width")])
def test_svd_init_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dynamics.svd_init(_split().train, **kwargs)


# ------------------------------------------------------------------ TeacherSplit helpers


def test_teacher_noise_and_excess_risk():
    split = _split(noise=0.8)
    assert split.noise == pytest.approx(0.8, rel=1e-12)
    assert problems.teacher(d=3, p=2, rank=1, n_train=5, n_test=5, noise=0.0).noise == 0.0
    rng = np.random.default_rng(0)
    Ws = rng.standard_normal((3, 4, 6))
    pop = split.population
    np.testing.assert_allclose(split.excess_risk(Ws), pop.loss(Ws) - pop.loss(split.W_teacher),
                               rtol=1e-12)
    assert isinstance(split.excess_risk(Ws[0]), float)
    with pytest.raises(ValueError, match="W"):
        split.excess_risk(np.zeros((6, 4)))


# ------------------------------------------------------------------ linear_estimator_risk


def _monte_carlo(split, A, L, draws, seed):
    """Average excess risk of W = L Syx A over fresh output noise, same training inputs."""
    P, Wt, noise = split.train, split.W_teacher, split.noise
    rng = np.random.default_rng(seed)
    E = noise * rng.standard_normal((draws, P.n, P.p))
    Syx = np.swapaxes(P.X @ Wt.T + E, 1, 2) @ P.X / P.n           # (draws, p, d)
    return split.excess_risk(L @ Syx @ A)


def test_least_squares_risk_has_no_bias():
    split = _split()
    P = split.train
    b, v = estimators.linear_estimator_risk(P, np.linalg.inv(P.Sx), W_teacher=split.W_teacher,
                                            C=split.population.Sx, noise=split.noise)
    assert abs(float(b)) < 1e-20
    expected = split.noise**2 * P.p * np.trace(np.linalg.solve(P.Sx, split.population.Sx))
    assert float(v) == pytest.approx(expected / (2 * P.n), rel=1e-12)


def test_linear_estimator_risk_matches_monte_carlo():
    split = _split(noise=0.7, n=30)
    P = split.train
    rng = np.random.default_rng(1)
    L = rng.standard_normal((P.p, P.p)) / 2                       # not a projection
    A = np.linalg.inv(P.Sx + 0.3 * np.eye(P.d))                   # ridge-like
    b, v = estimators.linear_estimator_risk(P, A, L=L, W_teacher=split.W_teacher,
                                            C=split.population.Sx, noise=split.noise)
    risks = _monte_carlo(split, A, L, 20000, 2)
    se = risks.std() / np.sqrt(risks.size)
    assert abs(risks.mean() - (b + v)) < 4 * se, (risks.mean(), b + v, se)
    # the bias alone is the risk of the noiseless estimate
    assert float(b) == pytest.approx(split.excess_risk(L @ split.W_teacher @ P.Sx @ A), rel=1e-12)


def test_linear_estimator_risk_stacked_path_and_gd():
    split = _split()
    P = split.train
    eta = 0.5 / np.linalg.eigvalsh(P.Sx)[-1]
    steps = np.array([0, 1, 5, 40])
    e, Q = np.linalg.eigh(P.Sx)
    A = np.stack([(Q * ((1 - (1 - eta * e) ** t) / e)) @ Q.T for t in steps])
    run = dynamics.gd_linear(P, eta, 40, record=steps)
    np.testing.assert_allclose(run.products, P.Syx @ A, atol=1e-12)
    b, v = estimators.linear_estimator_risk(P, A, W_teacher=split.W_teacher,
                                            C=split.population.Sx, noise=split.noise)
    assert b.shape == v.shape == (4,)
    assert v[0] == 0.0 and np.all(np.diff(v) > 0)                # variance grows along the path
    assert b[0] == pytest.approx(split.excess_risk(np.zeros((P.p, P.d))), rel=1e-12)


def test_linear_estimator_risk_bad_input():
    split = _split()
    P = split.train
    kw = {"W_teacher": split.W_teacher, "C": split.population.Sx, "noise": 0.5}
    with pytest.raises(ValueError, match="n is None"):
        estimators.linear_estimator_risk(split.population, np.eye(6), **kw)
    with pytest.raises(ValueError, match="A has shape"):
        estimators.linear_estimator_risk(P, np.eye(4), **kw)
    with pytest.raises(ValueError, match="noise"):
        estimators.linear_estimator_risk(P, np.eye(6), **{**kw, "noise": -1.0})
    with pytest.raises(ValueError, match="L has shape"):
        estimators.linear_estimator_risk(P, np.eye(6), L=np.eye(6), **kw)
