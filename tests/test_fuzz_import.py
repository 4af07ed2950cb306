"""Property-based fuzz of the roster importer (db.services.exchange.import_roster) with hypothesis.

Over malformed cells (wrong types, impossible dates, bad checksums, formulas, SQL, control
characters, huge text) and malformed files (random bytes named .csv/.xlsx/.xls, cut-off workbooks):
- never an exception other than a clear UserError for an unusable file;
- no partial row: a row reported as rejected leaves its trainee exactly as before, an accepted row is
  in the database with its name and ID, and the trainee count grows by exactly the rows inserted;
- an unusable file changes nothing at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.access import SYSTEM
from core.fields import id_check_char
from core.i18n import UserError
from db.models import Trainee
from db.services import backup
from db.services.exchange import ImportResult, import_roster

HEADERS = ["姓名", "身份证号", "性别", "手机号", "户类型", "技能", "技能等级", "培训课时", "期望月薪", "可出发日期",
           "健康证有效期"]
_serial = itertools.count(1)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


def _id_number(birth: dt.date, n: int) -> str:
    first17 = f"632126{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


GOOD = {
    "姓名": st.sampled_from(["张三", "李秀英", "马阿依古丽", "才让卓玛", "王 芳"]),
    "性别": st.sampled_from(["男", "女", ""]),
    "手机号": st.sampled_from(["13912345678", "", "15800001111"]),
    "户类型": st.sampled_from(["一般户", "脱贫户", "监测户", "监测对象", ""]),
    "技能": st.sampled_from(["家政服务", "养老护理、医疗护理", "育婴", ""]),
    "技能等级": st.sampled_from(["五级", "初级工", "3", "", "高级技师"]),
    "培训课时": st.sampled_from(["80", "120", ""]),
    "期望月薪": st.sampled_from(["4500", "6000", ""]),
    "可出发日期": st.sampled_from(["2026-12-01", "2027年3月1日", "2027/01/15", ""]),
    "健康证有效期": st.sampled_from(["2027-06-30", ""]),
}

NASTY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=200, max_size=400),
    st.sampled_from(["'; DROP TABLE trainee; --", "' OR '1'='1", "%", "_", "\\", "=1+1", "=cmd|' /C calc'!A0",
                     "@SUM(A1)", "NULL", "None", "nan", "inf", "-1", "0", "1e308", "99999999999999999999",
                     "2026-13-45", "2026-02-30", "0000-00-00", "３", "五百", "\t", " ", "\u200b", "😀", "男女",
                     "1.5", "-5", "一级级", "13912345678901", "６３２１２６"]),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def rosters(draw) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        birth = draw(st.dates(min_value=dt.date(1965, 1, 1), max_value=dt.date(2005, 12, 31)))
        row = {h: draw(s) for h, s in GOOD.items()}
        row["身份证号"] = _id_number(birth, next(_serial))
        for h in HEADERS:  # each cell may be replaced by something malformed
            if draw(st.integers(min_value=0, max_value=4)) == 0:
                row[h] = draw(NASTY)
        if draw(st.integers(min_value=0, max_value=9)) == 0 and rows:  # sometimes a duplicate key
            row["身份证号"] = rows[-1]["身份证号"]
        rows.append(row)
    return rows


def _write(rows: list[dict[str, str]], path: Path) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADERS)
            for r in rows:
                writer.writerow([r[h].replace("\x00", "") for h in HEADERS])
    else:
        import xlsxwriter
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
        ws = wb.add_worksheet()
        ws.write_row(0, 0, HEADERS)
        for i, r in enumerate(rows, start=1):
            for j, h in enumerate(HEADERS):
                ws.write_string(i, j, r[h])
        wb.close()


def _trainees(database) -> dict[str, tuple]:  # type: ignore[no-untyped-def, type-arg]
    with database.session() as s:
        return {t.id_number: (t.name, t.phone, t.household_type, t.skills, t.skill_level, t.training_hours,
                              t.expected_wage, t.available_from, t.health_cert_expiry, t.version)
                for t in s.scalars(select(Trainee))}


def _check_no_partial_rows(before: dict, after: dict, rows: list[dict[str, str]], result: ImportResult) -> None:  # type: ignore[type-arg]
    rejected = set(result.rejected_rows)
    assert len(after) - len(before) == result.inserted
    by_key: dict[str, list[int]] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as Excel numbers them
        by_key.setdefault(row["身份证号"].strip().upper(), []).append(number)
    for key, numbers in by_key.items():
        if all(n in rejected for n in numbers):  # (a duplicate key: one row may win, the other is refused)
            assert after.get(key) == before.get(key), f"rejected rows {numbers} changed the database"
    for key in set(before) - set(after):
        raise AssertionError(f"trainee {key} vanished")
    for key in set(after) - set(before):
        assert any(r["身份证号"].strip().upper() == key for r in rows)
        assert after[key][0], "a trainee without a name was written"


@FUZZ
@given(rows=rosters(), xlsx=st.booleans())
def test_fuzz_malformed_cells(database, tmp_path: Path, rows: list[dict[str, str]], xlsx: bool) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"fuzz{next(_serial)}{'.xlsx' if xlsx else '.csv'}"
    _write(rows, path)
    before = _trainees(database)
    try:
        result = import_roster(database, "trainees", path, SYSTEM)
    except UserError:
        assert _trainees(database) == before
        return
    after = _trainees(database)
    _check_no_partial_rows(before, after, rows, result)
    assert result.accepted + len(result.rejected_rows) + result.duplicate_rows >= 1
    # Importing the same file again changes no trainee (idempotent per key).
    import_roster(database, "trainees", path, SYSTEM)
    assert _trainees(database) == after


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".CSV"]),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "姓名,身份证号\n".encode("gbk"),
                               "\ufeff姓名,身份证号\n张三,".encode()]))
def test_fuzz_malformed_files(database, tmp_path: Path, data: bytes, suffix: str, prefix: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"junk{next(_serial)}{suffix}"
    path.write_bytes(prefix + data)
    before = backup.fingerprint(database)
    try:
        result = import_roster(database, "trainees", path, SYSTEM)
    except UserError as exc:
        assert str(exc) and exc.code in (1, 2)
        assert backup.fingerprint(database) == before
        return
    assert result.inserted + result.updated == 0 or result.data_rows > 0


def test_cut_off_workbook_is_refused(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.xlsx"
    _write([{**{h: "" for h in HEADERS}, "姓名": "张三", "身份证号": _id_number(dt.date(1990, 1, 1), 7)}], good)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:700])
    before = backup.fingerprint(database)
    try:
        import_roster(database, "trainees", cut, SYSTEM)
        raise AssertionError("a cut-off workbook was imported")
    except UserError as exc:
        assert exc.code == 2
    assert backup.fingerprint(database) == before
    assert import_roster(database, "trainees", good, SYSTEM).inserted == 1
