"""Hypothesis property tests: decoupling, RRR optimality, monotone loss, reproducibility."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gdlinear import dynamics as dyn
from gdlinear import estimators as E
from gdlinear import problems, theory
from gdlinear.problems import commuting

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)


@st.composite
def commuting_problems(draw):
    m = draw(st.integers(1, 4))
    d = m + draw(st.integers(0, 2))
    p = m + draw(st.integers(0, 2))
    sigma = np.sort(np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=m, max_size=m))))[::-1]
    lam = np.array(draw(st.lists(st.floats(0.3, 3.0), min_size=m, max_size=m)))
    seed = draw(st.integers(0, 2**16))
    return commuting(sigma, lam, d=d, p=p, seed=seed)


@SETTINGS
@given(P=commuting_problems(), c=st.floats(0.05, 0.5), log_scale=st.floats(-8.0, -1.0),
       balanced=st.booleans())
def test_spectral_init_decouples_the_modes(P, c, log_scale, balanced):
    """Under spectral init, W stays in span{u_i v_i^T}: all off-diagonal coupling ~ 0.

    Needs eta below the full-matrix bound (theory.stability_bound(P, "two_layer_full")):
    above it the balanced minimum is unstable in factor space and round-off grows.
    """
    eta = c * min(1 / P.modes.sigma[0], theory.stability_bound(P, "two_layer_full"))
    init = dyn.spectral_init(P, 10.0**log_scale, balanced=balanced, ratio=1.3)
    run = dyn.gd_two_layer(P, eta, 400, init, record=20)
    U, V = P.modes.U, P.modes.V
    diag_part = np.einsum("pi,ki,di->kpd", U, run.modes, V)
    off = np.abs(run.products - diag_part).max()
    assert off <= 1e-12 * max(1.0, np.abs(run.products).max())


@st.composite
def data_problems(draw):
    d = draw(st.integers(1, 4))
    p = draw(st.integers(1, 4))
    n = draw(st.integers(d + 2, 30))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 2.0, size=d)
    Y = X @ rng.normal(size=(d, p)) + rng.uniform(0, 1) * rng.normal(size=(n, p))
    return problems.from_data(X, Y), seed


@SETTINGS
@given(data=data_problems(), k_frac=st.floats(0, 1))
def test_rrr_is_optimal_in_its_own_metric(data, k_frac):
    """No rank-k matrix (random or a local perturbation of the solution) beats the RRR."""
    P, seed = data
    q = min(P.p, P.d)
    k = int(round(k_frac * q))
    rng = np.random.default_rng(seed + 1)
    W_data = E.reduced_rank(P, k, "data")
    W_mom = E.reduced_rank(P, k, "moment")

    def mom(W):
        return 0.5 * np.linalg.norm(P.Syx - W @ P.Sx, axis=(-2, -1)) ** 2

    cands = rng.normal(size=(200, P.p, max(k, 1))) @ rng.normal(size=(200, max(k, 1), P.d))
    if k == 0:
        cands = np.zeros_like(cands)
    # local perturbations that keep rank <= k: perturb the factors of the solution
    for W0 in (W_data, W_mom):
        Uw, s, Vt = np.linalg.svd(W0)
        A, B = Uw[:, :k] * s[:k], Vt[:k]
        dA = 1e-3 * rng.normal(size=(50,) + A.shape)
        dB = 1e-3 * rng.normal(size=(50,) + B.shape)
        loc = (A + dA) @ (B + dB)
        cands = np.concatenate([cands, loc])
    tol = 1e-10 * (1 + abs(P.Syy_trace))
    assert np.all(P.loss(cands) >= P.loss(W_data) - tol)
    assert np.all(mom(cands) >= mom(W_mom) - tol)


@SETTINGS
@given(P=commuting_problems(), c=st.floats(0.01, 0.5), log_scale=st.floats(-10.0, -0.5))
def test_loss_is_monotone_for_small_steps(P, c, log_scale):
    """eta sigma_1 <= 1/2 and balanced spectral init: the loss never increases.

    Exactly true for the mode map (the decoupled dynamics). Full-matrix GD follows it while
    eta is also below the full-matrix bound (theory.stability_bound(P, "two_layer_full")),
    beyond which round-off leaves the decoupled manifold (found by this very test).
    """
    sig, lam = P.modes.sigma, P.modes.lam
    eta = c / sig[0]
    steps = int(min(3000, 4 * (abs(log_scale) * 2.3 + 5) / np.log1p(eta * sig[-1])))
    w = theory.mode_map(sig, lam, eta, 10.0**log_scale, steps)
    per_mode = 0.5 * lam * (w - sig / lam) ** 2
    assert np.all(np.diff(per_mode, axis=0) <= 1e-15)
    eta = min(eta, 0.5 * theory.stability_bound(P, "two_layer_full"))
    run = dyn.gd_two_layer(P, eta, steps, dyn.spectral_init(P, 10.0**log_scale), record=1)
    assert np.all(np.diff(run.loss) <= 1e-13 * (1 + abs(run.loss[0])))


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_result(seed):
    a = commuting([1.0, 0.5], [2.0, 1.0], d=3, p=4, seed=seed)
    b = commuting([1.0, 0.5], [2.0, 1.0], d=3, p=4, seed=seed)
    np.testing.assert_array_equal(a.Sx, b.Sx)
    np.testing.assert_array_equal(a.Syx, b.Syx)
    t1 = problems.teacher(d=4, p=3, rank=2, n_train=20, n_test=5, noise=0.1, seed=seed)
    t2 = problems.teacher(d=4, p=3, rank=2, n_train=20, n_test=5, noise=0.1, seed=seed)
    np.testing.assert_array_equal(t1.train.X, t2.train.X)
    np.testing.assert_array_equal(t1.test.Y, t2.test.Y)
    i1 = dyn.random_init(a, 0.01, 3, seed=seed)
    i2 = dyn.random_init(a, 0.01, 3, seed=seed)
    np.testing.assert_array_equal(i1.W1, i2.W1)
    r1 = dyn.sgd_two_layer(t1.train, 0.05, 30, dyn.random_init(t1.train, 0.01, 3, seed=seed),
                           batch_size=4, seed=seed)
    r2 = dyn.sgd_two_layer(t2.train, 0.05, 30, dyn.random_init(t2.train, 0.01, 3, seed=seed),
                           batch_size=4, seed=seed)
    np.testing.assert_array_equal(r1.products, r2.products)
