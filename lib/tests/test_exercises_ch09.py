"""The chapter 9 checker accepts the right answer and rejects typical wrong ones with a hint."""

import numpy as np
import pytest

from gdlinear import theory
from gdlinear.exercises import ch09


def right(sigma, lam, eta, w0, steps, depth):
    s = np.full(len(sigma), w0 ** (1 / depth))
    out = [s**depth]
    for _ in range(steps):
        s = s + eta * s ** (depth - 1) * (sigma - lam * s**depth)
        out.append(s**depth)
    return np.array(out)


def _run(update, start, finish):
    def fn(sigma, lam, eta, w0, steps, depth):
        x = start(sigma, w0, depth)
        out = [finish(x, depth)]
        for _ in range(steps):
            x = update(x, sigma, lam, eta, depth)
            out.append(finish(x, depth))
        return np.array(out)

    return fn


def _factor(sigma, w0, L):
    return np.full(len(sigma), w0 ** (1 / L))


def _product(sigma, w0, L):
    return np.full(len(sigma), float(w0))


def _pow(x, L):
    return x**L


def _same(x, L):
    return x


WRONG = {
    "euler on w": (
        _run(lambda w, s, lam, eta, L: w + eta * L * w ** (2 - 2 / L) * (s - lam * w),
             _product, _same),
        "Euler step",
    ),
    "exponent L": (
        _run(lambda x, s, lam, eta, L: x + eta * x**L * (s - lam * x**L), _factor, _pow),
        "exponent is L - 1",
    ),
    "returns s": (
        _run(lambda x, s, lam, eta, L: x + eta * x ** (L - 1) * (s - lam * x**L), _factor, _same),
        "returned the factor entry",
    ),
    "residual with s": (
        _run(lambda x, s, lam, eta, L: x + eta * x ** (L - 1) * (s - lam * x), _factor, _pow),
        "not sigma - lam s",
    ),
    "two-layer map": (
        _run(lambda w, s, lam, eta, L: w * (1 + eta * (s - lam * w)) ** 2, _product, _same),
        "two-layer map",
    ),
}


def test_accepts_the_right_answer_and_the_library():
    assert ch09.check_deep_gd_modes(right).startswith("Correct")
    assert ch09.check_deep_gd_modes(
        lambda s, lam, eta, w0, steps, L: theory.mode_map_deep(s, lam, eta, w0, steps, L)
    ).startswith("Correct")


@pytest.mark.parametrize("name", list(WRONG))
def test_rejects_typical_slips_with_a_specific_hint(name):
    fn, hint = WRONG[name]
    with pytest.raises(AssertionError, match=hint):
        ch09.check_deep_gd_modes(fn)


def test_rejects_stub_shapes_errors():
    with pytest.raises(AssertionError, match="stub"):
        ch09.check_deep_gd_modes(lambda *a: None)
    with pytest.raises(AssertionError, match="first row must be the initial"):
        ch09.check_deep_gd_modes(lambda *a: right(*a)[1:])
    with pytest.raises(AssertionError, match="one row per iteration"):
        ch09.check_deep_gd_modes(lambda *a: right(*a).T)
    with pytest.raises(AssertionError, match="without parentheses"):
        ch09.check_deep_gd_modes(np.zeros(3))
    with pytest.raises(AssertionError, match="raised KeyError"):
        ch09.check_deep_gd_modes(lambda *a: {}["x"])
    with pytest.raises(AssertionError, match="record"):
        ch09.check_deep_gd_modes(lambda *a: right(*a) * 1.01)


def test_docstring_example():
    import doctest

    assert doctest.testmod(ch09).failed == 0
