"""Checkers for the exercises of chapter 4 (gradient flow).

The checker takes the learner's *function*, evaluates it on a few problems, compares it with the
library's reference (:func:`gdlinear.theory.learning_time`, the exact inversion of the logistic
closed form) and returns a success message, or raises ``AssertionError`` with a hint that names the
likely slip: the rate ``sigma`` instead of ``2 sigma``, the small-initialisation approximation
instead of the exact time, a forgotten ``lambda``, the linear model's time, ``f/(1-f)`` upside down.

Examples
--------
>>> import numpy as np
>>> def ok(sigma, lam, w0, frac):
...     return np.log(frac / (1 - frac) * (sigma / (lam * w0) - 1)) / (2 * sigma)
>>> check_learning_time(ok)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import theory
from ._base import _fail, check_close

__all__ = ["check_learning_time", "CASES_LEARNING_TIME"]

#: (sigma, lam, w0, frac) on which :func:`check_learning_time` evaluates the learner's function.
#: The initialisations are not small, so that the exact time and its small-``w0``
#: approximation differ clearly.
CASES_LEARNING_TIME: tuple[tuple[tuple[float, ...], tuple[float, ...], float, float], ...] = (
    ((1.0, 0.7, 0.4), (2.0, 0.5, 1.0), 0.05, 0.5),
    ((1.0, 0.7, 0.4), (2.0, 0.5, 1.0), 0.02, 0.9),
    ((2.0, 0.5), (1.0, 0.25), 0.1, 0.25),
)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=0.0))


def _diagnose(got: np.ndarray, s: np.ndarray, lam: np.ndarray, w0: float, f: float,
              expected: np.ndarray) -> str:
    """The hint for the most likely slip, or a generic one."""
    odds = f / (1.0 - f)
    with np.errstate(divide="ignore", invalid="ignore"):
        slips = [
            (2.0 * expected,
             "you used the rate sigma instead of 2 sigma: for a balanced mode "
             "dw/dt = (a^2 + b^2)(sigma - lam w) = 2 w (sigma - lam w), so divide by 2 sigma."),
            (0.5 * expected,
             "your time is half the exact one: the logistic rate is 2 sigma (not 4 sigma); "
             "divide the logarithm by 2 sigma."),
            (np.log(odds * s / (lam * w0)) / (2.0 * s),
             "you dropped the '- 1' in sigma/(lam w0) - 1: ln(f/(1-f) sigma/(lam w0))/(2 sigma) "
             "is only the small-initialisation approximation; invert the closed form exactly."),
            (np.log(odds * (s / w0 - 1.0)) / (2.0 * s),
             "lambda is missing: the normalised start is u0 = lam w0 / sigma, so the argument is "
             "f/(1-f) * (sigma/(lam w0) - 1)."),
            (np.log(odds * (1.0 / (lam * w0) - 1.0)) / (2.0 * s),
             "the normalised start is u0 = lam w0 / sigma (the target is sigma/lam, not 1/lam)."),
            (np.log((1.0 - lam * w0 / s) / (1.0 - f)) / lam,
             "this is the linear model's learning time (rate lam); the two-layer network follows "
             "the logistic equation dw/dt = 2 w (sigma - lam w)."),
            (np.log((1.0 / odds) * (s / (lam * w0) - 1.0)) / (2.0 * s),
             "f/(1-f) is upside down: at the learning time 1/u - 1 = (1 - f)/f, so "
             "e^{2 sigma t} = (1/u0 - 1) f/(1 - f)."),
        ]
    for value, hint in slips:
        if np.all(np.isfinite(value)) and _close(got, value):
            return hint
    return ("invert the closed form w(t) = (sigma/lam) / (1 + (sigma/(lam w0) - 1) e^{-2 sigma t}) "
            "at w = f sigma/lam: t = ln( f/(1-f) * (sigma/(lam w0) - 1) ) / (2 sigma).")


def check_learning_time(fn: Callable[..., Any]) -> str:
    """Check ``fn(sigma, lam, w0, frac)`` against the exact learning time of the balanced flow.

    Expected: ``t_i = ln( frac/(1-frac) * (sigma_i/(lam_i w0) - 1) ) / (2 sigma_i)``, the first
    time at which ``w_i = frac * sigma_i / lam_i`` (:func:`gdlinear.theory.learning_time`).

    Parameters
    ----------
    fn : callable
        The learner's ``flow_learning_time(sigma, lam, w0, frac)``; ``sigma`` and ``lam`` are 1-D
        arrays, ``w0`` and ``frac`` scalars.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        With a hint naming the slip.
    """
    if not callable(fn):
        _fail(f"pass your function itself (flow_learning_time, without parentheses), got "
              f"{type(fn).__name__}.", "")
    for sigma, lam, w0, f in CASES_LEARNING_TIME:
        s = np.asarray(sigma, dtype=float)
        la = np.asarray(lam, dtype=float)
        args = (s.copy(), la.copy(), w0, f)
        try:
            out = fn(*args)
        except Exception as exc:  # report the learner's error with the inputs
            _fail(f"flow_learning_time(sigma={sigma}, lam={lam}, w0={w0}, frac={f}) raised "
                  f"{type(exc).__name__}: {exc}", "use numpy operations on arrays, "
                  "e.g. np.log(...) / (2 * sigma).")
        if out is None or out is Ellipsis:
            _fail("flow_learning_time returned None: the stub is not filled in yet.",
                  "return an array with one time per mode.")
        got = np.asarray(out, dtype=float)
        expected = theory.learning_time(s, la, w0, frac=f)
        if got.shape != expected.shape:
            _fail(f"flow_learning_time(sigma, lam, w0, frac) has shape {got.shape}; expected one "
                  f"time per mode, shape {expected.shape}.", "work with numpy arrays.")
        hint = "" if _close(got, expected) else _diagnose(got, s, la, w0, f, expected)
        check_close(f"learning times for sigma = {sigma}, lam = {lam}, w0 = {w0}, frac = {f}",
                    got, expected, rtol=1e-6, hint=hint)
    return ("Correct: t_i(f) = ln(f/(1-f) (sigma_i/(lam_i w0) - 1)) / (2 sigma_i), exact on "
            f"{len(CASES_LEARNING_TIME)} test problems.")
