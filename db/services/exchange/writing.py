"""Writing parsed rows: inside the import's own write transaction, at the row versions read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from core.access import Actor, check_sees_trainee, school_scope, sees_trainee
from core.fields import (
    ResidentId,
)
from core.i18n import UserError, tr
from db.models import Cohort, Employer, Placement, School, Trainee, TrainingRecord, Vacancy, utcnow
from db.search import pinyin_keys
from db.services.exchange.columns import _CHUNK, Progress
from db.services.exchange.parsing import Parsed, ParsedRow
from db.services.exchange.results import ImportResult, RowIssue

# --- writing ------------------------------------------------------------------------------------

def _sqlite_value(value: Any) -> Any:
    # The storage formats of SQLAlchemy's SQLite Date/DateTime types, so ORM reads round-trip.
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _driver_rows(table: Any, keys: list[str], rows: list[dict[str, Any]]) -> list[tuple]:
    """Parameter tuples; only date, datetime and boolean columns are converted (the rest pass as is)."""
    from sqlalchemy import Boolean, Date, DateTime

    convert = [isinstance(table.c[k].type, (Date, DateTime, Boolean)) for k in keys]
    if not any(convert):
        return [tuple([r[k] for k in keys]) for r in rows]
    cache: dict[Any, Any] = {}  # timestamps and dates repeat: convert each distinct value once

    def conv(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = _sqlite_value(value)
            return out

    return [tuple([conv(r[k]) if c else r[k] for k, c in zip(keys, convert)]) for r in rows]


def _bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows; on SQLite straight through the driver (SQLAlchemy's per-row parameter
    processing costs more than the insert itself at 50,000 rows)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})"
    conn.exec_driver_sql(sql, _driver_rows(table, keys, rows))


def _bulk_update(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """UPDATE many rows by ``b_id`` where the row still has the version read (``b_version``), and bump
    it. The rows were read under a write lock, so a mismatch means the lock did not hold: the import
    stops (the transaction rolls back) rather than overwrite someone's edit."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        done = conn.execute(update(table).where(table.c.id == bindparam("b_id"),
                                                table.c.version == bindparam("b_version"))
                            .values(version=table.c.version + 1), rows).rowcount
    else:
        keys = [k for k in rows[0] if k not in ("b_id", "b_version")]
        sql = (f"UPDATE {table.name} SET {', '.join(f'{k} = ?' for k in keys)}, version = version + 1 "
               "WHERE id = ? AND version = ?")
        done = conn.exec_driver_sql(sql, [t + (r["b_id"], r["b_version"])
                                          for t, r in zip(_driver_rows(table, keys, rows), rows)]).rowcount
    if conn.dialect.supports_sane_multi_rowcount and done != len(rows):
        raise _conflict(len(rows) - done)


def _conflict(n: int) -> UserError:
    return UserError(f"导入期间有 {n} 条记录被其他用户修改。为免覆盖他们的修改，本次导入没有写入任何内容，请重新导入。",
                     f"{n} record(s) were changed by another user during the import. So as not to overwrite "
                     "their changes, nothing was imported; import the file again.", code=3)


def _lock_for_writing(conn: Connection) -> None:
    """Take the write lock before reading what the import compares: SQLite BEGIN IMMEDIATE (the driver
    would otherwise begin only at the first write, after the reads), on PostgreSQL one import at a time
    (rows read are locked FOR UPDATE as they are read). A lock held elsewhere for longer than the
    busy timeout is one sentence."""
    from sqlalchemy.exc import OperationalError

    try:
        if conn.dialect.name == "sqlite":
            if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7253716)")  # 'import' in any office
    except OperationalError:
        raise UserError("数据库正被其他用户写入（锁定时间过长），本次导入没有写入任何内容，请稍后重试。",
                        "The database is being written by someone else (locked for too long); nothing was "
                        "imported. Try again shortly.", code=1) from None


def _read_for_update(stmt: Any, dry_run: bool) -> Any:
    """Rows the import compares and then updates: locked until it commits (a no-op on SQLite, whose
    BEGIN IMMEDIATE already holds the write lock)."""
    return stmt if dry_run else stmt.with_for_update()


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


