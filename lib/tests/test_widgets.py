"""Tests of gdlinear.widgets: every compute/draw callback at every slider extreme, the explorers'
widgets (headless), the static twins, and the private per-mode deep dynamics."""

from __future__ import annotations

import io
import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

matplotlib.use("Agg")  # headless

from gdlinear import dynamics, problems, theory  # noqa: E402
from gdlinear import plotting as gp  # noqa: E402
from gdlinear import widgets as W  # noqa: E402

NAMES = ("phenomenon", "delta", "spectrum", "depth")
SLIDERS = {n: getattr(W, f"{n.upper()}_SLIDERS") for n in NAMES}


@pytest.fixture(autouse=True)
def _style_and_cleanup():
    with matplotlib.rc_context():
        gp.use_book_style()
        yield
    plt.close("all")


def slider_settings(name):
    """Defaults; each slider at its min and max (others at default); all at min; all at max."""
    specs = SLIDERS[name]
    default = {k: s.default for k, s in specs.items()}
    out = [dict(default)]
    for k, s in specs.items():
        for v in (s.min, s.max):
            out.append({**default, k: v})
    out.append({k: s.min for k, s in specs.items()})
    out.append({k: s.max for k, s in specs.items()})
    return out


def compute(name, values):
    if name == "spectrum":
        return W.compute_spectrum(*W._spectrum_args(values))
    return getattr(W, f"compute_{name}")(**values)


def n_axes(name):
    return 2 if name in ("phenomenon", "spectrum") else 1


def fresh_axes(name):
    fig, axes = gp.small_multiples(1, n_axes(name), sharex=False, sharey=False)
    return list(axes[0]) if n_axes(name) == 2 else axes[0, 0]


def draw(name, axes, data, live=False):
    return getattr(W, f"draw_{name}")(axes, data, live=live)


MAIN = {"phenomenon": "linear", "delta": "w", "spectrum": "w", "depth": "gd"}
CASES = [(n, i, v, live) for n in NAMES for i, v in enumerate(slider_settings(n))
         for live in (False, True)]


# ------------------------------------------------------------------------------ callbacks
@pytest.mark.parametrize("name, i, values, live", CASES,
                         ids=[f"{n}-{i}-{'live' if lv else 'static'}" for n, i, _, lv in CASES])
def test_compute_and_draw_at_slider_extremes(name, i, values, live):
    data = compute(name, values)
    m = data.sigma.size
    fields = {
        "phenomenon": [("linear", 2), ("two_layer", 2), ("time", 1)],
        "delta": [("w", 2), ("limit", 2), ("x", 1), ("T_crit", 1)],
        "spectrum": [("w", 2), ("excess_loss", 1), ("t", 1)],
        "depth": [("gd", 2), ("flow", 2), ("t", 1), ("t_escape", 1)],
    }[name]
    for field, ndim in fields:
        arr = getattr(data, field)
        assert arr.ndim == ndim
        assert np.all(np.isfinite(arr)), name
        if ndim == 2:
            assert arr.shape[1] == m
    axes = fresh_axes(name)
    drawn = draw(name, axes, data, live)
    assert drawn and all(isinstance(v, list) and v for v in drawn.values())
    # the artists hold the computed data
    first = next(iter(drawn.values()))
    y = np.asarray(first[0].get_ydata(), dtype=float)
    main = getattr(data, MAIN[name])
    np.testing.assert_allclose(y, main[:, 0])
    # drawing again on the same axes updates the same artists (no new ones)
    n_children = [len(a.get_children()) for a in np.atleast_1d(axes)]
    other = compute(name, slider_settings(name)[0])
    drawn2 = draw(name, axes, other, live)
    assert [len(a.get_children()) for a in np.atleast_1d(axes)] == n_children
    assert all(a is b for k in drawn for a, b in zip(drawn[k], drawn2[k], strict=True))
    main2 = getattr(other, MAIN[name])
    np.testing.assert_allclose(next(iter(drawn2.values()))[0].get_ydata(), main2[:, 0])
    if i in (0, len(slider_settings(name)) - 2, len(slider_settings(name)) - 1):
        np.atleast_1d(axes)[0].figure.canvas.draw()  # renders without error


