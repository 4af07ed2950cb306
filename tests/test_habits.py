"""The habits that keep the code clean. ruff runs here (well under a second), so `make test` alone keeps
the lint clean; mypy takes 30–80 s on a cold cache, so it runs in `make check` (tools/check_types.py),
which `.ci/run` runs before the tests. What is cheap about the mypy ratchet is checked here."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tools.check_types import modules_with_errors, not_yet_clean

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = (REPO / "pyproject.toml").read_text(encoding="utf-8")


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_ruff_passes_on_the_tree() -> None:
    done = _ruff(".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_sees_an_unused_import_and_an_unused_noqa(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\nx = 1  # noqa: E501\n", encoding="utf-8")
    done = _ruff("--config", str(REPO / "pyproject.toml"), str(bad))
    assert done.returncode == 1 and "F401" in done.stdout and "RUF100" in done.stdout


def test_modules_not_yet_clean_are_named_one_by_one() -> None:
    names = not_yet_clean(PYPROJECT)
    assert names == sorted(names) and len(set(names)) == len(names)
    for name in names:
        assert "*" not in name, f"{name}: a pattern would let new modules in unchecked"
        path = REPO / name.replace(".", "/")
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), f"{name}: no such module"
        assert name.split(".")[0] not in {"core", "matching"}, f"{name}: core/ and matching/ are strict, no exceptions"


def _override(module: str, flag: str) -> str:
    return f"[[tool.mypy.overrides]]\nmodule = {module}\n{flag} = true\n"


def test_the_ratchet_reads_no_list_as_every_module_clean_and_a_list_by_name() -> None:
    base = '[tool.mypy]\nfiles = ["ui"]\n'
    assert not_yet_clean(base) == []
    assert not_yet_clean(base + _override('["pandas"]', "ignore_missing_imports")) == []
    listed = base + _override('["ui.a", "ui.b"]', "ignore_errors")
    assert not_yet_clean(listed) == ["ui.a", "ui.b"]
    assert not_yet_clean(base + _override('"ui.a"', "ignore_errors")) == ["ui.a"]
    with pytest.raises(SystemExit, match="at most one"):
        not_yet_clean(listed + _override('["ui.c"]', "ignore_errors"))


def test_the_ratchet_reads_module_names_from_mypy_output() -> None:
    output = ("db/services/exchange/__init__.py:898: error: Value of type ...  [type-var]\n"
              "ui/selftest.py:146: error: Item \"None\" ...  [union-attr]\n"
              "ui/selftest.py:146: note: See https://mypy.readthedocs.io\n"
              "Found 2 errors in 2 files (checked 80 source files)\n")
    assert modules_with_errors(output) == {"db.services.exchange", "ui.selftest"}


def test_core_and_matching_are_strict() -> None:
    mypy = tomllib.loads(PYPROJECT)["tool"]["mypy"]
    strict = [o for o in mypy["overrides"] if "core.*" in o["module"]]
    assert len(strict) == 1 and set(strict[0]["module"]) == {"core", "core.*", "matching", "matching.*"}
    for flag in ("disallow_any_generics", "warn_return_any", "disallow_untyped_calls"):
        assert strict[0][flag] is True
    assert mypy["warn_unused_ignores"] is True  # global: a stale `type: ignore` is an error everywhere
