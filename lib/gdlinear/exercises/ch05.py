"""Checkers for the exercises of chapter 5 (discrete dynamics).

Each checker takes the learner's *function*, evaluates it on a few problems, compares with the
library's reference computation and returns a success message, or raises ``AssertionError`` with
a hint that names the likely slip (the flow's rate instead of the discrete one, a missing factor
2, physical time instead of iterations, an off-by-one hitting time, the initial scale put on each
factor instead of on the product).

Examples
--------
>>> import numpy as np
>>> check_critical_times(lambda sigma, eta: 1 / (2 * np.log1p(eta * np.asarray(sigma))))[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import theory
from ._base import _fail, check_close, check_equal

__all__ = ["check_critical_times", "check_half_target_times", "CASES_CRITICAL", "CASES_HALF"]

#: (sigma, eta) pairs on which :func:`check_critical_times` evaluates the learner's function.
CASES_CRITICAL: tuple[tuple[tuple[float, ...], float], ...] = (
    ((1.0, 0.7, 0.4, 0.2), 0.4),
    ((3.0, 1.0), 0.1),
)

#: (sigma, lam, eta, delta, steps) on which :func:`check_half_target_times` evaluates.
CASES_HALF: tuple[tuple[tuple[float, ...], tuple[float, ...], float, float, int], ...] = (
    ((1.0, 0.7, 0.4, 0.2), (2.0, 0.5, 1.0, 1.5), 0.4, 30.0, 400),
    ((2.0, 0.5), (1.0, 1.0), 0.2, 20.0, 400),
)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=0.0))


def _call(fn: Callable[..., Any], args: tuple, name: str) -> np.ndarray:
    if not callable(fn):
        _fail(f"pass your function itself (e.g. {name}, without parentheses), got "
              f"{type(fn).__name__}.", "")
    out = fn(*args)
    if out is None or out is Ellipsis:
        _fail(f"{name}{args} returned {out!r}: the stub is not filled in yet.",
              "return an array with one entry per mode.")
    return np.asarray(out, dtype=float)


def check_critical_times(fn: Callable[[Any, float], Any]) -> str:
    """Check ``fn(sigma, eta)`` against ``T_i^eta = 1 / (2 ln(1 + eta sigma_i))``.

    The critical time is counted in iterations per unit ``delta`` (initial mode strength
    ``e^{-delta}``), see :func:`gdlinear.theory.critical_times`.

    Parameters
    ----------
    fn : callable
        The learner's ``discrete_critical_times(sigma, eta)``; ``sigma`` is a 1-D array.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        With a hint naming the slip.
    """
    for sigma, eta in CASES_CRITICAL:
        s = np.asarray(sigma, dtype=float)
        got = _call(fn, (s, eta), "discrete_critical_times")
        expected = theory.critical_times(s, eta)
        if got.shape != expected.shape:
            _fail(f"discrete_critical_times(sigma, eta) has shape {got.shape}; expected one "
                  f"value per mode, shape {expected.shape}.", "work with numpy arrays, "
                  "e.g. np.log1p(eta * sigma).")
        hint = ("each iteration multiplies a small w_i by (1 + eta sigma_i)^2, so delta units of "
                "ln(1/w) take delta / (2 ln(1 + eta sigma_i)) iterations.")
        if _close(got, 1.0 / (2.0 * eta * s)):
            hint = ("you used the flow's rate eta*sigma (in iterations: 1/(2 eta sigma)); the "
                    "discrete growth factor per step is (1 + eta sigma)^2, so the rate is "
                    "ln(1 + eta sigma).")
        elif _close(got, 1.0 / (2.0 * s)):
            hint = ("1/(2 sigma) is the gradient flow's critical time in time t; for gradient "
                    "descent count iterations: 1/(2 ln(1 + eta sigma)).")
        elif _close(got, eta * expected):
            hint = ("you returned the physical time eta * T; the question asks for iterations "
                    "per unit delta (divide by eta).")
        elif _close(got, 1.0 / np.log1p(eta * s)):
            hint = ("missing factor 2: w = a^2 is a product of two factors that each grow by "
                    "(1 + eta sigma) per step, so w grows by (1 + eta sigma)^2.")
        elif _close(got, 1.0 / (2.0 * np.abs(np.log(eta * s)))):
            hint = "the logarithm is of 1 + eta sigma (np.log1p(eta * sigma)), not of eta sigma."
        check_close(f"T^eta for sigma = {sigma}, eta = {eta}", got, expected, rtol=1e-6,
                    hint=hint)
    return ("Correct: T_i^eta = 1/(2 ln(1 + eta sigma_i)) iterations per unit delta, on "
            f"{len(CASES_CRITICAL)} test problems.")


def _half_times(sigma, lam, eta, w0, steps) -> np.ndarray:
    w = theory.mode_map(sigma, lam, eta, w0, steps)
    return theory.hitting_time(w, np.asarray(sigma) / (2.0 * np.asarray(lam)))


def check_half_target_times(fn: Callable[..., Any]) -> str:
    """Check ``fn(sigma, lam, eta, delta, steps)`` against the measured half-target times.

    Expected: ``tau_i = min {t : w_i(t) >= sigma_i / (2 lam_i)}`` for the balanced mode map
    ``w+ = w (1 + eta (sigma - lam w))^2`` from ``w_i(0) = e^{-delta}`` (``-1`` if not reached
    within ``steps`` iterations).

    Parameters
    ----------
    fn : callable
        The learner's ``half_target_times(sigma, lam, eta, delta, steps)``.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        With a hint naming the slip.
    """
    for sigma, lam, eta, delta, steps in CASES_HALF:
        s, la = np.asarray(sigma, dtype=float), np.asarray(lam, dtype=float)
        got = _call(fn, (s, la, eta, delta, steps), "half_target_times")
        expected = _half_times(s, la, eta, np.exp(-delta), steps)
        if got.shape != expected.shape:
            _fail(f"half_target_times(...) has shape {got.shape}; expected one iteration count "
                  f"per mode, shape {expected.shape}.", "np.argmax(w >= level, axis=0) gives "
                  "the first index per column.")
        hint = "iterate the balanced mode map from w(0) = exp(-delta) and take the first t with "\
               "w_i(t) >= sigma_i / (2 lam_i)."
        if np.array_equal(got, expected - 1) or np.array_equal(got, expected + 1):
            hint = ("off by one: the hitting time is the FIRST iteration t with "
                    "w_i(t) >= sigma_i/(2 lam_i), counting the initial point as t = 0.")
        elif np.array_equal(got, _half_times(s, la, eta, np.exp(-delta / 2), steps)):
            hint = ("the product starts at e^{-delta}: each factor carries e^{-delta/2}, but the "
                    "mode strength w = a^2 starts at exp(-delta).")
        elif np.array_equal(got, theory.hitting_time(theory.mode_map(s, la, eta, np.exp(-delta),
                                                                    steps), s / 2.0)):
            hint = ("the target of mode i is sigma_i / lam_i, so the half-target level is "
                    "sigma_i / (2 lam_i), not sigma_i / 2.")
        check_equal(f"half-target times for sigma = {sigma}, lam = {lam}, eta = {eta}, "
                    f"delta = {delta}", got.astype(np.int64).tolist(), expected.tolist(),
                    hint=hint)
    return ("Correct: your half-target times match the mode map on "
            f"{len(CASES_HALF)} test problems.")
