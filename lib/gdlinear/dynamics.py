"""Gradient dynamics of the linear model and of (deep) linear networks.

Column convention: ``W = W_L ... W_2 W_1`` in ``R^{p x d}``, ``W_1`` (r, d), ``W_L`` (p, r).
With ``G = W Sx - Syx`` the gradients are
``grad_{W_j} = (W_L ... W_{j+1})^T G (W_{j-1} ... W_1)^T``;
for two layers ``grad_{W1} = W2^T G`` and ``grad_{W2} = G W1^T``.

Runs record the product ``W`` on a schedule (``record``), then compute singular values, losses
and (when ``P.modes`` is known) the exact mode strengths ``u_i^T W v_i`` in batch.
Divergence is checked every ``CHECK_EVERY`` steps and at recorded steps; a blow-up raises
:class:`gdlinear.DivergenceError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _validation as _v
from .errors import DivergenceError
from .problems import Problem
from .theory import stability_bound

__all__ = [
    "CHECK_EVERY",
    "Init",
    "Trajectory",
    "Sweep",
    "spectral_init",
    "random_init",
    "svd_init",
    "schedule",
    "gd_linear",
    "gd_two_layer",
    "gd_deep",
    "sgd_linear",
    "sgd_two_layer",
    "gradient_flow",
    "sweep_two_layer",
    "hessian_vector_product",
    "hessian_two_layer",
    "sharpness",
    "SharpnessPath",
    "sharpness_path",
    "minibatch_gradient_noise",
    "imbalance",
    "linearised_two_layer",
    "top_alignment",
    "plateau_steps",
]

CHECK_EVERY = 50
"""Divergence is checked every this many steps (and at every recorded step)."""

_N_LOG = 200
_BLOWUP = 1e8
_SMALL = 8


# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Init:
    """Initial factors ``(W_1, ..., W_L)`` of a depth-``L`` linear network.

    Attributes
    ----------
    factors : tuple of ndarray
        ``W_1`` (r, d), middle factors (r, r), ``W_L`` (p, r); the product is ``W_L ... W_1``.
    spectral : bool
        True when built by :func:`spectral_init` (aligned with the problem's modes).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> spectral_init(commuting([1.0, 0.5]), 1e-3).W.round(6).shape
    (2, 2)
    """

    factors: tuple[np.ndarray, ...]
    spectral: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.factors, tuple | list) or len(self.factors) < 2:
            raise ValueError("factors must be a tuple of at least two matrices (W1, ..., WL)")
        fs = []
        for j, F in enumerate(self.factors):
            A = _v.as_array(f"factors[{j}]", F, ndim=2)
            if j > 0 and A.shape[1] != fs[-1].shape[0]:
                raise ValueError(
                    f"factors do not chain: factors[{j}] has shape {A.shape} but factors[{j - 1}] "
                    f"has shape {fs[-1].shape} (need factors[j].shape[1] == factors[j-1].shape[0])"
                )
            A = A.copy()
            A.flags.writeable = False
            fs.append(A)
        object.__setattr__(self, "factors", tuple(fs))

    @property
    def depth(self) -> int:
        """Number of factors ``L``."""
        return len(self.factors)

    @property
    def width(self) -> int:
        """Hidden width ``r`` (rows of ``W_1``)."""
        return int(self.factors[0].shape[0])

    @property
    def W1(self) -> np.ndarray:
        """First factor (r, d)."""
        return self.factors[0]

    @property
    def W2(self) -> np.ndarray:
        """Last factor (p, r) (``W_2`` for two layers)."""
        return self.factors[-1]

    @property
    def W(self) -> np.ndarray:
        """Product ``W_L ... W_1`` (p, d)."""
        return _product(self.factors)


def _product(factors) -> np.ndarray:
    W = factors[0]
    for F in factors[1:]:
        W = F @ W
    return W


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A recorded run.

    Attributes
    ----------
    steps : ndarray of int, shape (k,)
        Recorded iterations.
    singular_values : ndarray, shape (k, min(p, d))
        Singular values of the product, descending.
    loss : ndarray, shape (k,)
        Full-batch loss ``L(W)``.
    modes : ndarray or None, shape (k, m)
        Exact mode strengths ``u_i^T W v_i`` when ``P.modes`` is known.
    factors : tuple of ndarray
        Final factors (``(W,)`` for the linear model).
    eta : float
        Step size (0.0 for gradient flow).
    time : ndarray, shape (k,)
        ``eta * steps`` (the flow's ``t`` for :func:`gradient_flow`).
    products : ndarray, shape (k, p, d)
        The recorded products ``W``.
    model : str
        ``"linear"``, ``"two_layer"``, ``"deep"`` (or with an ``sgd_``/``flow_`` prefix).
    """

    steps: np.ndarray
    singular_values: np.ndarray
    loss: np.ndarray
    modes: np.ndarray | None
    factors: tuple[np.ndarray, ...]
    eta: float
    time: np.ndarray
    products: np.ndarray = field(repr=False, default=None)
    model: str = "two_layer"

    @property
    def W1(self) -> np.ndarray:
        """Final first factor."""
        return self.factors[0]

    @property
    def W2(self) -> np.ndarray:
        """Final last factor."""
        return self.factors[-1]

    @property
    def W(self) -> np.ndarray:
        """Final product (p, d)."""
        return _product(self.factors)

    @property
    def depth(self) -> int:
        """Number of factors (1 for the linear model)."""
        return len(self.factors)


@dataclass(frozen=True, eq=False)
class Sweep:
    """Batched runs over ``(eta, scale)`` pairs (see :func:`sweep_two_layer`).

    Attributes
    ----------
    etas, scales : ndarray, shape (R,)
        Per-run step size and initial scale (``W(0) = scale * sum_i u_i v_i^T``).
    shape : tuple
        ``(len(etas), len(scales))`` for a grid (run ``i * len(scales) + j``), else ``(R,)``.
    steps : ndarray of int, shape (k,)
    modes : ndarray or None, shape (R, k, m)
        Exact mode strengths (when ``P.modes`` is known).
    singular_values : ndarray or None, shape (R, k, min(p, d))
        Recorded when ``P.modes`` is unknown or on request.
    loss : ndarray, shape (R, k)
    diverged : ndarray of bool, shape (R,)
        Runs that blew up. Their recorded values from the detection step on are NaN.
    diverged_step : ndarray of int, shape (R,)
        Step at which the blow-up was detected (-1 if none).
    """

    etas: np.ndarray
    scales: np.ndarray
    shape: tuple[int, ...]
    steps: np.ndarray
    modes: np.ndarray | None
    singular_values: np.ndarray | None
    loss: np.ndarray
    diverged: np.ndarray
    diverged_step: np.ndarray

    def grid(self, values: np.ndarray) -> np.ndarray:
        """Reshape a per-run array (R, ...) to ``shape + (...)``."""
        values = np.asarray(values)
        return values.reshape(self.shape + values.shape[1:])


# ---------------------------------------------------------------------------------------
def _check_problem(P: Any) -> Problem:
    if not isinstance(P, Problem):
        raise TypeError(f"P must be a gdlinear.problems.Problem, got {type(P).__name__}")
    return P


def _check_init(P: Problem, init: Any, depth: int | None = None) -> Init:
    if not isinstance(init, Init):
        raise TypeError(
            f"init must be a gdlinear.dynamics.Init (from spectral_init or random_init), "
            f"got {type(init).__name__}"
        )
    if depth is not None and init.depth != depth:
        raise ValueError(
            f"init has depth {init.depth} but this function needs depth {depth}; "
            "use gd_deep for other depths"
        )
    if init.W1.shape[1] != P.d or init.W2.shape[0] != P.p:
        raise ValueError(
            f"init does not match the problem: W1 is {init.W1.shape} (needs {P.d} columns) and "
            f"the last factor is {init.W2.shape} (needs {P.p} rows) for d = {P.d}, p = {P.p}"
        )
    return init


def schedule(record: Any, steps: int) -> np.ndarray:
    """Recorded iterations for ``record`` in a run of ``steps`` iterations.

    ``None`` or ``"log"``: about 200 log-spaced steps plus 0 and ``steps``; int ``k``: every
    ``k`` steps plus the last; array: exactly those steps (sorted, within ``0..steps``).

    Examples
    --------
    >>> schedule(4, 10)
    array([ 0,  4,  8, 10])
    """
    steps = _v.nonneg_int("steps", steps)
    if record is None or (isinstance(record, str) and record == "log"):
        if steps == 0:
            return np.zeros(1, dtype=np.int64)
        pts = np.round(np.geomspace(1, steps, _N_LOG)).astype(np.int64)
        return np.unique(np.concatenate([[0], pts, [steps]]))
    if isinstance(record, str):
        raise ValueError(f"record must be None, 'log', a positive int or an array of steps, "
                         f"got {record!r}")
    if np.ndim(record) == 0:
        k = _v.nonneg_int("record", record)
        if k == 0:
            raise ValueError("record must be a positive integer (record every k steps), got 0")
        return np.unique(np.concatenate([np.arange(0, steps + 1, k), [steps]])).astype(np.int64)
    return _v.steps_array("record", record, upper=steps)


def _blowup_limit(P: Problem, W0: np.ndarray) -> float:
    ev = np.linalg.eigvalsh(P.Sx)
    pos = ev[ev > 1e-12 * max(ev[-1], 0.0)] if ev[-1] > 0 else ev[:0]
    lam_min = float(pos[0]) if pos.size else 1.0
    ref = max(1.0, float(np.linalg.norm(W0)), float(np.linalg.norm(P.Syx)) / lam_min)
    return _BLOWUP * ref


def _drive(
    advance: Callable[[int], None],
    product: Callable[[], np.ndarray],
    steps: int,
    rec: np.ndarray,
    limit: float,
    error: Callable[[int], DivergenceError],
    shape: tuple[int, int],
) -> np.ndarray:
    """Run ``advance`` in segments between checkpoints; record and check at checkpoints."""
    out = np.empty((rec.size,) + shape)
    checks = np.union1d(rec, np.arange(0, steps + 1, CHECK_EVERY))
    checks = np.union1d(checks, [steps])
    ri, prev = 0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for cp in checks.tolist():
            if cp > prev:
                advance(cp - prev)
                prev = cp
            W = product()
            if not np.abs(W).max(initial=0.0) <= limit:
                raise error(cp)
            if ri < rec.size and rec[ri] == cp:
                out[ri] = W
                ri += 1
    return out


def _finish(P: Problem, rec: np.ndarray, products: np.ndarray, factors, eta: float,
            model: str, time: np.ndarray | None = None) -> Trajectory:
    sv = np.linalg.svd(products, compute_uv=False)
    loss = np.atleast_1d(P.loss(products))
    modes = P.mode_strengths(products) if P.modes is not None else None
    fs = []
    for F in factors:
        F = np.array(F, copy=True)
        F.flags.writeable = False
        fs.append(F)
    products.flags.writeable = False
    return Trajectory(steps=rec, singular_values=sv, loss=loss, modes=modes, factors=tuple(fs),
                      eta=float(eta), time=eta * rec.astype(float) if time is None else time,
                      products=products, model=model)


def _sigma1(P: Problem) -> float:
    if P.modes is not None:
        return float(P.modes.sigma[0])
    return float(np.linalg.norm(P.Syx, 2))


def _two_layer_error(P: Problem, eta: float) -> Callable[[int], DivergenceError]:
    s1 = _sigma1(P)
    bound = 1.0 / s1 if s1 > 0 else np.inf
    return lambda step: DivergenceError(eta=eta, step=step, bound=bound, rule="1/sigma_1")


def _linear_error(P: Problem, eta: float) -> Callable[[int], DivergenceError]:
    lmax = float(np.linalg.eigvalsh(P.Sx)[-1])
    bound = 2.0 / lmax if lmax > 0 else np.inf
    return lambda step: DivergenceError(eta=eta, step=step, bound=bound, rule="2/lambda_max",
                                        model="linear model")


def _deep_error(P: Problem, eta: float, depth: int) -> Callable[[int], DivergenceError]:
    if depth == 2:
        return _two_layer_error(P, eta)
    bound = stability_bound(P, "deep", depth=depth)
    rule = f"2/max_i(L lam_i (sigma_i/lam_i)^(2-2/L)) with L = {depth}"
    return lambda step: DivergenceError(eta=eta, step=step, bound=bound, rule=rule,
                                        model=f"depth-{depth} network")


# ---------------------------------------------------------------------------------------
def spectral_init(P: Problem, scale, width: int | None = None, *, balanced: bool = True,
                  ratio: float = 2.0, depth: int = 2) -> Init:
    """Initialisation aligned with the modes: ``W_L ... W_1 = sum_{i<=k} s_i u_i v_i^T``.

    ``k = min(width, m)``; ``s_i = scale`` (or ``scale[i]`` for an array of length ``k``).
    Balanced: every factor carries ``s_i^{1/L}`` on mode ``i`` (two layers:
    ``W1 = sqrt(s) V_k^T``, ``W2 = sqrt(s) U_k``; middle factors diagonal, "identity-like").
    Unbalanced: ``W1`` carries ``s^{1/L} * ratio`` and ``W_L`` carries ``s^{1/L} / ratio``.
    Rows/columns beyond ``m`` (``width > m``) are zero in ``W1`` and ``W_L``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5]); init = spectral_init(P, np.exp(-10.0))
    >>> np.allclose(P.mode_strengths(init.W), np.exp(-10.0))
    True
    """
    P = _check_problem(P)
    if P.modes is None:
        raise ValueError(
            "spectral_init needs the problem's modes (P.modes is None): build P with "
            "problems.commuting/autoencoder, call problems.with_modes(P), or use random_init"
        )
    depth = _v.int_in_range("depth", depth, 2, 1000)
    m = P.modes.m
    r = m if width is None else _v.int_in_range("width", width, 1, 10**6)
    k = min(r, m)
    if np.ndim(scale) == 0:
        s = np.full(k, _v.nonneg("scale", scale))
    else:
        s = _v.as_array("scale", scale, ndim=1)
        if s.size != k or np.any(s < 0):
            raise ValueError(
                f"scale must be a non-negative number or an array of k = min(width, m) = {k} "
                f"non-negative per-mode strengths, got {s}"
            )
    ratio = _v.positive("ratio", ratio)
    if balanced:
        ratio = 1.0
    a = s ** (1.0 / depth)
    U, V = P.modes.U[:, :k], P.modes.V[:, :k]
    W1 = np.zeros((r, P.d))
    W1[:k] = (a * ratio)[:, None] * V.T
    WL = np.zeros((P.p, r))
    WL[:, :k] = U * (a / ratio)
    mids = []
    pad = float(a.min()) if a.size else 0.0
    for _ in range(depth - 2):
        D = np.zeros(r)
        D[:k] = a
        D[k:] = pad
        mids.append(np.diag(D))
    return Init(factors=(W1, *mids, WL), spectral=True)


def random_init(P: Problem, scale: float, width: int, seed: int = 0, *, depth: int = 2) -> Init:
    """I.i.d. Gaussian factors rescaled so that ``||W_L ... W_1||_2 = scale``.

    Each factor is multiplied by the same ``(scale / ||product||_2)^{1/L}``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> init = random_init(commuting([1.0, 0.5]), 1e-3, width=4)
    >>> round(float(np.linalg.norm(init.W, 2)), 9)
    0.001
    """
    P = _check_problem(P)
    scale = _v.positive("scale", scale)
    width = _v.int_in_range("width", width, 1, 10**6)
    depth = _v.int_in_range("depth", depth, 2, 1000)
    rng = np.random.default_rng(seed)
    dims = [P.d] + [width] * (depth - 1) + [P.p]
    fs = [rng.standard_normal((dims[j + 1], dims[j])) / np.sqrt(dims[j]) for j in range(depth)]
    nrm = float(np.linalg.norm(_product(fs), 2))
    c = (scale / nrm) ** (1.0 / depth)
    return Init(factors=tuple(F * c for F in fs), spectral=False)



def svd_init(P: Problem, scale: float, width: int | None = None) -> Init:
    """Balanced two-layer initialisation aligned with the SVD of ``Syx`` (no commuting assumption).

    With ``Syx = sum_i s_i a_i b_i^T`` (singular values descending), ``W1 = sqrt(scale) B_k^T``
    and ``W2 = sqrt(scale) A_k``, so that ``W2 W1 = scale * sum_{i <= k} a_i b_i^T`` with
    ``k = min(width, min(p, d))``; rows/columns beyond ``k`` (``width > min(p, d)``) are zero.
    This is the "spectral initialisation of the training moments": on a commuting problem with
    distinct ``sigma_i`` it equals :func:`spectral_init` (the ``a_i b_i^T`` are the ``u_i v_i^T``),
    and unlike :func:`spectral_init` it needs no ``P.modes``. ``spectral`` is ``False``: the
    exact mode projection is not available in general.

    Parameters
    ----------
    P : Problem
    scale : float
        Product scale ``>= 0`` (``e^{-delta}`` in the book's notation).
    width : int, optional
        Hidden width ``r >= 1`` (default ``min(p, d)``).

    Returns
    -------
    Init

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5]); init = svd_init(P, 1e-3)
    >>> np.allclose(init.W, spectral_init(P, 1e-3).W)
    True
    """
    P = _check_problem(P)
    scale = _v.nonneg("scale", scale)
    q = min(P.p, P.d)
    r = q if width is None else _v.int_in_range("width", width, 1, 10**6)
    k = min(r, q)
    A, _, Bt = np.linalg.svd(P.Syx, full_matrices=False)
    W1 = np.zeros((r, P.d))
    W1[:k] = np.sqrt(scale) * Bt[:k]
    W2 = np.zeros((P.p, r))
    W2[:, :k] = np.sqrt(scale) * A[:, :k]
    return Init(factors=(W1, W2), spectral=False)

# ---------------------------------------------------------------------------------------
def linearised_two_layer(P: Problem, eta: float, init: Init, steps) -> np.ndarray:
    """Products of the linearised two-layer GD (the early phase of a small initialisation).

    Dropping ``W2 W1 Sx`` from ``G`` (valid while ``W`` is small) gives the linear map
    ``W1+ = W1 + eta W2^T Syx``, ``W2+ = W2 + eta Syx W1^T``. With the compact SVD
    ``Syx = sum_{i <= m} sigma_i u_i v_i^T``, ``alpha_i = W1 v_i`` and ``beta_i = W2^T u_i``
    satisfy ``alpha_i + beta_i -> (1 + eta sigma_i)(alpha_i + beta_i)`` and
    ``alpha_i - beta_i -> (1 - eta sigma_i)(alpha_i - beta_i)``, while ``W1 v`` (``v`` orthogonal
    to every ``v_i``) and ``W2^T u`` (``u`` orthogonal to every ``u_i``) stay constant. This
    function evaluates that closed form.

    Parameters
    ----------
    P : Problem
    eta : float
        Step size > 0.
    init : Init
        Depth-2 initial factors.
    steps : array_like of int
        Iterations at which to evaluate the product.

    Returns
    -------
    ndarray, shape (len(steps), p, d)

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0]); init = spectral_init(P, 1e-6)
    >>> W = linearised_two_layer(P, 0.5, init, [2])           # w = 1e-6 (1 + 0.5)^4
    >>> float(P.mode_strengths(W)[0, 0].round(12))
    5.0625e-06
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    init = _check_init(P, init, depth=2)
    t = np.atleast_1d(_v.steps_array("steps", steps)).astype(float)
    U, s, Vt = np.linalg.svd(P.Syx, full_matrices=False)
    keep = s > 1e-12 * s[0] if s.size and s[0] > 0 else np.zeros(s.size, dtype=bool)
    U, s, V = U[:, keep], s[keep], Vt[keep].T
    W1, W2 = init.W1, init.W2
    alpha, beta = W1 @ V, W2.T @ U                               # (r, m)
    plus = ((1.0 + eta * s)[None, :] ** t[:, None])[:, None, :]  # (k, 1, m)
    minus = ((1.0 - eta * s)[None, :] ** t[:, None])[:, None, :]
    sp, dm = (alpha + beta)[None], (alpha - beta)[None]
    a_t = 0.5 * (plus * sp + minus * dm)                         # (k, r, m)
    b_t = 0.5 * (plus * sp - minus * dm)
    W1_t = (W1 - alpha @ V.T)[None] + a_t @ V.T                  # (k, r, d)
    W2_t = (W2 - U @ beta.T)[None] + U[None] @ np.swapaxes(b_t, 1, 2)  # (k, p, r)
    return W2_t @ W1_t


def top_alignment(products, u, v) -> tuple[np.ndarray, np.ndarray]:
    """Misalignment of the top singular vectors of ``W`` with given directions ``u``, ``v``.

    For each matrix ``W`` (p, d) with top left and right singular vectors ``x``, ``y``, returns
    ``sin angle(x, u) = ||x - (u^T x) u||`` and ``sin angle(y, v)`` (``u``, ``v`` unit vectors;
    the sign of a singular vector is irrelevant; computed from the orthogonal component, accurate
    also for tiny angles).

    Parameters
    ----------
    products : array_like, shape (k, p, d) or (p, d)
        E.g. ``Trajectory.products``.
    u : array_like, shape (p,)
    v : array_like, shape (d,)

    Returns
    -------
    sin_left, sin_right : ndarray, shape (k,)

    Examples
    --------
    >>> W = np.outer([1.0, 0.0], [0.0, 1.0]) + 1e-3 * np.ones((2, 2))
    >>> [float(x[0].round(4)) for x in top_alignment(W, [1.0, 0.0], [0.0, 1.0])]
    [0.001, 0.001]
    """
    Ws = _v.as_array("products", products, ndim=(2, 3))
    if Ws.ndim == 2:
        Ws = Ws[None]
    u = _v.as_array("u", u, shape=(Ws.shape[1],))
    v = _v.as_array("v", v, shape=(Ws.shape[2],))
    for name, x in (("u", u), ("v", v)):
        if abs(float(np.linalg.norm(x)) - 1.0) > 1e-8:
            raise ValueError(f"{name} must be a unit vector, got norm {np.linalg.norm(x):.6g}")
    X, _, Yt = np.linalg.svd(Ws)
    x, y = X[:, :, 0], Yt[:, 0, :]
    sin_l = np.linalg.norm(x - (x @ u)[:, None] * u, axis=1)
    sin_r = np.linalg.norm(y - (y @ v)[:, None] * v, axis=1)
    return sin_l, sin_r


def plateau_steps(traj: Trajectory, windows) -> tuple[np.ndarray, np.ndarray]:
    """Where a run is slowest inside given windows of iterations (its plateaus).

    The speed between consecutive recorded steps is ``||W_{j+1} - W_j||_F / (t_{j+1} - t_j)``
    (per iteration). For each window ``[lo, hi)`` the recorded step ``t_j`` in the window with the
    smallest speed is returned.

    Parameters
    ----------
    traj : Trajectory
        A run with recorded products (record every step for a per-iteration speed).
    windows : array_like, shape (K, 2)
        Iteration windows ``[lo, hi)``; each must contain at least one recorded step before the
        last one.

    Returns
    -------
    index : ndarray of int, shape (K,)
        Indices into ``traj.steps`` (and ``traj.products``).
    speed : ndarray, shape (K,)
        The smallest speed in each window.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.25])
    >>> run = gd_two_layer(P, 0.2, 400, spectral_init(P, 1e-12), record=1)
    >>> idx, speed = plateau_steps(run, [[80, 200]])
    >>> bool(speed[0] < 1e-6)
    True
    """
    if not isinstance(traj, Trajectory):
        raise TypeError(f"traj must be a Trajectory, got {type(traj).__name__}")
    win = _v.as_array("windows", windows, ndim=2)
    if win.shape[1] != 2:
        raise ValueError(f"windows must have shape (K, 2) (pairs lo, hi), got {win.shape}")
    steps = np.asarray(traj.steps)
    speed = (np.linalg.norm(np.diff(traj.products, axis=0), axis=(1, 2))
             / np.diff(steps).astype(float))
    idx, best = [], []
    for lo, hi in win:
        inside = np.nonzero((steps[:-1] >= lo) & (steps[:-1] < hi))[0]
        if inside.size == 0:
            raise ValueError(f"the window [{lo:g}, {hi:g}) contains no recorded step")
        j = inside[np.argmin(speed[inside])]
        idx.append(int(j))
        best.append(float(speed[j]))
    return np.array(idx, dtype=np.int64), np.array(best)


def imbalance(W1, W2) -> np.ndarray:
    """Imbalance ``D = W1 W1^T - W2^T W2`` of a two-layer factorisation ``W = W2 W1``.

    Gradient flow conserves ``D`` exactly; one gradient-descent step with step ``eta`` changes it
    by ``eta^2 (W2^T G G^T W2 - W1 G^T G W1^T)`` with ``G = W2 W1 Sx - Syx``. Under a spectral
    initialisation ``D = Q diag(a_i^2 - b_i^2) Q^T``.

    Parameters
    ----------
    W1 : array_like, shape (..., r, d)
        First factor(s).
    W2 : array_like, shape (..., p, r)
        Second factor(s); stacked inputs broadcast.

    Returns
    -------
    ndarray, shape (..., r, r)

    Examples
    --------
    >>> imbalance(np.eye(2), 2 * np.eye(2))
    array([[-3.,  0.],
           [ 0., -3.]])
    """
    A = _v.as_array("W1", W1, finite=False)
    B = _v.as_array("W2", W2, finite=False)
    if A.ndim < 2 or B.ndim < 2 or A.shape[-2] != B.shape[-1]:
        raise ValueError(
            f"W1 must be (..., r, d) and W2 (..., p, r) with the same r, got W1 {A.shape} "
            f"and W2 {B.shape}"
        )
    return A @ np.swapaxes(A, -1, -2) - np.swapaxes(B, -1, -2) @ B


def gd_linear(P: Problem, eta: float, steps: int, W0=None, *, record=None) -> Trajectory:
    """Gradient descent on the linear model: ``W+ = W - eta (W Sx - Syx)``.

    Stable iff ``eta < 2/lambda_max(Sx)``; per mode (commuting problems)
    ``w_t = sigma/lam + (w0 - sigma/lam)(1 - eta lam)^t``.

    Parameters
    ----------
    P : Problem
    eta : float
        Step size > 0.
    steps : int
        Number of iterations >= 0.
    W0 : array_like (p, d) or Init, optional
        Starting point (default 0; an Init contributes its product).
    record : None, "log", int or array
        Recording schedule (see :func:`schedule`).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> gd_linear(commuting([1.0, 0.5]), 0.5, 200).modes[-1].round(6)
    array([1. , 0.5])
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    steps = _v.nonneg_int("steps", steps)
    if W0 is None:
        W = np.zeros((P.p, P.d))
    elif isinstance(W0, Init):
        W = np.array(_check_init(P, W0).W, dtype=float)
    else:
        W = _v.as_array("W0", W0, ndim=2, what=f"({P.p}, {P.d})").copy()
        if W.shape != (P.p, P.d):
            raise ValueError(f"W0 must have shape (p, d) = ({P.p}, {P.d}), got {W.shape}")
    rec = schedule(record, steps)
    A = np.eye(P.d) - eta * P.Sx
    B = eta * P.Syx
    tmp = np.empty_like(W)

    def advance(n: int) -> None:
        for _ in range(n):
            np.matmul(W, A, out=tmp)
            np.add(tmp, B, out=W)

    products = _drive(advance, lambda: W, steps, rec, _blowup_limit(P, W), _linear_error(P, eta),
                      (P.p, P.d))
    return _finish(P, rec, products, (W,), eta, "linear")


