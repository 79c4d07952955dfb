"""The chapter 4 checker accepts the right answer and rejects typical wrong ones with a hint."""

import numpy as np
import pytest

from gdlinear.exercises import ch04


def right(sigma, lam, w0, frac):
    return np.log(frac / (1 - frac) * (sigma / (lam * w0) - 1)) / (2 * sigma)


def test_accepts_the_exact_time():
    assert ch04.check_learning_time(right).startswith("Correct")


def test_accepts_the_library_and_an_equivalent_form():
    from gdlinear import theory

    assert ch04.check_learning_time(
        lambda s, lam, w0, f: theory.learning_time(s, lam, w0, frac=f)
    ).startswith("Correct")

    def via_u(sigma, lam, w0, frac):  # the same time written with u0 = lam w0 / sigma
        u0 = lam * w0 / sigma
        return (np.log(frac / (1 - frac)) + np.log((1 - u0) / u0)) / (2 * sigma)

    assert ch04.check_learning_time(via_u).startswith("Correct")


WRONG = {
    "rate sigma": (
        lambda s, lam, w0, f: np.log(f / (1 - f) * (s / (lam * w0) - 1)) / s,
        "rate sigma instead of 2 sigma",
    ),
    "rate 4 sigma": (
        lambda s, lam, w0, f: np.log(f / (1 - f) * (s / (lam * w0) - 1)) / (4 * s),
        "half the exact one",
    ),
    "asymptotic": (
        lambda s, lam, w0, f: np.log(f / (1 - f) * s / (lam * w0)) / (2 * s),
        "small-initialisation approximation",
    ),
    "no lambda": (
        lambda s, lam, w0, f: np.log(f / (1 - f) * (s / w0 - 1)) / (2 * s),
        "lambda is missing",
    ),
    "linear model": (
        lambda s, lam, w0, f: np.log((1 - lam * w0 / s) / (1 - f)) / lam,
        "linear model's learning time",
    ),
    "odds upside down": (
        lambda s, lam, w0, f: np.log((1 - f) / f * (s / (lam * w0) - 1)) / (2 * s),
        "upside down",
    ),
    "something else": (
        lambda s, lam, w0, f: np.log(1 / (lam * w0)) / (2 * s) + 1.0,
        "invert the closed form",
    ),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_rejects_typical_slips_with_a_specific_hint(name):
    fn, hint = WRONG[name]
    with pytest.raises(AssertionError, match=hint):
        ch04.check_learning_time(fn)


def test_rejects_stub_shape_and_non_callable():
    with pytest.raises(AssertionError, match="stub"):
        ch04.check_learning_time(lambda s, lam, w0, f: None)
    with pytest.raises(AssertionError, match="shape"):
        ch04.check_learning_time(lambda s, lam, w0, f: float(right(s, lam, w0, f)[0]))
    with pytest.raises(AssertionError, match="without parentheses"):
        ch04.check_learning_time(1.0)
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        ch04.check_learning_time(lambda s, lam, w0, f: 1 / 0)


def test_docstring_example():
    import doctest

    assert doctest.testmod(ch04).failed == 0
