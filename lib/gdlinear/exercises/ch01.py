"""Checkers for the exercises of chapter 01 (the phenomenon).

Examples
--------
>>> import numpy as np
>>> def plateau_levels(sigma):
...     s2 = np.asarray(sigma, dtype=float) ** 2
...     return 0.5 * np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])
>>> check_plateau_levels(plateau_levels)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import estimators, problems
from ._base import _fail, check_close

__all__ = ["check_plateau_levels", "plateau_test_sigma"]

_HINT = (
    "With whitened inputs L(W) = 1/2 ||W - W*||_F^2, and the best rank-k approximation keeps the "
    "k largest singular values of W*, so the level of plateau k is 1/2 (sigma_{k+1}^2 + ... + "
    "sigma_m^2), for k = 0, 1, ..., m."
)


def plateau_test_sigma() -> np.ndarray:
    """The singular values on which :func:`check_plateau_levels` tests the learner's function.

    Five distinct values, so that summing the wrong side, forgetting a square or shifting the
    index by one all give different arrays.
    """
    return np.array([1.0, 0.7, 0.45, 0.2, 0.1])


def _reference(sigma: np.ndarray) -> np.ndarray:
    """Loss of the best rank-k approximation, k = 0..m, from the library (not from the formula)."""
    P = problems.commuting(sigma, seed=0)
    levels = np.asarray(P.loss(estimators.reduced_rank_path(P, "moment")), dtype=float)
    levels[np.abs(levels) < 1e-12 * levels[0]] = 0.0  # rounding of the exact 0 at k = m
    return levels


def _wrong_answers(sigma: np.ndarray) -> list[tuple[np.ndarray, str]]:
    s2 = sigma**2
    tail = np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])  # sum_{j > k}, k = 0..m
    head = np.concatenate([[0.0], np.cumsum(s2)])  # sum_{j <= k}
    s1 = np.concatenate([np.cumsum(sigma[::-1])[::-1], [0.0]])
    return [
        (0.5 * head, "you summed the directions already LEARNED (j <= k); the loss on plateau k "
                     "comes from the directions NOT yet learned, j > k, so it decreases with k."),
        (0.5 * s1, "you summed the singular values sigma_j; the loss is a squared norm, so it sums "
                   "their squares sigma_j^2."),
        (tail, "your levels are twice too large: L(W) = 1/2 ||W - W*||_F^2 carries a factor 1/2."),
        (0.5 * tail[1:], "you returned m values; there are m + 1 plateaus, k = 0 (nothing "
                         "learned, L = 1/2 sum_j sigma_j^2) to k = m (everything learned, L = 0)."),
        (0.5 * tail[:-1], "you returned m values and left out the last one, k = m (everything "
                          "learned, L = 0): there are m + 1 levels."),
        (0.5 * np.concatenate([tail[1:], [0.0]]),
         "your index is shifted by one: level k must include sigma_{k+1}^2 (the first direction "
         "not yet learned), and level 0 is the loss of W = 0."),
    ]


def check_plateau_levels(plateau_levels: Callable[[np.ndarray], Any]) -> str:
    """Check ``plateau_levels(sigma) -> levels``, the loss of the best rank-``k`` map, k = 0..m.

    For whitened inputs and a noiseless target ``W*`` with singular values ``sigma`` (sorted,
    decreasing) the expected answer is ``levels[k] = 1/2 sum_{j > k} sigma_j^2``. The reference
    is computed by the library (:func:`gdlinear.estimators.reduced_rank_path` and
    :meth:`gdlinear.problems.Problem.loss`), not from this formula. Typical slips (summing the
    learned side, forgetting the square or the 1/2, returning ``m`` values instead of ``m + 1``,
    an index shifted by one) are recognised and named.

    Parameters
    ----------
    plateau_levels : callable
        The learner's function; it receives a copy of :func:`plateau_test_sigma`.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        With a specific hint when the levels are wrong.
    """
    if not callable(plateau_levels):
        _fail(f"plateau_levels must be a function of sigma, got {type(plateau_levels).__name__}.",
              _HINT)
    sigma = plateau_test_sigma()
    expected = _reference(sigma)
    out = plateau_levels(sigma.copy())
    if out is None or out is Ellipsis:
        _fail("plateau_levels returned nothing: the exercise stub is not filled in yet (return "
              "an array of m + 1 loss levels).", _HINT)
    try:
        answer = np.asarray(out, dtype=float).ravel()
    except (TypeError, ValueError):
        _fail(f"plateau_levels must return an array of numbers, got {type(out).__name__}.", _HINT)
    for wrong, hint in _wrong_answers(sigma):
        if answer.shape == wrong.shape and np.allclose(answer, wrong, rtol=1e-9, atol=1e-12):
            _fail(f"Not yet: for sigma = {sigma.tolist()} your levels are "
                  f"{np.round(answer, 5).tolist()}.", hint)
    if answer.shape != expected.shape:
        _fail(f"plateau_levels returned {answer.size} values for m = {sigma.size} singular "
              f"values; expected m + 1 = {expected.size} (k = 0, ..., m).", _HINT)
    check_close("plateau levels", answer, expected, rtol=1e-9, atol=1e-12, hint=_HINT)
    err = float(np.max(np.abs(answer - expected)))
    return (f"Correct: your {answer.size} plateau levels are the losses of the best rank-k "
            f"approximations, k = 0..{sigma.size} (max error {err:.1e}).")
