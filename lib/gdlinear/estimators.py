"""Closed-form and proximal estimators on a :class:`~gdlinear.problems.Problem`.

All return ``(p, d)`` arrays, or stacked ``(K, p, d)`` arrays for paths. Notation:
``L(W) = Syy/2 - tr(W Syx^T) + tr(W Sx W^T)/2``; ``[M]_k`` is the best rank-``k``
approximation of ``M`` (truncated SVD, Eckart-Young).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validation as _v

__all__ = [
    "low_rank_approx",
    "least_squares",
    "reduced_rank",
    "reduced_rank_path",
    "critical_points",
    "rank_penalised",
    "ridge",
    "ridge_path",
    "nuclear_norm",
    "nuclear_norm_path",
    "linear_estimator_risk",
]

_METRICS = ("data", "moment")
_PD_RTOL = 1e-12


def _problem(P: Any):
    if not (hasattr(P, "Sx") and hasattr(P, "Syx") and hasattr(P, "modes")):
        raise TypeError(f"P must be a gdlinear.problems.Problem, got {type(P).__name__}")
    return P


def _eigh_pd(P: Any, purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """Eigendecomposition of ``Sx``; ValueError if ``Sx`` is not positive definite."""
    e, Q = np.linalg.eigh(P.Sx)
    top = max(float(e[-1]), 0.0)
    if not e[0] > _PD_RTOL * top or top == 0.0:
        raise ValueError(
            f"Sigma_x is not positive definite (smallest eigenvalue {e[0]:.3g}, "
            f"largest {top:.3g}): "
            f"{purpose} is not unique; use ridge(P, alpha) with alpha > 0 or "
            "nuclear_norm(P, mu), or add samples / remove collinear inputs"
        )
    return e, Q


def low_rank_approx(M, k: int) -> np.ndarray:
    """Best rank-``<= k`` approximation ``[M]_k`` of a matrix (truncated SVD, Eckart-Young).

    ``[M]_k = sum_{i <= k} s_i a_i b_i^T`` for the SVD ``M = sum_i s_i a_i b_i^T``; it minimises
    ``||M - B||_F`` over ``rank B <= k`` with minimum ``sqrt(sum_{i > k} s_i^2)`` (unique when
    ``s_k > s_{k+1}``). Stacked input ``(..., p, d)`` is approximated matrix by matrix.

    Parameters
    ----------
    M : array_like, shape (..., p, d)
    k : int
        Target rank, ``0 <= k <= min(p, d)``.

    Returns
    -------
    ndarray, shape (..., p, d)

    Examples
    --------
    >>> low_rank_approx(np.diag([3.0, 2.0, 1.0]), 2)
    array([[3., 0., 0.],
           [0., 2., 0.],
           [0., 0., 0.]])
    """
    M = _v.as_array("M", M)
    if M.ndim < 2:
        raise ValueError(f"M must be a matrix (or a stack of matrices), got shape {M.shape}")
    q = min(M.shape[-2], M.shape[-1])
    k = _v.int_in_range("k", k, 0, q)
    A, s, Bt = np.linalg.svd(M, full_matrices=False)
    return (A[..., :, :k] * s[..., None, :k]) @ Bt[..., :k, :]


def least_squares(P) -> np.ndarray:
    """Least-squares solution ``W* = Syx Sx^{-1}`` (needs ``Sx`` positive definite).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5], [2.0, 1.0]); P.mode_strengths(least_squares(P))
    array([0.5, 0.5])
    """
    P = _problem(P)
    e, Q = _eigh_pd(P, "least squares")
    return ((P.Syx @ Q) / e) @ Q.T


def _rank_one_terms(P, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``W_k = sum_{i<k} s_i a_i b_i^T`` with (s, A, B) and the right factor ``Rt``."""
    e, Q = _eigh_pd(P, f"reduced-rank regression (metric={metric!r})")
    if metric == "data":
        inv_half = (Q / np.sqrt(e)) @ Q.T          # Sx^{-1/2}
        A, s, Bt = np.linalg.svd(P.Syx @ inv_half, full_matrices=False)
        right = Bt @ inv_half                       # rows b_i^T Sx^{-1/2}
    else:
        inv = (Q / e) @ Q.T
        A, s, Bt = np.linalg.svd(P.Syx, full_matrices=False)
        right = Bt @ inv                            # rows b_i^T Sx^{-1}
    return A, s, right, e


