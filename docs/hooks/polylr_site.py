"""MkDocs hooks of polylr's site (``hooks:`` in mkdocs.yml). Three jobs, none needing the network:

1. ``proofs/`` and ``verify/`` (beside ``docs/``, outside ``docs_dir``) become part of the site under
   the same names; a link such as ``../proofs/limit_t2.md`` in a page is rewritten to the copy, so
   the pages also read right on a repository browser.
2. The API pages ``docs/api/<layer>.md`` get one ``::: module.name`` block (mkdocstrings) per
   public name that ``polylr/__init__.py`` re-exports from that layer, appended to the page's text
   (``testing``: ``polylr.testing``'s names). A name exported tomorrow appears without editing a page.
3. MathJax 3 (with the ``textmacros`` extension) is copied from the Python package
   ``django-static-mathjax`` (the ``docs`` extra) into ``assets/mathjax/``: no CDN.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("proofs", "verify")  # folders beside docs/ that the site includes
LAYERS = ("core", "engines", "analysis", "claims", "report", "testing")
MATHJAX_FILES = ("tex-chtml.js", "input/tex/extensions/textmacros.js", "output/chtml/fonts/woff-v2")


def exports(init: Path, package: str) -> list[tuple[str, str]]:
    """``(module, name)`` for each ``from .module import name as name`` of ``init``, in order."""
    out = []
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):  # also inside `if TYPE_CHECKING:`
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out += [(f"{package}.{node.module}", a.name) for a in node.names]
    return out


def api_blocks() -> dict[str, str]:
    """Markdown appended to ``api/<layer>.md``: a section per module, a ``:::`` block per name."""
    by_layer: dict[str, dict[str, list[str]]] = {layer: {} for layer in LAYERS}
    for module, name in exports(ROOT / "polylr" / "__init__.py", "polylr"):
        layer = module.split(".")[1]
        if layer not in by_layer:
            raise PluginError(f"polylr docs: polylr exports {name} from {module}, a layer without an API page; "
                              f"add docs/api/{layer}.md, a nav entry in mkdocs.yml and '{layer}' to LAYERS in {__file__}")
        by_layer[layer].setdefault(module, []).append(name)
    for module, name in exports(ROOT / "polylr" / "testing" / "__init__.py", "polylr.testing"):
        by_layer["testing"].setdefault(module, []).append(name)
    blocks = {}
    for layer, modules in by_layer.items():
        lines = [""]
        for module, names in modules.items():
            lines += [f"## `{module}`", ""] + [f"::: {module}.{name}\n" for name in names]
        blocks[f"api/{layer}.md"] = "\n".join(lines)
    return blocks


def mathjax_root() -> Path:
    try:
        import mathjax  # the package django-static-mathjax (docs extra)
    except ImportError:
        raise SystemExit("polylr docs: MathJax is served from the package django-static-mathjax; "
                         "install the docs extra: pip install -e '.[docs]'") from None
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def on_files(files: Files, config) -> Files:
    for folder in OUTSIDE:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files.append(File.generated(config, path.relative_to(ROOT).as_posix(), abs_src_path=str(path)))
    es5 = mathjax_root()
    for item in MATHJAX_FILES:
        for path in sorted([es5 / item] if (es5 / item).is_file() else (es5 / item).iterdir()):
            files.append(File.generated(config, f"assets/mathjax/{path.relative_to(es5).as_posix()}",
                                        abs_src_path=str(path)))
    return files


LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Append the API blocks to the API pages; links that leave docs_dir for proofs/ or verify/
    point at their copies inside the site."""
    markdown += api_blocks().get(page.file.src_uri, "")
    docs = Path(config["docs_dir"]).resolve()
    real = Path(page.file.abs_src_path).resolve().parent if page.file.abs_src_path else docs
    here = docs / Path(page.file.src_uri).parent

    def fix(m: re.Match) -> str:
        target = m.group(1)
        if "://" in target or target.startswith(("/", "mailto:")):
            return m.group(0)
        resolved = Path(os.path.normpath(real / target))
        try:
            rel = resolved.relative_to(ROOT)
        except ValueError:
            return m.group(0)
        if rel.parts[:1] and rel.parts[0] in OUTSIDE:
            new = os.path.relpath(docs / rel, here).replace(os.sep, "/")
            return f"]({new}{m.group(2) or ''})"
        return m.group(0)

    return LINK.sub(fix, markdown)
