"""Sphinx extension: the claims ledger and the book's build-time guards.

Registered in ``_config.yml`` under ``sphinx: local_extensions: {book_checks: _ext}``.

What it does
------------
1. Collects every labelled ``prf:theorem`` / ``prf:proposition`` / ``prf:lemma`` /
   ``prf:corollary`` (sphinx-proof) with its title.
2. Collects every *check cell* from the notebooks' source: a code cell whose metadata has
   ``"claims": ["prop-...", ...]`` (and tags ``remove-cell`` + ``check``), whose first line is
   ``# Check: <what is asserted>``. ``"claims": []`` marks a check of numbers quoted in the
   prose, tied to no statement; the ledger lists those per chapter.
3. FAILS THE BUILD (a hard error, with or without ``-W``) when

   - a labelled theorem/proposition/lemma/corollary is named by no check cell,
   - a check cell names a label that is not a labelled theorem/proposition/lemma/corollary,
   - a check cell is malformed (not code, ``claims`` not a list of labels, missing
     tags, first line not ``# Check: ...``),
   - the environment variable ``BOOK_FINAL=1`` is set and a document of the book is still a
     placeholder (notebook metadata ``"placeholder": true``).

4. Demotes warnings raised inside the docstrings of ``gdlinear`` (autodoc + napoleon on the
   library reference page) to informational messages, listed at the end of the build, so that
   a docstring's formatting cannot break the strict build (``-W``). Failing to import a module
   is not demoted.

5. Provides the directive ``{claims-ledger}`` that renders the ledger (label, statement,
   chapter, check) as a table; the page holding it is rebuilt on every build.

6. Provides the directive ``{book-versions}``: the versions of Python, of the packages the
   chapters use and the platform, read from package metadata in the build's own environment
   (the environment whose kernels execute the chapters). The execution-status page shows them
   without starting a kernel of its own.

The validation runs on Sphinx's ``env-updated`` event, which fires on every build, also when
nothing changed since the last one, and before the environment is saved: a cached build cannot
skip it.
"""

from __future__ import annotations

import json
import logging as pylogging
import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import SphinxError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: prf directives whose labelled instances must be checked by a check cell.
CHECKED_TYPES = ("theorem", "proposition", "lemma", "corollary")
#: the cell-metadata key listing the labels a check cell checks.
CLAIMS_KEY = "claims"
#: tags every check cell carries.
CHECK_TAGS = ("remove-cell", "check")
#: first-line prefix of a check cell.
CHECK_PREFIX = "# Check:"
#: notebook-metadata key of a placeholder document.
PLACEHOLDER_KEY = "placeholder"
#: environment variable that forbids placeholders.
FINAL_ENV = "BOOK_FINAL"

LABEL_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class BookCheckError(SphinxError):
    category = "Book check failed"


class claims_ledger_node(nodes.General, nodes.Element):
    """Placeholder replaced by the ledger table at ``doctree-resolved``."""


class ClaimsLedgerDirective(SphinxDirective):
    """``{claims-ledger}``: the table of checked statements."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        _store(self.env)["ledger_docs"].add(self.env.docname)
        return [claims_ledger_node()]


#: distributions whose versions ``{book-versions}`` lists, after Python.
VERSIONED = ("numpy", "scipy", "matplotlib", "ipywidgets", "gdlinear")


def version_lines() -> list[str]:
    """``name  version`` lines: Python, :data:`VERSIONED` (from package metadata), platform."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    rows = [("python", platform.python_version())]
    for name in VERSIONED:
        try:
            rows.append((name, version(name)))
        except PackageNotFoundError:
            rows.append((name, "not installed"))
    rows.append(("platform", platform.platform(terse=True)))
    return [f"{name:<12}{value}" for name, value in rows]


