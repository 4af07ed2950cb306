"""Reading placements: the tracking page's lazy table, filter choices and a worker's timeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import Select, exists, func, or_, select

from core.access import Actor, require
from core.fields import mask_id
from core.i18n import tr
from core.vocab import form_label, household_label, status_label
from db.engine import Database
from db.models import Batch, Employer, Placement, PlacementEvent, Trainee, User, Vacancy
from db.queries.lookup import find_batch as _batch
from db.rules import effective_household_expr, scope_trainees

PLACEMENT_COLUMNS = ["id", "trainee_id", "name", "id_number", "township", "household_type", "batch", "vacancy_code",
                     "employer", "title", "status", "start_date", "end_date", "monthly_wage", "employment_form",
                     "skilled_since", "model_score", "override_reason"]


def _placement_select(actor: Actor, *, batch_id: int | None = None, employer_id: int | None = None,
                      township: str | None = None, status: str | None = None, trainee_id: int | None = None,
                      search: str | None = None, placement_id: int | None = None) -> Select[*tuple[Any, ...]]:
    stmt = (select(Placement.id, Placement.trainee_id, Trainee.name, Trainee.id_number, Trainee.township,
                   effective_household_expr().label("household_type"), Batch.name.label("batch"), Vacancy.code.label("vacancy_code"),
                   Employer.name.label("employer"), Vacancy.title, Placement.status, Placement.start_date,
                   Placement.end_date, Placement.monthly_wage, Placement.employment_form, Placement.skilled_since,
                   Placement.model_score, Placement.override_reason)
            .join(Trainee, Trainee.id == Placement.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
            .join(Employer, Employer.id == Vacancy.employer_id).outerjoin(Batch, Batch.id == Placement.batch_id))
    stmt = scope_trainees(actor, stmt)
    if batch_id is not None:
        stmt = stmt.where(Placement.batch_id == batch_id)
    if employer_id is not None:
        stmt = stmt.where(Vacancy.employer_id == employer_id)
    if township:
        stmt = stmt.where(Trainee.township == township)
    if status:
        stmt = stmt.where(Placement.status == status)
    if trainee_id is not None:
        stmt = stmt.where(Placement.trainee_id == trainee_id)
    if placement_id is not None:
        stmt = stmt.where(Placement.id == placement_id)
    if search:
        like = f"%{search.strip()}%"
        stmt = stmt.where(or_(Trainee.name.like(like), Trainee.name_pinyin.like(like.lower()),
                              Trainee.name_initials.like(like.lower()), Trainee.id_number.like(like)))
    return stmt


def placement_query(actor: Actor, sort_key: str | None = None, descending: bool = False,
                    **filters: Any) -> Select[*tuple[Any, ...]]:
    """The Select behind the tracking page's lazy table (first column: placement id)."""
    require(actor, "registry.read")
    sub = _placement_select(actor, **filters).subquery()
    key = sub.c[sort_key] if sort_key in PLACEMENT_COLUMNS else sub.c.id
    order = [key.desc() if descending or sort_key not in PLACEMENT_COLUMNS else key.asc()]
    return select(sub).order_by(*order, sub.c.id.desc())


def count_placements(database: Database, actor: Actor, **filters: Any) -> int:
    require(actor, "registry.read")
    stmt = select(func.count()).select_from(_placement_select(actor, **filters).subquery())
    with database.session() as session:
        return int(session.scalar(stmt) or 0)


def placements_page(database: Database, actor: Actor, *, order_by: str = "id", descending: bool = True,
                    offset: int = 0, limit: int = 200, **filters: Any) -> pd.DataFrame:
    """One page of placements, sorted and filtered in SQL (the tracking page fetches lazily)."""
    require(actor, "registry.read")
    if order_by not in PLACEMENT_COLUMNS:
        order_by = "id"
    sub = _placement_select(actor, **filters).subquery()
    key = sub.c[order_by]
    stmt = select(sub).order_by(key.desc() if descending else key.asc(), sub.c.id.desc()).offset(offset).limit(limit)
    with database.session() as session:
        rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=PLACEMENT_COLUMNS)
    frame["id_masked"] = frame["id_number"].map(mask_id)
    frame["status_label"] = frame["status"].map(status_label)
    frame["form_label"] = frame["employment_form"].map(form_label)
    frame["household_label"] = frame["household_type"].map(household_label)
    return frame


