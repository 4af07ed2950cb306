"""SQL for the registry pages: one SELECT per table, search, filters and sort all in SQL.

The pages never load a whole registry: they page through these statements with LIMIT/OFFSET
(ui/sql_model.py). Search understands a name, its pinyin or pinyin initials (``zsy`` finds 张舒雨,
via the indexed ``name_pinyin`` / ``name_initials`` with a prefix range, so the index is used), the
last digits of an ID or phone, or a whole ID number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, case, func, literal, or_, select

from core.access import Actor
from core.fields import clean_text
from core.placement import SEAT_HOLDING
from db.models import Employer, Placement, School, Trainee, Vacancy
from db.rules import effective_household_expr, scope_trainees, seats_left_expr, vacancy_open_expr


@dataclass(frozen=True)
class QueryColumn:
    key: str
    zh: str
    en: str
    sortable: bool = True


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(col: Any, text: str) -> ColumnElement[bool]:
    """``col`` starts with ``text`` as an index range (LIKE would not use the index in SQLite)."""
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    return and_(col >= text, col < upper)


def trainee_search(text: str) -> ColumnElement[bool] | None:
    q = clean_text(text).replace(" ", "")
    if not q:
        return None
    t = Trainee.__table__
    if re.fullmatch(r"\d{17}[\dXx]", q):
        return t.c.id_number == q.upper()
    if re.fullmatch(r"\d+[Xx]?", q):
        # Ends-with on the ID and phone indexes (narrow covering scans), then rowid lookups: about
        # twice as fast as scanning the wide trainee table with LIKE on 200,000 rows.
        pattern = "%" + q.upper()
        t2 = t.alias("by_digits")
        by_id = select(t2.c.id).where(t2.c.id_number.like(pattern))
        ids: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]] = by_id
        if q.isdigit():
            ids = by_id.union(select(t2.c.id).where(t2.c.phone.like(pattern)))
        return t.c.id.in_(ids)
    if re.fullmatch(r"[A-Za-z]+", q):
        low = q.lower()
        return or_(_prefix(t.c.name_initials, low), _prefix(t.c.name_pinyin, low))
    return t.c.name.like("%" + _escape_like(q) + "%", escape="\\")


@dataclass(frozen=True)
class TraineeHit:
    """One trainee found by :func:`find_trainees`, as a picker shows it (the ID masked)."""
    id: int
    name: str
    id_number: str
    phone: str | None
    township: str | None

    def label(self) -> str:
        from core.fields import mask_id, mask_phone
        parts = [self.name, mask_id(self.id_number)]
        if self.phone:
            parts.append(mask_phone(self.phone))
        if self.township:
            parts.append(self.township)
        return "  ".join(parts)


def find_trainees(session: Any, actor: Actor, text: str, limit: int = 20) -> list[TraineeHit]:
    """Trainees (not deleted, visible to ``actor``) matching a name, pinyin initials, a whole ID or the
    last digits of an ID or phone — the one look-up behind every place a trainee is asked for."""
    cond = trainee_search(text)
    if cond is None:
        return []
    t = Trainee.__table__
    stmt = (select(t.c.id, t.c.name, t.c.id_number, t.c.phone, t.c.township)
            .where(cond, t.c.deleted_at.is_(None)).order_by(t.c.name_pinyin, t.c.id).limit(limit))
    stmt = scope_trainees(actor, stmt)
    return [TraineeHit(int(r[0]), str(r[1]), str(r[2]), r[3], r[4]) for r in session.execute(stmt)]


def trainee_hit(session: Any, actor: Actor, trainee_id: int) -> TraineeHit | None:
    """One trainee by id as :func:`find_trainees` gives it; None when gone or out of ``actor``'s scope."""
    t = Trainee.__table__
    stmt = scope_trainees(actor, select(t.c.id, t.c.name, t.c.id_number, t.c.phone, t.c.township)
                          .where(t.c.id == trainee_id, t.c.deleted_at.is_(None)))
    row = session.execute(stmt).first()
    return None if row is None else TraineeHit(int(row[0]), str(row[1]), str(row[2]), row[3], row[4])


@dataclass
class TraineeFilter:
    search: str = ""
    township: str | None = None
    skill: str | None = None
    level: int | None = None          # 0 = no graded certificate
    household_type: str | None = None
    status: str | None = None         # available / placed / deleted (None = all but deleted)
    school_id: int | None = None


TRAINEE_COLUMNS: tuple[QueryColumn, ...] = (
    QueryColumn("name", "姓名", "Name"),
    QueryColumn("id_number", "身份证号", "ID number"),
    QueryColumn("gender", "性别", "Gender"),
    QueryColumn("birth_date", "年龄", "Age"),
    QueryColumn("phone", "手机号", "Mobile"),
    QueryColumn("township", "乡镇", "Township"),
    QueryColumn("household_type", "户类型", "Household"),
    QueryColumn("skills", "技能", "Skills"),
    QueryColumn("skill_level", "等级", "Level"),
    QueryColumn("school", "培训学校", "School"),
    QueryColumn("graduation_date", "结业日期", "Graduated"),
    QueryColumn("expected_wage", "期望月薪", "Expected wage"),
    QueryColumn("available_from", "可出发", "Available"),
    QueryColumn("status", "状态", "Status"),
)