def gd_two_layer(P: Problem, eta: float, steps: int, init: Init, *, record=None) -> Trajectory:
    """Gradient descent on a two-layer linear network ``W = W2 W1``.

    ``G = W2 W1 Sx - Syx``, ``W1+ = W1 - eta W2^T G``, ``W2+ = W2 - eta G W1^T``.
    Per mode (balanced spectral init): ``w+ = w (1 + eta (sigma - lam w))^2``; stable for
    ``eta < 1/sigma_1``.

    Parameters
    ----------
    P : Problem
    eta : float
        Step size > 0.
    steps : int
        Iterations >= 0.
    init : Init
        Depth-2 initialisation (:func:`spectral_init`, :func:`random_init`).
    record : None, "log", int or array
        Recording schedule (see :func:`schedule`).

    Raises
    ------
    DivergenceError
        If the iterates blow up (message names eta, the step and ``1/sigma_1``).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5]); run = gd_two_layer(P, 0.1, 500, spectral_init(P, 1e-4))
    >>> run.modes[-1].round(4)
    array([1. , 0.5])
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    steps = _v.nonneg_int("steps", steps)
    init = _check_init(P, init, depth=2)
    rec = schedule(record, steps)
    W1 = np.array(init.W1, dtype=float)
    W2 = np.array(init.W2, dtype=float)
    W1T, W2T = W1.T, W2.T                   # views, stay valid under in-place updates
    eSx, eSyx = eta * P.Sx, eta * P.Syx
    W = np.empty((P.p, P.d))
    G = np.empty((P.p, P.d))
    g1 = np.empty_like(W1)
    g2 = np.empty_like(W2)
    mm, sub = np.matmul, np.subtract

    def advance(n: int) -> None:
        for _ in range(n):
            mm(W2, W1, out=W)
            mm(W, eSx, out=G)
            sub(G, eSyx, out=G)
            mm(W2T, G, out=g1)
            mm(G, W1T, out=g2)
            sub(W1, g1, out=W1)
            sub(W2, g2, out=W2)

    def product() -> np.ndarray:
        return mm(W2, W1, out=W)

    products = _drive(advance, product, steps, rec, _blowup_limit(P, init.W),
                      _two_layer_error(P, eta), (P.p, P.d))
    return _finish(P, rec, products, (W1, W2), eta, "two_layer")


def _deep_grads(factors: list[np.ndarray], G: np.ndarray) -> list[np.ndarray]:
    """``grad_j = (W_L..W_{j+1})^T G (W_{j-1}..W_1)^T`` for all j (``G`` possibly pre-scaled)."""
    L = len(factors)
    pre = [None] * L                # pre[j] = W_j ... W_1 (0-based: factors[0..j])
    pre[0] = factors[0]
    for j in range(1, L - 1):
        pre[j] = factors[j] @ pre[j - 1]
    suf = [None] * L                # suf[j] = W_L ... W_j (0-based: factors[j..L-1])
    suf[L - 1] = factors[L - 1]
    for j in range(L - 2, 0, -1):
        suf[j] = suf[j + 1] @ factors[j]
    grads = []
    for j in range(L):
        left = G if j == L - 1 else suf[j + 1].T @ G
        grads.append(left if j == 0 else left @ pre[j - 1].T)
    return grads


def gd_deep(P: Problem, eta: float, steps: int, init: Init, *, record=None) -> Trajectory:
    """Gradient descent on a depth-``L`` linear network ``W = W_L ... W_1`` (``L >= 2``).

    ``W_j+ = W_j - eta (W_L..W_{j+1})^T (W Sx - Syx) (W_{j-1}..W_1)^T``. Per mode (balanced
    spectral init) each factor follows ``a+ = a + eta a^{L-1} (sigma - lam a^L)``. Depth 2
    dispatches to :func:`gd_two_layer`.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0]); run = gd_deep(P, 0.1, 3000, spectral_init(P, 0.01, depth=3))
    >>> run.modes[-1].round(4)
    array([1.])
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    steps = _v.nonneg_int("steps", steps)
    init = _check_init(P, init)
    if init.depth == 2:
        run = gd_two_layer(P, eta, steps, init, record=record)
        return Trajectory(**{**run.__dict__, "model": "deep"})
    rec = schedule(record, steps)
    fs = [np.array(F, dtype=float) for F in init.factors]
    eSx, eSyx = eta * P.Sx, eta * P.Syx

    def advance(n: int) -> None:
        for _ in range(n):
            G = _product(fs) @ eSx - eSyx
            grads = _deep_grads(fs, G)
            for F, g in zip(fs, grads, strict=True):
                F -= g

    products = _drive(advance, lambda: _product(fs), steps, rec, _blowup_limit(P, init.W),
                      _deep_error(P, eta, init.depth), (P.p, P.d))
    return _finish(P, rec, products, fs, eta, "deep")


