"""Every path into a batch keeps the eligibility rules (issue #19): by hand (service, CLI, GUI), by
editing a proposal and by re-placement; 破例加入 with a reason is stored, audited and printed; a vacancy
set to 已满 takes nobody and shows no seat anywhere. Real demo databases (SQLite, and PostgreSQL when
LABORBRIDGE_TEST_PG is set), the real CLI entry point, the real tracking page clicked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from sqlalchemy import func, select

import main
from core.access import SYSTEM, Actor, PermissionDenied
from core.i18n import UserError
from core.placement import SEAT_HOLDING
from db.models import AuditLog, Batch, Placement, Trainee, Vacancy
from db.queries.registry import VacancyFilter, vacancy_query
from db.services import batches, placements, registry, users
from db.services.placements import NotEligible
from tests.pairs import eligible_free

REASON = "健康证正在办理，出发前补交"


@pytest.fixture
def staff(demo_db) -> Actor:  # type: ignore[no-untyped-def]
    admin = users.create_first_admin(demo_db, "chief", "Chief12345")
    users.create_user(demo_db, admin, "clerk", "Clerk12345", "staff")
    return users.login(demo_db, "clerk", "Clerk12345").actor


def _counts(database) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return (int(s.scalar(select(func.count()).select_from(Placement)) or 0),
                int(s.scalar(select(func.count()).select_from(AuditLog)) or 0))


def _unfit(database, code: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A free trainee without the vacancy's skill and without a health certificate (the issue's case)."""
    with database.session() as s:
        vac = s.scalar(select(Vacancy).where(Vacancy.code == code))
        vac.needs_health_cert = True
        seated = select(Placement.trainee_id).where(Placement.status.in_(("proposed", *SEAT_HOLDING)))
        person = s.scalar(select(Trainee).where(~Trainee.skills.contains(vac.skill), Trainee.skills != "",
                                                Trainee.deleted_at.is_(None), Trainee.id.not_in(seated))
                          .order_by(Trainee.id).limit(1))
        person.health_cert_expiry = None
        return person.id, person.id_number