def reduced_rank(P, k: int, metric: str = "data") -> np.ndarray:
    """Reduced-rank regression: the best rank-``<= k`` predictor in one of two metrics.

    * ``metric="data"`` (Izenman): ``argmin_{rank W <= k} L(W) = [Syx Sx^{-1/2}]_k Sx^{-1/2}``;
      under the commuting assumption it keeps the modes with the largest ``sigma_i^2/lam_i``.
    * ``metric="moment"``: ``argmin_{rank W <= k} ||Syx - W Sx||_F = [Syx]_k Sx^{-1}``; keeps
      the largest ``sigma_i`` (the plateaus of two-layer GD).

    Both need ``Sx`` positive definite; ``k`` in ``0..min(p, d)``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.7], [2.0, 0.5])
    >>> P.mode_strengths(reduced_rank(P, 1, "moment")).round(6)
    array([0.5, 0. ])
    """
    P = _problem(P)
    metric = _v.choice("metric", metric, _METRICS)
    q = min(P.p, P.d)
    k = _v.int_in_range("k", k, 0, q)
    A, s, right, _ = _rank_one_terms(P, metric)
    return (A[:, :k] * s[:k]) @ right[:k]


def reduced_rank_path(P, metric: str = "data") -> np.ndarray:
    """All reduced-rank solutions ``k = 0..min(p, d)``, shape ``(min(p, d) + 1, p, d)``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> reduced_rank_path(commuting([1.0, 0.5]), "moment").shape
    (3, 2, 2)
    """
    P = _problem(P)
    metric = _v.choice("metric", metric, _METRICS)
    A, s, right, _ = _rank_one_terms(P, metric)
    terms = np.einsum("pi,i,id->ipd", A, s, right)
    out = np.zeros((s.size + 1, P.p, P.d))
    np.cumsum(terms, axis=0, out=out[1:])
    return out


