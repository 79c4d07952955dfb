r"""Interactive explorers, each with a static twin for the published page.

Every explorer is built from four pieces, so that each can be tested and reused:

``compute_*(...)``
    A pure function of the slider values that returns arrays (a frozen dataclass). It uses the
    exact per-mode recursions (vectorised over modes, :mod:`gdlinear.theory`), never full
    matrices, so that an update stays well under the 100 ms budget.
``draw_*(axes, data, *, live=False)``
    Draws a ``compute_*`` result onto the given axes and returns what it drew, as a dict of named
    lists of artists. Called again on the same axes it only updates the data of the artists it
    created (no clearing, no new artists), which keeps an explorer update cheap. With
    ``live=True`` (what the explorers use) the titles and legends do not depend on the data
    (legends sit outside the axes, the slider readouts show the values) and the dict holds
    exactly the artists that change between calls, so that only those are redrawn.
``*_explorer(...)``
    Builds ipywidgets sliders and an image of the figure and wires them together; returns an
    :class:`Explorer` (an ``ipywidgets.VBox``). Use it in a cell tagged ``remove-output``.
``*_static_twin(...)``
    Small multiples over a grid of slider values: what the static HTML page shows.

The slider ranges are module constants (``PHENOMENON_SLIDERS``, ...), shared by the explorers,
their twins and the tests, which call every ``compute_*``/``draw_*`` at every slider extreme.

The explorers:

1. :func:`phenomenon_explorer`: linear model vs two-layer network on a fixed 10-mode problem;
   sliders: initialisation scale and step size.
2. :func:`delta_explorer`: the rescaled path ``w_i(delta T)`` and its ``delta -> infinity`` limit
   (a staircase); sliders: ``delta`` and ``c_1 = eta sigma_1``.
3. :func:`spectrum_explorer`: which modes a width-``r`` network learns, in which order and to
   which value; sliders: ``sigma_i``, ``lambda_i`` of a 3-mode problem and the width ``r``.
4. :func:`depth_explorer`: balanced depth-``L`` networks, gradient descent against gradient flow;
   sliders: depth ``L`` and initialisation scale.

Example::

    import gdlinear as gl
    _ = gl.widgets.delta_explorer()            # live (JupyterLab, Binder)
    gl.widgets.delta_static_twin(); plt.show() # static page
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as ipw
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as _PILImage

from . import plotting as gp
from . import problems, theory

__all__ = [
    "SliderSpec",
    "Explorer",
    "Drawn",
    "PHENOMENON_SIGMA",
    "PHENOMENON_SLIDERS",
    "phenomenon_problem",
    "PhenomenonData",
    "compute_phenomenon",
    "draw_phenomenon",
    "phenomenon_explorer",
    "phenomenon_static_twin",
    "DELTA_SIGMA",
    "DELTA_SLIDERS",
    "DeltaData",
    "compute_delta",
    "draw_delta",
    "delta_explorer",
    "delta_static_twin",
    "SPECTRUM_SLIDERS",
    "SpectrumData",
    "compute_spectrum",
    "draw_spectrum",
    "spectrum_explorer",
    "spectrum_static_twin",
    "SPECTRUM_TWIN_CONFIGS",
    "DEPTH_SIGMA",
    "DEPTH_SLIDERS",
    "DEPTH_ETA_FRAC",
    "DEPTH_T_MAX",
    "DepthData",
    "compute_depth",
    "draw_depth",
    "depth_explorer",
    "depth_static_twin",
    "deep_flow_fast",
    "deep_flow_time",
]


# =============================================================================================
# sliders and the Explorer widget
# =============================================================================================


@dataclass(frozen=True)
class SliderSpec:
    """Range of one explorer slider.

    Attributes
    ----------
    description : str
        Label shown next to the slider.
    min, max, default : float
        Range and initial value (for ``kind="log"`` these are values, not exponents).
    kind : {"float", "log", "int"}
        Linear float slider, logarithmic float slider (base 10), or integer slider.
    step : float
        Slider step (exponent step for ``kind="log"``).
    """

    description: str
    min: float
    max: float
    default: float
    kind: str = "float"
    step: float = 0.01

    def values(self) -> tuple[float, float, float]:
        """``(min, max, default)``: the values every test exercises."""
        return (self.min, self.max, self.default)

    def make(self, continuous_update: bool = True) -> ipw.ValueWidget:
        """Build the ipywidgets slider."""
        style = {"description_width": "initial"}
        layout = ipw.Layout(width="320px")
        common = dict(description=self.description, continuous_update=continuous_update,
                      style=style, layout=layout)
        if self.kind == "int":
            return ipw.IntSlider(value=int(self.default), min=int(self.min), max=int(self.max),
                                 step=int(self.step), **common)
        if self.kind == "log":
            return ipw.FloatLogSlider(value=self.default, base=10, min=np.log10(self.min),
                                      max=np.log10(self.max), step=self.step,
                                      readout_format=".1e", **common)
        return ipw.FloatSlider(value=self.default, min=self.min, max=self.max, step=self.step,
                               readout_format=".2f", **common)


def _explorer_figure(ncols: int, size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A pyplot-free figure (so that it is never displayed twice) with an Agg canvas."""
    fig = Figure(figsize=size, dpi=85, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, j + 1) for j in range(ncols)]
    return fig, axes


Drawn = dict[str, list[Artist]]


def _static_key(fig: Figure) -> tuple:
    """What the cached background depends on: limits, scales, labels and the static artists."""
    key = []
    for ax in fig.axes:
        key.append((ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                    ax.get_xlabel(), ax.get_ylabel(),
                    tuple(id(c) for c in ax.get_children() if not c.get_animated())))
    return tuple(key)


