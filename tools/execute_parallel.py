"""Execute the book's notebooks in parallel into Jupyter Book's execution cache.

``jupyter-book build`` (myst-nb, ``execute_notebooks: cache``) executes the notebooks that
miss the cache one after the other. This command fills the same cache first, with one fresh
kernel per notebook and ``--jobs`` notebooks at a time (default: the number of CPUs), so that
the build that follows finds every notebook cached. It executes exactly as myst-nb does
(``jupyter_cache.executors.utils.single_nb_execution``: the notebook's folder as working
directory, the timeout and ``allow_errors`` of ``_config.yml``, notebook metadata allowed to
override them) and stores the result the way myst-nb does (same cache, same project record,
the run time kept as ``execution_seconds`` for the execution-status page). One difference: once
the last cell has run, the kernel is stopped at once (nbclient's ``shutdown_kernel="immediate"``)
instead of being asked to shut down and waited for, which saves about 0.3 s a notebook.

A notebook already in the cache (its code cells unchanged) is skipped. A notebook that fails
is not cached: the command prints its traceback and exits with status 1, after the others
have finished (they stay cached).

Usage::

    python tools/execute_parallel.py [--root .] [--cache _build/.jupyter_cache] [--jobs N]
                                     [NOTEBOOK ...]

(default: every notebook of the book's ``_toc.yml``; ``make book`` and ``make strict`` run it
first).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tools") not in sys.path:  # kernel_retry, also when loaded by path (tests)
    sys.path.insert(0, str(ROOT / "tools"))


def _execution_settings(root: Path) -> tuple[int, bool]:
    """(timeout, allow_errors) from the ``execute`` section of ``root/_config.yml``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    execute = config.get("execute") or {}
    if execute.get("run_in_temp"):
        raise SystemExit("execute_parallel: run_in_temp is not supported (the book runs in place)")
    return int(execute.get("timeout", 30)), bool(execute.get("allow_errors", False))


def _execute(path: str, timeout: int, allow_errors: bool) -> tuple[str, str, float, str | None]:
    """Run in a worker process: execute one notebook; (path, executed JSON, seconds, traceback).

    A kernel that does not start (it died at start-up, or never became ready) is started again,
    up to three tries (``kernel_retry.py``); errors in cells are never retried.
    """
    import traceback

    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution
    from kernel_retry import with_kernel_start_retries

    def run():
        nb = nbformat.read(path, as_version=4)
        result = single_nb_execution(
            nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=allow_errors,
            meta_override=True, shutdown_kernel="immediate",
        )
        return nb, result

    def retrying(exc: BaseException) -> None:
        print(f"  retry {os.path.basename(path)}: the kernel did not start", flush=True)

    try:
        nb, result = with_kernel_start_retries(run, on_retry=retrying)
    except RuntimeError:  # cell errors are caught inside single_nb_execution: this is the kernel
        return path, "", 0.0, traceback.format_exc()
    error = None if result.err is None else (result.exc_string or repr(result.err))
    return path, nbformat.writes(nb), result.time, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: every notebook of _toc.yml)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the book: its _config.yml and _toc.yml (default: this repository)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="the execution cache (default: ROOT/_build/.jupyter_cache)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks executed at a time (default: the number of CPUs)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")

    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    root = args.root.resolve()
    if args.notebooks:
        paths = [p.resolve() for p in args.notebooks]
    else:
        sys.path.insert(0, str(ROOT / "_ext"))
        from book_toc import toc_notebooks

        paths = [(root / p).resolve() for p in toc_notebooks(root)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"execute_parallel: no such notebook: {', '.join(missing)}")
    timeout, allow_errors = _execution_settings(root)

    cache = get_cache(str(args.cache or root / "_build" / ".jupyter_cache"))
    todo = []
    for path in paths:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        print(f"execute_parallel: all {len(paths)} notebooks are cached")
        return 0
    # Longest first (more code cells, roughly more work), so the last job to start is short.
    todo.sort(key=lambda p: -sum(c.cell_type == "code"
                                 for c in nbformat.read(p, as_version=4).cells))
    jobs = min(args.jobs, len(todo))
    print(f"execute_parallel: {len(todo)} of {len(paths)} notebooks to execute, {jobs} at a time")
    if jobs > 1:
        # Kernels running side by side: one BLAS thread each, so they do not oversubscribe
        # the cores (the matrices of the book are small; a user's own setting is kept).
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")

    failures = []
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_execute, str(p), timeout, allow_errors) for p in todo]
        for future in as_completed(futures):
            path, text, seconds, error = future.result()
            rel = os.path.relpath(path, root)
            if error is not None:
                failures.append((rel, error))
                print(f"  FAILED  {rel} ({seconds:.1f} s)", flush=True)
                continue
            record = cache.add_nb_to_project(path)
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(text, as_version=4), record.uri,
                              data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True,
            )
            print(f"  {seconds:6.1f} s  {rel}", flush=True)
    print(f"execute_parallel: {len(todo) - len(failures)} executed and cached "
          f"in {time.perf_counter() - t0:.1f} s")
    for rel, error in failures:
        print(f"\n---- {rel} failed ----\n{error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
