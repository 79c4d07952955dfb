"""Closed forms and predictions for the per-mode dynamics.

Everything here is a pure function of the per-mode quantities ``sigma_i`` (singular values of
``Syx``), ``lam_i`` (eigenvalue of ``Sx`` on ``v_i``) and the mode strength ``w_i = u_i^T W v_i``.
1-D arrays and scalars broadcast together. Under balanced spectral initialisation these formulas
are exact for full-matrix gradient descent / flow (see :mod:`gdlinear.dynamics`).

Notation: ``u = lam w / sigma`` (normalised strength, target 1), ``c = eta sigma``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validation as _v
from .errors import DivergenceError

__all__ = [
    "mode_map",
    "mode_map_unbalanced",
    "unbalanced_flow",
    "unbalanced_learning_time",
    "gradient_flow",
    "linear_gd",
    "linear_flow",
    "deep_flow",
    "deep_learning_time",
    "mode_map_deep",
    "separation_delta",
    "critical_times",
    "learning_time",
    "step_size_regime",
    "stability_bound",
    "limit_path",
    "distance_to_limit",
    "plateau_error_rate",
    "escape_bounds",
    "saturation_factor",
    "hitting_time",
    "two_cycle",
    "hitting_time_bounds",
    "rank_penalty",
    "saddle_curvature",
]

_CHECK_EVERY = 50
_BLOWUP = 1e12
_SCALAR_LOOP = 16


def _pos_arr(name: str, x: Any) -> np.ndarray:
    a = _v.as_array(name, x, ndim=(0, 1))
    if np.any(a <= 0):
        raise ValueError(f"{name} must be positive, got minimum {a.min():g}")
    return a


def _finite_arr(name: str, x: Any) -> np.ndarray:
    return _v.as_array(name, x, ndim=(0, 1, 2))


def _eta_arr(eta: Any) -> np.ndarray:
    if np.ndim(eta) == 0:
        return np.asarray(_v.positive("eta", eta))
    a = _v.as_array("eta", eta, ndim=(1, 2))
    if np.any(a <= 0):
        raise ValueError(f"eta must be positive finite numbers, got minimum {a.min():g}")
    return a


def _times(name: str, t: Any) -> np.ndarray:
    a = _v.as_array(name, t, ndim=(0, 1))
    if np.any(a < 0):
        raise ValueError(f"{name} must be non-negative times, got minimum {a.min():g}")
    return np.atleast_1d(a)


def _broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    try:
        out = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"shapes do not broadcast together: {shapes}") from None
    return [np.atleast_1d(np.array(o, dtype=float)) for o in out]


# ---------------------------------------------------------------------------------------
def mode_map(sigma, lam, eta, w0, steps: int) -> np.ndarray:
    """Balanced two-layer GD per mode: ``w_{t+1} = w_t (1 + eta (sigma - lam w_t))^2``.

    Exact for full-matrix GD from a balanced spectral initialisation.

    Parameters
    ----------
    sigma, lam : array_like, shape (m,) or scalar
        Per-mode singular values of ``Syx`` and eigenvalues of ``Sx`` (positive).
    eta : float or array_like
        Step size(s) (positive); broadcasts against ``sigma`` (e.g. shape (R, 1) for a batch).
    w0 : float or array_like
        Initial strengths (broadcast).
    steps : int
        Number of iterations.

    Returns
    -------
    ndarray, shape (steps + 1, m) (or (steps + 1, *broadcast shape))

    Raises
    ------
    DivergenceError
        When an iterate is non-finite or exceeds ``1e12 * max(sigma/lam)`` (bound
        ``eta < 1/sigma_1``).

    Examples
    --------
    >>> mode_map([1.0, 0.5], 1.0, 0.1, 1e-3, 100)[-1].round(3)
    array([1.   , 0.489])
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    eta = _eta_arr(eta)
    w0 = _finite_arr("w0", w0)
    steps = _v.nonneg_int("steps", steps)
    sigma, lam, eta, w0 = _broadcast(sigma=sigma, lam=lam, eta=eta, w0=w0)
    a = 1.0 + eta * sigma
    b = eta * lam
    out = np.empty((steps + 1,) + w0.shape)
    out[0] = w0
    tmp = np.empty_like(w0)
    limit = _BLOWUP * max(float(np.max(sigma / lam)), float(np.max(np.abs(w0))), 1e-300)
    if w0.size <= _SCALAR_LOOP and steps > 0:
        _mode_map_small(a, b, out, limit, eta, sigma)
        return out
    t0 = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while t0 < steps:
            t1 = min(t0 + _CHECK_EVERY, steps)
            for t in range(t0, t1):
                w = out[t]
                np.multiply(b, w, out=tmp)
                np.subtract(a, tmp, out=tmp)
                np.multiply(tmp, tmp, out=tmp)
                np.multiply(w, tmp, out=out[t + 1])
            block = out[t0 + 1: t1 + 1]
            bad = ~(np.abs(block) <= limit)
            if bad.any():
                idx = np.argwhere(bad)[0]
                step = t0 + 1 + int(idx[0])
                e = float(eta[tuple(idx[1:])])
                s1 = float(np.max(sigma))
                raise DivergenceError(eta=e, step=step, bound=1.0 / s1, rule="1/sigma_1")
            t0 = t1
    return out


def _mode_map_small(a, b, out, limit, eta, sigma) -> None:
    """Few modes: the same IEEE operations on Python floats (no per-step ufunc overhead)."""
    shape = out.shape[1:]
    af, bf = a.ravel().tolist(), b.ravel().tolist()
    flat = out.reshape(out.shape[0], -1)
    w = flat[0].tolist()
    steps = out.shape[0] - 1
    rows = []
    for t in range(steps):
        nxt = []
        for ai, bi, wi in zip(af, bf, w, strict=True):
            x = ai - bi * wi
            nxt.append(wi * (x * x))
        rows.append(nxt)
        w = nxt
        if (t + 1) % _CHECK_EVERY == 0 or t + 1 == steps:
            if not all(abs(v) <= limit for v in w):
                flat[1: t + 2] = np.array(rows)
                with np.errstate(invalid="ignore"):
                    bad = ~(np.abs(flat[1: t + 2]) <= limit)
                idx = np.argwhere(bad)[0]
                e = np.broadcast_to(eta, shape).reshape(-1)[int(idx[1])]
                raise DivergenceError(eta=float(e), step=1 + int(idx[0]),
                                      bound=1.0 / float(np.max(sigma)), rule="1/sigma_1")
    flat[1:] = np.array(rows)


