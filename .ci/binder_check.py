"""Execute every notebook of the book the way Binder will: in a virtualenv made from
requirements.txt alone (``make binder-check`` creates it and runs this script with its python).

Each notebook listed in _toc.yml (and the chapter template) is executed from a clean
``python3`` kernel with nbclient, in its own folder, as JupyterLab would: every cell runs,
also the live explorers that the book's build skips (tag ``skip-execution``). Also checks that
the jupyterlab-myst extension is installed and enabled, so that theorem and exercise blocks
render in JupyterLab. Ends with the line ``binder-check: N passed, M failed``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))

from book_toc import toc_notebooks  # noqa: E402
from kernel_retry import with_kernel_start_retries  # noqa: E402

# nbclient skips the cells tagged "skip-execution" (the live explorers, whose output the book
# removes); JupyterLab runs them, so this check names a tag that no cell carries instead.
NO_SKIP_TAG = "binder-check-runs-every-cell"


def execute(path: str, timeout: int) -> tuple[str, float, str]:
    """Execute one notebook; (path, seconds, error or "").

    A kernel that does not start (it died at start-up, or never became ready) is started again,
    up to three tries (``tools/kernel_retry.py``); any other error is reported at once.
    """
    import nbformat
    from nbclient import NotebookClient

    def run() -> None:
        nb = nbformat.read(ROOT / path, as_version=4)
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str((ROOT / path).parent)}},
            skip_cells_with_tag=NO_SKIP_TAG,
        ).execute()

    def retrying(exc: BaseException) -> None:
        print(f"  retry {path}: the kernel did not start ({exc})", flush=True)

    start = time.perf_counter()
    try:
        with_kernel_start_retries(run, on_retry=retrying)
    except Exception as exc:  # CellExecutionError, timeouts, dead kernels
        return path, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"
    return path, time.perf_counter() - start, ""


def check_lab_extension() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    text = out.stdout + out.stderr
    for line in text.splitlines():
        if "jupyterlab-myst" in line:
            return "" if "enabled" in line and "OK" in line else f"jupyterlab-myst: {line.strip()}"
    return "jupyterlab-myst is not installed as a JupyterLab extension:\n" + text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args()

    notebooks = [p.as_posix() for p in toc_notebooks(ROOT)] + ["chapters/_template.ipynb"]
    print(f"binder-check: python {sys.version.split()[0]} at {sys.executable}")
    passed, failed = 0, []

    problem = check_lab_extension()
    if problem:
        failed.append(("jupyterlab-myst", problem))
    else:
        passed += 1
        print("  ok    jupyterlab-myst extension enabled")

    workers = max(1, min(4, os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(execute, notebooks, [args.timeout] * len(notebooks)))
    for path, seconds, error in results:
        if error:
            failed.append((path, error))
            print(f"  FAIL  {path} ({seconds:.1f} s)")
        else:
            passed += 1
            print(f"  ok    {path} ({seconds:.1f} s)")
    for what, error in failed:
        print(f"\n--- {what}\n{error}", file=sys.stderr)
    print(f"binder-check: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