def _cli(database, *args: str, capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main.main(["--db", database.url, "batch", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_batch_add_refuses_the_ineligible_and_overrides_with_a_reason(demo_db, capsys) -> None:  # type: ignore[no-untyped-def]
    _vid, code, _ids, _numbers = eligible_free(demo_db)
    tid, number = _unfit(demo_db, code)
    assert _cli(demo_db, "new", "三月批", "--departure", "2027-03-01", capsys=capsys)[0] == 0
    before = _counts(demo_db)
    rc, out, err = _cli(demo_db, "add", "三月批", "--trainee", number, "--vacancy", code, capsys=capsys)
    assert rc == 2 and out == ""
    assert "不符合岗位" in err and "技能" in err and "无健康证" in err and "--override" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _counts(demo_db) == before  # nothing created, nothing audited
    for blank in ("", "   "):
        rc, _out, err = _cli(demo_db, "add", "三月批", "--trainee", number, "--vacancy", code, "--override", blank,
                             capsys=capsys)
        assert rc == 2 and "必须填写原因" in err
    # a reason longer than the list can carry is refused, not silently cut short
    rc, out, err = _cli(demo_db, "add", "三月批", "--trainee", number, "--vacancy", code, "--override", "证" * 201,
                        capsys=capsys)
    assert rc == 2 and out == "" and "最多 200 字" in err and len(err.strip().splitlines()) == 1
    assert _counts(demo_db) == before
    rc, out, err = _cli(demo_db, "add", "三月批", "--trainee", number, "--vacancy", code, "--override", REASON,
                        capsys=capsys)
    assert rc == 0, err
    assert "破例加入" in out
    rc, out, err = _cli(demo_db, "remove", "三月", "--trainee", number, capsys=capsys)  # a unique part of the name
    assert rc == 0 and "“三月批”" in out, err
    rc, out, err = _cli(demo_db, "add", "三月", "--trainee", number, "--vacancy", code, "--override", REASON,
                        capsys=capsys)
    assert rc == 0 and "已加入批次“三月批”" in out, err  # says which batch: the full name, not the part typed
    with demo_db.session() as s:
        p = s.scalar(select(Placement).where(Placement.trainee_id == tid, Placement.status == "proposed"))
        assert p.override_reason == REASON and p.vacancy.code == code
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(2))]
        assert set(actions) == {"placement.override", "placement.propose"}
        detail = s.scalar(select(AuditLog.after).where(AuditLog.action == "placement.override"))
    assert REASON in detail and "health_certificate" in detail and "skill" in detail
    rc, out, _err = _cli(demo_db, "show", "三月批", "--json", capsys=capsys)
    shown = json.loads(out)
    assert rc == 0 and shown["name"] == "三月批" and shown["departure_date"] == "2027-03-01"
    person = shown["people"][0]
    assert person["id_number"] != number and person["id_number"].startswith(number[:6]) and "*" in person["id_number"]
    assert person["override_reason"] == REASON and person["vacancy_code"] == code and person["status"] == "proposed"
    assert person["employer"]
    rc, out, _err = _cli(demo_db, "list", "--json", capsys=capsys)
    row = next(r for r in json.loads(out) if r["name"] == "三月批")
    assert rc == 0 and row["proposed"] == 1 and row["confirmed"] == 0 and row["destination"] is None
    # the officer may not place anyone, exception or not
    with pytest.raises(PermissionDenied):
        batches.add_proposal(demo_db, Actor(None, "officer1", "officer"), "三月批", number, code, override=REASON)
    _vid2, code2, _ids2, (noted,) = eligible_free(demo_db)
    batches.add_proposal(demo_db, SYSTEM, "三月批", noted, code2, note="本人电话确认愿意去")  # a proposal with a note
    for who in (number, noted):
        rc, out, err = _cli(demo_db, "remove", "三月批", "--trainee", who, capsys=capsys)
        assert rc == 0, err
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Placement).join(Batch).where(Batch.name == "三月批")) == 0
    placements.confirm(demo_db, SYSTEM, batches.add_proposal(demo_db, SYSTEM, "三月批", noted, code2))
    rc, _out, err = _cli(demo_db, "remove", "三月批", "--trainee", noted, capsys=capsys)
    assert rc == 2 and "不能直接移出" in err  # a confirmed person is declined with a reason, not erased
    rc, _out, err = _cli(demo_db, "remove", "三月批", "--trainee", number, capsys=capsys)
    assert rc == 2 and "不在批次" in err
    rc, _out, err = _cli(demo_db, "add", "无此批次", "--trainee", number, "--vacancy", code, capsys=capsys)
    assert rc == 2 and "无此批次" in err


def test_a_filled_vacancy_takes_nobody_and_shows_no_seat(demo_db, capsys) -> None:  # type: ignore[no-untyped-def]
    vid, code, _ids, (number,) = eligible_free(demo_db)
    batch = batches.create_batch(demo_db, SYSTEM, name="已满测试")
    proposed = batches.add_proposal(demo_db, SYSTEM, batch, number, code)
    with demo_db.session() as s:
        vac = s.get(Vacancy, vid)
        vac.status = "filled"  # a person says 已满
        eid = vac.employer_id
    assert registry.remaining_headcount(demo_db, vid) == 0
    with demo_db.session() as s:
        assert batches.vacancy_frame(s, [vid])["remaining"].tolist() == [0]
        rows = s.execute(vacancy_query(VacancyFilter(employer_id=eid))).all()
        assert [r.remaining for r in rows if r.code == code] == [0]
        assert code not in {r.code for r in s.execute(vacancy_query(VacancyFilter(with_seats=True))).all()}
    assert code not in set(batches.open_vacancies(demo_db)["code"])
    before = _counts(demo_db)
    with pytest.raises(UserError, match="已满"):  # confirming a proposal made before is refused, status kept
        placements.confirm(demo_db, SYSTEM, proposed)
    _vid2, _code2, _ids2, (other,) = eligible_free(demo_db)
    for override in (None, REASON):  # no exception opens a full vacancy
        args = ["add", "已满测试", "--trainee", other, "--vacancy", code] + (["--override", override] if override else [])
        rc, _out, err = _cli(demo_db, *args, capsys=capsys)
        assert rc == 2 and "已满" in err
    assert _counts(demo_db) == before
    with demo_db.session() as s:
        assert s.get(Vacancy, vid).status == "filled" and s.get(Placement, proposed).status == "proposed"
    with pytest.raises(UserError, match="名额已满"):  # the planner too
        batches.plan(demo_db, batch, actor=SYSTEM)


