"""Printed placement lists: rows from the database, the PDF read back, the xlsx, the CLI, bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pypdf
import pytest
from sqlalchemy import func, insert, select, update

from core.access import SYSTEM, Actor, PermissionDenied
from core.i18n import UserError
from db.models import AuditLog, Batch, Placement, Trainee, Vacancy
from db.queries.lookup import find_batch, find_employer
from db.services.lists import LIST_COLUMNS, ListSelection, build_list, check_columns, write_xlsx

REPO = Path(__file__).resolve().parent.parent
LONG_NAME = "阿卜杜热合曼·买买提托合提·艾力江·吐尔逊巴依·克热木·阿布都热依木江·麦麦提"  # 40+ characters
OFFICER = Actor(None, "officer1", "officer")
STAFF = Actor(None, "staff1", "staff")
SCHOOL = Actor(None, "school1", "school", school_id=1)
BATCH_ID = 1  # the demo's upcoming batch


def fill_batch(database, n: int = 500, *, batch_id: int = BATCH_ID, status: str = "confirmed",  # type: ignore[no-untyped-def]
               long_name: bool = True) -> list[str]:
    """Put ``n`` trainees into a batch as placements (bulk insert); returns their full ID numbers."""
    with database.session() as s:
        tids = s.scalars(select(Trainee.id).where(Trainee.deleted_at.is_(None)).order_by(Trainee.id).limit(n)).all()
        vids = s.scalars(select(Vacancy.id).order_by(Vacancy.id).limit(12)).all()
        if long_name:
            s.execute(update(Trainee).where(Trainee.id == tids[7]).values(name=LONG_NAME))
        next_id = (s.scalar(select(func.max(Placement.id))) or 0) + 1
        s.execute(insert(Placement), [
            {"id": next_id + i, "trainee_id": t, "vacancy_id": vids[i % len(vids)], "batch_id": batch_id,
             "status": status, "start_date": dt.date(2026, 12, 20), "monthly_wage": 6000 + (i % 8) * 100,
             "employment_form": "temporary", "version": 1}
            for i, t in enumerate(tids)])
        return list(s.scalars(select(Trainee.id_number).where(Trainee.id.in_(tids))))


def new_batch(database, name: str, batch_id: int) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        s.add(Batch(id=batch_id, name=name, departure_date=dt.date(2027, 3, 1), destination="浙江"))
    return batch_id


def pdf_pages_text(path: Path) -> list[str]:
    # pypdf renders the spaces between drawn strings as tabs
    return [(page.extract_text() or "").replace("\t", " ") for page in pypdf.PdfReader(str(path)).pages]


def audit_entries(database, prefix: str) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action.startswith(prefix)).order_by(AuditLog.id)))


def write_pdf_file(database, selection: ListSelection, out: Path, actor: Actor = SYSTEM):  # type: ignore[no-untyped-def]
    from ui.printing.renderer import save_pdf

    plist = build_list(database, actor, selection)
    return plist, save_pdf(database, actor, plist, out)


@pytest.fixture(autouse=True)
def _qt_application(qapp):  # type: ignore[no-untyped-def]
    """Rendering needs the (one) application object; pytest-qt's, so widget tests can follow."""
    return qapp


@pytest.fixture
def batch500(demo_db):  # type: ignore[no-untyped-def]
    ids = fill_batch(demo_db, 500)
    return demo_db, ids


# --- rows -------------------------------------------------------------------------------------

