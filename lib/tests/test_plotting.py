"""Tests of gdlinear.plotting: style, colours, and that every helper draws the data it is given."""

from __future__ import annotations

import base64
import io

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")  # headless

from gdlinear import dynamics, problems  # noqa: E402
from gdlinear import plotting as gp  # noqa: E402


@pytest.fixture(autouse=True)
def _style_and_cleanup():
    with matplotlib.rc_context():
        gp.use_book_style()
        yield
    plt.close("all")


@pytest.fixture
def ax():
    fig, axes = gp.small_multiples(1, 1)
    return axes[0, 0]


@pytest.fixture(scope="module")
def run():
    P = problems.commuting([1.0, 0.6, 0.3], seed=1)
    init = dynamics.spectral_init(P, 1e-4)
    return P, dynamics.gd_two_layer(P, 0.2, 300, init, record=10)


# ------------------------------------------------------------------------------ style, colours
def test_book_style_white_backgrounds_and_palette():
    rc = matplotlib.rcParams
    for key in ("figure.facecolor", "axes.facecolor", "savefig.facecolor"):
        assert mcolors.to_hex(rc[key]) == "#ffffff", key
    cycle = rc["axes.prop_cycle"].by_key()["color"]
    assert [mcolors.to_hex(c).upper() for c in cycle[:7]] == [c.upper() for c in gp.MODE_COLORS]
    assert rc["figure.constrained_layout.use"]
    assert rc["savefig.dpi"] <= 150 and rc["figure.dpi"] <= 120
    gp.use_book_style()  # idempotent, no IPython needed


def test_book_log_scale_has_decades_but_no_minor_ticks():
    from matplotlib.ticker import LogLocator, NullLocator

    gp.use_book_style()
    fig, axes = plt.subplots(1, 2)
    axes[0].semilogy([1, 2, 3], [1e-6, 1e-3, 1.0])
    axes[1].loglog([1, 10, 100], [1, 2, 3])
    axes[1].set_xscale("log", base=2)
    fig.canvas.draw()
    for axis in (axes[0].yaxis, axes[1].xaxis, axes[1].yaxis):
        assert axis.get_scale() == "log" and isinstance(axis._scale, gp.BookLogScale)
        assert isinstance(axis.get_minor_locator(), NullLocator)
        assert isinstance(axis.get_major_locator(), LogLocator)
    assert axes[1].xaxis._scale.base == 2
    decades = [t for t in axes[0].get_yticks() if 1e-6 <= t <= 1.0]
    assert np.allclose(np.log10(decades), np.round(np.log10(decades)))
    assert len(decades) >= 3
    plt.close(fig)


def test_book_log_formatter_labels_decades_without_mathtext():
    gp.use_book_style()
    fig, ax = plt.subplots()
    ax.semilogy([1, 2, 3], [1e-6, 1e-3, 1.0])
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "10⁻⁶" in labels and "10⁻³" in labels and "10⁰" in labels
    assert not any("$" in lab for lab in labels)  # plain text: no mathtext to parse
    plt.close(fig)
    f = gp.BookLogFormatter()
    assert [f(x) for x in (1e-12, 0.01, 1.0, 10.0, 1e23)] == ["10⁻¹²", "10⁻²", "10⁰", "10¹",
                                                               "10²³"]
    assert f(0.0) == "" and f(-1.0) == "" and f(np.nan) == ""
    assert f(2e-3) == "0.002" and gp.BookLogFormatter(base=2)(8.0) == "2³"
    for bad in (1.0, 0.5, np.inf):
        with pytest.raises(ValueError, match="base"):
            gp.BookLogFormatter(base=bad)