def test_edit_and_re_place_keep_the_same_rules(demo_db, staff) -> None:  # type: ignore[no-untyped-def]
    _vid, code, (tid,), (number,) = eligible_free(demo_db)
    batch = batches.create_batch(demo_db, staff, name="改派测试")
    pid = batches.add_proposal(demo_db, staff, batch, number, code)
    with demo_db.session() as s:
        skill = s.get(Trainee, tid).skills.split(",")[0]
        other = s.scalar(select(Vacancy).where(~Vacancy.code.in_([code]), Vacancy.status == "open",
                                               Vacancy.skill.not_in(s.get(Trainee, tid).skills.split(",")))
                         .order_by(Vacancy.id).limit(1))
        other_code = other.code
        other.headcount = 99
    assert skill
    before = _counts(demo_db)
    with pytest.raises(NotEligible, match="不具备") as refused:
        placements.edit_proposal(demo_db, staff, pid, other_code, reason="本人希望换单位")
    assert "不符合岗位" in str(refused.value)
    assert _counts(demo_db) == before
    placements.edit_proposal(demo_db, staff, pid, other_code, reason="本人希望换单位", override="本人有多年护工经验")
    with demo_db.session() as s:
        p = s.get(Placement, pid)
        assert p.vacancy_id == other.id and p.override_reason == "本人有多年护工经验"
    placements.edit_proposal(demo_db, staff, pid, code, reason="改回")  # eligible again: the exception goes
    with demo_db.session() as s:
        assert s.get(Placement, pid).override_reason is None

    # re-placement: someone who left, offered a job they are not fit for
    placements.confirm(demo_db, staff, pid, date=dt.date.today() - dt.timedelta(days=30))
    placements.mark_departed(demo_db, staff, pid, date=dt.date.today() - dt.timedelta(days=29))
    placements.mark_on_job(demo_db, staff, pid, date=dt.date.today() - dt.timedelta(days=28))
    placements.end_placement(demo_db, staff, pid, date=dt.date.today() - dt.timedelta(days=2), reason="合同到期")
    before = _counts(demo_db)
    with pytest.raises(NotEligible, match="不具备"):
        placements.re_place(demo_db, staff, pid, other_code)
    with pytest.raises(UserError, match="必须填写原因"):
        placements.re_place(demo_db, staff, pid, other_code, override=" ")
    school = Actor(None, "school1", "school", school_id=1)
    with pytest.raises(PermissionDenied):  # another school's (or any school's) account places nobody
        placements.re_place(demo_db, school, pid, code)
    assert _counts(demo_db) == before
    with demo_db.session() as s:
        s.get(Trainee, tid).deleted_at = dt.datetime.now()
    with pytest.raises(UserError, match="已删除"):
        placements.re_place(demo_db, staff, pid, code, override=REASON)
    assert _counts(demo_db) == before
    with demo_db.session() as s:
        s.get(Trainee, tid).deleted_at = None
    new = placements.re_place(demo_db, staff, pid, other_code, override=REASON)
    with demo_db.session() as s:
        row = s.get(Placement, new)
        assert row.status == "confirmed" and row.override_reason == REASON
        assert s.get(Vacancy, row.vacancy_id).status == "open"  # confirming never flips the status
        replace_audit = s.scalar(select(AuditLog.after).where(AuditLog.action == "placement.replace"))
    assert REASON in replace_audit