def _placed_expr() -> ColumnElement[bool]:
    # IN (uncorrelated subquery): the few thousand active placements become one in-memory lookup
    # table; a correlated EXISTS would probe the placement index and table once per trainee.
    t, p = Trainee.__table__, Placement.__table__
    return t.c.id.in_(select(p.c.trainee_id).where(p.c.status.in_(SEAT_HOLDING)))


def trainee_query(actor: Actor, flt: TraineeFilter, sort_key: str | None = None,
                  descending: bool = False) -> PagedQuery:
    """Rows of the trainee page: ``id`` first, then the keys of TRAINEE_COLUMNS."""
    t, s = Trainee.__table__, School.__table__
    placed = _placed_expr()
    status = case((t.c.deleted_at.is_not(None), literal("deleted")), (placed, literal("placed")),
                  else_=literal("available"))
    school_name = select(s.c.name).where(s.c.id == t.c.school_id).scalar_subquery()
    cols = {
        "name": t.c.name, "id_number": t.c.id_number, "gender": t.c.gender, "birth_date": t.c.birth_date,
        "phone": t.c.phone, "township": t.c.township, "household_type": effective_household_expr(t),
        "skills": t.c.skills, "skill_level": t.c.skill_level, "school": school_name,
        "graduation_date": t.c.graduation_date, "expected_wage": t.c.expected_wage,
        "available_from": t.c.available_from, "status": status,
    }
    key = sort_key if sort_key in cols else None
    if key == "birth_date":  # the column shows age: ascending age is descending birth date
        descending = not descending
    sort_expr = cols[key] if key else t.c.id
    inner = select(t.c.id, sort_expr.label("sk")).where(*_trainee_where(flt, placed))
    inner = scope_trainees(actor, inner, t)
    inner = inner.order_by(*((sort_expr.desc(), t.c.id.desc()) if descending else (sort_expr.asc(), t.c.id)))

    def build(page: Any) -> Select:
        outer = select(t.c.id, *(c.label(k) for k, c in cols.items())).select_from(t.join(page, page.c.id == t.c.id))
        return outer.order_by(*((page.c.sk.desc(), t.c.id.desc()) if descending else (page.c.sk.asc(), t.c.id)))

    return PagedQuery(inner, build, descending)


def _trainee_where(flt: TraineeFilter, placed: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    t = Trainee.__table__
    where: list[ColumnElement[bool]] = []
    if flt.status == "deleted":
        where.append(t.c.deleted_at.is_not(None))
    else:
        where.append(t.c.deleted_at.is_(None))
        if flt.status == "placed":
            where.append(placed)
        elif flt.status == "available":
            where.append(~placed)
    search = trainee_search(flt.search)
    if search is not None:
        where.append(search)
    if flt.township:
        where.append(t.c.township == flt.township)
    if flt.skill:
        where.append(or_(t.c.skills == flt.skill, t.c.skills.like(f"{flt.skill},%"), t.c.skills.like(f"%,{flt.skill}")))
    if flt.level is not None:
        where.append(t.c.skill_level.is_(None) if flt.level == 0 else t.c.skill_level == flt.level)
    if flt.household_type:  # the type priority comes from: a linked trainee's household's
        where.append(effective_household_expr(t) == flt.household_type)
    if flt.school_id is not None:
        where.append(t.c.school_id == flt.school_id)
    return where


def count_of(stmt: Select | PagedQuery) -> Select:
    """COUNT(*) with the same FROM and WHERE but none of the (possibly costly) output columns."""
    if isinstance(stmt, PagedQuery):
        return stmt.count()
    return stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None).limit(None).offset(None)


@dataclass(frozen=True)
class PagedQuery:
    """A page query in two steps: ``inner`` picks the ids of one page (filter, ORDER BY, LIMIT over
    cheap columns only), ``build`` computes the displayed columns for those ids alone. Sorting
    200,000 rows then never evaluates per-row subqueries (school name, status) for all of them."""
    inner: Select           # id, sort key; filtered and ordered, no limit
    build: Callable[[Any], Select]
    descending: bool = False

    def page(self, offset: int, limit: int) -> Select:
        return self.build(self.inner.offset(offset).limit(limit).subquery("page"))

    def count(self) -> Select:
        return self.inner.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def townships(conn: Any) -> list[str]:
    t = Trainee.__table__
    return [r for r in conn.execute(select(t.c.township).where(t.c.township.is_not(None))
                                    .group_by(t.c.township).order_by(t.c.township)).scalars()]


# --- employers and vacancies ---------------------------------------------------------------------

EMPLOYER_COLUMNS: tuple[QueryColumn, ...] = (
    QueryColumn("name", "用人单位", "Employer"),
    QueryColumn("uscc", "统一社会信用代码", "USCC"),
    QueryColumn("province", "省份", "Province"),
    QueryColumn("city", "城市", "City"),
    QueryColumn("contact", "联系人", "Contact"),
    QueryColumn("contact_phone", "联系电话", "Phone"),
    QueryColumn("open_vacancies", "在招岗位", "Open vacancies"),
    QueryColumn("remaining", "剩余名额", "Seats left"),
)


