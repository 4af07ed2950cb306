"""The command line: demo, bad databases and unknown commands give one clear sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          env=full_env, cwd=REPO, timeout=300)


def test_demo_fills_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    result = run("--db", url, "demo", "--trainees", "200", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "学员 200 人" in result.stdout
    assert "太少" in result.stdout and "规则评分" in result.stdout  # 200 trainees: too little to learn from
    again = run("--db", url, "demo", "--trainees", "200")
    assert again.returncode == 1
    assert "已有学员" in again.stderr and "Traceback" not in again.stderr


def test_the_default_demo_ends_with_the_learned_matcher_at_work(tmp_path: Path) -> None:
    """`demo` trains on the history it made: the learned model beats the rule-based score and is
    active, and the sentence says which family was chosen on which figures."""
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    result = run("--db", url, "demo")
    assert result.returncode == 0, result.stderr
    assert "已启用" in result.stdout and "选用" in result.stdout and "对数损失" in result.stdout
    from db.engine import open_database
    from db.services import matching as matching_service
    database = open_database(url)
    try:
        assert matching_service.active_model(database).learned
    finally:
        database.dispose()


def test_file_of_another_program_exits_2_with_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("meeting notes", encoding="utf-8")
    result = run("--db", f"sqlite:///{path}", "demo")
    assert result.returncode == 2
    assert "不是 LaborBridge 数据库" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_text(encoding="utf-8") == "meeting notes"


def test_unknown_command_is_explained() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "未知命令" in result.stderr and "Traceback" not in result.stderr


def test_english_on_request(tmp_path: Path) -> None:
    result = run("--lang", "en", "--db", "sqlite:////nonexistent/dir/x.sqlite3", "demo")
    assert result.returncode == 2
    assert "Cannot open the database" in result.stderr


def test_a_reader_that_stops_reading_is_no_failure(demo_db) -> None:  # type: ignore[no-untyped-def]
    """`households alerts | head`: the command did its work; no "操作失败", no traceback, nothing in the log."""
    url = str(demo_db.engine.url)
    demo_db.dispose()
    for args in (["households", "alerts"], ["batch", "list"]):
        proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), "--db", url, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # gone before the first line is written
        err = proc.stderr.read()
        proc.stderr.close()
        assert proc.wait(timeout=300) == 1
        assert "错误" not in err and "Traceback" not in err and "BrokenPipe" not in err, err
