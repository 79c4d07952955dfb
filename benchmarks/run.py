"""Run every benchmark module ``benchmarks/bench_*.py`` and print one JSON document.

Each module defines ``run() -> dict`` (JSON-serialisable; numpy scalars and arrays are
converted). The document is::

    {"meta": {...machine and versions...},
     "benchmarks": {"bench_library": {...}, "bench_chapters": {...}, ...},
     "seconds": {"bench_library": 12.3, ...},
     "speed_probe_s": {"bench_library": {"before": 0.11, "after": 0.12}, ...},
     "budget_failures": ["bench_library.two_layer_step.within_budget", ...],
     "errors": {"bench_x": "traceback"}}

Budgets live in the output (keys named ``within_budget``), never in a timed unit test; a budget
that is not met is listed in ``budget_failures`` but does not change the exit code. A benchmark
that raises is listed in ``errors`` and makes the exit code 1.

Usage: ``python benchmarks/run.py [--only NAME ...] [--output FILE]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _jsonable(obj):
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, tuple)):
        return list(obj)
    return repr(obj)


def _meta() -> dict:
    versions = {}
    for name in ("numpy", "scipy", "matplotlib"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        **versions,
    }


def _speed_probe() -> float:
    """Seconds taken by a fixed pure-Python workload (best of 3): this machine's speed now.

    Virtual machines change speed from minute to minute (by 20% or more here), and every timing
    of this document moves with it. The probe is run before and after each benchmark, so that
    two documents, or two benchmarks of one document, can be compared at equal speed.
    """
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - start)
    return round(best, 4)


def _budget_failures(obj, path: str) -> list[str]:
    failures = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            where = f"{path}.{key}"
            if key == "within_budget" and value is False:
                failures.append(where)
            else:
                failures += _budget_failures(value, where)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            failures += _budget_failures(value, f"{path}[{i}]")
    return failures


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="module names, e.g. bench_library")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    paths = sorted(HERE.glob("bench_*.py"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    doc = {"meta": _meta(), "benchmarks": {}, "seconds": {}, "speed_probe_s": {},
           "budget_failures": [], "errors": {}}
    if not paths:
        doc["errors"]["run"] = "no benchmarks/bench_*.py module found"
    for path in paths:
        name = path.stem
        print(f"running {name} ...", file=sys.stderr, flush=True)
        probe_before = _speed_probe()
        start = time.perf_counter()
        try:
            module = load(path)
            if not callable(getattr(module, "run", None)):
                raise TypeError(f"{path.name} defines no run() function")
            result = module.run()
            if not isinstance(result, dict):
                raise TypeError(f"{name}.run() returned {type(result).__name__}, not a dict")
            doc["benchmarks"][name] = result
            doc["budget_failures"] += _budget_failures(result, name)
        except Exception:
            doc["errors"][name] = traceback.format_exc()
        doc["seconds"][name] = round(time.perf_counter() - start, 3)
        doc["speed_probe_s"][name] = {"before": probe_before, "after": _speed_probe()}

    text = json.dumps(doc, indent=2, default=_jsonable)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 1 if doc["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