# --- the GUI: 手工添加 → refused → 破例加入 → reason → printed ※ ------------------------------------

class Clerk:
    """Answers the dialogs of one click the way a clerk does: types the form, reads the refusal,
    presses 破例加入…, types the reason, presses 破例加入; answers yes to questions."""

    def __init__(self, qtbot, fills: list[dict[str, Any]], reason: str | None) -> None:  # type: ignore[no-untyped-def]
        self.qtbot, self.fills, self.reason = qtbot, list(fills), reason
        self.seen: list[str] = []
        self.active = False

    def _tick(self) -> None:
        from ui.override_dialog import OverrideDialog
        from ui.pages.tracking import FormDialog

        if not self.active:
            return
        w = QApplication.activeModalWidget()
        if isinstance(w, OverrideDialog):
            self.seen.append("override_dialog")
            assert not w.ok_button.isEnabled()  # no reason, no exception
            w.grab().save("/tmp/override_dialog.png")
            # Chinese is typed through an input method: its commit string lands in the focused field.
            w.reason_edit.setFocus()
            typed = QInputMethodEvent()
            typed.setCommitString(self.reason or "")
            QApplication.sendEvent(w.reason_edit, typed)
            assert w.ok_button.isEnabled()
            self.qtbot.mouseClick(w.ok_button, Qt.MouseButton.LeftButton)
        elif isinstance(w, QMessageBox):
            self.seen.append(w.text())
            button = w.findChild(QPushButton, "btn_override")
            if button is not None and self.reason is not None:
                w.grab().save("/tmp/override_refusal.png")
                self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            elif button is not None:  # the clerk lets the refusal stand
                cancel = next(b for b in w.buttons() if w.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
                self.qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
            elif w.button(QMessageBox.StandardButton.Yes) is not None:
                self.qtbot.mouseClick(w.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
            else:
                w.accept()
        elif isinstance(w, FormDialog):
            for key, value in (self.fills.pop(0) if self.fills else {}).items():
                field = w.fields[key]
                if hasattr(field, "findData"):
                    field.setCurrentIndex(field.findData(value))
                else:
                    field.setText(str(value))
            w.accept()
        QTimer.singleShot(30, self._tick)

    def click(self, button: QPushButton) -> list[str]:
        self.active = True
        QTimer.singleShot(0, self._tick)
        try:
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        finally:
            self.active = False
        return self.seen


def test_gui_hand_add_refused_then_placed_by_exception_and_printed(qtbot, demo_db, staff, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.tracking import TrackingPage
    from ui.printing import write_batch_pdf
    from ui.resources import register_cjk_font

    register_cjk_font()  # as the app does at start: the screenshots read as the clerk sees them
    page = TrackingPage(demo_db, staff)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    qtbot.waitExposed(page)
    bid = page.current_batch_id()
    assert bid is not None
    with demo_db.session() as s:
        batch_name = s.get(Batch, bid).name
    code = str(page.vac_model.frame["code"].iloc[0])
    tid, number = _unfit(demo_db, code)
    add = page.findChild(QPushButton, "btn_add_pair")
    before = _counts(demo_db)

    # the clerk lets the refusal stand: nothing is added
    seen = Clerk(qtbot, [{"id_number": number, "vacancy_code": code}], None).click(add)
    assert any("不符合岗位" in m and "无健康证" in m for m in seen)
    assert any("已取消" in m for m in seen)
    assert _counts(demo_db) == before

    # now with 破例加入 and a reason
    seen = Clerk(qtbot, [{"id_number": number, "vacancy_code": code}], REASON).click(add)
    assert "override_dialog" in seen
    with demo_db.session() as s:
        p = s.scalar(select(Placement).where(Placement.trainee_id == tid, Placement.batch_id == bid))
        assert p is not None and p.override_reason == REASON and p.status == "proposed"
        pid = p.id
    row = [i for i in range(page.pair_model.rowCount()) if int(page.pair_model.row(i)["id"]) == pid]
    assert row, "the new proposal is listed"
    assert str(page.pair_model.row(row[0])["reasons"]).startswith(f"※ 破例加入：{REASON}")  # the table says it too
    page.pair_view.selectRow(row[0])
    Clerk(qtbot, [], None).click(page.findChild(QPushButton, "btn_confirm"))
    with demo_db.session() as s:
        assert s.get(Placement, pid).status == "confirmed"
    page.grab().save("/tmp/override_tracking.png")

    out = write_batch_pdf(demo_db, batch_name, tmp_path / "roster.pdf", actor=staff)
    text = "".join((pg.extract_text() or "") for pg in pypdf.PdfReader(str(out)).pages).replace("\t", " ")
    with demo_db.session() as s:
        name = s.get(Trainee, tid).name
    assert f"{name}※" in text.replace(" ", "").replace("\n", "")
    flat = text.replace(" ", "").replace("\n", "")
    assert "※破例加入" in flat and REASON in flat
    # the workbook form of the same list says the same
    import openpyxl

    from db.services.lists import ListSelection, build_list, write_xlsx

    xlsx = write_xlsx(demo_db, staff, build_list(demo_db, staff, ListSelection(batch_id=bid)), tmp_path / "roster.xlsx")
    cells = [str(c.value) for row in openpyxl.load_workbook(xlsx).active.iter_rows() for c in row if c.value]
    assert f"{name}※" in cells and any(c.startswith("※ 破例加入") and REASON in c for c in cells)


def test_no_exception_below_the_legal_working_age(demo_db, staff) -> None:  # type: ignore[no-untyped-def]
    vid, code, (tid,), (number,) = eligible_free(demo_db)
    today = dt.date.today()
    with demo_db.session() as s:
        s.get(Trainee, tid).birth_date = today.replace(year=today.year - 15)
        vac = s.get(Vacancy, vid)
        vac.age_min, vac.age_max = 18, 50
    batch = batches.create_batch(demo_db, staff, name="年龄测试")
    before = _counts(demo_db)
    with pytest.raises(NotEligible, match="15岁"):
        batches.add_proposal(demo_db, staff, batch, number, code)
    with pytest.raises(UserError, match="未满 16 周岁.*不能破例加入"):
        batches.add_proposal(demo_db, staff, batch, number, code, override="家长同意")
    assert _counts(demo_db) == before


def test_every_broken_rule_agrees_with_the_first_rule(demo_db) -> None:  # type: ignore[no-untyped-def]
    """matching.features.broken_rules (every rule, for refusals) and eligibility (the first, for
    rankings) are one definition: same verdict, and the first listed is the one rankings report."""
    import numpy as np

    from db import frames
    from matching.data import MatchData
    from matching.features import ELIGIBLE, broken_rules, eligibility

    with demo_db.engine.connect() as conn:
        data = MatchData.build(frames.trainees_frame(conn, SYSTEM), frames.vacancies_frame(conn), None)
    rng = np.random.default_rng(3)
    t = rng.integers(0, len(data.T["trainee_id"]), 4000)
    v = rng.integers(0, len(data.V["vacancy_id"]), 4000)
    first = eligibility(data, t, v)
    every = broken_rules(data, t, v)
    assert (first == ELIGIBLE).sum() > 0 and (first != ELIGIBLE).sum() > 0
    for code, codes in zip(first.tolist(), every):
        assert (code == ELIGIBLE) == (codes == []) and (not codes or codes[0] == code)
    assert any(len(codes) > 1 for codes in every)  # refusals can name several rules
