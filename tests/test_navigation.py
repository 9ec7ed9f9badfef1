"""Every page is declared once (`navigation.PAGES`) and starts with the guard that runs it through app.py.

The browser tests (tests/e2e/test_fresh_server.py) show the guard works on a freshly started server; these
checks catch a page added without it, which would break only on a fresh server."""

from __future__ import annotations

import ast
from pathlib import Path

from tagger.ui import navigation

REPO = Path(__file__).resolve().parents[1]


def test_pages_folder_and_navigation_list_agree():
    declared = [p.path for p in navigation.PAGES]
    assert sorted(declared) == sorted(f"pages/{f.name}" for f in (REPO / "pages").glob("*.py"))
    assert len(set(declared)) == len(declared)
    assert [p.title for p in navigation.PAGES if p.default] == ["Suggest"]
    assert [p.url for p in navigation.PAGES] == ["", *[Path(p.path).stem for p in navigation.PAGES[1:]]]


def _first_statement_after_imports(path: Path) -> ast.stmt:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    i = 0
    while isinstance(body[i], (ast.Import, ast.ImportFrom)):
        i += 1
    return body[i]


def test_every_page_starts_with_the_guard():
    for spec in navigation.PAGES:
        first = _first_statement_after_imports(REPO / spec.path)
        assert ast.unparse(first) == "navigation.guard()", f"{spec.path} must start with navigation.guard()"


def test_the_entry_point_runs_pages_through_navigation():
    source = (REPO / "app.py").read_text(encoding="utf-8")
    assert navigation.ENTRY_POINT == REPO / "app.py"
    assert "navigation.navigate()" in source and "navigation.run(page)" in source
    assert ".run()" not in source.replace("navigation.run(page)", "")  # no page run around the guard's back