class Explorer(ipw.VBox):
    """Sliders above a live PNG image of a Matplotlib figure.

    Each slider change calls ``render(**values)``, which updates :attr:`figure` and returns the
    artists it changed (a ``draw_*`` result). The axes, ticks, labels and legends are drawn once
    and cached; while they do not change (same limits, same static artists) an update only
    redraws the returned artists on top of the cached background (blitting), then encodes the
    PNG. Works in any Jupyter front end, without an interactive Matplotlib backend.

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        The sliders, by the keyword they feed into ``render``.
    figure : matplotlib.figure.Figure
        The figure (Agg canvas) redrawn on each update.
    image : ipywidgets.Image
        The rendered PNG.
    status : ipywidgets.HTML
        Error messages (e.g. a diverging run) appear here instead of a traceback.
    n_updates, n_full_redraws : int
        Counters (the full redraws are the updates that changed the background).

    Examples
    --------
    >>> ex = delta_explorer(); ex.controls["delta"].value = 20  # redraws
    """

    def __init__(
        self,
        controls: dict[str, ipw.ValueWidget],
        figure: Figure,
        render: Callable[..., Drawn],
        *,
        rows: Sequence[ipw.Widget] | None = None,
        title: str = "",
    ) -> None:
        image = ipw.Image(format="png", layout=ipw.Layout(width="auto", max_width="100%"))
        status = ipw.HTML("")
        if rows is None:
            rows = [ipw.HBox(list(controls.values()))]
        header = [ipw.HTML(f"<b>{title}</b>")] if title else []
        super().__init__([*header, *rows, image, status])
        self.controls = controls
        self.figure = figure
        self.image = image
        self.status = status
        self.n_updates = 0
        self.n_full_redraws = 0
        self._render = render
        self._canvas = FigureCanvasAgg(figure)
        self._background = None
        self._key: tuple | None = None
        for c in controls.values():
            c.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict[str, Any]:
        """Current slider values, by keyword."""
        return {k: c.value for k, c in self.controls.items()}

    def _on_change(self, _change: Any) -> None:
        self.update()

    def update(self) -> None:
        """Recompute, redraw and refresh the image (called on every slider change)."""
        try:
            drawn = self._render(**self.values())
        except (ValueError, RuntimeError) as err:  # e.g. DivergenceError: say it, keep going
            self.status.value = f"<span style='color:#D55E00'>{type(err).__name__}: {err}</span>"
            return
        self.status.value = ""
        self.image.value = self.redraw(drawn)
        self.n_updates += 1

    def redraw(self, drawn: Drawn) -> bytes:
        """Draw the figure (blitting ``drawn`` over the cached background when possible) and
        return it as PNG bytes."""
        dynamic = [a for group in drawn.values() for a in group]
        for a in dynamic:
            a.set_animated(True)
        key = _static_key(self.figure)
        if self._background is None or key != self._key:
            self._canvas.draw()  # animated artists are left out of the background
            if self._background is None:
                # freeze the constrained layout found on the first draw: later redraws keep it
                self.figure.set_layout_engine("none")
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
            self.n_full_redraws += 1
        else:
            self._canvas.restore_region(self._background)
        renderer = self._canvas.get_renderer()
        for a in dynamic:
            if a.get_visible():
                a.draw(renderer)
        size = self._canvas.get_width_height()
        img = _PILImage.frombuffer("RGBA", size, self._canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _reuse(ax: Axes, kind: str, signature: tuple) -> Drawn | None:
    """The artists a previous ``draw_*`` call of this ``kind`` left on ``ax``, if still there."""
    state = getattr(ax, "_gdlinear_drawn", None)
    if state is None or state[0] != (kind, signature):
        return None
    drawn = state[1]
    if any(a.axes is None for group in drawn.values() for a in group):
        return None  # the axes were cleared in between (cleared artists lose their axes)
    return drawn


def _remember(ax: Axes, kind: str, signature: tuple, drawn: Drawn) -> None:
    ax._gdlinear_drawn = ((kind, signature), drawn)


def _nice_ceil(x: float, mantissas: Sequence[float] = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)) -> float:
    """Smallest number ``>= x`` of the form ``mantissa * 10^k`` (stable axis limits)."""
    x = float(x)
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"x must be a positive finite number, got {x!r}")
    k = int(np.floor(np.log10(x)))
    for base in (10.0**k, 10.0 ** (k + 1)):
        for mant in mantissas:
            if mant * base >= x * (1 - 1e-12):
                return mant * base
    return 10.0 ** (k + 1)  # pragma: no cover


