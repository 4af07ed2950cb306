"""Import of the monthly work table (（务工月监测）已外出务工信息): work found outside LaborBridge (public
posts, local workshops, self-found jobs) so the monthly report counts it, marked with its source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update

from core.access import Actor, require
from core.households import destination
from core.i18n import tr
from db.audit import record
from db.engine import Database
from db.models import Household, HouseholdMember, WorkRecord, utcnow
from db.services.exchange import read_roster
from db.services.exchange.columns import Progress
from db.services.exchange.results import ImportResult, RowIssue
from db.services.exchange.writing import _bulk_insert, _lock_for_writing
from db.services.households.members import _id, check_county
from db.services.stats import ID_PROVINCES

KIND = "household_work"
STORED = ("household_code", "end_month", "place", "destination", "monthly_income", "industry", "channel",
          "point_to_point", "travel_subsidy")


def import_work(database: Database, path: str | Path, actor: Actor, *,
                progress: Progress | None = None) -> ImportResult:
    """Upsert each job by (ID, start month, employer); a row saying 是否已务工 = 否 is not a job."""
    require(actor, "households.write")
    report = progress or (lambda _p, _m: None)
    parsed, result, _table = read_roster(KIND, path, report)
    check_county(database, parsed.rows)
    layout = parsed.layout
    source = Path(path).name[:120]
    w, h, m = WorkRecord.__table__, Household.__table__, HouseholdMember.__table__
    with database.session() as session:
        conn = session.connection()
        _lock_for_writing(conn)
        homes = {number: (county, code) for number, county, code in conn.execute(
            select(m.c.id_number, h.c.county, h.c.code).join(h, h.c.id == m.c.household_id))}
        existing = {(r.id_number, r.start_month, r.employer): r for r in conn.execute(select(w))}
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for r in parsed.rows:
            v = r.values
            number = _id(v["id_number"])
            if v.get("working") is False:
                continue
            start, end = v["start_month"], v.get("end_month")
            if end is not None and end < start:
                result.issues.append(RowIssue(r.row, layout.headers["end_month"], f"{end:%Y-%m}",
                                              tr(f"结束时间早于开始时间（{start:%Y年%m月}）",
                                                 f"End before start ({start:%Y-%m})")))
                continue
            county, code = homes.get(number, (v.get("county"), v.get("household_code")))
            if number not in homes:
                result.issues.append(RowIssue(r.row, layout.headers["id_number"], number[:6] + "…",
                                              tr("此人不在已导入的家庭成员中：已记下务工，但在导入成员导出表之前不计入报表",
                                                 "This person is not a member of an imported household: the work "
                                                 "is kept but counts in the report once the member export has "
                                                 "them"), "warning"))
            values = {"household_code": code or v.get("household_code"), "end_month": end,
                      "place": v.get("place"),
                      "destination": destination(ID_PROVINCES.get(number[:2]), county or v.get("county"),
                                                 v.get("place")),
                      "monthly_income": v.get("monthly_income"), "industry": v.get("industry"),
                      "channel": v.get("channel"), "point_to_point": v.get("point_to_point"),
                      "travel_subsidy": v.get("travel_subsidy")}
            key = (number, start, v.get("employer") or "")
            old = existing.get(key)
            if old is None:
                inserts.append({"id_number": number, "start_month": start, "employer": key[2], **values,
                                "source": source, "created_at": now, "updated_at": now})
                result.inserted += 1
            elif any(values[f] is not None and getattr(old, f) != values[f] for f in STORED):
                merged = {f: values[f] if values[f] is not None else getattr(old, f) for f in STORED}
                updates.append({"b_id": old.id, **merged, "source": source, "updated_at": now})
                result.updated += 1
            else:
                result.unchanged += 1
        _bulk_insert(conn, w, inserts)
        if updates:
            keys = [k for k in updates[0] if k != "b_id"]
            conn.execute(update(w).where(w.c.id == bindparam("b_id")).values({k: bindparam(k) for k in keys}),
                         updates)
        record(session, actor, "import", KIND, None, detail=json.dumps(
            {"file": source, "data_rows": result.data_rows, "inserted": result.inserted, "updated": result.updated,
             "unchanged": result.unchanged, "rejected": len(result.rejected_rows)}, ensure_ascii=False))
    result.issues.sort(key=lambda i: (i.row, i.severity != "error"))
    return result