def test_fixed_title_height_changes_no_pixel_of_a_book_figure():
    """``axes.titley = 1`` (book style) draws titled panels exactly as Matplotlib's automatic
    title placement does when nothing sits above the axes, as in every figure of the book."""
    def titled_png(titley):
        with matplotlib.rc_context({"axes.titley": titley}):
            fig, axes = gp.small_multiples(2, 3, sharex=True, sharey=True)
            for k, ax in enumerate(axes.flat):
                ax.semilogy(np.arange(1, 50), np.arange(1, 50) ** -(k + 1.0))
                ax.set_title(f"panel {k + 1}, eta = 0.{k}")
            return gp.figure_png(fig)

    gp.use_book_style()
    assert matplotlib.rcParams["axes.titley"] == 1.0
    assert titled_png(1.0) == titled_png(None)
    plt.close("all")


def test_saved_figure_has_white_background():
    fig, axes = gp.small_multiples(1, 1)
    axes[0, 0].plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    img = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGBA"))
    assert tuple(img[0, 0]) == (255, 255, 255, 255)


def _crowded_figure(layout="constrained"):
    """Three log panels with labels, legends, a colour bar and a suptitle: layout matters."""
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout=layout)
    t = np.logspace(0, 4, 200)
    for k, ax in enumerate(axes[:2]):
        for i in range(3):
            ax.semilogx(t, np.tanh(t / 10.0 ** (i + k)), label=f"mode {i + 1}")
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel(r"$\sigma_i(W_2 W_1)$")
        ax.legend(loc="upper left")
    mesh = axes[2].pcolormesh(np.arange(12.0).reshape(3, 4))
    fig.colorbar(mesh, ax=axes[2], label="value")
    fig.suptitle("A crowded figure")
    return fig


@pytest.mark.parametrize("layout", ["constrained", "tight", "none"])
def test_figure_png_is_ipythons_png_pixel_for_pixel(layout):
    from IPython.core.pylabtools import print_figure

    ours = gp.figure_png(_crowded_figure(layout))
    theirs = print_figure(_crowded_figure(layout), "png", bbox_inches=None, base64=True)
    assert isinstance(ours, str) and ours == theirs
    img = Image.open(io.BytesIO(base64.b64decode(ours)))
    assert img.size == (1000, 340)


def test_figure_png_keeps_the_layout_engine_and_skips_empty_figures():
    from IPython.core.pylabtools import print_figure

    fig, twin = _crowded_figure(), _crowded_figure()
    engine = fig.get_layout_engine()
    gp.figure_png(fig)
    assert fig.get_layout_engine() is engine
    # Shown again, the figure matches IPython's second rendering (constrained layout starts
    # from the previous one, so a second rendering may differ from the first by a pixel).
    print_figure(twin, "png", bbox_inches=None)
    assert gp.figure_png(fig) == print_figure(twin, "png", bbox_inches=None, base64=True)
    assert gp.figure_png(plt.figure()) is None


def test_inline_backend_uses_figure_png():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        gp.use_book_style()
        data, _ = shell.display_formatter.format(_crowded_figure())
        assert "image/svg+xml" not in data
        assert data["image/png"] == gp.figure_png(_crowded_figure())
    finally:
        InteractiveShell.clear_instance()


def test_mode_color_is_okabe_ito_and_cycles():
    assert gp.mode_color(0) == "#0072B2"
    assert set(gp.MODE_COLORS) <= set(gp.OKABE_ITO.values())
    assert len(set(gp.MODE_COLORS)) == len(gp.MODE_COLORS)
    n = len(gp.MODE_COLORS)
    assert gp.mode_color(n) == gp.mode_color(0)
    assert gp.mode_color(np.int64(2)) == gp.MODE_COLORS[2]
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="non-negative integer"):
            gp.mode_color(bad)


def test_mode_colors_few_and_many():
    assert gp.mode_colors(0) == []
    assert gp.mode_colors(5) == [gp.mode_color(i) for i in range(5)]
    many = gp.mode_colors(50)
    assert len(many) == 50 and len(set(many)) == 50
    assert all(mcolors.is_color_like(c) for c in many)
    # no pale colour: every colour keeps some contrast with white
    lum = [np.dot(mcolors.to_rgb(c), [0.2126, 0.7152, 0.0722]) for c in many]
    assert max(lum) < 0.85
    with pytest.raises(ValueError):
        gp.mode_colors(-2)


