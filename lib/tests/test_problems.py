"""Tests of gdlinear.problems: moments, loss, gradient, commuting structure."""

import doctest

import numpy as np
import pytest

import gdlinear as gl
from gdlinear import dynamics, errors, estimators, problems, theory
from gdlinear.problems import commuting

SIG = np.array([1.0, 0.7, 0.4, 0.2])
LAM = np.array([2.0, 0.5, 1.0, 1.5])


@pytest.mark.parametrize("module", [problems, estimators, theory, dynamics, errors, gl])
def test_docstring_examples(module):
    res = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0


@pytest.mark.parametrize(("d", "p"), [(4, 4), (6, 4), (4, 7)])
def test_commuting_structure(d, p):
    P = commuting(SIG, LAM, d=d, p=p, seed=3)
    U, V = P.modes.U, P.modes.V
    assert P.Sx.shape == (d, d) and P.Syx.shape == (p, d) and (P.d, P.p, P.m) == (d, p, 4)
    np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-13)
    np.testing.assert_allclose(V.T @ V, np.eye(4), atol=1e-13)
    np.testing.assert_allclose(P.Syx, U @ np.diag(SIG) @ V.T, atol=1e-13)
    np.testing.assert_allclose(P.Sx @ V, V * LAM, atol=1e-13)
    np.testing.assert_allclose(np.linalg.svd(P.Syx, compute_uv=False)[:4], SIG, rtol=1e-12)
    ev = np.sort(np.linalg.eigvalsh(P.Sx))
    np.testing.assert_allclose(ev, np.sort(np.concatenate([LAM, np.ones(d - 4)])), atol=1e-13)
    assert P.commutator() < 1e-14
    assert P.Syy_trace == pytest.approx(np.sum(SIG**2 / LAM))
    # noiseless moments: least squares has zero loss
    assert abs(P.loss(estimators.least_squares(P))) < 1e-13
    np.testing.assert_allclose(P.modes.targets, SIG / LAM)


def test_commuting_lam_length_d_and_default():
    P = commuting([1.0, 0.5], [3.0, 2.0, 1.0], d=3)
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(P.Sx)), [1.0, 2.0, 3.0], atol=1e-13)
    np.testing.assert_allclose(P.modes.lam, [3.0, 2.0])
    np.testing.assert_allclose(commuting([1.0, 0.5]).Sx, np.eye(2), atol=1e-14)


def test_loss_matches_data_definition_and_stacks():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    P = problems.from_data(X, Y)
    Ws = rng.normal(size=(5, 3, 4))
    direct = np.array([np.sum((Y - X @ W.T) ** 2) / (2 * 30) for W in Ws])
    np.testing.assert_allclose(P.loss(Ws), direct, rtol=1e-12)
    assert isinstance(P.loss(Ws[0]), float)
    assert P.loss(Ws.reshape(5, 1, 3, 4)).shape == (5, 1)
    np.testing.assert_allclose(P.Sx, X.T @ X / 30)
    np.testing.assert_allclose(P.Syx, Y.T @ X / 30)
    assert P.n == 30 and P.modes is None and P.X is not None


def test_gradient_is_derivative_of_loss():
    rng = np.random.default_rng(2)
    P = problems.from_data(rng.normal(size=(20, 3)), rng.normal(size=(20, 2)))
    W = rng.normal(size=(2, 3))
    G = P.gradient(W)
    h = 1e-6
    num = np.zeros_like(W)
    for i in range(2):
        for j in range(3):
            E = np.zeros_like(W)
            E[i, j] = h
            num[i, j] = (P.loss(W + E) - P.loss(W - E)) / (2 * h)
    np.testing.assert_allclose(G, num, atol=1e-8)


def test_autoencoder():
    lam = np.array([3.0, 2.0, 1.0, 0.5])
    P = problems.autoencoder(lam, seed=4)
    np.testing.assert_allclose(P.Sx, P.Syx)
    np.testing.assert_allclose(P.modes.sigma, lam)
    np.testing.assert_allclose(P.modes.U, P.modes.V)
    np.testing.assert_allclose(P.modes.targets, 1.0)
    assert abs(P.loss(np.eye(4))) < 1e-13


