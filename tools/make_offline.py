"""The offline edition of the book: a copy of the HTML build that needs no network.

The published pages load three things from CDNs: MathJax (every page with math), and, on the
chapters whose notebooks hold ipywidgets state, require.js and the ipywidgets HTML manager.
This script copies the build and

- vendors MathJax 3 from its npm package (``tools/offline/package.json``, installed by
  ``make book-offline``) into ``_static/vendor/mathjax/`` and points every page's MathJax
  ``<script>`` at it with a relative path (right for every page depth, and for ``file://``);
- drops require.js, the ipywidgets embed script and the widget state: the explorers' outputs are
  removed from the pages (their static twins are shown instead), so nothing uses them. A page
  that does show a live widget view makes the script fail, rather than ship a broken page;
- fails if any other ``<script src>`` or ``<link href>`` that a browser would load points
  outside the build, so that a new external asset cannot slip in unnoticed.

Then it zips the result (the zip holds one folder; unzip it anywhere and open index.html).

Usage::

    python tools/make_offline.py HTML_DIR OUT_DIR --mathjax NODE_MODULES/mathjax [--zip OUT.zip]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

VENDOR = Path("_static/vendor/mathjax")
ZIP_FOLDER = "implicit-regularization-book"
# What MathJax 3 loads at run time besides the combined component: TeX extensions loaded on
# demand (autoload), the CHTML output's fonts, the context menu and the accessibility tools.
MATHJAX_PARTS = ["input", "output/chtml", "ui", "a11y", "sre", "adaptors"]

TAG = re.compile(r"<(script|link)\b[^>]*>", re.I)
ATTR = re.compile(r"""\b(src|href|rel|type)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)
WIDGET_STATE = re.compile(
    r"\s*<script type=\"application/vnd\.jupyter\.widget-state\+json\">.*?</script>", re.S)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DROP = {  # external scripts that the offline pages do without, and why
    "require.min.js": "require.js, only used by the ipywidgets embed script",
    "embed-amd.js": "the ipywidgets HTML manager: no live widget view is on the pages",
}
MATHJAX_SRC = re.compile(r"^https?://[^\"']*/mathjax@?[^/]*/es5/([\w.-]+\.js)$", re.I)


class OfflineError(RuntimeError):
    pass


def _attrs(tag: str) -> dict[str, str]:
    return {k.lower(): v.strip("\"'") for k, v in ATTR.findall(tag)}


def _external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def rewrite_page(text: str, page: Path, out: Path, components: set[str]) -> tuple[str, list[str]]:
    """The offline text of one page, and what was changed."""
    changes: list[str] = []
    vendor = os.path.relpath(out / VENDOR, page.parent).replace(os.sep, "/")

    def fix(match: re.Match) -> str:
        tag = match.group(0)
        attrs = _attrs(tag)
        kind = match.group(1).lower()
        url = attrs.get("src" if kind == "script" else "href", "")
        if not _external(url):
            return tag
        if kind == "link" and not re.search(r"stylesheet|preload|icon|manifest",
                                            attrs.get("rel", ""), re.I):
            return tag  # a hyperlink-like <link> (canonical, license...): never loaded
        name = url.rsplit("/", 1)[-1].split("?")[0]
        if kind == "script" and (m := MATHJAX_SRC.match(url)):
            components.add(m.group(1))
            changes.append(f"MathJax {url} -> {vendor}/{m.group(1)}")
            return tag.replace(url, f"{vendor}/{m.group(1)}")
        if kind == "script" and name in DROP:
            changes.append(f"dropped {url} ({DROP[name]})")
            return "<!-- offline edition: dropped " + name + " -->"
        raise OfflineError(f"{page}: external {kind} {url} is neither vendored nor dropped: "
                           "vendor it in tools/make_offline.py, or drop it")

    if WIDGET_VIEW in text:
        raise OfflineError(f"{page}: shows a live ipywidgets view; the offline edition would "
                           "need the widget manager vendored")
    text, n_state = WIDGET_STATE.subn("", text)
    if n_state:
        changes.append("dropped the ipywidgets state")
    return TAG.sub(fix, text), changes


def vendor_mathjax(mathjax: Path, out: Path, components: set[str]) -> int:
    es5 = mathjax / "es5"
    if not es5.is_dir():
        raise OfflineError(f"{mathjax} is not the MathJax npm package (no es5/)")
    target = out / VENDOR
    target.mkdir(parents=True, exist_ok=True)
    for component in sorted(components):
        shutil.copy2(es5 / component, target / component)
    for part in MATHJAX_PARTS:
        if (es5 / part).is_dir():
            shutil.copytree(es5 / part, target / part, dirs_exist_ok=True)
    for name in ("LICENSE", "package.json"):
        if (mathjax / name).exists():
            shutil.copy2(mathjax / name, target / name)
    return sum(f.stat().st_size for f in target.rglob("*") if f.is_file())


def build(html: Path, out: Path, mathjax: Path, zip_path: Path | None = None) -> dict:
    if not (html / "index.html").is_file():
        raise OfflineError(f"{html}/index.html not found: build the book first (make book)")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html, out, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    components: set[str] = set()
    pages, changed = 0, 0
    for page in sorted(out.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        new, changes = rewrite_page(text, page, out, components)
        pages += 1
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    vendored = vendor_mathjax(mathjax, out, components) if components else 0
    # A last scan: nothing a browser loads may point outside the build.
    leftovers = []
    for page in out.rglob("*.html"):
        for m in TAG.finditer(page.read_text(encoding="utf-8")):
            a = _attrs(m.group(0))
            url = a.get("src") or (a.get("href") if re.search(
                r"stylesheet|preload|icon|manifest", a.get("rel", ""), re.I) else "")
            if url and _external(url):
                leftovers.append(f"{page.relative_to(out)}: {url}")
    if leftovers:
        raise OfflineError("external assets left:\n  " + "\n  ".join(leftovers))
    (out / "README.txt").write_text(
        "Offline edition of the book: open index.html in a browser. Everything it needs,\n"
        "MathJax included (Apache-2.0, _static/vendor/mathjax/LICENSE), is in this folder.\n",
        encoding="utf-8")
    summary = {"pages": pages, "pages_rewritten": changed, "mathjax_components": sorted(components),
               "mathjax_bytes": vendored}
    if zip_path:
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(out.rglob("*")):
                if f.is_file():
                    zf.write(f, f"{ZIP_FOLDER}/{f.relative_to(out).as_posix()}")
        summary["zip"] = str(zip_path)
        summary["zip_bytes"] = zip_path.stat().st_size
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--mathjax", type=Path, required=True,
                        help="the installed npm package, e.g. _build/npm/node_modules/mathjax")
    parser.add_argument("--zip", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        summary = build(args.html, args.out, args.mathjax, args.zip)
    except OfflineError as exc:
        print(f"make_offline: {exc}", file=sys.stderr)
        return 1
    print(f"make_offline: {summary['pages']} pages ({summary['pages_rewritten']} rewritten), "
          f"MathJax {summary['mathjax_components']} vendored "
          f"({summary['mathjax_bytes'] / 1e6:.1f} MB) into {args.out}"
          + (f"; {args.zip} ({summary['zip_bytes'] / 1e6:.1f} MB)" if args.zip else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
