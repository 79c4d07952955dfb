"""``tools/execute_parallel.py``: the parallel execution behind ``make book``, on a throwaway book.

The throwaway book is the good tiny book of ``test_book_guards`` (real ``_config.yml``, real
extension) plus a second chapter. The tool must execute both chapters into the cache, the build
that follows must use the cache for every chapter and execute nothing, a second run must skip
what is cached, a changed chapter must be executed again, and an erroring chapter must fail the
command with its traceback while the good one stays cached.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from nbformat.v4 import new_markdown_cell, new_notebook
from test_book_guards import GOOD_CELLS, META, STRICT, Case, build, code, make_book

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "execute_parallel.py"
SECOND = "chapters/02_second.ipynb"


def run_tool(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, str(TOOL), "--root", str(root), "--jobs", "2", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def cached(root: Path, rel: str):
    """The cache record of notebook ``rel`` as it is now, or None."""
    cache = get_cache(str(root / "_build" / ".jupyter_cache"))
    try:
        return cache.match_cache_notebook(nbformat.read(root / rel, as_version=4))
    except KeyError:
        return None


def add_second_chapter(root: Path, source: str) -> None:
    nb = new_notebook(cells=[new_markdown_cell("# Second\n\nAnother chapter."), code(source)],
                      metadata=META)
    nbformat.write(nb, root / SECOND)
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    if "02_second" not in toc:
        toc = toc.replace("      - file: chapters/01_tiny\n",
                          "      - file: chapters/01_tiny\n      - file: chapters/02_second\n")
        (root / "_toc.yml").write_text(toc, encoding="utf-8")


@pytest.fixture
def book(tmp_path):
    make_book(tmp_path, Case(GOOD_CELLS, STRICT, {}))
    add_second_chapter(tmp_path, "print('second', 6 * 7)")
    return tmp_path


def test_fills_the_cache_and_the_build_executes_nothing(book):
    out = run_tool(book)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 of 2 notebooks to execute, 2 at a time" in out.stdout, out.stdout
    record = cached(book, SECOND)
    assert record is not None, "the second chapter is not in the cache"
    assert record.data["execution_seconds"] > 0
    executed = get_cache(str(book / "_build" / ".jupyter_cache")).get_cache_bundle(record.pk)
    (cell,) = executed.nb.cells  # the cache keeps the code cells only
    assert "second 42" in cell.outputs[0]["text"]

    code_, log = build(book, Case(GOOD_CELLS, STRICT, {}))
    assert code_ == 0, log[-3000:]
    assert len(re.findall(r"Using cached notebook", log)) == 2, log[-3000:]
    assert "Executing notebook" not in log, log[-3000:]

    again = run_tool(book)
    assert again.returncode == 0 and "all 2 notebooks are cached" in again.stdout, again.stdout


def test_changed_chapter_is_executed_again(book):
    assert run_tool(book).returncode == 0
    add_second_chapter(book, "print('second', 6 * 8)")
    assert cached(book, SECOND) is None
    out = run_tool(book)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 of 2 notebooks to execute" in out.stdout, out.stdout
    assert cached(book, SECOND) is not None


def test_erroring_chapter_fails_with_its_traceback_and_the_good_one_stays_cached(book):
    add_second_chapter(book, "raise ValueError('deliberately broken chapter')")
    out = run_tool(book)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAILED  chapters/02_second.ipynb" in out.stdout, out.stdout
    assert "deliberately broken chapter" in out.stderr, out.stderr
    assert cached(book, SECOND) is None
    assert cached(book, "chapters/01_tiny.ipynb") is not None


def test_bad_arguments_are_refused(book):
    out = run_tool(book, "--jobs", "0")
    assert out.returncode == 2 and "--jobs must be at least 1" in out.stderr, out.stderr
    out = run_tool(book, str(book / "chapters" / "nope.ipynb"))
    assert out.returncode != 0 and "no such notebook" in out.stderr, out.stderr


def _tool_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute_parallel_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("failures, expect_error", [(0, False), (2, False), (3, True)])
def test_kernel_start_failures_are_retried(tmp_path, monkeypatch, failures, expect_error):
    # A kernel that dies before replying to kernel_info (two kernels raced for a port) is started
    # again, up to three attempts; the notebook itself is executed once.
    import jupyter_cache.executors.utils as utils

    calls = []

    def fake_execution(nb, cwd, **kwargs):
        calls.append(cwd)
        if len(calls) <= failures:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return utils.ExecutionResult(nb, cwd, 0.25)

    monkeypatch.setattr(utils, "single_nb_execution", fake_execution)
    path = tmp_path / "tiny.ipynb"
    nbformat.write(new_notebook(cells=[code("x = 1")], metadata=META), path)
    _, text, seconds, error = _tool_module()._execute(str(path), 30, False)
    assert len(calls) == min(failures + 1, 3)
    if expect_error:
        assert error is not None and "kernel_info" in error
    else:
        assert error is None and seconds == 0.25 and nbformat.reads(text, as_version=4).cells


def test_cell_errors_are_not_retried(tmp_path, monkeypatch):
    import jupyter_cache.executors.utils as utils

    calls = []

    def failing_cell(nb, cwd, **kwargs):
        calls.append(cwd)
        return utils.ExecutionResult(nb, cwd, 0.1, err=ValueError("cell"), exc_string="boom")

    monkeypatch.setattr(utils, "single_nb_execution", failing_cell)
    path = tmp_path / "tiny.ipynb"
    nbformat.write(new_notebook(cells=[code("x = 1")], metadata=META), path)
    _, _, _, error = _tool_module()._execute(str(path), 30, False)
    assert len(calls) == 1 and error == "boom"
