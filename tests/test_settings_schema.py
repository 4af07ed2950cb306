"""The one declared settings table: the README table is generated from it, the dialog's controls and the
CLI read it, the bureau's name is bureau-wide everywhere (GUI, print-list, statistics); a leftover name in
settings.ini is moved once. Also the set-up checks: Qt's system libraries and the generated pins."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget
from sqlalchemy import select

from core import settings_schema as schema
from core.access import PERMISSIONS, Actor
from core.i18n import UserError
from db.engine import data_dir
from db.models import AppSetting, AuditLog
from db.queries.placements import batches_listed
from db.services import bureau, followup, settings
from ui.settings import Settings
from ui.settings_dialog import SettingsDialog

REPO = Path(__file__).resolve().parent.parent
ADMIN = Actor(None, "admin1", "admin")
STAFF = Actor(None, "staff1", "staff")
sys.path.insert(0, str(REPO / "tools"))
import check_system  # noqa: E402
import settings_table  # noqa: E402


def _cli_json(database) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    return {r["key"]: r for r in json.loads(_cli(["--db", database.url, "settings", "--json"])[1])}


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """main.main in a child process, as a clerk runs it (its own stdout/stderr, no shared state)."""
    proc = subprocess.run([sys.executable, "main.py", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={"LABORBRIDGE_DATA_DIR": str(data_dir()), "PATH": "/usr/bin:/bin",
                                            "QT_QPA_PLATFORM": "offscreen"})
    return proc.returncode, proc.stdout, proc.stderr


def _type_into(qtbot, spin: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Click into the box, select what is there and type, as the clerk does."""
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, text)


