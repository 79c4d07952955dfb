"""The checkers of chapter 05 accept the right answers and reject typical wrong ones with a hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import theory
from gdlinear.exercises import ch05


def right_T(sigma, eta):
    return 1.0 / (2.0 * np.log1p(eta * np.asarray(sigma)))


def right_tau(sigma, lam, eta, delta, steps):
    w = theory.mode_map(sigma, lam, eta, np.exp(-delta), steps)
    return np.argmax(w >= np.asarray(sigma) / (2 * np.asarray(lam)), axis=0)


def test_critical_times_accepts_the_right_answer():
    assert ch05.check_critical_times(right_T).startswith("Correct")


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda s, e: 1.0 / (2.0 * e * np.asarray(s)), "flow's rate eta\\*sigma"),
        (lambda s, e: 1.0 / (2.0 * np.asarray(s)), "gradient flow's critical time"),
        (lambda s, e: e * right_T(s, e), "physical time"),
        (lambda s, e: 2.0 * right_T(s, e), "missing factor 2"),
        (lambda s, e: 1.0 / (2.0 * np.abs(np.log(e * np.asarray(s)))), "np.log1p"),
        (lambda s, e: right_T(s, e) + 0.1, "\\(1 \\+ eta sigma_i\\)\\^2"),
        (lambda s, e: None, "not filled in"),
        (lambda s, e: right_T(s, e)[:1], "shape"),
    ],
)
def test_critical_times_rejects_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        ch05.check_critical_times(wrong)


def test_critical_times_needs_a_function():
    with pytest.raises(AssertionError, match="pass your function itself"):
        ch05.check_critical_times(right_T(np.array([1.0]), 0.1))


def test_half_target_times_accepts_the_right_answer():
    assert ch05.check_half_target_times(right_tau).startswith("Correct")


def _half_of_sigma(sigma, lam, eta, delta, steps):
    w = theory.mode_map(sigma, lam, eta, np.exp(-delta), steps)
    return np.argmax(w >= np.asarray(sigma) / 2, axis=0)


def _factor_scale(sigma, lam, eta, delta, steps):
    return right_tau(sigma, lam, eta, delta / 2, steps)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda *a: right_tau(*a) - 1, "off by one"),
        (lambda *a: right_tau(*a) + 1, "off by one"),
        (_factor_scale, "exp\\(-delta\\)"),
        (_half_of_sigma, "sigma_i / \\(2 lam_i\\)"),
        (lambda *a: right_tau(*a) * 2, "first t"),
        (lambda *a: right_tau(*a)[:1], "shape"),
    ],
)
def test_half_target_times_rejects_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        ch05.check_half_target_times(wrong)


def test_docstring_examples():
    import doctest

    assert doctest.testmod(ch05).failed == 0
