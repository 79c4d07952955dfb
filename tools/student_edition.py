"""Student editions of the chapters: the notebooks with the exercise solutions removed.

Removed: every ``{solution}`` directive, every gated solution ``{solution-start}`` ...
``{solution-end}`` together with all the cells between them (the code cells tagged
``solution``, their hidden check cells and the markdown that discusses them), and any other
code cell tagged ``solution``. Kept: everything else, in particular the ``{exercise}`` blocks
with their stubs and the ``gdlinear.exercises`` checkers they call. Where a gated solution of a
coding exercise was, the student edition gets a code cell with the exercise's stub (tagged
``raises-exception``: it fails with the checker's "stub not filled in" message until the student
answers), so the notebook still runs top to bottom; any other exercise whose solution ran code
gets an empty code cell instead. Outputs are cleared.

Hidden check cells (tag ``check``) that read a result of a removed solution are removed too;
any other cell that reads a name only a removed solution defines is reported, and the command
fails (the chapter needs restructuring so that its student edition runs).

Usage::

    python tools/student_edition.py OUT_DIR [NOTEBOOK ...]   # default: the chapters of _toc.yml

(``make student`` writes ``_build/student/*.ipynb`` and ``_build/student.zip``.)
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITION_KEY = "gdlinear_edition"
STUB_TAGS = ["raises-exception", "exercise-stub"]

# An opening fence of a directive or code block: indentation, the fence, the rest of the line.
OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,}|~{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
LABEL = re.compile(r"^\s*:label:\s*(\S+)")
SOLUTION_NAMES = {"solution", "solution-start", "solution-end"}

NOTE = (
    "```{{note}}\n"
    "**Student edition.** The solutions of the exercises have been removed; the checkers of "
    "`gdlinear.exercises` are kept, so each coding exercise tells you whether your answer is "
    "right. A code cell *Your answer to exercise ...* follows each exercise whose solution "
    "runs code. The full chapter, with solutions, is `chapters/{name}` in the book's "
    "repository.\n"
    "```"
)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def blocks(text: str) -> list[tuple[str | None, str | None, list[str]]]:
    """Split markdown into top-level pieces: (directive name or None, argument, lines).

    A fenced block (``` or ::: or ~~~, any length) runs to the first line made of the same
    character, at least as many times, and nothing else; inner fences of fewer characters are
    content. Lines outside fences are returned one per piece with name None.
    """
    lines = text.splitlines(keepends=True)
    out: list[tuple[str | None, str | None, list[str]]] = []
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i].rstrip("\n"))
        if not m:
            out.append((None, None, [lines[i]]))
            i += 1
            continue
        fence = m.group("fence")
        close = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j].rstrip("\n")):
            j += 1
        block = lines[i : j + 1]
        d = DIRECTIVE.match(m.group("info").strip())
        out.append((d.group("name") if d else "", d.group("arg").strip() if d else None, block))
        i = j + 1
    return out


def exercise_stubs(nb: dict) -> dict[str, str]:
    """label -> the python stub (the fenced ``python`` block) of each ``{exercise}``."""
    stubs = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for name, _arg, lines in blocks(_source(cell)):
            if name != "exercise":
                continue
            label = next((m.group(1) for ln in lines if (m := LABEL.match(ln))), None)
            inner = "".join(lines[1:-1])
            for _n, _a, sub in blocks(inner):
                opening = sub[0].strip()
                if _n == "" and opening.lstrip("`~").strip() in ("python", "ipython", "python3"):
                    stubs[label] = "".join(sub[1:-1]).rstrip("\n")
                    break
    return stubs


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a code cell defines, names it reads), from its syntax tree; IPython magics and
    shell lines are ignored. A cell that does not parse defines and reads nothing."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set(), set()
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                defined.add((alias.asname or alias.name).split(".")[0])
    return defined, used


def _prune_dependents(cells: list[dict], report: dict) -> list[dict]:
    """Walk the cells in order (removed solution cells are marked ``_removed``) and drop the
    hidden check cells that check a removed solution's results: those that read a name which,
    at that point, only a removed cell has defined. Any other cell that does so is listed in
    ``report["dangling"]``."""
    only_removed: set[str] = set()  # defined by a removed cell and by no kept cell since
    out = []
    for cell in cells:
        if cell["cell_type"] != "code" or "exercise-stub" in _tags(cell):
            if not cell.get("_removed"):
                out.append(cell)
            continue
        defined, used = _names(_source(cell))
        if cell.get("_removed"):
            only_removed |= defined
            continue
        needs = (used - defined) & only_removed
        if needs and "check" in _tags(cell):
            only_removed |= defined
            report["checks_removed"].append(_source(cell).splitlines()[0][:100])
            continue
        if needs:
            report["dangling"].append((_source(cell).splitlines()[0][:80], sorted(needs)))
        only_removed -= defined
        out.append(cell)
    return out


