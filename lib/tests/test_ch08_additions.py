"""Library additions for chapter 08: ``estimators.critical_points``,
``theory.saddle_curvature`` and ``dynamics.linearised_two_layer``."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import dynamics, estimators, problems, theory

SIGMA = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


def _factor(P, W_S, S, E):
    """A critical factor pair with product W_S: W2 = E_S, W1 = E_S^T W_S."""
    Q = E[:, list(S)]
    return Q.T @ W_S, Q


@pytest.mark.parametrize("angle", [0.0, 0.4])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_critical_points_are_critical_with_the_excess_loss_formula(angle, k):
    P = problems.noncommuting(SIGMA, LAM, angle=angle, d=6, p=5, seed=1)
    subsets, Ws = estimators.critical_points(P, k)
    B = np.linalg.solve(P.Sx, P.Syx.T).T
    M = B @ P.Syx.T
    mu, E = np.linalg.eigh(M)
    mu, E = mu[::-1], E[:, ::-1]
    L_star = P.loss(B)
    assert len(subsets) == len(Ws) > 0
    for S, W in zip(subsets, Ws, strict=True):
        W1, W2 = _factor(P, W, S, E)
        assert np.allclose(W2 @ W1, W, atol=1e-12)
        G = W2 @ W1 @ P.Sx - P.Syx
        assert np.abs(W2.T @ G).max() < 1e-12 and np.abs(G @ W1.T).max() < 1e-12
        assert abs(P.loss(W) - L_star - 0.5 * (mu.sum() - mu[list(S)].sum())) < 1e-12


def test_critical_points_contain_both_reduced_rank_solutions_when_commuting():
    P = problems.commuting(SIGMA, LAM, d=6, p=5, seed=1)
    for k in range(5):
        _, Ws = estimators.critical_points(P, k)
        for metric in ("data", "moment"):
            W = estimators.reduced_rank(P, k, metric)
            assert np.linalg.norm(Ws - W, axis=(1, 2)).min() < 1e-12, (k, metric)


def test_data_metric_is_the_leading_critical_point_without_commuting():
    P = problems.noncommuting(SIGMA, LAM, angle=0.7, d=6, p=5, seed=2)
    for k in range(1, 5):
        subsets, Ws = estimators.critical_points(P, k)
        assert subsets[0] == tuple(range(k))
        assert np.allclose(Ws[0], estimators.reduced_rank(P, k, "data"), atol=1e-10)


def test_critical_points_bad_input():
    P = problems.commuting(SIGMA, LAM, d=6, p=5, seed=1)
    with pytest.raises(ValueError, match="k"):
        estimators.critical_points(P, 5)           # rank M = 4


@pytest.mark.parametrize("r", [1, 2, 3])
def test_saddle_curvature_is_the_hessian_minimum(r):
    P = problems.commuting(SIGMA, LAM, d=6, p=5, seed=1)
    init = dynamics.spectral_init(P, SIGMA[:r] / LAM[:r], width=r)
    G = init.W @ P.Sx - P.Syx
    assert np.abs(init.W2.T @ G).max() < 1e-12 and np.abs(G @ init.W1.T).max() < 1e-12
    ev = np.linalg.eigvalsh(dynamics.hessian_two_layer(P, init))
    expected = min(0.0, theory.saddle_curvature(SIGMA, LAM, r))
    assert abs(ev[0] - expected) < 1e-10


def test_saddle_curvature_sign_is_the_score_order():
    rng = np.random.default_rng(0)
    for _ in range(200):
        s = np.sort(rng.uniform(0.1, 1.0, 4))[::-1]
        lam = rng.uniform(0.2, 3.0, 4)
        score = s**2 / lam
        for r in (1, 2, 3):
            neg = theory.saddle_curvature(s, lam, r) < 0
            assert neg == (score[r:].max() > score[:r].min())


def test_saddle_curvature_bad_input():
    with pytest.raises(ValueError):
        theory.saddle_curvature([1.0], [1.0], 1)
    with pytest.raises(ValueError):
        theory.saddle_curvature([1.0, 0.5], [1.0, 1.0], 2)


def test_linearised_closed_form_matches_the_iterated_linear_map():
    P = problems.noncommuting(SIGMA, LAM, angle=0.3, d=6, p=5, seed=1)
    init = dynamics.random_init(P, 0.3, 7, seed=4)
    eta, T = 0.2, 40
    W1, W2 = np.array(init.W1), np.array(init.W2)
    it = [W2 @ W1]
    for _ in range(T):
        W1, W2 = W1 + eta * W2.T @ P.Syx, W2 + eta * P.Syx @ W1.T
        it.append(W2 @ W1)
    closed = dynamics.linearised_two_layer(P, eta, init, np.arange(T + 1))
    assert np.abs(closed - np.array(it)).max() < 1e-10 * np.abs(it[-1]).max()


def test_linearised_follows_gd_while_small():
    P = problems.commuting([1.0, 0.5, 0.25], d=8, p=6, seed=3)
    init = dynamics.random_init(P, 1e-12, 8, seed=0)
    run = dynamics.gd_two_layer(P, 0.2, 60, init, record=1)
    lin = dynamics.linearised_two_layer(P, 0.2, init, run.steps)
    size = np.linalg.norm(lin, axis=(1, 2))
    rel = np.linalg.norm(run.products - lin, axis=(1, 2)) / size
    assert np.all(rel <= size + 1e-12), (rel / size).max()   # the neglected term is O(||W||)
    assert size[-1] > 1e-4 and rel[size < 1e-8].max() < 1e-8


def test_top_alignment_against_a_rank_one_perturbation():
    rng = np.random.default_rng(1)
    u = np.linalg.qr(rng.normal(size=(5, 1)))[0][:, 0]
    v = np.linalg.qr(rng.normal(size=(4, 1)))[0][:, 0]
    E = rng.normal(size=(3, 5, 4))
    for eps in (1e-2, 1e-4):
        W = np.outer(u, v)[None] + eps * E
        sl, sr = dynamics.top_alignment(W, u, v)
        norms = np.linalg.norm(eps * E, ord=2, axis=(1, 2))
        bound = norms * (1 + norms) / (1 - norms) ** 2       # the lemma of chapter 8
        assert np.all(sl <= bound) and np.all(sr <= bound) and sl.max() > 0
    sl, sr = dynamics.top_alignment(np.outer(u, v), u, v)
    assert sl[0] < 1e-7 and sr[0] < 1e-7
    with pytest.raises(ValueError, match="unit vector"):
        dynamics.top_alignment(np.outer(u, v), 2 * u, v)


def test_plateau_steps_finds_the_slow_stretches():
    P = problems.commuting([1.0, 0.25], seed=0)
    run = dynamics.gd_two_layer(P, 0.2, 700, dynamics.spectral_init(P, 1e-12), record=1)
    Tc = 27.6 * theory.critical_times([1.0, 0.25], 0.2)           # ln(1e12) = 27.6
    idx, speed = dynamics.plateau_steps(run, [[1.1 * Tc[0], 0.9 * Tc[1]]])
    W = run.products[idx[0]]
    assert speed[0] < 1e-6
    assert np.linalg.norm(W - estimators.reduced_rank(P, 1, "moment")) < 1e-4
    coarse = dynamics.gd_two_layer(P, 0.2, 700, dynamics.spectral_init(P, 1e-12), record=10)
    i2, s2 = dynamics.plateau_steps(coarse, [[1.1 * Tc[0], 0.9 * Tc[1]]])
    assert s2[0] < 1e-6                                           # speed is per iteration
    with pytest.raises(ValueError, match="no recorded step"):
        dynamics.plateau_steps(run, [[800, 900]])
    with pytest.raises(ValueError, match="shape"):
        dynamics.plateau_steps(run, [1, 2, 3])


def test_decade_ticks_labels_and_scale():
    import matplotlib

    matplotlib.use("Agg")
    from gdlinear import plotting

    fig, axes = plotting.small_multiples(1, 2)
    labels = plotting.decade_ticks(axes[0, 0], -6, 0, step=2)
    assert labels == ["10⁻⁶", "10⁻⁴", "10⁻²", "10⁰"]
    fig.canvas.draw()
    assert [t.get_text() for t in axes[0, 0].get_yticklabels()] == labels
    assert axes[0, 0].get_yscale() == "log"
    assert np.allclose(axes[0, 0].get_yticks(), [1e-6, 1e-4, 1e-2, 1.0])
    assert len(axes[0, 0].yaxis.get_minorticklocs()) == 0
    assert plotting.decade_ticks(axes[0, 1], 0, 2, axis="x") == ["10⁰", "10¹", "10²"]
    assert axes[0, 1].get_xscale() == "log"
    with pytest.raises(ValueError):
        plotting.decade_ticks(axes[0, 0], 2, 0)
    with pytest.raises(ValueError):
        plotting.decade_ticks(axes[0, 0], 0, 2, axis="z")