TRAINEE_DB_FIELDS = ("name", "gender", "birth_date", "ethnicity", "phone", "township", "village",
                     "household_type", "skills", "skill_level", "school_id", "graduation_date", "training_hours",
                     "mandarin", "preferred_regions", "expected_wage", "available_from", "health_cert_expiry",
                     "notes")


def _write_trainees(conn: Connection, actor: Actor, parsed: Parsed, result: ImportResult, dry_run: bool,
                    cohort_id: int | None, progress: Progress | None) -> None:
    t = Trainee.__table__
    provided = set(parsed.layout.headers) | {"gender", "birth_date"}
    if "school" in provided:
        provided.add("school_id")
    scope = school_scope(actor)
    school_ids = {name: sid for sid, name in conn.execute(select(School.id, School.name))}
    rows = parsed.rows
    if scope is None:  # schools by name, created when missing
        wanted = {r.values["school"] for r in rows if r.values.get("school") is not None} - set(school_ids)
        result.created["schools"] = len(wanted)
        if wanted and not dry_run:
            conn.execute(insert(School), [{"name": n} for n in sorted(wanted)])
            school_ids = {name: sid for sid, name in conn.execute(select(School.id, School.name))}
    else:  # a school account imports its own people only, and never creates a school
        kept = []
        for r in rows:
            name = r.values.get("school")
            if name is not None and not sees_trainee(actor, school_ids.get(name)):
                result.issues.append(RowIssue(r.row, parsed.layout.headers["school"], name, tr(
                    f"学校账号只能导入本校学员：“{name}”不是本校，本行未导入",
                    f"A school account imports its own trainees only: '{name}' is another school. "
                    "Row not imported")))
            else:
                kept.append(r)
        rows = kept
    keys = [r.values["id_number"].number for r in rows]
    cols = [t.c.id, t.c.id_number, t.c.deleted_at, t.c.version, *(t.c[f] for f in TRAINEE_DB_FIELDS)]
    existing: dict[str, Any] = {}
    for chunk in _chunks(keys):
        for row in conn.execute(_read_for_update(select(*cols).where(t.c.id_number.in_(chunk)), dry_run)):
            existing[row.id_number] = row
    if progress:
        progress(60, tr("正在比对登记册…", "Comparing with the registry…"))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    touched_ids: list[int] = []
    new_keys: list[str] = []
    now = utcnow()
    update_fields = [f for f in TRAINEE_DB_FIELDS if f in provided]
    for r in rows:
        v = r.values
        rid: ResidentId = v["id_number"]
        rec = {
            "name": v.get("name"), "gender": rid.gender, "birth_date": rid.birth_date,
            "ethnicity": v.get("ethnicity"), "phone": v.get("phone"), "township": v.get("township"),
            "village": v.get("village"), "household_type": v.get("household_type"), "skills": v.get("skills"),
            "skill_level": v.get("skill_level"),
            "school_id": school_ids.get(v["school"], -1) if v.get("school") else None,
            "graduation_date": v.get("graduation_date"), "training_hours": v.get("training_hours"),
            "mandarin": v.get("mandarin"), "preferred_regions": v.get("preferred_regions"),
            "expected_wage": v.get("expected_wage"), "available_from": v.get("available_from"),
            "health_cert_expiry": v.get("health_cert_expiry"), "notes": v.get("notes"),
        }
        if scope is not None and rec["school_id"] is None:
            rec["school_id"] = scope
        old = existing.get(rid.number)
        if old is None:
            rec["id_number"] = rid.number
            rec["household_type"] = rec["household_type"] or "general"
            rec["skills"] = rec["skills"] or ""
            rec["preferred_regions"] = rec["preferred_regions"] or ""
            rec["name_pinyin"], rec["name_initials"] = pinyin_keys(rec["name"])
            rec.update(created_at=now, updated_at=now, version=1)
            inserts.append(rec)
            new_keys.append(rid.number)
            continue
        if not sees_trainee(actor, old.school_id):
            result.issues.append(RowIssue(r.row, parsed.layout.headers["id_number"], rid.number,
                                          tr("该学员已由其他培训学校登记，学校账号不能修改，本行未导入",
                                             "This person is registered by another school; a school account "
                                             "cannot change them. Row not imported")))
            continue
        merged = {f: (rec[f] if rec[f] is not None else getattr(old, f)) for f in update_fields}
        touched_ids.append(old.id)
        if old.deleted_at is None and all(merged[f] == getattr(old, f) for f in update_fields):
            result.unchanged += 1
            continue
        merged["b_id"], merged["b_version"] = old.id, old.version
        merged["deleted_at"] = None
        merged["updated_at"] = now
        if "name" in merged:
            merged["name_pinyin"], merged["name_initials"] = pinyin_keys(merged["name"])
        updates.append(merged)
    result.inserted = len(inserts)
    result.updated = len(updates)
    if dry_run:
        return
    if progress:
        progress(70, tr("正在写入登记册…", "Writing to the registry…"))
    for i, chunk in enumerate(_chunks(inserts, 10000)):
        _bulk_insert(conn, t, list(chunk))
        if progress:
            progress(70 + int(20 * (i + 1) * 10000 / max(1, len(inserts))), tr("正在写入登记册…", "Writing…"))
    _bulk_update(conn, t, updates)
    if cohort_id is not None:
        ids = list(touched_ids)
        for chunk in _chunks(new_keys):
            ids.extend(conn.execute(select(t.c.id).where(t.c.id_number.in_(chunk))).scalars())
        result.created["training_records"] = _enrol(conn, cohort_id, ids, actor=actor)


