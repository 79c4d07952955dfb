"""The student editions (``make student``, ``tools/student_edition.py``) of every chapter.

Each must have no solution content left (no ``{solution}``, ``{solution-start}`` or
``{solution-end}`` block, no cell tagged ``solution``, none of the solutions' code), keep every
exercise with its text and its ``gdlinear.exercises`` checker imports, be valid nbformat with no
outputs, read no name that only a removed solution defined, and execute from a fresh kernel
(only the answer cells of coding exercises may raise: they hold the unfilled stub, which the
checker rejects).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "_ext"))

from book_toc import toc_chapters  # noqa: E402
from student_edition import (  # noqa: E402
    EDITION_KEY,
    LABEL,
    blocks,
    student_notebook,
    write,
)

CHAPTERS = toc_chapters(ROOT)
SOLUTION_DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,}|~{3,})\{solution(-start|-end)?\}", re.M)
CHECKER_IMPORT = re.compile(r"gdlinear\.exercises|\bfrom gdlinear\.exercises import \w+|\bch\d\d\.")


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _exercises(nb: dict) -> dict[str, str]:
    """label -> text of each {exercise} block."""
    out = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for name, _arg, lines in blocks(_source(cell)):
                if name == "exercise":
                    label = next((m.group(1) for ln in lines if (m := LABEL.match(ln))), None)
                    out[label] = "".join(lines).rstrip()
    return out


def _solution_code(nb: dict) -> list[str]:
    """The code of the cells tagged solution (non-trivial lines)."""
    return [_source(c) for c in nb["cells"]
            if c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", [])]


@pytest.fixture(scope="module", params=[p.as_posix() for p in CHAPTERS])
def editions(request):
    path = ROOT / request.param
    nb = json.loads(path.read_text(encoding="utf-8"))
    student, report = student_notebook(nb, path.name)
    return request.param, nb, student, report


def test_no_solution_content(editions):
    rel, nb, student, _ = editions
    for i, cell in enumerate(student["cells"]):
        src = _source(cell)
        assert not SOLUTION_DIRECTIVE.search(src), f"{rel}: cell {i} keeps a solution block"
        assert "solution" not in cell["metadata"].get("tags", []), f"{rel}: cell {i} is tagged"
    student_lines = {ln.strip() for c in student["cells"] for ln in _source(c).splitlines()}
    # Lines that the chapter has outside its solutions too (a stub's "def f(x):") are not leaks.
    elsewhere = {ln.strip() for c in nb["cells"] if "solution" not in c["metadata"].get("tags", [])
                 for ln in _source(c).splitlines()}
    for code in _solution_code(nb):
        body = {ln.strip() for ln in code.splitlines()
                if len(ln.strip()) > 25 and not ln.lstrip().startswith(("#", "print("))}
        leaked = sorted((body - elsewhere) & student_lines)
        assert not leaked, f"{rel}: solution code left in the student edition: {leaked[:3]}"


def test_exercises_and_checkers_kept(editions):
    rel, nb, student, report = editions
    original, kept = _exercises(nb), _exercises(student)
    assert original, f"{rel} has no exercise"
    assert kept == original, f"{rel}: exercises changed: {set(original) ^ set(kept)}"
    for label, text in original.items():
        for ref in CHECKER_IMPORT.findall(text):
            assert ref in kept[label], f"{rel}: {label} lost its checker reference {ref!r}"
    # Every gated solution of a coding exercise left an answer cell with the exercise's stub.
    stubs = {c["metadata"].get("exercise"): _source(c) for c in student["cells"]
             if c["cell_type"] == "code" and c["metadata"].get("exercise")}
    for label in report["gated_solutions"]:
        assert label in stubs, f"{rel}: no answer cell for {label}"
        if "```python" in original[label]:
            assert "exercise-stub" in next(
                c["metadata"]["tags"] for c in student["cells"]
                if c["metadata"].get("exercise") == label), label


def test_valid_notebook_without_dangling_names(editions, tmp_path):
    import nbformat

    rel, _nb, student, report = editions
    assert report["dangling"] == [], (
        f"{rel}: in the student edition these cells read names that only a removed solution "
        f"defines (move the computation out of the solution): {report['dangling']}")
    assert student["metadata"][EDITION_KEY] == "student"
    path = tmp_path / Path(rel).name
    write(student, path)
    node = nbformat.read(str(path), as_version=4)
    nbformat.validate(node)
    for cell in node.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.book
def test_student_edition_executes(editions, tmp_path):
    """The student edition runs top to bottom; only answer cells (the stubs) may raise."""
    import nbformat
    from kernel_retry import with_kernel_start_retries
    from nbclient import NotebookClient

    rel, _nb, student, _ = editions

    def execute():
        node = nbformat.reads(json.dumps(student), as_version=4)
        NotebookClient(node, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
        return node

    # Raises CellExecutionError on an error in any cell not tagged to raise; a kernel that does
    # not start (a port race with another test's kernel) is started again.
    node = with_kernel_start_retries(execute)
    for cell in node.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if errors:
            assert "raises-exception" in cell.metadata.get("tags", []), (rel, _source(cell))
            assert errors[0].ename == "AssertionError", (rel, errors[0].ename)
