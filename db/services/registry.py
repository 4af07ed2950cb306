"""Registry services behind the buttons: trainees, cohorts, graduation and certificates, employers
and vacancies. Every function takes the acting user, checks the permission, writes in one
transaction and records the change in the audit log.

Form values come in as the user typed them (strings, or dates/numbers from widgets) and are checked
with the same field rules as the Excel import; :class:`FormErrors` carries one message per field so
the dialog can show it beside the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Actor, check_sees_trainee, require, school_scope, sees_trainee
from core.fields import (
    FieldError,
    ResidentId,
    check_contact_phone,
    check_not_future,
    check_uscc,
    clean_text,
    parse_date,
    parse_level,
    parse_number,
    parse_skill,
)
from core.i18n import UserError, tr
from core.placement import SEAT_HOLDING
from db.audit import record
from db.changes import BATCH, EMPLOYER, PLACEMENT, TRAINEE, VACANCY, Changes, WithChanges
from db.engine import Database
from db.models import (
    Certificate,
    Cohort,
    Employer,
    Placement,
    School,
    Trainee,
    TrainingRecord,
    Vacancy,
    utcnow,
)
from db.rules import scope_trainees, seats_left_expr, seats_taken
from db.services.exchange import PARSERS, _enrol


class FormErrors(UserError):
    """Per-field messages of a form; ``errors`` maps field name to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.values()), "")
        super().__init__(tr(f"请改正标红的 {len(self.errors)} 项：{first}",
                            f"Please correct {len(self.errors)} field(s): {first}"), code=1)
        self.en = f"Please correct {len(self.errors)} field(s): {first}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_form(kind: str, values: Mapping[str, Any], required: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    parsers = PARSERS[kind]
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    from db.services.exchange import COLUMNS
    labels = {c.field: c for c in COLUMNS[kind]}
    for key, value in values.items():
        if key not in parsers:
            clean[key] = value
            continue
        if _blank(value):
            clean[key] = None
            if key in required:
                col = labels[key]
                errors[key] = tr(f"{col.zh}为空", f"{col.en} is empty")
            continue
        try:
            clean[key] = parsers[key][0](value)
        except FieldError as exc:
            errors[key] = str(exc)
    return clean, errors


# --- trainees ------------------------------------------------------------------------------------

TRAINEE_FORM_FIELDS = ("name", "id_number", "ethnicity", "phone", "township", "village", "household_type",
                       "skills", "skill_level", "school", "graduation_date", "training_hours", "mandarin",
                       "preferred_regions", "expected_wage", "available_from", "health_cert_expiry", "notes")