def test_mode_strengths_and_frozen():
    P = commuting(SIG, LAM, d=5, p=6)
    W = (P.modes.U * np.array([1.0, 2.0, 3.0, 4.0])) @ P.modes.V.T
    np.testing.assert_allclose(P.mode_strengths(W), [1.0, 2.0, 3.0, 4.0], atol=1e-13)
    np.testing.assert_allclose(P.mode_strengths(np.stack([W, 2 * W])).shape, (2, 4))
    with pytest.raises(ValueError, match="read-only"):
        P.Sx[0, 0] = 5.0
    with pytest.raises(AttributeError):
        P.name = "x"


def test_noncommuting_angle_controls_commutator():
    P0 = commuting(SIG, LAM, d=5, p=4, seed=7)
    Q0 = problems.noncommuting(SIG, LAM, angle=0.0, d=5, p=4, seed=7)
    np.testing.assert_allclose(Q0.Sx, P0.Sx, atol=1e-13)
    np.testing.assert_allclose(Q0.Syx, P0.Syx, atol=1e-13)
    comms = [problems.noncommuting(SIG, LAM, angle=a, d=5, p=4, seed=7).commutator()
             for a in [0.0, 0.01, 0.05, 0.2]]
    assert comms[0] < 1e-14
    assert all(b > a for a, b in zip(comms, comms[1:], strict=False))
    Q = problems.noncommuting(SIG, LAM, angle=0.3, d=5, p=4, seed=7)
    assert Q.modes is None
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(Q.Sx)),
                               np.sort(np.concatenate([LAM, [1.0]])), atol=1e-12)
    assert abs(Q.loss(estimators.least_squares(Q))) < 1e-12


def test_with_modes_recovers_structure_and_rejects_noncommuting():
    P = commuting(SIG, LAM, d=6, p=5, seed=2)
    Q = problems.with_modes(problems.from_moments(P.Sx, P.Syx))
    np.testing.assert_allclose(Q.modes.sigma, SIG, rtol=1e-12)
    np.testing.assert_allclose(Q.modes.lam, LAM, rtol=1e-10)
    W = P.Syx
    np.testing.assert_allclose(np.abs(Q.mode_strengths(W)), SIG, rtol=1e-10)
    with pytest.raises(ValueError, match="commuting assumption does not hold"):
        problems.with_modes(problems.noncommuting(SIG, LAM, angle=0.3, d=6, p=5))


def test_with_modes_ties_rotated_to_diagonalise_sx():
    P = commuting([1.0, 1.0, 0.5], [2.0, 1.0, 1.0], seed=5)
    Q = problems.with_modes(problems.from_moments(P.Sx, P.Syx))
    np.testing.assert_allclose(np.sort(Q.modes.lam[:2]), [1.0, 2.0], rtol=1e-10)


def test_teacher_split():
    split = problems.teacher(d=6, p=4, rank=2, n_train=50, n_test=20000, noise=0.3, seed=1)
    assert split.train.X.shape == (50, 6) and split.test.Y.shape == (20000, 4)
    assert np.linalg.matrix_rank(split.W_teacher) == 2
    # the test loss of the teacher approaches the noise floor p * noise^2 / 2
    assert split.test.loss(split.W_teacher) == pytest.approx(4 * 0.09 / 2, rel=0.05)
    assert split.population.loss(split.W_teacher) == pytest.approx(4 * 0.09 / 2, rel=1e-12)
    # anisotropic, non-commuting inputs
    assert split.population.commutator() > 1e-3
    ev = np.linalg.eigvalsh(split.population.Sx)
    assert ev[-1] / ev[0] == pytest.approx(10.0)
    again = problems.teacher(d=6, p=4, rank=2, n_train=50, n_test=20000, noise=0.3, seed=1)
    np.testing.assert_array_equal(again.train.X, split.train.X)


def test_lazy_submodules_do_not_import_widgets():
    import subprocess
    import sys

    code = "import sys, gdlinear; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert gl.DivergenceError is errors.DivergenceError
    assert isinstance(gl.__version__, str)
    with pytest.raises(AttributeError, match="no attribute"):
        gl.not_a_module  # noqa: B018
