"""Notebook hygiene: the conventions of CONTRIBUTING.md, checked on every notebook of the book.

Parametrised over the notebooks listed in ``_toc.yml`` plus ``chapters/_template.ipynb``.
Numbered chapters (``chapters/NN_slug.ipynb``) and the template must also have the chapter
structure (Overview / Prerequisites with "Time to learn" / Imports / ... / Summary /
Exercises / What's next).

Placeholders: a chapter whose notebook metadata has ``"placeholder": true`` is reported as
SKIPPED by the structure tests (never silently passed), and FAILS them when the environment
variable ``BOOK_FINAL=1`` is set (``.ci/run`` sets it).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "_ext"))

from book_checks import (  # noqa: E402
    CHECK_PREFIX,
    CHECK_TAGS,
    CHECKED_TYPES,
    CLAIMS_KEY,
    FINAL_ENV,
    PLACEHOLDER_KEY,
)
from book_toc import CHAPTER_RE, toc_chapters, toc_documents, toc_notebooks  # noqa: E402

TEMPLATE = Path("chapters/_template.ipynb")
NOTEBOOKS = [*toc_notebooks(ROOT), TEMPLATE]
MARKDOWN_PAGES = [p for p in toc_documents(ROOT) if p.suffix == ".md"]
CHAPTERS = [*toc_chapters(ROOT), TEMPLATE]
FINAL = os.environ.get(FINAL_ENV) == "1"
REPO_URL = "https://github.com/gdlinear/implicit-regularization-book"

REQUIRED_SECTIONS = ["Overview", "Prerequisites", "Imports", "Summary", "Exercises", "What's next"]
LABEL_PREFIXES = ("thm-", "prop-", "lem-", "cor-")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# Code that draws a figure: plt.show(), pyplot drawing calls, the book's plotting helpers.
FIGURE_CODE = re.compile(
    r"plt\.show\(|\bplt\.(plot|subplots?|figure|imshow|scatter|semilogy|semilogx|loglog|bar|hist"
    r"|contourf?|pcolormesh|matshow|step|fill_between|errorbar)\(|\.plot\("
    r"|\b(gl\.)?plotting\.(?!use_book_style\b)\w+\("
)
PRF_DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,})\{prf:(\w+)\}")


def _ids(paths):
    return [p.as_posix() for p in paths]


def load(rel: Path) -> dict:
    return json.loads((ROOT / rel).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def is_placeholder(nb: dict) -> bool:
    return nb.get("metadata", {}).get(PLACEHOLDER_KEY) is True


def skip_or_fail_placeholder(rel: Path, nb: dict) -> None:
    if is_placeholder(nb):
        msg = f'PLACEHOLDER chapter {rel} (notebook metadata "{PLACEHOLDER_KEY}": true)'
        if FINAL:
            pytest.fail(f"{msg}: not allowed when {FINAL_ENV}=1; write the chapter")
        pytest.skip(msg)


def headings(nb: dict) -> list[tuple[int, str, int]]:
    """(level, text, cell index) of the markdown headings, outside fenced blocks."""
    out = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        fence = None
        for line in source(cell).splitlines():
            m = FENCE.match(line)
            if m:
                mark = m.group(1)
                if fence is None:
                    fence = mark
                elif (
                    mark[0] == fence[0]
                    and len(mark) >= len(fence)
                    and not line.strip()[len(mark) :]
                ):
                    fence = None
                continue
            if fence is None:
                h = HEADING.match(line)
                if h:
                    out.append((len(h.group(1)), h.group(2).strip(), index))
    return out


def sections(nb: dict) -> dict[str, tuple[int, str, list[dict]]]:
    """H2 title -> (position, markdown text under it, code cells under it)."""
    result, current, position = {}, None, 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = []
            for line in source(cell).splitlines():
                h = HEADING.match(line)
                if h and len(h.group(1)) == 2:
                    current = normalise(h.group(2))
                    result[current] = (position, "", [])
                    position += 1
                elif current is not None:
                    text.append(line)
            if current is not None:
                pos, prev, codes = result[current]
                result[current] = (pos, prev + "\n".join(text) + "\n", codes)
        elif current is not None:
            result[current][2].append(cell)
    return result


def normalise(title: str) -> str:
    return title.replace("\u2019", "'").rstrip("?").strip()


# ------------------------------------------------------------------ every notebook


def test_toc_lists_every_chapter_file():
    on_disk = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")
    }
    in_toc = {p.as_posix() for p in toc_chapters(ROOT)}
    assert on_disk - in_toc == set(), (
        f"chapter files missing from _toc.yml: {sorted(on_disk - in_toc)}"
    )
    assert in_toc, "_toc.yml lists no chapter"
    for p in in_toc:
        assert CHAPTER_RE.match(p), f"{p}: chapters are named chapters/NN_slug.ipynb (lowercase)"


def test_toc_documents_exist():
    docs = toc_documents(ROOT)  # raises if a listed document has no file
    assert Path("index.md") in docs


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_stored_outputs(rel):
    nb = load(rel)
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{rel}: cells {dirty} have stored outputs or execution counts; clear them"


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_widget_state(rel):
    nb = load(rel)
    assert "widgets" not in nb.get("metadata", {}), f"{rel}: notebook metadata holds widget state"
    bad = [i for i, c in enumerate(nb["cells"]) if "widgets" in c.get("metadata", {})]
    assert not bad, f"{rel}: cells {bad} hold widget state in their metadata"


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_kernelspec_python3(rel):
    kernelspec = load(rel).get("metadata", {}).get("kernelspec", {})
    assert kernelspec.get("name") == "python3", (
        f"{rel}: kernelspec name is {kernelspec.get('name')!r}"
    )


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_figure_cells_have_caption_and_alt(rel):
    problems = []
    for i, cell in enumerate(load(rel)["cells"]):
        if cell["cell_type"] != "code" or {"remove-output", "remove-cell"} & set(tags(cell)):
            continue
        code = "\n".join(line.split("#", 1)[0] for line in source(cell).splitlines())
        if not FIGURE_CODE.search(code):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        caption = meta.get("figure", {}).get("caption")
        alt = meta.get("image", {}).get("alt")
        name = meta.get("figure", {}).get("name")
        if not (isinstance(caption, str) and caption.strip()):
            problems.append(f"cell {i}: no mystnb.figure.caption")
        if not (isinstance(alt, str) and alt.strip()):
            problems.append(f"cell {i}: no mystnb.image.alt")
        if name is not None and not (name.startswith("fig-") and KEBAB.match(name)):
            problems.append(f"cell {i}: figure name {name!r} is not fig-kebab-case")
    assert not problems, f"{rel}: figure cells need caption and alt text:\n" + "\n".join(problems)


def _uncaptioned_tables(text: str) -> list[str]:
    """First rows of the Markdown tables of ``text`` that are not inside a ``{table}`` directive."""
    found, fence = [], None  # fence: the opening backticks of the block we are in, if any
    in_table_directive = previous_is_row = False
    for line in text.splitlines():
        stripped = line.strip()
        opening = re.match(r"^(`{3,}|~{3,})\s*(\{[a-z-]+\})?", stripped)
        if fence is None and opening:
            fence = opening.group(1)
            in_table_directive = opening.group(2) == "{table}"
        elif fence is not None and stripped == fence:
            fence, in_table_directive = None, False
        is_row = stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1
        if is_row and not previous_is_row and not in_table_directive:
            found.append(stripped[:60])
        previous_is_row = is_row
    return found


@pytest.mark.parametrize("rel", [*NOTEBOOKS, *MARKDOWN_PAGES], ids=_ids([*NOTEBOOKS,
                                                                           *MARKDOWN_PAGES]))
def test_tables_have_captions(rel):
    # A Markdown table goes in a {table} directive, whose argument is the caption (the <caption>
    # of the HTML table: screen readers announce it; the browser test requires it).
    if rel.suffix == ".md":
        texts = [(ROOT / rel).read_text(encoding="utf-8")]
    else:
        texts = [source(c) for c in load(rel)["cells"] if c["cell_type"] == "markdown"]
    bare = [row for text in texts for row in _uncaptioned_tables(text)]
    assert not bare, f"{rel}: tables without a {{table}} caption, first rows: {bare}"


def test_uncaptioned_table_detector():
    bare = "Intro\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n"
    wrapped = "```{table} A caption\n:name: tbl-x\n\n| a | b |\n| --- | --- |\n```\n"
    in_code = "```python\nx = '| a |'\n```\n"
    assert _uncaptioned_tables(bare) == ["| a | b |"]
    assert _uncaptioned_tables(wrapped) == []
    assert _uncaptioned_tables(wrapped + bare) == ["| a | b |"]
    assert _uncaptioned_tables(in_code) == []


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_check_cells_well_formed(rel):
    problems = []
    for i, cell in enumerate(load(rel)["cells"]):
        meta = cell.get("metadata", {})
        if CLAIMS_KEY not in meta and "check" not in tags(cell):
            continue
        claims = meta.get(CLAIMS_KEY)
        first = source(cell).lstrip("\n").split("\n", 1)[0].strip()
        if cell["cell_type"] != "code":
            problems.append(f"cell {i}: a check cell must be a code cell")
        missing = [t for t in CHECK_TAGS if t not in tags(cell)]
        if missing:
            problems.append(f"cell {i}: missing tags {missing}")
        if not isinstance(claims, list):
            problems.append(
                f'cell {i}: metadata "{CLAIMS_KEY}" must be a list of labels '
                "([] for a check of numbers in the prose)"
            )
        else:
            for label in claims:
                if not (
                    isinstance(label, str)
                    and KEBAB.match(label)
                    and label.startswith(LABEL_PREFIXES)
                ):
                    problems.append(
                        f"cell {i}: claim {label!r} is not a {'/'.join(LABEL_PREFIXES)} label"
                    )
        if not (first.startswith(CHECK_PREFIX) and first[len(CHECK_PREFIX) :].strip()):
            problems.append(f"cell {i}: first line must be '{CHECK_PREFIX} <what is asserted>'")
        if "assert" not in source(cell):
            problems.append(f"cell {i}: a check cell asserts")
    assert not problems, f"{rel}:\n" + "\n".join(problems)


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_checked_statements_are_labelled(rel):
    """A theorem/proposition/lemma/corollary without a label would escape the claims ledger."""
    problems = []
    for i, cell in enumerate(load(rel)["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        lines = source(cell).splitlines()
        for j, line in enumerate(lines):
            m = PRF_DIRECTIVE.match(line)
            if not m or m.group(2) not in CHECKED_TYPES:
                continue
            options = []
            for following in lines[j + 1 :]:
                if not following.startswith(":"):
                    break
                options.append(following)
            labels = [o.split(":", 2)[2].strip() for o in options if o.startswith(":label:")]
            if not labels:
                problems.append(f"cell {i}: prf:{m.group(2)} without :label:")
            elif not (KEBAB.match(labels[0]) and labels[0].startswith(LABEL_PREFIXES)):
                problems.append(
                    f"cell {i}: label {labels[0]!r} is not a thm-/prop-/lem-/cor- kebab label"
                )
    assert not problems, f"{rel}:\n" + "\n".join(problems)


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_headings(rel):
    """One H1, first; no skipped level; no manual numbers (the toc numbers the headings)."""
    hs = headings(load(rel))
    assert hs, f"{rel}: no heading"
    h1 = [h for h in hs if h[0] == 1]
    assert len(h1) == 1, f"{rel}: {len(h1)} H1 headings, expected exactly one: {[h[1] for h in h1]}"
    assert hs[0][0] == 1, f"{rel}: the first heading must be the H1, found {hs[0][1]!r}"
    for (prev, _, _), (level, text, cell) in zip(hs, hs[1:], strict=False):
        assert level <= prev + 1, (
            f"{rel}: heading {text!r} (cell {cell}) skips a level (H{prev} -> H{level})"
        )
    numbered = [t for _, t, _ in hs if re.match(r"^\d+(\.\d+)*\.?\s", t)]
    assert not numbered, f"{rel}: headings carry manual numbers {numbered}; the toc numbers them"


# ------------------------------------------------------------------ chapters


@pytest.mark.parametrize("rel", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_sections(rel):
    nb = load(rel)
    skip_or_fail_placeholder(rel, nb)
    found = sections(nb)
    missing = [s for s in REQUIRED_SECTIONS if s not in found]
    assert not missing, f"{rel}: missing sections (## headings) {missing}"
    order = [found[s][0] for s in REQUIRED_SECTIONS]
    assert order == sorted(order), f"{rel}: sections must come in the order {REQUIRED_SECTIONS}"
    assert found["Summary"][0] > found["Imports"][0] + 1, f"{rel}: no content section"


@pytest.mark.parametrize("rel", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_overview_and_prerequisites(rel):
    nb = load(rel)
    skip_or_fail_placeholder(rel, nb)
    found = sections(nb)
    items = re.findall(r"^\s*\d+\.\s+\S", found.get("Overview", (0, "", []))[1], flags=re.M)
    assert 3 <= len(items) <= 6, (
        f"{rel}: Overview is a numbered list of 3-6 items, found {len(items)}"
    )
    prereq = found.get("Prerequisites", (0, "", []))[1]
    assert re.search(r"^\s*\|", prereq, flags=re.M), f"{rel}: Prerequisites needs a table"
    assert re.search(r"Time to learn", prereq), (
        f"{rel}: Prerequisites needs 'Time to learn: ~NN min'"
    )


@pytest.mark.parametrize("rel", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_imports_cell(rel):
    nb = load(rel)
    skip_or_fail_placeholder(rel, nb)
    codes = sections(nb).get("Imports", (0, "", []))[2]
    assert len(codes) == 1, f"{rel}: the Imports section has one code cell, found {len(codes)}"
    assert "import gdlinear as gl" in source(codes[0]), (
        f"{rel}: the Imports cell imports gdlinear as gl"
    )


EXPLORER_CALL = re.compile(r"\bgl\.widgets\.\w+_explorer\(")
EXPLORER_TAGS = {"remove-output", "nbval-ignore-output", "skip-execution"}


@pytest.mark.parametrize("rel", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_explorer_cells_tagged(rel):
    """A live explorer's cell: output removed, not compared by nbval, skipped by the build."""
    for cell in load(rel)["cells"]:
        if cell["cell_type"] == "code" and EXPLORER_CALL.search(source(cell)):
            missing = EXPLORER_TAGS - set(tags(cell))
            assert not missing, f"{rel}: explorer cell lacks tags {sorted(missing)}"


