"""Add or edit one trainee, with the message of each wrong field shown under it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.access import Actor
from core.i18n import tr
from core.vocab import HOUSEHOLD_TYPES, LEVEL_NAMES, MANDARIN, SKILLS, gender_label
from db.engine import Database
from db.services import registry
from ui.forms import FieldForm, date_hint
from ui.permissions import gate


def _date_text(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if isinstance(value, dt.date) else ""


class TraineeDialog(QDialog):
    """``trainee_id`` None adds a person; otherwise edits them."""

    def __init__(self, database: Database, actor: Actor, trainee_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor, self.trainee_id = database, actor, trainee_id
        self.saved_id: int | None = None
        self.setWindowTitle(tr("新增学员", "Add trainee") if trainee_id is None else tr("编辑学员", "Edit trainee"))
        self.resize(560, 720)
        f = self.form = FieldForm()
        f.line("name", tr("姓名", "Name"), True, tr("少数民族姓名用 · 分隔", "use · between name parts"))
        f.line("id_number", tr("身份证号", "ID number"), True, tr("18位", "18 characters"))
        self.derived = QLabel()
        self.derived.setObjectName("derived")
        self.derived.setStyleSheet("color: #555;")
        f.layout_.addRow(tr("性别 / 出生日期", "Gender / birth"), self.derived)
        f.line("ethnicity", tr("民族", "Ethnicity"))
        f.line("phone", tr("手机号", "Mobile"))
        f.line("township", tr("乡镇", "Township"))
        f.line("village", tr("村", "Village"))
        f.combo("household_type", tr("户类型", "Household type"), [zh for zh, _en in HOUSEHOLD_TYPES.values()])
        f.checks("skills", tr("技能", "Skills"), [(k, zh) for k, (zh, _en) in SKILLS.items()])
        f.combo("skill_level", tr("技能等级", "Skill level"),
                [""] + [LEVEL_NAMES[n][0].split("/")[0] for n in (5, 4, 3, 2, 1)])
        f.combo("school", tr("培训学校", "School"), [""] + [n for _i, n in registry.schools(database)], editable=True)
        f.line("graduation_date", tr("结业日期", "Graduation date"), placeholder=date_hint())
        f.line("training_hours", tr("培训课时", "Training hours"))
        f.combo("mandarin", tr("普通话", "Mandarin"), [""] + [zh for zh, _en in MANDARIN.values()])
        f.line("preferred_regions", tr("意向地区", "Preferred regions"), placeholder=tr("江苏、上海", "Jiangsu, Shanghai"))
        f.line("expected_wage", tr("期望月薪（元）", "Expected wage (yuan)"))
        f.line("available_from", tr("可出发日期", "Available from"), placeholder=date_hint())
        f.line("health_cert_expiry", tr("健康证有效期", "Health certificate expiry"), placeholder=date_hint())
        f.text("notes", tr("备注", "Notes"))
        for key, widget in f.widgets.items():
            if hasattr(widget, "editingFinished"):
                widget.editingFinished.connect(lambda k=key: self.check_field(k))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(f)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("保存", "Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("取消", "Cancel"))
        self.buttons.accepted.connect(self.save)
        gate(actor, "registry.write", self.buttons.button(QDialogButtonBox.StandardButton.Save))
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll)
        lay.addWidget(self.buttons)
        if trainee_id is not None:
            self._load()

    def _load(self) -> None:
        assert self.trainee_id is not None
        d = registry.trainee_detail(self.database, self.actor, self.trainee_id)
        v = d.values
        self.loaded_version = v.get("version")
        f = self.form
        for key in ("name", "id_number", "ethnicity", "phone", "township", "village", "training_hours",
                    "expected_wage", "notes"):
            f.set_value(key, v.get(key))
        for key in ("graduation_date", "available_from", "health_cert_expiry"):
            f.set_value(key, _date_text(v.get(key)))
        f.set_value("household_type", HOUSEHOLD_TYPES.get(v["household_type"], ("",))[0])
        f.set_value("skills", [s for s in (v.get("skills") or "").split(",") if s])
        f.set_value("skill_level", LEVEL_NAMES[v["skill_level"]][0].split("/")[0] if v.get("skill_level") else "")
        f.set_value("school", d.school or "")
        f.set_value("mandarin", MANDARIN.get(v.get("mandarin") or "", ("",))[0])
        f.set_value("preferred_regions", "、".join(p for p in (v.get("preferred_regions") or "").split(",") if p))
        self.check_field("id_number")

    def check_field(self, key: str) -> None:
        """Validate one field as the user leaves it."""
        _clean, errors = registry.validate_trainee({key: self.form.value(key)})
        current = {k: self.form.error_text(k) for k in self.form.widgets if self.form.error_text(k)}
        current.pop(key, None)
        if key in errors:
            current[key] = errors[key]
        self.form.show_errors(current)
        if key == "id_number":
            clean, _e = registry.validate_trainee({"id_number": self.form.value("id_number")})
            if "birth_date" in clean:
                self.derived.setText(f"{gender_label(clean['gender'])} · {clean['birth_date']:%Y-%m-%d}")
            else:
                self.derived.setText("")

    def save(self) -> None:
        values = {**self.form.values(), "version": getattr(self, "loaded_version", None)}
        ok, self.saved_id = self.form.submit(
            lambda: registry.save_trainee(self.database, self.actor, values, self.trainee_id))
        if ok:
            self.accept()