def test_batch_roster_rows_are_masked_and_complete(batch500) -> None:
    database, ids = batch500
    plist = build_list(database, SYSTEM, ListSelection(batch_id=BATCH_ID, bureau="互助县人社局"))
    assert len(plist.rows) == 500
    assert plist.headers == [c.zh for c in LIST_COLUMNS.values()]
    assert plist.title == "派遣人员花名册"
    assert "目的地：江苏、上海" in plist.info[0] and "出发日期：" in plist.info[0]
    id_col, phone_col = plist.columns.index("id_number"), plist.columns.index("phone")
    assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", r[id_col]) for r in plist.rows)
    assert all(re.fullmatch(r"1\d{2}\*{4}\d{4}", r[phone_col]) for r in plist.rows if r[phone_col])
    assert [r[0] for r in plist.rows] == [str(i) for i in range(1, 501)]
    flat = "".join("".join(r) for r in plist.rows)
    assert not any(full in flat for full in ids)
    assert "合计 500 人" in plist.totals
    assert any(r[plist.columns.index("name")] == LONG_NAME for r in plist.rows)


def test_columns_are_configurable_and_checked(batch500) -> None:
    database, _ = batch500
    plist = build_list(database, SYSTEM, ListSelection(batch_id=BATCH_ID, columns=("phone", "name", "seq")))
    assert plist.columns == ("seq", "name", "phone")  # always in printing order
    with pytest.raises(UserError, match="未知的名册列"):
        check_columns(["name", "salary"])


def test_full_numbers_need_permission(batch500) -> None:
    database, ids = batch500
    with pytest.raises(PermissionDenied):
        build_list(database, STAFF, ListSelection(batch_id=BATCH_ID, full_numbers=True))
    with pytest.raises(PermissionDenied):
        build_list(database, SCHOOL, ListSelection(batch_id=BATCH_ID))
    plist = build_list(database, OFFICER, ListSelection(batch_id=BATCH_ID, full_numbers=True))
    assert {r[plist.columns.index("id_number")] for r in plist.rows} == set(ids)


def test_employer_and_township_period_lists(demo_db) -> None:
    with demo_db.session() as s:
        vacancy = s.scalars(select(Vacancy).join(Placement).where(Placement.status == "on_job").limit(1)).first()
        employer_name = vacancy.employer.name
        employer_id = vacancy.employer_id
        found = find_employer(s, employer_name)
        assert found.id == employer_id or found.name == employer_name
    plist = build_list(demo_db, SYSTEM, ListSelection(employer_id=employer_id))
    assert plist.title == "用人单位派遣人员名单" and plist.rows
    assert {r[plist.columns.index("employer")] for r in plist.rows} == {employer_name}

    with demo_db.session() as s:
        township = s.scalar(select(Trainee.township).join(Placement).group_by(Trainee.township)
                            .order_by(func.count().desc()).limit(1))
    plist = build_list(demo_db, SYSTEM, ListSelection(township=township, date_from=dt.date(2025, 1, 1),
                                                      date_to=dt.date(2025, 12, 31)))
    assert plist.title == f"{township}转移就业人员名单"
    departures = [r[plist.columns.index("departure")] for r in plist.rows]
    assert departures and all("2025-01-01" <= d <= "2025-12-31" for d in departures)
    assert departures == sorted(departures)
    with pytest.raises(UserError, match="开始日期晚于结束日期"):
        build_list(demo_db, SYSTEM, ListSelection(township=township, date_from=dt.date(2025, 2, 1),
                                                  date_to=dt.date(2025, 1, 1)))


def test_unknown_and_ambiguous_names(demo_db) -> None:
    with demo_db.session() as s:
        with pytest.raises(UserError, match="找不到派遣批次“不存在的批次”") as err:
            find_batch(s, "不存在的批次")
        assert err.value.code == 2
        assert find_batch(s, "演示").id == BATCH_ID  # a unique part of the name is enough
        with pytest.raises(UserError, match="不唯一"):
            find_employer(s, "上海")


def test_empty_batch_and_only_proposed(demo_db, tmp_path: Path) -> None:
    empty = new_batch(demo_db, "2027年第3批", 9001)
    with pytest.raises(UserError, match="没有可打印的人员") as err:
        build_list(demo_db, SYSTEM, ListSelection(batch_id=empty))
    assert "未生成任何文件" in str(err.value)
    proposed = new_batch(demo_db, "2027年第4批", 9002)
    fill_batch(demo_db, 5, batch_id=proposed, status="proposed", long_name=False)
    with pytest.raises(UserError, match="另有 5 人为待确认的推荐"):
        build_list(demo_db, SYSTEM, ListSelection(batch_id=proposed))
    with pytest.raises(UserError, match="请选择要打印的名册"):
        build_list(demo_db, SYSTEM, ListSelection())


