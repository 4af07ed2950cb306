"""`make check`'s type half: mypy on the tree, then the ratchet — every module on the list of modules
not yet clean (pyproject.toml, a mypy override with `ignore_errors = true`) must still have errors of
its own, so the list only shrinks. With no such list (every module clean) mypy alone decides. Exits
non-zero on either failure."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIST_LINE = "\nignore_errors = true\n"


def not_yet_clean(pyproject_text: str) -> list[str]:
    """The modules of the `ignore_errors` override; none when there is no such override."""
    config = tomllib.loads(pyproject_text)
    lists = [o["module"] for o in config["tool"]["mypy"].get("overrides", []) if o.get("ignore_errors")]
    if len(lists) > 1:
        raise SystemExit("pyproject.toml: expected at most one mypy override with ignore_errors = true")
    if not lists:
        return []
    return [lists[0]] if isinstance(lists[0], str) else list(lists[0])


def modules_with_errors(mypy_output: str) -> set[str]:
    """Module names of the files mypy reported errors in ("db/x/__init__.py:3: error:" → "db.x")."""
    found = set()
    for line in mypy_output.splitlines():
        hit = re.match(r"([\w/]+)\.py:\d+: error:", line)
        if hit:
            found.add(hit.group(1).removesuffix("/__init__").replace("/", "."))
    return found


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=REPO, capture_output=True, text=True)


def main() -> int:
    done = mypy()
    sys.stdout.write(done.stdout + done.stderr)
    if done.returncode != 0:
        return 1
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    listed = not_yet_clean(text)
    if not listed:
        print("Ratchet: no modules listed as not yet clean; mypy checks them all.")
        return 0
    # The list is lifted by rewriting its one line, so that line must be unambiguous.
    if text.count(LIST_LINE) != 1:
        print("pyproject.toml: expected exactly one 'ignore_errors = true' line (the list of modules not yet clean)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        lifted = Path(tmp) / "pyproject.toml"
        lifted.write_text(text.replace(LIST_LINE, "\nignore_errors = false\n"), encoding="utf-8")
        errors = modules_with_errors(mypy("--config-file", str(lifted)).stdout)
    clean_now = [name for name in listed if name not in errors]
    if clean_now:
        print("These modules are clean now; remove them from the ignore_errors list in pyproject.toml:",
              ", ".join(clean_now))
        return 1
    print(f"Ratchet: {len(listed)} modules not yet clean, each still with errors.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