def test_sliders_build_with_the_right_kind():
    import ipywidgets as ipw

    for name in NAMES:
        for spec in SLIDERS[name].values():
            w = spec.make(continuous_update=False)
            assert w.value == pytest.approx(spec.default)
            assert not w.continuous_update
            kind = {"int": ipw.IntSlider, "log": ipw.FloatLogSlider,
                    "float": ipw.FloatSlider}[spec.kind]
            assert isinstance(w, kind)
            assert spec.min <= spec.default <= spec.max


def test_live_layout_returns_only_changing_artists():
    axes = fresh_axes("phenomenon")
    drawn = W.draw_phenomenon(axes, W.compute_phenomenon(), live=True)
    assert set(drawn) == {"linear", "two_layer"}
    assert axes[0].get_title() == "linear model W" and axes[0].figure.legends
    ax = fresh_axes("delta")
    drawn = W.draw_delta(ax, W.compute_delta(), live=True)
    assert set(drawn) == {"paths", "limits", "critical"}
    title = ax.get_title()
    W.draw_delta(ax, W.compute_delta(30.0, 0.7), live=True)
    assert ax.get_title() == title  # static in the live layout
    W.draw_delta(ax, W.compute_delta(30.0, 0.7))  # switching layout redraws from scratch
    assert "delta = 30" in ax.get_title()


