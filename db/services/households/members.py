"""Import of the monitoring system's member export (one row per member): households updated in place,
members in, out or moved recorded, members linked to trainees by ID number (every link change audited).

The file is read by the roster machinery (db/services/exchange: measuring, decoding, header search,
alias matching, the row-error report); this module adds the checks across rows and the write.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from core.access import Actor, require
from core.fields import ResidentId, mask_id
from core.households import MAX_RISKS, same_county
from core.i18n import UserError, tr
from db.audit import record
from db.changes import Changes
from db.engine import Database
from db.models import Household, HouseholdEvent, HouseholdMember, Trainee, utcnow
from db.services.bureau import bureau
from db.services.exchange import read_roster
from db.services.exchange.columns import Progress
from db.services.exchange.parsing import ParsedRow
from db.services.exchange.results import ImportResult, RowIssue
from db.services.exchange.writing import _bulk_insert, _chunks, _lock_for_writing

KIND = "household_members"
HOUSEHOLD_FIELDS = ("county", "township", "village", "natural_village", "size", "household_kind", "monitoring_kind",
                    "identified_month", "eliminated", "elimination_method", "eliminated_month", "risks",
                    "income_per_capita", "income_year", "wage_income")
MEMBER_FIELDS = ("person_code", "name", "relation", "labour", "work_place")
# what the history records when it changes (the rest is corrected silently, as the export says)
_RISK_KEYS = tuple(f"risk{i}" for i in range(1, MAX_RISKS + 1))
WATCHED = ("monitoring_kind", "eliminated", "eliminated_month", "household_kind", "risks")


@dataclass
class HouseholdImport:
    """What the member import did; ``result`` is the roster import's result (rows, issues, report)."""
    result: ImportResult
    households: int = 0
    members: int = 0
    linked: int = 0
    new_households: int = 0
    updated_households: int = 0
    moved_members: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changes(self) -> Changes:
        return self.result.changes if self.households or self.linked else Changes()

    def to_json(self) -> dict[str, Any]:
        return {"households": self.households, "members": self.members, "linked": self.linked,
                "new_households": self.new_households, "updated_households": self.updated_households,
                "errors": [{"row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
                           for i in self.result.errors]}

    def summary(self) -> str:
        return tr(f"监测系统导出：{self.households} 户、{self.members} 名成员（其中 {self.linked} 人已关联学员），"
                  f"新增 {self.new_households} 户，更新 {self.updated_households} 户，迁户 {self.moved_members} 人，"
                  f"拒绝 {len(self.result.rejected_rows)} 行。",
                  f"Monitoring export: {self.households} households, {self.members} members ({self.linked} linked "
                  f"to trainees), {self.new_households} new, {self.updated_households} updated, "
                  f"{self.moved_members} moved, {len(self.result.rejected_rows)} rows rejected.")


def _id(value: Any) -> str:
    return value.number if isinstance(value, ResidentId) else str(value)


def _household_values(rows: list[ParsedRow]) -> dict[str, Any]:
    """The household's fields from its members' rows (the export repeats them on every row)."""
    first = rows[0].values
    out: dict[str, Any] = {f: first.get(f) for f in HOUSEHOLD_FIELDS}
    for r in rows[1:]:  # a value missing on the first row may be on another
        for f, v in out.items():
            if v is None and r.values.get(f) is not None:
                out[f] = r.values[f]
    risks: list[str] = []
    for r in rows:
        for key in _RISK_KEYS:
            risk = r.values.get(key)
            if risk and risk not in risks:
                risks.append(risk)
    out["risks"] = "、".join(risks[:MAX_RISKS])
    out["monitoring_kind"] = out["monitoring_kind"] or None
    out["household_kind"] = out["household_kind"] or "general"
    out["eliminated"] = bool(out["eliminated"]) or out["eliminated_month"] is not None
    return out


def _cross_check(rows: list[ParsedRow], table: list[tuple[int, list[Any]]], result: ImportResult,
                 code_column: int | None, code_header: str, id_header: str, size_header: str
                 ) -> dict[str, list[ParsedRow]]:
    """Households whose every row is good: a member in two households, 人数 not the members listed, or
    any rejected row keeps the whole household out (never stored with members missing)."""
    by_code: dict[str, list[ParsedRow]] = defaultdict(list)
    for r in rows:
        by_code[r.values["household_code"]].append(r)
    bad_codes: dict[str, str] = {}
    rejected = set(result.rejected_rows)
    if code_column is not None:
        raw = dict(table)
        for number in rejected:
            cells = raw.get(number) or []
            code = str(cells[code_column]).strip() if code_column < len(cells) and cells[code_column] else ""
            if code.endswith(".0"):
                code = code[:-2]
            if code in by_code:
                bad_codes.setdefault(code, tr(f"本户第 {number} 行有错误，整户未导入（改正后重新导入）",
                                              f"Row {number} of this household has an error; the household "
                                              "was not imported (correct it and import again)"))
    homes: dict[str, list[ParsedRow]] = defaultdict(list)  # members by ID number
    for r in rows:
        homes[_id(r.values["id_number"])].append(r)
    for person, listed in homes.items():
        codes = sorted({str(r.values["household_code"]) for r in listed})
        if len(codes) > 1:
            where = "、".join(f"{r.values['household_code']}（第 {r.row} 行）" for r in listed)
            where_en = ", ".join(f"{r.values['household_code']} (row {r.row})" for r in listed)
            for r in listed:
                result.issues.append(RowIssue(r.row, id_header, mask_id(person),
                                              tr(f"同一人列在两户中：{where}。请在监测系统中核实后重新导出",
                                                 f"The same person is listed in two households: {where_en}. "
                                                 "Check in the monitoring system and export again")))
            for c in codes:
                bad_codes.setdefault(c, tr("本户有成员同时列在另一户中，整户未导入",
                                           "A member of this household is listed in another one too; the "
                                           "household was not imported"))
    for code, listed in by_code.items():
        sizes: set[int] = {int(r.values["size"]) for r in listed if r.values.get("size") is not None}
        if len(sizes) > 1:
            bad_codes.setdefault(code, tr(f"本户各行的人数不一致（{'、'.join(map(str, sorted(sizes)))}）",
                                          f"The rows of this household give different sizes ({sorted(sizes)})"))
        elif sizes and (size := sizes.pop()) != len(listed):
            bad_codes.setdefault(code, tr(f"人数为 {size}，但本户列出 {len(listed)} 名成员，整户未导入",
                                          f"Household size is {size} but {len(listed)} members are listed; the "
                                          "household was not imported"))
    for code, reason in bad_codes.items():
        for r in by_code[code]:
            if r.row not in rejected:
                result.issues.append(RowIssue(r.row, size_header if "人数" in reason else code_header, code, reason))
    return {c: listed for c, listed in by_code.items() if c not in bad_codes}


def check_county(database: Database, rows: list[ParsedRow]) -> None:
    """An export of another county is refused whole: its households are not ours to report."""
    _name, county = bureau(database)
    if not county:
        return
    for r in rows:
        theirs = r.values.get("county")
        if theirs and not same_county(theirs, county):
            raise UserError(f"这份导出属于“{theirs}”（第 {r.row} 行），不是本局所在的“{county}”：没有导入任何数据。",
                            f"This export belongs to '{theirs}' (row {r.row}), not to this bureau's county "
                            f"'{county}': nothing was imported.", code=2)


def import_members(database: Database, path: str | Path, actor: Actor, *,
                   progress: Progress | None = None) -> HouseholdImport:
    """Read the member export and update households in place (keyed by 户编号, then a member's ID)."""
    require(actor, "households.write")
    report = progress or (lambda _p, _m: None)
    parsed, result, table = read_roster(KIND, path, report)
    check_county(database, parsed.rows)
    layout = parsed.layout
    code_column = next((i for i, c in layout.columns.items() if c.field == "household_code"), None)
    good = _cross_check(parsed.rows, table, result, code_column, layout.headers["household_code"],
                        layout.headers["id_number"], layout.headers.get("size", layout.headers["household_code"]))
    out = HouseholdImport(result)
    report(60, tr("正在写入…", "Writing…"))
    with database.session() as session:
        conn = session.connection()
        _lock_for_writing(conn)
        write_households(conn, actor, good, out)
        record(session, actor, "import", KIND, None, detail=json.dumps(
            {"file": Path(path).name, "data_rows": result.data_rows, "households": out.households,
             "members": out.members, "new_households": out.new_households,
             "updated_households": out.updated_households, "moved": out.moved_members,
             "rejected": len(result.rejected_rows)}, ensure_ascii=False))
        link_changes = out.events  # audited one by one below, in the same transaction
        for change in link_changes:
            record(session, actor, "household.link", "trainee", change["trainee_id"],
                   before={"household": change["before"]}, after={"household": change["after"]},
                   detail=json.dumps({"id_number": mask_id(change["id_number"])}, ensure_ascii=False))
    result.issues.sort(key=lambda i: (i.row, i.severity != "error"))
    report(100, tr("完成", "Done"))
    return out


def write_households(conn: Connection, actor: Actor, good: dict[str, list[ParsedRow]], out: HouseholdImport, *,
                     touch_trainees: bool = True) -> None:
    """Write checked households (rows by 户编号) inside the caller's transaction; the demo writes through this
    too (its trainees are new: nothing has read them, so their row versions are left alone)."""
    h, m, t = Household.__table__, HouseholdMember.__table__, Trainee.__table__
    existing = {row.code: row for row in conn.execute(select(h).where(h.c.code.is_not(None)))}
    members = {row.id_number: row for row in conn.execute(select(m))}
    code_of = {row.id: row.code for row in conn.execute(select(h.c.id, h.c.code))}
    trainees = dict(conn.execute(select(t.c.id_number, t.c.id).where(t.c.deleted_at.is_(None))).all())
    now = utcnow()
    new_households: list[dict[str, Any]] = []
    household_updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}  # id_number -> (household code, member values)
    for code, rows in good.items():
        values = _household_values(rows)
        found = existing.get(code)
        if found is None:  # a household entered by hand has no 户编号: found by a member's ID
            ids = [_id(r.values["id_number"]) for r in rows]
            hand = next((members[i].household_id for i in ids if i in members
                         and code_of.get(members[i].household_id) is None), None)
            if hand is not None:
                found = conn.execute(select(h).where(h.c.id == hand)).one()
        if found is None:
            new_households.append({"code": code, **values, "created_at": now, "updated_at": now, "version": 1})
            out.new_households += 1
        else:
            changed = {f: v for f, v in values.items() if v is not None and getattr(found, f) != v}
            if found.code != code:
                changed["code"] = code
            if changed:
                household_updates.append({"b_id": found.id, **{f: getattr(found, f) for f in HOUSEHOLD_FIELDS},
                                          "code": code, **changed, "updated_at": now})
                watched = {f: (getattr(found, f), v) for f, v in changed.items() if f in WATCHED}
                if watched:
                    events.append({"household_id": found.id, "kind": "changed",
                                   "detail": _detail({f: [str(a) if a is not None else None,
                                                          str(b) if b is not None else None]
                                                      for f, (a, b) in watched.items()})})
                out.updated_households += 1
        for r in rows:
            wanted[_id(r.values["id_number"])] = (code, {f: r.values.get(f) for f in MEMBER_FIELDS})
        out.households += 1
    if new_households:
        _bulk_insert(conn, h, new_households)
    if household_updates:
        keys = [k for k in household_updates[0] if k != "b_id"]
        for row in household_updates:
            for k in keys:
                row.setdefault(k, None)
        conn.execute(update(h).where(h.c.id == bindparam("b_id"))
                     .values({k: bindparam(k) for k in keys}).values(version=h.c.version + 1), household_updates)
    ids_by_code = dict(conn.execute(select(h.c.code, h.c.id).where(h.c.code.in_(list(good)))).all()) \
        if len(good) <= 500 else {c: i for c, i in conn.execute(select(h.c.code, h.c.id)) if c in good}
    code_of.update({i: c for c, i in ids_by_code.items()})
    inserts: list[dict[str, Any]] = []
    member_updates: list[dict[str, Any]] = []
    link_changes: list[dict[str, Any]] = []
    touched_trainees: list[int] = []
    listed_in = defaultdict(set)
    for number, (code, values) in wanted.items():
        household_id = ids_by_code[code]
        listed_in[household_id].add(number)
        trainee_id = trainees.get(number)
        old = members.get(number)
        if old is None:
            inserts.append({"household_id": household_id, "id_number": number, **values, "trainee_id": trainee_id,
                            "created_at": now, "updated_at": now})
            events.append({"household_id": household_id, "kind": "member_in",
                           "detail": _detail({"name": values["name"], "id_number": mask_id(number)})})
            if trainee_id is not None:
                link_changes.append({"trainee_id": trainee_id, "id_number": number, "before": None, "after": code})
            continue
        changed = {f: v for f, v in values.items() if v is not None and getattr(old, f) != v}
        if old.household_id != household_id:
            from_code = code_of.get(old.household_id)
            detail = _detail({"name": values["name"], "id_number": mask_id(number), "from": from_code, "to": code})
            events.append({"household_id": household_id, "kind": "member_moved_in", "detail": detail})
            events.append({"household_id": old.household_id, "kind": "member_moved_out", "detail": detail})
            changed["household_id"] = household_id
            out.moved_members += 1
            if trainee_id is not None:
                link_changes.append({"trainee_id": trainee_id, "id_number": number, "before": from_code,
                                     "after": code})
        if old.trainee_id != trainee_id and trainee_id is not None:
            changed["trainee_id"] = trainee_id
            link_changes.append({"trainee_id": trainee_id, "id_number": number, "before": None, "after": code})
        if changed:
            member_updates.append({"b_id": old.id, **{f: getattr(old, f) for f in (*MEMBER_FIELDS, "household_id",
                                                                                    "trainee_id")},
                                   **changed, "updated_at": now})
    # members no longer listed in a household of this file have left it (the household was exported whole)
    gone = [old for old in members.values() if old.household_id in listed_in and old.id_number not in wanted]
    for old in gone:
        events.append({"household_id": old.household_id, "kind": "member_out",
                       "detail": _detail({"name": old.name, "id_number": mask_id(old.id_number)})})
        if old.trainee_id is not None:
            link_changes.append({"trainee_id": old.trainee_id, "id_number": old.id_number,
                                 "before": code_of.get(old.household_id), "after": None})
    for chunk in _chunks([old.id for old in gone]):
        conn.execute(delete(m).where(m.c.id.in_(list(chunk))))
    if member_updates:
        keys = [k for k in member_updates[0] if k != "b_id"]
        conn.execute(update(m).where(m.c.id == bindparam("b_id")).values({k: bindparam(k) for k in keys}),
                     member_updates)
    _bulk_insert(conn, m, inserts)
    if events:
        _bulk_insert(conn, HouseholdEvent.__table__,
                     [{**e, "at": now, "user_id": actor.user_id} for e in events])
    touched_trainees = sorted({c["trainee_id"] for c in link_changes})
    for chunk in _chunks(touched_trainees if touch_trainees else []):
        # the matcher's warm frames and open dialogs notice: the trainee's priority may have changed
        conn.execute(update(t).where(t.c.id.in_(list(chunk))).values(updated_at=now, version=t.c.version + 1))
    out.events = link_changes
    out.members = len(wanted)
    out.linked = sum(1 for number in wanted if number in trainees)


def _detail(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, default=str)