# ---------------------------------------------------------------------------------------
class _Batches:
    """Minibatch indices by random reshuffling: consecutive slices of fresh permutations."""

    def __init__(self, n: int, b: int, rng: np.random.Generator) -> None:
        self.n, self.b, self.rng = n, b, rng
        self.buf = np.empty(0, dtype=np.int64)

    def take(self, k: int) -> np.ndarray:
        need = k * self.b
        parts = [self.buf]
        have = self.buf.size
        while have < need:
            perm = self.rng.permutation(self.n)
            parts.append(perm)
            have += perm.size
        allidx = np.concatenate(parts)
        self.buf = allidx[need:]
        return allidx[:need].reshape(k, self.b)


def _sgd_setup(P: Problem, batch_size: int, seed: int):
    if P.X is None or P.Y is None:
        raise ValueError(
            "SGD needs the data: P.X and P.Y are None (build P with problems.from_data or "
            "problems.teacher)"
        )
    b = _v.int_in_range("batch_size", batch_size, 1, P.X.shape[0])
    return b, _Batches(P.X.shape[0], b, np.random.default_rng(seed))


def sgd_two_layer(P: Problem, eta: float, steps: int, init: Init, *, batch_size: int,
                  seed: int = 0, record=None) -> Trajectory:
    """Minibatch SGD on the two-layer network (random reshuffling, ``batch_size`` per step).

    ``G_B = (X_B W^T - Y_B)^T X_B / b`` replaces ``W Sx - Syx`` in :func:`gd_two_layer`.
    The recorded loss is the full-batch loss. Needs ``P.X``, ``P.Y``.

    Examples
    --------
    >>> from gdlinear.problems import teacher
    >>> P = teacher(d=4, p=3, rank=2, n_train=64, n_test=10, noise=0.1).train
    >>> sgd_two_layer(P, 0.05, 100, random_init(P, 1e-3, 4), batch_size=8).loss.shape[0] > 0
    True
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    steps = _v.nonneg_int("steps", steps)
    init = _check_init(P, init, depth=2)
    b, batches = _sgd_setup(P, batch_size, seed)
    rec = schedule(record, steps)
    X, Y = P.X, P.Y
    W1 = np.array(init.W1, dtype=float)
    W2 = np.array(init.W2, dtype=float)
    c = eta / b

    def advance(n: int) -> None:
        idx = batches.take(n)
        for i in range(n):
            Xb, Yb = X[idx[i]], Y[idx[i]]
            G = (Xb @ (W2 @ W1).T - Yb).T @ Xb
            G *= c
            g1 = W2.T @ G
            np.subtract(W2, G @ W1.T, out=W2)
            np.subtract(W1, g1, out=W1)

    products = _drive(advance, lambda: W2 @ W1, steps, rec, _blowup_limit(P, init.W),
                      _two_layer_error(P, eta), (P.p, P.d))
    return _finish(P, rec, products, (W1, W2), eta, "sgd_two_layer")


def sgd_linear(P: Problem, eta: float, steps: int, W0=None, *, batch_size: int, seed: int = 0,
               record=None) -> Trajectory:
    """Minibatch SGD on the linear model (random reshuffling). Needs ``P.X``, ``P.Y``.

    Examples
    --------
    >>> from gdlinear.problems import teacher
    >>> P = teacher(d=4, p=3, rank=2, n_train=64, n_test=10, noise=0.1).train
    >>> sgd_linear(P, 0.05, 100, batch_size=8).W.shape
    (3, 4)
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    steps = _v.nonneg_int("steps", steps)
    b, batches = _sgd_setup(P, batch_size, seed)
    if W0 is None:
        W = np.zeros((P.p, P.d))
    else:
        W = _v.as_array("W0", W0, ndim=2).copy()
        if W.shape != (P.p, P.d):
            raise ValueError(f"W0 must have shape (p, d) = ({P.p}, {P.d}), got {W.shape}")
    rec = schedule(record, steps)
    X, Y = P.X, P.Y
    c = eta / b

    def advance(n: int) -> None:
        idx = batches.take(n)
        for i in range(n):
            Xb, Yb = X[idx[i]], Y[idx[i]]
            G = (Xb @ W.T - Yb).T @ Xb
            G *= c
            np.subtract(W, G, out=W)

    products = _drive(advance, lambda: W, steps, rec, _blowup_limit(P, W), _linear_error(P, eta),
                      (P.p, P.d))
    return _finish(P, rec, products, (W,), eta, "sgd_linear")


