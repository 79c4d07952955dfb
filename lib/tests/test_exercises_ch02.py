"""The checkers of chapter 02 accept the right answer and reject typical wrong ones with a hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear.exercises import ch02


def right(W1, W2, Sx, Syx, eta):
    G = W2 @ W1 @ Sx - Syx
    return W1 - eta * W2.T @ G, W2 - eta * G @ W1.T


def sequential(W1, W2, Sx, Syx, eta):
    W1 = W1 - eta * W2.T @ (W2 @ W1 @ Sx - Syx)
    W2 = W2 - eta * (W2 @ W1 @ Sx - Syx) @ W1.T
    return W1, W2


def in_place(W1, W2, Sx, Syx, eta):
    G = W2 @ W1 @ Sx - Syx
    W1 -= eta * W2.T @ G
    W2 -= eta * G @ W1.T
    return W1, W2


def uphill(W1, W2, Sx, Syx, eta):
    G = Syx - W2 @ W1 @ Sx
    return W1 - eta * W2.T @ G, W2 - eta * G @ W1.T


def no_sx(W1, W2, Sx, Syx, eta):
    G = W2 @ W1 - Syx
    return W1 - eta * W2.T @ G, W2 - eta * G @ W1.T


def factor_two(W1, W2, Sx, Syx, eta):
    G = 2 * (W2 @ W1 @ Sx - Syx)
    return W1 - eta * W2.T @ G, W2 - eta * G @ W1.T


def transposed(W1, W2, Sx, Syx, eta):
    G = W2 @ W1 @ Sx - Syx
    return W1 - eta * W2.T @ G, (W2 - eta * G @ W1.T).T


def other(W1, W2, Sx, Syx, eta):
    G = W2 @ W1 @ Sx - Syx
    return W1 - eta * W2.T @ G, W2 - 0.7 * eta * G @ W1.T


def test_accepts_the_right_step():
    assert ch02.check_two_layer_step(right).startswith("Correct")
    assert ch02.check_two_layer_step(right, seed=3).startswith("Correct")


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (sequential, "already-updated W1"),
        (in_place, "in place"),
        (uphill, "uphill"),
        (no_sx, "forgets Sx"),
        (factor_two, "twice too long"),
        (transposed, "transposed"),
        (other, "gradient with respect to W2 is G W1^T"),
    ],
)
def test_rejects_typical_mistakes_with_a_specific_hint(fn, words):
    with pytest.raises(AssertionError, match="Hint") as info:
        ch02.check_two_layer_step(fn)
    assert words in str(info.value)


def test_rejects_stub_and_non_pairs():
    with pytest.raises(AssertionError, match="not filled in"):
        ch02.check_two_layer_step(lambda *a: None)
    with pytest.raises(AssertionError, match="pair"):
        ch02.check_two_layer_step(lambda *a: 3.0)
    with pytest.raises(AssertionError, match="function"):
        ch02.check_two_layer_step(np.zeros(3))


def test_test_case_has_distinct_shapes_and_anisotropic_inputs():
    W1, W2, Sx, Syx, eta = ch02.step_test_case()
    assert len({W1.shape[0], W1.shape[1], W2.shape[0]}) == 3
    ev = np.linalg.eigvalsh(Sx)
    assert ev[-1] / ev[0] > 5 and eta > 0