def student_notebook(nb: dict, name: str = "") -> tuple[dict, dict]:
    """The student edition of a notebook, and a report of what was removed."""
    nb = copy.deepcopy(nb)
    stubs = exercise_stubs(nb)
    report = {"solutions": [], "gated_solutions": [], "cells_removed": 0, "stubs_added": [],
              "checks_removed": [], "dangling": []}
    cells: list[dict] = []
    gated: str | None = None

    def add_stub(label: str) -> None:
        # A coding exercise gets its stub (which fails until it is filled in); any other
        # exercise whose solution ran code gets an empty cell to compute in.
        stub = stubs.get(label)
        cells.append({
            "cell_type": "code", "execution_count": None, "outputs": [],
            "metadata": {"tags": list(STUB_TAGS) if stub else [], "exercise": label},
            "source": f"# Your answer to exercise {label}\n" + (f"{stub}\n" if stub else ""),
        })
        report["stubs_added"].append(label)

    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            if gated is not None or "solution" in _tags(cell):
                report["cells_removed"] += 1
                if cell["cell_type"] == "code":
                    cells.append({**cell, "_removed": True})  # for _prune_dependents
                continue
            cells.append(cell)
            continue
        kept: list[str] = []
        for bname, arg, lines in blocks(_source(cell)):
            if bname == "solution":
                if gated is None:
                    report["solutions"].append(arg)
                continue
            if bname == "solution-start":
                if gated is not None:
                    raise ValueError(f"{name}: solution-start {arg} inside gated solution {gated}")
                gated = arg
                report["gated_solutions"].append(arg)
                continue
            if bname == "solution-end":
                if gated is None:
                    raise ValueError(f"{name}: solution-end without solution-start")
                # The markdown before the solution-start is already in `kept`: flush it, then
                # put the stub where the solution was.
                _flush(cells, cell, kept)
                kept = []
                add_stub(gated)
                gated = None
                continue
            if gated is None:
                kept.extend(lines)
        if "".join(kept).strip():
            _flush(cells, cell, kept)
        else:
            report["cells_removed"] += 1
    if gated is not None:
        raise ValueError(f"{name}: solution-start {gated} is never closed")

    cells = _prune_dependents(cells, report)
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    # The note goes right after the cell of the H1.
    first = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                  and re.search(r"^# ", _source(c), re.M)), -1)
    cells.insert(first + 1, {"cell_type": "markdown", "metadata": {},
                             "source": NOTE.format(name=name or "NN_slug.ipynb")})
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        # New cells have no id; a markdown cell split around a solution gives two with one id.
        if cell.get("id") in seen or "id" not in cell:
            cell["id"] = f"student-{i}"
        seen.add(cell["id"])
    nb["cells"] = cells
    nb["metadata"][EDITION_KEY] = "student"
    return nb, report


def _flush(cells: list[dict], cell: dict, kept: list[str]) -> None:
    text = "".join(kept).strip("\n")
    if text.strip():
        new = copy.deepcopy(cell)
        new["source"] = text
        cells.append(new)


def write(nb: dict, path: Path) -> None:
    """Write with nbformat (validated; cell ids normalised)."""
    import nbformat

    node = nbformat.reads(json.dumps(nb), as_version=4)  # sources as strings, as on disk
    nbformat.validate(node)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(node, str(path))


def chapters() -> list[Path]:
    sys.path.insert(0, str(ROOT / "_ext"))
    from book_toc import toc_chapters

    return [ROOT / p for p in toc_chapters(ROOT)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--zip", type=Path, default=None, help="also write this zip")
    args = parser.parse_args(argv)
    paths = args.notebooks or chapters()
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.ipynb"):
        old.unlink()
    written, status = [], 0
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        student, report = student_notebook(nb, path.name)
        target = args.out / path.name
        write(student, target)
        written.append(target)
        print(f"{target}: removed {len(report['solutions'])} solutions, "
              f"{len(report['gated_solutions'])} gated solutions "
              f"({report['cells_removed']} cells) and {len(report['checks_removed'])} check "
              f"cells of their results; answer cells for {report['stubs_added']}")
        if report["dangling"]:
            print(f"{path}: cells read names that only a removed solution defines: "
                  f"{report['dangling']}", file=sys.stderr)
            status = 1
    if args.zip:
        args.zip.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(args.zip, "w", zipfile.ZIP_DEFLATED) as zf:
            for target in written:
                zf.write(target, f"student-edition/{target.name}")
        print(f"{args.zip}: {len(written)} notebooks")
    return status


if __name__ == "__main__":
    sys.exit(main())