def _enrol(conn: Connection, cohort_id: int, trainee_ids: Sequence[int], *, actor: Actor | None = None) -> int:
    """Training records of a cohort for these trainees (those already enrolled are skipped)."""
    cohort = conn.execute(select(Cohort).where(Cohort.id == cohort_id)).one_or_none()
    if cohort is None:
        raise UserError(f"培训班不存在（编号 {cohort_id}）", f"No such cohort ({cohort_id})")
    if actor is not None:
        check_sees_trainee(actor, cohort.school_id)  # a school account enrols into its own cohorts only
    tr_t = TrainingRecord.__table__
    enrolled = set(conn.execute(select(tr_t.c.trainee_id).where(tr_t.c.cohort_id == cohort_id)).scalars())
    rows = [{"trainee_id": tid, "school_id": cohort.school_id, "cohort_id": cohort_id, "skill": cohort.skill,
             "start_date": cohort.start_date, "end_date": cohort.end_date, "hours": cohort.hours}
            for tid in dict.fromkeys(trainee_ids) if tid not in enrolled]
    if rows:
        conn.execute(insert(tr_t), rows)
    return len(rows)


VACANCY_DB_FIELDS = ("employer_id", "title", "skill", "min_level", "headcount", "wage_min", "wage_max", "board",
                     "lodging", "age_min", "age_max", "gender_requirement", "contract_type", "needs_health_cert",
                     "start_date", "status", "contact", "contact_phone")


