"""Checkers for the exercises of chapter 03 (reduced-rank regression).

Examples
--------
>>> import numpy as np
>>> def rrr(Sx, Syx, k):
...     e, Q = np.linalg.eigh(Sx)
...     R = (Q / np.sqrt(e)) @ Q.T
...     A, s, Bt = np.linalg.svd(Syx @ R, full_matrices=False)
...     return (A[:, :k] * s[:k]) @ Bt[:k] @ R
>>> check_rrr_data(rrr)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import estimators, problems
from ._base import _fail, check_close, check_shape

__all__ = ["check_rrr_data", "rrr_test_problem"]

_HINT = (
    "Izenman's reduced-rank regression minimises the loss itself: L(W) - L(W*) = "
    "1/2 ||(W - W*) Sx^{1/2}||_F^2, so truncate B = W* Sx^{1/2} = Syx Sx^{-1/2} and map back: "
    "W_k = [Syx Sx^{-1/2}]_k Sx^{-1/2}."
)


def rrr_test_problem(seed: int = 0) -> problems.Problem:
    """The non-commuting test problem of :func:`check_rrr_data` (d = 4, p = 3).

    On it the data-metric solution, the moment-metric solution and the truncated least-squares
    solution are three different matrices for every ``k`` in ``{1, 2}``.
    """
    rng = np.random.default_rng(seed)
    n, d, p = 60, 4, 3
    X = rng.standard_normal((n, d)) @ (rng.standard_normal((d, d)) + 1.5 * np.eye(d))
    Y = X @ rng.standard_normal((p, d)).T + 0.5 * rng.standard_normal((n, p))
    return problems.from_data(X, Y)


def _sx_powers(P: problems.Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e, Q = np.linalg.eigh(P.Sx)
    return (Q * np.sqrt(e)) @ Q.T, (Q / np.sqrt(e)) @ Q.T, (Q / e) @ Q.T


def _wrong_answers(P: problems.Problem, k: int) -> list[tuple[np.ndarray, str]]:
    half, inv_half, inv = _sx_powers(P)
    lra = estimators.low_rank_approx
    q = min(P.p, P.d)
    out = [
        (estimators.reduced_rank(P, k, "moment"),
         "you solved the moment-metric problem argmin ||Syx - W Sx||_F = [Syx]_k Sx^{-1}, which "
         "ranks directions by the singular values of Syx, not by the loss they remove."),
        (lra(P.Syx @ inv, k),
         "you truncated the least-squares solution W* = Syx Sx^{-1} in the plain Frobenius norm; "
         "the loss measures W - W* through Sx^{1/2}, so truncate W* Sx^{1/2} instead."),
        (lra(P.Syx @ inv_half, k) @ half,
         "you mapped back with Sx^{+1/2}: if B = W Sx^{1/2} then W = B Sx^{-1/2}."),
        (lra(P.Syx @ half, k) @ inv_half,
         "you truncated Syx Sx^{+1/2}; the matrix to truncate is W* Sx^{1/2} = Syx Sx^{-1/2}."),
    ]
    for kk in (k - 1, k + 1):
        if 0 <= kk <= q:
            out.append((estimators.reduced_rank(P, kk, "data"),
                        f"your answer is the rank-{kk} solution: keep exactly k = {k} singular "
                        "triplets (Python slices [:k])."))
    return out


def check_rrr_data(rrr: Callable[..., Any], seed: int = 0) -> str:
    """Check ``rrr(Sx, Syx, k) -> W``, Izenman's reduced-rank regression from the moments.

    Compared with :func:`gdlinear.estimators.reduced_rank` (``metric="data"``) for ``k = 1, 2``
    on a non-commuting problem, where the moment-metric solution, the truncated least-squares
    solution and common slips give different matrices; each is recognised and named.

    Parameters
    ----------
    rrr : callable
        The learner's function; it receives copies of ``Sx`` (d, d), ``Syx`` (p, d) and ``k``.
    seed : int
        Seed of the test problem (:func:`rrr_test_problem`).

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        With a specific hint when the answer is wrong.
    """
    if not callable(rrr):
        _fail(f"rrr must be a function rrr(Sx, Syx, k), got {type(rrr).__name__}.", _HINT)
    P = rrr_test_problem(seed)
    worst = 0.0
    for k in (1, 2):
        expected = estimators.reduced_rank(P, k, "data")
        answer = rrr(np.array(P.Sx), np.array(P.Syx), k)
        if answer is None or answer is Ellipsis:
            _fail("rrr returned nothing: the exercise stub is not filled in yet.", _HINT)
        check_shape(f"W_{k}", answer, (P.p, P.d), hint="W maps inputs to outputs: (p, d).")
        A = np.asarray(answer, dtype=float)
        scale = np.linalg.norm(expected)
        err = np.linalg.norm(A - expected) / scale
        if np.isfinite(err) and err <= 1e-8:
            worst = max(worst, err)
            continue
        for wrong, hint in _wrong_answers(P, k):
            if np.linalg.norm(A - wrong) <= 1e-8 * scale:
                _fail(f"Not yet: for k = {k} your W is not the data-metric solution "
                      f"(relative error {err:.2e}).", hint)
        check_close(f"W_{k}", A, expected, rtol=1e-8, atol=1e-10 * scale, hint=_HINT)
    return f"Correct: reduced-rank regression in the data metric (relative error {worst:.1e})."