# ---------------------------------------------------------------------------------------
def gradient_flow(P: Problem, t, init=None, *, model: str = "two_layer", rtol: float = 1e-8,
                  atol: float = 1e-12, method: str = "LSODA") -> Trajectory:
    """Gradient flow on the full matrices, integrated with ``scipy.integrate.solve_ivp``.

    ``model="linear"``: ``dW/dt = -(W Sx - Syx)`` from ``init`` (None -> 0, an array (p, d) or
    an Init's product). ``"two_layer"`` / ``"deep"``: ``dW_j/dt = -grad_{W_j}`` from an Init.

    Parameters
    ----------
    t : array_like
        Non-decreasing, non-negative output times (the trajectory's ``time``; ``steps`` are
        their indices and ``eta`` is 0.0).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0]); run = gradient_flow(P, [0.0, 1.0], spectral_init(P, 0.5))
    >>> run.modes[-1].round(6)
    array([0.880797])
    """
    P = _check_problem(P)
    model = _v.choice("model", model, ("linear", "two_layer", "deep"))
    tt = _v.as_array("t", t, ndim=(0, 1))
    tt = np.atleast_1d(tt)
    if np.any(tt < 0):
        raise ValueError(f"t must be non-negative times, got minimum {tt.min():g}")
    if np.any(np.diff(tt) < 0):
        raise ValueError("t must be sorted in non-decreasing order")
    rtol = _v.positive("rtol", rtol)
    atol = _v.positive("atol", atol)
    p, d = P.p, P.d
    Sx, Syx = P.Sx, P.Syx
    if model == "linear":
        if init is None:
            fs = [np.zeros((p, d))]
        elif isinstance(init, Init):
            fs = [np.array(_check_init(P, init).W)]
        else:
            W0 = _v.as_array("init", init, ndim=2)
            if W0.shape != (p, d):
                raise ValueError(
                    f"init must be an Init or a (p, d) = ({p}, {d}) array, got {W0.shape}"
                )
            fs = [W0.copy()]
    else:
        if init is None:
            raise ValueError(f"model={model!r} needs an Init (spectral_init or random_init)")
        init = _check_init(P, init, depth=2 if model == "two_layer" else None)
        fs = [np.array(F) for F in init.factors]
    shapes = [F.shape for F in fs]
    sizes = [F.size for F in fs]
    offs = np.cumsum([0] + sizes)

    def unpack(y: np.ndarray) -> list[np.ndarray]:
        return [y[offs[j]:offs[j + 1]].reshape(shapes[j]) for j in range(len(shapes))]

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        fac = unpack(y)
        if len(fac) == 1:
            return -(fac[0] @ Sx - Syx).ravel()
        G = _product(fac) @ Sx - Syx
        return -np.concatenate([g.ravel() for g in _deep_grads(fac, G)])

    y0 = np.concatenate([F.ravel() for F in fs])
    if tt[-1] == 0:
        Y = np.tile(y0[:, None], (1, tt.size))
    else:
        from scipy.integrate import solve_ivp  # imported here: costly, rarely needed

        sol = solve_ivp(rhs, (0.0, float(tt[-1])), y0, method=method, t_eval=tt, rtol=rtol,
                        atol=atol)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        Y = sol.y
    products = np.stack([_product(unpack(Y[:, k])) for k in range(tt.size)])
    final = unpack(Y[:, -1])
    rec = np.arange(tt.size, dtype=np.int64)
    return _finish(P, rec, products, final, 0.0, "flow_" + model, time=tt.copy())