class BookVersionsDirective(SphinxDirective):
    """``{book-versions}``: a literal block of the versions the book was built with."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        _store(self.env)["versions_docs"].add(self.env.docname)  # re-read on every build
        text = "\n".join(version_lines())
        block = nodes.literal_block(text, text, language="text")
        block["classes"].append("book-versions")
        return [block]


# --------------------------------------------------------------------------- storage


def _store(env: BuildEnvironment) -> dict[str, Any]:
    if not hasattr(env, "book_checks"):
        env.book_checks = {
            "statements": {},  # docname -> list of statement dicts
            "other_labels": {},  # docname -> {label: prf type} for the unchecked prf types
            "checks": {},  # docname -> list of check dicts
            "problems": {},  # docname -> list of malformed-check messages
            "placeholders": set(),
            "ledger_docs": set(),
        }
    # documents re-read on every build (their content comes from outside the sources);
    # setdefault: an environment pickled by an older version of this extension lacks the key
    env.book_checks.setdefault("versions_docs", set())
    return env.book_checks


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    store = _store(env)
    for key in ("statements", "other_labels", "checks", "problems"):
        store[key].pop(docname, None)
    store["placeholders"].discard(docname)
    store["ledger_docs"].discard(docname)
    store["versions_docs"].discard(docname)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment):
    store, theirs = _store(env), _store(other)
    for key in ("statements", "other_labels", "checks", "problems"):
        for docname in docnames:
            if docname in theirs[key]:
                store[key][docname] = theirs[key][docname]
    store["placeholders"] |= theirs["placeholders"] & set(docnames)
    store["ledger_docs"] |= theirs["ledger_docs"] & set(docnames)
    store["versions_docs"] |= theirs["versions_docs"] & set(docnames)


# --------------------------------------------------------------------------- collection


def _title_text(app: Sphinx, node: nodes.Element) -> str:
    text = node.children[0].astext() if node.children else ""
    before, _, after = app.config.proof_title_format.partition("%t")
    text = text.strip()
    if before.strip() and text.startswith(before.strip()):
        text = text[len(before.strip()) :]
    if after.strip() and text.endswith(after.strip()):
        text = text[: -len(after.strip())]
    return text.strip()


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    store = _store(env)
    statements, others = [], {}
    for node in doctree.findall(nodes.Element):
        realtype = node.get("realtype")
        label = node.get("label")
        if not realtype or not label or "countertype" not in node.attributes:
            continue
        if re.fullmatch(rf"{re.escape(realtype)}-\d+", label):
            continue  # no :label: given: sphinx-proof made one up
        if realtype in CHECKED_TYPES:
            statements.append(
                {
                    "label": label,
                    "type": realtype,
                    "title": _title_text(app, node),
                    "docname": docname,
                    "line": node.line,
                }
            )
        else:
            others[label] = realtype
    store["statements"][docname] = statements
    store["other_labels"][docname] = others

    source = Path(env.doc2path(docname))
    if source.suffix == ".ipynb":
        checks, problems, placeholder = _read_notebook(source)
        store["checks"][docname] = checks
        store["problems"][docname] = problems
        if placeholder:
            store["placeholders"].add(docname)


def _read_notebook(path: Path) -> tuple[list[dict], list[str], bool]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    checks, problems = [], []
    for index, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {})
        tags = meta.get("tags", [])
        if CLAIMS_KEY not in meta and "check" not in tags:
            continue
        where = f"cell {index}"
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        first = source.lstrip("\n").split("\n", 1)[0].strip()
        claims = meta.get(CLAIMS_KEY)
        if cell.get("cell_type") != "code":
            problems.append(f"{where}: a check cell must be a code cell")
        if not (isinstance(claims, list) and all(isinstance(c, str) for c in claims)):
            problems.append(
                f'{where}: cell metadata "{CLAIMS_KEY}" must be a list of labels ([] for a check '
                f"of numbers in the prose), got {claims!r}"
            )
            claims = []
        missing = [t for t in CHECK_TAGS if t not in tags]
        if missing:
            problems.append(
                f"{where}: a check cell needs the tags {list(CHECK_TAGS)}; missing {missing}"
            )
        if not first.startswith(CHECK_PREFIX) or not first[len(CHECK_PREFIX) :].strip():
            problems.append(
                f"{where}: the first line of a check cell must be "
                f"'{CHECK_PREFIX} <what is asserted>', got {first!r}"
            )
        checks.append(
            {"cell": index, "claims": list(claims), "text": first[len(CHECK_PREFIX) :].strip()}
        )
    placeholder = nb.get("metadata", {}).get(PLACEHOLDER_KEY) is True
    return checks, problems, placeholder


# --------------------------------------------------------------------------- validation


def ledger_rows(env: BuildEnvironment) -> list[dict]:
    """Statements in document order, each with the list of checks naming it."""
    store = _store(env)
    checks_by_label: dict[str, list[dict]] = {}
    for docname, checks in store["checks"].items():
        for check in checks:
            for label in check["claims"]:
                checks_by_label.setdefault(label, []).append({**check, "docname": docname})
    order = {doc: i for i, doc in enumerate(_doc_order(env))}
    rows = []
    for docname in sorted(store["statements"], key=lambda d: (order.get(d, len(order)), d)):
        for statement in store["statements"][docname]:
            rows.append({**statement, "checks": checks_by_label.get(statement["label"], [])})
    return rows


def _doc_order(env: BuildEnvironment) -> list[str]:
    root = env.config.root_doc
    seen, out = set(), []

    def visit(doc: str) -> None:
        if doc in seen:
            return
        seen.add(doc)
        out.append(doc)
        for child in env.toctree_includes.get(doc, []):
            visit(child)

    visit(root)
    return out


def _validate(app: Sphinx, env: BuildEnvironment) -> None:
    store = _store(env)
    errors: list[tuple[str, str]] = []
    known = {s["label"]: s for stmts in store["statements"].values() for s in stmts}
    other = {label: t for labels in store["other_labels"].values() for label, t in labels.items()}

    for docname, problems in sorted(store["problems"].items()):
        errors += [(docname, f"malformed check cell: {p}") for p in problems]

    named: set[str] = set()
    for docname, checks in sorted(store["checks"].items()):
        for check in checks:
            for label in check["claims"]:
                named.add(label)
                if label in known:
                    continue
                if label in other:
                    why = f"it labels a prf:{other[label]}, which is not checked"
                else:
                    why = "no prf:theorem/proposition/lemma/corollary in the book has this label"
                errors.append(
                    (docname, f"check cell {check['cell']} names unknown claim '{label}': {why}")
                )

    for label, statement in sorted(known.items()):
        if label not in named:
            errors.append(
                (
                    statement["docname"],
                    f"prf:{statement['type']} '{label}' ({statement['title'] or 'untitled'}) has "
                    f'no check cell: add a code cell with metadata "{CLAIMS_KEY}": ["{label}"], '
                    f'tags {list(CHECK_TAGS)} and first line "{CHECK_PREFIX} ..."',
                )
            )

    if os.environ.get(FINAL_ENV) == "1":
        for docname in sorted(store["placeholders"]):
            errors.append(
                (
                    docname,
                    f'is a placeholder (notebook metadata "{PLACEHOLDER_KEY}": true) '
                    f"but {FINAL_ENV}=1 forbids placeholders",
                )
            )
    elif store["placeholders"]:
        logger.info(
            "book_checks: %d placeholder document(s): %s",
            len(store["placeholders"]),
            ", ".join(sorted(store["placeholders"])),
        )

    if errors:
        for docname, message in errors:
            logger.error("%s", message, location=docname)
        raise BookCheckError(
            f"{len(errors)} problem(s) with claims/check cells or placeholders; see the errors "
            "above (conventions: CONTRIBUTING.md, 'Results: statement, proof, illustration, check')"
        )


def _always_reread_ledger(app, env, added, changed, removed) -> list[str]:
    store = _store(env)
    return sorted(store["ledger_docs"] | store["versions_docs"])


# --------------------------------------------------------------------------- rendering


def _para(*children: nodes.Node) -> nodes.paragraph:
    para = nodes.paragraph()
    para.extend(children)
    return para


def _link(app: Sphinx, fromdoc: str, todoc: str, anchor: str, text: str) -> nodes.Node:
    try:
        uri = app.builder.get_relative_uri(fromdoc, todoc)
    except Exception:  # builders without URIs
        return nodes.Text(text)
    if anchor:
        uri += "#" + anchor
    ref = nodes.reference("", "", internal=True, refuri=uri)
    ref += nodes.Text(text)
    return ref


def _number(env: BuildEnvironment, statement: dict) -> str:
    try:
        numbers = env.toc_fignumbers[statement["docname"]][statement["type"]][statement["label"]]
        return ".".join(str(n) for n in numbers)
    except (KeyError, AttributeError):
        return ""


def _chapter_title(env: BuildEnvironment, docname: str) -> str:
    title = env.titles[docname].astext() if docname in env.titles else docname
    secnum = env.toc_secnumbers.get(docname, {}).get("")
    return f"{'.'.join(map(str, secnum))}. {title}" if secnum else title


def _table(headers: tuple[str, ...], widths: tuple[int, ...], classes: list[str], caption: str,
           table_id: str):
    # A captioned table needs an id (Sphinx's HTML writer numbers captioned tables by id).
    table = nodes.table(classes=classes, ids=[table_id])
    table += nodes.title(text=caption)  # rendered as the table's <caption>
    tgroup = nodes.tgroup(cols=len(headers))
    table += tgroup
    for width in widths:
        tgroup += nodes.colspec(colwidth=width)
    thead = nodes.thead()
    tgroup += thead
    head = nodes.row()
    for h in headers:
        head += nodes.entry("", _para(nodes.Text(h)))
    thead += head
    tbody = nodes.tbody()
    tgroup += tbody
    return table, tbody


def _prose_checks(app: Sphinx, fromdoc: str) -> list[nodes.Node]:
    """The checks with ``"claims": []``: numbers quoted in the text, by chapter."""
    env = app.env
    store = _store(env)
    order = {doc: i for i, doc in enumerate(_doc_order(env))}
    docs = sorted(store["checks"], key=lambda d: (order.get(d, len(order)), d))
    rows = [(d, c) for d in docs for c in store["checks"][d] if not c["claims"]]
    if not rows:
        return []
    title = nodes.rubric(text="Checks of numbers quoted in the text")
    intro = _para(
        nodes.Text(
            "These check cells assert numbers and qualitative statements of the prose that are "
            "not labelled results."
        )
    )
    table, tbody = _table(("Chapter", "Check"), (35, 65), ["claims-ledger", "prose-checks"],
                          "Check cells that assert numbers quoted in the prose, by chapter",
                          "tbl-prose-checks")
    for docname, check in rows:
        row = nodes.row()
        chapter_entry = nodes.entry()
        chapter_entry += _para(_link(app, fromdoc, docname, "", _chapter_title(env, docname)))
        row += chapter_entry
        row += nodes.entry("", _para(nodes.Text(check["text"])))
        tbody += row
    return [title, intro, table]


def _caption_exec_tables(app: Sphinx, doctree: nodes.document, fromdoc: str) -> None:
    """Give the execution-status table of myst-nb (``{nb-exec-table}``) a caption.

    myst-nb builds that table without a title; the book wants a caption on every table. Its
    tables are recognised by their class and their header row, which starts with "Document".
    """
    for table in doctree.findall(nodes.table):
        if "colwidths-auto" not in table["classes"] or any(
            isinstance(child, nodes.title) for child in table.children
        ):
            continue
        head = next(iter(table.findall(nodes.thead)), None)
        if head is not None and head.astext().startswith("Document"):
            if not table["ids"]:
                table["ids"].append("tbl-execution-status")
            table.insert(0, nodes.title(text="Every notebook of the book: when and how it was "
                                             "last executed, how long it took, and whether it "
                                             "succeeded"))


def _render(app: Sphinx, doctree: nodes.document, fromdoc: str) -> None:
    env = app.env
    for placeholder in list(doctree.findall(claims_ledger_node)):
        rows = ledger_rows(env)
        prose = _prose_checks(app, fromdoc)
        if not rows:
            placeholder.replace_self(
                [
                    _para(nodes.Text("No labelled theorem, proposition, lemma or corollary yet.")),
                    *prose,
                ]
            )
            continue
        table, tbody = _table(
            ("Label", "Statement", "Chapter", "Check"), (18, 27, 20, 35), ["claims-ledger"],
            "Every labelled result of the book and the check cells that verify it",
            "tbl-claims-ledger",
        )
        for s in rows:
            row = nodes.row()
            label_entry = nodes.entry()
            label_entry += _para(_link(app, fromdoc, s["docname"], s["label"], s["label"]))
            row += label_entry
            number = _number(env, s)
            name = f"{s['type'].capitalize()} {number}".strip()
            statement = f"{name}: {s['title']}" if s["title"] else name
            row += nodes.entry("", _para(nodes.Text(statement)))
            chapter_entry = nodes.entry()
            chapter_entry += _para(
                _link(app, fromdoc, s["docname"], "", _chapter_title(env, s["docname"]))
            )
            row += chapter_entry
            check_entry = nodes.entry()
            for check in s["checks"]:
                where = (
                    ""
                    if check["docname"] == s["docname"]
                    else (f" (in {_chapter_title(env, check['docname'])})")
                )
                check_entry += _para(nodes.Text(f"{check['text']}{where}"))
            row += check_entry
            tbody += row
        placeholder.replace_self([table, *prose])


# --------------------------------------------------------------------------- docstrings

DOCSTRING_RE = re.compile(r"docstring of gdlinear\b")


def _record_source(record: pylogging.LogRecord) -> str:
    location = getattr(record, "location", None)
    if isinstance(location, tuple) and location:
        return str(location[0])
    if isinstance(location, nodes.Node):
        node = location
        while node is not None and not node.source:
            node = node.parent
        return str(node.source) if node is not None else ""
    return str(location or "")


class _DocstringWarningFilter(pylogging.Filter):
    """Drop warnings located in gdlinear docstrings from the warning stream; keep them."""

    def __init__(self) -> None:
        super().__init__()
        self.demoted: list[str] = []

    def filter(self, record: pylogging.LogRecord) -> bool:
        if record.levelno < pylogging.WARNING:
            return True
        source = _record_source(record)
        if not DOCSTRING_RE.search(source):
            return True
        try:
            message = record.msg % record.args if record.args else str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        self.demoted.append(f"{source}: {message}")
        return False


def _install_docstring_filter(app: Sphinx) -> None:
    from sphinx.util.logging import WarningStreamHandler

    filt = _DocstringWarningFilter()
    for handler in pylogging.getLogger("sphinx").handlers:
        if isinstance(handler, WarningStreamHandler):
            handler.filters.insert(0, filt)
    app._book_docstring_filter = filt


def _report_docstrings(app: Sphinx, exc: Exception | None) -> None:
    filt = getattr(app, "_book_docstring_filter", None)
    if filt and filt.demoted:
        logger.info(
            "book_checks: %d warning(s) in gdlinear docstrings (not errors):\n  %s",
            len(filt.demoted),
            "\n  ".join(dict.fromkeys(filt.demoted)),
        )


def _dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Emit each script once per page.

    Sphinx can hold the same inline script twice (registered once with filename ``None`` and once
    with ``''``); the second copy of a script that declares a ``const`` is a JavaScript error on
    every page (found by the browser test).
    """
    seen, unique = set(), []
    for js in context.get("script_files", []):
        key = (
            getattr(js, "filename", None) or "",
            tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    _install_docstring_filter(app)
    app.connect("build-finished", _report_docstrings)
    app.add_node(claims_ledger_node)
    app.add_directive("claims-ledger", ClaimsLedgerDirective)
    app.add_directive("book-versions", BookVersionsDirective)
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _always_reread_ledger)
    app.connect("env-updated", _validate)
    app.connect("doctree-resolved", _render)
    app.connect("doctree-resolved", _caption_exec_tables)
    app.connect("html-page-context", _dedupe_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
