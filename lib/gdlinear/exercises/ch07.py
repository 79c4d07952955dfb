"""Checkers for chapter 07 (experiments).

:func:`check_plateau_rate` checks a learner's ``plateau_rate(sigma, eta, T)``: the exponential
rate in ``delta`` at which gradient descent (balanced spectral initialisation ``e^{-delta}``,
step ``eta`` with ``eta sigma_1 < 1/2``) approaches its plateau at rescaled time ``T``. The
reference is :func:`gdlinear.theory.plateau_error_rate`.

Examples
--------
>>> from gdlinear import theory
>>> check_plateau_rate(lambda sigma, eta, T: theory.plateau_error_rate(sigma, [T], eta)[0])[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import theory
from ._base import check_close

__all__ = ["RATE_SIGMA", "RATE_CASES", "check_plateau_rate"]

#: Singular values of the exercise (the running example of chapters 5 to 7).
RATE_SIGMA: np.ndarray = np.array([1.0, 0.7, 0.4, 0.2])

#: ``(eta, T)`` cases on which :func:`check_plateau_rate` evaluates the learner's function:
#: every plateau ``k = 0..4`` at ``eta = 0.2`` and ``eta = 0.4`` (``T`` in iterations per
#: unit delta; the critical times at ``eta = 0.2`` are 2.74, 3.82, 6.50, 12.75, at
#: ``eta = 0.4`` they are 1.49, 2.00, 3.26, 6.50).
RATE_CASES: tuple[tuple[float, float], ...] = (
    (0.2, 1.5), (0.2, 3.2), (0.2, 3.5), (0.2, 5.0), (0.2, 9.0), (0.2, 16.0),
    (0.4, 1.0), (0.4, 1.8), (0.4, 2.5), (0.4, 4.5), (0.4, 9.0),
)


def _slips(eta: float, T: float) -> list[tuple[float, str]]:
    s = RATE_SIGMA
    Tc = theory.critical_times(s, eta)
    learned = Tc < T
    k = int(learned.sum())
    nxt = [1.0 - T / Tc[k]] if k < s.size else []

    def rate(learned_rates: np.ndarray, next_rates: list[float]) -> float:
        return float(min([*learned_rates[learned], *next_rates]))

    exact = -np.log1p(-2.0 * eta * s)
    return [
        (rate((T - Tc) * 2.0 * eta * s, nxt),
         "your learned-mode rate uses 2 eta sigma_i per iteration: the exact local contraction "
         "of the mode map near its target is 1 - 2 eta sigma_i, so the rate per iteration is "
         "ln(1/(1 - 2 eta sigma_i)) (2 eta sigma_i is only its small-step approximation)."),
        (rate(T / Tc - 1.0, nxt),
         "you used the flow's rate T/T_i - 1 for the learned modes; for gradient descent a "
         "learned mode contracts by 1 - 2 eta sigma_i per iteration during delta (T - T_i) "
         "iterations: rate (T - T_i) ln(1/(1 - 2 eta sigma_i))."),
        (rate((T - Tc) * exact, []) if k > 0 else float("inf"),
         "you forgot the next mode: mode k+1 is still growing like e^{-delta (1 - T/T_{k+1})}, "
         "and the distance is set by the slowest of all the terms (a minimum over the learned "
         "modes AND the next one)."),
        (rate((T - Tc) * exact, [1.0 - T / Tc[k - 1]]),
         "the not-yet-learned term uses the wrong mode: the next mode to be learned is k+1, "
         "whose critical time T_{k+1} is the first one larger than T."),
        (float(max([*((T - Tc) * exact)[learned], *nxt])),
         "take the minimum, not the maximum: the slowest term dominates the distance."),
    ]


def check_plateau_rate(plateau_rate: Callable[..., Any]) -> str:
    """Check ``plateau_rate(sigma, eta, T) -> float`` on every case of :data:`RATE_CASES`.

    Parameters
    ----------
    plateau_rate : callable
        ``plateau_rate(sigma, eta, T)`` with ``sigma`` an array of distinct singular values,
        ``eta`` a step size with ``eta sigma_1 < 1/2`` and ``T`` a rescaled time (iterations per
        unit delta) that is not a critical time.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        On the first wrong case, with a hint specific to the slip when it is a typical one
        (the small-step rate ``2 eta sigma``, the flow's formula, a forgotten or wrong next mode,
        a maximum instead of a minimum).

    Examples
    --------
    >>> from gdlinear import theory
    >>> def plateau_rate(sigma, eta, T):
    ...     return theory.plateau_error_rate(sigma, [T], eta)[0]
    >>> check_plateau_rate(plateau_rate).startswith("Correct")
    True
    """
    if not callable(plateau_rate):
        raise AssertionError(
            f"pass your function itself (plateau_rate), got {type(plateau_rate).__name__}"
        )
    answers = [plateau_rate(RATE_SIGMA.copy(), eta, T) for eta, T in RATE_CASES]
    generic = ("the rate is the minimum of (T - T_i) ln(1/(1 - 2 eta sigma_i)) over the "
               "learned modes (T_i < T) and of 1 - T/T_{k+1} for the next mode, with "
               "T_i = 1/(2 ln(1 + eta sigma_i)).")
    hint = generic
    values = []
    for answer in answers:
        try:
            values.append(float(np.asarray(answer, dtype=float).reshape(())))
        except (TypeError, ValueError):
            values.append(np.nan)
    slips = [_slips(eta, T) for eta, T in RATE_CASES]
    for j in range(len(slips[0])):            # a slip that explains every answer
        wrong = np.array([case[j][0] for case in slips])
        if np.all(np.isclose(values, wrong, rtol=1e-9, atol=1e-12)):
            hint = slips[0][j][1]
            break
    for (eta, T), answer in zip(RATE_CASES, answers, strict=True):
        name = f"plateau_rate(sigma, eta={eta:g}, T={T:g})"
        expected = float(theory.plateau_error_rate(RATE_SIGMA, [T], eta)[0])
        check_close(name, answer, expected, rtol=1e-9, atol=1e-12, hint=hint)
    return (f"Correct: plateau_rate matches the rate of the proposition on all "
            f"{len(RATE_CASES)} cases (two step sizes, every plateau).")