def batch_placements(database: Database, batch: int | str, actor: Actor) -> pd.DataFrame:
    """Every pair of a batch (proposals included), with the model's reasons."""
    with database.session() as session:
        batch_id = _batch(session, batch).id
    frame = placements_page(database, actor, batch_id=batch_id, order_by="vacancy_code", descending=False,
                            limit=100_000)
    with database.session() as session:
        reasons = dict(session.execute(select(Placement.id, Placement.model_reasons).where(
            Placement.batch_id == batch_id)).all())
    frame["reasons"] = frame["id"].map(lambda i: json.loads(text) if (text := reasons.get(i)) else [])
    # A person placed by exception shows it first, as the printed list marks it (※).
    marked = frame["override_reason"].notna()
    frame.loc[marked, "reasons"] = [
        [tr(f"※ 破例加入：{why}", f"※ Placed by exception: {why}"), *listed]
        for why, listed in zip(frame.loc[marked, "override_reason"], frame.loc[marked, "reasons"])]
    return frame


def filter_options(database: Database) -> dict[str, list[tuple[Any, str]]]:
    """Batches, employers with placements, and townships, for the tracking page's filters."""
    with database.session() as session:
        batches = session.execute(select(Batch.id, Batch.name).order_by(Batch.id.desc())).all()
        employers = session.execute(select(Employer.id, Employer.name).where(
            exists().where(Vacancy.employer_id == Employer.id,
                           exists().where(Placement.vacancy_id == Vacancy.id))).order_by(Employer.name)).all()
        # The column is nullable, but IS NOT NULL leaves only strings.
        towns = cast(Sequence[str], session.scalars(select(Trainee.township).where(Trainee.township.is_not(None))
                                                .distinct().order_by(Trainee.township)).all())
    return {"batches": list(batches), "employers": list(employers), "townships": [(t, t) for t in towns]}


def timeline(database: Database, trainee_id: int, actor: Actor) -> pd.DataFrame:
    """A worker's whole story: every placement and every dated event, oldest first."""
    require(actor, "registry.read")
    stmt = (select(PlacementEvent.event_date, Placement.id, Vacancy.code, Employer.name, PlacementEvent.kind,
                   PlacementEvent.status_from, PlacementEvent.status_to, PlacementEvent.wage,
                   PlacementEvent.employment_form, PlacementEvent.note, User.display_name, User.username)
            .join(Placement, Placement.id == PlacementEvent.placement_id)
            .join(Vacancy, Vacancy.id == Placement.vacancy_id).join(Employer, Employer.id == Vacancy.employer_id)
            .outerjoin(User, User.id == PlacementEvent.user_id)
            .join(Trainee, Trainee.id == Placement.trainee_id)
            .where(Placement.trainee_id == trainee_id).order_by(PlacementEvent.event_date, PlacementEvent.id))
    stmt = scope_trainees(actor, stmt)  # a school account reads its own school's workers only
    with database.session() as session:
        rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["date", "placement_id", "vacancy_code", "employer", "kind", "status_from",
                                        "status_to", "wage", "employment_form", "note", "display_name", "username"])
    kinds = {"status": tr("状态", "Status"), "followup": tr("回访", "Follow-up"),
             "form": tr("用工形式", "Employment form"), "note": tr("备注", "Note")}

    def describe(r: pd.Series) -> str:
        parts = []
        if r["kind"] == "status":
            parts.append(f"{status_label(r['status_from']) or '—'} → {status_label(r['status_to'])}")
        if r["kind"] in ("followup", "form") and form_label(r["employment_form"]):
            parts.append(form_label(r["employment_form"]))
        if pd.notna(r["wage"]) and r["wage"]:
            parts.append(tr(f"月收入 {int(r['wage'])} 元", f"wage {int(r['wage'])}"))
        if isinstance(r["note"], str) and r["note"]:
            parts.append(r["note"])
        return "；".join(parts)

    frame["kind_label"] = frame["kind"].map(kinds).fillna(frame["kind"])
    frame["detail"] = frame.apply(describe, axis=1) if len(frame) else pd.Series(dtype=str)
    frame["user"] = frame["display_name"].where(frame["display_name"].fillna("") != "", frame["username"]).fillna("")
    return frame


def trainee_by_id_number(database: Database, id_number: str) -> tuple[int, str] | None:
    with database.session() as session:
        row = session.execute(select(Trainee.id, Trainee.name).where(
            Trainee.id_number == id_number.strip().upper())).first()
    return (int(row[0]), str(row[1])) if row else None




def batches_listed(database: Database) -> list[tuple[int, str, int]]:
    """(id, name, people on its printed list) of every batch, newest departure first — what the print
    dialog opens on (the most recent batch with people) and names its files after."""
    from core.placement import LISTED

    with database.session() as session:
        listed = (select(Placement.batch_id, func.count().label("n")).where(Placement.status.in_(LISTED))
                  .group_by(Placement.batch_id).subquery())
        rows = session.execute(select(Batch.id, Batch.name, listed.c.n).outerjoin(listed, listed.c.batch_id == Batch.id)
                               .order_by(Batch.departure_date.desc(), Batch.id.desc())).all()
    return [(int(i), str(n), int(c or 0)) for i, n, c in rows]
