"""Performance of the gdlinear core (design §7). Prints JSON; never a timed unit test.

Measures

* ``two_layer_step``: ``gd_two_layer`` per step with DEFAULT recording at ``d = p = r`` in
  {5, 20, 64}, against a bare numpy loop of the same update (budget: <= 1.5x at d = 20) and a
  PyTorch eager autograd loop of the same model (budget: >= 10x faster at d = 20; skipped with
  a message when torch is not installed; torch is never a project dependency);
* ``sweep``: a 400-run batched sweep (d = 5, 5000 steps each; budget <= 2 s);
* ``mode_map``: the exact per-mode recursion (single run and a 400-run batch).

Timings are the minimum over interleaved repeats (robust to a loaded machine).

Usage: ``python benchmarks/bench_library.py`` or through ``benchmarks/run.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import numpy as np

import gdlinear as gl

REPEATS = 5
STEPS = {5: 5000, 20: 5000, 64: 1500}


def _best(fns: dict[str, Callable[[], object]], repeats: int = REPEATS) -> dict[str, float]:
    """Minimum wall time of each function, running them interleaved."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def _bare_loop(P, init, eta: float, steps: int) -> np.ndarray:
    """The same update, written as a plain numpy loop (no recording, no checks)."""
    W1, W2 = init.W1.copy(), init.W2.copy()
    Sx, Syx = P.Sx, P.Syx
    for _ in range(steps):
        G = W2 @ W1 @ Sx - Syx
        W1, W2 = W1 - eta * (W2.T @ G), W2 - eta * (G @ W1.T)
    return W2 @ W1


def _torch_loop(torch, P, init, eta: float, steps: int):
    """PyTorch eager autograd on the same model and loss (moments form), float64."""
    Sx = torch.tensor(P.Sx)
    Syx = torch.tensor(P.Syx)
    W1 = torch.tensor(init.W1.copy(), requires_grad=True)
    W2 = torch.tensor(init.W2.copy(), requires_grad=True)
    for _ in range(steps):
        W = W2 @ W1
        loss = 0.5 * torch.sum((W @ Sx) * W) - torch.sum(W * Syx)
        loss.backward()
        with torch.no_grad():
            W1 -= eta * W1.grad
            W2 -= eta * W2.grad
        W1.grad = None
        W2.grad = None
    return (W2 @ W1).detach().numpy()


def bench_two_layer_step() -> dict:
    try:
        import torch

        torch.set_num_threads(1)
        torch_info = {"version": torch.__version__}
    except ImportError:
        torch = None
        torch_info = {"skipped": "torch is not installed: PyTorch comparison skipped "
                                 "(install torch into the venv to measure it; never a dependency)"}
    out: dict = {"torch": torch_info, "sizes": {}}
    eta = 0.1
    for d in (5, 20, 64):
        steps = STEPS[d]
        P = gl.problems.commuting(np.linspace(1.0, 0.2, d), d=d, p=d, seed=0)
        init = gl.dynamics.spectral_init(P, 1e-3, width=d)
        # correctness: the library and the bare loop compute the same iterates
        ref = _bare_loop(P, init, eta, steps)
        run = gl.dynamics.gd_two_layer(P, eta, steps, init)
        assert np.allclose(run.W, ref, atol=1e-10), "library and bare loop disagree"
        fns = {
            "library": lambda P=P, init=init, steps=steps: gl.dynamics.gd_two_layer(
                P, eta, steps, init),
            "bare_numpy": lambda P=P, init=init, steps=steps: _bare_loop(P, init, eta, steps),
        }
        if torch is not None:
            tr = _torch_loop(torch, P, init, eta, 50)
            assert np.allclose(tr, _bare_loop(P, init, eta, 50), atol=1e-10)
            fns["torch_eager"] = lambda P=P, init=init, steps=steps: _torch_loop(
                torch, P, init, eta, steps)
        t = _best(fns, repeats=REPEATS if d < 64 else 3)
        row = {
            "steps": steps,
            "recorded_steps": int(run.steps.size),
            "library_us_per_step": 1e6 * t["library"] / steps,
            "bare_numpy_us_per_step": 1e6 * t["bare_numpy"] / steps,
            "library_over_bare": t["library"] / t["bare_numpy"],
        }
        if torch is not None:
            row["torch_us_per_step"] = 1e6 * t["torch_eager"] / steps
            row["torch_over_library"] = t["torch_eager"] / t["library"]
        out["sizes"][f"d={d}"] = row
    r20 = out["sizes"]["d=20"]
    out["budget_vs_bare"] = {"limit": 1.5, "measured": r20["library_over_bare"],
                             "within_budget": r20["library_over_bare"] <= 1.5}
    if torch is not None:
        out["budget_vs_torch"] = {"limit": 10.0, "measured": r20["torch_over_library"],
                                  "within_budget": r20["torch_over_library"] >= 10.0}
    else:
        out["budget_vs_torch"] = {"skipped": torch_info["skipped"]}
    return out


def bench_sweep() -> dict:
    P = gl.problems.commuting([1.0, 0.7, 0.5, 0.3, 0.2], [2.0, 0.5, 1.0, 1.5, 1.0], seed=0)
    etas = np.linspace(0.05, 1.2, 20)
    scales = np.geomspace(1e-6, 1e-1, 20)
    steps = 5000
    res = {}

    def go():
        res["sweep"] = gl.dynamics.sweep_two_layer(P, etas, scales, steps)

    t = _best({"sweep": go}, repeats=3)["sweep"]
    S = res["sweep"]
    return {"runs": int(S.etas.size), "d": P.d, "steps": steps,
            "recorded_steps": int(S.steps.size), "diverged_runs": int(S.diverged.sum()),
            "seconds": t, "limit_seconds": 2.0, "within_budget": t <= 2.0}


def bench_mode_map() -> dict:
    sigma = np.array([1.0, 0.7, 0.5, 0.3, 0.2])
    lam = np.array([2.0, 0.5, 1.0, 1.5, 1.0])
    steps = 100_000
    etas = np.linspace(0.05, 0.9, 400)[:, None]
    t = _best({
        "single": lambda: gl.theory.mode_map(sigma, lam, 0.1, 1e-6, steps),
        "batch": lambda: gl.theory.mode_map(sigma, lam, etas, 1e-6, 5000),
    }, repeats=3)
    return {"single_run_modes": 5, "single_run_steps": steps,
            "single_us_per_step": 1e6 * t["single"] / steps,
            "batch_runs": 400, "batch_steps": 5000, "batch_seconds": t["batch"]}


def run() -> dict:
    """All library benchmarks as a JSON-able dict (keys ``within_budget`` mark budgets)."""
    return {
        "two_layer_step": bench_two_layer_step(),
        "sweep": bench_sweep(),
        "mode_map": bench_mode_map(),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, default=float))