# ---------------------------------------------------------------------------------------
def sweep_two_layer(P: Problem, etas, scales, steps: int, *, record=None,
                    width: int | None = None, grid: bool = True,
                    singular_values: bool | None = None) -> Sweep:
    """Run many two-layer GD runs at once (stacked matmuls), balanced spectral init.

    Runs are all pairs ``(eta, scale)`` (``grid=True``; run ``i * len(scales) + j``) or the
    elementwise pairs of two equal-length arrays (``grid=False``). Each run is
    ``gd_two_layer(P, eta, steps, spectral_init(P, scale, width))``, computed with
    ``(R, p, r) @ (R, r, d)`` products in a single loop. A run that blows up does **not**
    raise: it is flagged in ``diverged`` (with ``diverged_step``), frozen, and its recorded
    values from the detection step on are set to NaN.

    ``singular_values`` (default: only when ``P.modes`` is unknown) also records the singular
    values; batched SVDs of many tiny matrices cost more than the runs themselves, and with
    known modes the exact mode strengths are recorded anyway. For ``max(p, d, r) <= 8`` the
    runs are stored on the last axis and contracted with ``einsum`` (faster than numpy's
    per-matrix batched ``matmul`` for tiny matrices).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> S = sweep_two_layer(commuting([1.0, 0.5]), [0.1, 3.0], [1e-3], 300)
    >>> S.diverged.tolist()
    [False, True]
    """
    P = _check_problem(P)
    steps = _v.nonneg_int("steps", steps)
    e = np.atleast_1d(_v.as_array("etas", etas, ndim=(0, 1)))
    s = np.atleast_1d(_v.as_array("scales", scales, ndim=(0, 1)))
    if e.size == 0 or s.size == 0:
        raise ValueError("etas and scales must be non-empty")
    if np.any(e <= 0):
        raise ValueError(f"etas must be positive finite numbers, got minimum {e.min():g}")
    if np.any(s < 0):
        raise ValueError(f"scales must be non-negative, got minimum {s.min():g}")
    if grid:
        shape: tuple[int, ...] = (e.size, s.size)
        E, S = np.meshgrid(e, s, indexing="ij")
        E, S = E.ravel(), S.ravel()
    else:
        if e.shape != s.shape:
            raise ValueError(
                f"with grid=False etas and scales must have the same length, got {e.size} "
                f"and {s.size}"
            )
        E, S = e, s
        shape = (e.size,)
    base = spectral_init(P, 1.0, width)
    R = E.size
    rec = schedule(record, steps)
    p, d, r = P.p, P.d, base.width
    want_sv = P.modes is None if singular_values is None else bool(singular_values)
    k = rec.size
    sv = np.full((R, k, min(p, d)), np.nan) if want_sv else None
    loss = np.full((R, k), np.nan)
    modes = np.full((R, k, P.m), np.nan) if P.modes is not None else None
    diverged = np.zeros(R, dtype=bool)
    dstep = np.full(R, -1, dtype=np.int64)
    limit = _blowup_limit(P, base.W * max(1.0, float(S.max())))
    root = np.sqrt(S)
    if max(p, d, r) <= _SMALL:
        # runs on the last (contiguous) axis: einsum contracts tiny matrices for all runs at once
        W1 = base.W1[:, :, None] * root                 # (r, d, R)
        W2 = base.W2[:, :, None] * root                 # (p, r, R)
        W = np.empty((p, d, R))
        G = np.empty((p, d, R))
        g1, g2 = np.empty_like(W1), np.empty_like(W2)
        eSyx = P.Syx[:, :, None] * E
        SxT = np.ascontiguousarray(P.Sx.T)
        es = np.einsum

        def advance(n: int) -> None:
            for _ in range(n):
                es("prR,rdR->pdR", W2, W1, out=W)
                np.matmul(SxT, W, out=G)                  # G[p] = Sx^T W[p]  (= W Sx)
                np.multiply(G, E, out=G)
                np.subtract(G, eSyx, out=G)
                es("prR,pdR->rdR", W2, G, out=g1)
                es("pdR,rdR->prR", G, W1, out=g2)
                np.subtract(W1, g1, out=W1)
                np.subtract(W2, g2, out=W2)

        def product() -> np.ndarray:
            es("prR,rdR->pdR", W2, W1, out=W)
            return W.transpose(2, 0, 1)

        def freeze(bad: np.ndarray) -> None:
            W1[..., bad] = 0.0
            W2[..., bad] = 0.0
    else:
        W1 = root[:, None, None] * base.W1[None]        # (R, r, d)
        W2 = root[:, None, None] * base.W2[None]        # (R, p, r)
        W1T, W2T = W1.transpose(0, 2, 1), W2.transpose(0, 2, 1)
        eta_b = E[:, None, None]
        eSyx = eta_b * P.Syx
        Sx = P.Sx
        W = np.empty((R, p, d))
        G = np.empty((R, p, d))
        W_2d, G_2d = W.reshape(R * p, d), G.reshape(R * p, d)
        g1, g2 = np.empty_like(W1), np.empty_like(W2)
        mm, sub = np.matmul, np.subtract

        def advance(n: int) -> None:
            for _ in range(n):
                mm(W2, W1, out=W)
                mm(W_2d, Sx, out=G_2d)                    # shared Sx: one 2-D GEMM
                np.multiply(G, eta_b, out=G)
                sub(G, eSyx, out=G)
                mm(W2T, G, out=g1)
                mm(G, W1T, out=g2)
                sub(W1, g1, out=W1)
                sub(W2, g2, out=W2)

        def product() -> np.ndarray:
            return mm(W2, W1, out=W)

        def freeze(bad: np.ndarray) -> None:
            W1[bad] = 0.0
            W2[bad] = 0.0

    checks = np.union1d(np.union1d(rec, np.arange(0, steps + 1, CHECK_EVERY)), [steps])
    ri, prev = 0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for cp in checks.tolist():
            if cp > prev:
                advance(cp - prev)
                prev = cp
            Wr = product()
            bad = ~(np.abs(Wr).max(axis=(1, 2)) <= limit) & ~diverged
            if bad.any():
                diverged |= bad
                dstep[bad] = cp
                freeze(bad)            # W = 0 is a fixed point of the update: the run stays put
            if ri < k and rec[ri] == cp:
                ok = ~diverged
                Wk = Wr[ok]
                if sv is not None:
                    sv[ok, ri] = np.linalg.svd(Wk, compute_uv=False)
                loss[ok, ri] = P.loss(Wk)
                if modes is not None:
                    modes[ok, ri] = P.mode_strengths(Wk)
                ri += 1
    return Sweep(etas=E, scales=S, shape=shape, steps=rec, modes=modes, singular_values=sv,
                 loss=loss, diverged=diverged, diverged_step=dstep)