# --- the 500-person PDF read back -------------------------------------------------------------

def test_500_person_pdf_reads_back(batch500, tmp_path: Path) -> None:
    database, ids = batch500
    out = tmp_path / "roster.pdf"
    plist, written = write_pdf_file(database, ListSelection(batch_id=BATCH_ID, bureau="互助土族自治县人力资源和社会保障局"),
                                    out)
    assert written == out.absolute() and out.exists()
    reader = pypdf.PdfReader(str(out))
    pages = pdf_pages_text(out)
    n = len(pages)
    assert 10 <= n <= 40
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595  # A4 landscape
    for i, text in enumerate(pages, 1):
        # the header row on every page, the page number of every page
        for header in ("序号", "姓名", "身份证号", "用人单位", "联系电话"):
            assert header in text, (i, header)
        assert f"第 {i} 页 共 {n} 页" in text
    assert "互助土族自治县人力资源和社会保障局" in pages[0] and "派遣人员花名册" in pages[0]
    assert "出发日期：" in pages[0] and "目的地：江苏、上海" in pages[0]
    # rows never split, none lost: each masked ID exactly once, in order
    everything = "\n".join(pages)
    masked = re.findall(r"\d{6}\*{8}[\dX]{4}", everything)
    assert len(masked) == 500
    assert not any(full in everything for full in ids)
    assert not any(full.encode() in out.read_bytes() for full in ids[:50])
    seqs = [int(m) for m in re.findall(r"^(\d{1,3})\s", everything, flags=re.M) if 1 <= int(m) <= 500]
    assert sorted(set(seqs)) == list(range(1, 501))
    # signature block and totals at the end only
    assert all(word in pages[-1] for word in ("经办人", "审核人", "单位盖章", "日期", "合计 500 人"))
    assert not any("经办人" in p for p in pages[:-1])
    # the wrapped 40+ character minority name is all there
    assert LONG_NAME in re.sub(r"\s+", "", everything)
    # the export is audited, masked
    entry = audit_entries(database, "export")[-1]
    assert entry.action == "export" and entry.entity == "batch"
    detail = json.loads(entry.detail)
    assert detail["output"] == "pdf" and detail["rows"] == 500 and detail["full_numbers"] is False


