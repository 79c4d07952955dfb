"""Benchmark: the time of one explorer update (recompute + redraw + PNG) in gdlinear.widgets.

Budget (design §7): a widget update takes at most 100 ms (median). For every explorer the
benchmark builds the widget on the Agg backend and then moves each slider as a reader would drag
it: from its default to its maximum, down to its minimum and back to the default, in about 12
evenly spaced positions per leg (the other sliders at their defaults). Every value change goes
through the real ipywidgets observer, so the time measured is the whole update: the ``compute_*``
call, the ``draw_*`` call, the Agg redraw (blitted over the cached axes when the limits did not
change, a full redraw otherwise) and the PNG encoding. We report the median, the 90th percentile
and the maximum wall-clock time, the median CPU time of the process (close to the wall time on an
idle machine, and robust to other jobs competing for the cores: the 1-minute load average is
reported too), the number of full redraws, and the median of the compute step alone. The budget
is checked on the median wall-clock time.

Run ``python benchmarks/bench_widgets.py``; it prints JSON. ``run()`` returns the same dict.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

BUDGET_MS = 100.0
EXPLORERS = ("phenomenon", "delta", "spectrum", "depth")


def _positions(spec: Any, n: int) -> list[float]:
    """Default -> max -> min -> default, n points per leg, snapped to the slider's grid."""
    lo, hi, d = spec.min, spec.max, spec.default
    if spec.kind == "log":
        legs = [np.geomspace(d, hi, n), np.geomspace(hi, lo, 2 * n), np.geomspace(lo, d, n)]
        vals = np.concatenate(legs)
        e = np.round(np.log10(vals) / spec.step) * spec.step
        vals = 10.0**e
    else:
        legs = [np.linspace(d, hi, n), np.linspace(hi, lo, 2 * n), np.linspace(lo, d, n)]
        vals = np.concatenate(legs)
        vals = lo + np.round((vals - lo) / spec.step) * spec.step
        if spec.kind == "int":
            vals = np.round(vals).astype(int)
    out: list[float] = []
    for v in vals.tolist():  # drop repeats: an unchanged value triggers no update
        if not out or v != out[-1]:
            out.append(v)
    return out


def _bench_explorer(name: str, n: int) -> dict[str, Any]:
    from gdlinear import widgets as W

    sliders = getattr(W, f"{name.upper()}_SLIDERS")
    t0 = time.perf_counter()
    ex = getattr(W, f"{name}_explorer")()
    build_ms = 1e3 * (time.perf_counter() - t0)
    times: list[float] = []
    cpu: list[float] = []
    full0 = ex.n_full_redraws
    for key, spec in sliders.items():
        ctrl = ex.controls[key]
        for v in _positions(spec, n):
            if np.isclose(float(ctrl.value), float(v), rtol=1e-9, atol=0):
                continue
            before = ex.n_updates
            c = time.process_time()
            t = time.perf_counter()
            ctrl.value = v
            dt = time.perf_counter() - t
            dc = time.process_time() - c
            if ex.n_updates > before:
                times.append(1e3 * dt)
                cpu.append(1e3 * dc)
            if ex.status.value:
                raise RuntimeError(f"{name} explorer failed at {key} = {v}: {ex.status.value}")
    # compute step alone, at the default values
    compute = getattr(W, f"compute_{name}")
    defaults = {k: s.default for k, s in sliders.items()}
    if name == "spectrum":
        args = W._spectrum_args(defaults)
        call = lambda: compute(*args)  # noqa: E731
    else:
        call = lambda: compute(**defaults)  # noqa: E731
    ct = []
    for _ in range(7):
        t = time.perf_counter()
        call()
        ct.append(1e3 * (time.perf_counter() - t))
    arr = np.array(times)
    return {
        "n_updates": int(arr.size),
        "n_full_redraws": int(ex.n_full_redraws - full0),
        "median_ms": round(float(np.median(arr)), 1),
        "p90_ms": round(float(np.percentile(arr, 90)), 1),
        "max_ms": round(float(arr.max()), 1),
        "median_cpu_ms": round(float(np.median(cpu)), 1),
        "compute_median_ms": round(float(np.median(ct)), 1),
        "build_ms": round(build_ms, 1),
        "budget_ms": BUDGET_MS,
        "within_budget": bool(np.median(arr) <= BUDGET_MS),
    }


def run(n: int = 12) -> dict[str, Any]:
    """Measure every explorer; return a JSON-able dict (one entry per explorer)."""
    import gdlinear.plotting as gp

    gp.use_book_style()
    results = {name: _bench_explorer(name, n) for name in EXPLORERS}
    return {
        "benchmark": "widget update (compute + redraw + PNG), Agg backend",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "budget_ms": BUDGET_MS,
        "explorers": results,
        "all_within_budget": all(r["within_budget"] for r in results.values()),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
