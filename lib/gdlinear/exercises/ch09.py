"""Checkers for the exercises of chapter 9 (depth).

The checker takes the learner's *function*, evaluates it on a few problems, compares it with the
library's reference (:func:`gdlinear.theory.mode_map_deep`, exact for full-matrix gradient descent
from a balanced spectral initialisation) and returns a success message, or raises
``AssertionError`` with a hint that names the likely slip: an Euler step on the product ``w``
instead of gradient descent on the factors, a wrong exponent in the factor update, the factor
``s`` returned instead of ``w = s^L``, the two-layer map used at every depth, a missing initial row.

Examples
--------
>>> import numpy as np
>>> def ok(sigma, lam, eta, w0, steps, depth):
...     s = np.full(len(sigma), w0 ** (1 / depth)); out = [s**depth]
...     for _ in range(steps):
...         s = s + eta * s ** (depth - 1) * (sigma - lam * s**depth); out.append(s**depth)
...     return np.array(out)
>>> check_deep_gd_modes(ok)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import theory
from ._base import _fail, check_close

__all__ = ["check_deep_gd_modes", "CASES_DEEP_GD"]

#: (sigma, lam, eta, w0, steps, depth) on which :func:`check_deep_gd_modes` evaluates.
CASES_DEEP_GD: tuple[tuple[tuple[float, ...], tuple[float, ...], float, float, int, int], ...] = (
    ((1.0, 0.5), (1.0, 2.0), 0.2, 0.02, 120, 3),
    ((0.8,), (1.5,), 0.1, 0.05, 150, 4),
    ((1.0, 0.6), (2.0, 0.5), 0.2, 0.01, 100, 2),
)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-8, atol=1e-12))


def _iterate(step: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, steps: int,
             out: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    xs = [out(x0)]
    x = x0
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x = step(x)
            xs.append(out(x))
    return np.array(xs)


def _slips(s: np.ndarray, lam: np.ndarray, eta: float, w0: float, steps: int,
           L: int) -> list[tuple[np.ndarray, str]]:
    """Typical wrong answers and their hints."""
    x0 = np.full(s.shape, w0 ** (1.0 / L))
    w_init = np.full(s.shape, float(w0))
    ident = lambda x: x  # noqa: E731
    power = lambda x: x**L  # noqa: E731
    return [
        (_iterate(lambda w: w + eta * L * w ** (2 - 2 / L) * (s - lam * w), w_init, steps, ident),
         "you took an Euler step of the flow dw/dt = L w^(2-2/L)(sigma - lam w) on the product "
         "w; gradient descent acts on the factors: update s+ = s + eta s^(L-1)(sigma - lam s^L) "
         "for the common factor entry s = w^(1/L), then return w = s^L."),
        (_iterate(lambda x: x + eta * x**L * (s - lam * x**L), x0, steps, power),
         "the gradient of (lam/2) s^(2L) - sigma s^L with respect to ONE factor is "
         "s^(L-1)(lam s^L - sigma): the exponent is L - 1, not L."),
        (_iterate(lambda x: x + eta * x ** (L - 1) * (s - lam * x**L), x0, steps, ident),
         "you returned the factor entry s; the mode strength is the product of the L factors, "
         "w = s^L."),
        (_iterate(lambda x: x + eta * x ** (L - 1) * (s - lam * x), x0, steps, power),
         "the residual is sigma - lam w with w = s^L (the product of the factors), not "
         "sigma - lam s."),
        (_iterate(lambda w: w * (1 + eta * (s - lam * w)) ** 2, w_init, steps, ident),
         "this is the two-layer map w+ = w (1 + eta(sigma - lam w))^2; at depth L each of the "
         "L factors moves by eta s^(L-1)(sigma - lam s^L)."),
    ]


def check_deep_gd_modes(fn: Callable[..., Any]) -> str:
    """Check ``fn(sigma, lam, eta, w0, steps, depth)`` against balanced depth-``L`` GD per mode.

    Expected: the array (steps + 1, m) of ``w_t = s_t^L`` with
    ``s_{t+1} = s_t + eta s_t^{L-1} (sigma - lam s_t^L)`` and ``s_0 = w0^{1/L}``
    (:func:`gdlinear.theory.mode_map_deep`).

    Parameters
    ----------
    fn : callable
        The learner's ``deep_gd_modes(sigma, lam, eta, w0, steps, depth)``; ``sigma`` and ``lam``
        are 1-D arrays.

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
        _fail(f"pass your function itself (deep_gd_modes, without parentheses), got "
              f"{type(fn).__name__}.", "")
    for sigma, lam, eta, w0, steps, L in CASES_DEEP_GD:
        s = np.asarray(sigma, dtype=float)
        la = np.asarray(lam, dtype=float)
        args = (s.copy(), la.copy(), eta, w0, steps, L)
        name = (f"deep_gd_modes(sigma={sigma}, lam={lam}, eta={eta}, w0={w0}, steps={steps}, "
                f"depth={L})")
        try:
            out = fn(*args)
        except Exception as exc:  # report the learner's error with the inputs
            _fail(f"{name} raised {type(exc).__name__}: {exc}",
                  "use numpy arrays: s = w0 ** (1 / depth) * np.ones(len(sigma)), then loop.")
        if out is None or out is Ellipsis:
            _fail("deep_gd_modes returned None: the stub is not filled in yet.",
                  "return an array of shape (steps + 1, m).")
        got = np.asarray(out, dtype=float)
        expected = theory.mode_map_deep(s, la, eta, w0, steps, L)
        if got.shape != expected.shape:
            hint = ("return one row per iteration t = 0, ..., steps (including w_0) and one column "
                    "per mode.")
            if got.shape == (steps, s.size):
                hint = "the first row must be the initial strength w_0 (steps + 1 rows in all)."
            _fail(f"{name} has shape {got.shape}; expected {expected.shape}.", hint)
        hint = ""
        if not _close(got, expected):
            hint = ("iterate s+ = s + eta s^(L-1)(sigma - lam s^L) from s = w0^(1/L) and record "
                    "w = s^L at every step, starting with w0.")
            for value, slip in _slips(s, la, eta, w0, steps, L):
                if np.all(np.isfinite(value)) and _close(got, value):
                    hint = slip
                    break
        check_close(name, got, expected, rtol=1e-8, atol=1e-12, hint=hint)
    return ("Correct: w_t = s_t^L with s+ = s + eta s^(L-1)(sigma - lam s^L), exact on "
            f"{len(CASES_DEEP_GD)} test problems (depths 2, 3 and 4).")