def _write_vacancies(conn: Connection, parsed: Parsed, result: ImportResult, dry_run: bool) -> None:
    e_t, v_t = Employer.__table__, Vacancy.__table__
    employers = list(conn.execute(select(e_t.c.id, e_t.c.name, e_t.c.uscc)))
    by_uscc = {e.uscc: e.id for e in employers if e.uscc}
    by_name: dict[str, int] = {}
    for e in employers:
        by_name.setdefault(e.name, e.id)
    no_uscc_by_name = {e.name: e.id for e in employers if not e.uscc}
    created = 0
    pending_new: dict[tuple[str, str | None], int] = {}
    provided = set(parsed.layout.headers)
    if "board_lodging" in provided:
        provided |= {"board", "lodging"}
    provided.add("employer_id")
    fake_id = -1
    resolved: list[tuple[ParsedRow, int]] = []
    for r in parsed.rows:
        v = r.values
        name, uscc = v["employer"], v.get("uscc")
        eid = by_uscc.get(uscc) if uscc else None
        if eid is None and uscc and name in no_uscc_by_name:
            eid = no_uscc_by_name[name]  # a known employer gets its credit code
            if not dry_run:
                conn.execute(update(e_t).where(e_t.c.id == eid).values(uscc=uscc))
            by_uscc[uscc] = eid
            no_uscc_by_name.pop(name)
        if eid is None and not uscc:
            eid = by_name.get(name)
        if eid is None:
            key = (name, uscc)
            if key not in pending_new:
                created += 1
                if dry_run:
                    pending_new[key] = fake_id
                    fake_id -= 1
                else:
                    new_key = conn.execute(insert(e_t).values(
                        name=name, uscc=uscc, province=v["province"], city=v["city"], district=v.get("district"),
                        partner_city=v.get("partner_city"), contact=v.get("contact"),
                        contact_phone=v.get("contact_phone"), created_at=utcnow())).inserted_primary_key
                    assert new_key is not None  # a one-row INSERT of an autoincrement key always reports it
                    pending_new[key] = new_key[0]
            eid = pending_new[key]
            if uscc:
                by_uscc[uscc] = eid
            by_name.setdefault(name, eid)
        resolved.append((r, eid))
    result.created["employers"] = created
    codes = [r.values["code"] for r in parsed.rows]
    existing: dict[str, Any] = {}
    for chunk in _chunks(codes):
        for row in conn.execute(_read_for_update(select(v_t.c.id, v_t.c.code, v_t.c.version,
                                                        *(v_t.c[f] for f in VACANCY_DB_FIELDS))
                                                 .where(v_t.c.code.in_(chunk)), dry_run)):
            existing[row.code] = row
    update_fields = [f for f in VACANCY_DB_FIELDS if f in provided]
    inserts, updates = [], []
    for r, eid in resolved:
        v = r.values
        board, lodging = v.get("board_lodging") or (None, None)
        rec = {"employer_id": eid, "title": v["title"], "skill": v["skill"], "min_level": v.get("min_level"),
               "headcount": v.get("headcount"), "wage_min": v.get("wage_min"), "wage_max": v.get("wage_max"),
               "board": board, "lodging": lodging, "age_min": v.get("age_min"), "age_max": v.get("age_max"),
               "gender_requirement": v.get("gender_requirement"), "contract_type": v.get("contract_type"),
               "needs_health_cert": v.get("needs_health_cert"), "start_date": v.get("start_date"),
               "status": v.get("status"), "contact": v.get("contact"), "contact_phone": v.get("contact_phone")}
        old = existing.get(v["code"])
        if old is None:
            defaults = {"headcount": 1, "board": False, "lodging": False, "gender_requirement": "any",
                        "contract_type": "long_term", "status": "open",
                        "needs_health_cert": v["skill"] != "domestic_service"}
            rec = {k: (defaults[k] if val is None and k in defaults else val) for k, val in rec.items()}
            rec["code"] = v["code"]
            inserts.append(rec)
            continue
        merged = {f: (rec[f] if rec[f] is not None else getattr(old, f)) for f in update_fields}
        if merged.get("wage_min") is not None and merged.get("wage_max") is not None \
                and merged["wage_min"] > merged["wage_max"]:
            result.issues.append(RowIssue(r.row, parsed.layout.headers.get("wage_min", ""), str(merged["wage_min"]),
                                          tr("月薪下限大于登记册中的月薪上限", "Wage minimum exceeds the registered maximum")))
            continue
        if all(merged[f] == getattr(old, f) for f in update_fields):
            result.unchanged += 1
            continue
        merged["b_id"], merged["b_version"] = old.id, old.version
        updates.append(merged)
    result.inserted, result.updated = len(inserts), len(updates)
    if dry_run:
        return
    now = utcnow()
    for rec in inserts:
        rec.update(created_at=now, version=1)
    _bulk_insert(conn, v_t, inserts)
    _bulk_update(conn, v_t, updates)


