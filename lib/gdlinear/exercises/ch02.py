"""Checkers for the exercises of chapter 02 (setup: moments, parameterisations, decoupling).

Examples
--------
>>> import numpy as np
>>> def step(W1, W2, Sx, Syx, eta):
...     G = W2 @ W1 @ Sx - Syx
...     return W1 - eta * W2.T @ G, W2 - eta * G @ W1.T
>>> check_two_layer_step(step)[:8]
'Correct:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dynamics, problems
from ._base import _fail, check_close, check_shape

__all__ = ["check_two_layer_step", "step_test_case"]

_HINT = (
    "One gradient-descent step moves both factors from the SAME old point: with "
    "G = W2 W1 Sx - Syx, W1+ = W1 - eta W2^T G and W2+ = W2 - eta G W1^T."
)


def step_test_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The test case of :func:`check_two_layer_step`: ``(W1, W2, Sx, Syx, eta)``.

    Shapes are all different (d = 5, p = 3, r = 2) so that a transposed matrix cannot pass, and
    ``Sx`` is far from the identity so that forgetting it cannot pass either.
    """
    rng = np.random.default_rng(seed)
    n, d, p, r = 40, 5, 3, 2
    X = rng.standard_normal((n, d)) * np.array([2.0, 1.4, 1.0, 0.6, 0.3])
    Y = X @ rng.standard_normal((p, d)).T + 0.3 * rng.standard_normal((n, p))
    P = problems.from_data(X, Y)
    W1 = rng.standard_normal((r, d))
    W2 = rng.standard_normal((p, r))
    return W1, W2, np.array(P.Sx), np.array(P.Syx), 0.05


def _wrong_answers(W1, W2, Sx, Syx, eta) -> list[tuple[tuple[np.ndarray, np.ndarray], str]]:
    G = W2 @ W1 @ Sx - Syx
    W1n = W1 - eta * W2.T @ G
    G_new = W2 @ W1n @ Sx - Syx
    W2_seq = W2 - eta * G_new @ W1n.T
    W2_mixed = W2 - eta * G @ W1n.T
    G_noSx = W2 @ W1 - Syx
    return [
        ((W1n, W2_seq), "you updated W2 with the already-updated W1 (a sequential, Gauss-Seidel "
                        "update, or an in-place W1 -= ... before computing the W2 step). "
                        + _HINT),
        ((W1n, W2_mixed), "your W2 step uses G from the old point but W1 from the new one (did "
                          "you modify W1 in place before computing G W1^T?). " + _HINT),
        ((W1 + eta * W2.T @ G, W2 + eta * G @ W1.T),
         "you moved uphill: the gradient of L at W is W Sx - Syx (not Syx - W Sx), and descent "
         "subtracts it."),
        ((W1 - eta * W2.T @ G_noSx, W2 - eta * G_noSx @ W1.T),
         "your G forgets Sx: grad L(W) = W Sx - Syx, and W - Syx is only right for whitened "
         "inputs (Sx = I)."),
        ((W1 - 2 * eta * W2.T @ G, W2 - 2 * eta * G @ W1.T),
         "your step is twice too long: with L(W) = 1/(2n)||Y - X W^T||_F^2 the 1/2 cancels the 2 "
         "of the square, so the gradient is W Sx - Syx without a factor 2."),
    ]


def check_two_layer_step(step: Callable[..., Any], seed: int = 0) -> str:
    """Check ``step(W1, W2, Sx, Syx, eta) -> (W1_new, W2_new)``, one GD step on ``W = W2 W1``.

    The reference is :func:`gdlinear.dynamics.gd_two_layer` run for one step. Typical slips (a
    sequential update of the factors, a flipped sign, a missing ``Sx``, a factor 2) are recognised
    and named.

    Parameters
    ----------
    step : callable
        The learner's function. It receives copies of the inputs.
    seed : int
        Seed of the test case (:func:`step_test_case`).

    Returns
    -------
    str
        A success message.

    Raises
    ------
    AssertionError
        With a specific hint when the update is wrong.
    """
    if not callable(step):
        _fail(f"step must be a function step(W1, W2, Sx, Syx, eta), got {type(step).__name__}.",
              _HINT)
    W1, W2, Sx, Syx, eta = step_test_case(seed)
    P = problems.from_moments(Sx, Syx)
    ref = dynamics.gd_two_layer(P, eta, 1, dynamics.Init(factors=(W1, W2)), record=[0, 1])
    out = step(W1.copy(), W2.copy(), Sx.copy(), Syx.copy(), eta)
    if out is None or out is Ellipsis:
        _fail("step returned nothing: the exercise stub is not filled in yet (return the pair "
              "(W1_new, W2_new)).", _HINT)
    try:
        W1_new, W2_new = out
    except (TypeError, ValueError):
        _fail(f"step must return a pair (W1_new, W2_new), got {type(out).__name__}.", _HINT)
    check_shape("W1_new", W1_new, W1.shape, hint="W1 is (r, d); its gradient W2^T G is (r, d).")
    check_shape("W2_new", W2_new, W2.shape, hint="W2 is (p, r); its gradient G W1^T is (p, r).")
    A1, A2 = np.asarray(W1_new, dtype=float), np.asarray(W2_new, dtype=float)
    scale = np.linalg.norm(ref.W1) + np.linalg.norm(ref.W2)
    err = np.linalg.norm(A1 - ref.W1) + np.linalg.norm(A2 - ref.W2)
    if np.isfinite(err) and err <= 1e-10 * scale:
        return f"Correct: one two-layer GD step (relative error {err / scale:.1e})."
    for (B1, B2), hint in _wrong_answers(W1, W2, Sx, Syx, eta):
        if np.linalg.norm(A1 - B1) + np.linalg.norm(A2 - B2) <= 1e-10 * scale:
            _fail("Not yet: the update differs from one gradient-descent step.", hint)
    check_close("W1_new", A1, ref.W1, rtol=1e-10, atol=1e-12,
                hint="the gradient with respect to W1 is W2^T G with G = W2 W1 Sx - Syx.")
    check_close("W2_new", A2, ref.W2, rtol=1e-10, atol=1e-12,
                hint="the gradient with respect to W2 is G W1^T with G = W2 W1 Sx - Syx.")
    return "Correct: one two-layer GD step."
