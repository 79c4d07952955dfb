"""Browser test of the built book: every page of the table of contents in headless Chromium.

For each page (``_toc.yml`` order, or ``--pages``) it checks that

- the page loads with no JavaScript error (exceptions, ``console.error``, failed local requests);
  requests to other hosts are blocked by the browser (nothing leaves the machine) and are only
  *listed*, unless ``--no-external`` makes any such request an error (the offline build);
- every image has loaded (``naturalWidth > 0``) and the images of the content have alt text;
- every equation is typeset by MathJax (each ``.math`` element holds an ``mjx-container``, no
  ``mjx-merror``, MathJax fonts loaded): ``--math require``; ``--math auto`` (the default) checks
  math only where MathJax is served by the build itself, and otherwise reports the page as
  "math not checked" (MathJax from a CDN cannot load here: use the offline build);
- the static twins of the explorers are visible (the figure named in the cell after each
  ``gl.widgets.*_explorer()`` cell of the chapter's notebook, with its image loaded);
- every internal link resolves: the target file exists and its ``#fragment`` is an id of the
  target page (the DOM of a visited page, the HTML of any other file);
- the content has exactly one H1 and skips no heading level; every ``<figure>`` has a non-empty
  ``<figcaption>``; ``<table>`` elements without ``<caption>`` are listed (warnings; errors with
  ``--require-table-captions``).

It saves one screenshot per page (``--screenshots``, default ``<html>/../screenshots``).
Exit status 1 if any page has an error. Pages are served by ``http.server`` on a free localhost
port in a thread of this process (``--mode http``, default), or opened as ``file://`` URLs with
the browser's network disabled (``--mode file``: the offline build, unzipped).

Usage::

    python tools/check_site.py [HTML_DIR] [--mode http|file] [--math auto|require|skip]
                               [--no-external] [--pages a.html b/c.html] [--json report.json]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, CDPError, chromium_available  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXPLORER_CALL = re.compile(r"\bwidgets\.\w+_explorer\(")

# Runs in the page after the load event: make lazy images load, wait for them and for MathJax.
SETTLE_JS = r"""
(async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r);
                         setTimeout(r, 10000); })));
  let mathjax = 'absent';
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; mathjax = 'typeset'; }
    catch (e) { mathjax = 'error: ' + e; }
  } else if (window.MathJax) {
    // MathJax is configured but did not start. Its script is deferred, so it has run before
    // the load event, unless it could not load: from another host (blocked here) there is
    // nothing to wait for; from this build, allow a short grace period.
    const s = document.querySelector('script[src*="mathjax" i]');
    const external = s && /^https?:/.test(s.src) && new URL(s.src).host !== location.host;
    for (let i = 0; !external && i < 10 && !(MathJax.startup && MathJax.startup.promise); i++)
      await new Promise(r => setTimeout(r, 50));
    if (MathJax.startup && MathJax.startup.promise) {
      try { await MathJax.startup.promise; mathjax = 'typeset'; }
      catch (e) { mathjax = 'error: ' + e; }
    } else mathjax = external ? 'not loaded (external script)' : 'not loaded';
  }
  await document.fonts.ready;
  return mathjax;
})()
"""

# Collects what the checks need, from the rendered DOM.
REPORT_JS = r"""
((twinIds) => {
  const content = document.querySelector('article.bd-article') ||
                  document.querySelector('main') || document.body;
  const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const text = el => (el.textContent || '').replace(/\s+/g, ' ').trim();
  const where = el => { const f = el.closest('figure[id], section[id], div[id]');
                        return f ? '#' + f.id : ''; };
  const images = Array.from(document.images).map(img => ({
    src: img.getAttribute('src'), url: img.currentSrc || img.src,
    loaded: img.complete && img.naturalWidth > 0, natural: img.naturalWidth,
    alt: img.getAttribute('alt'), inContent: content.contains(img), where: where(img)}));
  const headings = Array.from(content.querySelectorAll('h1,h2,h3,h4,h5,h6'))
    .filter(h => !h.closest('.toctree-wrapper, nav, aside, .dropdown, details') || visible(h))
    .map(h => ({level: +h.tagName[1], text: text(h).replace(/#$/, '').slice(0, 80)}));
  const figures = Array.from(content.querySelectorAll('figure')).map(f => {
    const cap = f.querySelector('figcaption');
    return {id: f.id || where(f), caption: cap ? text(cap).slice(0, 60) : null}; });
  const tables = Array.from(content.querySelectorAll('table')).map(t => {
    const cap = t.querySelector('caption');
    const head = t.querySelector('tr');
    return {where: where(t), caption: cap ? text(cap).slice(0, 60) : null,
            firstRow: head ? text(head).slice(0, 60) : ''}; });
  const links = Array.from(document.querySelectorAll('a[href], link[href]'))
    .map(a => ({raw: a.getAttribute('href'), url: a.href, text: text(a).slice(0, 40)}));
  const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id)
    .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.getAttribute('name')));
  const mathEls = Array.from(document.querySelectorAll('.math'))
    .filter(el => !el.parentElement.closest('.math'));
  const math = {
    count: mathEls.length,
    untypeset: mathEls.filter(el => !el.querySelector('mjx-container'))
                      .map(el => text(el).slice(0, 60)),
    errors: Array.from(document.querySelectorAll('mjx-merror'))
                 .map(el => (el.getAttribute('data-mjx-error') || text(el)).slice(0, 80)),
    containers: document.querySelectorAll('mjx-container').length,
    fonts: Array.from(document.fonts).filter(f => /^MJX/.test(f.family))
                 .map(f => ({family: f.family, status: f.status})),
  };
  const twins = twinIds.map(id => {
    const el = document.getElementById(id);
    if (!el) return {id, found: false};
    const img = el.querySelector('img');
    el.scrollIntoView();
    return {id, found: true, visible: visible(el),
            image: !!img && img.complete && img.naturalWidth > 0 && visible(img)}; });
  window.scrollTo(0, 0);
  const scripts = Array.from(document.querySelectorAll('script[src]')).map(s => s.src);
  const styles = Array.from(document.querySelectorAll('link[href]'))
    .filter(l => /stylesheet|preload|modulepreload|icon/.test(l.rel)).map(l => l.href);
  return {title: document.title, images, headings, figures, tables, links, ids, math, twins,
          scripts, styles, mathjaxSrc: scripts.filter(s => /mathjax/i.test(s))};
})
"""


@dataclass
class PageResult:
    page: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    screenshot: str | None = None


class _IdParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "id" or (tag == "a" and key == "name")):
                self.ids.add(value)


@functools.lru_cache(maxsize=256)
def file_ids(path: Path) -> frozenset[str]:
    parser = _IdParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def toc_pages() -> list[str]:
    """The HTML pages of the documents listed in _toc.yml, in reading order."""
    sys.path.insert(0, str(ROOT / "_ext"))
    from book_toc import toc_documents

    return [p.with_suffix(".html").as_posix() for p in toc_documents(ROOT)]


def explorer_twins(root: Path = ROOT) -> dict[str, list[str]]:
    """page -> names of the static-twin figures (the figure cell after each explorer cell).

    A chapter whose explorer cell is not followed by a named figure gets the pseudo-name
    ``MISSING-TWIN-after-cell-N``, which the browser check reports as not found.
    """
    sys.path.insert(0, str(root / "_ext"))
    from book_toc import toc_chapters

    twins: dict[str, list[str]] = {}
    for rel in toc_chapters(root):
        nb = json.loads((root / rel).read_text(encoding="utf-8"))
        cells = nb["cells"]
        for i, cell in enumerate(cells):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] != "code" or not EXPLORER_CALL.search(src):
                continue
            nxt = next((c for c in cells[i + 1 :] if c["cell_type"] == "code"), None)
            name = ((nxt or {}).get("metadata", {}).get("mystnb", {})
                    .get("figure", {}).get("name"))
            twins.setdefault(rel.with_suffix(".html").as_posix(), []).append(
                name or f"MISSING-TWIN-after-cell-{i}")
    return twins


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Server:
    """``http.server`` on a free localhost port, serving one directory, in a daemon thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _is_local(url: str, base: str) -> bool:
    return url.startswith(base) or url.startswith(("data:", "blob:", "about:", "chrome"))


def _local_path(url: str, base: str, html: Path) -> tuple[Path, str]:
    """File and fragment of a URL under ``base`` (which maps to directory ``html``)."""
    parsed = urllib.parse.urlsplit(url)
    rel = urllib.parse.unquote(parsed.path)[len(urllib.parse.urlsplit(base).path) :]
    path = html / rel
    if rel == "" or rel.endswith("/"):
        path = path / "index.html"
    return path, urllib.parse.unquote(parsed.fragment)


def check_page(page, url: str, rel: str, html: Path, base: str, twins: list[str],
               visited_ids: dict[Path, set[str]], args) -> tuple[PageResult, dict]:
    result = PageResult(rel)
    t0 = time.perf_counter()
    page.navigate(url)
    mathjax = page.evaluate(SETTLE_JS, timeout=60)
    page.drain(0.15)  # late errors (timers, async scripts)
    dom = page.evaluate(f"{REPORT_JS}({json.dumps(twins)})")
    visited_ids[(html / rel).resolve()] = set(dom["ids"])

    # --- JavaScript errors and failed requests
    requests: dict[str, str] = {}
    for ev in page.events:
        m, p = ev["method"], ev.get("params", {})
        if m == "Network.requestWillBeSent":
            requests[p["requestId"]] = p["request"]["url"]
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text", "")
            result.errors.append(f"JavaScript exception: {text.splitlines()[0] if text else '?'}"
                                 f" ({d.get('url', '')}:{d.get('lineNumber', '?')})")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args_text = " ".join(str(a.get("value", a.get("description", "")))
                                 for a in p.get("args", []))
            result.errors.append(f"console.{p['type']}: {args_text[:200]}")
    external, failed_local = set(), []
    for ev in page.events:
        m, p = ev["method"], ev.get("params", {})
        if m == "Network.requestWillBeSent":
            u = p["request"]["url"]
            if not _is_local(u, base):
                external.add(u)
        elif m == "Network.loadingFailed":
            u = requests.get(p["requestId"], "?")
            if _is_local(u, base) and not p.get("canceled"):
                failed_local.append(f"{u} ({p.get('errorText')})")
        elif m == "Network.responseReceived":
            u, status = p["response"]["url"], p["response"].get("status", 0)
            if u == base + "favicon.ico":
                continue  # the browser asks for it by itself; the pages declare no favicon
            if _is_local(u, base) and status >= 400:
                failed_local.append(f"{u} (HTTP {status})")
    for item in failed_local:
        result.errors.append(f"failed to load {item.replace(base, '/')}")
    for ev in page.events:
        if ev["method"] == "Log.entryAdded":
            entry = ev["params"]["entry"]
            if entry.get("level") != "error":
                continue
            u = entry.get("url", "")
            if entry.get("source") == "network" and (u and not _is_local(u, base)):
                continue  # a blocked external request: listed below, not an error
            if entry.get("source") == "network":
                continue  # a failed local request: already reported above, with its URL
            result.errors.append(f"console error ({entry.get('source')}): "
                                 f"{entry.get('text', '')[:200]}")
    if external:
        sample = sorted(external)
        msg = (f"{len(sample)} external request(s) blocked: "
               + ", ".join(s[:80] for s in sample[:4]) + (" ..." if len(sample) > 4 else ""))
        (result.errors if args.no_external else result.notes).append(msg)

    # --- images
    for img in dom["images"]:
        if not img["loaded"]:
            result.errors.append(f"image not loaded: {img['src']} {img['where']}")
        if img["inContent"] and not (img["alt"] or "").strip():
            result.errors.append(f"image without alt text: {img['src']} {img['where']}")

    # --- math
    local_mathjax = any(_is_local(s, base) for s in dom["mathjaxSrc"])
    want_math = args.math == "require" or (args.math == "auto" and local_mathjax)
    m = dom["math"]
    if want_math and m["count"]:
        if mathjax != "typeset":
            result.errors.append(f"MathJax did not typeset the page ({mathjax}; "
                                 f"script: {dom['mathjaxSrc']})")
        for item in m["untypeset"][:5]:
            result.errors.append(f"equation not typeset: {item}")
        if len(m["untypeset"]) > 5:
            result.errors.append(f"... {len(m['untypeset']) - 5} more equations not typeset")
        for item in m["errors"][:5]:
            result.errors.append(f"MathJax error: {item}")
        bad_fonts = [f["family"] for f in m["fonts"] if f["status"] == "error"]
        if bad_fonts:
            result.errors.append(f"MathJax fonts failed to load: {sorted(set(bad_fonts))}")
        if mathjax == "typeset" and not any(f["status"] == "loaded" for f in m["fonts"]):
            result.errors.append("no MathJax font loaded")
        result.notes.append(f"{m['count']} equations typeset "
                            f"({sum(f['status'] == 'loaded' for f in m['fonts'])} MathJax fonts)")
    elif m["count"]:
        result.notes.append(f"math not checked ({m['count']} equations; MathJax from "
                            f"{dom['mathjaxSrc'] or 'nowhere'}, not served by this build)")

    # --- static twins of the explorers
    for twin in dom["twins"]:
        if not twin["found"]:
            result.errors.append(f"static twin of an explorer missing: #{twin['id']}")
        elif not (twin["visible"] and twin["image"]):
            result.errors.append(f"static twin #{twin['id']} not visible or its image not loaded")
        else:
            result.notes.append(f"static twin #{twin['id']} visible")

    # --- headings, figures, tables
    levels = [h["level"] for h in dom["headings"]]
    if levels.count(1) != 1:
        result.errors.append(f"{levels.count(1)} H1 in the content (expected 1): "
                             f"{[h['text'] for h in dom['headings'] if h['level'] == 1]}")
    prev = 0
    for h in dom["headings"]:
        if h["level"] > prev + 1:
            result.errors.append(f"heading level skipped: h{prev} -> h{h['level']} "
                                 f"'{h['text']}'")
        prev = h["level"]
    for fig in dom["figures"]:
        if not fig["caption"]:
            result.errors.append(f"figure without caption: {fig['id']}")
    for table in dom["tables"]:
        if not table["caption"]:
            msg = f"table without caption {table['where']}: '{table['firstRow']}'"
            (result.errors if args.require_table_captions else result.warnings).append(msg)

    # --- screenshots: the top of the page, and each static twin
    if args.screenshots:
        stem = rel.replace("/", "__").removesuffix(".html")
        for twin in dom["twins"]:
            if twin["found"]:
                page.evaluate(f"document.getElementById({json.dumps(twin['id'])})"
                              ".scrollIntoView({block: 'center'})")
                page.screenshot(Path(args.screenshots) / f"{stem}__{twin['id']}.png")
        page.evaluate("window.scrollTo(0, 0)")
        shot = Path(args.screenshots) / f"{stem}.png"
        page.screenshot(shot)
        result.screenshot = str(shot)
    result.seconds = time.perf_counter() - t0
    return result, dom


def check_links(rel: str, dom: dict, html: Path, base: str,
                visited_ids: dict[Path, set[str]]) -> list[str]:
    errors = []
    seen = set()
    for link in dom["links"]:
        raw, url = link["raw"], link["url"]
        if not raw or raw == "#" or raw.startswith(("javascript:", "mailto:", "data:")):
            continue
        if not url.startswith(base):
            continue  # an external link: not followed
        if url in seen:
            continue
        seen.add(url)
        path, fragment = _local_path(url, base, html)
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            errors.append(f"broken link: {raw} ('{link['text']}'): no file "
                          f"{path.relative_to(html) if path.is_relative_to(html) else path}")
            continue
        if fragment and path.suffix == ".html":
            ids = visited_ids.get(path.resolve())
            if ids is None:
                ids = file_ids(path.resolve())
            if fragment not in ids:
                errors.append(f"broken anchor: {raw} ('{link['text']}'): no id '{fragment}' "
                              f"in {path.relative_to(html)}")
    return errors


def run(html: Path, pages: list[str], args) -> list[PageResult]:
    html = html.resolve()
    twins_by_page = explorer_twins() if args.twins else {}
    missing = [p for p in pages if not (html / p).is_file()]
    pages = [p for p in pages if p not in missing]
    server = Server(html) if args.mode == "http" else None
    base = server.base if server else html.as_uri() + "/"
    visited_ids: dict[Path, set[str]] = {}
    doms: dict[str, dict] = {}
    results: dict[str, PageResult] = {
        p: PageResult(p, errors=[f"page not built: {html / p}"]) for p in missing}
    todo = list(pages)
    lock = threading.Lock()

    def worker() -> None:
        # One browser per worker: pages typeset in parallel on separate renderer processes.
        with Browser() as browser:
            page = browser.new_page()
            if args.mode == "file":
                page.set_offline(True)
            while True:
                with lock:
                    if not todo:
                        break
                    rel = todo.pop(0)
                url = base + urllib.parse.quote(rel)
                try:
                    result, dom = check_page(page, url, rel, html, base,
                                             twins_by_page.get(rel, []), visited_ids, args)
                    doms[rel] = dom
                except CDPError as exc:
                    result = PageResult(rel, errors=[f"browser: {exc}"])
                results[rel] = result
                print(f"  {rel}: {len(result.errors)} errors, {len(result.warnings)} "
                      f"warnings ({result.seconds:.1f} s)", file=sys.stderr, flush=True)
            page.close()

    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            worker()
        except BaseException as exc:  # a browser that does not start: reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=guarded) for _ in range(max(1, args.jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if server:
            server.close()
    if errors:
        raise errors[0]
    ordered = [results[p] for p in [*missing, *pages] if p in results]
    for result in ordered:
        if result.page in doms:
            result.errors += check_links(result.page, doms[result.page], html, base,
                                         visited_ids)
    return ordered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=Path("_build/html"))
    parser.add_argument("--mode", choices=("http", "file"), default="http")
    parser.add_argument("--math", choices=("auto", "require", "skip"), default="auto")
    parser.add_argument("--no-external", action="store_true",
                        help="any request to another host is an error (offline build)")
    parser.add_argument("--require-table-captions", action="store_true")
    parser.add_argument("--no-twins", dest="twins", action="store_false",
                        help="do not look for the static twins of the explorers")
    parser.add_argument("--pages", nargs="*", default=None,
                        help="pages relative to HTML_DIR (default: those of _toc.yml)")
    parser.add_argument("--screenshots", default=None,
                        help="folder for the screenshots (default: HTML_DIR/../screenshots; "
                             "'' for none)")
    parser.add_argument("--jobs", type=int, default=2, help="browsers in parallel (default 2)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the notes")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args(argv)
    if not chromium_available():
        if os.environ.get("CHROMIUM"):
            print(f"check_site: CHROMIUM={os.environ['CHROMIUM']} is not a file", file=sys.stderr)
            return 2
        print("check_site: SKIPPED, no Chromium at /usr/bin/chromium "
              "(install it with .ci/install_browser.sh)", file=sys.stderr)
        return 0
    if args.screenshots is None:
        args.screenshots = str(args.html.resolve().parent / "screenshots")
    pages = args.pages if args.pages is not None else toc_pages()
    print(f"check_site: {len(pages)} pages of {args.html} over {args.mode}, math {args.math}",
          file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    results = run(args.html, pages, args)
    elapsed = time.perf_counter() - t0

    n_err = sum(len(r.errors) for r in results)
    for r in results:
        if r.errors or r.warnings or (args.verbose and r.notes):
            print(f"\n{r.page}:")
            for e in r.errors:
                print(f"  ERROR   {e}")
            for w in r.warnings:
                print(f"  warning {w}")
            for n in r.notes if args.verbose else []:
                print(f"  note    {n}")
    print(f"\ncheck_site: {len(results)} pages, {n_err} errors, "
          f"{sum(len(r.warnings) for r in results)} warnings, {elapsed:.1f} s"
          + (f"; screenshots in {args.screenshots}" if args.screenshots else ""))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2) + "\n")
    return 1 if n_err else 0


if __name__ == "__main__":
    sys.exit(main())