def critical_points(P, k: int, *, tol: float = 1e-10) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Products ``W_S`` of the critical points of the two-layer network with ``|S| = k``.

    With ``Sx`` positive definite and ``M = Syx Sx^{-1} Syx^T`` (p, p), a factor pair is a
    critical point of ``L(W2 W1)`` only if ``W2 W1 = Pi Syx Sx^{-1}`` with ``Pi`` the orthogonal
    projector onto an ``M``-invariant subspace (Baldi and Hornik, 1989). For a set ``S`` of
    eigenvectors ``e`` of ``M`` with non-zero eigenvalue this is
    ``W_S = sum_{e in S} e e^T Syx Sx^{-1}``, with excess loss
    ``L(W_S) - L* = (tr M - sum_{e in S} mu_e) / 2``. Izenman's reduced-rank solution
    (:func:`reduced_rank`, ``metric="data"``) is ``W_S`` for the ``k`` leading eigenvectors; under
    the commuting assumption ``W_S = sum_{i in S} (sigma_i/lam_i) u_i v_i^T``.

    Parameters
    ----------
    P : Problem
    k : int
        Size of ``S``, ``0 <= k <= rank(M)``.
    tol : float
        Eigenvalues of ``M`` below ``tol * max eigenvalue`` count as zero (their eigenvectors
        do not change ``W_S``).

    Returns
    -------
    subsets : list of tuple of int
        Each ``S``, as indices of eigenvectors in decreasing order of eigenvalue (0-based).
    products : ndarray, shape (len(subsets), p, d)
        The matrices ``W_S``, in the same order.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> S, Ws = critical_points(commuting([1.0, 0.5]), 1)
    >>> S, Ws.shape
    ([(0,), (1,)], (2, 2, 2))
    """
    import itertools

    P = _problem(P)
    e, Q = _eigh_pd(P, "the critical points of the two-layer network")
    B = ((Q / e) @ (Q.T @ P.Syx.T)).T                       # Syx Sx^{-1}
    M = B @ P.Syx.T
    mu, E = np.linalg.eigh(0.5 * (M + M.T))
    mu, E = mu[::-1], E[:, ::-1]
    tol = _v.positive("tol", tol)
    rank = int(np.sum(mu > tol * max(float(mu[0]), 0.0))) if mu.size and mu[0] > 0 else 0
    k = _v.int_in_range("k", k, 0, rank)
    subsets = list(itertools.combinations(range(rank), k))
    prods = np.empty((len(subsets), P.p, P.d))
    for j, S in enumerate(subsets):
        Es = E[:, list(S)]
        prods[j] = Es @ (Es.T @ B)
    return subsets, prods


def rank_penalised(P, mu: float) -> np.ndarray:
    """Rank-penalised moment-metric regression ``argmin_W 1/2 ||Syx - W Sx||_F^2 + mu rank(W)``.

    With ``M = W Sx`` (a rank-preserving bijection when ``Sx`` is positive definite) and
    Eckart-Young, ``min_{rank W = k} 1/2 ||Syx - W Sx||_F^2 = 1/2 sum_{i > k} s_i^2`` (``s_i``
    the singular values of ``Syx``); the increments ``mu - s_k^2/2`` increase with ``k``, so the
    minimiser is ``reduced_rank(P, k, "moment")`` with ``k = #{i : s_i^2 / 2 > mu}``. It is
    unique when ``mu`` differs from every ``s_i^2/2`` and the kept singular values are
    separated from the others. Needs ``Sx`` positive definite; ``mu >= 0``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5], [2.0, 1.0]); P.mode_strengths(rank_penalised(P, 0.3)).round(6)
    array([0.5, 0. ])
    """
    P = _problem(P)
    mu = _v.nonneg("mu", mu)
    s = np.linalg.svd(P.Syx, compute_uv=False)
    k = int(np.sum(0.5 * s**2 > mu))
    return reduced_rank(P, k, "moment")


def ridge(P, alpha: float) -> np.ndarray:
    """Ridge regression ``argmin L(W) + alpha/2 ||W||_F^2 = Syx (Sx + alpha I)^{-1}``.

    ``alpha >= 0`` (``alpha = 0`` is least squares and needs ``Sx`` positive definite).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0], [1.0]); float(P.mode_strengths(ridge(P, 1.0))[0])
    0.5
    """
    P = _problem(P)
    alpha = _v.nonneg("alpha", alpha)
    return ridge_path(P, [alpha])[0]


def ridge_path(P, alphas) -> np.ndarray:
    """Ridge solutions for every ``alpha`` (one eigendecomposition), shape ``(len(alphas), p, d)``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> ridge_path(commuting([1.0, 0.5]), [0.0, 1.0, 10.0]).shape
    (3, 2, 2)
    """
    P = _problem(P)
    a = np.atleast_1d(_v.as_array("alphas", alphas, ndim=(0, 1)))
    if np.any(a < 0):
        raise ValueError(f"alphas must be non-negative, got minimum {a.min():g}")
    if np.any(a == 0):
        e, Q = _eigh_pd(P, "ridge with alpha = 0 (least squares)")
    else:
        e, Q = np.linalg.eigh(P.Sx)
        e = np.maximum(e, 0.0)
    B = P.Syx @ Q                                        # (p, d)
    scaled = B[None, :, :] / (e[None, None, :] + a[:, None, None])
    return scaled @ Q.T


def _svt(M: np.ndarray, tau: float) -> np.ndarray:
    """Singular-value soft-thresholding ``U max(S - tau, 0) V^T``."""
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    s = np.maximum(s - tau, 0.0)
    keep = s > 0
    return (U[:, keep] * s[keep]) @ Vt[keep]


def _fista(P, mu: float, tol: float, max_iter: int, W0: np.ndarray | None) -> np.ndarray:
    Sx, Syx = P.Sx, P.Syx
    Lc = float(np.linalg.eigvalsh(Sx)[-1])
    if Lc <= 0:
        raise ValueError("Sigma_x is zero: the nuclear-norm problem is unbounded or trivial")
    step = 1.0 / Lc
    W = np.zeros_like(Syx) if W0 is None else W0.copy()
    Z = W.copy()
    t = 1.0
    for _ in range(max_iter):
        W_new = _svt(Z - step * (Z @ Sx - Syx), step * mu)
        diff = W_new - W
        change = np.linalg.norm(diff)
        scale = max(np.linalg.norm(W_new), np.finfo(float).tiny)
        if change <= tol * scale or (change == 0.0):
            return W_new
        # adaptive (gradient-based) restart keeps FISTA monotone-ish and linearly convergent
        if np.sum((Z - W_new) * diff) > 0:
            t = 1.0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Z = W_new + ((t - 1.0) / t_new) * diff
        W, t = W_new, t_new
    raise RuntimeError(
        f"nuclear_norm: FISTA did not converge to tol = {tol:g} in max_iter = {max_iter} "
        f"iterations (last relative change {change / scale:.3g}); increase max_iter or tol"
    )


def nuclear_norm(P, mu: float, *, tol: float = 1e-10, max_iter: int = 100_000,
                 method: str = "auto") -> np.ndarray:
    """Nuclear-norm regularised regression ``argmin_W L(W) + mu ||W||_*``.

    * Closed form when ``P.modes`` is known (``method="auto"`` or ``"closed_form"``):
      ``W = sum_i max(sigma_i - mu, 0)/lam_i u_i v_i^T`` (KKT: on an active mode
      ``lam_i w_i - sigma_i = -mu``; on an inactive one ``sigma_i <= mu`` fits in the
      subdifferential).
    * Otherwise (or ``method="fista"``): accelerated proximal gradient with singular-value
      soft-thresholding, step ``1/lambda_max(Sx)``, adaptive restart, stopped when
      ``||W_{k+1} - W_k||_F <= tol ||W_{k+1}||_F``; ``RuntimeError`` if ``max_iter`` is reached.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5], [2.0, 1.0]); P.mode_strengths(nuclear_norm(P, 0.6)).round(6)
    array([0.2, 0. ])
    """
    P = _problem(P)
    mu = _v.nonneg("mu", mu)
    tol = _v.positive("tol", tol)
    max_iter = _v.int_in_range("max_iter", max_iter, 1, 10**9)
    method = _v.choice("method", method, ("auto", "closed_form", "fista"))
    if method == "closed_form" and P.modes is None:
        raise ValueError("method='closed_form' needs P.modes (the commuting structure); "
                         "use method='auto' or 'fista'")
    if method != "fista" and P.modes is not None:
        md = P.modes
        w = np.maximum(md.sigma - mu, 0.0) / md.lam
        return (md.U * w) @ md.V.T
    return _fista(P, mu, tol, max_iter, None)


def nuclear_norm_path(P, mus, *, tol: float = 1e-10, max_iter: int = 100_000,
                      method: str = "auto") -> np.ndarray:
    """:func:`nuclear_norm` for every ``mu`` (FISTA warm-started along the path), ``(K, p, d)``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> nuclear_norm_path(commuting([1.0, 0.5]), [0.0, 0.7, 2.0]).shape
    (3, 2, 2)
    """
    P = _problem(P)
    m = np.atleast_1d(_v.as_array("mus", mus, ndim=(0, 1)))
    if np.any(m < 0):
        raise ValueError(f"mus must be non-negative, got minimum {m.min():g}")
    tol = _v.positive("tol", tol)
    max_iter = _v.int_in_range("max_iter", max_iter, 1, 10**9)
    method = _v.choice("method", method, ("auto", "closed_form", "fista"))
    if method != "fista" and P.modes is not None:
        return np.stack([nuclear_norm(P, float(x), method="closed_form") for x in m])
    if method == "closed_form":
        raise ValueError("method='closed_form' needs P.modes (the commuting structure)")
    out = np.empty((m.size, P.p, P.d))
    order = np.argsort(-m, kind="stable")   # large mu first: sparse solutions warm-start well
    W = None
    for i in order:
        W = _fista(P, float(m[i]), tol, max_iter, W)
        out[i] = W
    return out


def linear_estimator_risk(P, A, *, W_teacher, C, noise: float,
                          L=None) -> tuple[np.ndarray, np.ndarray]:
    """Expected excess risk of an estimator linear in the outputs, given the training inputs.

    Teacher model: ``y = W_t x + noise * N(0, I_p)``, test inputs with covariance ``C``. For an
    estimator ``W = L Syx A`` where ``A`` (d, d) and ``L`` (p, p) depend on the training inputs
    only (least squares: ``A = Sx^{-1}``; ridge: ``A = (Sx + alpha I)^{-1}``; ``t`` steps of
    gradient descent from 0: ``A = eta sum_{s<t} (I - eta Sx)^s``), the expectation over the
    training noise of the excess risk ``1/2 tr((W - W_t) C (W - W_t)^T)`` is ``bias + variance``:

    * ``bias = 1/2 tr(B C B^T)`` with ``B = L W_t Sx A - W_t``;
    * ``variance = noise^2 tr(L^T L) tr(A C A^T Sx) / (2 n)``.

    Parameters
    ----------
    P : Problem
        The training problem (its ``Sx`` and number of samples ``n`` are used).
    A : array_like, shape (..., d, d)
        Right factor(s); a stack gives a path of estimators.
    W_teacher : array_like, shape (p, d)
    C : array_like, shape (d, d)
        Covariance of the test inputs.
    noise : float
        Standard deviation of the output noise (``>= 0``).
    L : array_like, shape (..., p, p), optional
        Left factor(s) (default: the identity).

    Returns
    -------
    bias, variance : ndarray, shape (...)
        Floats (0-d arrays) for a single ``A``.

    Examples
    --------
    >>> from gdlinear.problems import teacher
    >>> split = teacher(d=4, p=3, rank=1, n_train=30, n_test=1, noise=0.5)
    >>> P, C = split.train, split.population.Sx
    >>> b, v = linear_estimator_risk(P, np.linalg.inv(P.Sx), W_teacher=split.W_teacher, C=C,
    ...                              noise=0.5)
    >>> float(b) < 1e-20, bool(np.isclose(v, 0.25 * 3 * np.trace(np.linalg.solve(P.Sx, C)) / 60))
    (True, True)
    """
    P = _problem(P)
    if P.n is None:
        raise ValueError("P must be a training problem built from data (P.n is None): the "
                         "variance term needs the number of samples n")
    d, p = P.d, P.p
    A = _v.as_array("A", A, shape=(d, d), what=f"(..., {d}, {d})")
    Wt = _v.as_array("W_teacher", W_teacher, ndim=2, shape=(p, d), what=f"({p}, {d})")
    C = _v.as_array("C", C, ndim=2, shape=(d, d), what=f"({d}, {d})")
    noise = _v.nonneg("noise", noise)
    if L is None:
        L = np.eye(p)
    L = _v.as_array("L", L, shape=(p, p), what=f"(..., {p}, {p})")
    B = L @ (Wt @ P.Sx) @ A - Wt
    bias = 0.5 * np.einsum("...pd,de,...pe->...", B, C, B)
    spread = np.einsum("...de,ef,...gf,gd->...", A, C, A, P.Sx)   # tr(A C A^T Sx)
    lnorm = np.einsum("...ij,...ij->...", L, L)                     # tr(L^T L)
    variance = 0.5 * noise**2 * lnorm * spread / P.n
    return np.asarray(bias), np.asarray(variance)