def pdf_fonts(path: Path) -> dict[str, bool]:
    """Every font the pages use (also inside form XObjects): base name -> is its font program embedded.
    A Type0 font is embedded when its descendant CIDFont's descriptor holds the program (FontFile2/3);
    a Type3 font draws its glyphs in the PDF itself. What `pdffonts` lists, without poppler."""
    fonts: dict[str, bool] = {}

    def embedded(font) -> bool:  # type: ignore[no-untyped-def]
        if font.get("/Subtype") == "/Type3":
            return True
        if font.get("/Subtype") == "/Type0":
            return all(embedded(d.get_object()) for d in font["/DescendantFonts"])
        descriptor = font.get("/FontDescriptor")
        return descriptor is not None and any(
            key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3"))

    def walk(resources, seen: set[int]) -> None:  # type: ignore[no-untyped-def]
        if resources is None:
            return
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            fonts[str(font.get("/BaseFont"))] = embedded(font)
        for ref in (resources.get("/XObject") or {}).values():
            if getattr(ref, "idnum", None) in seen:
                continue
            seen.add(getattr(ref, "idnum", None))
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"), seen)

    for page in pypdf.PdfReader(str(path)).pages:
        walk(page.get("/Resources"), set())
    return fonts


def test_pdf_font_is_embedded(batch500, tmp_path: Path) -> None:
    database, _ = batch500
    out = tmp_path / "fonts.pdf"
    write_pdf_file(database, ListSelection(batch_id=BATCH_ID), out)
    fonts = pdf_fonts(out)
    assert any("WenQuanYi" in name for name in fonts), fonts
    assert all(fonts.values()), fonts  # every font travels with the file: it prints the same anywhere


def test_full_ids_only_when_asked_and_audited(batch500, tmp_path: Path) -> None:
    database, ids = batch500
    out = tmp_path / "full.pdf"
    write_pdf_file(database, ListSelection(batch_id=BATCH_ID, full_numbers=True), out, actor=OFFICER)
    everything = "\n".join(pdf_pages_text(out))
    assert sum(full in everything for full in ids) == 500
    assert "已作脱敏处理" not in everything
    entry = audit_entries(database, "export_full_id")[-1]
    assert entry.username == "officer1" and json.loads(entry.detail)["full_numbers"] is True
    # and the staff role cannot
    with pytest.raises(PermissionDenied):
        write_pdf_file(database, ListSelection(batch_id=BATCH_ID, full_numbers=True), tmp_path / "no.pdf", STAFF)
    assert not (tmp_path / "no.pdf").exists()


def test_portrait_when_few_columns(batch500, tmp_path: Path) -> None:
    database, _ = batch500
    out = tmp_path / "narrow.pdf"
    write_pdf_file(database, ListSelection(batch_id=BATCH_ID, columns=("seq", "name", "gender", "id_number")), out)
    box = pypdf.PdfReader(str(out)).pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842


# --- bad output paths: clear message, nothing left behind -------------------------------------

def test_unwritable_paths_leave_nothing(batch500, tmp_path: Path) -> None:
    from ui.printing.renderer import save_pdf

    database, _ = batch500
    plist = build_list(database, SYSTEM, ListSelection(batch_id=BATCH_ID))
    with pytest.raises(UserError, match="文件夹.*不存在") as err:
        save_pdf(database, SYSTEM, plist, tmp_path / "missing" / "x.pdf")
    assert err.value.code == 2
    with pytest.raises(UserError, match="是一个文件夹"):
        save_pdf(database, SYSTEM, plist, tmp_path)
    with pytest.raises(UserError, match="文件夹.*不存在"):
        write_xlsx(database, SYSTEM, plist, tmp_path / "missing" / "x.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir() if "sqlite3" not in p.name) == []
    assert audit_entries(database, "export") == []


def test_failure_mid_render_keeps_old_file_and_leaves_no_temp(batch500, tmp_path: Path) -> None:
    from ui.printing.renderer import save_pdf
    from ui.tasks import Cancelled

    database, _ = batch500
    plist = build_list(database, SYSTEM, ListSelection(batch_id=BATCH_ID))
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "roster.pdf"
    target.write_bytes(b"old file")

    def cancel_at_page_3(percent: int, _message: str) -> None:
        if percent > 40:
            raise Cancelled()

    with pytest.raises(Cancelled):
        save_pdf(database, SYSTEM, plist, target, progress=cancel_at_page_3)
    assert target.read_bytes() == b"old file"
    assert [p.name for p in folder.iterdir()] == ["roster.pdf"]
    assert audit_entries(database, "export") == []


# --- xlsx -------------------------------------------------------------------------------------

def test_xlsx_has_print_settings_and_text_ids(batch500, tmp_path: Path) -> None:
    database, ids = batch500
    plist = build_list(database, SYSTEM, ListSelection(batch_id=BATCH_ID, bureau="互助县人社局"))
    out = write_xlsx(database, SYSTEM, plist, tmp_path / "roster.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws["A1"].value == "互助县人社局" and ws["A2"].value == "派遣人员花名册"
    assert [c.value for c in ws[4]] == plist.headers
    assert ws.print_title_rows == "$1:$4"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    id_col = plist.columns.index("id_number") + 1
    cells = [ws.cell(r, id_col) for r in range(5, 505)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in cells)
    assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", c.value) for c in cells)
    assert ws.cell(5, 1).value == 1  # 序号 is a number, IDs are text
    assert "合计 500 人" in ws.cell(505, 1).value
    assert any("经办人" in str(c.value) for row in ws.iter_rows(min_row=506) for c in row if c.value)
    assert not any(full in str(c.value) for row in ws.iter_rows() for c in row for full in ids[:20])
    assert json.loads(audit_entries(database, "export")[-1].detail)["output"] == "xlsx"
    # officers print but do not export editable files
    with pytest.raises(PermissionDenied):
        write_xlsx(database, OFFICER, plist, tmp_path / "officer.xlsx")
    assert not (tmp_path / "officer.xlsx").exists()


# --- CLI --------------------------------------------------------------------------------------

def run_main(*argv: str) -> int:
    import main

    return main.main(list(argv))


def test_cli_batch_pdf_and_xlsx(batch500, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database, ids = batch500
    database.dispose()
    pdf, xlsx = tmp_path / "批次.pdf", tmp_path / "批次.xlsx"
    code = run_main("--db", database.url, "print-list", "--batch", "2026年第11批（演示）", "--pdf", str(pdf),
                    "--xlsx", str(xlsx), "--bureau", "乌恰县人力资源和社会保障局")
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "500 人" in out.out
    pages = pdf_pages_text(pdf)
    assert "乌恰县人力资源和社会保障局" in pages[0]
    assert openpyxl.load_workbook(xlsx).active["A1"].value == "乌恰县人力资源和社会保障局"
    assert len(audit_entries(database, "export")) == 2


def test_cli_bad_input(batch500, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database, _ = batch500
    database.dispose()
    out = tmp_path / "x.pdf"
    assert run_main("--db", database.url, "print-list", "--batch", "没有这个批次", "--pdf", str(out)) == 2
    assert "找不到派遣批次“没有这个批次”" in capsys.readouterr().err
    assert run_main("--db", database.url, "print-list", "--batch", "演示") == 2
    assert "--pdf" in capsys.readouterr().err
    assert run_main("--db", database.url, "print-list", "--township", "威远镇", "--from", "2025-13-45",
                    "--pdf", str(out)) == 2
    assert "开始日期无法识别" in capsys.readouterr().err
    assert run_main("--db", database.url, "print-list", "--batch", "演示", "--columns", "name,salary",
                    "--pdf", str(out)) == 2
    assert "未知的名册列" in capsys.readouterr().err
    new_batch(database, "2027年第9批", 9009)
    assert run_main("--db", database.url, "print-list", "--batch", "2027年第9批", "--pdf", str(out)) == 1
    err = capsys.readouterr().err
    assert "没有可打印的人员" in err and "Traceback" not in err
    assert run_main("--db", database.url, "print-list", "--batch", "演示", "--pdf",
                    str(tmp_path / "no" / "x.pdf")) == 2
    assert "不存在" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "no").exists()


def test_cli_township_period_full_ids_in_a_fresh_process(demo_db, tmp_path: Path) -> None:
    """The real command line: its own process, no display, an offscreen QGuiApplication."""
    url = demo_db.url
    with demo_db.session() as s:
        township = s.scalar(select(Trainee.township).join(Placement).group_by(Trainee.township)
                            .order_by(func.count().desc()).limit(1))
    demo_db.dispose()
    out = tmp_path / "乡镇.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, str(REPO / "main.py"), "--db", url, "print-list", "--township", township,
                           "--from", "2025年1月1日", "--to", "2025/12/31", "--full-ids", "--pdf", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "含完整身份证号" in proc.stdout
    text = "\n".join(pdf_pages_text(out))
    assert f"{township}转移就业人员名单" in text and "期间：2025-01-01 至 2025-12-31" in text
    assert re.search(r"\b\d{17}[\dX]\b", text)
    assert audit_entries(demo_db, "export_full_id")