def _type_chinese(qtbot, edit: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Click into the field and commit the text as an input method does (QTest types ASCII only)."""
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)


def _ok(qtbot, dialog: SettingsDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


# --- the declaration ---------------------------------------------------------------------------------

def test_readme_table_is_generated_from_the_declaration() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert settings_table.rendered(readme) == readme, "run  python tools/settings_table.py"
    for setting in schema.SETTINGS:
        assert f"| `{setting.key}` |" in readme


def test_the_readme_check_fails_on_a_stale_table(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    stale = readme.replace("| `alerts.replace_days` |", "| `alerts.replace_dayz` |")
    assert settings_table.rendered(stale) != stale


def test_every_declaration_is_complete_and_its_default_passes_its_own_check() -> None:
    sections = {key for key, _zh, _en in schema.SECTIONS}
    assert len(schema.BY_KEY) == len(schema.SETTINGS)
    for s in schema.SETTINGS:
        assert s.section in sections and s.zh and s.en and s.help_zh and s.help_en, s.key
        assert s.write in PERMISSIONS, s.key
        assert schema.check_value(s, schema.default(s)) == schema.default(s), s.key
    assert set(settings.KEYS) == {s.key for s in schema.SETTINGS if s.scope == "bureau"}


def test_a_records_setting_is_checked_field_by_field() -> None:
    """Structured values (a list of rules) need only a declaration; the check covers every field."""
    rule = schema.Setting("households.monitoring_line", "records", [], "bureau", "alerts", "监测线", "Monitoring line",
                          "每省每年的监测线。", "The monitoring line per province and year.", fields=(
                              schema.Setting("province", "choice", "青海", "bureau", "alerts", "省份", "Province",
                                             choices=(("青海", "青海", "Qinghai"), ("新疆", "新疆", "Xinjiang"))),
                              schema.Setting("year", "int", 2026, "bureau", "alerts", "年份", "Year",
                                             minimum=2020, maximum=2100),
                              schema.Setting("yuan", "int", 0, "bureau", "alerts", "元/年", "Yuan a year",
                                             minimum=0, maximum=100_000)))
    checked = schema.check_value(rule, '[{"province": "新疆", "year": 2026, "yuan": 7600}, {"year": "2027"}]')
    assert checked == [{"province": "新疆", "year": 2026, "yuan": 7600}, {"province": "青海", "year": 2027, "yuan": 0}]
    assert json.loads(schema.stored_text(rule, checked)) == checked
    for bad, words in (("[{", "必须是 JSON 列表"), ('{"a": 1}', "由记录组成的列表"),
                       ('[{"year": 1999}]', "不能小于 2020"), ('[{"colour": "red"}]', "未知的字段：colour")):
        with pytest.raises(UserError, match=words):
            schema.check_value(rule, bad)


# --- the dialog and the CLI read the same rows ---------------------------------------------------------

def test_a_day_limit_set_in_the_dialog_is_what_the_cli_shows(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(database=demo_db, actor=ADMIN)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.tabs.tabBar(), Qt.MouseButton.LeftButton,
                     pos=dialog.tabs.tabBar().tabRect(3).center())
    assert dialog.tabs.currentIndex() == 3
    days = dialog.editors["alerts.replace_days"]
    follow = dialog.editors["followup.every_days"]
    assert days.isVisible() and days.isEnabled() and days.value() == 30  # type: ignore[attr-defined]
    assert days.suffix() == " 天" and days.maximum() == 365  # type: ignore[attr-defined]  # from the declaration
    _type_into(qtbot, days, "45")
    _type_into(qtbot, follow, "60")
    _ok(qtbot, dialog)
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    rows = _cli_json(demo_db)
    assert rows["alerts.replace_days"]["value"] == 45 and rows["followup.every_days"]["value"] == 60
    assert rows["alerts.window_days"]["value"] == 365  # untouched
    with demo_db.session() as s:
        audited = s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "setting.update")).all()
    assert {"alerts.replace_days", "followup.every_days"} <= set(audited)
    again = SettingsDialog(database=demo_db, actor=ADMIN)
    qtbot.addWidget(again)
    assert again.editors["alerts.replace_days"].value() == 45  # type: ignore[attr-defined]


def test_the_tracking_page_states_the_limits_in_force(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.tracking import TrackingPage

    settings.set_values(demo_db, ADMIN, {"followup.every_days": 60, "followup.due_within_days": 21,
                                         "alerts.replace_days": 45})
    page = TrackingPage(demo_db, ADMIN)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    bar = page.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(2).center())
    assert "未来 21 天内应回访" in page.due_label.text() and "每 60 天回访一次" in page.due_label.text()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(3).center())
    assert "离岗 45 天未再就业" in page.alert_label.text() and "超过 60 天未回访" in page.alert_label.text()


def test_staff_see_the_day_limits_but_change_only_the_wage_floor(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(database=demo_db, actor=STAFF)
    qtbot.addWidget(dialog)
    for key in ("alerts.replace_days", "alerts.window_days", "followup.every_days", "followup.due_within_days",
                "bureau.name", "policy.priority.monitored"):
        assert not dialog.editors[key].isEnabled(), key
        assert dialog.editors[key].toolTip() == "仅局管理员可以操作"
    assert dialog.wage_spin.isEnabled()
    dialog.show()
    qtbot.mouseClick(dialog.tabs.tabBar(), Qt.MouseButton.LeftButton, pos=dialog.tabs.tabBar().tabRect(3).center())
    _type_into(qtbot, dialog.wage_spin, "3500")
    _ok(qtbot, dialog)
    assert followup.wage_floor(demo_db) == 3500
    assert settings.get(demo_db, "alerts.replace_days") == 30


def test_cli_refuses_a_bad_day_limit_or_name_in_one_sentence(demo_db) -> None:
    for argv, words in ((["alerts.window_days", "10"], "不能小于 30"),
                        (["followup.due_within_days", "两周"], "必须是数字"),
                        (["bureau.name", "局" * 61], "过长（最多 60 个字）")):
        code, out, err = _cli(["--db", demo_db.url, "settings", "set", *argv])
        assert code == 2 and out == "" and words in err and len(err.strip().splitlines()) == 1, err
    assert settings.get(demo_db, "alerts.window_days") == 365 and bureau.bureau(demo_db) == ("", "")


# --- the bureau's name is bureau-wide -------------------------------------------------------------------

def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


def test_bureau_name_set_in_the_gui_heads_the_cli_print_list(qtbot, demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(database=demo_db, actor=ADMIN)
    qtbot.addWidget(dialog)
    dialog.show()
    _type_chinese(qtbot, dialog.bureau_edit, "乌恰县人力资源和社会保障局")
    assert dialog.bureau_edit.text() == "乌恰县人力资源和社会保障局"
    _ok(qtbot, dialog)
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert "bureau" not in (data_dir() / "settings.ini").read_text(encoding="utf-8")  # nothing on this PC
    batch = next(name for _i, name, n in batches_listed(demo_db) if n > 0)
    pdf = tmp_path / "roster.pdf"
    code, _out, err = _cli(["--db", demo_db.url, "print-list", "--batch", batch, "--pdf", str(pdf)])
    assert code == 0, err
    assert "乌恰县人力资源和社会保障局" in _pdf_text(pdf).splitlines()[0]
    code, out, err = _cli(["--db", demo_db.url, "settings"])
    assert code == 0 and re.search(r"bureau\.name\s+乌恰县人力资源和社会保障局", out), out


def test_a_leftover_pc_name_is_moved_once_by_an_administrator(qtbot, demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.bureau_dialog import ask_bureau_once

    ini = data_dir() / "settings.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text("[print]\nbureau_name=互助县人力资源和社会保障局\n", encoding="utf-8")
    parent = QWidget()
    qtbot.addWidget(parent)
    assert ask_bureau_once(parent, demo_db, STAFF) is False  # not an administrator: left, and ignored
    assert bureau.bureau_heading(demo_db) == "人力资源和社会保障局"
    assert "互助县" in ini.read_text(encoding="utf-8")
    assert ask_bureau_once(parent, demo_db, ADMIN) is True  # moved, no question asked
    assert bureau.bureau(demo_db)[0] == "互助县人力资源和社会保障局"
    assert "bureau_name" not in ini.read_text(encoding="utf-8")
    with demo_db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.entity_id == "bureau.name")).one()
        assert entry.username == "admin1" and "互助县" in (entry.after or "")
        assert s.get(AppSetting, "bureau.name") is not None
    # a PC whose database already has a name: the leftover is dropped, the database's name stays
    ini.write_text("[print]\nbureau_name=别的单位\n", encoding="utf-8")
    assert ask_bureau_once(parent, demo_db, STAFF) is True
    assert bureau.bureau(demo_db)[0] == "互助县人力资源和社会保障局" and "别的单位" not in ini.read_text(encoding="utf-8")
    assert Settings().language == "zh"


# --- set-up: Qt's system libraries, the pins ------------------------------------------------------------

def test_system_check_passes_here_and_names_the_apt_line_when_a_library_is_missing(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run([sys.executable, "tools/check_system.py"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == ""
    assert check_system.missing("win32") == [] and check_system.missing("darwin") == []
    # a fresh machine: no library found by the loader, none in the cache
    monkeypatch.setattr(check_system.ctypes.util, "find_library", lambda _name: None)
    monkeypatch.setattr(check_system, "_ldconfig_names", lambda: "")
    packages = check_system.missing("linux")
    assert packages == ["libegl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3", "libgl1"]
    assert check_system.main() == 1
    sentence = check_system.advice(packages)
    assert "\n" not in sentence  # one sentence on one line
    assert sentence.endswith("sudo apt-get install libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libgl1")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert all(p in ci for p in packages) and all(p in (REPO / "README.md").read_text(encoding="utf-8") for p in packages)


def _pins(name: str) -> dict[str, str]:
    text = (REPO / name).read_text(encoding="utf-8")
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", text, re.M)}


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt", "requirements-build.txt"])
def test_every_pin_is_generated_with_hashes(name: str) -> None:
    text = (REPO / name).read_text(encoding="utf-8")
    assert "make pins" in text.splitlines()[1]  # generated, not kept by hand
    entries = re.split(r"\n(?=[A-Za-z])", text[text.index("\n", text.index("make pins")) + 1:].strip())
    assert entries and all("--hash=sha256:" in e for e in entries), name
    source = (REPO / name.replace(".txt", ".in")).read_text(encoding="utf-8")
    wanted = {re.split(r"[\s\[;#=<>]", line.strip())[0].lower().replace("_", "-")
              for line in source.splitlines() if line.strip() and not line.startswith(("#", "-r"))}
    assert wanted <= {k.replace("_", "-") for k in _pins(name)}, name


def test_dev_and_build_pins_take_the_runtime_versions() -> None:
    runtime = _pins("requirements.txt")
    for name in ("requirements-dev.txt", "requirements-build.txt"):
        pins = _pins(name)
        assert {k: pins[k] for k in runtime} == runtime, name
    build = (REPO / "requirements-build.txt").read_text(encoding="utf-8")
    for package in ("pefile", "pywin32-ctypes"):
        assert re.search(rf"^{package}==\S+ ; sys_platform == 'win32'", build, re.M), package
    assert re.search(r"^setuptools==", build, re.M)
    assert "--require-hashes -r requirements-dev.txt" in (REPO / "Makefile").read_text(encoding="utf-8")
