"""Checkers for chapter 06 (time rescaling and the path of reduced-rank solutions).

:func:`check_plateau` checks a learner's ``plateau(P, T, eta=None)``: the vanishing-initialisation
limit ``lim_{delta -> inf} W(delta T)`` of a two-layer linear network (gradient flow when
``eta is None``, gradient descent with step ``eta`` otherwise, ``T`` in iterations per unit
``delta``). The reference is the moment-metric reduced-rank solution
``estimators.reduced_rank(P, k(T), "moment")`` with ``k(T) = #{i : T_i < T}``.

Examples
--------
>>> from gdlinear import estimators, theory
>>> def plateau(P, T, eta=None):
...     k = int(np.sum(theory.critical_times(P.modes.sigma, eta) < T))
...     return estimators.reduced_rank(P, k, "moment")
>>> check_plateau(plateau)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import estimators, problems, theory
from ._base import check_close, check_shape

__all__ = ["exercise_problem", "PLATEAU_CASES", "check_plateau"]

#: ``(eta, T)`` pairs on which :func:`check_plateau` evaluates the learner's function: flow
#: (``eta=None``, ``T_i = 1/(2 sigma_i)``) and GD with ``eta = 0.4`` (``T_i = 1/(2 ln(1 + eta
#: sigma_i))`` iterations per unit delta). They are chosen so that every typical slip changes
#: the answer on at least one case.
PLATEAU_CASES: tuple[tuple[float | None, float], ...] = (
    (None, 0.3), (None, 0.6), (None, 0.8), (None, 1.6), (None, 3.0),
    (0.4, 1.3), (0.4, 1.7), (0.4, 2.6), (0.4, 4.0), (0.4, 7.0),
)


def exercise_problem() -> problems.Problem:
    """The chapter's problem whose orders of ``sigma_i`` and ``sigma_i^2 / lam_i`` disagree.

    ``sigma = (1, 0.7, 0.4, 0.2)``, ``lam = (2, 0.5, 1, 1.5)``, ``d = 6``, ``p = 5``.

    Examples
    --------
    >>> exercise_problem().modes.targets.round(3)
    array([0.5  , 1.4  , 0.4  , 0.133])
    """
    return problems.commuting([1.0, 0.7, 0.4, 0.2], [2.0, 0.5, 1.0, 1.5], d=6, p=5, seed=1)


def _from_modes(P: problems.Problem, keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    md = P.modes
    return (md.U * np.where(keep, values, 0.0)) @ md.V.T


def _slips(P: problems.Problem, eta: float | None, T: float) -> list[tuple[np.ndarray, str]]:
    """Typical wrong answers for one case, each with its hint."""
    md = P.modes
    sig, lam = md.sigma, md.lam
    Tc = theory.critical_times(sig, eta)
    keep = Tc < T
    k = int(keep.sum())
    out = [
        (estimators.reduced_rank(P, k, "data"),
         "your plateau keeps the modes with the largest sigma_i^2/lambda_i (Izenman's 'data' "
         "metric); the dynamics learns the modes in order of sigma_i alone, so use the "
         "'moment' metric (or keep the k(T) modes with the largest sigma_i)."),
        (_from_modes(P, keep, sig),
         "the right modes, but with value sigma_i: a learned mode settles at its least-squares "
         "strength sigma_i/lambda_i (the plateau is [Syx]_k Sx^{-1}, not [Syx]_k)."),
        (_from_modes(P, Tc > T, sig / lam),
         "your inequality is reversed: mode i is learned AFTER its critical time, i.e. when "
         "T > T_i, and the strongest mode (smallest T_i) comes first."),
        (_from_modes(P, 1.0 / sig < T, sig / lam) if eta is None else
         _from_modes(P, 1.0 / np.log1p(eta * sig) < T, sig / lam),
         "your critical times are twice too large: with w_i(0) = e^{-delta} the escape factor "
         "is e^{2 sigma_i t} (flow) or (1 + eta sigma_i)^{2t} (GD), so T_i = 1/(2 sigma_i) or "
         "1/(2 ln(1 + eta sigma_i))."),
    ]
    if eta is not None:
        out += [
            (_from_modes(P, 1.0 / (2.0 * eta * sig) < T, sig / lam),
             "your critical time uses eta*sigma; the discrete rate is ln(1 + eta sigma): "
             "T_i = 1/(2 ln(1 + eta sigma_i)) iterations per unit delta."),
            (_from_modes(P, theory.critical_times(sig) < T, sig / lam),
             "for gradient descent T counts iterations per unit delta: use the discrete "
             "critical times 1/(2 ln(1 + eta sigma_i)), not the flow's 1/(2 sigma_i)."),
            (_from_modes(P, theory.critical_times(sig) < eta * T, sig / lam),
             "you converted to physical time eta*T and used the flow's critical times; the "
             "discrete critical times 1/(2 ln(1 + eta sigma_i)) are longer than 1/(2 eta "
             "sigma_i) (ln(1 + x) < x)."),
        ]
    return out


def check_plateau(plateau: Callable[..., Any]) -> str:
    """Check ``plateau(P, T, eta=None)``, the vanishing-initialisation limit of ``W(delta T)``.

    Evaluated on :func:`exercise_problem` at every ``(eta, T)`` of :data:`PLATEAU_CASES`;
    the answer must equal ``reduced_rank(P, k(T), "moment")`` to ``1e-8``.

    Parameters
    ----------
    plateau : callable
        ``plateau(P, T, eta=None) -> ndarray (p, d)``.

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        On the first wrong case, naming it, with a hint specific to the slip when it is a
        typical one (ranking by ``sigma^2/lam``, values ``sigma`` instead of ``sigma/lam``,
        a reversed inequality, a factor 2, ``eta sigma`` instead of ``ln(1 + eta sigma)``,
        the flow's critical times for GD).

    Examples
    --------
    >>> from gdlinear import estimators, theory
    >>> def plateau(P, T, eta=None):
    ...     k = int(np.sum(theory.critical_times(P.modes.sigma, eta) < T))
    ...     return estimators.reduced_rank(P, k, "moment")
    >>> check_plateau(plateau).startswith("Correct")
    True
    """
    if not callable(plateau):
        raise AssertionError(f"pass your function itself (plateau), got {type(plateau).__name__}")
    P = exercise_problem()
    for eta, T in PLATEAU_CASES:
        name = f"plateau(P, T={T:g}, eta={eta})"
        W = plateau(P, T) if eta is None else plateau(P, T, eta=eta)
        k = int(np.sum(theory.critical_times(P.modes.sigma, eta) < T))
        expected = estimators.reduced_rank(P, k, "moment")
        generic = (f"at T = {T:g} the limit keeps the k = {k} modes with critical time "
                   f"T_i < T, each at its value sigma_i/lambda_i: "
                   f"reduced_rank(P, k, 'moment').")
        if W is None or W is Ellipsis:
            check_close(name, W, expected, hint=generic)
        check_shape(name, W, (P.p, P.d), hint="return the (p, d) matrix W = W2 W1, "
                    "p outputs by d inputs.")
        W = np.asarray(W, dtype=float)
        if np.allclose(W, expected, rtol=0, atol=1e-8):
            continue
        hint = generic
        for wrong, slip_hint in _slips(P, eta, T):
            if np.allclose(W, wrong, rtol=0, atol=1e-8):
                hint = slip_hint
                break
        check_close(name, W, expected, atol=1e-8, rtol=0, hint=hint, reveal=False)
    return (f"Correct: plateau(P, T, eta) is the rank-k(T) moment-metric reduced-rank solution "
            f"on all {len(PLATEAU_CASES)} cases (flow and GD).")