_COARSE = (1.0, 2.0, 5.0)
_Y_NICE = (1.2, 1.6, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


def _top(target_max: float, data_max: float) -> float:
    """Upper y limit: 1.25 x the largest target, unless an overshoot needs more (then a nice
    number), so that the limit rarely changes between updates."""
    top = 1.25 * target_max
    return top if data_max <= 1.2 * target_max else _nice_ceil(1.05 * data_max)


def _set_modes(lines: Sequence[Artist], x: np.ndarray, values: np.ndarray) -> None:
    for i, line in enumerate(lines):
        line.set_data(x, values[:, i])


def _set_levels(lines: Sequence[Artist], levels: np.ndarray, *, vertical: bool = False) -> None:
    for line, v in zip(lines, levels, strict=True):
        if vertical:
            line.set_xdata([v, v])
        else:
            line.set_ydata([v, v])


def _log_grid(n_steps: int, k: int = 300) -> np.ndarray:
    """About ``k`` log-spaced distinct iterations in ``1..n_steps`` (always including both ends)."""
    g = np.unique(np.round(np.geomspace(1, max(n_steps, 1), k)).astype(int))
    return g


# =============================================================================================
# deep per-mode flow, fast enough for an explorer (theory.deep_flow integrates an ODE)
# =============================================================================================


def deep_flow_fast(sigma: Any, lam: Any, w0: float, t: Any, depth: int,
                   *, h: float = 0.004) -> np.ndarray:
    r"""Balanced depth-``L`` gradient flow ``dw/dt = L w^{2-2/L} (sigma - lam w)``, fast.

    Substituting ``w = (sigma/lam) s(y)`` with the logistic ``s(y) = 1/(1 + e^{-y})`` turns the flow
    into ``dt/dy = 1 / (L sigma w(y)^{1-2/L})``, a smooth integrand: ``t(y)`` is a cumulative
    trapezoid sum on a uniform ``y`` grid (step ``h``) with the Euler-Maclaurin end correction
    (error ``O(h^4)``), and ``w(t)`` is read back by linear interpolation in ``y``. For
    ``L = 2`` it reproduces the logistic closed form. Agrees with
    :func:`gdlinear.theory.deep_flow` (an ODE solve) to about 1e-6 relative, in a few
    milliseconds.

    Parameters
    ----------
    sigma, lam : array_like, shape (m,)
    w0 : float
        Initial strength, ``0 < w0 < min(sigma/lam)``.
    t : array_like, shape (k,)
        Times (>= 0).
    depth : int
        ``L >= 2``.
    h : float
        Grid step in ``y``.

    Returns
    -------
    ndarray, shape (k, m)

    Examples
    --------
    >>> deep_flow_fast([1.0], 1.0, 1e-3, [0.0, 1e4], depth=3)[:, 0].round(6)
    array([0.001, 1.   ])
    """
    sigma = np.atleast_1d(np.asarray(sigma, dtype=float))
    lam = np.broadcast_to(np.asarray(lam, dtype=float), sigma.shape)
    tv = np.asarray(t, dtype=float).ravel()
    L = int(depth)
    target = sigma / lam
    out = np.empty((tv.size, sigma.size))
    q = 1.0 - 2.0 / L
    y_end = 25.0  # 1 - s(y_end) ~ 1e-11
    for i in range(sigma.size):
        u0 = w0 / target[i]
        if not 0 < u0 < 1:
            raise ValueError(f"w0 must lie in (0, sigma_i/lam_i) = (0, {target[i]:.4g}), "
                             f"got {w0:g}")
        y0 = np.log(u0 / (1.0 - u0))
        y = np.arange(y0, y_end + h, h)
        # w^{-q} = (target s)^{-q},  s^{-q} = (1 + e^{-y})^q
        C = 1.0 / (L * sigma[i] * target[i] ** q)
        e = np.exp(-y)
        g = C * (1.0 + e) ** q
        dg = -C * q * e * (1.0 + e) ** (q - 1.0)
        # trapezoid + Euler-Maclaurin end correction: error O(h^4)
        ty = np.concatenate([[0.0], np.cumsum(0.5 * h * (g[1:] + g[:-1]))])
        ty -= h * h / 12.0 * (dg - dg[0])
        yt = np.interp(tv, ty, y, right=y_end)
        out[:, i] = target[i] / (1.0 + np.exp(-yt))
    return out


# =============================================================================================
# 1. phenomenon: linear model vs two-layer network
# =============================================================================================

#: Singular values of the phenomenon problem: 10 modes, geometric from 1 to 0.1 (lam = 1).
PHENOMENON_SIGMA: np.ndarray = 10.0 ** (-np.arange(10) / 9.0)

PHENOMENON_SLIDERS: dict[str, SliderSpec] = {
    "scale": SliderSpec("init scale e^(-delta)", 1e-8, 1e-1, 1e-6, kind="log", step=0.25),
    "eta_frac": SliderSpec("eta x sigma_1", 0.05, 0.95, 0.2, step=0.05),
}


def _phenomenon_horizon(sigma: np.ndarray) -> float:
    """Time ``eta t`` after which the two-layer network has learned every mode, for every slider
    value (the slowest case: smallest scale, largest step)."""
    s = PHENOMENON_SLIDERS
    eta = s["eta_frac"].max / float(sigma[0])
    t = theory.learning_time(sigma[-1], 1.0, s["scale"].min, eta=eta, frac=0.97)[0]
    return _nice_ceil(1.1 * eta * t)


def phenomenon_problem(seed: int = 0) -> problems.Problem:
    """The phenomenon explorer's problem as full moments: ``d = p = 10``, whitened inputs,
    ``sigma = PHENOMENON_SIGMA`` (to check the explorer against full-matrix GD).

    Examples
    --------
    >>> phenomenon_problem().Syx.shape
    (10, 10)
    """
    return problems.commuting(PHENOMENON_SIGMA, d=10, p=10, seed=seed)


@dataclass(frozen=True)
class PhenomenonData:
    """Output of :func:`compute_phenomenon`.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Recorded iterations (about 300, log-spaced in ``1..steps``).
    time : ndarray, shape (k,)
        ``eta t``, the abscissa of the figure.
    linear, two_layer : ndarray, shape (k, m)
        Mode strengths ``w_i(t)`` (the singular values of the end-to-end map ``W``) of the linear
        model and of the two-layer network.
    sigma, lam : ndarray, shape (m,)
    eta, scale, horizon : float
        Step size, initial strength, and the fixed time horizon of the figure.
    """

    t: np.ndarray
    time: np.ndarray
    linear: np.ndarray
    two_layer: np.ndarray
    sigma: np.ndarray
    lam: np.ndarray
    eta: float
    scale: float
    horizon: float


def compute_phenomenon(scale: float = 1e-6, eta_frac: float = 0.2) -> PhenomenonData:
    r"""Linear model and two-layer network trained by GD on the same commuting problem.

    Problem: whitened inputs (``lam_i = 1``), ``sigma = PHENOMENON_SIGMA`` (10 modes from 1 to
    0.1). Both models start from ``W(0) = scale * sum_i u_i v_i^T`` (the network from a balanced
    spectral initialisation) and use the same step ``eta = eta_frac / sigma_1`` (the two-layer
    stability bound is ``1/sigma_1``; the linear model's, ``2/lambda_max = 2``, is looser).
    Exact per-mode recursions: linear ``w_t = sigma + (w_0 - sigma)(1 - eta)^t``
    (:func:`gdlinear.theory.linear_gd`), two-layer ``w_{t+1} = w_t (1 + eta (sigma - w_t))^2``
    (:func:`gdlinear.theory.mode_map`). The horizon in time ``eta t`` is the same for every
    slider value, so that the figure's axes never move.

    Parameters
    ----------
    scale : float
        Initial strength ``w_i(0) = e^{-delta}`` of every mode.
    eta_frac : float
        ``eta sigma_1``, in (0, 1).

    Returns
    -------
    PhenomenonData

    Examples
    --------
    >>> compute_phenomenon(1e-6, 0.2).two_layer.shape[1]
    10
    """
    sig = PHENOMENON_SIGMA
    lam = np.ones_like(sig)
    eta = float(eta_frac) / float(sig[0])
    horizon = _phenomenon_horizon(sig)
    steps = int(np.ceil(horizon / eta))
    t = _log_grid(steps)
    two = theory.mode_map(sig, lam, eta, scale, steps)[t]
    lin = theory.linear_gd(sig, lam, eta, scale, steps)[t]
    return PhenomenonData(t=t.astype(float), time=eta * t, linear=lin, two_layer=two, sigma=sig,
                          lam=lam, eta=eta, scale=float(scale), horizon=horizon)


def draw_phenomenon(axes: Sequence[Axes], data: PhenomenonData, *, live: bool = False) -> Drawn:
    """Draw :func:`compute_phenomenon` output: linear model on ``axes[0]``, two-layer network on
    ``axes[1]``; mode strengths against time ``eta t`` (log scale), targets dashed.

    Parameters
    ----------
    axes : sequence of two Axes
    data : PhenomenonData
    live : bool
        Explorer layout: fixed titles, legend below the panels, and only the curves returned.

    Returns
    -------
    dict
        ``"linear"``, ``"two_layer"``: one ``Line2D`` per mode; unless ``live``: ``"targets"``,
        ``"titles"`` and ``"legend"``.

    Examples
    --------
    >>> fig, axes = gp.small_multiples(1, 2)
    >>> sorted(draw_phenomenon(axes[0], compute_phenomenon(), live=True))
    ['linear', 'two_layer']
    """
    ax0, ax1 = axes[0], axes[1]
    m = data.sigma.size
    targets = data.sigma / data.lam
    signature = (m, data.horizon, live)
    top = _top(float(targets.max()), float(max(data.two_layer.max(), data.linear.max())))
    drawn = _reuse(ax0, "phenomenon", signature)
    if drawn is None:
        labels = [f"mode {i + 1} (sigma = {data.sigma[i]:.2g})" if i in (0, m - 1) else None
                  for i in range(m)]
        drawn = {"linear": [], "two_layer": [], "targets": [], "titles": []}
        for ax, key, vals in ((ax0, "linear", data.linear), (ax1, "two_layer", data.two_layer)):
            ax.cla()
            ml = gp.plot_modes(ax, data.time, vals, targets=targets, labels=labels, legend=False,
                               xlabel="time eta t (t = iteration, log scale)",
                               ylabel="singular value w_i of W")
            ax.set_xscale(gp.BookLogScale())  # no minor ticks, whatever the global style
            ax.set_xlim(PHENOMENON_SLIDERS["eta_frac"].min / data.sigma[0], data.horizon)
            drawn[key] = ml.lines
            drawn["targets"] += ml.targets
            drawn["titles"].append(ax.title)
        handles = [drawn["two_layer"][0], drawn["two_layer"][-1]]
        if live:
            ax0.set_title("linear model W", fontsize=10)
            ax1.set_title("two-layer network W = W2 W1", fontsize=10)
            ax0.figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8)
            drawn = {"linear": drawn["linear"], "two_layer": drawn["two_layer"]}
        else:
            drawn["legend"] = [ax1.legend(handles=handles, loc="upper left", fontsize=8)]
        _remember(ax0, "phenomenon", signature, drawn)
    else:
        _set_modes(drawn["linear"], data.time, data.linear)
        _set_modes(drawn["two_layer"], data.time, data.two_layer)
    for ax in (ax0, ax1):
        ax.set_ylim(-0.03 * top, top)
    if not live:
        ax0.set_title(f"linear model W (eta = {data.eta:.3g})", fontsize=10)
        ax1.set_title(f"two-layer W = W2 W1 (init {data.scale:.1e})", fontsize=10)
    return drawn