@pytest.mark.parametrize("rel", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_exercises(rel):
    nb = load(rel)
    skip_or_fail_placeholder(rel, nb)
    text = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    exercises = re.findall(r"^\s*(`{3,}|:{3,})\{exercise(-start)?\}", text, flags=re.M)
    solutions = re.findall(r"^\s*(`{3,}|:{3,})\{solution(-start)?\}", text, flags=re.M)
    assert len(exercises) >= 3, f"{rel}: at least three exercises, found {len(exercises)}"
    assert len(solutions) >= len(exercises), f"{rel}: every exercise has a solution (dropdown)"


def test_placeholders_reported():
    """One line that lists the placeholders, so that they are visible in the test summary."""
    placeholders = [p.as_posix() for p in toc_notebooks(ROOT) if is_placeholder(load(p))]
    if FINAL:
        assert not placeholders, f"{FINAL_ENV}=1 but placeholder chapters remain: {placeholders}"
    elif placeholders:
        pytest.skip(f"{len(placeholders)} placeholder chapter(s): {', '.join(placeholders)}")


# ------------------------------------------------------------------ one repository URL


def test_one_repository_url():
    """Every GitHub / Binder / Pages address of the book names the repository of _config.yml."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == REPO_URL
    assert config["repository"]["branch"] == "main"
    owner, repo = REPO_URL.rsplit("/", 2)[-2:]
    files = [
        "README.md",
        "index.md",
        "CITATION.cff",
        "_config.yml",
        "LICENSE-TEXT",
        *[p.relative_to(ROOT).as_posix() for p in (ROOT / ".github").rglob("*.yml")],
    ]
    pattern = re.compile(
        r"github\.com/(?!(?:actions|features|orgs|settings)/)([\w.-]+)/([\w.-]+)"
        r"|mybinder\.org/v2/gh/([\w.-]+)/([\w.-]+)/|([\w-]+)\.github\.io/([\w.-]+)"
    )
    wrong = []
    for name in files:
        path = ROOT / name
        if not path.exists():
            continue
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            found = [g for g in m.groups() if g]
            if found[:2] != [owner, repo] and found[:2] != [owner, repo.removesuffix(".git")]:
                wrong.append(f"{name}: {m.group(0)}")
    assert not wrong, "addresses that do not match the repository URL:\n" + "\n".join(wrong)


# ------------------------------------------------------------------ versions on the status page


def test_status_page_versions_come_from_the_build():
    """``{book-versions}`` lists Python, each package of ``VERSIONED`` with its installed
    version, and the platform; the execution-status page uses it (no kernel of its own)."""
    import platform
    from importlib.metadata import version

    from book_checks import VERSIONED, version_lines

    lines = dict(line.split(None, 1) for line in version_lines())
    assert lines.pop("python") == platform.python_version()
    assert lines.pop("platform") == platform.platform(terse=True)
    assert lines == {name: version(name) for name in VERSIONED}
    status = (ROOT / "chapters/appendix/status.md").read_text(encoding="utf-8")
    assert "```{book-versions}" in status and "```{nb-exec-table}" in status