# ------------------------------------------------------------------------------ the science
def test_phenomenon_matches_full_matrix_gd():
    P = W.phenomenon_problem()
    d = W.compute_phenomenon(1e-3, 0.3)
    steps = int(d.t[-1])
    run = dynamics.gd_two_layer(P, d.eta, steps, dynamics.spectral_init(P, 1e-3),
                                record=d.t.astype(int))
    np.testing.assert_allclose(run.modes, d.two_layer, rtol=1e-6, atol=1e-9)
    lin = dynamics.gd_linear(P, d.eta, steps, 1e-3 * P.modes.U @ P.modes.V.T,
                             record=d.t.astype(int))
    np.testing.assert_allclose(lin.modes, d.linear, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("values", slider_settings("phenomenon"))
def test_phenomenon_horizon_long_enough(values):
    d = W.compute_phenomenon(**values)
    assert np.all(d.two_layer[-1] >= 0.95 * d.sigma)
    assert d.time[-1] == pytest.approx(d.horizon, rel=0.05)
    # the linear model learns all modes at once: at a common time they have the same fraction
    frac = d.linear / d.sigma
    assert np.ptp(frac[len(frac) // 3]) < 1e-6 + d.scale / d.sigma.min()


def test_delta_path_approaches_the_limit():
    errs = []
    for delta in (5.0, 20.0, 40.0):
        d = W.compute_delta(delta, 0.2)
        # between the critical times the limit is constant: compare there
        mids = d.eta * np.array([(d.T_crit[0] + d.T_crit[1]) / 2, (d.T_crit[1] + d.T_crit[2]) / 2,
                                 1.2 * d.T_crit[2]])
        w = np.array([[np.interp(x, d.x, d.w[:, i]) for i in range(3)] for x in mids])
        lim = theory.limit_path(d.sigma, d.lam, mids / d.eta, eta=d.eta)
        errs.append(np.max(np.abs(w - lim)))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.05


def test_spectrum_learning_order_and_width():
    d = W.compute_spectrum([0.3, 1.0, 0.6], [1.0, 1.0, 1.0], 2)
    np.testing.assert_array_equal(d.order, [1, 2])
    np.testing.assert_array_equal(d.learned, [False, True, True])
    assert np.all(d.w[:, 0] == 0.0)
    np.testing.assert_allclose(d.w[-1, 1:], [1.0, 0.6], rtol=1e-3)
    assert d.plateau_loss == pytest.approx(0.5 * 0.3**2) == d.best_loss
    assert d.t_half[1] < d.t_half[2] and np.isnan(d.t_half[0])
    # metrics disagree: lam reorders sigma^2 / lam
    d = W.compute_spectrum([1.0, 0.6, 0.3], [4.0, 1.0, 0.5], 1)
    assert d.order.tolist() == [0] and d.data_order.tolist() == [1]
    assert d.plateau_loss == pytest.approx(0.5 * (0.36 + 0.18))
    assert d.best_loss == pytest.approx(0.5 * (0.25 + 0.18))
    for bad in (0, 4):
        with pytest.raises(ValueError, match="width"):
            W.compute_spectrum([1.0, 0.5, 0.2], [1, 1, 1], bad)
    with pytest.raises(ValueError, match="positive"):
        W.compute_spectrum([1.0, -0.5, 0.2], [1, 1, 1], 3)


def test_spectrum_runs_long_enough_at_every_corner():
    specs = W.SPECTRUM_SLIDERS
    for sig in itertools.product(*[(specs[f"sigma_{i}"].min, specs[f"sigma_{i}"].max)
                                   for i in (1, 2, 3)]):
        for lam in itertools.product(*[(specs[f"lam_{i}"].min, specs[f"lam_{i}"].max)
                                       for i in (1, 2, 3)]):
            d = W.compute_spectrum(sig, lam, 3)
            np.testing.assert_allclose(d.w[-1], d.sigma / d.lam, rtol=0.01)


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize("scale", [W.DEPTH_SLIDERS["scale"].min, W.DEPTH_SLIDERS["scale"].max])
def test_depth_learns_every_mode_within_the_axis(depth, scale):
    d = W.compute_depth(depth, scale)
    assert d.t[-1] <= W.DEPTH_T_MAX
    assert np.all(d.gd[-1] >= 0.99 * d.sigma / d.lam)
    # GD escapes no earlier than the flow (ln(1 + c) < c), and not much later
    half = 0.5 * d.sigma / d.lam
    t_gd = np.array([d.t[np.argmax(d.gd[:, i] >= half[i])] for i in range(3)])
    t_fl = np.array([d.t[np.argmax(d.flow[:, i] >= half[i])] for i in range(3)])
    assert np.all(t_gd >= 0.95 * t_fl) and np.all(t_gd <= 1.6 * t_fl + 2)


def test_explorer_deep_map_matches_full_matrix_gd():
    # The depth explorer's gradient-descent curves come from theory.mode_map_deep.
    P = problems.commuting([1.0, 0.5], lam=[1.5, 0.8], d=3, p=2, seed=3)
    init = dynamics.spectral_init(P, 1e-2, depth=3)
    run = dynamics.gd_deep(P, 0.15, 400, init, record=np.arange(0, 401, 20))
    w = theory.mode_map_deep(P.modes.sigma, P.modes.lam, 0.15, 1e-2, 400, depth=3)
    np.testing.assert_allclose(run.modes, w[::20], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_deep_flow_fast_matches_the_ode_solution(depth):
    sig, lam = np.array([1.0, 0.4]), np.array([1.0, 2.0])
    t = np.linspace(0.0, 300.0, 40)
    fast = W.deep_flow_fast(sig, lam, 1e-3, t, depth)
    ref = theory.deep_flow(sig, lam, 1e-3, t, depth)
    np.testing.assert_allclose(fast, ref, rtol=2e-6, atol=1e-9)
    # and the time to reach a level inverts it
    tw = W.deep_flow_time(sig, lam, 1e-3, 0.5 * sig / lam, depth)
    back = W.deep_flow_fast(sig, lam, 1e-3, tw, depth)
    np.testing.assert_allclose(np.diag(back), 0.5 * sig / lam, rtol=2e-6)
    with pytest.raises(ValueError, match="w0"):
        W.deep_flow_fast(sig, lam, 2.0, t, depth)
    with pytest.raises(ValueError):
        W.deep_flow_time(sig, lam, 1e-3, 5.0, depth)


def test_nice_ceil():
    assert W._nice_ceil(1.0) == 1.0
    assert W._nice_ceil(1.01) == 1.5
    assert W._nice_ceil(7.5) == 10.0
    assert W._nice_ceil(163, (1.0, 2.0, 5.0)) == 200.0
    with pytest.raises(ValueError):
        W._nice_ceil(0.0)


# ------------------------------------------------------------------------------ explorers
def _png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("name", NAMES)
def test_explorer_builds_and_updates(name):
    import ipywidgets as ipw

    ex = getattr(W, f"{name}_explorer")()
    assert isinstance(ex, ipw.VBox)
    assert set(ex.controls) == set(SLIDERS[name])
    first = _png(ex.image.value)
    assert first.shape[0] > 100 and first.shape[1] > 300
    assert ex.n_updates == 1 and ex.status.value == ""
    for key, spec in SLIDERS[name].items():
        for v in (spec.max, spec.min, spec.default):
            ctrl = ex.controls[key]
            if np.isclose(float(ctrl.value), float(v)):
                continue
            before = ex.n_updates
            ctrl.value = v
            assert ex.n_updates == before + 1, key
            assert ex.status.value == "", ex.status.value
    assert ex.n_full_redraws <= ex.n_updates
    key, spec = next(iter(SLIDERS[name].items()))
    assert spec.min != spec.default
    ex.controls[key].value = spec.min
    assert not np.array_equal(_png(ex.image.value), first)


@pytest.mark.parametrize("name", NAMES)
def test_blitted_frame_matches_a_full_redraw(name):
    ex = getattr(W, f"{name}_explorer")()
    key, spec = next(iter(SLIDERS[name].items()))
    target = spec.default + (spec.max - spec.default) * 0.5 if spec.kind == "float" else spec.max
    ex.controls[key].value = target
    blitted = _png(ex.image.value)
    # the same state drawn from scratch, all artists static
    for a in ex.figure.findobj():
        a.set_animated(False)
    canvas = FigureCanvasAgg(ex.figure)
    canvas.draw()
    full = np.asarray(canvas.buffer_rgba())[..., :3]
    assert full.shape == blitted.shape
    differ = np.any(np.abs(full.astype(int) - blitted.astype(int)) > 40, axis=-1).mean()
    assert differ < 0.01, f"{differ:.2%} of the pixels differ"


def test_explorer_reports_errors_instead_of_raising():
    fig, (ax,) = W._explorer_figure(1, (3, 2))
    slider = W.SliderSpec("x", 0.0, 1.0, 0.5).make()

    def render(x):
        if x > 0.9:
            raise ValueError("too big")
        (line,) = ax.plot([0, 1], [0, x])
        return {"line": [line]}

    ex = W.Explorer({"x": slider}, fig, render, title="test")
    slider.value = 1.0
    assert "too big" in ex.status.value
    slider.value = 0.2
    assert ex.status.value == ""


# ------------------------------------------------------------------------------ static twins
def test_static_twins_have_the_right_axes():
    fig, axes = W.phenomenon_static_twin(scales=(1e-8, 1e-2))
    assert axes.shape == (2, 2) and len(fig.axes) == 4
    fig, axes = W.delta_static_twin(deltas=(2.0, 8.0, 32.0), c1s=(0.2, 0.8))
    assert axes.shape == (2, 3)
    fig, axes = W.spectrum_static_twin()
    assert axes.shape == (2, len(W.SPECTRUM_TWIN_CONFIGS))
    fig, axes = W.depth_static_twin(depths=(2, 4), scales=(1e-3,))
    assert axes.shape == (1, 2)
    for ax in fig.axes:
        assert ax.lines and ax.get_title()


@pytest.mark.parametrize("twin", [
    lambda: W.phenomenon_static_twin(),
    lambda: W.delta_static_twin(),
    lambda: W.spectrum_static_twin(),
    lambda: W.spectrum_static_twin(W.SPECTRUM_TWIN_CONFIGS[1::2]),
    lambda: W.depth_static_twin(),
], ids=["phenomenon", "delta", "spectrum", "spectrum-narrow", "depth"])
def test_static_twins_fit_their_canvas(twin):
    # The book draws figures without a tight bounding box (plotting.use_book_style), so a title
    # or label that sticks out of the canvas would be cut off on the page.
    fig, _ = twin()
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    overflow = max(-box.x0, -box.y0, box.x1 - width, box.y1 - height) * fig.dpi
    plt.close(fig)
    assert overflow <= 1.0, f"the figure sticks out of its canvas by {overflow:.0f} px"


def test_explorer_log_axes_use_the_book_log_scale():
    # Set by the explorers themselves, so it holds whether or not use_book_style() was called.
    for fig, _ in (W.phenomenon_static_twin(scales=(1e-4,)), W.depth_static_twin(scales=(1e-3,))):
        fig.canvas.draw()
        for ax in fig.axes:
            assert isinstance(ax.xaxis._scale, gp.BookLogScale)
            assert len(ax.xaxis.get_minorticklocs()) == 0
        plt.close(fig)


def test_importing_gdlinear_does_not_import_ipywidgets():
    import subprocess
    import sys

    code = ("import sys, gdlinear; print('ipywidgets' in sys.modules); "
            "gdlinear.widgets; print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_docstring_examples():
    import doctest

    res = doctest.testmod(W, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 10 and res.failed == 0
