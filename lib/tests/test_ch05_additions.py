"""Tests of the library additions made for chapter 05: ``theory.hitting_time`` and
``plotting.cobweb``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gdlinear import plotting, theory  # noqa: E402


def _brute_hitting(path: np.ndarray, level: np.ndarray) -> np.ndarray:
    out = []
    for i in range(path.shape[1]):
        hit = -1
        for t in range(path.shape[0]):
            if path[t, i] >= level[i]:
                hit = t
                break
        out.append(hit)
    return np.array(out)


def test_hitting_time_matches_a_loop():
    rng = np.random.default_rng(0)
    path = np.cumsum(rng.random((50, 6)), axis=0)
    level = np.array([0.0, 3.0, 10.0, 24.9, 1e9, -1.0])
    got = theory.hitting_time(path, level)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, _brute_hitting(path, level))
    assert got[4] == -1 and got[5] == 0


def test_hitting_time_mode_map_and_1d():
    sigma, lam = np.array([1.0, 0.5]), np.array([2.0, 1.0])
    w = theory.mode_map(sigma, lam, 0.3, 1e-6, 400)
    tau = theory.hitting_time(w, sigma / (2 * lam))
    for i in range(2):
        assert w[tau[i], i] >= sigma[i] / (2 * lam[i]) > w[tau[i] - 1, i]
    np.testing.assert_array_equal(theory.hitting_time(w[:, 0], 0.25), tau[:1])


def test_hitting_time_nan_never_hits_and_bad_input():
    path = np.array([[0.0], [np.nan], [2.0]])
    assert theory.hitting_time(path, 1.0).tolist() == [2]
    with pytest.raises(ValueError, match="one entry per column"):
        theory.hitting_time(np.zeros((3, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        theory.hitting_time(np.zeros((2, 2, 2)), 1.0)


def test_cobweb_draws_the_map_and_its_iterates():
    fig, ax = plt.subplots()
    drawn = plotting.cobweb(ax, 0.8, 0.05, 30, umax=1.5)
    u = drawn.iterates
    np.testing.assert_allclose(u, theory.mode_map(1.0, 1.0, 0.8, 0.05, 30)[:, 0])
    x, y = drawn.path.get_xdata(), drawn.path.get_ydata()
    assert x.size == y.size == 2 * 30 + 1
    # vertices: (u0, 0), (u0, u1), (u1, u1), (u1, u2), ...
    assert (x[0], y[0]) == (u[0], 0.0)
    np.testing.assert_allclose(x[1::2], u[:-1])
    np.testing.assert_allclose(y[1::2], u[1:])
    np.testing.assert_allclose(x[2::2], u[1:])
    np.testing.assert_allclose(y[2::2], u[1:])
    gx, gy = drawn.curve.get_xdata(), drawn.curve.get_ydata()
    np.testing.assert_allclose(gy, gx * (1 + 0.8 * (1 - gx)) ** 2)
    assert ax.get_xlim() == (0.0, 1.5)
    plt.close(fig)
