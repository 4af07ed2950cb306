"""The layers import one way only: ui → db → matching → core. Parsed from the source, not imported."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OURS = ("core", "matching", "db", "ui")
# what each layer may import of ours (itself included)
ALLOWED = {
    "core": {"core"},
    "matching": {"core", "matching"},
    "db": {"core", "matching", "db"},
    "ui": {"core", "matching", "db", "ui"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def wrong_arrows() -> list[str]:
    wrong = []
    for layer in OURS:
        for path in sorted((REPO / layer).rglob("*.py")):
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top in OURS and top not in ALLOWED[layer]:
                    wrong.append(f"{path.relative_to(REPO)}:{line} {layer} imports {module}")
    return wrong


def test_imports_point_one_way() -> None:
    assert wrong_arrows() == []


def test_no_sql_or_qt_in_core() -> None:
    for path in sorted((REPO / "core").rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            assert top not in {"sqlalchemy", "PySide6", "shiboken6", "pandas"}, f"{path.name}:{line} imports {module}"


def test_no_sql_or_qt_in_matching() -> None:
    for path in sorted((REPO / "matching").rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            assert top not in {"sqlalchemy", "PySide6", "shiboken6"}, f"{path.name}:{line} imports {module}"


def test_the_checker_sees_a_wrong_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from db.models import Trainee\nimport ui.app\n", encoding="utf-8")
    assert [m for _, m in _imports(bad)] == ["db.models", "ui.app"]


# --- the acting user is explicit in ui/ ---------------------------------------------------------------
# SYSTEM (full rights) acts only where a database has no user yet: the first start decides that once
# (ui/login_dialog.py, ui/app.py) and the self-test builds its own throw-away database.
SYSTEM_ALLOWED = {"ui/login_dialog.py", "ui/app.py", "ui/selftest.py"}


def _is_system(node: ast.AST | None) -> bool:
    return (isinstance(node, ast.Name) and node.id == "SYSTEM") or \
        (isinstance(node, ast.Attribute) and node.attr == "SYSTEM")


def system_fallbacks(path: Path) -> list[str]:
    """Every parameter defaulting to SYSTEM and every ``… or SYSTEM`` / ``getattr(…, SYSTEM)`` /
    ``… if … else SYSTEM`` fallback in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            found += [f"{path.name}:{d.lineno} a parameter defaults to SYSTEM" for d in defaults if _is_system(d)]
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and any(map(_is_system, node.values)):
            found.append(f"{path.name}:{node.lineno} falls back to SYSTEM with 'or'")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and any(map(_is_system, node.args)):
            found.append(f"{path.name}:{node.lineno} falls back to SYSTEM with getattr")
        elif isinstance(node, ast.IfExp) and (_is_system(node.body) or _is_system(node.orelse)):
            found.append(f"{path.name}:{node.lineno} falls back to SYSTEM with 'if … else'")
    return found


def test_no_system_fallback_in_ui() -> None:
    found = [f for path in sorted((REPO / "ui").rglob("*.py")) for f in system_fallbacks(path)]
    assert found == []


def test_system_acts_only_for_a_database_without_users() -> None:
    users = sorted(str(path.relative_to(REPO)) for path in (REPO / "ui").rglob("*.py")
                   if any(_is_system(n) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))))
    assert set(users) <= SYSTEM_ALLOWED, users


def test_the_checker_sees_a_system_fallback(tmp_path: Path) -> None:
    bad = tmp_path / "page.py"
    bad.write_text("from core.access import SYSTEM, Actor\n"
                   "import core.access\n"
                   "def page(db, actor: Actor = SYSTEM): ...\n"
                   "def dialog(db, *, actor=core.access.SYSTEM): ...\n"
                   "def who(window):\n"
                   "    a = window.actor or SYSTEM\n"
                   "    b = getattr(window, 'actor', SYSTEM)\n"
                   "    return a if a else SYSTEM\n"
                   "def fine(db, actor: Actor): return actor\n", encoding="utf-8")
    assert [f.split(" ", 1)[0] for f in system_fallbacks(bad)] == \
        ["page.py:3", "page.py:4", "page.py:6", "page.py:7", "page.py:8"]


if __name__ == "__main__":
    print("\n".join(wrong_arrows()) or "one way")
