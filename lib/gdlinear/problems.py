"""Regression problems, stored through their second moments.

Column convention (design §3): data ``X`` (n, d), ``Y`` (n, p); model ``W`` (p, d);
``L(W) = 1/(2n) ||Y - X W^T||_F^2 = Syy/2 - tr(W Syx^T) + tr(W Sx W^T)/2`` with
``Sx = X^T X / n`` (d, d), ``Syx = Y^T X / n`` (p, d) and ``Syy = tr(Y^T Y) / n``.

Under the commuting assumption ``Syx = U diag(sigma) V^T`` and ``Sx v_i = lam_i v_i``;
:class:`Modes` stores ``(U, sigma, lam, V)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import _validation as _v

__all__ = [
    "Modes",
    "Problem",
    "TeacherSplit",
    "commuting",
    "commuting_data",
    "autoencoder",
    "from_data",
    "from_moments",
    "noncommuting",
    "teacher",
    "with_modes",
    "random_orthogonal",
]


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Modes:
    """The commuting structure ``Syx = U diag(sigma) V^T``, ``Sx V = V diag(lam)``.

    Attributes
    ----------
    U : ndarray, shape (p, m)
        Orthonormal output directions ``u_i``.
    sigma : ndarray, shape (m,)
        Singular values of ``Syx``, non-increasing, > 0.
    lam : ndarray, shape (m,)
        Eigenvalue of ``Sx`` on ``v_i``.
    V : ndarray, shape (d, m)
        Orthonormal input directions ``v_i``.

    Examples
    --------
    >>> commuting([1.0, 0.5]).modes.sigma
    array([1. , 0.5])
    """

    U: np.ndarray
    sigma: np.ndarray
    lam: np.ndarray
    V: np.ndarray

    def __post_init__(self) -> None:
        for name in ("U", "sigma", "lam", "V"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def m(self) -> int:
        """Number of modes."""
        return int(self.sigma.shape[0])

    @property
    def targets(self) -> np.ndarray:
        """Least-squares mode strengths ``w_i* = sigma_i / lam_i``."""
        return self.sigma / self.lam


@dataclass(frozen=True, eq=False)
class Problem:
    """A least-squares problem ``min_W L(W)``, stored through its moments.

    ``L(W) = Syy_trace/2 - tr(W Syx^T) + tr(W Sx W^T)/2`` (equal to ``1/(2n)||Y - X W^T||_F^2``
    when built from data).

    Attributes
    ----------
    Sx : ndarray, shape (d, d)
        Input second moment ``X^T X / n`` (symmetric PSD).
    Syx : ndarray, shape (p, d)
        Cross moment ``Y^T X / n``.
    Syy_trace : float
        ``tr(Y^T Y) / n``: the loss's constant term.
    n : int or None
        Number of samples (``None`` for exact population moments).
    X, Y : ndarray or None
        The data, when the problem was built from data.
    modes : Modes or None
        The commuting structure, when known.
    name : str
        A label.

    Examples
    --------
    >>> P = commuting([1.0, 0.5]); float(P.loss(np.zeros((2, 2))))
    0.625
    """

    Sx: np.ndarray
    Syx: np.ndarray
    Syy_trace: float
    n: int | None = None
    X: np.ndarray | None = field(default=None, repr=False)
    Y: np.ndarray | None = field(default=None, repr=False)
    modes: Modes | None = None
    name: str = ""

    def __post_init__(self) -> None:
        Sx = _v.as_array("Sx", self.Sx, ndim=2, what="(d, d)")
        if Sx.shape[0] != Sx.shape[1]:
            raise ValueError(f"Sx must be a square (d, d) matrix, got shape {Sx.shape}")
        Syx = _v.as_array("Syx", self.Syx, ndim=2, what="(p, d)")
        if Syx.shape[1] != Sx.shape[0]:
            raise ValueError(
                f"Syx has shape {Syx.shape} but Sx has shape {Sx.shape}: Syx must be (p, d) "
                f"with d = {Sx.shape[0]}"
            )
        object.__setattr__(self, "Sx", _frozen(0.5 * (Sx + Sx.T)))
        object.__setattr__(self, "Syx", _frozen(Syx))
        object.__setattr__(self, "Syy_trace", _v.real("Syy_trace", self.Syy_trace))
        object.__setattr__(self, "X", _frozen(self.X))
        object.__setattr__(self, "Y", _frozen(self.Y))
        if self.modes is not None:
            md = self.modes
            if md.U.shape[0] != Syx.shape[0] or md.V.shape[0] != Sx.shape[0]:
                raise ValueError(
                    f"modes do not fit the problem: U is {md.U.shape}, V is {md.V.shape}, "
                    f"expected (p={Syx.shape[0]}, m) and (d={Sx.shape[0]}, m)"
                )

    # -- shapes -------------------------------------------------------------------------
    @property
    def d(self) -> int:
        """Input dimension."""
        return int(self.Sx.shape[0])

    @property
    def p(self) -> int:
        """Output dimension."""
        return int(self.Syx.shape[0])

    @property
    def m(self) -> int:
        """Number of modes (``len(modes.sigma)`` if known, else ``min(p, d)``)."""
        return self.modes.m if self.modes is not None else min(self.p, self.d)

    # -- loss ---------------------------------------------------------------------------
    def _check_W(self, W: np.ndarray) -> np.ndarray:
        return _v.as_array("W", W, shape=(self.p, self.d), what=f"(..., {self.p}, {self.d})")

    def loss(self, W: np.ndarray) -> float | np.ndarray:
        """``L(W) = Syy/2 - tr(W Syx^T) + tr(W Sx W^T)/2`` for ``W`` (p, d) or (..., p, d).

        Examples
        --------
        >>> P = commuting([1.0]); P.loss(P.Syx)
        0.0
        """
        W = self._check_W(W)
        val = 0.5 * self.Syy_trace - np.einsum("...ij,ij->...", W, self.Syx) + 0.5 * np.einsum(
            "...ij,...ij->...", W @ self.Sx, W
        )
        return float(val) if np.ndim(val) == 0 else val

    def gradient(self, W: np.ndarray) -> np.ndarray:
        """``grad L(W) = W Sx - Syx`` for ``W`` (p, d) or (..., p, d).

        Examples
        --------
        >>> P = commuting([1.0]); np.allclose(P.gradient(np.zeros((1, 1))), -P.Syx)
        True
        """
        W = self._check_W(W)
        return W @ self.Sx - self.Syx

    def commutator(self) -> float:
        """Relative commutator ``||Sx M - M Sx||_F / (||Sx||_F ||M||_F)`` with ``M = Syx^T Syx``.

        It is 0 exactly when the commuting assumption holds.

        Examples
        --------
        >>> commuting([1.0, 0.5], [2.0, 1.0]).commutator() < 1e-12
        True
        """
        M = self.Syx.T @ self.Syx
        den = np.linalg.norm(self.Sx) * np.linalg.norm(M)
        if den == 0:
            return 0.0
        return float(np.linalg.norm(self.Sx @ M - M @ self.Sx) / den)

    def mode_strengths(self, W: np.ndarray) -> np.ndarray:
        """Mode strengths ``w_i = u_i^T W v_i`` for ``W`` (..., p, d) -> (..., m).

        Examples
        --------
        >>> P = commuting([1.0, 0.5]); P.mode_strengths(P.Syx)
        array([1. , 0.5])
        """
        if self.modes is None:
            raise ValueError(
                "this problem has no known modes (modes is None); build it with "
                "problems.commuting/autoencoder or call problems.with_modes(P) first"
            )
        W = self._check_W(W)
        return np.einsum("pi,...pd,di->...i", self.modes.U, W, self.modes.V)

    def from_strengths(self, w) -> np.ndarray:
        """The matrix ``W = sum_i w_i u_i v_i^T`` for strengths ``w`` (..., m) -> (..., p, d).

        The inverse of :meth:`mode_strengths` on the span of the modes (e.g. the limit path
        :func:`gdlinear.theory.limit_path` as matrices).

        Examples
        --------
        >>> P = commuting([1.0, 0.5]); np.allclose(P.from_strengths([1.0, 0.5]), P.Syx)
        True
        """
        if self.modes is None:
            raise ValueError(
                "this problem has no known modes (modes is None); build it with "
                "problems.commuting/autoencoder or call problems.with_modes(P) first"
            )
        w = _v.as_array("w", w, ndim=None)
        if w.ndim == 0 or w.shape[-1] != self.modes.m:
            raise ValueError(
                f"w must have shape (..., m) with m = {self.modes.m} modes, got {w.shape}"
            )
        return np.einsum("pi,...i,di->...pd", self.modes.U, w, self.modes.V)

    @property
    def sigma(self) -> np.ndarray:
        """Singular values of ``Syx`` (the modes' when known), non-increasing."""
        if self.modes is not None:
            return self.modes.sigma
        return np.linalg.svd(self.Syx, compute_uv=False)


# ---------------------------------------------------------------------------------------
def random_orthogonal(k: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random ``k x k`` orthogonal matrix (QR of a Gaussian with sign fix).

    Examples
    --------
    >>> Q = random_orthogonal(3, np.random.default_rng(0)); np.allclose(Q.T @ Q, np.eye(3))
    True
    """
    k = _v.int_in_range("k", k, 1, 10**5)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    A = rng.standard_normal((k, k))
    Q, R = np.linalg.qr(A)
    s = np.sign(np.diag(R))
    s[s == 0] = 1.0
    return Q * s


def _sigma_lam(sigma, lam, d, p):
    sigma = _v.as_array("sigma", sigma, ndim=(0, 1)).reshape(-1)
    m = sigma.size
    if m == 0:
        raise ValueError("sigma must contain at least one singular value, got an empty array")
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must be positive, got minimum {sigma.min():g}")
    if np.any(np.diff(sigma) > 0):
        raise ValueError(f"sigma must be non-increasing (sigma_1 >= sigma_2 >= ...), got {sigma}")
    d = m if d is None else _v.nonneg_int("d", d)
    p = m if p is None else _v.nonneg_int("p", p)
    if d < m or p < m:
        raise ValueError(f"need d >= m and p >= m for m = {m} modes, got d = {d}, p = {p}")
    if lam is None:
        lam_full = np.ones(d)
    else:
        lam = _v.as_array("lam", lam, ndim=(0, 1)).reshape(-1)
        if lam.size == 1 and m > 1:
            lam = np.full(m, lam[0])
        if lam.size == m:
            lam_full = np.concatenate([lam, np.ones(d - m)])
        elif lam.size == d:
            lam_full = lam
        else:
            raise ValueError(
                f"lam must have length m = {m} (one eigenvalue per mode) or d = {d}, "
                f"got length {lam.size}"
            )
    if np.any(lam_full <= 0):
        raise ValueError(
            f"lam must be positive (Sigma_x positive definite), got minimum {lam_full.min():g}"
        )
    return sigma, lam_full, m, d, p


def commuting(sigma, lam=None, *, d: int | None = None, p: int | None = None,
              seed: int = 0, name: str = "") -> Problem:
    """Exact population moments satisfying the commuting assumption.

    ``Syx = U_m diag(sigma) V_m^T``, ``Sx = V diag(lam) V^T`` with random orthogonal
    ``U`` (p x p) and ``V`` (d x d); ``Syy_trace = sum_i sigma_i^2/lam_i`` (noiseless data
    ``Y = X W*^T``, so ``min L = 0``).

    Parameters
    ----------
    sigma : array_like, shape (m,)
        Positive, non-increasing singular values of ``Syx``.
    lam : array_like, optional
        ``None`` (whitened inputs, all ones), length ``m`` (eigenvalues of ``Sx`` on
        ``v_1..v_m``, the remaining ``d - m`` set to 1) or length ``d``.
    d, p : int, optional
        Dimensions (default ``m``); need ``d >= m``, ``p >= m``.
    seed : int
        Seed of ``np.random.default_rng`` for ``U`` and ``V``.

    Examples
    --------
    >>> P = commuting([1.0, 0.7, 0.4], [2.0, 0.5, 1.0], d=5, p=4); P.Syx.shape
    (4, 5)
    """
    sigma, lam_full, m, d, p = _sigma_lam(sigma, lam, d, p)
    rng = np.random.default_rng(seed)
    U = random_orthogonal(p, rng)[:, :m]
    V = random_orthogonal(d, rng)
    Sx = (V * lam_full) @ V.T
    Syx = (U * sigma) @ V[:, :m].T
    modes = Modes(U=U, sigma=sigma, lam=lam_full[:m], V=V[:, :m])
    return Problem(Sx=Sx, Syx=Syx, Syy_trace=float(np.sum(sigma**2 / lam_full[:m])), n=None,
                   modes=modes, name=name or "commuting")


def commuting_data(sigma, lam=None, *, n: int, noise: float = 0.0, d: int | None = None,
                   p: int | None = None, seed: int = 0, name: str = "") -> Problem:
    """Data ``X`` (n, d), ``Y`` (n, p) whose moments are exactly those of :func:`commuting`.

    ``P0 = commuting(sigma, lam, d=d, p=p, seed=seed)`` fixes ``Sx``, ``Syx`` and the modes. Then
    ``X = sqrt(n) Q_x Sx^{1/2}`` and ``Y = X W*^T + sqrt(n) noise Q_e``, where
    ``W* = Syx Sx^{-1}`` and ``[Q_x, Q_e]`` (n, d + p) has orthonormal columns (QR of a Gaussian
    matrix drawn with ``seed``). Hence ``X^T X / n = Sx`` and ``Y^T X / n = Syx`` exactly (the
    label noise is orthogonal to the columns of ``X``), the least-squares residual is the noise,
    with ``E^T E / n = noise^2 I_p``, and ``P.modes`` is ``P0.modes``. Use it for minibatch SGD on
    a problem whose full-batch dynamics are known exactly.

    Parameters
    ----------
    sigma, lam, d, p, seed
        As in :func:`commuting`.
    n : int
        Number of samples, ``n >= d + p``.
    noise : float
        Root-mean-square label noise per output coordinate (>= 0).

    Examples
    --------
    >>> P = commuting_data([1.0, 0.5], n=40, noise=0.1)
    >>> np.allclose(P.Syx, commuting([1.0, 0.5]).Syx)
    True
    """
    P0 = commuting(sigma, lam, d=d, p=p, seed=seed)
    n = _v.int_in_range("n", n, P0.d + P0.p, 10**9)
    noise = _v.nonneg("noise", noise)
    rng = np.random.default_rng([int(seed), 1])
    Q, _ = np.linalg.qr(rng.standard_normal((n, P0.d + P0.p)))
    ev, E = np.linalg.eigh(P0.Sx)
    X = np.sqrt(n) * Q[:, : P0.d] @ ((E * np.sqrt(ev)) @ E.T)
    W_star = np.linalg.solve(P0.Sx, P0.Syx.T).T
    Y = X @ W_star.T + np.sqrt(n) * noise * Q[:, P0.d:]
    return replace(from_data(X, Y, name=name or "commuting data"), modes=P0.modes)


def autoencoder(lam, *, seed: int = 0, name: str = "") -> Problem:
    """Autoencoder moments (``Y = X``): ``Sx = Syx = V diag(lam) V^T``, so ``sigma_i = lam_i``.

    Examples
    --------
    >>> autoencoder([3.0, 2.0, 1.0]).modes.targets
    array([1., 1., 1.])
    """
    lam = _v.as_array("lam", lam, ndim=1)
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError("lam must be a non-empty array of positive eigenvalues")
    if np.any(np.diff(lam) > 0):
        raise ValueError(f"lam must be non-increasing, got {lam}")
    d = lam.size
    V = random_orthogonal(d, np.random.default_rng(seed))
    Sx = (V * lam) @ V.T
    modes = Modes(U=V, sigma=lam, lam=lam, V=V)
    return Problem(Sx=Sx, Syx=Sx, Syy_trace=float(lam.sum()), n=None, modes=modes,
                   name=name or "autoencoder")


def from_data(X, Y, *, name: str = "") -> Problem:
    """Moments of data ``X`` (n, d), ``Y`` (n, p): ``Sx = X^T X/n``, ``Syx = Y^T X/n``.

    ``Syy_trace = ||Y||_F^2 / n``; ``modes`` is ``None`` (see :func:`with_modes`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> P = from_data(rng.normal(size=(50, 3)), rng.normal(size=(50, 2)))
    >>> P.Syx.shape
    (2, 3)
    """
    X = _v.as_array("X", X, ndim=2, what="(n, d)")
    Y = _v.as_array("Y", Y, ndim=2, what="(n, p)")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must have the same number of rows (samples), got X {X.shape} and Y {Y.shape}"
        )
    n = X.shape[0]
    if n < 1 or X.shape[1] < 1 or Y.shape[1] < 1:
        raise ValueError(f"X and Y must be non-empty, got X {X.shape} and Y {Y.shape}")
    return Problem(Sx=X.T @ X / n, Syx=Y.T @ X / n, Syy_trace=float(np.sum(Y * Y) / n), n=n,
                   X=X, Y=Y, modes=None, name=name or "data")


def from_moments(Sx, Syx, Syy_trace: float | None = None, *, name: str = "") -> Problem:
    """A problem from given moments. ``Syy_trace`` defaults to ``tr(Syx Sx^+ Syx^T)`` (min loss 0).

    Examples
    --------
    >>> from_moments(np.eye(2), np.eye(2)).Syy_trace
    2.0
    """
    Sx = _v.as_array("Sx", Sx, ndim=2, what="(d, d)")
    Syx = _v.as_array("Syx", Syx, ndim=2, what="(p, d)")
    if Sx.shape[0] != Sx.shape[1] or Syx.shape[1] != Sx.shape[0]:
        raise ValueError(f"need Sx (d, d) and Syx (p, d), got Sx {Sx.shape} and Syx {Syx.shape}")
    if not np.allclose(Sx, Sx.T, atol=1e-12 * max(1.0, np.abs(Sx).max())):
        raise ValueError("Sx must be symmetric")
    ev = np.linalg.eigvalsh(0.5 * (Sx + Sx.T))
    if ev[0] < -1e-10 * max(1.0, abs(ev[-1])):
        raise ValueError(f"Sx must be positive semi-definite, got smallest eigenvalue {ev[0]:.3g}")
    if Syy_trace is None:
        Syy_trace = float(np.trace(Syx @ np.linalg.pinv(Sx, hermitian=True) @ Syx.T))
    return Problem(Sx=Sx, Syx=Syx, Syy_trace=Syy_trace, n=None, name=name or "moments")


def with_modes(P: Problem, *, tol: float = 1e-8) -> Problem:
    """Return ``P`` with its commuting structure computed from ``Syx``'s SVD.

    Keeps the modes with ``sigma_i > tol * sigma_1``; within groups of equal ``sigma_i`` the
    basis is rotated to diagonalise ``Sx``. Raises ``ValueError`` if some ``v_i`` is not an
    eigenvector of ``Sx`` (relative residual > ``tol``), i.e. the assumption fails.

    Examples
    --------
    >>> P = commuting([1.0, 0.5]); with_modes(from_moments(P.Sx, P.Syx)).modes.sigma
    array([1. , 0.5])
    """
    if not isinstance(P, Problem):
        raise TypeError(f"P must be a gdlinear Problem, got {type(P).__name__}")
    tol = _v.positive("tol", tol)
    U, s, Vt = np.linalg.svd(P.Syx, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        raise ValueError("Syx is zero: the problem has no modes")
    keep = s > tol * s[0]
    U, s, V = U[:, keep], s[keep], Vt[keep].T
    # rotate within clusters of (numerically) equal singular values to diagonalise Sx
    start = 0
    for i in range(1, s.size + 1):
        if i == s.size or s[i] < s[start] * (1 - 1e-9):
            if i - start > 1:
                block = V[:, start:i].T @ P.Sx @ V[:, start:i]
                _, Q = np.linalg.eigh(0.5 * (block + block.T))
                V[:, start:i] = V[:, start:i] @ Q
                U[:, start:i] = U[:, start:i] @ Q
            start = i
    lam = np.einsum("di,de,ei->i", V, P.Sx, V)
    resid = np.linalg.norm(P.Sx @ V - V * lam, axis=0)
    scale = max(np.linalg.norm(P.Sx, 2), np.finfo(float).tiny)
    if np.any(resid > tol * scale):
        raise ValueError(
            f"the commuting assumption does not hold (relative residual "
            f"{resid.max() / scale:.3g} > tol = {tol:g}; commutator {P.commutator():.3g}): "
            "the right singular vectors of Syx are not eigenvectors of Sx"
        )
    if np.any(lam <= 0):
        raise ValueError(
            "Sx vanishes on a mode direction (lam_i = 0): targets sigma_i/lam_i undefined"
        )
    return replace(P, modes=Modes(U=U, sigma=s, lam=lam, V=V))


def noncommuting(sigma, lam, *, angle: float, d: int | None = None, p: int | None = None,
                 seed: int = 0, name: str = "") -> Problem:
    """Moments whose commutator is controlled by a rotation angle.

    Same ``U``, ``V``, ``sigma`` and ``lam`` as :func:`commuting` with the same seed, but the
    eigenvectors of ``Sx`` are rotated: ``Sx = R V diag(lam) V^T R^T`` with
    ``R = exp(angle * A)``, ``A`` a fixed random skew-symmetric matrix with ``||A||_F = 1``.
    ``angle = 0`` reproduces :func:`commuting`; ``modes`` is ``None`` and
    ``Syy_trace = tr(Syx Sx^{-1} Syx^T)`` (noiseless, ``min L = 0``).

    Examples
    --------
    >>> noncommuting([1.0, 0.5], [2.0, 1.0], angle=0.3, d=3).commutator() > 0
    True
    """
    angle = _v.real("angle", angle)
    sigma, lam_full, m, d, p = _sigma_lam(sigma, lam, d, p)
    rng = np.random.default_rng(seed)
    U = random_orthogonal(p, rng)[:, :m]
    V = random_orthogonal(d, rng)
    B = rng.standard_normal((d, d))
    A = B - B.T
    nrm = np.linalg.norm(A)
    A = A / nrm if nrm > 0 else A
    from scipy.linalg import expm  # imported here: scipy.linalg costs ~0.3 s at import

    R = expm(angle * A)
    Vr = R @ V
    Sx = (Vr * lam_full) @ Vr.T
    Syx = (U * sigma) @ V[:, :m].T
    syy = float(np.trace(Syx @ np.linalg.solve(Sx, Syx.T)))
    return Problem(Sx=Sx, Syx=Syx, Syy_trace=syy, n=None, modes=None,
                   name=name or f"noncommuting(angle={angle:g})")


@dataclass(frozen=True, eq=False)
class TeacherSplit:
    """Train and test problems of a noisy low-rank teacher.

    Attributes
    ----------
    train, test : Problem
        Built with :func:`from_data` from independent samples.
    W_teacher : ndarray, shape (p, d)
        The teacher ``W_t`` (rank ``rank``).
    population : Problem
        Exact population moments: ``Sx = C``, ``Syx = W_t C``,
        ``Syy = tr(W_t C W_t^T) + p noise^2``;
        its loss is the expected test loss.
    """

    train: Problem
    test: Problem
    W_teacher: np.ndarray
    population: Problem

    @property
    def noise(self) -> float:
        """The output noise level ``noise``, from ``Syy = tr(W_t C W_t^T) + p noise^2``."""
        Wt, C = self.W_teacher, self.population.Sx
        var = (self.population.Syy_trace - float(np.trace(Wt @ C @ Wt.T))) / Wt.shape[0]
        return float(np.sqrt(max(var, 0.0)))

    def excess_risk(self, W) -> float | np.ndarray:
        """Expected test loss above the noise floor: ``1/2 tr((W - W_t) C (W - W_t)^T)``.

        Equal to ``population.loss(W) - population.loss(W_t)``; ``W`` (p, d) or stacked
        (..., p, d).

        Examples
        --------
        >>> split = teacher(d=3, p=2, rank=1, n_train=10, n_test=10, noise=0.1)
        >>> float(split.excess_risk(split.W_teacher))
        0.0
        """
        D = _v.as_array("W", W, shape=self.W_teacher.shape, what="(..., p, d)") - self.W_teacher
        out = 0.5 * np.einsum("...pd,de,...pe->...", D, self.population.Sx, D)
        return float(out) if out.ndim == 0 else out


def teacher(*, d: int, p: int, rank: int, n_train: int, n_test: int, noise: float,
            input_spectrum=None, signal=None, seed: int = 0) -> TeacherSplit:
    """Noisy low-rank teacher with anisotropic, non-commuting Gaussian inputs.

    ``x ~ N(0, C)``, ``C = Q diag(input_spectrum) Q^T`` (random eigenbasis ``Q``; default
    spectrum ``geomspace(1, 0.1, d)``); ``W_t = A diag(signal) B^T`` with random orthonormal
    ``A`` (p, rank), ``B`` (d, rank) (default ``signal = geomspace(3, 0.5, rank)``);
    ``y = W_t x + noise * N(0, I_p)``.

    Examples
    --------
    >>> split = teacher(d=8, p=5, rank=2, n_train=40, n_test=400, noise=0.5)
    >>> split.train.n, split.test.n
    (40, 400)
    """
    d = _v.int_in_range("d", d, 1, 10**6)
    p = _v.int_in_range("p", p, 1, 10**6)
    rank = _v.int_in_range("rank", rank, 1, min(d, p))
    n_train = _v.int_in_range("n_train", n_train, 1, 10**8)
    n_test = _v.int_in_range("n_test", n_test, 1, 10**8)
    noise = _v.nonneg("noise", noise)
    if input_spectrum is None:
        spec = np.geomspace(1.0, 0.1, d)
    else:
        spec = _v.as_array("input_spectrum", input_spectrum, ndim=1)
        if spec.size != d or np.any(spec <= 0):
            raise ValueError(
                f"input_spectrum must have length d = {d} with positive entries, got {spec}"
            )
    if signal is None:
        sig = np.geomspace(3.0, 0.5, rank)
    else:
        sig = _v.as_array("signal", signal, ndim=1)
        if sig.size != rank or np.any(sig <= 0):
            raise ValueError(f"signal must have length rank = {rank} with positive entries")
    rng = np.random.default_rng(seed)
    Q = random_orthogonal(d, rng)
    A = random_orthogonal(p, rng)[:, :rank]
    B = random_orthogonal(d, rng)[:, :rank]
    Wt = (A * sig) @ B.T
    root = Q * np.sqrt(spec)            # C = root root^T

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        X = rng.standard_normal((n, d)) @ root.T
        Y = X @ Wt.T + noise * rng.standard_normal((n, p))
        return X, Y

    Xtr, Ytr = sample(n_train)
    Xte, Yte = sample(n_test)
    C = (Q * spec) @ Q.T
    pop = Problem(Sx=C, Syx=Wt @ C, Syy_trace=float(np.trace(Wt @ C @ Wt.T) + p * noise**2),
                  n=None, name="teacher population")
    Wt.flags.writeable = False
    return TeacherSplit(train=from_data(Xtr, Ytr, name="teacher train"),
                        test=from_data(Xte, Yte, name="teacher test"), W_teacher=Wt,
                        population=pop)