def phenomenon_explorer(*, continuous_update: bool = True) -> Explorer:
    """Live explorer: linear model vs two-layer network; sliders: init scale, step size.

    Examples
    --------
    >>> _ = phenomenon_explorer()
    """
    controls = {k: s.make(continuous_update) for k, s in PHENOMENON_SLIDERS.items()}
    fig, axes = _explorer_figure(2, (9.0, 3.5))

    def render(**v: Any) -> Drawn:
        return draw_phenomenon(axes, compute_phenomenon(**v), live=True)

    return Explorer(controls, fig, render,
                    title="Same data, same step size: linear model vs two-layer network")


def phenomenon_static_twin(
    scales: Sequence[float] = (1e-8, 1e-4, 1e-1), eta_frac: float = 0.2
) -> tuple[Figure, np.ndarray]:
    """Static twin of :func:`phenomenon_explorer`: one row per init scale; columns linear model,
    two-layer network.

    Returns
    -------
    fig, axes (len(scales), 2)

    Examples
    --------
    >>> fig, axes = phenomenon_static_twin()
    >>> axes.shape
    (3, 2)
    """
    fig, axes = gp.small_multiples(len(scales), 2, sharex=True, sharey=True,
                                   panel_size=(3.5, 2.0))
    for r, s in enumerate(scales):
        draw_phenomenon(axes[r], compute_phenomenon(s, eta_frac))
        axes[r, 0].set_title(f"linear model, init {s:.0e}", fontsize=9)
        axes[r, 1].set_title(f"two-layer network, init {s:.0e}", fontsize=9)
        axes[r, 1].set_ylabel("")
        if r < len(scales) - 1:
            for ax in axes[r]:
                ax.set_xlabel("")
        if r > 0:
            axes[r, 1].get_legend().remove()
    fig.suptitle(f"eta sigma_1 = {eta_frac:.2f}; dashed: targets sigma_i", fontsize=10)
    return fig, axes


# =============================================================================================
# 2. delta: the rescaled path and its limit
# =============================================================================================

#: Singular values of the delta explorer's problem (whitened inputs).
DELTA_SIGMA: np.ndarray = np.array([1.0, 0.5, 0.25])

DELTA_SLIDERS: dict[str, SliderSpec] = {
    "delta": SliderSpec("delta (init e^-delta)", 1.0, 40.0, 8.0, step=0.5),
    "c1": SliderSpec("c_1 = eta sigma_1", 0.05, 0.95, 0.2, step=0.05),
}

#: Right end of the delta explorer's axis, in ``eta t / delta`` (fits ``1.3 max_i eta T_i``
#: for every ``c_1`` in the slider range).
DELTA_X_MAX = 3.0


@dataclass(frozen=True)
class DeltaData:
    """Output of :func:`compute_delta`.

    Attributes
    ----------
    x : ndarray, shape (k,)
        ``eta t / delta`` for the iterations ``t = 0..steps`` (the figure's abscissa).
    w : ndarray, shape (k, m)
        ``w_i(t)``.
    x_limit : ndarray, shape (k_lim,)
        Fine grid of ``eta t / delta`` for the limit.
    limit : ndarray, shape (k_lim, m)
        ``lim_{delta -> inf} w_i(delta T)`` with ``T = x / eta``
        (:func:`gdlinear.theory.limit_path`).
    T_crit : ndarray, shape (m,)
        Critical times ``T_i = 1/(2 ln(1 + eta sigma_i))`` (iterations per unit delta).
    sigma, lam : ndarray
    eta, delta : float
    """

    x: np.ndarray
    w: np.ndarray
    x_limit: np.ndarray
    limit: np.ndarray
    T_crit: np.ndarray
    sigma: np.ndarray
    lam: np.ndarray
    eta: float
    delta: float


def compute_delta(delta: float = 8.0, c1: float = 0.2) -> DeltaData:
    r"""Two-layer GD from ``w_i(0) = e^{-delta}`` against its ``delta -> infinity`` limit.

    ``eta = c1 / sigma_1``; the exact map ``w+ = w (1 + eta (sigma - lam w))^2`` runs for
    ``ceil(DELTA_X_MAX delta / eta)`` steps. In rescaled time ``T = t / delta`` the path tends
    to the staircase ``(sigma_i/lam_i) 1[T > T_i]``, ``T_i = 1/(2 ln(1 + eta sigma_i))``. The
    figure's abscissa is ``eta T = eta t / delta`` (so that the axis is the same for every
    step size; ``eta T_i -> 1/(2 sigma_i)``, the flow's critical times, as ``eta -> 0``).

    Examples
    --------
    >>> compute_delta(20.0).w.shape[1]
    3
    """
    sig = DELTA_SIGMA
    la = np.ones_like(sig)
    delta = float(delta)
    eta = float(c1) / float(np.max(sig))
    Tc = theory.critical_times(sig, eta=eta)
    steps = int(np.ceil(DELTA_X_MAX * delta / eta))
    w = theory.mode_map(sig, la, eta, np.exp(-delta), steps)
    x = eta * np.arange(steps + 1) / delta
    x_lim = np.linspace(0.0, DELTA_X_MAX, 601)
    lim = theory.limit_path(sig, la, x_lim / eta, eta=eta)
    return DeltaData(x=x, w=w, x_limit=x_lim, limit=lim, T_crit=Tc, sigma=sig, lam=la,
                     eta=eta, delta=delta)


def draw_delta(ax: Axes, data: DeltaData, *, live: bool = False) -> Drawn:
    """Draw :func:`compute_delta` output: the path (solid), its limit (dashed staircase), the
    critical times ``eta T_i`` (dotted).

    Parameters
    ----------
    ax : Axes
    data : DeltaData
    live : bool
        Explorer layout: fixed title, legend outside the axes, only changing artists returned.

    Returns
    -------
    dict
        ``"paths"``, ``"limits"``, ``"critical"`` (one artist per mode); unless ``live``:
        ``"titles"`` and ``"legend"``.

    Examples
    --------
    >>> fig, axes = gp.small_multiples(1, 1)
    >>> len(draw_delta(axes[0, 0], compute_delta(20.0))["paths"])
    3
    """
    m = data.sigma.size
    drawn = _reuse(ax, "delta", (m, live))
    if drawn is None:
        ax.cla()
        ml = gp.plot_modes(ax, data.x, data.w, labels=True, legend=False,
                           xlabel="rescaled time eta t / delta (t = iteration)",
                           ylabel="mode strength w_i")
        lim = gp.plot_modes(ax, data.x_limit, data.limit, labels=False, legend=False,
                            linestyle="--", linewidth=1.2, xlabel=None, ylabel=None)
        crit = [ax.axvline(data.eta * tc, color=gp.mode_color(i), linestyle=":", linewidth=0.9)
                for i, tc in enumerate(data.T_crit)]
        drawn = {"paths": ml.lines, "limits": lim.lines, "critical": crit}
        if live:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
            ax.set_title("solid: w_i(t); dashed: delta -> infinity limit; dotted: critical "
                         "times", fontsize=9)
        else:
            drawn["titles"] = [ax.title]
            drawn["legend"] = [ax.legend(loc="upper left", fontsize=8)]
        _remember(ax, "delta", (m, live), drawn)
    else:
        _set_modes(drawn["paths"], data.x, data.w)
        _set_modes(drawn["limits"], data.x_limit, data.limit)
        _set_levels(drawn["critical"], data.eta * data.T_crit, vertical=True)
    ax.set_xlim(0, DELTA_X_MAX)
    target_max = float(np.max(data.sigma / data.lam))
    ax.set_ylim(-0.03 * target_max, _top(target_max, float(np.max(data.w))))
    if not live:
        ax.set_title(f"delta = {data.delta:.3g} (init {np.exp(-data.delta):.1e}), eta sigma_1 = "
                     f"{data.eta * data.sigma.max():.2f}", fontsize=9)
    return drawn


