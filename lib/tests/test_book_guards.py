"""The build's guards, shown on throwaway books.

Each case builds a tiny Jupyter Book in a temporary folder, with the real ``_config.yml``,
the real ``_ext`` extension, ``references.bib`` and the claims-ledger page, and a one-chapter
``_toc.yml``. A good tiny book builds under the strict command (``-W -n --keep-going``); each
broken one fails:

(a) a chapter with an erroring cell, (b) a broken cross-reference, (c) a proposition without a
check cell, (d) a check naming an unknown label, even without ``-W``, (e) a placeholder chapter
when ``BOOK_FINAL=1``, (f) a citation missing from references.bib.

The good book also shows that the download button of a chapter gives a valid ``.ipynb`` (not
``.ipynb.txt``), that the launch buttons point at Binder (JupyterLab) and the repository, and
that the claims ledger lists the checked proposition.

The builds run in parallel, once per test session (module-scoped fixture).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
# Several books build at once here, and two kernels can race for one TCP port: a build whose
# kernel did not start is run again (tools/kernel_retry.py).
from kernel_retry import ATTEMPTS, START_FAILURES  # noqa: E402

REPO_URL = "https://github.com/gdlinear/implicit-regularization-book"
STRICT = ["-W", "-n", "--keep-going"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
META = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

STATEMENT = """# Tiny chapter

## A result

```{prf:proposition} Two is even
:label: prop-tiny-two

The number $2$ is even.
```

```{prf:proof}
$2 = 2 \\cdot 1$.
```

We use {prf:ref}`prop-tiny-two` and cite {cite:t}`gidel2019implicit`.

```{table} Two small numbers
:name: tbl-tiny-numbers

| a | b |
| --- | --- |
| 1 | 2 |
```

{numref}`tbl-tiny-numbers` lists them; so does {numref}`Table {number} <tbl-tiny-numbers>`.
"""


def code(text, tags=None, **meta):
    cell = new_code_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    cell.metadata.update(meta)
    return cell


def check(text, claims):
    return code(text, tags=["remove-cell", "check"], claims=claims)


GOOD_CELLS = [
    new_markdown_cell(STATEMENT),
    code("x = 2\nprint(x)"),
    check("# Check: two is divisible by two\nassert x % 2 == 0, x", ["prop-tiny-two"]),
    check("# Check: the printed number is two\nassert x == 2, x", []),
]


@dataclass
class Case:
    cells: list
    flags: list
    env: dict
    placeholder: bool = False


CASES = {
    "good": Case(GOOD_CELLS, STRICT, {}, placeholder=True),
    "erroring_cell": Case([*GOOD_CELLS, code("1 / 0")], STRICT, {}),
    "broken_reference": Case(
        [*GOOD_CELLS, new_markdown_cell("See {ref}`sec-does-not-exist`.")], STRICT, {}
    ),
    "missing_citation": Case(
        [*GOOD_CELLS, new_markdown_cell("As {cite:t}`nobody1999unknown` showed.")], STRICT, {}
    ),
    "unchecked_proposition": Case(
        [
            *GOOD_CELLS,
            new_markdown_cell(
                "```{prf:proposition} Unchecked\n:label: prop-tiny-unchecked\n\nClaim.\n```"
            ),
        ],
        STRICT,
        {},
    ),
    # Plain build (no -W): the ledger errors are hard errors, as in `make book`.
    "unknown_claim": Case(
        [*GOOD_CELLS, check("# Check: nothing\nassert True", ["prop-tiny-missing"])], [], {}
    ),
    "placeholder_final": Case(GOOD_CELLS, [], {"BOOK_FINAL": "1"}, placeholder=True),
}


def make_book(root: Path, case: Case) -> None:
    (root / "chapters" / "appendix").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy(ROOT / "references.bib", root / "references.bib")
    shutil.copytree(ROOT / "_ext", root / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "chapters/appendix/claims.md", root / "chapters/appendix/claims.md")
    chapters = ["chapters/01_tiny"] + (["chapters/02_placeholder"] if case.placeholder else [])
    toc = [
        "format: jb-book",
        "root: index",
        "parts:",
        "  - caption: Tiny",
        "    numbered: true",
        "    chapters:",
        *[f"      - file: {c}" for c in chapters],
        "  - caption: Appendix",
        "    chapters:",
        "      - file: chapters/appendix/claims",
    ]
    (root / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    (root / "index.md").write_text(
        "# Tiny book\n\nA throwaway book.\n\n```{bibliography}\n```\n", encoding="utf-8"
    )
    nbformat.write(new_notebook(cells=case.cells, metadata=META), root / "chapters/01_tiny.ipynb")
    if case.placeholder:
        stub = new_notebook(
            cells=[new_markdown_cell("# Later\n\nThis chapter is being written.")],
            metadata={**META, "placeholder": True},
        )
        nbformat.write(stub, root / "chapters/02_placeholder.ipynb")


def jupyter_book() -> str:
    candidate = Path(sys.executable).parent / "jupyter-book"
    found = str(candidate) if candidate.exists() else shutil.which("jupyter-book")
    if not found:
        pytest.fail("jupyter-book is not installed in this environment")
    return found


def build(root: Path, case: Case) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "BOOK_FINAL"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(case.env)
    for _attempt in range(ATTEMPTS):
        out = subprocess.run(
            [jupyter_book(), "build", "--all", str(root), *case.flags],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            check=False,
        )
        if not any(message in out.stdout for message in START_FAILURES):
            break
    return out.returncode, ANSI.sub("", out.stdout)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    roots = {}
    for name, case in CASES.items():
        roots[name] = tmp_path_factory.mktemp(f"book_{name}")
        make_book(roots[name], case)
    workers = max(2, min(len(CASES), (os.cpu_count() or 2) + 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(build, roots[name], CASES[name]) for name in CASES}
        return {name: (*f.result(), roots[name]) for name, f in futures.items()}


def failed_with(builds, name: str, *needles: str) -> None:
    code, output, _ = builds[name]
    assert code != 0, f"the {name!r} book built successfully; it must fail:\n{output[-3000:]}"
    for needle in needles:
        assert needle in output, f"{name!r}: the log does not mention {needle!r}:\n{output[-3000:]}"


# ------------------------------------------------------------------ the good book


def test_good_book_passes_the_strict_build(builds):
    code, output, root = builds["good"]
    assert code == 0, f"the good tiny book failed the strict build:\n{output[-4000:]}"
    assert (root / "_build/html/index.html").exists()
    assert not re.search(r"WARNING: ", output), output  # Sphinx warnings (not kernel log lines)


def test_claims_ledger_lists_the_checked_proposition(builds):
    _, _, root = builds["good"]
    html = (root / "_build/html/chapters/appendix/claims.html").read_text(encoding="utf-8")
    assert "prop-tiny-two" in html
    assert "Two is even" in html
    assert "two is divisible by two" in html
    assert "01_tiny.html#prop-tiny-two" in html
    assert "Checks of numbers quoted in the text" in html
    assert "the printed number is two" in html


def test_chapter_download_is_a_valid_ipynb(builds):
    _, _, root = builds["good"]
    page = (root / "_build/html/chapters/01_tiny.html").read_text(encoding="utf-8")
    assert ".ipynb.txt" not in page
    links = re.findall(r'href="([^"]*_sources/[^"]*)"', page)
    assert links == ["../_sources/chapters/01_tiny.ipynb"], links
    target = (root / "_build/html/chapters" / links[0]).resolve()
    nb = nbformat.read(target, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert any("prop-tiny-two" in c.source for c in nb.cells)


def test_launch_buttons_point_at_binder_lab_and_the_repository(builds):
    _, _, root = builds["good"]
    page = (root / "_build/html/chapters/01_tiny.html").read_text(encoding="utf-8")
    binder = "https://mybinder.org/v2/gh/gdlinear/implicit-regularization-book/main"
    assert f"{binder}?urlpath=lab/tree/chapters/01_tiny.ipynb" in page
    assert f'href="{REPO_URL}"' in page
    assert f"{REPO_URL}/issues/new" in page
    # sphinx-thebe's settings, written into every page, name the book's repository too
    assert 'repo: "gdlinear/implicit-regularization-book"' in page
    assert "binder-examples" not in page


def test_numbered_references_resolve(builds):
    """{numref} goes through the book's standard domain (``_ext/book_numref.py``)."""
    _, _, root = builds["good"]
    page = (root / "_build/html/chapters/01_tiny.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="reference internal" href="#tbl-tiny-numbers">'
                       r'<span class="std std-numref">([^<]*)</span>', page)
    assert len(links) == 2 and all(re.fullmatch(r"Table [\d.]+", text) for text in links), links


