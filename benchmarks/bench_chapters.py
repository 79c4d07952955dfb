"""Benchmark: execute every notebook of the book and measure time and peak memory.

Budgets (design section 7, on a 2-core machine): each chapter <= 15 s, all chapters together
<= 60 s, peak memory of a chapter's kernel <= 600 MB. Each notebook runs in a fresh process
with a fresh ``python3`` kernel (nbclient), one after the other, so timings do not interfere.
A chapter's time runs from the kernel's start to its stop, which comes right after the last
cell (``shutdown_kernel="immediate"``, as ``make book`` executes).

Two totals are reported:

- ``total``, the budget "all chapters executed, total <= 60 s": the wall time of executing
  every notebook the way ``make book`` does, ``tools/execute_parallel.py`` with one notebook
  per CPU at a time (two on the 2-core machine of the design), into an empty cache. This is
  how long the book's build spends executing its chapters.
- ``sum_one_at_a_time``: the sum of the one-after-the-other runs above, i.e. what executing
  the chapters costs in CPU-bound wall time on one core (a build executing one notebook at a
  time, or a reader running every chapter in turn). Reported, with ``under_60_s``, but it is
  not what the budget measures; about 20 s of it is the fixed cost of eleven kernels (start,
  imports, stop).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_CHAPTER_S = 15.0
BUDGET_TOTAL_S = 60.0
BUDGET_PEAK_MB = 600.0

# Runs in a child process: executes one notebook, reports the wall time of the whole run
# (kernel start included), of the cells alone, and the peak resident memory of the kernel.
_CHILD = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path, cwd = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
nb = nbformat.read(path, as_version=4)
client = NotebookClient(
    nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": cwd}},
    shutdown_kernel="immediate",
)
with client.setup_kernel():
    t1 = time.perf_counter()
    for index, cell in enumerate(nb.cells):
        client.execute_cell(cell, index)
    t2 = time.perf_counter()
t3 = time.perf_counter()
# The kernel was a child of this process and has exited: its peak RSS is in RUSAGE_CHILDREN (KiB).
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall_s": t3 - t0, "cells_s": t2 - t1, "peak_mb": peak}))
"""


def _toc_notebooks() -> list[Path]:
    sys.path.insert(0, str(ROOT / "_ext"))
    from book_toc import toc_notebooks

    return toc_notebooks(ROOT)


def run() -> dict:
    rows = {}
    for rel in _toc_notebooks():
        path = ROOT / rel
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(path.parent)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            rows[rel.as_posix()] = {"error": out.stderr[-2000:], "within_budget": False}
            continue
        m = json.loads(out.stdout.strip().splitlines()[-1])
        rows[rel.as_posix()] = {
            "wall_s": round(m["wall_s"], 3),
            "cells_s": round(m["cells_s"], 3),
            "peak_mb": round(m["peak_mb"], 1),
            "within_budget": m["wall_s"] <= BUDGET_CHAPTER_S and m["peak_mb"] <= BUDGET_PEAK_MB,
        }
    total = sum(r.get("wall_s", 0.0) for r in rows.values())
    return {
        "budgets": {
            "chapter_s": BUDGET_CHAPTER_S,
            "total_s": BUDGET_TOTAL_S,
            "peak_mb": BUDGET_PEAK_MB,
        },
        "notebooks": rows,
        "total": _parallel(),
        "sum_one_at_a_time": {"wall_s": round(total, 3), "under_60_s": total <= BUDGET_TOTAL_S},
    }


def _parallel() -> dict:
    """Wall time of tools/execute_parallel.py (one notebook per CPU) into an empty cache."""
    jobs = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="gdlinear-bench-exec-"))
    try:
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "execute_parallel.py"),
             "--cache", str(tmp / "cache"), "--jobs", str(jobs)],
            capture_output=True, text=True, check=False,
        )
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if out.returncode != 0:
        return {"error": (out.stdout + out.stderr)[-2000:], "within_budget": False}
    return {"wall_s": round(wall, 3), "jobs": jobs, "within_budget": wall <= BUDGET_TOTAL_S}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
