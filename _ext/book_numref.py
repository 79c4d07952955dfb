"""Sphinx extension: resolve ``{numref}`` references without re-reading a page per reference.

Registered in ``_config.yml`` under ``sphinx: local_extensions: {book_numref: _ext}``.

Sphinx (7.4) resolves every ``{numref}`` by unpickling the whole doctree of the page that holds
the target, to find the target node and its kind (figure, table, equation, section). A chapter's
doctree carries its figures, so one unpickling takes about 0.1 s, and the book has over a hundred
numbered references: about 10 s of every full build went into reading the same dozen doctrees
again and again.

This extension replaces the standard domain by a subclass whose numref resolution keeps each
unpickled doctree for the rest of the build. Nothing else changes: the resolution itself is
Sphinx's, and it only reads the target node (its ids, its type, its place among the numbered
nodes). Doctrees fetched for any other purpose (e.g. writing a page, which modifies the doctree)
are still unpickled afresh. The kept doctrees are dropped when a build ends and whenever the
sources have been read again, so that a later build never sees stale ones.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.domains.std import StandardDomain
from sphinx.environment import BuildEnvironment

# docname -> unpickled doctree, for the numref lookups of the current build only
_DOCTREES: dict[str, nodes.document] = {}


class NumrefCachingStandardDomain(StandardDomain):
    """Sphinx's standard domain; ``{numref}`` targets are looked up in doctrees kept per build."""

    def _resolve_numref_xref(self, env: BuildEnvironment, fromdocname: str, builder: Any,
                             typ: str, target: str, node: Any, contnode: Any) -> Any:
        read = env.get_doctree

        def kept(docname: str) -> nodes.document:
            if docname not in _DOCTREES:
                _DOCTREES[docname] = read(docname)
            return _DOCTREES[docname]

        env.get_doctree = kept  # shadows the method for the duration of this lookup only
        try:
            return super()._resolve_numref_xref(env, fromdocname, builder, typ, target, node,
                                                contnode)
        finally:
            del env.get_doctree


def _forget(*_args: Any) -> None:
    _DOCTREES.clear()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_domain(NumrefCachingStandardDomain, override=True)
    app.connect("env-updated", _forget)
    app.connect("build-finished", _forget)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