def test_placeholders_are_allowed_without_book_final(builds):
    code, output, root = builds["good"]
    assert code == 0
    assert (root / "_build/html/chapters/02_placeholder.html").exists()
    assert "placeholder document(s): chapters/02_placeholder" in output


# ------------------------------------------------------------------ the broken books


def test_erroring_cell_fails_the_build(builds):
    failed_with(builds, "erroring_cell", "ZeroDivisionError")


def test_broken_reference_fails_the_build(builds):
    failed_with(builds, "broken_reference", "sec-does-not-exist")


def test_missing_citation_fails_the_build(builds):
    failed_with(builds, "missing_citation", "nobody1999unknown")


def test_proposition_without_check_fails_the_build(builds):
    failed_with(builds, "unchecked_proposition", "prop-tiny-unchecked", "has no check cell")


def test_check_of_unknown_label_fails_even_without_W(builds):
    failed_with(builds, "unknown_claim", "prop-tiny-missing", "names unknown claim")


def test_placeholder_fails_when_book_final(builds):
    failed_with(builds, "placeholder_final", "chapters/02_placeholder", "BOOK_FINAL=1 forbids")


def test_numref_lookups_read_each_page_once(monkeypatch):
    """Within a build, the numref lookups of ``book_numref`` unpickle a page's doctree once;
    every other caller still gets a fresh doctree, and nothing is kept after the build."""
    sys.path.insert(0, str(ROOT / "_ext"))
    import book_numref
    from sphinx.domains.std import StandardDomain

    reads = []

    class Env:
        def get_doctree(self, docname):
            reads.append(docname)
            return {"doc": docname}

    def sphinx_lookup(self, env, fromdocname, builder, typ, target, node, contnode):
        return env.get_doctree(target)  # what Sphinx does: fetch the target's doctree

    monkeypatch.setattr(StandardDomain, "_resolve_numref_xref", sphinx_lookup)
    domain = object.__new__(book_numref.NumrefCachingStandardDomain)
    env = Env()
    book_numref._forget()
    got = [domain._resolve_numref_xref(env, "x", None, "numref", doc, None, None)
           for doc in ("ch1", "ch2", "ch1", "ch1", "ch2")]
    assert reads == ["ch1", "ch2"] and got[0] is got[2] is got[3] and got[1] is got[4]
    assert env.get_doctree("ch1") is not got[0] and reads[-1] == "ch1"  # other callers: fresh
    book_numref._forget()  # build-finished / env-updated
    domain._resolve_numref_xref(env, "x", None, "numref", "ch1", None, None)
    assert reads == ["ch1", "ch2", "ch1", "ch1"]
    book_numref._forget()
