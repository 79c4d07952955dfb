"""Tests of the library additions made for chapter 02 (``dynamics.imbalance``)."""

from __future__ import annotations

import numpy as np
import pytest

import gdlinear as gl


def test_imbalance_definition_and_stacking():
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((3, 5)), rng.standard_normal((4, 3))
    D = gl.dynamics.imbalance(W1, W2)
    assert D.shape == (3, 3)
    np.testing.assert_allclose(D, W1 @ W1.T - W2.T @ W2, rtol=0, atol=1e-14)
    np.testing.assert_allclose(D, D.T, atol=1e-14)
    stacked = gl.dynamics.imbalance(np.stack([W1, 2 * W1]), np.stack([W2, W2]))
    np.testing.assert_allclose(stacked[1], 4 * W1 @ W1.T - W2.T @ W2, atol=1e-13)


def test_imbalance_is_conserved_by_the_flow_and_drifts_by_eta_squared_under_gd():
    P = gl.problems.commuting([1.0, 0.6, 0.3], [1.5, 0.5, 1.0], d=4, p=3, seed=2)
    init = gl.dynamics.random_init(P, 0.3, width=3, seed=1)
    D0 = gl.dynamics.imbalance(init.W1, init.W2)
    flow = gl.dynamics.gradient_flow(P, [0.0, 3.0], init, rtol=1e-11, atol=1e-13)
    assert np.linalg.norm(gl.dynamics.imbalance(flow.W1, flow.W2) - D0) < 1e-8
    eta = 0.1
    one = gl.dynamics.gd_two_layer(P, eta, 1, init, record=[0, 1])
    G = P.gradient(init.W)
    W1, W2 = init.W1, init.W2
    predicted = eta**2 * (W2.T @ G @ G.T @ W2 - W1 @ G.T @ G @ W1.T)
    change = gl.dynamics.imbalance(one.W1, one.W2) - D0
    assert np.linalg.norm(change - predicted) <= 1e-12 * np.linalg.norm(predicted)


def test_spectral_init_imbalance_is_diagonal_in_modes():
    P = gl.problems.commuting([1.0, 0.5], seed=0)
    init = gl.dynamics.spectral_init(P, 0.04, balanced=False, ratio=2.0)
    D = gl.dynamics.imbalance(init.W1, init.W2)
    a2, b2 = 0.04 * 4.0, 0.04 / 4.0
    np.testing.assert_allclose(D, (a2 - b2) * np.eye(2), atol=1e-15)


def test_imbalance_rejects_mismatched_factors():
    with pytest.raises(ValueError, match="same r"):
        gl.dynamics.imbalance(np.zeros((3, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="same r"):
        gl.dynamics.imbalance(np.zeros(3), np.zeros((2, 3)))


def test_exercise_modules_load_lazily_from_the_package():
    import gdlinear.exercises as ex

    assert ex.ch02.check_two_layer_step is not None
    with pytest.raises(AttributeError, match="no checkers for chapter 99"):
        _ = ex.ch99
    with pytest.raises(AttributeError, match="has no attribute"):
        _ = ex.not_a_chapter