@dataclass
class EmployerFilter:
    search: str = ""
    province: str | None = None


def employer_query(flt: EmployerFilter, sort_key: str | None = None, descending: bool = False) -> Select:
    e, v = Employer.__table__, Vacancy.__table__
    open_count = (select(func.count()).select_from(v)
                  .where(v.c.employer_id == e.c.id, vacancy_open_expr(v)).scalar_subquery())
    remaining = (select(func.coalesce(func.sum(seats_left_expr(v)), 0))
                 .where(v.c.employer_id == e.c.id).scalar_subquery())
    cols = {"name": e.c.name, "uscc": e.c.uscc, "province": e.c.province, "city": e.c.city,
            "contact": e.c.contact, "contact_phone": e.c.contact_phone, "open_vacancies": open_count,
            "remaining": remaining}
    stmt = select(e.c.id, *(c.label(k) for k, c in cols.items()))
    q = clean_text(flt.search).replace(" ", "")
    if q:
        like = "%" + _escape_like(q) + "%"
        stmt = stmt.where(or_(e.c.name.like(like, escape="\\"), e.c.uscc == q.upper(),
                              e.c.city.like(like, escape="\\")))
    if flt.province:
        stmt = stmt.where(e.c.province == flt.province)
    expr = cols.get(sort_key or "", e.c.id)
    return stmt.order_by(expr.desc() if descending else expr.asc(), e.c.id)


VACANCY_COLUMNS: tuple[QueryColumn, ...] = (
    QueryColumn("code", "岗位编号", "Code"),
    QueryColumn("title", "岗位名称", "Title"),
    QueryColumn("employer", "用人单位", "Employer"),
    QueryColumn("province", "省份", "Province"),
    QueryColumn("city", "城市", "City"),
    QueryColumn("skill", "技能要求", "Skill"),
    QueryColumn("min_level", "最低等级", "Min. level"),
    QueryColumn("wage", "月薪", "Wage"),
    QueryColumn("headcount", "招聘人数", "Headcount"),
    QueryColumn("remaining", "剩余名额", "Seats left"),
    QueryColumn("start_date", "到岗日期", "Start"),
    QueryColumn("status", "状态", "Status"),
)


@dataclass
class VacancyFilter:
    search: str = ""
    province: str | None = None
    skill: str | None = None
    status: str | None = None    # open / filled / closed
    employer_id: int | None = None
    with_seats: bool = False     # open with a seat left (db.rules.vacancy_open_expr)


def vacancy_query(flt: VacancyFilter, sort_key: str | None = None, descending: bool = False) -> Select:
    v, e = Vacancy.__table__, Employer.__table__
    remaining = seats_left_expr()
    cols = {"code": v.c.code, "title": v.c.title, "employer": e.c.name, "province": e.c.province,
            "city": e.c.city, "skill": v.c.skill, "min_level": v.c.min_level, "wage": v.c.wage_min,
            "wage_max": v.c.wage_max, "headcount": v.c.headcount, "remaining": remaining,
            "start_date": v.c.start_date, "status": v.c.status, "employer_id": v.c.employer_id,
            "gender_requirement": v.c.gender_requirement}
    stmt = select(v.c.id, *(c.label(k) for k, c in cols.items())).select_from(v.join(e, e.c.id == v.c.employer_id))
    q = clean_text(flt.search).replace(" ", "")
    if q:
        like = "%" + _escape_like(q) + "%"
        stmt = stmt.where(or_(v.c.code.like(like, escape="\\"), v.c.title.like(like, escape="\\"),
                              e.c.name.like(like, escape="\\")))
    if flt.province:
        stmt = stmt.where(e.c.province == flt.province)
    if flt.skill:
        stmt = stmt.where(v.c.skill == flt.skill)
    if flt.status:
        stmt = stmt.where(v.c.status == flt.status)
    if flt.employer_id is not None:
        stmt = stmt.where(v.c.employer_id == flt.employer_id)
    if flt.with_seats:
        stmt = stmt.where(vacancy_open_expr(v))
    expr = cols.get(sort_key or "", v.c.id)
    return stmt.order_by(expr.desc() if descending else expr.asc(), v.c.id)


def provinces(conn: Any) -> list[str]:
    e = Employer.__table__
    return list(conn.execute(select(e.c.province).group_by(e.c.province).order_by(e.c.province)).scalars())


def page(conn: Any, stmt: Select, offset: int, limit: int) -> Sequence[Any]:
    return conn.execute(stmt.offset(offset).limit(limit)).all()


__all__ = ["EMPLOYER_COLUMNS", "EmployerFilter", "QueryColumn", "TRAINEE_COLUMNS", "TraineeHit",
           "TraineeFilter", "find_trainees", "trainee_hit", "VACANCY_COLUMNS", "VacancyFilter", "count_of", "employer_query", "page",
           "provinces", "townships", "trainee_query", "trainee_search", "vacancy_query"]
