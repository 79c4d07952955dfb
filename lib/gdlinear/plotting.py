r"""Figures in the book's style.

Every figure of the book is drawn by the helpers of this module, so that all chapters look the same:
white backgrounds (a dark reading theme cannot hide a figure), the colour-blind-safe Okabe-Ito
palette, the **same colour for mode i everywhere** (:func:`mode_color`), and axis labels that say
what is plotted ("iteration t", "rescaled time t / delta", "mode strength w_i").

The helpers take a Matplotlib ``Axes`` and **return what they drew** (lists of ``Line2D``, the
``PathCollection`` of a scatter, ...), so that tests can read the plotted data back. They never call
``plt.show()`` and never create a figure behind the caller's back, except :func:`small_multiples`,
whose job is to create one.

Typical use::

    import gdlinear as gl
    gl.plotting.use_book_style()
    fig, axes = gl.plotting.small_multiples(1, 2)
    gl.plotting.plot_singular_values(axes[0, 0], run, x="steps")

This module imports the rest of the library; the library never imports it (dependency rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import matplotlib as mpl
import matplotlib.colors as mcolors
import matplotlib.scale as mscale
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import Formatter, NullLocator

__all__ = [
    "OKABE_ITO",
    "MODE_COLORS",
    "REFERENCE_COLOR",
    "ModeLines",
    "BookLogScale",
    "BookLogFormatter",
    "use_book_style",
    "figure_png",
    "mode_color",
    "mode_colors",
    "plot_modes",
    "plot_singular_values",
    "plot_loss",
    "small_multiples",
    "normalised_map_tail",
    "bifurcation_diagram",
    "Cobweb",
    "cobweb",
    "staircase",
    "heatmap",
    "add_regime_bands",
    "decade_ticks",
]

#: The Okabe-Ito colour-blind-safe palette (Okabe & Ito, 2008), by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: Colours of modes 0, 1, 2, ... (0-based): Okabe-Ito without black, the strongest contrasts first.
#: Yellow comes last because it is pale on white.
MODE_COLORS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["yellow"],
)

#: Colour of reference curves (theory overlays, limits, regime boundaries).
REFERENCE_COLOR: str = OKABE_ITO["black"]

#: Colormap used by :func:`mode_colors` when there are more modes than :data:`MODE_COLORS`.
_MANY_MODES_CMAP = "viridis"

_X_LABELS = {
    "steps": "iteration t",
    "time": "time eta t (t = iteration)",
    "rescaled": "rescaled time T = t / delta",
}


class ModeLines(NamedTuple):
    """What :func:`plot_modes` and :func:`plot_singular_values` drew.

    Attributes
    ----------
    lines : list of Line2D
        One line per mode, in mode order (``lines[i].get_ydata()`` is mode i).
    targets : list of Line2D
        The dashed target levels, one per mode (empty when no targets were given).
    """

    lines: list[Line2D]
    targets: list[Line2D]


# ---------------------------------------------------------------------------------------------
# style and colours
# ---------------------------------------------------------------------------------------------


# digits and minus sign as Unicode superscripts: "-12" -> "⁻¹²"
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class BookLogFormatter(Formatter):
    """Tick labels of a logarithmic axis in plain text: ``10⁻⁴``, ``10⁰``, ``10³``.

    Powers of the base are written with Unicode superscripts (the book's font, DejaVu Sans, has
    them); any other tick value is written with three significant digits. Matplotlib's own
    labels (``LogFormatterSciNotation``) are the same powers typeset by mathtext, whose parser
    costs about 0.1 s on first use in every kernel plus a few milliseconds per label; with plain
    text the labels cost what any other text does.

    Parameters
    ----------
    base : float
        Base of the logarithmic axis.

    Examples
    --------
    >>> f = BookLogFormatter()
    >>> f(1e-4), f(1.0), f(1000.0), f(0.3)
    ('10⁻⁴', '10⁰', '10³', '0.3')
    >>> BookLogFormatter(base=2)(0.125)
    '2⁻³'
    """

    def __init__(self, base: float = 10.0) -> None:
        if not (np.isfinite(base) and base > 1):
            raise ValueError(f"base must be a finite number > 1, got {base!r}")
        self.base = float(base)

    def __call__(self, x: float, pos: int | None = None) -> str:
        if not (np.isfinite(x) and x > 0):
            return ""
        k = np.log(x) / np.log(self.base)
        k_int = round(k)
        if abs(k - k_int) <= 1e-9 * max(1.0, abs(k)):
            return f"{self.base:g}" + str(int(k_int)).translate(_SUPERSCRIPT)
        return f"{x:.3g}"


class BookLogScale(mscale.LogScale):
    """Matplotlib's logarithmic scale without minor ticks: the ``"log"`` scale of the book.

    :func:`use_book_style` registers it under the name ``"log"``, so ``ax.set_yscale("log")``,
    ``semilogy`` and ``loglog`` use it. The decades keep their ticks, labels and grid lines; only
    the unlabelled minor ticks between them go. Those minor ticks are about half the time
    Matplotlib takes to lay out and draw a figure with log axes, and the book has dozens of
    such figures in every build. An axis can get them back with
    ``ax.yaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs="auto"))``. The decades are
    labelled in plain text by :class:`BookLogFormatter` (``10⁻⁴``), not by mathtext.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> use_book_style()
    >>> fig, ax = plt.subplots()
    >>> ax.set_yscale("log")
    >>> type(ax.yaxis.get_minor_locator()).__name__
    'NullLocator'
    >>> plt.close(fig)
    """

    name = "log"

    def __init__(self, *, base: float = 10, subs: Any = None, nonpositive: str = "clip") -> None:
        # No *axis* parameter: the constructor signature Matplotlib >= 3.11 expects of a scale.
        super().__init__(base=base, subs=subs, nonpositive=nonpositive)

    def set_default_locators_and_formatters(self, axis) -> None:
        super().set_default_locators_and_formatters(axis)
        axis.set_major_formatter(BookLogFormatter(self.base))
        axis.set_minor_locator(NullLocator())


def use_book_style() -> None:
    """Set Matplotlib's rcParams to the book style.

    White figure, axes and saved-figure backgrounds (so a dark reading theme cannot hide a
    figure), the Okabe-Ito palette as the colour cycle (mode colours first), a light grid,
    readable font sizes, constrained layout, figure dpi 100 and saved dpi 110 (pages stay small),
    axes titles at a fixed height just above the axes (``axes.titley = 1``: no automatic shift
    above top-side tick labels, which the book never draws; this saves up to a quarter of the
    rendering time of a figure with titled panels).
    Logarithmic axes have no minor ticks (:class:`BookLogScale`: half the rendering time of a
    figure with log axes). In IPython, the inline backend shows figures as PNG, laid out and
    drawn once by :func:`figure_png` (no tight bounding box). Calling it twice is harmless;
    outside IPython it only sets rcParams and the log scale.

    Examples
    --------
    >>> use_book_style()
    """
    mpl.rcParams.update(
        {
            "figure.facecolor": "white",
            "figure.edgecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.edgecolor": "white",
            "savefig.transparent": False,
            "savefig.dpi": 110,
            "figure.dpi": 100,
            "figure.figsize": (6.4, 4.0),
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": mpl.cycler(color=list(MODE_COLORS) + [REFERENCE_COLOR]),
            "axes.grid": True,
            "grid.color": "#d9d9d9",
            "grid.linewidth": 0.6,
            "grid.alpha": 0.8,
            "axes.edgecolor": "#333333",
            "axes.labelcolor": "#222222",
            "axes.titlesize": 11,
            # Titles at the top of the axes, as always in the book: Matplotlib's automatic
            # shift above top-side tick labels or an offset text would re-measure the y axis
            # for every titled panel on every draw (0.72-0.89x the render time without it).
            "axes.titley": 1.0,
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "legend.fontsize": 9,
            "legend.framealpha": 0.9,
            "legend.facecolor": "white",
            "font.size": 10,
            "lines.linewidth": 1.8,
            "image.cmap": "cividis",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    mscale.register_scale(BookLogScale)
    _pin_inline_png()


def _pin_inline_png() -> None:
    """Make the IPython inline backend show figures as PNG, laid out and drawn once.

    Does nothing outside IPython. Replaces the PNG formatter of :class:`~matplotlib.figure.Figure`
    with :func:`figure_png` (and drops any SVG or other figure formatter, so outputs never drift
    between formats).
    """
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", bbox_inches=None)
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
    except Exception:  # no IPython or no inline backend: nothing to pin
        return


def figure_png(fig: Figure) -> str | None:
    """The figure as a base64-encoded PNG at its own dpi, for the IPython inline backend.

    What IPython's own formatter gives with ``bbox_inches=None``, pixel for pixel, in less time
    (0.76 to 0.94 of it on the book's figures). Matplotlib's ``print_figure`` runs the layout
    engine inside a hidden draw of the whole figure (every tick and label) before the real one;
    here the engine runs alone, then the figure is drawn once with the layout frozen. A tight
    bounding box (IPython's default) would add a third draw. The figure keeps its layout engine.

    Returns ``None`` for a figure without axes or lines (IPython shows nothing for it).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(layout="constrained")
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> figure_png(fig)[:8]   # base64 of the PNG signature
    'iVBORw0K'
    >>> plt.close(fig)
    """
    import base64
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if not fig.axes and not fig.lines:
        return None
    engine = fig.get_layout_engine()
    if not isinstance(fig.canvas, FigureCanvasAgg) or engine is None or isinstance(
        engine, PlaceHolderLayoutEngine
    ):
        from IPython.core.pylabtools import print_figure

        return print_figure(fig, "png", bbox_inches=None, base64=True)
    engine.execute(fig)
    fig.set_layout_engine("none")  # a placeholder: the draw below keeps the layout just computed
    buf = io.BytesIO()
    try:
        fig.canvas.print_png(buf)
    finally:
        fig.set_layout_engine(engine)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def mode_color(i: int) -> str:
    """Colour of mode ``i`` (0-based), the same in every figure of the book.

    Modes beyond the palette cycle through it; use :func:`mode_colors` to colour many modes.

    Parameters
    ----------
    i : int
        Mode index, 0-based (mode ``i`` is written ``w_{i+1}`` in the text).

    Returns
    -------
    str
        A hex colour from :data:`MODE_COLORS`.

    Examples
    --------
    >>> mode_color(0)
    '#0072B2'
    """
    if isinstance(i, bool) or not isinstance(i, int | np.integer) or i < 0:
        raise ValueError(f"mode index i must be a non-negative integer, got {i!r}")
    return MODE_COLORS[int(i) % len(MODE_COLORS)]


def mode_colors(m: int) -> list[str]:
    """Colours of modes ``0, ..., m - 1``.

    Up to ``len(MODE_COLORS)`` (7) modes these are exactly ``mode_color(i)``, so colours agree
    with every other figure. For more modes (e.g. 50 singular values) the colours are sampled from
    the perceptually uniform, colour-blind-safe ``viridis`` map (its pale-yellow end is cut off,
    so that every colour stays visible on white): mode 0 is dark blue, the last mode green-yellow.

    Examples
    --------
    >>> len(mode_colors(50))
    50
    """
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 0:
        raise ValueError(f"number of modes m must be a non-negative integer, got {m!r}")
    m = int(m)
    if m <= len(MODE_COLORS):
        return list(MODE_COLORS[:m])
    cmap = mpl.colormaps[_MANY_MODES_CMAP]
    return [mcolors.to_hex(cmap(v)) for v in np.linspace(0.0, 0.85, m)]


# ---------------------------------------------------------------------------------------------
# line plots
# ---------------------------------------------------------------------------------------------


def _label_list(labels: bool | Sequence[str], m: int, prefix: str) -> list[str | None]:
    if labels is True:
        return [f"{prefix} {i + 1}" for i in range(m)]
    if labels is False or labels is None:
        return [None] * m
    labels = list(labels)
    if len(labels) != m:
        raise ValueError(f"labels must have one entry per mode ({m}), got {len(labels)}")
    return [str(lab) for lab in labels]


def plot_modes(
    ax: Axes,
    x: Any,
    values: Any,
    *,
    targets: Any = None,
    labels: bool | Sequence[str] = True,
    linestyle: str = "-",
    label_prefix: str = "mode",
    colors: Sequence[str] | None = None,
    xlabel: str | None = "iteration t",
    ylabel: str | None = "mode strength w_i",
    legend: bool | None = None,
    **line_kw: Any,
) -> ModeLines:
    """Draw one curve per mode, in the mode colours, with optional dashed target levels.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    x : array_like, shape (k,)
        Abscissa (iterations, times or rescaled times).
    values : array_like, shape (k, m) or (k,)
        ``values[:, i]`` is mode i (e.g. ``w_i(t)``); a 1-D array is one mode.
    targets : array_like, shape (m,), optional
        Levels drawn as thin dashed horizontal lines in the mode colours
        (e.g. ``sigma_i / lambda_i``).
    labels : bool or sequence of str
        ``True``: legend labels "mode 1", "mode 2", ... (1-based, as in the text); ``False``: none;
        or one string per mode.
    linestyle : str
        Line style of the mode curves.
    label_prefix : str
        Prefix of the automatic labels.
    colors : sequence of str, optional
        Override the colours (default :func:`mode_colors`).
    xlabel, ylabel : str or None
        Axis labels; ``None`` leaves the axis label unchanged.
    legend : bool, optional
        Draw a legend; default: when labels are on and there are at most 8 modes.
    **line_kw
        Passed to ``ax.plot`` (e.g. ``linewidth``, ``alpha``, ``marker``).

    Returns
    -------
    ModeLines
        ``(lines, targets)``: one ``Line2D`` per mode, and the target lines.

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> drawn = plot_modes(axes[0, 0], [0, 1, 2], [[0, 0], [0.5, 0.2], [1, 0.4]], targets=[1, 0.5])
    >>> len(drawn.lines), len(drawn.targets)
    (2, 2)
    """
    xv = np.asarray(x, dtype=float)
    vals = np.asarray(values, dtype=float)
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2 or xv.ndim != 1 or vals.shape[0] != xv.shape[0]:
        raise ValueError(
            f"values must have shape (len(x), m) = ({xv.shape[0] if xv.ndim == 1 else '?'}, m); "
            f"got x of shape {xv.shape} and values of shape {vals.shape}"
        )
    m = vals.shape[1]
    cols = list(colors) if colors is not None else mode_colors(m)
    if len(cols) < m:
        raise ValueError(f"colors must have at least {m} entries, got {len(cols)}")
    labs = _label_list(labels, m, label_prefix)
    lines: list[Line2D] = []
    for i in range(m):
        (line,) = ax.plot(xv, vals[:, i], linestyle=linestyle, color=cols[i], label=labs[i],
                          **line_kw)
        lines.append(line)
    tlines: list[Line2D] = []
    if targets is not None:
        tv = np.broadcast_to(np.asarray(targets, dtype=float), (m,))
        for i in range(m):
            tl = ax.axhline(tv[i], color=cols[i], linestyle=(0, (4, 3)), linewidth=0.9, alpha=0.8,
                            zorder=1)
            tlines.append(tl)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if legend is None:
        legend = labs[0] is not None if m else False
        legend = legend and m <= 8
    if legend:
        ax.legend(loc="best")
    return ModeLines(lines, tlines)


def _traj_x(traj: Any, x: str, delta: float | None) -> tuple[np.ndarray, str]:
    if x not in _X_LABELS:
        raise ValueError(f"x must be one of {sorted(_X_LABELS)}, got {x!r}")
    steps = np.asarray(traj.steps, dtype=float)
    if x == "steps":
        return steps, _X_LABELS["steps"]
    time = np.asarray(getattr(traj, "time", steps), dtype=float)
    eta = getattr(traj, "eta", None)
    is_flow = eta is None or not np.isfinite(eta) or eta <= 0  # gradient flow: eta = 0
    if x == "time":
        return time, ("time t" if is_flow else "time eta t (t = iteration)")
    if delta is None or not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"x='rescaled' needs delta > 0 (init scale e^(-delta)), got {delta!r}")
    # GD: t counts iterations (critical times 1/(2 ln(1 + eta sigma)) per unit delta);
    # gradient flow: t is continuous time (critical times 1/(2 sigma)).
    if is_flow:
        return time / delta, "rescaled time T = t / delta"
    return steps / delta, "rescaled time T = t / delta (t = iteration)"


def plot_singular_values(
    ax: Axes,
    traj: Any,
    *,
    x: str = "steps",
    delta: float | None = None,
    targets: Any = None,
    labels: bool | Sequence[str] = True,
    linestyle: str = "-",
    **line_kw: Any,
) -> ModeLines:
    """Plot the spectrum of a :class:`gdlinear.dynamics.Trajectory` over time.

    Uses the exact mode strengths ``w_i = u_i^T W v_i`` (``traj.modes``) when they were recorded
    (known modes, e.g. a commuting problem), otherwise the singular values of ``W`` in decreasing
    order (``traj.singular_values``).

    Parameters
    ----------
    ax : Axes
        Where to draw.
    traj : Trajectory
        A run from :mod:`gdlinear.dynamics` (needs ``steps``, ``modes`` or ``singular_values``,
        and ``time`` / ``eta`` for the time axes).
    x : {"steps", "time", "rescaled"}
        Abscissa: iteration t; time t (``eta * t`` for GD, the flow's time); or rescaled time
        ``T = t / delta`` (iterations for GD, flow time for gradient flow).
    delta : float, optional
        Needed for ``x="rescaled"``: the init scale is ``e^{-delta}``.
    targets : array_like, optional
        Dashed levels, e.g. ``sigma / lam``.
    labels, linestyle, **line_kw
        As in :func:`plot_modes`.

    Returns
    -------
    ModeLines

    Examples
    --------
    >>> from gdlinear import dynamics, problems
    >>> P = problems.commuting([1.0, 0.5])
    >>> run = dynamics.gd_two_layer(P, 0.1, 500, dynamics.spectral_init(P, 1e-4))
    >>> fig, axes = small_multiples(1, 1)
    >>> drawn = plot_singular_values(axes[0, 0], run, targets=P.modes.sigma)
    """
    xv, xlabel = _traj_x(traj, x, delta)
    modes = getattr(traj, "modes", None)
    if modes is not None:
        vals = np.asarray(modes, dtype=float)
        ylabel = "mode strength w_i"
        prefix = "mode"
    else:
        vals = np.asarray(traj.singular_values, dtype=float)
        ylabel = "singular value s_i of W"
        prefix = "s"
    return plot_modes(ax, xv, vals, targets=targets, labels=labels, linestyle=linestyle,
                      label_prefix=prefix, xlabel=xlabel, ylabel=ylabel, **line_kw)


def plot_loss(
    ax: Axes,
    traj: Any,
    *,
    x: str = "steps",
    delta: float | None = None,
    subtract: float | None = None,
    log: bool = True,
    label: str | None = None,
    color: str | None = None,
    **line_kw: Any,
) -> list[Line2D]:
    """Plot the training loss of a trajectory (optionally minus its minimum) over time.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    traj : Trajectory
        A run (needs ``loss``, ``steps``; ``time`` / ``eta`` for the other time axes).
    x, delta
        As in :func:`plot_singular_values`.
    subtract : float, optional
        Plot ``loss - subtract`` (e.g. the minimal loss, to see the excess loss on a log scale).
    log : bool
        Logarithmic loss axis (non-positive values are not drawn).
    label, color
        Line label and colour (default: the reference colour, black).

    Returns
    -------
    list of Line2D
        The loss curve.

    Examples
    --------
    >>> from gdlinear import dynamics, problems
    >>> P = problems.commuting([1.0, 0.5])
    >>> run = dynamics.gd_two_layer(P, 0.1, 500, dynamics.spectral_init(P, 1e-4))
    >>> fig, axes = small_multiples(1, 1)
    >>> lines = plot_loss(axes[0, 0], run, subtract=0.0)
    """
    xv, xlabel = _traj_x(traj, x, delta)
    y = np.asarray(traj.loss, dtype=float)
    ylabel = "training loss L(W)"
    if subtract is not None:
        y = y - float(subtract)
        ylabel = "excess loss L(W) - L*"
    if log:
        y = np.where(y > 0, y, np.nan)
        ax.set_yscale("log")
    lines = ax.plot(xv, y, color=color or REFERENCE_COLOR, label=label, **line_kw)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return lines


def staircase(
    ax: Axes,
    x: Any,
    y: Any,
    *,
    where: str = "post",
    color: str | None = None,
    label: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    **line_kw: Any,
) -> list[Line2D]:
    """Draw a piecewise-constant curve (e.g. the trace-norm staircase or a limit path).

    Parameters
    ----------
    ax : Axes
        Where to draw.
    x, y : array_like, shape (k,)
        Breakpoints and values; with ``where="post"`` the value ``y[j]`` holds on
        ``[x[j], x[j+1])``.
    where : {"post", "pre", "mid"}
        As in ``Axes.step``.
    color, label, xlabel, ylabel
        Colour (default black), legend label and axis labels (``None`` leaves them unchanged).

    Returns
    -------
    list of Line2D

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> lines = staircase(axes[0, 0], [0, 1, 2], [0, 1, 1.5], ylabel="trace norm ||W||_*")
    """
    xv = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    if xv.shape != yv.shape or xv.ndim != 1:
        raise ValueError(f"x and y must be 1-D of the same length, got {xv.shape} and {yv.shape}")
    if where not in ("post", "pre", "mid"):
        raise ValueError(f"where must be 'post', 'pre' or 'mid', got {where!r}")
    lines = ax.step(xv, yv, where=where, color=color or REFERENCE_COLOR, label=label, **line_kw)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return lines


# ---------------------------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------------------------


def small_multiples(
    nrows: int,
    ncols: int,
    *,
    sharex: bool | str = True,
    sharey: bool | str = True,
    figsize: tuple[float, float] | None = None,
    panel_size: tuple[float, float] = (2.7, 2.1),
) -> tuple[Figure, np.ndarray]:
    """Create a grid of small panels with shared axes (constrained layout, white background).

    Parameters
    ----------
    nrows, ncols : int
        Grid shape (each >= 1).
    sharex, sharey : bool or {"row", "col", "all", "none"}
        As in ``plt.subplots``.
    figsize : (float, float), optional
        Figure size in inches; default ``panel_size`` times the grid plus a margin.
    panel_size : (float, float)
        Size of one panel (inches) when ``figsize`` is not given.

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes, shape (nrows, ncols)
        Always 2-D, even for a single row or column.

    Examples
    --------
    >>> fig, axes = small_multiples(2, 3)
    >>> axes.shape
    (2, 3)
    """
    import matplotlib.pyplot as plt  # pyplot only when a figure is created

    for name, v in (("nrows", nrows), ("ncols", ncols)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if figsize is None:
        figsize = (panel_size[0] * ncols + 0.6, panel_size[1] * nrows + 0.5)
    fig, axes = plt.subplots(nrows, ncols, sharex=sharex, sharey=sharey, figsize=figsize,
                             squeeze=False, layout="constrained", facecolor="white")
    return fig, axes


# ---------------------------------------------------------------------------------------------
# step-size regimes and the normalised map
# ---------------------------------------------------------------------------------------------


def normalised_map_tail(
    c_values: Any, *, u0: float = 0.5, burn: int = 600, keep: int = 64
) -> np.ndarray:
    """Late iterates of the normalised two-layer map ``u+ = u (1 + c (1 - u))^2``.

    With ``u = lambda w / sigma`` and ``c = eta sigma`` the balanced two-layer GD recursion of one
    mode becomes this one-parameter map (fixed point ``u = 1``, stable for ``c < 1``). Orbits that
    escape to infinity are returned as NaN.

    Parameters
    ----------
    c_values : array_like, shape (K,)
        Values of ``c = eta sigma`` (>= 0).
    u0 : float
        Starting point (0 < u0).
    burn, keep : int
        Iterations discarded, then iterations kept.

    Returns
    -------
    ndarray, shape (K, keep)

    Examples
    --------
    >>> normalised_map_tail([0.3, 1.2], keep=4).shape
    (2, 4)
    """
    c = np.asarray(c_values, dtype=float).ravel()
    u = np.full_like(c, float(u0))
    out = np.empty((c.size, int(keep)))
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(burn)):
            u = u * (1.0 + c * (1.0 - u)) ** 2
            u[~(np.abs(u) < 1e6)] = np.nan
        for j in range(int(keep)):
            u = u * (1.0 + c * (1.0 - u)) ** 2
            u[~(np.abs(u) < 1e6)] = np.nan
            out[:, j] = u
    return out


def bifurcation_diagram(
    ax: Axes,
    c_values: Any,
    u_tail: Any = None,
    *,
    markersize: float = 0.6,
    color: str | None = None,
    boundaries: bool = True,
) -> PathCollection:
    """Scatter the late iterates of ``u+ = u (1 + c (1 - u))^2`` against ``c = eta sigma``.

    Vertical lines mark the regime boundaries ``c = 1/2`` (monotone -> overshoot) and ``c = 1``
    (the fixed point ``u = 1`` loses stability; period doubling follows).

    Parameters
    ----------
    ax : Axes
        Where to draw.
    c_values : array_like, shape (K,)
        Values of ``c``.
    u_tail : array_like, shape (K, k), optional
        Late iterates for each c (NaN for escaped orbits); computed by
        :func:`normalised_map_tail` when omitted.
    markersize : float
        Marker area (points^2).
    color : str, optional
        Marker colour (default: mode 0's colour).
    boundaries : bool
        Draw the dashed lines at c = 1/2 and c = 1.

    Returns
    -------
    PathCollection
        The scatter (``get_offsets()`` gives the (c, u) pairs drawn, NaNs removed).

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> sc = bifurcation_diagram(axes[0, 0], np.linspace(0, 1.6, 200))
    """
    c = np.asarray(c_values, dtype=float).ravel()
    tail = normalised_map_tail(c) if u_tail is None else np.asarray(u_tail, dtype=float)
    if tail.ndim != 2 or tail.shape[0] != c.size:
        raise ValueError(f"u_tail must have shape (len(c_values), k) = ({c.size}, k), "
                         f"got {tail.shape}")
    cc = np.repeat(c, tail.shape[1])
    uu = tail.ravel()
    ok = np.isfinite(uu)
    sc = ax.scatter(cc[ok], uu[ok], s=markersize, color=color or mode_color(0), linewidths=0,
                    rasterized=True)
    if boundaries:
        for cb in (0.5, 1.0):
            ax.axvline(cb, color=REFERENCE_COLOR, linestyle=(0, (4, 3)), linewidth=0.9)
    ax.set_xlabel("c = eta sigma")
    ax.set_ylabel("late iterates of u = lambda w / sigma")
    return sc


class Cobweb(NamedTuple):
    """What :func:`cobweb` drew.

    Attributes
    ----------
    curve : Line2D
        The graph of ``g_c(u) = u (1 + c (1 - u))^2``.
    diagonal : Line2D
        The diagonal ``u+ = u`` (fixed points are where the curve crosses it).
    path : Line2D
        The cobweb: ``(u_0, 0) -> (u_0, u_1) -> (u_1, u_1) -> (u_1, u_2) -> ...``.
    iterates : ndarray, shape (steps + 1,)
        ``u_0, ..., u_steps``.
    """

    curve: Line2D
    diagonal: Line2D
    path: Line2D
    iterates: np.ndarray


def cobweb(
    ax: Axes,
    c: float,
    u0: float,
    steps: int,
    *,
    umax: float | None = None,
    color: str | None = None,
) -> Cobweb:
    """Cobweb diagram of the normalised two-layer map ``u+ = g_c(u) = u (1 + c (1 - u))^2``.

    ``u = lambda w / sigma`` and ``c = eta sigma`` (one mode of balanced two-layer GD). The
    iterates come from :func:`gdlinear.theory.mode_map` with ``sigma = lambda = 1``, ``eta = c``.
    Vertical segments apply the map, horizontal ones return to the diagonal.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    c : float
        ``c = eta sigma`` (> 0).
    u0 : float
        Starting point (>= 0).
    steps : int
        Number of iterations drawn.
    umax : float, optional
        Right end of the drawn interval (default: a little beyond the largest iterate and 1).
    color : str, optional
        Colour of the cobweb path (default: mode 0's colour).

    Returns
    -------
    Cobweb
        ``(curve, diagonal, path, iterates)``.

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> cobweb(axes[0, 0], 0.8, 0.05, 30).iterates.shape
    (31,)
    """
    from . import theory

    u = theory.mode_map(1.0, 1.0, float(c), float(u0), int(steps))[:, 0]
    top = float(umax) if umax is not None else 1.08 * max(1.0, float(np.max(u)))
    grid = np.linspace(0.0, top, 400)
    (curve,) = ax.plot(grid, grid * (1.0 + c * (1.0 - grid)) ** 2, color=REFERENCE_COLOR,
                       linewidth=1.4, label="u+ = g_c(u)")
    (diag,) = ax.plot(grid, grid, color="#888888", linestyle=(0, (4, 3)), linewidth=0.9,
                      label="u+ = u")
    xs = np.repeat(u, 2)[:-1]
    ys = np.concatenate([[0.0], np.repeat(u[1:], 2)])
    (path,) = ax.plot(xs, ys, color=color or mode_color(0), linewidth=1.0, alpha=0.9,
                      label="iterates")
    ax.set_xlim(0.0, top)
    ax.set_ylim(0.0, top)
    ax.set_xlabel("u_t = lambda w_t / sigma")
    ax.set_ylabel("u_(t+1)")
    return Cobweb(curve, diag, path, u)


_REGIMES = (
    ("monotone", 0.0, 0.5, "#E8F1FA"),
    ("overshoot", 0.5, 1.0, "#FDF3E1"),
    ("unstable", 1.0, np.inf, "#F9E3E0"),
)


def decade_ticks(ax: Axes, lo: int, hi: int, *, step: int = 1, axis: str = "y") -> list[str]:
    """Make an axis logarithmic (:class:`BookLogScale`) with ticks at ``10^lo, ..., 10^hi`` only.

    Every ``step``-th decade gets a tick, labelled like every log axis of the book by
    :class:`BookLogFormatter` (``10⁻⁶``, ``10⁻⁴``, ..., ``10⁰``, ``10²``: plain text, no
    mathtext); there are no minor ticks. Useful when the automatic decades would be too many.

    Parameters
    ----------
    ax : Axes
        An axes whose ``axis`` is (or will be) logarithmic.
    lo, hi : int
        Exponents of the first and last labelled decade (``lo <= hi``).
    step : int
        Label every ``step``-th decade.
    axis : {"x", "y"}
        Which axis.

    Returns
    -------
    list of str
        The labels, in increasing order.

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> decade_ticks(axes[0, 0], -4, 0, step=2)
    ['10⁻⁴', '10⁻²', '10⁰']
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    lo, hi, step = int(lo), int(hi), int(step)
    if hi < lo or step < 1:
        raise ValueError(f"need lo <= hi and step >= 1, got lo={lo}, hi={hi}, step={step}")
    ticks = [10.0**k for k in range(lo, hi + 1, step)]
    if axis == "y":
        ax.set_yscale(BookLogScale())
        ax.set_yticks(ticks)
    else:
        ax.set_xscale(BookLogScale())
        ax.set_xticks(ticks)
    label = (ax.yaxis if axis == "y" else ax.xaxis).get_major_formatter()
    return [label(t) for t in ticks]


def add_regime_bands(
    ax: Axes,
    *,
    scale: float = 1.0,
    axis: str = "x",
    labels: bool = True,
    alpha: float = 1.0,
) -> list[Rectangle]:
    """Shade the step-size regimes ``c <= 1/2`` (monotone), ``1/2 < c < 1`` (overshoot) and
    ``c >= 1`` (unstable fixed point) behind the data.

    Parameters
    ----------
    ax : Axes
        Where to draw; call it after the data so that the axis limits are known.
    scale : float
        Axis units per unit of ``c``: with ``eta`` on the axis and ``c = eta sigma_1``, pass
        ``scale = 1 / sigma_1``.
    axis : {"x", "y"}
        Which axis carries ``c``.
    labels : bool
        Write the regime names at the top (x) or right (y) of each band.
    alpha : float
        Opacity of the (pale) band colours.

    Returns
    -------
    list of Rectangle
        The visible bands, in regime order.

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> _ = axes[0, 0].set_xlim(0, 1.5)  # eta axis with sigma_1 = 1
    >>> len(add_regime_bands(axes[0, 0], scale=1.0))
    3
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    patches: list[Rectangle] = []
    for name, a, b, col in _REGIMES:
        a_, b_ = max(a * scale, lo), min(b * scale, hi)
        if b_ <= a_:
            continue
        if axis == "x":
            p = ax.axvspan(a_, b_, color=col, alpha=alpha, zorder=0, linewidth=0)
            if labels:
                ax.text((a_ + b_) / 2, 0.98, name, transform=ax.get_xaxis_transform(),
                        ha="center", va="top", fontsize=8, color="#444444")
        else:
            p = ax.axhspan(a_, b_, color=col, alpha=alpha, zorder=0, linewidth=0)
            if labels:
                ax.text(0.98, (a_ + b_) / 2, name, transform=ax.get_yaxis_transform(),
                        ha="right", va="center", fontsize=8, color="#444444")
        patches.append(p)
    if axis == "x":
        ax.set_xlim(lo, hi)
    else:
        ax.set_ylim(lo, hi)
    return patches


# ---------------------------------------------------------------------------------------------
# heatmaps
# ---------------------------------------------------------------------------------------------


def _edges(c: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges from cell centres (geometric midpoints on a log axis)."""
    if c.size == 1:
        return np.array([c[0] / 2, c[0] * 2]) if log else np.array([c[0] - 0.5, c[0] + 0.5])
    v = np.log(c) if log else c
    mid = (v[1:] + v[:-1]) / 2
    e = np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
    return np.exp(e) if log else e


def heatmap(
    ax: Axes,
    Z: Any,
    x: Any,
    y: Any,
    *,
    cbar_label: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
    diverging: bool = False,
    center: float = 0.0,
    logx: bool = False,
    logy: bool = False,
    lognorm: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str | None = None,
    bad_color: str = "#bdbdbd",
) -> tuple[QuadMesh, Colorbar]:
    """Colour a grid of values ``Z[j, i]`` at ``(x[i], y[j])``, with a labelled colour bar.

    Sequential data use ``cividis`` (colour-blind safe, perceptually uniform); ``diverging=True``
    uses ``RdBu_r`` (ColorBrewer, colour-blind safe) centred at ``center``. NaN cells (e.g.
    diverged runs) are drawn in grey.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    Z : array_like, shape (len(y), len(x))
        Values.
    x, y : array_like
        Cell centres along each axis (increasing).
    cbar_label : str
        What the colour means (required: a colour bar without a label is unreadable).
    xlabel, ylabel : str, optional
        Axis labels.
    diverging : bool
        Use a diverging map centred at ``center``.
    logx, logy : bool
        Logarithmic axes (cell edges at geometric midpoints).
    lognorm : bool
        Logarithmic colour scale (sequential only; Z must be > 0 where finite).
    vmin, vmax : float, optional
        Colour limits.
    cmap : str, optional
        Override the colour map.
    bad_color : str
        Colour of NaN cells.

    Returns
    -------
    mesh : QuadMesh
        ``mesh.get_array()`` holds the drawn values.
    cbar : Colorbar

    Examples
    --------
    >>> fig, axes = small_multiples(1, 1)
    >>> etas, deltas = np.logspace(-2, 0, 5), np.array([5.0, 10.0, 20.0])
    >>> mesh, cbar = heatmap(axes[0, 0], np.outer(1 / deltas, etas), etas, deltas,
    ...                      cbar_label="error", xlabel="step size eta", ylabel="delta", logx=True)
    """
    Zv = np.asarray(Z, dtype=float)
    xv = np.asarray(x, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    if Zv.shape != (yv.size, xv.size):
        raise ValueError(f"Z must have shape (len(y), len(x)) = ({yv.size}, {xv.size}), "
                         f"got {Zv.shape}")
    if diverging and lognorm:
        raise ValueError("diverging and lognorm cannot be combined")
    name = cmap or ("RdBu_r" if diverging else "cividis")
    cm = mpl.colormaps[name].with_extremes(bad=bad_color)
    if diverging:
        finite = Zv[np.isfinite(Zv)]
        span = float(np.max(np.abs(finite - center))) if finite.size else 1.0
        span = span if span > 0 else 1.0
        lo = center - span if vmin is None else vmin
        hi = center + span if vmax is None else vmax
        norm: mcolors.Normalize = mcolors.TwoSlopeNorm(vcenter=center, vmin=min(lo, center - 1e-12),
                                                       vmax=max(hi, center + 1e-12))
    elif lognorm:
        norm = mcolors.LogNorm(vmin=vmin, vmax=vmax)
        Zv = np.where(Zv > 0, Zv, np.nan)
    else:
        norm = mcolors.Normalize(vmin=vmin, vmax=vmax)
    mesh = ax.pcolormesh(_edges(xv, logx), _edges(yv, logy), np.ma.masked_invalid(Zv), cmap=cm,
                         norm=norm, shading="flat", rasterized=True)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.grid(False)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    cbar = ax.figure.colorbar(mesh, ax=ax, label=cbar_label)
    return mesh, cbar
