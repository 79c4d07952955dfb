"""The book's documents, as listed in ``_toc.yml``.

One source of truth for "which notebooks are in the book", shared by the Makefile
(``make test`` runs nbval over them, ``make binder-check`` executes them), the hygiene
tests and the benchmarks.

Usage from the command line (paths relative to the book root, one per line)::

    python _ext/book_toc.py notebooks   # every .ipynb in the toc (chapters and appendix)
    python _ext/book_toc.py chapters    # only the numbered chapters chapters/NN_slug.ipynb
    python _ext/book_toc.py all         # every document, whatever its suffix
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = (".ipynb", ".md")
CHAPTER_RE = re.compile(r"^chapters/\d\d_[a-z0-9_]+\.ipynb$")


def toc_documents(root: Path | str = ROOT) -> list[Path]:
    """Every document listed in ``root/_toc.yml``, in reading order, as paths relative to root.

    Raises ``FileNotFoundError`` if a listed document has no source file.
    """
    from sphinx_external_toc.parsing import parse_toc_yaml

    root = Path(root)
    site_map = parse_toc_yaml(root / "_toc.yml")
    docnames = _in_order(site_map, site_map.root.docname, set())
    paths = []
    for docname in docnames:
        for suffix in SUFFIXES:
            candidate = root / f"{docname}{suffix}"
            if candidate.exists():
                paths.append(candidate.relative_to(root))
                break
        else:
            raise FileNotFoundError(f"_toc.yml lists {docname!r} but no {docname}.ipynb/.md exists")
    return paths


def _strip_suffix(docname: str) -> str:
    for suffix in SUFFIXES:
        if docname.endswith(suffix):
            return docname[: -len(suffix)]
    return docname


def _in_order(site_map, docname: str, seen: set[str]) -> list[str]:
    from sphinx_external_toc.api import FileItem

    if docname in seen:
        return []
    seen.add(docname)
    out = [docname]
    for subtree in site_map[docname].subtrees:
        for item in subtree.items:
            if isinstance(item, FileItem):  # skip GlobItem and UrlItem entries
                out.extend(_in_order(site_map, _strip_suffix(str(item)), seen))
    return out


def toc_notebooks(root: Path | str = ROOT) -> list[Path]:
    """The ``.ipynb`` documents of the toc (chapters and appendix notebooks)."""
    return [p for p in toc_documents(root) if p.suffix == ".ipynb"]


def toc_chapters(root: Path | str = ROOT) -> list[Path]:
    """The numbered chapters ``chapters/NN_slug.ipynb`` of the toc, in order."""
    return [p for p in toc_documents(root) if CHAPTER_RE.match(p.as_posix())]


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "notebooks"
    funcs = {"notebooks": toc_notebooks, "chapters": toc_chapters, "all": toc_documents}
    if what not in funcs:
        print(f"usage: {argv[0]} [{'|'.join(funcs)}]", file=sys.stderr)
        return 2
    paths = funcs[what](ROOT)
    if not paths:
        print(f"_toc.yml lists no {what}", file=sys.stderr)
        return 1
    print("\n".join(p.as_posix() for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