def validate_trainee(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean values (model field names) and per-field messages of a trainee form."""
    clean, errors = _parse_form("trainees", values, ("name", "id_number"))
    out: dict[str, Any] = {k: v for k, v in clean.items() if k in TRAINEE_FORM_FIELDS}
    rid = clean.get("id_number")
    if isinstance(rid, ResidentId):
        out["id_number"], out["gender"], out["birth_date"] = rid.number, rid.gender, rid.birth_date
    out["household_type"] = out.get("household_type") or "general"
    out["skills"] = out.get("skills") or ""
    out["preferred_regions"] = out.get("preferred_regions") or ""
    return out, errors


def _school_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    sid = session.scalar(select(School.id).where(School.name == name))
    if sid is None:
        school = School(name=name)
        session.add(school)
        session.flush()
        sid = school.id
    return sid


def _snapshot(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _check_unchanged(obj: Any, loaded: Mapping[str, Any] | None, what: str, what_en: str) -> None:
    """Stale-edit check for a form opened earlier: refuse when any field it showed was changed since.

    Compares the values the form was opened with, not a row version, so a seat confirmed meanwhile
    (which bumps a vacancy's version) does not spoil an edit of its title."""
    if loaded is None:
        return
    changed = [k for k, v in loaded.items() if hasattr(obj, k) and getattr(obj, k) != v]
    if changed:
        raise UserError(f"{what}在您打开之后已被其他用户修改，您的修改未保存；请关闭后重新打开再改。",
                        f"The {what_en} was changed by someone else after you opened it; your changes were not "
                        "saved. Reopen it and edit again.", code=3)


def save_trainee(database: Database, actor: Actor, values: Mapping[str, Any], trainee_id: int | None = None) -> WithChanges:
    """Add (``trainee_id`` None) or edit a trainee; raises FormErrors with per-field messages."""
    require(actor, "registry.write")
    clean, errors = validate_trainee(values)
    if errors:
        raise FormErrors(errors)
    with database.session() as session:
        clash = session.execute(select(Trainee.id, Trainee.name, Trainee.deleted_at)
                                .where(Trainee.id_number == clean["id_number"])).first()
        if clash is not None and clash.id != trainee_id:
            extra = tr("（该记录已删除，可在“已删除”中恢复）", " (deleted; restore it from 'Deleted')") if clash.deleted_at else ""
            raise FormErrors({"id_number": tr(f"该身份证号已登记为“{clash.name}”{extra}，一人只能登记一次",
                                              f"This ID number is already registered as '{clash.name}'{extra}")})
        school_name = clean.pop("school", None)
        scope = school_scope(actor)
        if scope is not None:
            # a school account registers its own school's trainees only, and never creates a school
            own = session.scalar(select(School.name).where(School.id == scope))
            if school_name and school_name != own:
                raise FormErrors({"school": tr(f"学校账号只能登记本校（{own}）的学员。",
                                               f"A school account registers only its own school's ({own}) trainees.")})
            school_id: int | None = scope
        else:
            # resolve (or create) the school before the trainee is in the session, so it is one write
            school_id = _school_id(session, school_name) if school_name else None
        trainee: Trainee | None  # a lookup may find none; both branches below leave one
        if trainee_id is None:
            trainee = Trainee()
            session.add(trainee)
            before = None
        else:
            trainee = session.get(Trainee, trainee_id)
            if trainee is None:
                raise UserError("该学员已不存在（可能已被他人删除）", "This trainee no longer exists", code=1)
            check_sees_trainee(actor, trainee.school_id)
            if values.get("version") is not None and int(values["version"]) != trainee.version:
                raise UserError(f"{trainee.name} 的记录在您打开之后已被其他用户修改，您的修改未保存；请关闭后重新打开再改。",
                                f"The record of {trainee.name} was changed by someone else after you opened it; "
                                "your changes were not saved. Reopen it and edit again.", code=3)
            before = _snapshot(trainee, [*clean, "school_id"])
        for key, value in clean.items():
            setattr(trainee, key, value)
        trainee.school_id = school_id
        session.flush()
        record(session, actor, "create" if before is None else "update", "trainee", trainee.id,
               before=before, after=_snapshot(trainee, [*clean, "school_id"]))
        return WithChanges(trainee.id, Changes.of(TRAINEE, PLACEMENT))


def delete_trainee(database: Database, actor: Actor, trainee_id: int) -> Changes:
    """Soft delete (undo with :func:`restore_trainee`); refused while a placement is active."""
    require(actor, "registry.write")
    with database.session() as session:
        trainee = session.get(Trainee, trainee_id)
        if trainee is None or trainee.deleted_at is not None:
            return Changes()
        check_sees_trainee(actor, trainee.school_id)
        active = session.scalar(select(func.count()).select_from(Placement).where(
            Placement.trainee_id == trainee_id, Placement.status.in_(SEAT_HOLDING)))
        if active:
            raise UserError(f"{trainee.name} 有进行中的就业记录（已确认/已出发/在岗），不能删除；请先在“派遣与跟踪”中结束该记录。",
                            f"{trainee.name} has an active placement and cannot be deleted; end it first.")
        trainee.deleted_at = utcnow()
        record(session, actor, "delete", "trainee", trainee_id, before={"name": trainee.name,
                                                                         "id_number": trainee.id_number})
    return Changes.of(TRAINEE, PLACEMENT)


def restore_trainee(database: Database, actor: Actor, trainee_id: int) -> Changes:
    require(actor, "registry.write")
    with database.session() as session:
        trainee = session.get(Trainee, trainee_id)
        if trainee is None or trainee.deleted_at is None:
            return Changes()
        check_sees_trainee(actor, trainee.school_id)
        trainee.deleted_at = None
        record(session, actor, "restore", "trainee", trainee_id, after={"name": trainee.name})
    return Changes.of(TRAINEE, PLACEMENT)


@dataclass(frozen=True)
class TraineeDetail:
    values: dict[str, Any]
    school: str | None
    training: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    placements: list[dict[str, Any]]
    deleted: bool


def trainee_detail(database: Database, actor: Actor, trainee_id: int) -> TraineeDetail:
    require(actor, "registry.read")
    with database.session() as session:
        t = session.get(Trainee, trainee_id)
        if t is None or not sees_trainee(actor, t.school_id):
            raise UserError("该学员不存在或无权查看", "No such trainee, or not visible to you", code=1)
        values = {f: getattr(t, f) for f in ("name", "id_number", "gender", "birth_date", "ethnicity", "phone",
                                              "township", "village", "household_type", "skills", "skill_level",
                                              "graduation_date", "training_hours", "mandarin", "preferred_regions",
                                              "expected_wage", "available_from", "health_cert_expiry", "notes",
                                              "version")}
        training = [{"school": r.school.name if r.school else "", "cohort": r.cohort.name if r.cohort else "",
                     "skill": r.skill, "start_date": r.start_date, "end_date": r.end_date, "hours": r.hours,
                     "graduated_on": r.graduated_on}
                    for r in sorted(t.training_records, key=lambda r: (r.start_date or dt.date.min, r.id))]
        certs = [{"cert_type": c.cert_type, "skill": c.skill, "level": c.level, "number": c.number,
                  "issuer": c.issuer, "issue_date": c.issue_date}
                 for c in sorted(t.certificates, key=lambda c: (c.issue_date or dt.date.min, c.id))]
        placements = [{"vacancy": p.vacancy.code, "employer": p.vacancy.employer.name, "status": p.status,
                       "start_date": p.start_date, "end_date": p.end_date, "employment_form": p.employment_form}
                      for p in sorted(t.placements, key=lambda p: (p.start_date or dt.date.min, p.id))]
        return TraineeDetail(values, t.school.name if t.school else None, training, certs, placements,
                             t.deleted_at is not None)


# --- cohorts, graduation, certificates ------------------------------------------------------------

def schools(database: Database) -> list[tuple[int, str]]:
    with database.session() as session:
        return [(r.id, r.name) for r in session.execute(select(School.id, School.name).order_by(School.name))]


def cohorts(database: Database, actor: Actor, school_id: int | None = None) -> list[dict[str, Any]]:
    require(actor, "registry.read")
    with database.session() as session:
        stmt = select(Cohort, School.name).join(School, School.id == Cohort.school_id).order_by(Cohort.id.desc())
        if school_scope(actor) is not None:
            stmt = stmt.where(Cohort.school_id == school_scope(actor))
        elif school_id is not None:
            stmt = stmt.where(Cohort.school_id == school_id)
        members = dict(session.execute(select(TrainingRecord.cohort_id, func.count())
                                       .group_by(TrainingRecord.cohort_id)).all())
        return [{"id": c.id, "name": c.name, "school": sname, "school_id": c.school_id, "skill": c.skill,
                 "start_date": c.start_date, "end_date": c.end_date, "hours": c.hours,
                 "members": int(members.get(c.id, 0))} for c, sname in session.execute(stmt)]


def create_cohort(database: Database, actor: Actor, *, school: str, name: str, skill: str,
                  start_date: Any = None, end_date: Any = None, hours: Any = None) -> int:
    """A course cohort of a school; raises FormErrors per field."""
    require(actor, "registry.write")
    errors: dict[str, str] = {}
    school = clean_text(school)
    name = clean_text(name)
    if not school and school_scope(actor) is None:
        errors["school"] = tr("培训学校为空", "School is empty")
    if not name:
        errors["name"] = tr("班级名称为空", "Cohort name is empty")
    values: dict[str, Any] = {}
    for key, fn in (("skill", lambda v: parse_skill(v)),
                    ("start_date", lambda v: parse_date(v, "开班日期", "Start date")),
                    ("end_date", lambda v: parse_date(v, "结业日期", "End date")),
                    ("hours", lambda v: parse_number(v, "课时", "Hours", minimum=1, maximum=5000, integer=True))):
        raw = {"skill": skill, "start_date": start_date, "end_date": end_date, "hours": hours}[key]
        try:
            values[key] = None if _blank(raw) else fn(raw)
        except FieldError as exc:
            errors[key] = str(exc)
    if values.get("skill") is None and "skill" not in errors:
        errors["skill"] = tr("技能为空", "Skill is empty")
    if values.get("start_date") and values.get("end_date") and values["end_date"] < values["start_date"]:
        errors["end_date"] = tr("结业日期早于开班日期", "End date before start date")
    if errors:
        raise FormErrors(errors)
    with database.session() as session:
        sid = school_scope(actor) or _school_id(session, school)
        assert sid is not None
        if session.scalar(select(Cohort.id).where(Cohort.school_id == sid, Cohort.name == name)):
            raise FormErrors({"name": tr(f"本校已有名为“{name}”的培训班", f"This school already has a cohort '{name}'")})
        cohort = Cohort(school_id=sid, name=name, **values)
        session.add(cohort)
        session.flush()
        record(session, actor, "create", "cohort", cohort.id, after={"name": name, **values})
        return cohort.id


def enrol(database: Database, actor: Actor, cohort_id: int, trainee_ids: Sequence[int]) -> int:
    """Add trainees to a cohort (training records); returns how many were new."""
    require(actor, "registry.write")
    with database.session() as session:
        n = _enrol(session.connection(), cohort_id, list(trainee_ids), actor=actor)
        record(session, actor, "enrol", "cohort", cohort_id, detail=f"{n}")
        return n


def cohort_members(database: Database, actor: Actor, cohort_id: int) -> list[dict[str, Any]]:
    require(actor, "registry.read")
    with database.session() as session:
        cohort = session.get(Cohort, cohort_id)
        if cohort is None or not sees_trainee(actor, cohort.school_id):
            raise UserError("该培训班不存在或无权查看", "No such cohort, or not visible to you", code=1)
        rows = session.execute(scope_trainees(actor,
            select(TrainingRecord.id, TrainingRecord.graduated_on, Trainee.id.label("trainee_id"), Trainee.name,
                   Trainee.id_number, Trainee.skill_level)
            .join(Trainee, Trainee.id == TrainingRecord.trainee_id)
            .where(TrainingRecord.cohort_id == cohort_id).order_by(Trainee.name))).all()
        certs: dict[int, str] = {}
        if cohort is not None and rows:
            for c in session.execute(select(Certificate.trainee_id, Certificate.number).where(
                    Certificate.trainee_id.in_([r.trainee_id for r in rows]), Certificate.skill == cohort.skill)):
                certs[c.trainee_id] = c.number or ""
        return [{"record_id": r.id, "trainee_id": r.trainee_id, "name": r.name, "id_number": r.id_number,
                 "graduated_on": r.graduated_on, "certificate": certs.get(r.trainee_id, "")} for r in rows]


@dataclass(frozen=True)
class CertificateInput:
    trainee_id: int
    number: str
    cert_type: str = "graded"       # graded / special / training
    level: int | None = None
    issue_date: dt.date | None = None
    issuer: str | None = None


CERT_TYPES = {"graded": ("职业技能等级证书", "Graded skill certificate"),
              "special": ("专项职业能力证书", "Special ability certificate"),
              "training": ("培训合格证书", "Training certificate")}


def graduate(database: Database, actor: Actor, cohort_id: int, trainee_ids: Sequence[int],
             graduation_date: Any, certificates: Sequence[CertificateInput] = ()) -> dict[str, int]:
    """Mark trainees of a cohort as graduated (结业) and record their certificates, all or nothing.

    Certificate problems are collected per trainee (``FormErrors`` keyed ``cert:<trainee_id>``) and
    nothing is written unless every one is valid."""
    require(actor, "registry.write")
    try:
        day = check_not_future(parse_date(graduation_date, "结业日期", "Graduation date"), "结业日期", "Graduation date")
    except FieldError as exc:
        raise FormErrors({"graduation_date": str(exc)}) from None
    if day is None:
        raise FormErrors({"graduation_date": tr("结业日期为空", "Graduation date is empty")})
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for c in certificates:
        key = f"cert:{c.trainee_id}"
        number = clean_text(c.number).replace(" ", "")
        if not number:
            errors[key] = tr("证书编号为空", "Certificate number is empty")
        elif number in numbers:
            errors[key] = tr(f"证书编号 {number} 重复", f"Certificate number {number} is used twice")
        if c.cert_type not in CERT_TYPES:
            errors[key] = tr("证书类型无效", "Invalid certificate type")
        elif c.cert_type == "graded":
            try:
                if parse_level(c.level) is None:
                    errors[key] = tr("职业技能等级证书须填等级（五级…一级）", "A graded certificate needs a level")
            except FieldError as exc:
                errors[key] = str(exc)
        try:
            check_not_future(c.issue_date, "发证日期", "Issue date")
        except FieldError as exc:
            errors[key] = str(exc)
        numbers[number] = c.trainee_id
    with database.session() as session:
        cohort = session.get(Cohort, cohort_id)
        if cohort is None:
            raise UserError("培训班不存在", "No such cohort", code=1)
        if not sees_trainee(actor, cohort.school_id):
            raise UserError("该培训班属于其他学校", "This cohort belongs to another school", code=1)
        if numbers:
            # The column is nullable, but IN (...) never matches NULL.
            taken = cast(Sequence[str], session.scalars(select(Certificate.number)
                                                        .where(Certificate.number.in_(list(numbers)))).all())
            for used in taken:
                errors.setdefault(f"cert:{numbers[used]}",
                                  tr(f"证书编号 {used} 已登记", f"Certificate number {used} is already registered"))
        if errors:
            raise FormErrors(errors)
        records = session.scalars(select(TrainingRecord).where(TrainingRecord.cohort_id == cohort_id,
                                                               TrainingRecord.trainee_id.in_(list(trainee_ids)))).all()
        graduated = 0
        for rec in records:
            rec.graduated_on = day
            trainee = rec.trainee
            trainee.graduation_date = max(trainee.graduation_date or day, day)
            hours = session.scalar(select(func.coalesce(func.sum(TrainingRecord.hours), 0)).where(
                TrainingRecord.trainee_id == trainee.id, TrainingRecord.graduated_on.is_not(None)))
            trainee.training_hours = max(trainee.training_hours or 0, int(hours or 0)) or None
            skills = trainee.skill_list
            if cohort.skill not in skills:
                trainee.skills = ",".join([*skills, cohort.skill])
            graduated += 1
        issued = 0
        for c in certificates:
            level = parse_level(c.level) if c.cert_type == "graded" else None
            session.add(Certificate(trainee_id=c.trainee_id, cert_type=c.cert_type, skill=cohort.skill, level=level,
                                    number=clean_text(c.number).replace(" ", ""), issuer=c.issuer,
                                    issue_date=c.issue_date or day))
            if level is not None:
                holder = session.get(Trainee, c.trainee_id)
                assert holder is not None
                holder.skill_level = level if holder.skill_level is None else min(holder.skill_level, level)
            issued += 1
        record(session, actor, "graduate", "cohort", cohort_id,
               detail=f"graduated={graduated} certificates={issued} date={day}")
        return {"graduated": graduated, "certificates": issued}


# --- employers and vacancies ------------------------------------------------------------------------

EMPLOYER_FIELDS = ("name", "uscc", "province", "city", "district", "partner_city", "contact", "contact_phone")


def save_employer(database: Database, actor: Actor, values: Mapping[str, Any], employer_id: int | None = None) -> WithChanges:
    require(actor, "employer.write")
    parsers = PARSERS["vacancies"]
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in EMPLOYER_FIELDS:
        raw = values.get(key)
        if _blank(raw):
            clean[key] = None
            if key in ("name", "province", "city"):
                errors[key] = tr("必填", "Required")
            continue
        try:
            if key == "name":
                clean[key] = parsers["employer"][0](raw)
            elif key == "uscc":
                clean[key] = check_uscc(raw)
            elif key == "contact_phone":
                clean[key] = check_contact_phone(raw)
            else:
                clean[key] = parsers[key][0](raw)
        except FieldError as exc:
            errors[key] = str(exc)
    if errors:
        raise FormErrors(errors)
    with database.session() as session:
        if clean["uscc"]:
            other = session.scalar(select(Employer.id).where(Employer.uscc == clean["uscc"]))
            if other is not None and other != employer_id:
                raise FormErrors({"uscc": tr("该统一社会信用代码已登记为另一家单位", "This code belongs to another employer")})
        employer: Employer | None  # a lookup may find none; both branches below leave one
        if employer_id is None:
            employer = Employer()
            session.add(employer)
            before = None
        else:
            employer = session.get(Employer, employer_id)
            if employer is None:
                raise UserError("该单位已不存在", "This employer no longer exists", code=1)
            _check_unchanged(employer, values.get("loaded"), f"单位“{employer.name}”", f"employer '{employer.name}'")
            before = _snapshot(employer, EMPLOYER_FIELDS)
        for key, value in clean.items():
            setattr(employer, key, value)
        session.flush()
        record(session, actor, "create" if before is None else "update", "employer", employer.id,
               before=before, after=clean)
        return WithChanges(employer.id, Changes.of(EMPLOYER, VACANCY, PLACEMENT))


VACANCY_FORM_FIELDS = ("code", "title", "skill", "min_level", "headcount", "wage_min", "wage_max", "board",
                       "lodging", "age_min", "age_max", "gender_requirement", "contract_type", "needs_health_cert",
                       "start_date", "status", "contact", "contact_phone")


def save_vacancy(database: Database, actor: Actor, employer_id: int, values: Mapping[str, Any],
                 vacancy_id: int | None = None) -> WithChanges:
    """Add or edit a vacancy of an employer; raises FormErrors per field."""
    require(actor, "employer.write")
    raw = {k: v for k, v in values.items() if k not in ("board", "lodging", "needs_health_cert")}
    if not _blank(raw.get("status")) and raw["status"] in ("open", "filled", "closed"):
        status = raw.pop("status")
    else:
        status = None
    clean, errors = _parse_form("vacancies", raw, ("code", "title", "skill", "headcount"))
    if status:
        clean["status"] = status
    lo, hi = clean.get("wage_min"), clean.get("wage_max")
    if lo is not None and hi is not None and lo > hi:
        errors["wage_min"] = tr(f"月薪下限大于上限（下限 {lo}，上限 {hi}）", f"Wage minimum exceeds maximum ({lo} > {hi})")
    lo, hi = clean.get("age_min"), clean.get("age_max")
    if lo is not None and hi is not None and lo > hi:
        errors["age_min"] = tr("年龄下限大于上限", "Age minimum exceeds maximum")
    if errors:
        raise FormErrors(errors)
    for key in ("board", "lodging", "needs_health_cert"):
        if key in values:
            clean[key] = bool(values[key])
    clean["gender_requirement"] = clean.get("gender_requirement") or "any"
    clean["contract_type"] = clean.get("contract_type") or "long_term"
    clean["status"] = clean.get("status") or "open"
    clean = {k: v for k, v in clean.items() if k in VACANCY_FORM_FIELDS}
    with database.session() as session:
        other = session.scalar(select(Vacancy.id).where(Vacancy.code == clean["code"]))
        if other is not None and other != vacancy_id:
            raise FormErrors({"code": tr(f"岗位编号 {clean['code']} 已存在", f"Code {clean['code']} already exists")})
        if session.get(Employer, employer_id) is None:
            raise UserError("用人单位不存在", "No such employer", code=1)
        vacancy: Vacancy | None  # a lookup may find none; both branches below leave one
        if vacancy_id is None:
            vacancy = Vacancy(employer_id=employer_id)
            session.add(vacancy)
            before = None
        else:
            vacancy = session.get(Vacancy, vacancy_id)
            if vacancy is None:
                raise UserError("该岗位已不存在", "This vacancy no longer exists", code=1)
            _check_unchanged(vacancy, values.get("loaded"), f"岗位 {vacancy.code} ", f"vacancy {vacancy.code}")
            taken = seats_taken(session, [vacancy_id]).get(vacancy_id, 0)
            if clean.get("headcount") and clean["headcount"] < taken:
                raise FormErrors({"headcount": tr(f"已有 {taken} 人确认或在岗，招聘人数不能少于 {taken}",
                                                  f"{taken} people are already placed; headcount cannot be below that")})
            before = _snapshot(vacancy, list(clean))
        for key, value in clean.items():
            setattr(vacancy, key, value)
        session.flush()
        record(session, actor, "create" if before is None else "update", "vacancy", vacancy.id,
               before=before, after=clean)
        return WithChanges(vacancy.id, Changes.of(EMPLOYER, VACANCY, BATCH))


def remaining_headcount(database: Database, vacancy_id: int) -> int:
    with database.session() as session:
        value = session.scalar(select(seats_left_expr()).select_from(Vacancy.__table__)
                               .where(Vacancy.__table__.c.id == vacancy_id))
        if value is None:
            raise UserError("该岗位不存在", "No such vacancy", code=1)
        return int(value)


def vacancy_values(database: Database, vacancy_id: int) -> dict[str, Any]:
    with database.session() as session:
        v = session.get(Vacancy, vacancy_id)
        if v is None:
            raise UserError("该岗位不存在", "No such vacancy", code=1)
        return {**_snapshot(v, VACANCY_FORM_FIELDS), "employer_id": v.employer_id}


def employer_values(database: Database, employer_id: int) -> dict[str, Any]:
    with database.session() as session:
        e = session.get(Employer, employer_id)
        if e is None:
            raise UserError("该单位不存在", "No such employer", code=1)
        return _snapshot(e, EMPLOYER_FIELDS)


def find_by_id_numbers(database: Database, actor: Actor, numbers: Sequence[str]) -> tuple[list[int], list[str]]:
    """Trainee ids for typed or pasted ID numbers, and the numbers not found (or invalid)."""
    require(actor, "registry.read")
    from core.fields import check_id_number

    wanted: dict[str, str] = {}
    missing: list[str] = []
    for raw in numbers:
        raw = clean_text(raw)
        if not raw:
            continue
        try:
            wanted[check_id_number(raw).number] = raw
        except FieldError:
            missing.append(raw)
    ids: list[int] = []
    with database.session() as session:
        stmt = select(Trainee.id, Trainee.id_number).where(Trainee.id_number.in_(list(wanted)),
                                                           Trainee.deleted_at.is_(None))
        stmt = scope_trainees(actor, stmt)
        found = {n: i for i, n in session.execute(stmt)}
    for number, raw in wanted.items():
        if number in found:
            ids.append(found[number])
        else:
            missing.append(raw)
    return ids, missing
