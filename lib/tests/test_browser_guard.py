"""The browser test (``make test-browser``, ``tools/check_site.py``) catches what it must.

A small page set is built with the book's theme (Sphinx, ``sphinx_book_theme``, MyST) into a
temporary folder: two pages, a figure with a caption and an image, an equation, a link to an
anchor of the other page. The checker passes on it; then three copies are broken, one way each
(an image that does not load, an internal link to an anchor that does not exist and one to a
missing page, a script that throws), and the checker must report each, and exit non-zero.
Skipped when Debian's Chromium is not installed (``.ci/install_browser.sh``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import check_site  # noqa: E402
from cdp import chromium_available  # noqa: E402

pytestmark = pytest.mark.skipif(not chromium_available(),
                                reason="no Chromium at /usr/bin/chromium (.ci/install_browser.sh)")

CONF = """
project = "guard"
extensions = ["myst_parser"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
html_theme = "sphinx_book_theme"
html_context = {"default_mode": "light"}
html_static_path = []
"""
INDEX = """
# Guard home

Some text with math $a^2 + b^2$ and a [link to section two](page.md#section-two).

```{toctree}
page
```
"""
PAGE = """
# Guard page

## Section two

```{figure} dot.png
:alt: A small blue square.
:name: fig-dot

A caption for the figure.
```
"""
PAGES = ["index.html", "page.html"]


def _png(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1), dpi=40)
    ax.add_patch(plt.Rectangle((0, 0), 1, 1, color="tab:blue"))
    ax.set_axis_off()
    fig.savefig(path, facecolor="white")
    plt.close(fig)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("guard-src")
    (src / "conf.py").write_text(CONF)
    (src / "index.md").write_text(INDEX)
    (src / "page.md").write_text(PAGE)
    _png(src / "dot.png")
    out = tmp_path_factory.mktemp("guard-html")
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(src), str(out)],
                   check=True)
    return out


def _check(html: Path, tmp_path: Path, capsys) -> tuple[int, str]:
    code = check_site.main([str(html), "--pages", *PAGES, "--math", "skip", "--no-twins",
                            "--jobs", "1", "--screenshots", str(tmp_path / "shots")])
    return code, capsys.readouterr().out


def _copy(site: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(site, tmp_path / "html"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(old, text), f"{old!r} not in {path.name}"
    path.write_text(re.sub(old, new, text, count=1), encoding="utf-8")


def test_clean_pages_pass(site, tmp_path, capsys):
    code, out = _check(_copy(site, tmp_path), tmp_path, capsys)
    assert code == 0, out
    assert "2 pages, 0 errors" in out
    assert (tmp_path / "shots" / "index.png").stat().st_size > 1000


def test_broken_image_is_reported(site, tmp_path, capsys):
    html = _copy(site, tmp_path)
    _edit(html / "page.html", r'src="_images/dot\.png"', 'src="_images/missing.png"')
    code, out = _check(html, tmp_path, capsys)
    assert code == 1, out
    assert "image not loaded: _images/missing.png" in out
    assert "failed to load /_images/missing.png (HTTP 404)" in out


def test_broken_internal_links_are_reported(site, tmp_path, capsys):
    html = _copy(site, tmp_path)
    _edit(html / "index.html", r'href="page\.html#section-two"', 'href="page.html#no-such-id"')
    _edit(html / "page.html", r'(<a\b[^>]*)href="index\.html"', r'\1href="missing-page.html"')
    code, out = _check(html, tmp_path, capsys)
    assert code == 1, out
    assert "broken anchor: page.html#no-such-id" in out
    assert "broken link: missing-page.html" in out


def test_javascript_error_is_reported(site, tmp_path, capsys):
    html = _copy(site, tmp_path)
    _edit(html / "index.html", r"</body>",
          '<script>throw new Error("injected failure");</script></body>')
    code, out = _check(html, tmp_path, capsys)
    assert code == 1, out
    assert "JavaScript exception: Error: injected failure" in out


def test_every_explorer_has_a_static_twin():
    """The chapters' explorer cells are each followed by a named figure (the static twin)."""
    twins = check_site.explorer_twins()
    assert twins, "no explorer found in the chapters"
    missing = {page: names for page, names in twins.items()
               if any(n.startswith("MISSING-TWIN") for n in names)}
    assert not missing, f"explorer cells without a static-twin figure after them: {missing}"