# ------------------------------------------------------------------------------ line helpers
def test_plot_modes_draws_each_column_in_its_colour(ax):
    x = np.arange(5.0)
    vals = np.column_stack([x, 2 * x, 3 * x])
    drawn = gp.plot_modes(ax, x, vals, targets=[1.0, 2.0, 3.0])
    assert len(drawn.lines) == 3 and len(drawn.targets) == 3
    for i, line in enumerate(drawn.lines):
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_array_equal(line.get_ydata(), vals[:, i])
        assert mcolors.to_hex(line.get_color()).upper() == gp.mode_color(i).upper()
        assert line.get_label() == f"mode {i + 1}"
        assert drawn.targets[i].get_ydata()[0] == pytest.approx(i + 1.0)
    assert ax.get_xlabel() == "iteration t"
    assert ax.get_ylabel() == "mode strength w_i"
    assert ax.get_legend() is not None


def test_plot_modes_options(ax):
    drawn = gp.plot_modes(ax, [0, 1], [3.0, 4.0], labels=False, linestyle="--", xlabel=None,
                          ylabel="singular value", marker="o")
    assert len(drawn.lines) == 1 and drawn.targets == []
    assert drawn.lines[0].get_linestyle() == "--"
    assert ax.get_legend() is None and ax.get_ylabel() == "singular value"
    drawn = gp.plot_modes(ax, [0, 1], [[1, 2], [3, 4]], labels=["a", "b"], targets=0.5)
    assert [ln.get_label() for ln in drawn.lines] == ["a", "b"]
    assert len(drawn.targets) == 2


def test_plot_modes_many_modes_no_legend(ax):
    drawn = gp.plot_modes(ax, np.arange(3), np.ones((3, 20)))
    assert len(drawn.lines) == 20 and ax.get_legend() is None
    cols = [mcolors.to_hex(ln.get_color()) for ln in drawn.lines]
    assert cols == gp.mode_colors(20)


@pytest.mark.parametrize("x, values, match", [
    (np.arange(4), np.ones((3, 2)), "shape"),
    (np.ones((2, 2)), np.ones((2, 2)), "shape"),
])
def test_plot_modes_bad_shapes(ax, x, values, match):
    with pytest.raises(ValueError, match=match):
        gp.plot_modes(ax, x, values)


def test_plot_modes_bad_labels(ax):
    with pytest.raises(ValueError, match="one entry per mode"):
        gp.plot_modes(ax, [0, 1], np.ones((2, 3)), labels=["a"])


def test_plot_singular_values_uses_modes(ax, run):
    P, traj = run
    drawn = gp.plot_singular_values(ax, traj, targets=P.modes.sigma)
    assert len(drawn.lines) == P.m
    np.testing.assert_allclose(drawn.lines[0].get_xdata(), traj.steps)
    np.testing.assert_allclose(drawn.lines[1].get_ydata(), traj.modes[:, 1])
    assert ax.get_xlabel() == "iteration t"
    assert "w_i" in ax.get_ylabel()


def test_plot_singular_values_time_axes(run):
    P, traj = run
    fig, axes = gp.small_multiples(1, 2, sharex=False)
    d = gp.plot_singular_values(axes[0, 0], traj, x="time")
    np.testing.assert_allclose(d.lines[0].get_xdata(), traj.eta * traj.steps)
    assert axes[0, 0].get_xlabel() == "time eta t (t = iteration)"
    d = gp.plot_singular_values(axes[0, 1], traj, x="rescaled", delta=4.0)
    np.testing.assert_allclose(d.lines[0].get_xdata(), traj.steps / 4.0)
    assert "t / delta" in axes[0, 1].get_xlabel()
    with pytest.raises(ValueError, match="delta"):
        gp.plot_singular_values(axes[0, 1], traj, x="rescaled")
    with pytest.raises(ValueError, match="x must be one of"):
        gp.plot_singular_values(axes[0, 1], traj, x="seconds")


