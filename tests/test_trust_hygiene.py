"""Trust, second round (issue #20), item 8: text hygiene on every input path, dates that must be past,
oversized cells named as such, nothing left behind on a full disk."""

from __future__ import annotations

import csv
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.access import SYSTEM
from core.fields import check_name, clean_text, id_check_char
from core.i18n import UserError
from db.engine import open_database
from db.models import Certificate, Trainee
from db.services import demo, registry
from db.services.exchange import import_roster
from db.services.exchange.export import export_roster
from db.services.registry import CertificateInput, FormErrors
from tests.conftest import REPO

RLO, ZWSP, ZWJ, LRI, PDI, BOM = "\u202e", "\u200b", "\u200d", "\u2066", "\u2069", "\ufeff"


def make_id(n: int) -> str:
    first17 = f"6321261990031{n:04d}"
    return first17 + id_check_char(first17)


def _write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _trainees(database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return {i: n for i, n in s.execute(select(Trainee.id_number, Trainee.name))}


def test_invisible_characters_are_removed_by_the_one_cleaner() -> None:
    assert clean_text(f"张{RLO}三{ZWSP}") == "张三"
    assert check_name(f"{LRI}马{ZWJ}阿依古丽{PDI}") == "马阿依古丽"
    assert clean_text(f"{BOM}6321{ZWSP}26") == "632126"


def test_a_name_with_bidi_controls_imports_without_them_and_exports_clean(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spoofed = f"李{RLO}英秀"
    roster = _write_csv(tmp_path / "r.csv", [["姓名", "身份证号", "结业日期"],
                                             [spoofed, make_id(1), "2024-06-30"],
                                             [f"王{ZWSP}芳", f"{make_id(2)[:6]}{ZWJ}{make_id(2)[6:]}", "2024-06-30"]])
    result = import_roster(database, "trainees", roster, SYSTEM)
    assert result.errors == [] and result.inserted == 2
    stored = _trainees(database)
    assert stored == {make_id(1): "李英秀", make_id(2): "王芳"}
    out = tmp_path / "out.xlsx"
    export_roster(database, "trainees", out, SYSTEM)
    book = openpyxl.load_workbook(out, read_only=True)
    text = "".join(str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c)
    book.close()
    assert not any(ch in text for ch in (RLO, ZWSP, ZWJ))


def test_the_trainee_form_removes_them_too(database) -> None:  # type: ignore[no-untyped-def]
    tid = registry.save_trainee(database, SYSTEM, {"name": f"{RLO}张三", "id_number": f"{make_id(3)}{ZWSP}"})
    detail = registry.trainee_detail(database, SYSTEM, tid)
    assert detail.values["name"] == "张三" and detail.values["id_number"] == make_id(3)


def test_a_graduation_date_in_2099_is_a_row_error(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = _write_csv(tmp_path / "r.csv", [["姓名", "身份证号", "结业日期"],
                                             ["张三", make_id(4), "2099-06-30"],
                                             ["李四", make_id(5), "2024-06-30"]])
    result = import_roster(database, "trainees", roster, SYSTEM)
    assert result.rejected_rows == [2] and result.inserted == 1
    issue = result.errors[0]
    assert issue.column == "结业日期" and "晚于今天" in issue.reason and "2099-06-30" in issue.reason
    assert set(_trainees(database)) == {make_id(5)}


def test_graduating_or_certifying_in_the_future_is_refused(database) -> None:  # type: ignore[no-untyped-def]
    tid = registry.save_trainee(database, SYSTEM, {"name": "张三", "id_number": make_id(6), "school": "县职校"})
    cohort = registry.create_cohort(database, SYSTEM, school="县职校", name="养老一班", skill="elderly_care")
    registry.enrol(database, SYSTEM, cohort, [tid])
    with pytest.raises(FormErrors) as future_day:
        registry.graduate(database, SYSTEM, cohort, [tid], "2099-07-01")
    assert "晚于今天" in str(future_day.value.errors["graduation_date"])
    import datetime as dt
    with pytest.raises(FormErrors) as future_cert:
        registry.graduate(database, SYSTEM, cohort, [tid], "2024-07-01", [CertificateInput(
            tid, "CERT-1", "training", issue_date=dt.date(2099, 1, 1))])
    assert "晚于今天" in future_cert.value.errors[f"cert:{tid}"]
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == 0  # nothing written
        assert s.scalar(select(Trainee.graduation_date).where(Trainee.id == tid)) is None


def test_a_10_mb_csv_cell_is_named_as_oversized(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = _write_csv(tmp_path / "big.csv", [["姓名", "身份证号", "备注"], ["张三", make_id(7), "x" * 10_000_000]])
    with pytest.raises(UserError) as refused:
        import_roster(database, "trainees", roster, SYSTEM)
    message = str(refused.value)
    assert "单元格过大" in message and "第 2 行" in message and "损坏" not in message
    assert refused.value.code == 2
    assert _trainees(database) == {}


def _limited(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_backup_or_an_export_on_a_full_disk_leaves_nothing(tmp_path: Path) -> None:
    """A full disk (the process's file-size limit, so writes fail as on a full disk) at several points
    of the writing: one sentence, exit 2, and no file at all in the folder (no .partial-journal)."""
    db_file = tmp_path / "lb.sqlite3"
    database = open_database(f"sqlite:///{db_file}")
    demo.load_demo(database, trainees=300, seed=5)
    database.dispose()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    size = db_file.stat().st_size
    jobs = [(limit, ["backup", str(out_dir / "b.sqlite3")]) for limit in (256 * 1024, size // 2, size - 4096)]
    jobs += [(limit, ["export", "trainees", str(out_dir / "t.xlsx")]) for limit in (65_536, 100_000)]
    jobs += [(65_536, ["print-list", "--from", "2020-01-01", "--to", "2026-12-31", "--xlsx", str(out_dir / "l.xlsx")])]
    env = {**os.environ, "LABORBRIDGE_LANG": "zh", "LABORBRIDGE_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "data").mkdir()
    for limit, args in jobs:
        proc = subprocess.run([sys.executable, str(REPO / "main.py"), "--db", f"sqlite:///{db_file}", *args],
                              capture_output=True, text=True, env=env, timeout=120, preexec_fn=_limited(limit))
        assert proc.returncode == 2, (limit, args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "无法写入" in proc.stderr, (limit, args)
        assert list(out_dir.iterdir()) == [], (limit, args)