def delta_explorer(*, continuous_update: bool = True) -> Explorer:
    """Live explorer of the time rescaling; sliders: ``delta`` and ``c_1 = eta sigma_1``.

    Examples
    --------
    >>> _ = delta_explorer()
    """
    controls = {k: s.make(continuous_update) for k, s in DELTA_SLIDERS.items()}
    fig, (ax,) = _explorer_figure(1, (7.0, 3.6))

    def render(**v: Any) -> Drawn:
        return draw_delta(ax, compute_delta(**v), live=True)

    return Explorer(controls, fig, render,
                    title="Rescaled path (solid) and its vanishing-initialisation limit (dashed)")


def delta_static_twin(
    deltas: Sequence[float] = (2.0, 8.0, 32.0), c1s: Sequence[float] = (0.2, 0.8)
) -> tuple[Figure, np.ndarray]:
    """Static twin of :func:`delta_explorer`: rows ``c_1 = eta sigma_1``, columns ``delta``.

    Returns
    -------
    fig, axes (len(c1s), len(deltas))

    Examples
    --------
    >>> fig, axes = delta_static_twin()
    >>> axes.shape
    (2, 3)
    """
    fig, axes = gp.small_multiples(len(c1s), len(deltas), sharex=True, sharey=True,
                                   panel_size=(2.9, 2.2))
    for r, c1 in enumerate(c1s):
        for j, de in enumerate(deltas):
            ax = axes[r, j]
            draw_delta(ax, compute_delta(de, c1))
            ax.set_title(f"delta = {de:g}, eta sigma_1 = {c1:g}", fontsize=9)
            if j > 0:
                ax.set_ylabel("")
            if (r, j) != (0, 0):
                ax.get_legend().remove()
            ax.set_xlabel("" if r < len(c1s) - 1 else "rescaled time eta t / delta")
    fig.suptitle("solid: w_i(t); dashed: the delta -> infinity staircase; dotted: critical "
                 "times", fontsize=10)
    return fig, axes


# =============================================================================================
# 3. spectrum: which modes, in which order, to which value
# =============================================================================================

_SPECTRUM_M = 3
_SPECTRUM_SIGMA0 = (1.0, 0.6, 0.3)
_SPECTRUM_LAM0 = (1.0, 1.0, 1.0)
#: Initial strength of the carried modes in the spectrum explorer.
SPECTRUM_SCALE = 1e-4
#: ``eta max_i sigma_i`` in the spectrum explorer (monotone regime).
SPECTRUM_C = 0.4

SPECTRUM_SLIDERS: dict[str, SliderSpec] = {
    **{f"sigma_{i + 1}": SliderSpec(f"sigma_{i + 1}", 0.1, 1.0, _SPECTRUM_SIGMA0[i], step=0.05)
       for i in range(_SPECTRUM_M)},
    **{f"lam_{i + 1}": SliderSpec(f"lambda_{i + 1}", 0.25, 4.0, _SPECTRUM_LAM0[i], kind="log",
                                  step=0.05)
       for i in range(_SPECTRUM_M)},
    "width": SliderSpec("hidden width r", 1, _SPECTRUM_M, _SPECTRUM_M, kind="int", step=1),
}


@dataclass(frozen=True)
class SpectrumData:
    """Output of :func:`compute_spectrum`.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Iterations ``0..steps``.
    w : ndarray, shape (k, m)
        Mode strengths (0 for the modes the width-``r`` network does not carry).
    excess_loss : ndarray, shape (k,)
        ``L(W_t) - L* = sum_i lam_i (w_i - sigma_i/lam_i)^2 / 2``.
    plateau_loss : float
        Excess loss of the run's final plateau, the moment-metric rank-``r`` solution:
        ``sum_{i not learned} sigma_i^2 / (2 lam_i)``.
    best_loss : float
        Smallest excess loss of a rank-``r`` map (data-metric reduced-rank regression): the same
        sum over the modes outside the ``r`` largest ``sigma_i^2 / lam_i``.
    learned : ndarray of bool, shape (m,)
        The ``r`` modes with the largest ``sigma_i`` (those the run learns).
    order : ndarray of int, shape (r,)
        Learned modes in order of learning (0-based; decreasing ``sigma_i``).
    data_order : ndarray of int, shape (r,)
        The ``r`` modes the data-metric reduced-rank regression keeps (largest
        ``sigma_i^2 / lam_i``), for comparison.
    t_half : ndarray, shape (m,)
        Predicted iteration at which ``w_i`` reaches half its target
        (:func:`gdlinear.theory.learning_time`; ``nan`` for modes not learned).
    sigma, lam : ndarray, shape (m,)
    eta : float
    width : int
    """

    t: np.ndarray
    w: np.ndarray
    excess_loss: np.ndarray
    plateau_loss: float
    best_loss: float
    learned: np.ndarray
    order: np.ndarray
    data_order: np.ndarray
    t_half: np.ndarray
    sigma: np.ndarray
    lam: np.ndarray
    eta: float
    width: int