PLACEMENT_DB_FIELDS = ("end_date", "employment_form", "skilled_since", "monthly_wage", "leave_reason", "status")


def _write_placements(conn: Connection, parsed: Parsed, result: ImportResult, dry_run: bool) -> None:
    t_t, v_t, p_t = Trainee.__table__, Vacancy.__table__, Placement.__table__
    layout = parsed.layout
    ids = list({r.values["id_number"].number for r in parsed.rows})
    codes = list({r.values["vacancy_code"] for r in parsed.rows})
    people: dict[str, Any] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(t_t.c.id, t_t.c.id_number, t_t.c.name, t_t.c.deleted_at)
                                .where(t_t.c.id_number.in_(chunk))):
            people[row.id_number] = row
    vacancies: dict[str, int] = {}
    for chunk in _chunks(codes):
        vacancies.update({c: i for i, c in conn.execute(select(v_t.c.id, v_t.c.code).where(v_t.c.code.in_(chunk)))})
    good: list[tuple[ParsedRow, int, int]] = []
    for r in parsed.rows:
        v = r.values
        number = v["id_number"].number
        person = people.get(number)
        problems = []
        if person is None:
            problems.append(RowIssue(r.row, layout.headers["id_number"], number,
                                     tr("身份证号在登记册中不存在：请先导入该学员", "No trainee with this ID number: import the trainee first")))
        elif v.get("name") and v["name"] != person.name:
            result.issues.append(RowIssue(r.row, layout.headers["name"], v["name"],
                                          tr(f"姓名与登记册（{person.name}）不一致，已按身份证号匹配",
                                             f"Name differs from the registry ({person.name}); matched by ID number"),
                                          "warning"))
        if v["vacancy_code"] not in vacancies:
            problems.append(RowIssue(r.row, layout.headers["vacancy_code"], v["vacancy_code"],
                                     tr("岗位编号在登记册中不存在：请先导入岗位", "No vacancy with this code: import the vacancy first")))
        if problems:
            result.issues.extend(problems)
            continue
        assert person is not None  # a missing person is one of the problems above
        good.append((r, person.id, vacancies[v["vacancy_code"]]))
    existing: dict[tuple, Any] = {}
    tids = list({g[1] for g in good})
    for chunk in _chunks(tids):
        for row in conn.execute(_read_for_update(select(p_t.c.id, p_t.c.trainee_id, p_t.c.vacancy_id,
                                                        p_t.c.start_date, p_t.c.version,
                                                        *(p_t.c[f] for f in PLACEMENT_DB_FIELDS))
                                                 .where(p_t.c.trainee_id.in_(chunk)), dry_run)):
            existing[(row.trainee_id, row.vacancy_id, row.start_date)] = row
    provided = set(layout.headers) | {"status"}
    update_fields = [f for f in PLACEMENT_DB_FIELDS if f in provided]
    inserts, updates = [], []
    now = utcnow()
    for r, tid, vid in good:
        v = r.values
        rec = {f: v.get(f) for f in PLACEMENT_DB_FIELDS}
        old = existing.get((tid, vid, v["start_date"]))
        if old is None:
            rec["status"] = "ended" if v.get("end_date") else "on_job"
            rec["employment_form"] = rec["employment_form"] or "temporary"
            rec.update(trainee_id=tid, vacancy_id=vid, start_date=v["start_date"])
            inserts.append(rec)
            continue
        rec["status"] = "ended" if (v.get("end_date") or old.end_date) else "on_job"
        merged = {f: (rec[f] if rec[f] is not None else getattr(old, f)) for f in update_fields}
        if all(merged[f] == getattr(old, f) for f in update_fields):
            result.unchanged += 1
            continue
        merged["b_id"], merged["b_version"] = old.id, old.version
        merged["updated_at"] = now
        updates.append(merged)
    result.inserted, result.updated = len(inserts), len(updates)
    if dry_run:
        return
    for rec in inserts:
        rec.update(created_at=now, updated_at=now, version=1)
    _bulk_insert(conn, p_t, inserts)
    _bulk_update(conn, p_t, updates)
