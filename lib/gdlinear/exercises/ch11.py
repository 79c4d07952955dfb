"""Checker for the coding exercise of chapter 11 (large steps and stochastic gradients).

The learner writes ``batch_noise(X, Y, W, b)``: the exact mean squared error
``E ||G_B - G||_F^2`` of the minibatch gradient ``G_B = (1/b) sum_{k in B} (W x_k - y_k) x_k^T``
for a batch ``B`` of ``b`` distinct samples drawn uniformly (as in random reshuffling). The
checker compares it with :func:`gdlinear.dynamics.minibatch_gradient_noise` on a few problems and
recognises the usual slips: the with-replacement formula (no finite-population correction), a
wrong correction ``(n - b)/(n b)``, the standard deviation instead of the mean square, the
per-sample spread without the ``1/b``.

Examples
--------
>>> from gdlinear.dynamics import minibatch_gradient_noise
>>> from gdlinear.problems import from_data
>>> ok = lambda X, Y, W, b: minibatch_gradient_noise(from_data(X, Y), W, b)[0]
>>> check_batch_noise(ok)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dynamics, problems
from ._base import _fail, check_close

__all__ = ["check_batch_noise", "noise_cases"]


def noise_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """The ``(X, Y, W, b)`` on which :func:`check_batch_noise` evaluates the learner's function."""
    out = []
    for seed, (n, b) in enumerate(((30, 1), (30, 7), (64, 16), (64, 63))):
        P = problems.commuting_data([1.0, 0.5], n=n, noise=0.3, d=3, p=2, seed=seed)
        W = np.random.default_rng(seed).standard_normal((P.p, P.d))
        out.append((P.X, P.Y, W, b))
    return out


def check_batch_noise(fn: Callable[[Any, Any, Any, int], Any]) -> str:
    """Check ``fn(X, Y, W, b)`` against ``(n - b)/(b (n - 1)) * (1/n) sum_k ||g_k - G||_F^2``.

    Parameters
    ----------
    fn : callable
        The learner's ``batch_noise(X, Y, W, b)``; ``X`` (n, d), ``Y`` (n, p), ``W`` (p, d).

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
        _fail(f"pass your function itself (batch_noise, without parentheses), got "
              f"{type(fn).__name__}.", "")
    for X, Y, W, b in noise_cases():
        n = X.shape[0]
        expected, spread = dynamics.minibatch_gradient_noise(problems.from_data(X, Y), W, b)
        got = fn(X, Y, W, b)
        if got is None or got is Ellipsis:
            _fail("batch_noise returned None: the stub is not filled in yet.",
                  "return one number, E ||G_B - G||_F^2.")
        got = float(np.asarray(got, dtype=float).reshape(()))

        def near(x: float, got: float = got) -> bool:
            return bool(np.isclose(got, x, rtol=1e-6, atol=1e-14))

        hint = ("average ||g_k - G||^2 over the n samples, then multiply by the sampling factor "
                "(n - b) / (b (n - 1)) of a batch drawn without replacement.")
        if b < n and near(spread / b):
            hint = ("this is the with-replacement formula spread / b; batches of random "
                    "reshuffling have distinct samples, which multiplies it by (n - b)/(n - 1).")
        elif b < n and near((n - b) / (n * b) * spread):
            hint = ("almost: the finite-population factor is (n - b) / (b (n - 1)), with n - 1 "
                    "in the denominator (the samples of a batch are negatively correlated).")
        elif near(np.sqrt(expected)) and expected > 0:
            hint = "you returned the root mean square; the question asks for E ||G_B - G||_F^2."
        elif b > 1 and near(spread):
            hint = "this is the per-sample spread (b = 1); a batch of b samples divides it."
        check_close(f"E||G_B - G||^2 for n = {n}, b = {b}", got, expected, rtol=1e-6,
                    atol=1e-14, hint=hint)
    return (f"Correct: your batch_noise matches the exact formula on {len(noise_cases())} "
            "problems (including b = 1 and b = n - 1).")