# ---------------------------------------------------------------------------------------
# curvature of the two-layer loss and minibatch noise
def _two_factors(P: Problem, factors: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(factors, Init | Trajectory):
        fs = factors.factors
    else:
        fs = tuple(factors)
    if len(fs) != 2:
        raise ValueError(
            f"the two-layer loss needs two factors (W1, W2), got {len(fs)}; "
            "pass an Init, a two-layer Trajectory or a pair (W1, W2)"
        )
    W1 = _v.as_array("W1", fs[0], ndim=2)
    W2 = _v.as_array("W2", fs[1], ndim=2)
    if W1.shape[1] != P.d or W2.shape[0] != P.p or W2.shape[1] != W1.shape[0]:
        raise ValueError(
            f"factors must be W1 (r, {P.d}) and W2 ({P.p}, r) for this problem, got W1 "
            f"{W1.shape} and W2 {W2.shape}"
        )
    return W1, W2


def hessian_vector_product(P: Problem, factors: Any, D1: Any, D2: Any
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Exact Hessian-vector product of the two-layer loss ``L(W1, W2) = L(W2 W1)``.

    With ``G = W2 W1 Sx - Syx`` and ``dG = (D2 W1 + W2 D1) Sx``, the Hessian applied to the
    direction ``(D1, D2)`` is ``(W2^T dG + D2^T G, dG W1^T + G D1^T)`` (differentiate the
    gradients ``(W2^T G, G W1^T)``).

    Parameters
    ----------
    P : Problem
    factors : Init, Trajectory or (W1, W2)
        The point ``W1`` (r, d), ``W2`` (p, r).
    D1, D2 : array_like
        The direction, shapes of ``W1`` and ``W2``.

    Returns
    -------
    H1, H2 : ndarray
        The two blocks of ``H (D1, D2)``.

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0]); init = spectral_init(P, 1.0)     # the balanced minimum
    >>> H1, H2 = hessian_vector_product(P, init, init.W1, init.W2)
    >>> float(np.sum(H1 * init.W1) + np.sum(H2 * init.W2))   # curvature 2 sigma along (W1, W2)
    4.0
    """
    P = _check_problem(P)
    W1, W2 = _two_factors(P, factors)
    D1 = _v.as_array("D1", D1, shape=W1.shape)
    D2 = _v.as_array("D2", D2, shape=W2.shape)
    G = W2 @ W1 @ P.Sx - P.Syx
    dG = (D2 @ W1 + W2 @ D1) @ P.Sx
    return W2.T @ dG + D2.T @ G, dG @ W1.T + G @ D1.T


def hessian_two_layer(P: Problem, factors: Any) -> np.ndarray:
    """Dense Hessian of ``L(W1, W2)`` in the coordinates ``(vec W1, vec W2)`` (row-major).

    Built column by column from :func:`hessian_vector_product` (exact, symmetric up to
    round-off); size ``n = r d + p r``. Meant for small networks (``n`` up to a few hundred).

    Returns
    -------
    ndarray, shape (n, n)

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0]); H = hessian_two_layer(P, spectral_init(P, 1.0))
    >>> np.linalg.eigvalsh(H).round(6)
    array([0., 2.])
    """
    P = _check_problem(P)
    W1, W2 = _two_factors(P, factors)
    n1, n2 = W1.size, W2.size
    n = n1 + n2
    H = np.empty((n, n))
    G = W2 @ W1 @ P.Sx - P.Syx
    for k in range(n):
        D1 = np.zeros(W1.shape)
        D2 = np.zeros(W2.shape)
        if k < n1:
            D1.flat[k] = 1.0
        else:
            D2.flat[k - n1] = 1.0
        dG = (D2 @ W1 + W2 @ D1) @ P.Sx
        H[:n1, k] = (W2.T @ dG + D2.T @ G).ravel()
        H[n1:, k] = (dG @ W1.T + G @ D1.T).ravel()
    return 0.5 * (H + H.T)


def sharpness(P: Problem, factors: Any, *, method: str = "auto", tol: float = 1e-10,
              seed: int = 0) -> float:
    """Sharpness: the largest eigenvalue of the Hessian of ``L(W1, W2)``.

    Gradient descent with step ``eta`` cannot converge to a minimum whose sharpness exceeds
    ``2/eta`` (the linearised step ``I - eta H`` then has an eigenvalue below ``-1``).

    Parameters
    ----------
    P : Problem
    factors : Init, Trajectory or (W1, W2)
        The point.
    method : {"auto", "dense", "lanczos"}
        ``"dense"``: ``eigvalsh`` of :func:`hessian_two_layer`; ``"lanczos"``:
        ``scipy.sparse.linalg.eigsh`` (largest algebraic eigenvalue) on Hessian-vector
        products, started from a seeded random vector; ``"auto"``: dense when
        ``r (d + p) <= 400``.
    tol : float
        Relative tolerance of the Lanczos iteration.
    seed : int
        Seed of the Lanczos starting vector.

    Returns
    -------
    float

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([2.0, 1.0]); round(sharpness(P, spectral_init(P, [2.0, 1.0])), 6)
    4.0
    """
    P = _check_problem(P)
    W1, W2 = _two_factors(P, factors)
    method = _v.choice("method", method, ("auto", "dense", "lanczos"))
    n = W1.size + W2.size
    if method == "dense" or (method == "auto" and n <= 400):
        return float(np.linalg.eigvalsh(hessian_two_layer(P, (W1, W2)))[-1])
    from scipy.sparse.linalg import LinearOperator, eigsh

    n1 = W1.size

    def matvec(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x).ravel()
        H1, H2 = hessian_vector_product(P, (W1, W2), x[:n1].reshape(W1.shape),
                                        x[n1:].reshape(W2.shape))
        return np.concatenate([H1.ravel(), H2.ravel()])

    op = LinearOperator((n, n), matvec=matvec, dtype=float)
    v0 = np.random.default_rng(seed).standard_normal(n)
    val = eigsh(op, k=1, which="LA", v0=v0, tol=_v.positive("tol", tol),
                return_eigenvectors=False)
    return float(val[0])


@dataclass(frozen=True, eq=False)
class SharpnessPath:
    """Sharpness along a gradient-descent run (see :func:`sharpness_path`).

    Attributes
    ----------
    steps : ndarray of int, shape (k,)
        Iterations at which the sharpness was evaluated.
    sharpness : ndarray, shape (k,)
        Largest Hessian eigenvalue of ``L(W1, W2)`` at those iterations.
    loss : ndarray, shape (k,)
        Loss at those iterations.
    modes : ndarray or None, shape (k, m)
        Mode strengths ``u_i^T W v_i`` (when ``P.modes`` is known).
    imbalance : ndarray, shape (k,)
        ``||W1 W1^T - W2^T W2||_2`` (0 on the balanced family).
    factors : tuple of ndarray
        Final ``(W1, W2)``.
    eta : float
    """

    steps: np.ndarray
    sharpness: np.ndarray
    loss: np.ndarray
    modes: np.ndarray | None
    imbalance: np.ndarray
    factors: tuple[np.ndarray, ...]
    eta: float


def sharpness_path(P: Problem, eta: float, steps: int, init: Init, *, every: int = 10
                   ) -> SharpnessPath:
    """Run two-layer GD (:func:`gd_two_layer`) and evaluate the sharpness every ``every`` steps.

    The run is exactly ``gd_two_layer(P, eta, steps, init)``, cut into segments of ``every``
    iterations; at each boundary the Hessian's top eigenvalue (:func:`sharpness`), the loss,
    the mode strengths and the imbalance are recorded. Compare the sharpness with ``2/eta``
    (the edge of stability).

    Examples
    --------
    >>> from gdlinear.problems import commuting
    >>> P = commuting([1.0, 0.5]); path = sharpness_path(P, 0.3, 200, spectral_init(P, 1e-3))
    >>> round(float(path.sharpness[-1]), 4)
    2.0
    """
    P = _check_problem(P)
    eta = _v.positive("eta", eta)
    steps = _v.nonneg_int("steps", steps)
    every = _v.int_in_range("every", every, 1, 10**9)
    init = _check_init(P, init, depth=2)
    cuts = np.unique(np.concatenate([np.arange(0, steps + 1, every), [steps]])).astype(np.int64)
    fs = (np.array(init.W1), np.array(init.W2))
    sh, lo, md, im = [], [], [], []
    prev = 0
    for cp in cuts.tolist():
        if cp > prev:
            try:
                run = gd_two_layer(P, eta, cp - prev, Init(fs), record=[cp - prev])
            except DivergenceError as err:   # report the step of the whole run
                raise DivergenceError(eta=err.eta, step=prev + err.step, bound=err.bound,
                                      rule=err.rule, model=err.model) from None
            fs = run.factors
            prev = cp
        W = fs[1] @ fs[0]
        sh.append(sharpness(P, fs))
        lo.append(float(P.loss(W)))
        if P.modes is not None:
            md.append(P.mode_strengths(W))
        im.append(float(np.linalg.norm(fs[0] @ fs[0].T - fs[1].T @ fs[1], 2)))
    return SharpnessPath(steps=cuts, sharpness=np.array(sh), loss=np.array(lo),
                         modes=np.array(md) if md else None, imbalance=np.array(im),
                         factors=tuple(np.array(F) for F in fs), eta=eta)


def minibatch_gradient_noise(P: Problem, W: Any, batch_size: int) -> tuple[float, float]:
    """Mean squared error of the minibatch gradient, exactly, for batches drawn without
    replacement.

    With per-sample gradients ``g_k = (W x_k - y_k) x_k^T`` (p, d), full gradient
    ``G = mean_k g_k = W Sx - Syx`` and ``G_B = mean_{k in B} g_k`` for a uniformly random
    subset ``B`` of size ``b`` (every batch of random reshuffling has this law):
    ``E G_B = G`` and ``E ||G_B - G||_F^2 = (n - b) / (b (n - 1)) * (1/n) sum_k ||g_k - G||_F^2``.

    Parameters
    ----------
    P : Problem
        With data ``P.X``, ``P.Y``.
    W : array_like, shape (p, d)
        The product ``W2 W1`` (the factor gradients ``W2^T G_B``, ``G_B W1^T`` are linear in
        ``G_B``).
    batch_size : int
        ``1 <= b <= n``.

    Returns
    -------
    noise : float
        ``E ||G_B - G||_F^2``.
    spread : float
        ``(1/n) sum_k ||g_k - G||_F^2`` (the per-sample variance; ``noise`` at ``b = 1``).

    Examples
    --------
    >>> from gdlinear.problems import commuting_data
    >>> P = commuting_data([1.0], n=10); minibatch_gradient_noise(P, np.zeros((1, 1)), 10)[0]
    0.0
    """
    P = _check_problem(P)
    if P.X is None or P.Y is None:
        raise ValueError("minibatch_gradient_noise needs the data P.X, P.Y (problems.from_data)")
    W = _v.as_array("W", W, shape=(P.p, P.d))
    n = P.X.shape[0]
    b = _v.int_in_range("batch_size", batch_size, 1, n)
    R = P.X @ W.T - P.Y                                    # (n, p) residuals
    G = R.T @ P.X / n
    # ||g_k - G||^2 = ||r_k||^2 ||x_k||^2 - 2 r_k^T G x_k + ||G||^2
    sq = np.sum(R * R, axis=1) * np.sum(P.X * P.X, axis=1)
    cross = np.einsum("kp,pd,kd->k", R, G, P.X)
    spread = float(np.mean(sq - 2.0 * cross) + np.sum(G * G))
    spread = max(spread, 0.0)
    factor = 0.0 if n == 1 else (n - b) / (b * (n - 1))
    return factor * spread, spread