def test_plot_singular_values_flow_and_unknown_modes(ax):
    P = problems.commuting([1.0, 0.5], seed=0)
    flow = dynamics.gradient_flow(P, np.linspace(0, 10, 11), dynamics.spectral_init(P, 1e-3))
    d = gp.plot_singular_values(ax, flow, x="rescaled", delta=2.0)
    np.testing.assert_allclose(d.lines[0].get_xdata(), flow.time / 2.0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Pd = problems.from_data(X, X @ rng.normal(size=(3, 2)))
    traj = dynamics.gd_linear(Pd, 0.1, 20)
    fig, axes = gp.small_multiples(1, 1)
    d = gp.plot_singular_values(axes[0, 0], traj)
    np.testing.assert_allclose(d.lines[0].get_ydata(), traj.singular_values[:, 0])
    assert "singular value" in axes[0, 0].get_ylabel()


def test_plot_loss(ax, run):
    P, traj = run
    lines = gp.plot_loss(ax, traj, subtract=float(traj.loss.min()))
    y = lines[0].get_ydata()
    expected = traj.loss - traj.loss.min()
    ok = expected > 0
    np.testing.assert_allclose(y[ok], expected[ok])
    assert np.all(np.isnan(y[~ok]))
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "excess loss L(W) - L*"
    fig, axes = gp.small_multiples(1, 1)
    lines = gp.plot_loss(axes[0, 0], traj, log=False, x="time")
    np.testing.assert_allclose(lines[0].get_ydata(), traj.loss)
    assert axes[0, 0].get_yscale() == "linear"


def test_staircase(ax):
    lines = gp.staircase(ax, [0, 1, 2], [0, 1, 1.5], ylabel="trace norm ||W||_*",
                         xlabel="rescaled time T")
    assert lines[0].get_drawstyle() == "steps-post"
    np.testing.assert_array_equal(lines[0].get_ydata(), [0, 1, 1.5])
    assert ax.get_ylabel() == "trace norm ||W||_*"
    with pytest.raises(ValueError, match="same length"):
        gp.staircase(ax, [0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="where"):
        gp.staircase(ax, [0, 1], [0, 1], where="left")


# ------------------------------------------------------------------------------ layouts
def test_small_multiples_shapes():
    fig, axes = gp.small_multiples(2, 3)
    assert axes.shape == (2, 3) and len(fig.axes) == 6
    fig, axes = gp.small_multiples(1, 1)
    assert axes.shape == (1, 1)
    fig, axes = gp.small_multiples(1, 2, figsize=(4, 2))
    assert tuple(fig.get_size_inches()) == (4, 2)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="positive integer"):
            gp.small_multiples(bad, 1)


# ------------------------------------------------------------------------------ regimes
def test_normalised_map_tail_regimes():
    tail = gp.normalised_map_tail([0.3, 0.8, 1.2, 3.0], keep=8, burn=2000)
    np.testing.assert_allclose(tail[0], 1.0, atol=1e-10)      # monotone: converges
    np.testing.assert_allclose(tail[1], 1.0, atol=1e-8)       # overshoot: still converges
    assert len(np.unique(np.round(tail[2], 8))) == 2           # c = 1.2: period 2
    assert np.all(np.isnan(tail[3]))                            # escapes


def test_bifurcation_diagram(ax):
    c = np.linspace(0.05, 1.5, 60)
    sc = gp.bifurcation_diagram(ax, c)
    off = sc.get_offsets()
    assert off.shape[1] == 2 and np.all(np.isfinite(off))
    assert set(np.round(off[:, 0], 12)) <= set(np.round(c, 12))
    vlines = [ln.get_xdata()[0] for ln in ax.lines]
    assert vlines == [0.5, 1.0]
    assert ax.get_xlabel() == "c = eta sigma"
    tail = gp.normalised_map_tail(c, keep=5)
    sc2 = gp.bifurcation_diagram(ax, c, tail, boundaries=False)
    assert len(sc2.get_offsets()) == np.isfinite(tail).sum()
    with pytest.raises(ValueError, match="u_tail"):
        gp.bifurcation_diagram(ax, c, tail[:-1])


def test_add_regime_bands(ax):
    ax.plot([0, 1.5], [0, 1])
    ax.set_xlim(0, 1.5)
    bands = gp.add_regime_bands(ax)
    assert len(bands) == 3
    assert ax.get_xlim() == (0, 1.5)
    fig, axes = gp.small_multiples(1, 1)
    a = axes[0, 0]
    a.set_xlim(0, 0.4)  # eta axis, sigma_1 = 2: c = 2 eta in [0, 0.8]
    assert len(gp.add_regime_bands(a, scale=0.5, labels=False)) == 2
    a.set_ylim(0, 3)
    assert len(gp.add_regime_bands(a, axis="y")) == 3
    with pytest.raises(ValueError, match="axis"):
        gp.add_regime_bands(a, axis="z")
    with pytest.raises(ValueError, match="scale"):
        gp.add_regime_bands(a, scale=0.0)


# ------------------------------------------------------------------------------ heatmap
def test_heatmap_sequential_with_nan(ax):
    x = np.logspace(-2, 0, 5)
    y = np.linspace(1, 3, 4)
    Z = np.arange(20.0).reshape(4, 5)
    Z[1, 2] = np.nan
    mesh, cbar = gp.heatmap(ax, Z, x, y, cbar_label="error", xlabel="step size eta",
                            ylabel="delta", logx=True)
    arr = mesh.get_array()
    assert np.ma.is_masked(arr) and arr.mask.sum() == 1
    np.testing.assert_array_equal(np.ma.filled(arr, -1).reshape(4, 5)[0], Z[0])
    assert cbar.ax.get_ylabel() == "error"
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "step size eta"
    assert mesh.get_cmap().name.startswith("cividis")


def test_heatmap_diverging_and_lognorm(ax):
    Z = np.array([[-2.0, 1.0], [0.5, 3.0]])
    mesh, _ = gp.heatmap(ax, Z, [0, 1], [0, 1], cbar_label="signed", diverging=True)
    assert mesh.norm.vcenter == 0.0
    assert mesh.norm.vmin == -3.0 and mesh.norm.vmax == 3.0
    fig, axes = gp.small_multiples(1, 1)
    mesh, _ = gp.heatmap(axes[0, 0], np.abs(Z), [0, 1], [0, 1], cbar_label="abs", lognorm=True)
    assert isinstance(mesh.norm, mcolors.LogNorm)
    with pytest.raises(ValueError, match="shape"):
        gp.heatmap(ax, Z, [0, 1, 2], [0, 1], cbar_label="x")
    with pytest.raises(ValueError, match="cannot be combined"):
        gp.heatmap(ax, Z, [0, 1], [0, 1], cbar_label="x", diverging=True, lognorm=True)


def test_heatmap_single_cell(ax):
    mesh, _ = gp.heatmap(ax, [[1.0]], [2.0], [3.0], cbar_label="v", logx=True)
    assert mesh.get_array().size == 1


def test_plotting_is_not_imported_by_the_core():
    import subprocess
    import sys

    code = ("import sys, gdlinear; gdlinear.problems; gdlinear.dynamics; gdlinear.theory; "
            "print('gdlinear.plotting' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_docstring_examples():
    import doctest

    res = doctest.testmod(gp, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 10 and res.failed == 0
