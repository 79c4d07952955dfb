"""The checker of chapter 03 accepts Izenman's solution and rejects typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear.exercises import ch03


def _powers(Sx):
    e, Q = np.linalg.eigh(Sx)
    return (Q * np.sqrt(e)) @ Q.T, (Q / np.sqrt(e)) @ Q.T, (Q / e) @ Q.T


def _trunc(M, k):
    A, s, Bt = np.linalg.svd(M, full_matrices=False)
    return (A[:, :k] * s[:k]) @ Bt[:k]


def right(Sx, Syx, k):
    _, inv_half, _ = _powers(Sx)
    return _trunc(Syx @ inv_half, k) @ inv_half


def moment(Sx, Syx, k):
    return _trunc(Syx, k) @ np.linalg.inv(Sx)


def truncated_ols(Sx, Syx, k):
    return _trunc(Syx @ np.linalg.inv(Sx), k)


def wrong_back_map(Sx, Syx, k):
    half, inv_half, _ = _powers(Sx)
    return _trunc(Syx @ inv_half, k) @ half


def wrong_half(Sx, Syx, k):
    half, inv_half, _ = _powers(Sx)
    return _trunc(Syx @ half, k) @ inv_half


def off_by_one(Sx, Syx, k):
    return right(Sx, Syx, k + 1)


def transposed(Sx, Syx, k):
    return right(Sx, Syx, k).T


def scaled(Sx, Syx, k):
    return 1.1 * right(Sx, Syx, k)


def test_accepts_izenman():
    assert ch03.check_rrr_data(right).startswith("Correct")
    assert ch03.check_rrr_data(right, seed=4).startswith("Correct")


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (moment, "moment-metric"),
        (truncated_ols, "truncated the least-squares solution"),
        (wrong_back_map, "W = B Sx^{-1/2}"),
        (wrong_half, "Syx Sx^{-1/2}"),
        (off_by_one, "rank-2 solution"),
        (transposed, "transposed"),
        (scaled, "[Syx Sx^{-1/2}]_k Sx^{-1/2}"),
    ],
)
def test_rejects_typical_mistakes_with_a_specific_hint(fn, words):
    with pytest.raises(AssertionError, match="Hint") as info:
        ch03.check_rrr_data(fn)
    assert words in str(info.value)


def test_rejects_stubs():
    with pytest.raises(AssertionError, match="not filled in"):
        ch03.check_rrr_data(lambda Sx, Syx, k: None)
    with pytest.raises(AssertionError, match="function"):
        ch03.check_rrr_data("not a function")


def test_test_problem_separates_the_three_solutions():
    import gdlinear as gl

    P = ch03.rrr_test_problem()
    assert P.commutator() > 0.05
    for k in (1, 2):
        data = gl.estimators.reduced_rank(P, k, "data")
        mom = gl.estimators.reduced_rank(P, k, "moment")
        ols = truncated_ols(P.Sx, P.Syx, k)
        for other in (mom, ols):
            assert np.linalg.norm(data - other) > 1e-3 * np.linalg.norm(data)