def compute_spectrum(sigma: Any = _SPECTRUM_SIGMA0, lam: Any = _SPECTRUM_LAM0, width: int = 3,
                     *, scale: float = SPECTRUM_SCALE, c: float = SPECTRUM_C) -> SpectrumData:
    r"""Two-layer GD of hidden width ``r`` on a commuting problem with modes ``(sigma_i, lam_i)``.

    The network is initialised spectrally, at strength ``scale``, on the ``r`` modes with the
    largest ``sigma_i`` (the modes a small initialisation learns first); the other modes then
    stay exactly 0 and each carried mode follows the exact map
    ``w+ = w (1 + eta (sigma - lam w))^2`` with ``eta = c / max_i sigma_i``. Modes are learned in
    decreasing order of ``sigma_i`` (not of ``sigma_i^2/lam_i``), each to ``sigma_i/lam_i``: the
    plateaus are the moment-metric reduced-rank solutions.

    Caveat (chapter 8): when ``r < m`` and the data metric ranks the modes differently, the final
    plateau is not the best rank-``r`` map; it is a saddle point of the width-``r`` network,
    and a generic (random) initialisation eventually leaves it for the data-metric solution.
    The spectral initialisation never does. ``best_loss`` records the gap.

    Parameters
    ----------
    sigma, lam : array_like, shape (m,)
        Positive; any order.
    width : int
        Hidden width ``1 <= r <= m``.
    scale, c : float
        Initial strength and ``eta max(sigma)`` (default 0.4: monotone regime).

    Examples
    --------
    >>> compute_spectrum([0.3, 1.0, 0.6], [1, 1, 1], 2).order
    array([1, 2])
    """
    sig = np.asarray(sigma, dtype=float).ravel()
    la = np.broadcast_to(np.asarray(lam, dtype=float), sig.shape).copy()
    m = sig.size
    r = int(width)
    if not 1 <= r <= m:
        raise ValueError(f"width must be an integer in 1..{m}, got {width!r}")
    if not (np.all(np.isfinite(sig)) and np.all(np.isfinite(la))) or np.any(sig <= 0) \
            or np.any(la <= 0):
        raise ValueError(f"sigma and lam must be positive finite numbers, got {sig}, {la}")
    order = np.argsort(-sig, kind="stable")[:r]
    learned = np.zeros(m, dtype=bool)
    learned[order] = True
    eta = float(c) / float(sig.max())
    t_half = np.full(m, np.nan)
    t_half[learned] = theory.learning_time(sig[learned], la[learned], scale, eta=eta, frac=0.5)
    t_99 = theory.learning_time(sig[learned], la[learned], scale, eta=eta, frac=0.99)
    steps = int(_nice_ceil(1.2 * float(np.max(t_99)) + 5, _COARSE))
    w = np.zeros((steps + 1, m))
    w[:, learned] = theory.mode_map(sig[learned], la[learned], eta, scale, steps)
    excess = 0.5 * np.sum(la * (w - sig / la) ** 2, axis=1)
    gain = sig**2 / la
    data_order = np.argsort(-gain, kind="stable")[:r]
    kept = np.zeros(m, dtype=bool)
    kept[data_order] = True
    return SpectrumData(t=np.arange(steps + 1, dtype=float), w=w, excess_loss=excess,
                        plateau_loss=0.5 * float(np.sum(gain[~learned])),
                        best_loss=0.5 * float(np.sum(gain[~kept])), learned=learned,
                        order=order, data_order=data_order, t_half=t_half, sigma=sig, lam=la,
                        eta=eta, width=r)


def draw_spectrum(axes: Sequence[Axes], data: SpectrumData, *, live: bool = False) -> Drawn:
    """Draw :func:`compute_spectrum` output: mode strengths with their targets and predicted
    half-learning times (``axes[0]``); the excess loss relative to its initial value, on a log
    scale, with the plateau's loss and the best rank-``r`` loss (``axes[1]``).

    Parameters
    ----------
    axes : sequence of two Axes
    data : SpectrumData
    live : bool
        Explorer layout: the mode legend below the panels (the titles, which say the learning
        order, stay dynamic).

    Returns
    -------
    dict
        ``"modes"``, ``"targets"``, ``"half_times"`` (one artist per mode), ``"loss"``,
        ``"levels"`` (plateau loss, best rank-``r`` loss: hidden when 0 or equal),
        ``"labels"`` (their texts), ``"titles"``; unless ``live``: ``"legend"``.

    Examples
    --------
    >>> fig, axes = gp.small_multiples(1, 2, sharey=False)
    >>> drawn = draw_spectrum(axes[0], compute_spectrum())
    """
    a0, a1 = axes[0], axes[1]
    m = data.sigma.size
    targets = data.sigma / data.lam
    half = np.where(np.isfinite(data.t_half), data.t_half, 0.0)
    # relative excess loss: the axis is the same for every problem
    ref = float(data.excess_loss[0])
    rel = data.excess_loss / ref
    loss = np.where(rel > 0, rel, np.nan)
    levels = [max(data.plateau_loss / ref, 1e-300), max(data.best_loss / ref, 1e-300)]
    drawn = _reuse(a0, "spectrum", (m, live))
    if drawn is None:
        a0.cla()
        a1.cla()
        ml = gp.plot_modes(a0, data.t, data.w, targets=targets, labels=True, legend=False,
                           xlabel="iteration t", ylabel="mode strength w_i")
        halves = [a0.axvline(h, color=gp.mode_color(i), linestyle=":", linewidth=0.9)
                  for i, h in enumerate(half)]
        if live:
            a0.figure.legend(handles=ml.lines, loc="outside lower center", ncols=m, fontsize=8)
        else:
            leg = a0.legend(loc="upper left", fontsize=8)
        (loss_line,) = a1.plot(data.t, loss, color=gp.REFERENCE_COLOR)
        gp.decade_ticks(a1, -6, 0, step=2)          # log axis, plain labels (fast to draw)
        a1.set_xlabel("iteration t")
        a1.set_ylabel("relative excess loss\n(L(W_t) - L*) / (L(W_0) - L*)")
        lines = [a1.axhline(v, color="#666666", linestyle=ls, linewidth=1.0)
                 for v, ls in zip(levels, ("--", ":"), strict=True)]
        tr = a1.get_yaxis_transform()
        texts = [a1.text(0.98, levels[0], "plateau (moment-metric RRR)", transform=tr,
                         ha="right", va="bottom", fontsize=7.5, color="#444444"),
                 a1.text(0.98, levels[1], "best rank r (data-metric RRR)", transform=tr,
                         ha="right", va="top", fontsize=7.5, color="#444444")]
        drawn = {"modes": ml.lines, "targets": ml.targets, "half_times": halves,
                 "loss": [loss_line], "levels": lines, "labels": texts,
                 "titles": [a0.title, a1.title]}
        if not live:
            drawn["legend"] = [leg]
        _remember(a0, "spectrum", (m, live), drawn)
    else:
        _set_modes(drawn["modes"], data.t, data.w)
        _set_levels(drawn["targets"], targets)
        _set_levels(drawn["half_times"], half, vertical=True)
        drawn["loss"][0].set_data(data.t, loss)
        _set_levels(drawn["levels"], levels)
        for text, v in zip(drawn["labels"], levels, strict=True):
            text.set_y(v)
    for line, ok in zip(drawn["half_times"], data.learned, strict=True):
        line.set_visible(bool(ok))
    differ = not np.isclose(data.plateau_loss, data.best_loss, rtol=1e-9, atol=0.0)
    shown = [data.plateau_loss > 0, data.best_loss > 0 and differ]
    for line, text, on in zip(drawn["levels"], drawn["labels"], shown, strict=True):
        line.set_visible(bool(on))
        text.set_visible(bool(on))
    top = _nice_ceil(1.1 * max(float(targets.max()), float(data.w.max())), _Y_NICE)
    a0.set_ylim(-0.03 * top, top)
    a0.set_xlim(0, data.t[-1])
    a1.set_xlim(0, data.t[-1])
    a1.set_ylim(1e-6, 2.0)
    order = ", ".join(str(int(i) + 1) for i in data.order)
    dorder = ", ".join(str(int(i) + 1) for i in data.data_order)
    a0.set_title(f"width r = {data.width}: learns modes {order}, in this order", fontsize=9)
    a1.set_title(f"data-metric RRR (rank {data.width}) keeps modes {dorder}"
                 + (": differs" if differ else ""), fontsize=9)
    return drawn


