"""The checker of chapter 11 accepts the right answer and rejects typical wrong ones with a hint."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from gdlinear.exercises import ch11


def right(X, Y, W, b):
    n = X.shape[0]
    R = X @ W.T - Y
    g = np.einsum("kp,kd->kpd", R, X)
    G = g.mean(axis=0)
    spread = np.mean(np.sum((g - G) ** 2, axis=(1, 2)))
    return (n - b) / (b * (n - 1)) * spread


def _spread(X, Y, W):
    g = np.einsum("kp,kd->kpd", X @ W.T - Y, X)
    return np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=(1, 2)))


def test_accepts_the_right_answer():
    assert ch11.check_batch_noise(right).startswith("Correct")


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda X, Y, W, b: _spread(X, Y, W) / b, "with-replacement"),
        (lambda X, Y, W, b: (X.shape[0] - b) / (X.shape[0] * b) * _spread(X, Y, W), "n - 1"),
        (lambda X, Y, W, b: np.sqrt(right(X, Y, W, b)), "root mean square"),
        (lambda X, Y, W, b: 2 * right(X, Y, W, b), "sampling factor"),
        (lambda X, Y, W, b: None, "not filled in"),
    ],
)
def test_rejects_typical_slips_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        ch11.check_batch_noise(wrong)


def test_per_sample_spread_hint():
    # the spread alone is right only at b = 1; the checker names the missing 1/b on b > 1
    with pytest.raises(AssertionError, match="per-sample spread|with-replacement|sampling"):
        ch11.check_batch_noise(lambda X, Y, W, b: _spread(X, Y, W))


def test_needs_a_function_and_doctest():
    with pytest.raises(AssertionError, match="pass your function itself"):
        ch11.check_batch_noise(1.0)
    assert doctest.testmod(ch11).failed == 0
