"""Checkers for chapter 10 (generalization: a noisy low-rank teacher).

:func:`check_ridge_risk` checks a learner's ``ridge_risk(split, alpha) -> (bias, variance)``: the
expected excess risk of ridge regression ``W = Syx (Sx + alpha I)^{-1}`` over the training noise,
given the training inputs, split into its bias and variance. The reference is
:func:`gdlinear.estimators.linear_estimator_risk` with ``A = (Sx + alpha I)^{-1}``:

* ``bias = 1/2 tr(B C B^T)``, ``B = W_t Sx A - W_t``;
* ``variance = noise^2 p tr(A C A^T Sx) / (2 n)``,

with ``Sx`` the training moment, ``C`` the test covariance (``split.population.Sx``) and
``p`` the number of outputs.

Examples
--------
>>> def ridge_risk(split, alpha):
...     P = split.train
...     A = np.linalg.inv(P.Sx + alpha * np.eye(P.d))
...     return estimators.linear_estimator_risk(P, A, W_teacher=split.W_teacher,
...                                             C=split.population.Sx, noise=split.noise)
>>> check_ridge_risk(ridge_risk)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import estimators, problems
from ._base import _fail, check_close

__all__ = ["ALPHAS", "exercise_split", "check_ridge_risk"]

#: Ridge weights on which :func:`check_ridge_risk` evaluates the learner's function.
ALPHAS: tuple[float, ...] = (0.0, 0.05, 0.5, 3.0)


def exercise_split() -> problems.TeacherSplit:
    """The exercise's teacher: ``d = 8``, ``p = 5``, rank 2, ``n = 40`` samples, noise 0.6.

    Examples
    --------
    >>> split = exercise_split(); split.train.n, round(split.noise, 6)
    (40, 0.6)
    """
    return problems.teacher(d=8, p=5, rank=2, n_train=40, n_test=10, noise=0.6, seed=10)


def _parts(split: problems.TeacherSplit, alpha: float, *, Sx_test: bool = False,
           Sx_bias: bool = False, n_ridge: bool = False, with_p: bool = True,
           with_n: bool = True, minus_teacher: bool = True) -> tuple[float, float]:
    """Bias and variance, optionally with one of the typical slips."""
    P, Wt, noise = split.train, split.W_teacher, split.noise
    C = split.population.Sx
    a = alpha / P.n if n_ridge else alpha
    A = np.linalg.inv(P.Sx + a * np.eye(P.d))
    Cb = P.Sx if Sx_bias else C
    Cv = P.Sx if Sx_test else C
    B = Wt @ P.Sx @ A - (Wt if minus_teacher else 0.0)
    bias = 0.5 * float(np.trace(B @ Cb @ B.T))
    spread = float(np.trace(A @ Cv @ A.T @ P.Sx))
    variance = 0.5 * noise**2 * (P.p if with_p else 1) * spread / (P.n if with_n else 1)
    return bias, variance


_SLIPS: tuple[tuple[dict[str, bool], str], ...] = (
    ({"Sx_test": True},
     "your variance uses the training moment Sx where the test covariance C = "
     "split.population.Sx belongs: the risk is measured on fresh inputs, "
     "variance = noise^2 p tr(A C A^T Sx) / (2n)."),
    ({"Sx_bias": True},
     "your bias weighs the error with the training moment Sx; the excess risk weighs it with "
     "the test covariance C = split.population.Sx: bias = 1/2 tr(B C B^T)."),
    ({"n_ridge": True},
     "your ridge matrix is (Sx + alpha/n I)^{-1}, as for a penalty on ||Y - X W^T||^2 without "
     "the 1/(2n); the book's ridge minimises L(W) + alpha/2 ||W||_F^2, so "
     "A = (Sx + alpha I)^{-1}."),
    ({"with_p": False},
     "your variance is p times too small: each of the p outputs carries its own noise, so the "
     "variance has the factor tr(L^T L) = tr(I_p) = p."),
    ({"with_n": False},
     "your variance is n times too large: Syx averages n samples, so the noise part "
     "E^T X A / n has variance of order 1/n: variance = noise^2 p tr(A C A^T Sx) / (2n)."),
    ({"minus_teacher": False},
     "your bias is the size of the noiseless estimate W_t Sx A; the bias is its distance to the "
     "teacher, B = W_t Sx A - W_t."),
)


def _diagnose(split: problems.TeacherSplit, alpha: float, got: np.ndarray) -> str:
    exp = np.array(_parts(split, alpha))
    if np.allclose(got, 2 * exp, rtol=1e-6, atol=1e-14):
        return ("both terms are twice the expected values: the excess risk is HALF the "
                "C-weighted squared error, 1/2 tr((W - W_t) C (W - W_t)^T).")
    if np.allclose(got, exp[::-1], rtol=1e-6, atol=1e-14):
        return "you returned (variance, bias): return (bias, variance), in that order."
    for kwargs, hint in _SLIPS:
        slip = np.array(_parts(split, alpha, **kwargs))
        same = np.isclose(got, slip, rtol=1e-6, atol=1e-14)
        moved = ~np.isclose(slip, exp, rtol=1e-6, atol=1e-14)
        if np.all(same) and np.any(moved):
            return hint
    return ("compare with the proposition on estimators linear in the outputs: A = (Sx + alpha "
            "I)^{-1}, L = I_p, bias = 1/2 tr(B C B^T) with B = W_t Sx A - W_t, variance = "
            "noise^2 p tr(A C A^T Sx) / (2n).")


def check_ridge_risk(ridge_risk: Callable[..., Any]) -> str:
    """Check ``ridge_risk(split, alpha) -> (bias, variance)`` on :func:`exercise_split`.

    Evaluated at every ``alpha`` of :data:`ALPHAS` (``alpha = 0`` is least squares, whose bias
    is 0); each term must match :func:`~gdlinear.estimators.linear_estimator_risk` to a relative
    ``1e-6``.

    Parameters
    ----------
    ridge_risk : callable
        ``ridge_risk(split, alpha)`` returning the pair ``(bias, variance)``.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        On the first wrong case, with a hint specific to the slip when it is a typical one
        (a factor 2, the training moment where the test covariance belongs, the ridge scaled by
        n, a missing factor p or 1/n, the bias not measured from the teacher, swapped terms).
    """
    split = exercise_split()
    P = split.train
    hint_general = ("return the pair (bias, variance) of numbers for W = Syx (Sx + alpha I)^{-1}; "
                    "use split.train.Sx, split.train.n, split.population.Sx, split.W_teacher "
                    "and split.noise.")
    for alpha in ALPHAS:
        got = ridge_risk(split, alpha)
        if got is None or got is Ellipsis:
            _fail(f"ridge_risk(split, {alpha}) returned {got!r}: the exercise stub is not "
                  "filled in yet.", hint_general)
        try:
            pair = np.asarray(got, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            _fail(f"ridge_risk(split, {alpha}) must return two numbers (bias, variance), got "
                  f"{type(got).__name__}.", hint_general)
        if pair.size != 2:
            _fail(f"ridge_risk(split, {alpha}) must return two numbers (bias, variance), got "
                  f"{pair.size} values.", hint_general)
        A = np.linalg.inv(P.Sx + alpha * np.eye(P.d))
        b, v = estimators.linear_estimator_risk(P, A, W_teacher=split.W_teacher,
                                                C=split.population.Sx, noise=split.noise)
        expected = np.array([float(b), float(v)])
        if not np.allclose(pair, expected, rtol=1e-6, atol=1e-12):
            check_close(f"(bias, variance) at alpha = {alpha}", pair, expected, rtol=1e-6,
                        atol=1e-12, hint=_diagnose(split, alpha, pair))
    return (f"Correct: bias and variance of ridge match the proposition at alpha = "
            f"{', '.join(f'{a:g}' for a in ALPHAS)} (least squares has zero bias).")
