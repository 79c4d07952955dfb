"""The checker of chapter 01 accepts the right answer and rejects typical wrong ones with a hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear.exercises import ch01


def right(sigma):
    s2 = np.asarray(sigma, dtype=float) ** 2
    return 0.5 * np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])


def right_loop(sigma):
    return [0.5 * sum(s**2 for s in sigma[k:]) for k in range(len(sigma) + 1)]


def learned_side(sigma):
    return 0.5 * np.concatenate([[0.0], np.cumsum(np.asarray(sigma) ** 2)])


def no_square(sigma):
    return [0.5 * sum(sigma[k:]) for k in range(len(sigma) + 1)]


def no_half(sigma):
    return [sum(s**2 for s in sigma[k:]) for k in range(len(sigma) + 1)]


def m_values_from_one(sigma):
    return [0.5 * sum(s**2 for s in sigma[k:]) for k in range(1, len(sigma) + 1)]


def m_values_no_zero(sigma):
    return [0.5 * sum(s**2 for s in sigma[k:]) for k in range(len(sigma))]


def shifted(sigma):
    return [0.5 * sum(s**2 for s in sigma[k + 1:]) for k in range(len(sigma) + 1)]


def slightly_off(sigma):
    return 1.01 * right(sigma)


def stub(sigma):
    ...


def test_accepts_the_right_levels():
    assert ch01.check_plateau_levels(right).startswith("Correct")
    assert ch01.check_plateau_levels(right_loop).startswith("Correct")


def test_reference_is_the_library_and_matches_the_formula():
    sigma = ch01.plateau_test_sigma()
    np.testing.assert_allclose(ch01._reference(sigma), right(sigma), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (learned_side, "NOT yet learned"),
        (no_square, "their squares"),
        (no_half, "factor 1/2"),
        (m_values_from_one, r"m \+ 1 plateaus"),
        (m_values_no_zero, "left out the last one"),
        (shifted, "shifted by one"),
        (slightly_off, "relative error"),
        (stub, "not filled in"),
    ],
)
def test_rejects_typical_mistakes_with_a_specific_hint(fn, words):
    with pytest.raises(AssertionError, match=words):
        ch01.check_plateau_levels(fn)


def test_rejects_wrong_length_and_non_callable():
    with pytest.raises(AssertionError, match=r"expected m \+ 1 = 6"):
        ch01.check_plateau_levels(lambda s: np.zeros(3))
    with pytest.raises(AssertionError, match="must be a function"):
        ch01.check_plateau_levels(np.zeros(6))
    with pytest.raises(AssertionError, match="array of numbers"):
        ch01.check_plateau_levels(lambda s: "levels")
