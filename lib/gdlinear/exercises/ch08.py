"""Checkers for chapter 08 (beyond the assumptions).

:func:`check_saddle_curvature` checks a learner's ``saddle_curvature(sigma, lam, r)``: the smallest
eigenvalue of the 2 x 2 "swap" blocks of the Hessian of a width-``r`` two-layer network at the
plateau that carries modes ``1..r`` (the moment-metric reduced-rank solution). The reference is
:func:`gdlinear.theory.saddle_curvature`.

Examples
--------
>>> from gdlinear import theory
>>> check_saddle_curvature(theory.saddle_curvature)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import theory
from ._base import check_close

__all__ = ["CURVATURE_CASES", "check_saddle_curvature"]

#: ``(sigma, lam, r)`` cases of :func:`check_saddle_curvature`: the running example of chapters 5
#: to 8 at every width, the explorer's "metrics disagree" problem, and a whitened problem (a
#: global minimum, positive curvature).
CURVATURE_CASES: tuple[tuple[tuple[float, ...], tuple[float, ...], int], ...] = (
    ((1.0, 0.7, 0.4, 0.2), (2.0, 0.5, 1.0, 1.5), 1),
    ((1.0, 0.7, 0.4, 0.2), (2.0, 0.5, 1.0, 1.5), 2),
    ((1.0, 0.7, 0.4, 0.2), (2.0, 0.5, 1.0, 1.5), 3),
    ((1.0, 0.6, 0.3), (4.0, 1.0, 0.5), 1),
    ((1.0, 0.6, 0.3), (4.0, 1.0, 0.5), 2),
    ((1.0, 0.6, 0.3), (1.0, 1.0, 1.0), 1),
    ((1.0, 0.8, 0.5, 0.3, 0.1), (3.0, 0.6, 2.0, 0.2, 0.5), 2),
)


def _blocks(sigma: np.ndarray, lam: np.ndarray, pairs, swap: bool = False) -> np.ndarray:
    out = []
    for i, j in pairs:
        a = (lam[i] * sigma[i] / lam[j]) if swap else (lam[j] * sigma[i] / lam[i])
        B = np.array([[a, -sigma[j]], [-sigma[j], sigma[i]]])
        out.append(np.linalg.eigvalsh(B))
    return np.array(out)


def _slips(sigma, lam, r) -> list[tuple[float, str]]:
    s, la = np.asarray(sigma, float), np.asarray(lam, float)
    m = s.size
    across = [(i, j) for i in range(r) for j in range(r, m)]
    every = [(i, j) for i in range(m) for j in range(m) if i < j]
    shifted = [(i, j) for i in range(r - 1) for j in range(r - 1, m)] or across
    return [
        (float(_blocks(s, la, across, swap=True)[:, 0].min()),
         "lambda_i and lambda_j are swapped in your block: moving row i of W1 along v_j costs "
         "lambda_j (the input variance along v_j) times a_i^2 = sigma_i/lambda_i, so the first "
         "diagonal entry is lambda_j sigma_i / lambda_i."),
        (float(_blocks(s, la, every)[:, 0].min()),
         "only the pairs with i <= r < j count: mode i must be carried by the network "
         "(i <= r) and mode j must be absent (j > r); two learned (or two absent) modes give no "
         "swap block."),
        (float(_blocks(s, la, across)[:, 0].max()),
         "take the minimum over the pairs (i, j), not the maximum: one negative block is enough "
         "to make the plateau a saddle."),
        (float(_blocks(s, la, across)[:, 1].min()),
         "you took the larger eigenvalue of each block: the curvature that matters is the "
         "smaller one, (a + d)/2 - sqrt(((a - d)/2)^2 + sigma_j^2)."),
        (float(min(min(la[j] * s[i] / la[i], s[i]) for i, j in across)),
         "you forgot the off-diagonal entries -sigma_j: they come from the gradient term "
         "2 <G, Delta2 Delta1>, with G = -sum_{j > r} sigma_j u_j v_j^T at the plateau."),
        (float(_blocks(s, la, shifted)[:, 0].min()),
         "off by one in the indices: with 0-based arrays the learned modes are 0..r-1 and the "
         "absent ones r..m-1."),
    ]


def check_saddle_curvature(saddle_curvature: Callable[..., Any]) -> str:
    """Check ``saddle_curvature(sigma, lam, r) -> float`` on every case of
    :data:`CURVATURE_CASES`.

    Parameters
    ----------
    saddle_curvature : callable
        ``saddle_curvature(sigma, lam, r)`` with arrays ``sigma`` (decreasing) and ``lam`` of
        length ``m`` and a width ``1 <= r < m``; returns the smallest eigenvalue of the blocks
        ``[[lam_j sigma_i / lam_i, -sigma_j], [-sigma_j, sigma_i]]`` over ``i <= r < j``.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        On the first wrong case, with a hint specific to the slip when one explains every answer
        (swapped lambdas, all pairs instead of ``i <= r < j``, a maximum, the larger eigenvalue,
        no off-diagonal term, an index shifted by one).

    Examples
    --------
    >>> from gdlinear import theory
    >>> check_saddle_curvature(theory.saddle_curvature).startswith("Correct")
    True
    """
    if not callable(saddle_curvature):
        raise AssertionError(
            f"pass your function itself (saddle_curvature), got {type(saddle_curvature).__name__}"
        )
    answers = [saddle_curvature(np.array(s), np.array(la), r) for s, la, r in CURVATURE_CASES]
    values = []
    for answer in answers:
        try:
            values.append(float(np.asarray(answer, dtype=float).reshape(())))
        except (TypeError, ValueError):
            values.append(np.nan)
    hint = ("build, for every learned mode i <= r and absent mode j > r, the block "
            "[[lam_j sigma_i / lam_i, -sigma_j], [-sigma_j, sigma_i]] and return the smallest "
            "eigenvalue over all these blocks.")
    slips = [_slips(s, la, r) for s, la, r in CURVATURE_CASES]
    for j in range(len(slips[0])):            # a slip that explains every answer
        wrong = np.array([case[j][0] for case in slips])
        if np.all(np.isclose(values, wrong, rtol=1e-9, atol=1e-12)):
            hint = slips[0][j][1]
            break
    for (s, la, r), answer in zip(CURVATURE_CASES, answers, strict=True):
        expected = theory.saddle_curvature(s, la, r)
        check_close(f"saddle_curvature(sigma={s}, lam={la}, r={r})", answer, expected,
                    rtol=1e-9, atol=1e-12, hint=hint)
    return (f"Correct: saddle_curvature matches the Hessian's swap blocks on all "
            f"{len(CURVATURE_CASES)} cases (saddles and minima).")
