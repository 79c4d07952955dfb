"""Benchmark: the whole book. Cold and warm build time, size of the site and of its pages.

- cold build: what ``make book`` does on a fresh clone whose environment is installed, into an
  empty temporary folder (no execution cache: every chapter is executed): the notebooks executed
  into the cache one per CPU at a time (``tools/execute_parallel.py``), then ``jupyter-book
  build``; budget 120 s (design section 7: ``make book`` <= 2 min, the pip cache being warm).
  Also reported: the same cold build with ``jupyter-book build`` alone, which executes the
  notebooks one at a time;
- fresh clone: ``git clone`` of the committed repository into a temporary folder and ``make
  book`` there, virtualenv bootstrap and install included (the installers' caches being warm,
  as the budget says), against the same 120 s budget;
- warm build: the same command again, into the same folder (cache hit, nothing to re-read);
- warm full rebuild: ``--all`` with the cache (every page re-rendered, no cell executed);
- the site: total bytes of ``_build/html``; for each page, its HTML plus the images it shows
  (``_images``, data URIs counted in the HTML); the largest page; budget 3 MB a page.

The execution time and peak memory of each chapter, each in its own fresh kernel, are measured by
``bench_chapters`` (per chapter and total, with their budgets).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUDGET_COLD_BUILD_S = 120.0
BUDGET_PAGE_BYTES = 3 * 1024 * 1024
IMG = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.I)


def _execute(out: Path) -> dict:
    """tools/execute_parallel.py into the execution cache of a build under ``out``."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "execute_parallel.py"),
         "--cache", str(out / "_build" / ".jupyter_cache")],
        capture_output=True, text=True, check=False,
    )
    row = {"wall_s": round(time.perf_counter() - t0, 2), "ok": proc.returncode == 0}
    if proc.returncode:
        row["error"] = (proc.stdout + proc.stderr)[-2000:]
    return row


def _build(out: Path, *extra: str) -> dict:
    """Run jupyter-book build; wall time and peak RSS of the build and its kernels."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(ROOT), "--path-output", str(out), *extra],
        capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    row = {"wall_s": round(wall, 2), "ok": proc.returncode == 0}
    if peak > before:  # ru_maxrss of children only grows: report it when this build raised it
        row["peak_rss_mb"] = round(peak / 1024, 1)
    if proc.returncode:
        row["error"] = (proc.stdout + proc.stderr)[-2000:]
    return row


def page_sizes(html: Path) -> dict[str, int]:
    """page -> bytes of its HTML plus the local images it shows."""
    sizes = {}
    for page in sorted(html.rglob("*.html")):
        rel = page.relative_to(html).as_posix()
        if rel.startswith(("_static/", "_sources/")):
            continue
        text = page.read_text(encoding="utf-8", errors="replace")
        total = page.stat().st_size
        seen = set()
        for src in IMG.findall(text):
            if src.startswith(("data:", "http:", "https:", "//")):
                continue
            img = (page.parent / src.split("#")[0].split("?")[0]).resolve()
            if img not in seen and img.is_file():
                seen.add(img)
                total += img.stat().st_size
        sizes[rel] = total
    return sizes


def site_report(html: Path) -> dict:
    sizes = page_sizes(html)
    total = sum(f.stat().st_size for f in html.rglob("*") if f.is_file())
    largest = max(sizes, key=sizes.get)
    over = {p: s for p, s in sizes.items() if s > BUDGET_PAGE_BYTES}
    return {
        "site_bytes": total,
        "site_mb": round(total / 1e6, 2),
        "images_mb": round(sum(f.stat().st_size for f in (html / "_images").glob("*")) / 1e6, 2)
        if (html / "_images").is_dir() else 0.0,
        "pages": len(sizes),
        "largest_page": {"page": largest, "bytes": sizes[largest],
                         "mb": round(sizes[largest] / 1e6, 2)},
        "page_bytes": dict(sorted(sizes.items(), key=lambda kv: -kv[1])),
        "budget_page_bytes": BUDGET_PAGE_BYTES,
        "pages_over_budget": over,
        "within_budget": not over,
    }


def _fresh_clone_make_book() -> dict:
    """``make book`` in a fresh clone of HEAD: venv, install, execution and build."""
    tmp = Path(tempfile.mkdtemp(prefix="gdlinear-bench-clone-"))
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(tmp / "book")], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PATH"] = os.pathsep.join(
            p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(BIN))
        )
        t0 = time.perf_counter()
        proc = subprocess.run(["make", "book"], cwd=tmp / "book", env=env,
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        row = {"wall_s": round(wall, 2), "ok": proc.returncode == 0,
               "within_budget": proc.returncode == 0 and wall <= BUDGET_COLD_BUILD_S}
        if proc.returncode:
            row["error"] = (proc.stdout + proc.stderr)[-2000:]
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="gdlinear-bench-book-"))
    serial = Path(tempfile.mkdtemp(prefix="gdlinear-bench-book-serial-"))
    try:
        execute = _execute(tmp)
        build = _build(tmp)
        cold = {
            "wall_s": round(execute["wall_s"] + build["wall_s"], 2),
            "ok": execute["ok"] and build["ok"],
            "execute_parallel": execute,
            "jupyter_book_build": build,
        }
        cold["within_budget"] = cold["ok"] and cold["wall_s"] <= BUDGET_COLD_BUILD_S
        warm = _build(tmp)
        warm_all = _build(tmp, "--all")
        cold_serial = _build(serial)
        result = {
            "budgets": {"cold_build_s": BUDGET_COLD_BUILD_S, "page_bytes": BUDGET_PAGE_BYTES},
            "cold_build": cold,
            "cold_build_one_notebook_at_a_time": cold_serial,
            "fresh_clone_make_book": _fresh_clone_make_book(),
            "warm_build": warm,
            "warm_full_rebuild": warm_all,
        }
        html = tmp / "_build" / "html"
        if (html / "index.html").is_file():
            result["site"] = site_report(html)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(serial, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:  # python benchmarks/bench_book.py _build/html: only the sizes
        print(json.dumps(site_report(Path(sys.argv[1])), indent=2))
    else:
        print(json.dumps(run(), indent=2))
