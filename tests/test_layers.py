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


if __name__ == "__main__":
    print("\n".join(wrong_arrows()) or "one way")
