"""Add or edit an employer or one of its vacancies, with inline messages per field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from core import vocab
from core.access import Actor
from core.i18n import tr
from core.vocab import LEVEL_NAMES, PROVINCES, SKILLS
from db.engine import Database
from db.services import registry
from ui.forms import FieldForm, date_hint
from ui.permissions import gate


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    b = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    b.button(QDialogButtonBox.StandardButton.Save).setText(tr("保存", "Save"))
    b.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("取消", "Cancel"))
    b.accepted.connect(dialog.save)  # type: ignore[attr-defined]
    gate(dialog.actor, "employer.write", b.button(QDialogButtonBox.StandardButton.Save))  # type: ignore[attr-defined]
    b.rejected.connect(dialog.reject)
    return b



def _GENDER_CHOICES() -> list[tuple[str, str]]:  # noqa: N802 - read like a constant, built per language
    return [("any", tr(*vocab.ANY_GENDER)), *((k, tr(zh, en)) for k, (zh, en) in vocab.GENDERS.items())]


def _CONTRACT_CHOICES() -> list[tuple[str, str]]:  # noqa: N802
    return [(k, tr(zh, en)) for k, (zh, en) in vocab.CONTRACT_TYPES.items()]

class EmployerDialog(QDialog):
    def __init__(self, database: Database, actor: Actor, employer_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor, self.employer_id = database, actor, employer_id
        self.saved_id: int | None = None
        self.setWindowTitle(tr("新增用人单位", "Add employer") if employer_id is None else tr("编辑用人单位", "Edit employer"))
        self.resize(520, 420)
        f = self.form = FieldForm()
        f.line("name", tr("单位名称", "Name"), True)
        f.line("uscc", tr("统一社会信用代码", "USCC"), placeholder=tr("18位", "18 characters"))
        f.combo("province", tr("省份", "Province"), [""] + PROVINCES, required=True)
        f.line("city", tr("城市", "City"), True)
        f.line("district", tr("区县", "District"))
        f.line("partner_city", tr("对口城市", "Partner city"))
        f.line("contact", tr("联系人", "Contact"))
        f.line("contact_phone", tr("联系电话", "Phone"))
        lay = QVBoxLayout(self)
        lay.addWidget(f)
        lay.addWidget(_buttons(self))
        self.loaded: dict[str, Any] | None = None
        if employer_id is not None:
            self.loaded = registry.employer_values(database, employer_id)
            for k, v in self.loaded.items():
                f.set_value(k, v)

    def save(self) -> None:
        ok, self.saved_id = self.form.submit(lambda: registry.save_employer(
            self.database, self.actor, {**self.form.values(), "loaded": self.loaded}, self.employer_id))
        if ok:
            self.accept()


_STATUS = [(k, zh, en) for k, (zh, en) in vocab.VACANCY_STATUSES.items()]


class VacancyDialog(QDialog):
    def __init__(self, database: Database, actor: Actor, employer_id: int, vacancy_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor, self.employer_id, self.vacancy_id = database, actor, employer_id, vacancy_id
        self.saved_id: int | None = None
        self.setWindowTitle(tr("新增岗位", "Add vacancy") if vacancy_id is None else tr("编辑岗位", "Edit vacancy"))
        self.resize(540, 680)
        f = self.form = FieldForm()
        f.line("code", tr("岗位编号", "Code"), True)
        f.line("title", tr("岗位名称", "Title"), True)
        f.combo("skill", tr("技能要求", "Skill"), [zh for zh, _e in SKILLS.values()], required=True)
        f.combo("min_level", tr("最低等级", "Minimum level"), [""] + [LEVEL_NAMES[n][0].split("/")[0] for n in (5, 4, 3, 2, 1)])
        f.line("headcount", tr("招聘人数", "Headcount"), True)
        f.line("wage_min", tr("月薪下限（元）", "Wage min"))
        f.line("wage_max", tr("月薪上限（元）", "Wage max"))
        f.line("age_min", tr("年龄下限", "Age min"))
        f.line("age_max", tr("年龄上限", "Age max"))
        f.combo("gender_requirement", tr("性别要求", "Gender requirement"), _GENDER_CHOICES())
        f.combo("contract_type", tr("用工类型", "Contract type"), _CONTRACT_CHOICES())
        f.line("start_date", tr("到岗日期", "Start date"), placeholder=date_hint())
        f.combo("status", tr("状态", "Status"), [tr(zh, en) for _k, zh, en in _STATUS])
        f.line("contact", tr("联系人", "Contact"))
        f.line("contact_phone", tr("联系电话", "Phone"))
        self.board = QCheckBox(tr("包吃", "Board"))
        self.lodging = QCheckBox(tr("包住", "Lodging"))
        self.health = QCheckBox(tr("需要健康证", "Needs health certificate"))
        self.health.setChecked(True)
        for cb in (self.board, self.lodging, self.health):
            f.layout_.addRow("", cb)
        lay = QVBoxLayout(self)
        lay.addWidget(f)
        lay.addWidget(_buttons(self))
        self.loaded: dict[str, Any] | None = None
        if vacancy_id is not None:
            self.loaded = {k: v for k, v in registry.vacancy_values(database, vacancy_id).items() if k != "employer_id"}
            self._load(self.loaded)
        else:
            f.set_value("headcount", "1")

    def _load(self, v: dict[str, Any]) -> None:
        f = self.form
        for k in ("code", "title", "headcount", "wage_min", "wage_max", "age_min", "age_max", "contact", "contact_phone"):
            f.set_value(k, v.get(k))
        f.set_value("skill", SKILLS[v["skill"]][0])
        f.set_value("min_level", LEVEL_NAMES[v["min_level"]][0].split("/")[0] if v.get("min_level") else "")
        f.set_value("gender_requirement", v["gender_requirement"] or "any")
        f.set_value("contract_type", v["contract_type"] or "long_term")
        f.set_value("start_date", f"{v['start_date']:%Y-%m-%d}" if isinstance(v.get("start_date"), dt.date) else "")
        self.form.widgets["status"].setCurrentIndex([k for k, _z, _e in _STATUS].index(v["status"]))  # type: ignore[attr-defined]
        self.board.setChecked(bool(v["board"]))
        self.lodging.setChecked(bool(v["lodging"]))
        self.health.setChecked(bool(v["needs_health_cert"]))

    def values(self) -> dict[str, Any]:
        v: dict[str, Any] = self.form.values()
        v["status"] = _STATUS[self.form.widgets["status"].currentIndex()][0]  # type: ignore[attr-defined]
        v.update(board=self.board.isChecked(), lodging=self.lodging.isChecked(),
                 needs_health_cert=self.health.isChecked(), loaded=self.loaded)
        return v

    def save(self) -> None:
        ok, self.saved_id = self.form.submit(
            lambda: registry.save_vacancy(self.database, self.actor, self.employer_id, self.values(), self.vacancy_id))
        if ok:
            self.accept()
