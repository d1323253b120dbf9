"""The documentation site builds with ``mkdocs build --strict`` and is self-contained.

Needs the ``docs`` extra (mkdocs-material, mkdocstrings[python], django-static-mathjax), which the
``test`` extra includes, so the README's test command runs this test; it is skipped, with the
reason, only where those packages are missing. The build takes about 3 s of CPU (12 s wall on a
loaded 2-core machine).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers", "mathjax")
MISSING = [m for m in NEEDED if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"docs extra not installed (no {', '.join(MISSING)}): pip install -e '.[docs]'"
)

HREF = re.compile(r'(?:href|src)="([^"]*)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stderr, r.stderr
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_local_link_and_script_of_the_site_resolves(site):
    broken = []
    for page in pages(site):
        if page.name == "404.html":  # served at any depth, so its links are absolute ("/assets/…")
            continue
        for ref in HREF.findall(page.read_text(encoding="utf-8")):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {ref}")
    assert broken == []


def test_no_script_or_style_comes_from_the_network(site):
    remote = [(p.relative_to(site), s) for p in pages(site)
              for s in re.findall(r'<(?:script|link)[^>]*(?:src|href)="(https?://[^"]+)"', p.read_text(encoding="utf-8"))]
    assert remote == []


def test_mathjax_is_served_from_the_site_with_textmacros(site):
    assert (site / "assets/mathjax/tex-chtml.js").stat().st_size > 500_000
    assert (site / "assets/mathjax/input/tex/extensions/textmacros.js").is_file()
    assert any((site / "assets/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    config = (site / "javascripts/mathjax-config.js").read_text(encoding="utf-8")
    assert '"[tex]/textmacros"' in config and '["textmacros"]' in config
    theory = (site / "theory/index.html").read_text(encoding="utf-8")
    assert "javascripts/mathjax-config.js" in theory and "assets/mathjax/tex-chtml.js" in theory
    assert theory.index("mathjax-config.js") < theory.index("tex-chtml.js")  # configuration first
    assert r"\texttt{in\_var}" in theory  # handed to MathJax intact; textmacros renders \_


def test_proofs_and_campaigns_are_pages_of_the_site(site):
    assert "two steps" in (site / "proofs/limit_t2/index.html").read_text(encoding="utf-8")
    assert "fig3.toml" in (site / "verify/index.html").read_text(encoding="utf-8")
    assert (site / "verify/fig3.toml").is_file() and (site / "proofs/derivation_L2_t2.tex").is_file()
    # docs/claims/theorem3.md links ../../proofs/limit_t2.md (right on a repository browser);
    # on the site the link goes to the copy.
    assert 'href="../../proofs/limit_t2/"' in (site / "claims/theorem3/index.html").read_text(encoding="utf-8")


def test_api_pages_document_every_public_name(site):
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import polylr_site
    finally:
        sys.path.pop(0)
    names = [*polylr_site.exports(ROOT / "polylr" / "__init__.py", "polylr"),
             *polylr_site.exports(ROOT / "polylr" / "testing" / "__init__.py", "polylr.testing")]
    assert len(names) > 80
    missing = []
    for module, name in names:
        layer = "testing" if module.startswith("polylr.testing") else module.split(".")[1]
        html = (site / "api" / layer / "index.html").read_text(encoding="utf-8")
        if f'id="{module}.{name}"' not in html:
            missing.append(f"{module}.{name}")
    assert missing == []
    # A docstring made it onto the page (not just the name).
    assert "Global minimiser" in (site / "api/analysis/index.html").read_text(encoding="utf-8") or \
        "certified" in (site / "api/analysis/index.html").read_text(encoding="utf-8")