def _spectrum_args(v: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    sig = np.array([v[f"sigma_{i + 1}"] for i in range(_SPECTRUM_M)])
    lam = np.array([v[f"lam_{i + 1}"] for i in range(_SPECTRUM_M)])
    return sig, lam, int(v["width"])


def spectrum_explorer(*, continuous_update: bool = True) -> Explorer:
    """Live explorer: ``sigma_i`` and ``lambda_i`` of 3 modes and the hidden width ``r``.

    Dashed lines are the targets ``sigma_i / lambda_i``, dotted lines the predicted
    half-learning times; the right panel shows the excess loss, the loss of the final plateau
    and, when it is lower, the best rank-``r`` loss (see the caveat in :func:`compute_spectrum`).

    Examples
    --------
    >>> _ = spectrum_explorer()
    """
    controls = {k: s.make(continuous_update) for k, s in SPECTRUM_SLIDERS.items()}
    for i in range(_SPECTRUM_M):
        for key in (f"sigma_{i + 1}", f"lam_{i + 1}"):
            controls[key].layout = ipw.Layout(width="280px")
            controls[key].style = {"description_width": "70px",
                                   "handle_color": gp.mode_color(i)}
    rows = [ipw.HBox([controls[f"sigma_{i + 1}"], controls[f"lam_{i + 1}"]])
            for i in range(_SPECTRUM_M)] + [controls["width"]]
    fig, axes = _explorer_figure(2, (9.5, 3.5))

    def render(**v: Any) -> Drawn:
        sig, lam, r = _spectrum_args(v)
        return draw_spectrum(axes, compute_spectrum(sig, lam, r), live=True)

    return Explorer(controls, fig, render, rows=rows,
                    title="Which modes are learned, in which order, to which value")


#: Configurations of :func:`spectrum_static_twin`: (title, sigma, lam, width).
SPECTRUM_TWIN_CONFIGS: tuple[tuple[str, tuple, tuple, int], ...] = (
    ("whitened, r = 3", (1.0, 0.6, 0.3), (1.0, 1.0, 1.0), 3),
    ("whitened, r = 2", (1.0, 0.6, 0.3), (1.0, 1.0, 1.0), 2),
    ("lambda reorders targets, r = 3", (1.0, 0.6, 0.3), (4.0, 1.0, 0.5), 3),
    ("metrics disagree, r = 1", (1.0, 0.6, 0.3), (4.0, 1.0, 0.5), 1),
)


def spectrum_static_twin(
    configs: Sequence[tuple[str, Sequence[float], Sequence[float], int]] = SPECTRUM_TWIN_CONFIGS,
) -> tuple[Figure, np.ndarray]:
    """Static twin of :func:`spectrum_explorer`: one column per configuration
    ``(title, sigma, lam, width)``; top row mode strengths, bottom row excess loss.

    Returns
    -------
    fig, axes (2, len(configs))

    Examples
    --------
    >>> fig, axes = spectrum_static_twin()
    >>> axes.shape
    (2, 4)
    """
    fig, axes = gp.small_multiples(2, len(configs), sharex=False, sharey=False,
                                   panel_size=(3.0, 2.3))
    for j, (title, sig, lam, r) in enumerate(configs):
        d = compute_spectrum(sig, lam, r)
        draw_spectrum(axes[:, j], d)
        order = ", ".join(str(int(i) + 1) for i in d.order)
        dorder = ", ".join(str(int(i) + 1) for i in d.data_order)
        axes[0, j].set_title(f"{title}\nsigma = {tuple(sig)}, lambda = {tuple(lam)}",
                             fontsize=8)
        axes[1, j].set_title(f"learns {order}; data-metric RRR keeps {dorder}", fontsize=8)
        axes[0, j].set_xlabel("")
        if j > 0:
            axes[0, j].set_ylabel("")
            axes[1, j].set_ylabel("")
            axes[0, j].get_legend().remove()
    fig.suptitle("top: dashed targets sigma_i / lambda_i, dotted predicted half-learning times\n"
                 "bottom: grey levels = plateau loss and best rank-r loss", fontsize=10)
    return fig, axes


# =============================================================================================
# 4. depth
# =============================================================================================

#: Singular values of the depth explorer's problem (whitened inputs).
DEPTH_SIGMA: np.ndarray = np.array([1.0, 0.5, 0.25])

DEPTH_SLIDERS: dict[str, SliderSpec] = {
    "depth": SliderSpec("depth L", 2, 5, 3, kind="int", step=1),
    "scale": SliderSpec("init scale w_i(0)", 1e-4, 1e-1, 1e-3, kind="log", step=0.25),
}

#: The depth explorer uses ``eta = DEPTH_ETA_FRAC x`` the local stability bound of depth L.
DEPTH_ETA_FRAC = 0.5

#: Right end of the depth explorer's (log) iteration axis, the same for every slider value; it
#: covers the slowest case (L = 5, init 1e-4, about 3000 iterations).
DEPTH_T_MAX = 5000


@dataclass(frozen=True)
class DepthData:
    """Output of :func:`compute_depth`.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Recorded iterations (about 300, log-spaced from 1).
    gd : ndarray, shape (k, m)
        Balanced depth-``L`` GD (:func:`gdlinear.theory.mode_map_deep`).
    flow : ndarray, shape (k, m)
        Gradient flow at time ``eta t`` (:func:`deep_flow_fast`).
    t_escape : ndarray, shape (m,)
        Small-initialisation escape times of the flow, in iterations (time / eta):
        ``ln(1/w0) / (2 sigma_i)`` for ``L = 2`` and ``w0^{-(1-2/L)} / ((L - 2) sigma_i)`` for
        ``L >= 3`` (lam = 1).
    sigma, lam : ndarray
    eta, scale : float
    depth : int
    """

    t: np.ndarray
    gd: np.ndarray
    flow: np.ndarray
    t_escape: np.ndarray
    sigma: np.ndarray
    lam: np.ndarray
    eta: float
    scale: float
    depth: int


def compute_depth(depth: int = 3, scale: float = 1e-3, *, eta_frac: float = DEPTH_ETA_FRAC,
                  max_steps: int = DEPTH_T_MAX) -> DepthData:
    r"""Balanced depth-``L`` network from ``w_i(0) = scale``: GD against gradient flow.

    Problem: ``sigma = DEPTH_SIGMA``, ``lam = 1``. Step size ``eta = eta_frac * 2 / max_i (L
    lam_i (sigma_i/lam_i)^{2-2/L})``: a fraction of the local stability bound
    (:func:`gdlinear.theory.stability_bound` with ``model="deep"``; ``1/sigma_1`` for ``L = 2``).
    The number of steps is taken from the flow (1.3 times the time at which the slowest mode
    reaches 99% of its target), extended while GD has not got there (at most ``max_steps``).
    The figure's axis always spans ``1..DEPTH_T_MAX`` iterations, so that runs at different
    depths and scales can be compared; a curve ends where its run ends.

    Examples
    --------
    >>> compute_depth(3, 1e-3).gd.shape[1]
    3
    """
    sig = DEPTH_SIGMA
    lam = np.ones_like(sig)
    L = int(depth)
    eta = float(eta_frac) * theory.stability_bound(sig, "deep", lam=lam, depth=L)
    target = sig / lam
    t99 = deep_flow_time(sig, lam, scale, 0.99 * target, L)
    steps = min(int(_nice_ceil(1.3 * float(np.max(t99)) / eta + 10)), max_steps)
    gd = theory.mode_map_deep(sig, lam, eta, scale, steps, L)
    while np.any(gd[-1] < 0.99 * target) and steps < max_steps:
        new = min(int(_nice_ceil(1.5 * steps)), max_steps)
        more = theory.mode_map_deep(sig, lam, eta, gd[-1], new - steps, L)
        gd = np.concatenate([gd, more[1:]])
        steps = new
    t = _log_grid(steps)
    flow = deep_flow_fast(sig, lam, scale, eta * t, L)
    if L == 2:
        t_esc = np.log(target / scale) / (2.0 * sig) / eta
    else:
        t_esc = scale ** (-(1.0 - 2.0 / L)) / ((L - 2) * sig) / eta
    return DepthData(t=t.astype(float), gd=gd[t], flow=flow, t_escape=t_esc, sigma=sig,
                     lam=lam, eta=eta, scale=float(scale), depth=L)


def deep_flow_time(sigma: Any, lam: Any, w0: float, w: Any, depth: int) -> np.ndarray:
    r"""Time at which the balanced depth-``L`` flow from ``w0`` reaches ``w`` (per mode).

    ``t = int_{y0}^{y} dy' / (L sigma w(y')^{1-2/L})`` in the logistic variable
    ``y = ln(u / (1 - u))``, ``u = lam w / sigma`` of :func:`deep_flow_fast` (Simpson's rule on
    4000 intervals); for ``L = 2`` it is exactly ``(y - y0) / (2 sigma)``.

    Examples
    --------
    >>> float(deep_flow_time([1.0], 1.0, 0.5, [0.9], 2)[0].round(6))
    1.098612
    """
    from scipy.integrate import simpson  # imported here: costly at import time

    sigma = np.atleast_1d(np.asarray(sigma, dtype=float))
    lam = np.broadcast_to(np.asarray(lam, dtype=float), sigma.shape)
    wv = np.broadcast_to(np.asarray(w, dtype=float), sigma.shape)
    target = sigma / lam
    L = int(depth)
    q = 1.0 - 2.0 / L
    out = np.empty(sigma.size)
    for i in range(sigma.size):
        if not (0 < w0 < target[i] and 0 < wv[i] < target[i]):
            raise ValueError(f"w0 and w must lie in (0, sigma_i/lam_i) = (0, {target[i]:.4g})")
        y0 = np.log(w0 / (target[i] - w0))
        y1 = np.log(wv[i] / (target[i] - wv[i]))
        y = np.linspace(y0, y1, 4001)
        g = (1.0 + np.exp(-y)) ** q / (L * sigma[i] * target[i] ** q)
        out[i] = float(simpson(g, x=y))
    return out


def draw_depth(ax: Axes, data: DepthData, *, live: bool = False) -> Drawn:
    """Draw :func:`compute_depth` output: GD (solid) and gradient flow at time ``eta t``
    (dashed) against iteration (log scale), targets, and the escape times (dotted).

    Parameters
    ----------
    ax : Axes
    data : DepthData
    live : bool
        Explorer layout: legend outside the axes, a short title with the step size.

    Returns
    -------
    dict
        ``"gd"``, ``"flow"``, ``"escape"`` (one artist per mode), ``"titles"``; unless ``live``:
        ``"legend"``.

    Examples
    --------
    >>> fig, axes = gp.small_multiples(1, 1)
    >>> drawn = draw_depth(axes[0, 0], compute_depth(4, 1e-3))
    """
    m = data.sigma.size
    drawn = _reuse(ax, "depth", (m, live))
    if drawn is None:
        ax.cla()
        ml = gp.plot_modes(ax, data.t, data.gd, targets=data.sigma / data.lam, labels=True,
                           legend=False, xlabel="iteration t (log scale)",
                           ylabel="mode strength w_i")
        fl = gp.plot_modes(ax, data.t, data.flow, labels=False, legend=False, linestyle="--",
                           linewidth=1.1, xlabel=None, ylabel=None)
        esc = [ax.axvline(tc, color=gp.mode_color(i), linestyle=":", linewidth=0.9)
               for i, tc in enumerate(data.t_escape)]
        ax.set_xscale(gp.BookLogScale())  # no minor ticks, whatever the global style
        drawn = {"gd": ml.lines, "flow": fl.lines, "escape": esc, "titles": [ax.title]}
        if live:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        else:
            drawn["legend"] = [ax.legend(loc="upper left", fontsize=8)]
        _remember(ax, "depth", (m, live), drawn)
    else:
        _set_modes(drawn["gd"], data.t, data.gd)
        _set_modes(drawn["flow"], data.t, data.flow)
        _set_levels(drawn["escape"], data.t_escape, vertical=True)
    ax.set_xlim(1, max(DEPTH_T_MAX, data.t[-1]))
    target_max = float(np.max(data.sigma / data.lam))
    ax.set_ylim(-0.03 * target_max, _top(target_max, float(np.max(data.gd))))
    if live:
        ax.set_title(f"eta = {data.eta:.3g}", fontsize=9)
    else:
        ax.set_title(f"depth L = {data.depth}, init {data.scale:.1e}, eta = {data.eta:.3g}",
                     fontsize=9)
    return drawn


def depth_explorer(*, continuous_update: bool = True) -> Explorer:
    """Live explorer of depth: depth ``L`` (2..5) and init scale.

    Solid: GD; dashed: gradient flow at time ``eta t``; dotted: small-init escape times.

    Examples
    --------
    >>> _ = depth_explorer()
    """
    controls = {k: s.make(continuous_update) for k, s in DEPTH_SLIDERS.items()}
    fig, (ax,) = _explorer_figure(1, (7.0, 3.6))

    def render(**v: Any) -> Drawn:
        return draw_depth(ax, compute_depth(**v), live=True)

    return Explorer(controls, fig, render,
                    title="Depth L: GD (solid) and gradient flow (dashed), balanced spectral init")


def depth_static_twin(
    depths: Sequence[int] = (2, 3, 4, 5), scales: Sequence[float] = (1e-3, 1e-1)
) -> tuple[Figure, np.ndarray]:
    """Static twin of :func:`depth_explorer`: rows init scale, columns depth.

    Returns
    -------
    fig, axes (len(scales), len(depths))

    Examples
    --------
    >>> fig, axes = depth_static_twin()
    >>> axes.shape
    (2, 4)
    """
    fig, axes = gp.small_multiples(len(scales), len(depths), sharex=False, sharey=True,
                                   panel_size=(2.7, 2.2))
    t_end = 1.0
    for r, s in enumerate(scales):
        for j, L in enumerate(depths):
            ax = axes[r, j]
            d = compute_depth(L, s)
            t_end = max(t_end, float(d.t[-1]))
            draw_depth(ax, d)
            ax.set_title(f"L = {L}, init {s:.0e}", fontsize=9)
            if j > 0:
                ax.set_ylabel("")
            if (r, j) != (0, 0):
                ax.get_legend().remove()
            ax.set_xlabel("" if r < len(scales) - 1 else "iteration t (log)")
    for ax in axes.ravel():
        ax.set_xlim(1, t_end)  # the runs shown, not the explorer's full range
    fig.suptitle("solid: GD; dashed: gradient flow at time eta t; dotted: small-init escape "
                 "times", fontsize=10)
    return fig, axes
