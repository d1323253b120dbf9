"""Every relative Markdown link in docs/*.md, docs/claims/*.md and docs/api/*.md points to an existing file.

Links inside fenced code blocks and inline code are ignored; links with a scheme (``https:``,
``mailto:``) and pure in-page anchors (``#section``) are not checked. The anchor part of a
relative link (``page.md#section``) is dropped: only the file must exist.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted([*DOCS.glob("*.md"), *DOCS.glob("claims/*.md"), *DOCS.glob("api/*.md")])

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target) or ![alt](target), target up to whitespace or ')'; optional "title" ignored.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def relative_links(text: str) -> list[str]:
    """The relative link targets of a Markdown text, outside code."""
    text = FENCE.sub("", text)
    text = INLINE_CODE.sub("", text)
    targets = []
    for target in LINK.findall(text):
        if SCHEME.match(target) or target.startswith("#"):
            continue
        targets.append(target)
    return targets


def broken_links(page: Path) -> list[str]:
    out = []
    for target in relative_links(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not (page.parent / path).exists():
            out.append(target)
    return out


def test_there_are_pages():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.md", "theory.md", "cli.md", "api/index.md", "testing.md", "derivations.md"} <= names
    assert {"claims/theorem1.md", "claims/sp.md", "claims/ntp.md", "claims/degree.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_relative_links_point_to_existing_files(page):
    assert broken_links(page) == [], f"{page.relative_to(DOCS)} links to missing files"


def test_the_checker_sees_links_and_skips_code_and_urls(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(
        "[ok](p.md) [gone](missing.md#x) ![img](gone.png) [web](https://example.org/x.md) [in](#top)\n"
        "`[code](nope.md)`\n```\n[fenced](nope2.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["missing.md#x", "gone.png"]


def test_readme_lists_every_registered_claim():
    """The README's ``polylr check --list`` row names exactly the registered claims (it had fallen
    behind: 12 of 22)."""
    import polylr.claims  # noqa: F401  (registers the claims)
    from polylr.claims.base import REGISTRY

    row = next(line for line in (DOCS.parent / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `polylr check --list` |"))
    named = re.findall(r"`([a-z0-9.\-]+)`", row.split("|")[2])
    assert sorted(named) == sorted(REGISTRY), set(named) ^ set(REGISTRY)