def mode_map_unbalanced(sigma, lam, eta, a0, b0, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-layer GD per mode with separate factors ``(a, b)``, ``w = a b``.

    ``a+ = a + eta b (sigma - lam a b)``, ``b+ = b + eta a (sigma - lam a b)``.

    Returns
    -------
    a, b : ndarray, each (steps + 1, m)

    Examples
    --------
    >>> a, b = mode_map_unbalanced(1.0, 1.0, 0.1, 0.1, 0.01, 200)
    >>> round(float(a[-1, 0] * b[-1, 0]), 6)
    1.0
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    eta = _eta_arr(eta)
    a0 = _finite_arr("a0", a0)
    b0 = _finite_arr("b0", b0)
    steps = _v.nonneg_int("steps", steps)
    sigma, lam, eta, a0, b0 = _broadcast(sigma=sigma, lam=lam, eta=eta, a0=a0, b0=b0)
    A = np.empty((steps + 1,) + a0.shape)
    B = np.empty_like(A)
    A[0], B[0] = a0, b0
    limit = _BLOWUP * max(float(np.max(np.sqrt(sigma / lam))), float(np.max(np.abs(a0))),
                          float(np.max(np.abs(b0))), 1e-300)
    es, el = eta * sigma, eta * lam
    t0 = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while t0 < steps:
            t1 = min(t0 + _CHECK_EVERY, steps)
            for t in range(t0, t1):
                a, b = A[t], B[t]
                e = es - el * a * b
                A[t + 1] = a + b * e
                B[t + 1] = b + a * e
            blk = np.concatenate([A[t0 + 1: t1 + 1], B[t0 + 1: t1 + 1]], axis=1)
            if not np.all(np.abs(blk) <= limit):
                bad = ~(np.abs(A[t0 + 1: t1 + 1]) <= limit) | ~(np.abs(B[t0 + 1: t1 + 1]) <= limit)
                idx = np.argwhere(bad)[0]
                raise DivergenceError(eta=float(eta[tuple(idx[1:])]), step=t0 + 1 + int(idx[0]),
                                      bound=1.0 / float(np.max(sigma)), rule="1/sigma_1")
            t0 = t1
    return A, B


def gradient_flow(sigma, lam, w0, t) -> np.ndarray:
    """Balanced two-layer gradient flow ``dw/dt = 2 w (sigma - lam w)`` in closed form.

    ``w(t) = (sigma/lam) / (1 + (sigma/(lam w0) - 1) exp(-2 sigma t))`` (``w0 >= 0``; ``w0 = 0``
    stays 0).

    Returns
    -------
    ndarray, shape (len(t), m)

    Examples
    --------
    >>> gradient_flow(1.0, 1.0, 0.5, [0.0, 100.0])[:, 0]
    array([0.5, 1. ])
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    w0 = _finite_arr("w0", w0)
    if np.any(w0 < 0):
        raise ValueError(
            f"w0 must be non-negative (the flow from w0 < 0 blows up), got {w0.min():g}"
        )
    t = _times("t", t)
    sigma, lam, w0 = _broadcast(sigma=sigma, lam=lam, w0=w0)
    target = sigma / lam
    tt = t.reshape((-1,) + (1,) * sigma.ndim)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        coef = np.where(w0 > 0, target / np.where(w0 > 0, w0, 1.0) - 1.0, 0.0)
        w = target / (1.0 + coef * np.exp(-2.0 * sigma * tt))
    return np.where(w0 > 0, w, 0.0)


def _unbalanced_z(sigma, lam, C, w):
    """``z = e^theta`` with ``sinh theta = 2 w / C`` and the roots ``z+ > 0 > z- = -1/z+``."""
    omega = np.sqrt(4.0 * sigma**2 + (lam * C) ** 2)
    zp = (2.0 * sigma + omega) / (lam * C)
    z = np.exp(np.arcsinh(2.0 * w / C))
    return z, zp, -1.0 / zp, omega


def unbalanced_flow(sigma, lam, a0, b0, t) -> tuple[np.ndarray, np.ndarray]:
    r"""Two-layer gradient flow of one mode with separate factors ``(a, b)``, in closed form.

    The flow ``a' = b (sigma - lam a b)``, ``b' = a (sigma - lam a b)`` conserves
    ``c = a^2 - b^2``, and ``w = a b`` obeys ``w' = sqrt(c^2 + 4 w^2) (sigma - lam w)``.
    For ``c != 0`` put ``sinh theta = 2 w / |c|`` and ``z = e^theta``: then
    ``theta' = 2 sigma - lam |c| sinh theta`` and ``z' = -(lam |c| / 2)(z - z+)(z - z-)`` with
    ``z+- = (2 sigma +- omega) / (lam |c|)``, ``omega = sqrt(4 sigma^2 + lam^2 c^2)``, so

    ``(z - z+)/(z - z-) = R0 e^{-omega t}``,  ``w = (|c|/4)(z - 1/z)``.

    For ``c = 0`` (balanced up to sign) it is the logistic closed form of :func:`gradient_flow`
    when ``w0 >= 0``; when ``w0 < 0`` (``a0 = -b0``), ``-1/w = (1/|w0| + lam/sigma) e^{2 sigma t}
    - lam/sigma``. The factors follow from ``a^2 + b^2 = sqrt(c^2 + 4 w^2)``, their signs being
    conserved (``a`` never vanishes when ``c > 0``, ``b`` never when ``c < 0``).

    Parameters
    ----------
    sigma, lam : array_like, shape (m,) or scalar
        Positive per-mode singular values of ``Syx`` and eigenvalues of ``Sx``.
    a0, b0 : array_like
        Initial factor entries (broadcast against ``sigma``).
    t : array_like, shape (k,)
        Non-negative times.

    Returns
    -------
    a, b : ndarray, each (len(t), m)

    Examples
    --------
    >>> a, b = unbalanced_flow(1.0, 1.0, 0.2, 0.05, [0.0, 30.0])
    >>> (a * b)[:, 0].round(6)
    array([0.01, 1.  ])
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    a0 = _finite_arr("a0", a0)
    b0 = _finite_arr("b0", b0)
    t = _times("t", t)
    sigma, lam, a0, b0 = _broadcast(sigma=sigma, lam=lam, a0=a0, b0=b0)
    tt = t.reshape((-1,) + (1,) * sigma.ndim)
    c = a0**2 - b0**2
    w0 = a0 * b0
    C = np.abs(c)
    unb = C > 0
    Cs = np.where(unb, C, 1.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z0, zp, zm, omega = _unbalanced_z(sigma, lam, Cs, w0)
        R = (z0 - zp) / (z0 - zm) * np.exp(-omega * tt)
        z = (zp - R * zm) / (1.0 - R)
        w_unb = 0.25 * Cs * (z - 1.0 / z)
        # c = 0: logistic for w0 >= 0, decay to 0 from below for w0 < 0
        w_pos = gradient_flow(sigma, lam, np.maximum(w0, 0.0), t)
        x0 = np.where(w0 < 0, -w0, 1.0)
        w_neg = -1.0 / ((1.0 / x0 + lam / sigma) * np.exp(2.0 * sigma * tt) - lam / sigma)
        w = np.where(unb, w_unb, np.where(w0 < 0, w_neg, w_pos))
        s = np.sqrt(c**2 + 4.0 * w**2)
        a_mag = np.sqrt(np.maximum(0.5 * (s + c), 0.0))
        b_mag = np.sqrt(np.maximum(0.5 * (s - c), 0.0))
        sa = np.where(a0 < 0, -1.0, 1.0)
        sb = np.where(b0 < 0, -1.0, 1.0)
        a = np.where(c > 0, sa * a_mag, np.where(c < 0, np.divide(w, sb * b_mag), sa * a_mag))
        b = np.where(c > 0, np.divide(w, sa * a_mag), sb * b_mag)
    zero = (a0 == 0) & (b0 == 0)
    a = np.where(zero, 0.0, a)
    b = np.where(zero, 0.0, b)
    return a, b


def unbalanced_learning_time(sigma, lam, a0, b0, frac: float = 0.5) -> np.ndarray:
    r"""Time at which the unbalanced two-layer flow of :func:`unbalanced_flow` reaches
    ``w = frac * sigma/lam`` (exact).

    With ``c = a0^2 - b0^2 != 0`` and the notation of :func:`unbalanced_flow`,
    ``t = ln( R(w0) / R(w) ) / omega`` where ``R(w) = (z(w) - z+)/(z(w) - z-)``; for ``c = 0``
    and ``w0 > 0`` it is :func:`learning_time`; it is ``inf`` when the mode never gets there
    (``c = 0`` and ``w0 <= 0``) and 0 when ``w0 >= frac * sigma/lam``.

    Examples
    --------
    >>> t = unbalanced_learning_time(1.0, 1.0, 0.2, 0.05)
    >>> a, b = unbalanced_flow(1.0, 1.0, 0.2, 0.05, t)
    >>> float((a * b)[0, 0].round(9))
    0.5
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    a0 = _finite_arr("a0", a0)
    b0 = _finite_arr("b0", b0)
    frac = _v.real("frac", frac)
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in the open interval (0, 1), got {frac:g}")
    sigma, lam, a0, b0 = _broadcast(sigma=sigma, lam=lam, a0=a0, b0=b0)
    c = a0**2 - b0**2
    w0 = a0 * b0
    target = frac * sigma / lam
    C = np.abs(c)
    unb = C > 0
    Cs = np.where(unb, C, 1.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z0, zp, zm, omega = _unbalanced_z(sigma, lam, Cs, w0)
        z1 = _unbalanced_z(sigma, lam, Cs, target)[0]
        t_unb = np.log(((z0 - zp) / (z0 - zm)) / ((z1 - zp) / (z1 - zm))) / omega
    t_bal = learning_time(sigma, lam, np.where(w0 > 0, w0, 1.0), frac=frac)
    t_bal = np.where(w0 > 0, t_bal, np.inf)
    t = np.where(unb, t_unb, t_bal)
    return np.where(w0 >= target, 0.0, t)


def linear_gd(sigma, lam, eta, w0, steps: int) -> np.ndarray:
    """Linear-model GD per mode: ``w_t = sigma/lam + (w0 - sigma/lam)(1 - eta lam)^t``.

    Returns
    -------
    ndarray, shape (steps + 1, m)

    Examples
    --------
    >>> linear_gd(1.0, 2.0, 0.1, 0.0, 1)[:, 0]
    array([0. , 0.1])
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    eta = _eta_arr(eta)
    w0 = _finite_arr("w0", w0)
    steps = _v.nonneg_int("steps", steps)
    sigma, lam, eta, w0 = _broadcast(sigma=sigma, lam=lam, eta=eta, w0=w0)
    t = np.arange(steps + 1, dtype=float).reshape((-1,) + (1,) * sigma.ndim)
    target = sigma / lam
    with np.errstate(over="ignore", invalid="ignore"):
        out = target + (w0 - target) * (1.0 - eta * lam) ** t
    if not np.all(np.isfinite(out)):
        bad = np.argwhere(~np.isfinite(out))[0]
        raise DivergenceError(eta=float(eta[tuple(bad[1:])]), step=int(bad[0]),
                              bound=2.0 / float(np.max(lam)), rule="2/lambda_max",
                              model="linear model")
    return out


def linear_flow(sigma, lam, w0, t) -> np.ndarray:
    """Linear-model gradient flow: ``w(t) = sigma/lam + (w0 - sigma/lam) exp(-lam t)``.

    Examples
    --------
    >>> linear_flow(1.0, 1.0, 0.0, [0.0])[:, 0]
    array([0.])
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    w0 = _finite_arr("w0", w0)
    t = _times("t", t)
    sigma, lam, w0 = _broadcast(sigma=sigma, lam=lam, w0=w0)
    tt = t.reshape((-1,) + (1,) * sigma.ndim)
    target = sigma / lam
    return target + (w0 - target) * np.exp(-lam * tt)


def deep_flow(sigma, lam, w0, t, depth: int, *, rtol: float = 1e-10,
              atol: float = 1e-12) -> np.ndarray:
    """Balanced depth-``L`` gradient flow ``dw/dt = L w^{2 - 2/L} (sigma - lam w)``.

    Depth 2 uses the closed form :func:`gradient_flow`; depth ``L >= 3`` integrates the ODE
    for ``z = ln w`` (``dz/dt = L e^{(1 - 2/L) z} (sigma - lam e^z)``) with
    ``scipy.integrate.solve_ivp`` (DOP853). Needs ``w0 > 0``.

    Returns
    -------
    ndarray, shape (len(t), m)

    Examples
    --------
    >>> deep_flow(1.0, 1.0, 0.01, [0.0, 50.0], depth=3)[-1, 0].round(6)
    np.float64(1.0)
    """
    depth = _v.int_in_range("depth", depth, 2, 10**6)
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    w0 = _finite_arr("w0", w0)
    if np.any(w0 <= 0):
        raise ValueError(f"w0 must be positive for the depth-L flow, got minimum {w0.min():g}")
    t = _times("t", t)
    if depth == 2:
        return gradient_flow(sigma, lam, w0, t)
    sigma, lam, w0 = _broadcast(sigma=sigma, lam=lam, w0=w0)
    shape = sigma.shape
    s, la, z0 = sigma.ravel(), lam.ravel(), np.log(w0.ravel())
    L = float(depth)
    q = 1.0 - 2.0 / L

    def rhs(_t: float, z: np.ndarray) -> np.ndarray:
        return L * np.exp(q * z) * (s - la * np.exp(z))

    def jac(_t: float, z: np.ndarray) -> np.ndarray:
        ez = np.exp(z)
        return np.diag(L * np.exp(q * z) * (q * (s - la * ez) - la * ez))

    order = np.argsort(t, kind="stable")
    ts = t[order]
    if ts[-1] == 0:
        zs = np.tile(z0, (ts.size, 1))
    else:
        from scipy.integrate import solve_ivp  # imported here: costly, rarely needed

        sol = solve_ivp(rhs, (0.0, float(ts[-1])), z0, method="LSODA", t_eval=ts,
                        rtol=rtol, atol=atol, jac=jac)
        if not sol.success:  # pragma: no cover - defensive
            raise RuntimeError(f"solve_ivp failed for the depth-{depth} flow: {sol.message}")
        zs = sol.y.T
    out = np.empty_like(zs)
    out[order] = np.exp(zs)
    return out.reshape((t.size,) + shape)


def mode_map_deep(sigma, lam, eta, w0, steps: int, depth: int) -> np.ndarray:
    r"""Balanced depth-``L`` gradient descent per mode (exact for full-matrix GD).

    With a balanced spectral initialisation every factor carries the same entry ``s`` on mode
    ``i`` (``w = s^L``), and each factor follows

    ``s_{t+1} = s_t + eta s_t^{L-1} (sigma - lam s_t^L)``,  ``w_t = s_t^L``

    (the gradient of ``(lam/2) s^{2L} - sigma s^L`` in one factor, the others fixed). For
    ``L = 2`` this is :func:`mode_map`, ``w+ = w (1 + eta (sigma - lam w))^2``.

    Parameters
    ----------
    sigma, lam : array_like, shape (m,) or scalar
        Positive per-mode singular values of ``Syx`` and eigenvalues of ``Sx``.
    eta : float or array_like
        Step size(s) (positive; broadcast like ``w0``).
    w0 : float or array_like
        Initial strengths ``> 0`` (broadcast; e.g. shape (k, 1) for k initialisations).
    steps : int
        Number of iterations.
    depth : int
        Number of layers ``L >= 2``.

    Returns
    -------
    ndarray, shape (steps + 1, *broadcast shape)

    Raises
    ------
    DivergenceError
        When an iterate is non-finite or exceeds ``1e12 * max(sigma/lam)`` (the local bound is
        :func:`stability_bound` with ``model="deep"``).

    Examples
    --------
    >>> mode_map_deep([1.0, 0.5], 1.0, 0.1, 1e-3, 3000, depth=3)[-1].round(4)
    array([1. , 0.5])
    """
    depth = _v.int_in_range("depth", depth, 2, 10**6)
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    eta = _eta_arr(eta)
    w0 = _finite_arr("w0", w0)
    if np.any(w0 <= 0):
        raise ValueError(f"w0 must be positive for the depth-L map, got minimum {w0.min():g}")
    steps = _v.nonneg_int("steps", steps)
    if depth == 2:
        return mode_map(sigma, lam, eta, w0, steps)
    sigma, lam, eta, w0 = _broadcast(sigma=sigma, lam=lam, eta=eta, w0=w0)
    L = depth
    es, el = eta * sigma, eta * lam
    x = w0 ** (1.0 / L)
    out = np.empty((steps + 1,) + x.shape)
    out[0] = w0
    limit = _BLOWUP * max(float(np.max(sigma / lam)), float(np.max(w0)))
    p = np.empty_like(x)
    tmp = np.empty_like(x)
    t0 = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while t0 < steps:
            t1 = min(t0 + _CHECK_EVERY, steps)
            for t in range(t0, t1):
                np.power(x, L - 1, out=p)
                np.multiply(p, x, out=tmp)           # w_t = x^L
                np.multiply(el, tmp, out=tmp)
                np.subtract(es, tmp, out=tmp)        # eta (sigma - lam w_t)
                np.multiply(p, tmp, out=tmp)
                np.add(x, tmp, out=x)                # x_{t+1}
                np.power(x, L, out=out[t + 1])
            bad = ~(np.abs(out[t0 + 1: t1 + 1]) <= limit)
            if bad.any():
                idx = np.argwhere(bad)[0]
                e = float(eta[tuple(idx[1:])])
                bound = stability_bound(sigma.ravel(), "deep", lam=lam.ravel(), depth=L)
                raise DivergenceError(eta=e, step=t0 + 1 + int(idx[0]), bound=bound,
                                      rule=f"2/max_i(L lam_i (sigma_i/lam_i)^(2-2/L)), L = {L}",
                                      model=f"depth-{L} network")
            t0 = t1
    return out


def deep_learning_time(sigma, lam, w0, depth: int, frac: float = 0.5) -> np.ndarray:
    r"""Exact time at which the balanced depth-``L`` flow reaches ``w = frac * sigma/lam``.

    The flow is ``dw/dt = L w^{2-2/L} (sigma - lam w)`` (:func:`deep_flow`). For ``L = 2`` this
    is :func:`learning_time`. For ``L >= 3``, with ``q = 1 - 2/L`` and ``w_f = frac sigma/lam``,
    the partial fractions ``1/(v^{1+q}(sigma - lam v)) = v^{-1-q}/sigma + lam v^{-q}/(sigma
    (sigma - lam v))`` give

    ``t = (w0^{-q} - w_f^{-q}) / ((L - 2) sigma) + (lam / (L sigma)) int_{w0}^{w_f} v^{-q} dv /
    (sigma - lam v)``.

    The substitution ``v = w_f z^L`` turns the integral into
    ``(L/2) w_f^{1-q} int_{z0}^{1} h(z) dz`` with ``h(z) = 2 z / (sigma - lam w_f z^L)`` (analytic)
    and ``z0 = (w0/w_f)^{1/L}``. The simple pole of ``h`` at ``z* = frac^{-1/L} > 1`` (residue
    ``-c``, ``c = 2 z*^2 / (L sigma)``) is subtracted and integrated exactly,
    ``int c/(z* - z) dz = c ln((z* - z0)/(z* - 1))``; the smooth remainder is integrated by
    64-point Gauss-Legendre quadrature (accurate to about 1e-13 relative). With
    ``w0 = e^{-delta}`` the first term is ``e^{delta q} / ((L - 2) sigma) + O(1)`` and the
    integral stays bounded as ``w0 -> 0``: the critical times of :func:`critical_times`.

    Returns 0 where ``w0 >= w_f``.

    Examples
    --------
    >>> t = deep_learning_time(1.0, 1.0, 1e-3, depth=3)
    >>> float(deep_flow(1.0, 1.0, 1e-3, t, depth=3)[0, 0].round(8))
    0.5
    """
    depth = _v.int_in_range("depth", depth, 2, 10**6)
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    w0 = _finite_arr("w0", w0)
    if np.any(w0 <= 0):
        raise ValueError(f"w0 must be positive (w0 = 0 never escapes), got minimum {w0.min():g}")
    frac = _v.real("frac", frac)
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in the open interval (0, 1), got {frac:g}")
    if depth == 2:
        return learning_time(sigma, lam, w0, frac=frac)
    sigma, lam, w0 = _broadcast(sigma=sigma, lam=lam, w0=w0)
    L = float(depth)
    q = 1.0 - 2.0 / L
    wf = frac * sigma / lam
    done = w0 >= wf
    w0c = np.where(done, 0.5 * wf, w0)
    z0 = (w0c / wf) ** (1.0 / L)
    zs = frac ** (-1.0 / L)
    c = 2.0 * zs**2 / (L * sigma)
    z = (0.5 * (1.0 - z0))[..., None] * _GL_X + (0.5 * (1.0 + z0))[..., None]
    wts = (0.5 * (1.0 - z0))[..., None] * _GL_W
    h = 2.0 * z / (sigma[..., None] - (lam * wf)[..., None] * z**L) - c[..., None] / (zs - z)
    integral = np.sum(wts * h, axis=-1) + c * np.log((zs - z0) / (zs - 1.0))
    t = ((w0c ** (-q) - wf ** (-q)) / ((L - 2.0) * sigma)
         + lam * wf ** (1.0 - q) / (2.0 * sigma) * integral)
    return np.where(done, 0.0, t)


def separation_delta(sigma_i, sigma_j, depth: int, *, lam_i=1.0, lam_j=1.0, lo: float = 0.1,
                     hi: float = 0.9, delta_max: float = 700.0, tol: float = 1e-9) -> np.ndarray:
    r"""Smallest ``delta`` at which a balanced depth-``L`` flow learns mode ``i`` before mode
    ``j`` starts.

    Both modes start at ``w(0) = e^{-delta}``. Mode ``i`` is *learned* at ``t_i(hi)`` and mode
    ``j`` *starts* at ``t_j(lo)`` (:func:`deep_learning_time`); the modes are separated when
    ``G(delta) = t_j(lo) - t_i(hi) >= 0``. Since ``dt(f)/d delta = w0 / F(w0)`` with
    ``F(w) = L w^{2-2/L} (sigma - lam w)``, ``G`` increases with ``delta`` whenever
    ``sigma_i - lam_i w0 > sigma_j - lam_j w0``; the root is found by bisection (vectorised over
    the broadcast inputs) to within ``tol``. Where the modes are already separated at the
    smallest admissible ``delta`` (``w0 = 0.5 min(lo sigma_j/lam_j, hi sigma_i/lam_i)``), that
    ``delta`` is returned.

    Parameters
    ----------
    sigma_i, sigma_j : array_like
        Singular values of the earlier and the later mode (``sigma_i > sigma_j``).
    depth : int
        Number of layers ``L >= 2``.
    lam_i, lam_j : array_like
        Their input variances (default 1, whitened inputs).
    lo, hi : float
        Fractions of the targets that define "starts" and "learned" (``0 < lo, hi < 1``).
    delta_max : float
        Upper end of the search; ``ValueError`` if the modes are not separated there.
    tol : float
        Bisection tolerance on ``delta``.

    Returns
    -------
    ndarray
        ``delta*`` (broadcast shape of the inputs, at least 1-D).

    Examples
    --------
    >>> separation_delta(1.0, 0.5, 2).round(3)
    array([7.979])
    """
    depth = _v.int_in_range("depth", depth, 2, 10**6)
    si = _pos_arr("sigma_i", sigma_i)
    sj = _pos_arr("sigma_j", sigma_j)
    li = _pos_arr("lam_i", lam_i)
    lj = _pos_arr("lam_j", lam_j)
    lo = _v.real("lo", lo)
    hi = _v.real("hi", hi)
    if not (0 < lo < 1 and 0 < hi < 1):
        raise ValueError(f"lo and hi must lie in (0, 1), got lo = {lo:g}, hi = {hi:g}")
    si, sj, li, lj = _broadcast(sigma_i=si, sigma_j=sj, lam_i=li, lam_j=lj)
    if np.any(si <= sj):
        raise ValueError("separation_delta needs sigma_i > sigma_j (mode i is learned first)")

    def G(delta: np.ndarray) -> np.ndarray:
        w0 = np.exp(-delta)
        return (deep_learning_time(sj, lj, w0, depth, frac=lo)
                - deep_learning_time(si, li, w0, depth, frac=hi))

    a = -np.log(0.5 * np.minimum(lo * sj / lj, hi * si / li))
    b = np.full_like(a, float(delta_max))
    if np.any(G(b) < 0):
        raise ValueError(f"the modes are not separated even at delta = {delta_max:g}")
    done = G(a) >= 0
    b = np.where(done, a, b)
    while np.any(b - a > tol):
        mid = 0.5 * (a + b)
        pos = G(mid) >= 0
        b = np.where(pos, mid, b)
        a = np.where(pos, a, mid)
    return b


# ---------------------------------------------------------------------------------------
def critical_times(sigma, eta: float | None = None, depth: int = 2) -> np.ndarray:
    """Critical rescaled times ``T_i`` of the vanishing-initialisation limit.

    With ``w_i(0) = e^{-delta}``:

    * depth 2, flow (``eta=None``), ``t = delta T``: ``T_i = 1/(2 sigma_i)``;
    * depth 2, GD, iteration ``t = delta T``: ``T_i = 1/(2 ln(1 + eta sigma_i))`` (iterations per
      unit delta; the escape factor per step is ``(1 + eta sigma)^2``);
    * depth ``L >= 3``, flow only, ``t = e^{delta (1 - 2/L)} T``: ``T_i = 1/((L - 2) sigma_i)``.
      Derivation: while ``lam w << sigma``, ``dw/dt = L sigma w^{2-2/L}`` integrates to
      ``w0^{-(1-2/L)} - w^{-(1-2/L)} = (L - 2) sigma t``, which blows up (the mode is learned) at
      ``t* = w0^{-(1-2/L)} / ((L - 2) sigma) = e^{delta(1-2/L)} / ((L - 2) sigma)``.

    Examples
    --------
    >>> critical_times([1.0, 0.5])
    array([0.5, 1. ])
    """
    sigma = np.atleast_1d(_pos_arr("sigma", sigma))
    depth = _v.int_in_range("depth", depth, 2, 10**6)
    if depth >= 3:
        if eta is not None:
            raise ValueError(
                "critical_times for depth >= 3 is derived for gradient flow only: pass eta=None"
            )
        return 1.0 / ((depth - 2) * sigma)
    if eta is None:
        return 1.0 / (2.0 * sigma)
    eta = _v.positive("eta", eta)
    return 1.0 / (2.0 * np.log1p(eta * sigma))


_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


def learning_time(sigma, lam, w0, eta: float | None = None, frac: float = 0.5) -> np.ndarray:
    """Finite-initialisation prediction of the time at which ``w`` reaches ``frac * sigma/lam``.

    Write ``u = lam w / sigma``, ``u0 = lam w0 / sigma`` and ``c = eta sigma``.

    * **Flow** (``eta=None``, exact): ``t = ln( frac/(1-frac) * (1/u0 - 1) ) / (2 sigma)``
      (invert the logistic closed form).
    * **GD** (``eta`` given, returns an iteration count). The balanced map is
      ``ln u_{t+1} - ln u_t = 2 ln(1 + c (1 - u_t))``: each step advances ``ln u`` by an amount
      that is constant (``2 ln(1+c)``) while ``u << 1`` and shrinks in the logistic middle.
      Counting steps as "distance in ``ln u`` divided by the local step length" gives
      ``t(frac) = int_{u0}^{frac} du / (2 u ln(1 + c(1 - u)))``, which we split into the
      exact escape term and a finite middle correction:

      ``t = ln(frac/u0) / (2 ln(1+c)) + int_{u0}^{frac} [1/ln(1+c(1-u)) - 1/ln(1+c)] du/(2u)``.

      The integrand of the correction is bounded (``O(1)`` as ``u -> 0``), so it is computed
      by 64-point Gauss-Legendre quadrature. As ``c -> 0`` (``ln(1+x) ~ x``) ``eta t`` tends to
      the flow formula exactly. Verified against the exact map: for
      ``0 < c <= 1/2`` and ``u0 ~ e^{-30}`` the first iteration with ``u_t >= 1/2`` differs from
      the prediction by less than one step (within 2%) — the test suite checks 5% against
      full-matrix GD at ``delta = 30``.

    Returns 0 where ``u0 >= frac``. Needs ``0 < frac < 1`` and ``w0 > 0``.

    Examples
    --------
    >>> float(learning_time(1.0, 1.0, np.exp(-30.0))[0].round(3))
    15.0
    """
    sigma = _pos_arr("sigma", sigma)
    lam = _pos_arr("lam", lam)
    w0 = _finite_arr("w0", w0)
    if np.any(w0 <= 0):
        raise ValueError(f"w0 must be positive (w0 = 0 never escapes), got minimum {w0.min():g}")
    frac = _v.real("frac", frac)
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in the open interval (0, 1), got {frac:g}")
    sigma, lam, w0 = _broadcast(sigma=sigma, lam=lam, w0=w0)
    u0 = lam * w0 / sigma
    done = u0 >= frac
    u0c = np.where(done, 0.5 * frac, u0)
    if eta is None:
        t = np.log(frac / (1.0 - frac) * (1.0 / u0c - 1.0)) / (2.0 * sigma)
        return np.where(done, 0.0, t)
    eta = _v.positive("eta", eta)
    c = eta * sigma
    if np.any(c >= 1):
        raise ValueError(
            f"learning_time for GD needs eta * sigma < 1 (stable, no overshoot past the target); "
            f"got eta * sigma_max = {float(np.max(c)):.3g}"
        )
    lo, hi = u0c[..., None], frac
    u = 0.5 * (hi - lo) * _GL_X + 0.5 * (hi + lo)
    wts = 0.5 * (hi - lo) * _GL_W
    cc = c[..., None]
    h = (1.0 / np.log1p(cc * (1.0 - u)) - 1.0 / np.log1p(cc)) / (2.0 * u)
    t = np.log(frac / u0c) / (2.0 * np.log1p(c)) + np.sum(wts * h, axis=-1)
    return np.where(done, 0.0, t)


def step_size_regime(sigma_1: float, eta: float) -> str:
    """Regime of the balanced mode map for ``c = eta sigma_1``.

    ``"monotone"`` (``c <= 1/2``), ``"overshoot"`` (``1/2 < c < 1``), ``"unstable"`` (``c >= 1``).

    Examples
    --------
    >>> step_size_regime(1.0, 0.8)
    'overshoot'
    """
    s = _v.positive("sigma_1", sigma_1)
    e = _v.positive("eta", eta)
    c = e * s
    if c <= 0.5:
        return "monotone"
    if c < 1.0:
        return "overshoot"
    return "unstable"


def stability_bound(P_or_sigma, model: str = "two_layer", *, lam=None, depth: int = 2) -> float:
    """Largest stable step size.

    * ``"two_layer"``: ``1/sigma_1`` (the per-mode Hessian at the balanced optimum has
      eigenvalues ``{2 sigma, 0}``);
    * ``"linear"``: ``2/lambda_max(Sx)`` (pass a Problem or ``lam``);
    * ``"deep"``: ``2 / max_i (L lam_i (sigma_i/lam_i)^{2-2/L})`` (the balanced optimum's
      Hessian eigenvalue; equals ``1/sigma_1`` for ``L = 2``; ``lam`` defaults to the Rayleigh
      quotients of ``Sx`` on the right singular vectors of ``Syx``, or ones for arrays).
    * ``"two_layer_full"``: the bound for **full-matrix** two-layer GD near the balanced
      optimum, ``2 / max_{j,k} lam_j (w_j + w_k)`` with ``w_k = sigma_k/lam_k`` (``j`` over all
      eigen-directions of ``Sx``, ``w_j = 0`` off the modes), i.e.
      ``2 / max_j (sigma_j + lam_j max_k sigma_k/lam_k)``. Derivation: at the optimum the
      Hessian is the Gauss-Newton form ``||(dW2 W1 + W2 dW1) Sx^{1/2}||_F^2``; in the mode
      basis entry ``(k, j)`` contributes ``(E2_kj a_j + a_k E1_kj)^2 lam_j`` with
      ``a_i = sqrt(w_i)``, whose largest eigenvalue is ``lam_j (w_j + w_k)``. The diagonal
      ``k = j`` gives the per-mode ``2 sigma_j`` (hence ``1/sigma_1``); the cross terms are
      larger when the ``lam_i`` differ. Above this bound the balanced minimum (the mode map's
      fixed point) is linearly unstable in factor space: round-off perturbations grow and GD
      settles on a flatter, unbalanced minimum with the same product ``W*`` (checked
      numerically). For whitened inputs (``lam = 1``) both bounds equal ``1/sigma_1``.

    Examples
    --------
    >>> stability_bound([2.0, 1.0])
    0.5
    """
    model = _v.choice("model", model, ("two_layer", "linear", "deep", "two_layer_full"))
    if model == "two_layer_full":
        return _full_two_layer_bound(P_or_sigma, lam)
    depth = _v.int_in_range("depth", depth, 2, 10**6)
    if hasattr(P_or_sigma, "Sx") and hasattr(P_or_sigma, "Syx"):
        P = P_or_sigma
        if P.modes is not None:
            sigma, lam_m = P.modes.sigma, P.modes.lam
        else:
            _, sigma, Vt = np.linalg.svd(P.Syx, full_matrices=False)
            lam_m = np.einsum("id,de,ie->i", Vt, P.Sx, Vt)
        lam_max = float(np.linalg.eigvalsh(P.Sx)[-1])
        if lam is not None:
            lam_m = _pos_arr("lam", lam)
    else:
        sigma = np.atleast_1d(_pos_arr("sigma", P_or_sigma))
        lam_m = None if lam is None else np.atleast_1d(_pos_arr("lam", lam))
        lam_max = None if lam_m is None else float(np.max(lam_m))
    if model == "two_layer":
        return float(1.0 / np.max(sigma))
    if model == "linear":
        if lam_max is None:
            raise ValueError(
                "the linear model's bound 2/lambda_max depends on Sigma_x: pass a Problem or lam="
            )
        if lam_max <= 0:
            raise ValueError("Sigma_x is zero: the linear model's step size is unbounded")
        return 2.0 / lam_max
    if lam_m is None:
        lam_m = np.ones_like(sigma)
    sigma, lam_m = np.broadcast_arrays(sigma, lam_m)
    keep = (sigma > 0) & (lam_m > 0)
    curv = depth * lam_m[keep] * (sigma[keep] / lam_m[keep]) ** (2.0 - 2.0 / depth)
    return float(2.0 / np.max(curv))


def _full_two_layer_bound(P_or_sigma, lam) -> float:
    """``2 / max_j (sigma_j + lam_j max_k sigma_k/lam_k)`` (see :func:`stability_bound`)."""
    if hasattr(P_or_sigma, "Sx") and hasattr(P_or_sigma, "Syx"):
        P = P_or_sigma
        if P.modes is None:
            raise ValueError(
                "model='two_layer_full' needs the problem's modes (P.modes is None); "
                "use problems.with_modes(P) first"
            )
        sigma, lam_m, V = P.modes.sigma, P.modes.lam, P.modes.V
        # eigenvalues of Sx on the orthogonal complement of the mode directions
        Q = np.linalg.svd(np.eye(P.d) - V @ V.T)[0][:, : P.d - V.shape[1]]
        rest = np.linalg.eigvalsh(Q.T @ P.Sx @ Q) if Q.shape[1] else np.zeros(0)
    else:
        sigma = np.atleast_1d(_pos_arr("sigma", P_or_sigma))
        lam_m = np.ones_like(sigma) if lam is None else np.atleast_1d(_pos_arr("lam", lam))
        sigma, lam_m = np.broadcast_arrays(sigma, lam_m)
        rest = np.zeros(0)
    wmax = float(np.max(sigma / lam_m))
    curv = np.concatenate([sigma + lam_m * wmax, rest * wmax])
    return float(2.0 / np.max(curv))


def limit_path(sigma, lam, T, eta: float | None = None, depth: int = 2) -> np.ndarray:
    """Vanishing-initialisation limit of ``w_i`` at rescaled time ``T``.

    ``lim_{delta -> inf} w_i = sigma_i/lam_i`` if ``T > T_i`` else 0 (``T_i`` from
    :func:`critical_times`; at ``T == T_i`` the value is 0). Piecewise constant: the path of
    moment-metric reduced-rank solutions.

    Returns
    -------
    ndarray, shape (len(T), m)

    Examples
    --------
    >>> limit_path([1.0, 0.5], 1.0, [0.4, 0.7, 1.2])
    array([[0. , 0. ],
           [1. , 0. ],
           [1. , 0.5]])
    """
    sigma = np.atleast_1d(_pos_arr("sigma", sigma))
    lam = np.atleast_1d(_pos_arr("lam", lam))
    T = _times("T", T)
    sigma, lam = np.broadcast_arrays(sigma, lam)
    Tc = critical_times(sigma, eta=eta, depth=depth)
    return np.where(T[:, None] > Tc[None, :], sigma / lam, 0.0)


def distance_to_limit(w, sigma, lam, T, eta: float | None = None, depth: int = 2) -> np.ndarray:
    """Sup-norm distance ``max_i |w_i(T) - limit_i(T)|`` to :func:`limit_path`.

    Parameters
    ----------
    w : array_like, shape (len(T), m)
        Mode strengths at rescaled times ``T``.

    Returns
    -------
    ndarray, shape (len(T),)

    Examples
    --------
    >>> distance_to_limit([[0.0, 0.0]], [1.0, 0.5], 1.0, [0.7])
    array([1.])
    """
    lim = limit_path(sigma, lam, T, eta=eta, depth=depth)
    w = _v.as_array("w", w, ndim=2, what=f"(len(T), m) = {lim.shape}")
    if w.shape != lim.shape:
        raise ValueError(f"w must have shape (len(T), m) = {lim.shape}, got {w.shape}")
    return np.max(np.abs(w - lim), axis=1)


def plateau_error_rate(sigma, T, eta: float | None = None) -> np.ndarray:
    r"""Exponential rate in ``delta`` at which the rescaled path reaches its plateau (depth 2).

    For balanced spectral initialisation ``w_i(0) = e^{-delta}``, distinct ``sigma_i`` and a
    rescaled time ``T`` strictly between the critical times ``T_k < T < T_{k+1}``
    (:func:`critical_times`), the distance of the rescaled path to the rank-``k`` plateau
    ``W_k`` (the moment-metric reduced-rank solution) satisfies
    ``-(1/delta) ln ||W(delta T) - W_k||_F -> r(T)``, with

    * GD (``eta`` given, ``0 < eta sigma_1 < 1/2``, ``T`` in iterations per unit ``delta``):
      ``r(T) = min( min_{i <= k} (T - T_i) ln(1/(1 - 2 eta sigma_i)), 1 - T/T_{k+1} )``;
    * flow (``eta=None``): ``r(T) = min( min_{i <= k} (T/T_i - 1), 1 - T/T_{k+1} )``.

    The first terms are the learned modes (local contraction ``1 - 2 eta sigma_i`` per
    iteration, resp. ``e^{-2 sigma_i t}``, during ``delta (T - T_i)`` iterations, resp. time);
    the last is the next mode, still growing like ``e^{-delta}(1 + eta sigma)^{2 t}``
    (resp. ``e^{-delta + 2 sigma t}``); it is absent when ``k = m``. The rates do not depend on
    ``lam``. Derivation and proof: chapter 7 of the book.

    Parameters
    ----------
    sigma : array_like, shape (m,)
        Distinct positive singular values (any order).
    T : float or array_like, shape (K,)
        Positive rescaled times, none equal to a critical time.
    eta : float, optional
        Step size (``eta * max(sigma) < 1/2``); ``None`` for gradient flow.

    Returns
    -------
    ndarray, shape (K,)

    Examples
    --------
    >>> plateau_error_rate([1.0, 0.5], [0.25, 0.75, 2.0])
    array([0.5 , 0.25, 1.  ])
    """
    sigma = np.atleast_1d(_pos_arr("sigma", sigma))
    if np.unique(sigma).size != sigma.size:
        raise ValueError(f"sigma must have distinct entries (distinct critical times), got {sigma}")
    T = _times("T", T)
    if np.any(T <= 0):
        raise ValueError(f"T must be positive rescaled times, got minimum {T.min():g}")
    if eta is not None:
        eta = _v.positive("eta", eta)
        if eta * float(sigma.max()) >= 0.5:
            raise ValueError(
                f"plateau_error_rate for GD needs eta * sigma_1 < 1/2 (monotone regime with a "
                f"linear saturation rate), got {eta * float(sigma.max()):.3g}"
            )
    s = np.sort(sigma)[::-1]
    Tc = critical_times(s, eta)
    if np.any(T[:, None] == Tc[None, :]):
        raise ValueError("T must not be a critical time (the limit jumps there)")
    learned = T[:, None] > Tc[None, :]                                  # (K, m)
    if eta is None:
        r_learned = T[:, None] / Tc[None, :] - 1.0
    else:
        r_learned = (T[:, None] - Tc[None, :]) * (-np.log1p(-2.0 * eta * s))[None, :]
    r_next = 1.0 - T[:, None] / Tc[None, :]
    k = learned.sum(axis=1)
    nxt = np.zeros_like(learned)
    idx = np.nonzero(k < s.size)[0]
    nxt[idx, k[idx]] = True
    rates = np.where(learned, r_learned, np.where(nxt, r_next, np.inf))
    return rates.min(axis=1)


def escape_bounds(c, u0, eps) -> tuple[np.ndarray, np.ndarray]:
    """Sandwich on the first iteration ``tau_eps`` with ``u >= eps`` (balanced map).

    ``ln(eps/u0) / (2 ln(1+c)) <= tau_eps <= 1 + ln(eps/u0) / (2 ln(1 + c(1 - eps)))``,
    from ``u0 (1 + c(1-eps))^{2t} <= u_t <= u0 (1 + c)^{2t}`` while ``u_s <= eps``.
    Needs ``c > 0`` and ``0 < u0 < eps < 1``.

    Examples
    --------
    >>> lo, hi = escape_bounds(0.1, 1e-8, 0.01); bool(lo[0] < hi[0])
    True
    """
    c = _pos_arr("c", c)
    u0 = _pos_arr("u0", u0)
    eps = _pos_arr("eps", eps)
    c, u0, eps = _broadcast(c=c, u0=u0, eps=eps)
    if np.any(eps >= 1) or np.any(u0 >= eps):
        raise ValueError("escape_bounds needs 0 < u0 < eps < 1")
    r = np.log(eps / u0)
    return r / (2 * np.log1p(c)), 1.0 + r / (2 * np.log1p(c * (1 - eps)))


def saturation_factor(c) -> np.ndarray:
    """Contraction in ``1 - u+ <= (1 - c - c^2/4)(1 - u)`` for ``u in [1/2, 1]``, ``c <= 1/2``.

    Examples
    --------
    >>> saturation_factor(0.5)
    array([0.4375])
    """
    c = np.atleast_1d(_pos_arr("c", c))
    if np.any(c > 0.5):
        raise ValueError(
            f"the saturation bound holds for c = eta sigma <= 1/2, got max {c.max():g}"
        )
    return 1.0 - c - c**2 / 4.0


def hitting_time(path, level) -> np.ndarray:
    """First index ``t`` at which ``path[t] >= level``, per column (``-1`` if never).

    Parameters
    ----------
    path : array_like, shape (k,) or (k, m)
        A recorded sequence, e.g. ``mode_map(...)`` (row ``t`` is iteration ``t``).
    level : float or array_like, shape (m,)
        Threshold per column, e.g. ``sigma / (2 lam)`` for the half-target learning time.

    Returns
    -------
    ndarray of int, shape (m,) (shape (1,) for a 1-D path)
        ``min {t : path[t, i] >= level_i}``, or ``-1`` where the level is never reached.

    Examples
    --------
    >>> hitting_time(mode_map(1.0, 1.0, 0.5, 1e-3, 40), 0.5)
    array([9])
    """
    a = _v.as_array("path", path, ndim=(1, 2), finite=False)  # NaN (diverged) never hits
    if a.ndim == 1:
        a = a[:, None]
    lev = _v.as_array("level", level, ndim=(0, 1))
    if lev.ndim == 1 and lev.shape[0] != a.shape[1]:
        raise ValueError(
            f"level must be a number or have one entry per column ({a.shape[1]}), "
            f"got shape {lev.shape}"
        )
    hit = a >= lev
    first = np.argmax(hit, axis=0)
    return np.where(hit.any(axis=0), first, -1).astype(np.int64)


def hitting_time_bounds(c, u0, frac: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    r"""Sandwich with a gap independent of ``u0`` on the first iteration ``tau`` with
    ``u_tau >= frac`` (balanced map ``u+ = u (1 + c (1 - u))^2``).

    ``lo = ln(frac/u0) / (2 ln(1+c))`` and
    ``hi = 1 + (ln(frac/u0) + 2 c frac r/(r - 1)) / (2 ln(1+c))``, ``r = (1 + c(1 - frac))^2``.

    Proof sketch: ``u+ <= u (1+c)^2`` gives ``lo``. While ``u_s < frac``,
    ``ln u_{s+1} - ln u_s = 2 ln(1 + c(1-u_s)) >= 2 ln(1+c) - 2 c u_s`` and ``u`` grows at least
    by the factor ``r`` per step, so ``sum_{s<t} u_s <= frac r/(r-1)``; this gives ``hi``.
    The gap ``hi - lo = 1 + c frac r / ((r-1) ln(1+c))`` does not depend on ``u0``: with
    ``u0 = (lam/sigma) e^{-delta}`` the hitting time is ``delta T + O(1)``,
    ``T = 1/(2 ln(1+c))`` (:func:`critical_times`). Valid for every ``c > 0`` (only the
    escape phase ``u < frac`` enters) and ``0 < u0 < frac < 1``.

    Parameters
    ----------
    c : float or array_like (up to 2-D)
        ``eta sigma`` per mode; broadcasts against ``u0``.
    u0 : float or array_like (up to 2-D)
        Initial normalised strengths ``lam w0 / sigma``, e.g. shape ``(len(deltas), 1)``.
    frac : float
        The level, in ``(0, 1)``.

    Returns
    -------
    lo, hi : ndarray
        ``lo <= tau < hi``, with the broadcast shape of ``c`` and ``u0``.

    Examples
    --------
    >>> lo, hi = hitting_time_bounds(0.2, 1e-10); tau = hitting_time(mode_map(1.0, 1.0, 0.2,
    ...     1e-10, 200), 0.5)[0]
    >>> bool(lo[0] <= tau < hi[0])
    True
    """
    c = _finite_arr("c", c)
    u0 = _finite_arr("u0", u0)
    if np.any(c <= 0) or np.any(u0 <= 0):
        raise ValueError(f"c and u0 must be positive, got minima {c.min():g} and {u0.min():g}")
    frac = _v.real("frac", frac)
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in the open interval (0, 1), got {frac:g}")
    c, u0 = _broadcast(c=c, u0=u0)
    if np.any(u0 >= frac):
        raise ValueError(f"hitting_time_bounds needs 0 < u0 < frac = {frac:g}, "
                         f"got maximum u0 {u0.max():g}")
    rate = 2.0 * np.log1p(c)
    r = (1.0 + c * (1.0 - frac)) ** 2
    head = np.log(frac / u0)
    return head / rate, 1.0 + (head + 2.0 * c * frac * r / (r - 1.0)) / rate


def rank_penalty(T, eta: float | None = None) -> np.ndarray:
    r"""Rank penalty ``mu(T)`` of the plateau at rescaled time ``T`` (depth 2).

    Mode ``i`` is active in the vanishing-initialisation limit at rescaled time ``T`` iff
    ``T > T_i`` (:func:`critical_times`), i.e. iff ``sigma_i > s(T)`` with ``s(T) = 1/(2T)``
    (flow) or ``s(T) = (e^{1/(2T)} - 1)/eta`` (GD, ``T`` in iterations per unit ``delta``).
    The rank-penalised moment problem ``1/2 ||Syx - W Sx||_F^2 + mu rank(W)`` keeps the
    modes with ``sigma_i^2 / 2 > mu`` (:func:`gdlinear.estimators.rank_penalised`), so the
    plateau solves it with

    * flow: ``mu(T) = 1/(8 T^2)``;
    * GD: ``mu(T) = (e^{1/(2T)} - 1)^2 / (2 eta^2)``.

    Both decrease in ``T`` (the penalty weakens with time). In physical time ``t = eta x
    iteration``, ``rank_penalty(T / eta, eta)`` tends to ``rank_penalty(T)`` as ``eta -> 0``.

    Examples
    --------
    >>> rank_penalty([0.5, 1.0])
    array([0.5  , 0.125])
    """
    T = _times("T", T)
    if np.any(T <= 0):
        raise ValueError(f"T must be positive rescaled times, got minimum {T.min():g}")
    if eta is None:
        return 1.0 / (8.0 * T**2)
    eta = _v.positive("eta", eta)
    return np.expm1(0.5 / T) ** 2 / (2.0 * eta**2)


def saddle_curvature(sigma, lam, r: int) -> float:
    r"""Smallest swap curvature at the width-``r`` plateau of a narrow two-layer network.

    Under the commuting assumption, the balanced spectral point of width ``r < m`` that carries
    modes ``1..r`` at their targets (product ``W_r^mom``) is a critical point of
    ``L(W2 W1)``. Its Hessian is block diagonal; besides positive semi-definite blocks it has,
    for every learned mode ``i <= r`` and unlearned mode ``j > r``, the 2 x 2 block

    ``B_ij = [[lam_j sigma_i / lam_i, -sigma_j], [-sigma_j, sigma_i]]``

    (coordinates: row ``i`` of ``W1`` along ``v_j``, column ``i`` of ``W2`` along ``u_j``).
    This function returns ``min_{i <= r < j} lambda_min(B_ij)``; the Hessian's smallest
    eigenvalue is ``min(0, returned value)``. It is negative, i.e. the plateau is a strict
    saddle, iff some ``j > r`` has a larger score ``sigma_j^2/lam_j`` than some ``i <= r``.
    Derivation: chapter 8 of the book.

    Parameters
    ----------
    sigma, lam : array_like, shape (m,)
        Positive; modes in the order in which they are learned (decreasing ``sigma``).
    r : int
        Hidden width, ``1 <= r < m``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(saddle_curvature([1.0, 0.7], [2.0, 0.5], 1), 4)
    -0.1691
    """
    sigma = np.atleast_1d(_pos_arr("sigma", sigma))
    lam = np.broadcast_to(np.atleast_1d(_pos_arr("lam", lam)), sigma.shape).astype(float)
    m = sigma.size
    r = _v.int_in_range("r", r, 1, m - 1) if m > 1 else None
    if r is None:
        raise ValueError("saddle_curvature needs at least two modes (a width r < m)")
    si, li = sigma[:r, None], lam[:r, None]
    sj, lj = sigma[None, r:], lam[None, r:]
    a, d, b = lj * si / li, np.broadcast_to(si, (r, m - r)), -sj
    low = 0.5 * (a + d) - np.sqrt(0.25 * (a - d) ** 2 + b**2)
    return float(low.min())


def two_cycle(c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The period-2 cycle of the normalised map ``u+ = u (1 + c (1 - u))^2`` for ``c > 1``.

    With ``s_+- = ((c + 1) +- sqrt((c + 1)^2 - 4)) / 2`` (so ``s_+ s_- = 1``), the points
    ``u_- = s_-/c < 1 < u_+ = s_+/c`` satisfy ``g(u_-) = u_+`` and ``g(u_+) = u_-``. The cycle's
    multiplier ``g'(u_-) g'(u_+) = 9 - 2 (c + 1)^2`` lies in ``(-1, 1)`` (attracting cycle) iff
    ``1 < c < sqrt(5) - 1``.

    Parameters
    ----------
    c : float or array_like
        ``c = eta sigma > 1``.

    Returns
    -------
    u_minus, u_plus, multiplier : ndarray
        Same shape as ``np.atleast_1d(c)``.

    Examples
    --------
    >>> lo, hi, mult = two_cycle(1.2); print(lo.round(4), hi.round(4), mult.round(2))
    [0.5348] [1.2985] [-0.68]
    """
    c = np.atleast_1d(_pos_arr("c", c))
    if np.any(c <= 1):
        raise ValueError(f"the 2-cycle exists for c = eta sigma > 1, got minimum {c.min():g}")
    root = np.sqrt((c + 1.0) ** 2 - 4.0)
    s_plus, s_minus = (c + 1.0 + root) / 2.0, (c + 1.0 - root) / 2.0
    return s_minus / c, s_plus / c, 9.0 - 2.0 * (c + 1.0) ** 2
