"""The package's shape: no import circle between course_lib's modules, no module reaching into another
module's private (``_name``) names. Read from the source (``ast``), every import counted — also those
inside functions, since a lazy import still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_lib"

#: Circles known and not yet broken, with why: none left (add one only with its reason).
KNOWN_CIRCLES: set[frozenset[str]] = set()


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path = ROOT, package: str = "course_lib") -> tuple[dict[str, set[str]], list[str]]:
    """``(module -> the package's modules it imports, private names imported from another module)``."""
    files = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    edges: dict[str, set[str]] = {name: set() for name in files}
    private = []
    for name, path in files.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges[name] |= {a.name for a in node.names if a.name in files}
            elif isinstance(node, ast.ImportFrom):
                base = (".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else []))
                        if node.level else node.module or "")
                for alias in node.names:
                    if f"{base}.{alias.name}" in files:      # `from . import registry`: a module
                        edges[name].add(f"{base}.{alias.name}")
                        continue
                    if base in files:
                        edges[name].add(base)
                        if alias.name.startswith("_") and not alias.name.startswith("__") and base != name:
                            private.append(f"{name} imports {base}.{alias.name}")
        edges[name].discard(name)
    return edges, private


def circles(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    """The modules of each import circle (strongly connected component of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:               # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle():
    edges, _ = imports()
    assert "course_lib.clean" in edges["course_lib.data.sources"]  # the walk sees lazy imports
    assert circles(edges) <= KNOWN_CIRCLES, sorted(sorted(c) for c in circles(edges) - KNOWN_CIRCLES)


def test_no_module_imports_another_modules_private_name():
    _, private = imports()
    assert private == []


def test_the_checks_see_a_circle_and_a_private_import(tmp_path):
    """What the two tests above would have said about the package before issue 23's fixes."""
    (tmp_path / "pkg" / "data").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "data" / "__init__.py").write_text("from .sources import load\n")
    (tmp_path / "pkg" / "data" / "sources.py").write_text(
        "def load():\n    from ..text import key\n    return key\n")
    (tmp_path / "pkg" / "text.py").write_text(
        "from .markdown import _ATX\n\ndef key():\n    from .data import load\n    return load\n")
    (tmp_path / "pkg" / "markdown.py").write_text("_ATX = 1\n")
    edges, private = imports(tmp_path, "pkg")
    assert circles(edges) == {frozenset({"pkg.data", "pkg.data.sources", "pkg.text"})}
    assert private == ["pkg.text imports pkg.markdown._ATX"]


def test_one_heading_walker_with_commonmark_fences():
    """A ```` fence holding a ``` line hides the heading inside it from MyST; i18n's old walker (a fence
    toggled by any ``` line) gave it an anchor that the page does not have, the recipes' walker did not."""
    import nbformat

    from course_lib import i18n
    from course_lib.markdown import anchored_headings

    cell = "# Title\n\n````\n```\n\n# inside a fence\n\n```\n````\n\n## After"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(cell)])
    assert i18n.heading_anchors(nb) == ["title", "after"]
    assert [a for a, _ in anchored_headings([cell])] == ["title", "after"]
