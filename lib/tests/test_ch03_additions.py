"""Tests of the library additions made for chapter 03 (``estimators.low_rank_approx``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlinear as gl


def test_low_rank_approx_matches_eckart_young_error():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 7))
    s = np.linalg.svd(M, compute_uv=False)
    for k in range(0, 6):
        B = gl.estimators.low_rank_approx(M, k)
        assert np.linalg.matrix_rank(B, tol=1e-10) == k
        assert np.isclose(np.linalg.norm(M - B) ** 2, np.sum(s[k:] ** 2), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gl.estimators.low_rank_approx(M, 5), M, atol=1e-13)
    np.testing.assert_array_equal(gl.estimators.low_rank_approx(M, 0), np.zeros_like(M))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(0, 3))
def test_no_random_rank_k_matrix_beats_the_truncated_svd(seed, k):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((4, 6))
    best = np.linalg.norm(M - gl.estimators.low_rank_approx(M, k))
    for _ in range(20):
        B = rng.standard_normal((4, k)) @ rng.standard_normal((k, 6))
        # the best matrix with the row space of B: project M onto it
        Qr = np.linalg.qr(B.T)[0][:, :k] if k else np.zeros((6, 0))
        assert np.linalg.norm(M - M @ Qr @ Qr.T) >= best - 1e-12


def test_low_rank_approx_stacks_and_validates():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((3, 4, 5))
    B = gl.estimators.low_rank_approx(M, 2)
    for j in range(3):
        np.testing.assert_allclose(B[j], gl.estimators.low_rank_approx(M[j], 2), atol=1e-14)
    with pytest.raises(ValueError, match="0..4"):
        gl.estimators.low_rank_approx(M[0], 5)
    with pytest.raises(ValueError, match="matrix"):
        gl.estimators.low_rank_approx(np.ones(3), 1)
    with pytest.raises(ValueError, match="non-finite"):
        gl.estimators.low_rank_approx(np.full((2, 2), np.nan), 1)


def test_reduced_rank_is_low_rank_approx_in_the_right_coordinates():
    P = gl.problems.commuting([1.0, 0.7, 0.4], [2.0, 0.5, 1.0], d=4, p=3, seed=3)
    e, Q = np.linalg.eigh(P.Sx)
    inv_half = (Q / np.sqrt(e)) @ Q.T
    for k in range(4):
        data = gl.estimators.low_rank_approx(P.Syx @ inv_half, k) @ inv_half
        moment = gl.estimators.low_rank_approx(P.Syx, k) @ np.linalg.inv(P.Sx)
        np.testing.assert_allclose(gl.estimators.reduced_rank(P, k, "data"), data, atol=1e-12)
        np.testing.assert_allclose(gl.estimators.reduced_rank(P, k, "moment"), moment, atol=1e-12)
