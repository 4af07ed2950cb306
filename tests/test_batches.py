"""Batches end to end on a real demo database: plan, confirm (never overbooked, also concurrently),
lifecycle, follow-up, conversion, end, re-placement, alerts, and every bad input leaving data as it was."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from core import placement, vocab
from core.access import SYSTEM, Actor
from core.i18n import UserError
from db.models import AuditLog, Employer, Placement, PlacementEvent, Trainee, Vacancy
from db.queries import placements as placement_queries
from db.services import batches, followup, placements, registry

TODAY = dt.date.today()


def _counts(database) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return (s.scalar(select(func.count()).select_from(Placement)),
                s.scalar(select(func.count()).select_from(PlacementEvent)),
                s.scalar(select(func.count()).select_from(Vacancy).where(Vacancy.status == "filled")))


def _new_vacancy(database, code: str, headcount: int, skill: str = "elderly_care") -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        emp = s.scalar(select(Employer).limit(1))
        v = Vacancy(code=code, employer_id=emp.id, title="养老护理员", skill=skill, headcount=headcount,
                    wage_min=5000, wage_max=6000, start_date=TODAY + dt.timedelta(days=20))
        s.add(v)
        s.flush()
        return v.id


def _free_trainees(database, n: int, skill: str = "elderly_care") -> list[int]:  # type: ignore[no-untyped-def]
    """Free trainees eligible for _new_vacancy's jobs: the skill, a health certificate valid at the start,
    available by then (every path into a batch checks the eligibility rules)."""
    start = TODAY + dt.timedelta(days=20)
    with database.session() as s:
        busy = select(Placement.trainee_id).where(Placement.status.in_(placement.OPEN))
        return list(s.scalars(select(Trainee.id).where(
            Trainee.skills.contains(skill), Trainee.id.not_in(busy), Trainee.deleted_at.is_(None),
            Trainee.health_cert_expiry >= start,
            (Trainee.available_from.is_(None)) | (Trainee.available_from <= start)).order_by(Trainee.id).limit(n)))


def _candidates(database, vacancy_ids: list[int], trainee_ids: list[int], seed: int = 0) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """A scored pair frame shaped like db.services.matching.candidate_scores returns."""
    rng = np.random.default_rng(seed)
    with database.session() as s:
        people = pd.DataFrame(s.execute(select(Trainee.id, Trainee.id_number, Trainee.name, Trainee.household_type)
                                        .where(Trainee.id.in_(trainee_ids))).all(),
                              columns=["trainee_id", "id_number", "name", "household_type"])
    frame = people.merge(pd.DataFrame({"vacancy_id": vacancy_ids}), how="cross")
    frame["score"] = rng.uniform(0.2, 0.9, len(frame)).round(4)
    frame["skilled_score"] = rng.uniform(0.1, 0.5, len(frame))
    frame["priority"] = frame["household_type"].map({"monitored": 1.3, "poverty_exited": 1.15}).fillna(1.0)
    frame["weight"] = frame["score"] * frame["priority"]
    frame["reasons"] = [["技能相符"] for _ in range(len(frame))]
    return frame


@pytest.fixture
def batch(demo_db):  # type: ignore[no-untyped-def]
    """A batch with two fresh vacancies (3 + 2 seats) and eight free trainees scored against them."""
    v1, v2 = _new_vacancy(demo_db, "T-A", 3), _new_vacancy(demo_db, "T-B", 2)
    bid = batches.create_batch(demo_db, SYSTEM, name="测试批次", departure_date=TODAY + dt.timedelta(days=10),
                               destination="江苏", escort="王老师")
    assert batches.add_vacancies(demo_db, SYSTEM, bid, ["T-A", "T-B"]) == 2
    people = _free_trainees(demo_db, 8)
    return {"db": demo_db, "id": bid, "v": (v1, v2), "people": people,
            "cand": _candidates(demo_db, [v1, v2], people)}


def test_create_batch_rules(demo_db) -> None:  # type: ignore[no-untyped-def]
    bid = batches.create_batch(demo_db, SYSTEM, name="一批", departure_date="2026年3月5日")
    with pytest.raises(UserError, match="已存在"):
        batches.create_batch(demo_db, SYSTEM, name="一批")
    with pytest.raises(UserError, match="批次名称"):
        batches.create_batch(demo_db, SYSTEM, name="  ")
    with pytest.raises(UserError, match="找不到岗位编号：NOPE"):
        batches.add_vacancies(demo_db, SYSTEM, bid, ["NOPE"])
    batches.update_batch(demo_db, SYSTEM, bid, escort="马主任")
    frame = batches.list_batches(demo_db)
    row = frame[frame["id"] == bid].iloc[0]
    assert row["departure_date"] == dt.date(2026, 3, 5) and row["escort"] == "马主任" and row["vacancies"] == 0
    with pytest.raises(UserError, match="权限"):
        batches.create_batch(demo_db, Actor(None, "school1", "school", 1), name="二批")


def test_plan_save_confirm_and_never_overbook(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    result = batches.plan(db, batch["id"], candidates=batch["cand"], actor=SYSTEM)
    assert len(result.pairs) == 5 and result.seats == 5
    assert result.pairs["trainee_id"].is_unique
    assert result.pairs["vacancy_code"].value_counts().to_dict() == {"T-A": 3, "T-B": 2}
    assert result.objective >= result.greedy_objective - 1e-9
    assert result.expected_retained == pytest.approx(result.pairs["score"].sum())
    assert result.manual_expected_retained is None
    assert batches.save_proposals(db, SYSTEM, batch["id"], result.pairs) == 5
    pairs = placement_queries.batch_placements(db, batch["id"], actor=SYSTEM)
    assert set(pairs["status"]) == {"proposed"} and pairs["reasons"].map(len).min() >= 1
    # the staff's own choice is now compared with a fresh plan
    again = batches.plan(db, batch["id"], candidates=batch["cand"], actor=SYSTEM)
    assert again.manual_expected_retained == pytest.approx(result.expected_retained)

    # an extra hand-picked proposal for a full vacancy cannot be confirmed once seats are gone
    extra_person = [p for p in batch["people"] if p not in set(result.pairs["trainee_id"])][0]
    with db.session() as s:
        extra_id_number = s.get(Trainee, extra_person).id_number
    extra = batches.add_proposal(db, SYSTEM, batch["id"], extra_id_number, "T-B")
    for pid in pairs["id"]:
        placements.confirm(db, SYSTEM, int(pid))
    before = _counts(db)
    with pytest.raises(UserError, match="名额已满"):
        placements.confirm(db, SYSTEM, extra)
    assert _counts(db) == before
    with db.session() as s:
        assert s.get(Placement, extra).status == "proposed"
        # the status is a person's word: taking the last seat leaves it 在招, with no seat left and
        # out of the open list
        assert s.get(Vacancy, batch["v"][1]).status == "open"
    assert registry.remaining_headcount(db, batch["v"][1]) == 0
    assert "T-B" not in set(batches.open_vacancies(db)["code"])
    # planning a full batch says so and changes nothing
    with pytest.raises(UserError, match="名额已满"):
        batches.plan(db, batch["id"], candidates=batch["cand"], actor=SYSTEM)
    assert _counts(db) == before


def test_two_users_confirming_the_last_seat(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    a, b = batch["people"][:2]
    with db.session() as s:
        ids = [s.get(Trainee, t).id_number for t in (a, b)]
    v = _new_vacancy(db, "T-ONE", 1)
    pa = batches.add_proposal(db, SYSTEM, batch["id"], ids[0], "T-ONE")
    pb = batches.add_proposal(db, SYSTEM, batch["id"], ids[1], "T-ONE")
    barrier = threading.Barrier(2, timeout=3)
    outcome: dict[int, object] = {}

    def go(pid: int) -> None:
        try:
            placements.confirm(db, Actor(None, f"user{pid}", "staff"), pid)
            outcome[pid] = "ok"
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcome[pid] = exc

    def meet() -> None:
        # SQLite: both claims meet here between count and write. PostgreSQL: the second claim is
        # already held at SELECT … FOR UPDATE, so the first goes on after a short wait.
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass

    placements._race_hook = meet
    try:
        threads = [threading.Thread(target=go, args=(p,)) for p in (pa, pb)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        placements._race_hook = None
    wins = [p for p, o in outcome.items() if o == "ok"]
    losses = [o for o in outcome.values() if o != "ok"]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], UserError) and "名额已满" in str(losses[0])
    with db.session() as s:
        seated = s.scalar(select(func.count()).select_from(Placement).where(
            Placement.vacancy_id == v, Placement.status.in_(placement.SEAT_HOLDING)))
        loser = pb if wins == [pa] else pa
        assert seated == 1 and s.get(Placement, loser).status == "proposed"


def test_bad_pins_and_no_candidates_change_nothing(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    cand, (v1, v2) = batch["cand"], batch["v"]
    t1, t2, t3 = batch["people"][:3]
    before = _counts(db)
    with pytest.raises(UserError, match="锁定到多个岗位"):
        batches.plan(db, batch["id"], candidates=cand, pins=[(t1, v1), (t1, v2)], actor=SYSTEM)
    with pytest.raises(UserError, match="既被锁定又被排除"):
        batches.plan(db, batch["id"], candidates=cand, pins=[(t1, v1)], forbids=[(t1, v1)], actor=SYSTEM)
    with pytest.raises(UserError, match="只剩 2 个名额"):
        batches.plan(db, batch["id"], candidates=cand, pins=[(t1, v2), (t2, v2), (t3, v2)], actor=SYSTEM)
    with pytest.raises(UserError, match="没有符合条件的学员"):
        batches.plan(db, batch["id"], candidates=cand.iloc[0:0], actor=SYSTEM)
    with pytest.raises(UserError, match="找不到岗位编号"):
        batches.plan(db, codes=["NOPE"], candidates=cand, actor=SYSTEM)
    assert _counts(db) == before
    # pins and forbids are honoured
    result = batches.plan(db, batch["id"], candidates=cand, pins=[(t1, v2)], forbids=[(t2, v1), (t2, v2)], actor=SYSTEM)
    chosen = set(zip(result.pairs["trainee_id"], result.pairs["vacancy_id"]))
    assert (t1, v2) in chosen and t2 not in set(result.pairs["trainee_id"])


def _on_job(db, batch) -> int:  # type: ignore[no-untyped-def]
    """One confirmed, departed, arrived worker; returns the placement id."""
    with db.session() as s:
        id_number = s.get(Trainee, batch["people"][0]).id_number
    pid = batches.add_proposal(db, SYSTEM, batch["id"], id_number, "T-A")
    placements.confirm(db, SYSTEM, pid, date=TODAY - dt.timedelta(days=200))
    placements.mark_departed(db, SYSTEM, pid, date=TODAY - dt.timedelta(days=190))
    placements.mark_on_job(db, SYSTEM, pid, date=TODAY - dt.timedelta(days=188), wage=5200)
    return pid


def test_lifecycle_followup_skilled_end_and_replacement(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    staff = Actor(None, "li", "staff")
    pid = _on_job(db, batch)
    start = TODAY - dt.timedelta(days=188)
    placements.record_followup(db, staff, pid, date=start + dt.timedelta(days=30), wage=5400, employment_form="temporary",
                            note="电话回访，适应良好")
    placements.convert_to_skilled(db, staff, pid, date=start + dt.timedelta(days=120), note="签订劳动合同")
    with pytest.raises(UserError, match="已于"):
        placements.convert_to_skilled(db, staff, pid, date=start + dt.timedelta(days=121))
    placements.end_placement(db, staff, pid, date=start + dt.timedelta(days=150), reason="家中有事返乡")
    with db.session() as s:
        p = s.get(Placement, pid)
        assert (p.status, p.start_date, p.end_date, p.employment_form, p.monthly_wage) == \
            ("ended", start, start + dt.timedelta(days=150), "skilled", 5400)
        assert p.skilled_since == start + dt.timedelta(days=120) and p.leave_reason == "家中有事返乡"
        kinds = [e.kind for e in p.events]
        assert kinds.count("status") == 4 and "followup" in kinds and "form" in kinds
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "placement",
                                                                        AuditLog.entity_id == str(pid))) >= 6
    trainee = batch["people"][0]
    line = placement_queries.timeline(db, trainee, actor=SYSTEM)
    assert line["date"].is_monotonic_increasing
    assert list(line.loc[line["placement_id"] == pid, "kind"]).count("status") == 4
    assert "家中有事返乡" in " ".join(line["detail"])

    # re-placement after leaving
    new = placements.re_place(db, staff, pid, "T-B", batch=batch["id"], date=start + dt.timedelta(days=170))
    with db.session() as s:
        assert s.get(Placement, new).status == "confirmed"
    with pytest.raises(UserError, match="已有在派或在岗"):
        placements.re_place(db, staff, pid, "T-B", date=start + dt.timedelta(days=171))


def test_bad_lifecycle_input_changes_nothing(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    pid = _on_job(db, batch)
    start = TODAY - dt.timedelta(days=188)
    before = _counts(db)
    with pytest.raises(UserError, match="早于上岗日期"):
        placements.record_followup(db, SYSTEM, pid, date=start - dt.timedelta(days=1), wage=5000)
    with pytest.raises(UserError, match="早于上岗日期"):
        placements.end_placement(db, SYSTEM, pid, date=start - dt.timedelta(days=5), reason="x")
    with pytest.raises(UserError, match="早于上岗日期"):
        placements.convert_to_skilled(db, SYSTEM, pid, date=start - dt.timedelta(days=5))
    with pytest.raises(UserError, match="离岗原因"):
        placements.end_placement(db, SYSTEM, pid, date=start + dt.timedelta(days=5), reason=" ")
    with pytest.raises(UserError, match="不能改为"):
        placements.mark_departed(db, SYSTEM, pid, date=TODAY)
    with pytest.raises(UserError, match="日期无法识别"):
        placements.record_followup(db, SYSTEM, pid, date="2025-13-45")
    assert _counts(db) == before
    placements.end_placement(db, SYSTEM, pid, date=start + dt.timedelta(days=60), reason="工作强度大")
    before = _counts(db)
    with pytest.raises(UserError, match="不能再登记回访"):
        placements.record_followup(db, SYSTEM, pid, date=start + dt.timedelta(days=70), wage=5000)
    assert _counts(db) == before
    with db.session() as s:
        assert s.get(Placement, pid).monthly_wage == 5200


def test_edit_and_reject_keep_reasons(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    result = batches.plan(db, batch["id"], candidates=batch["cand"], actor=SYSTEM)
    batches.save_proposals(db, SYSTEM, batch["id"], result.pairs)
    pairs = placement_queries.batch_placements(db, batch["id"], actor=SYSTEM)
    a_rows = pairs[pairs["vacancy_code"] == "T-A"]
    first, second = int(a_rows["id"].iloc[0]), int(a_rows["id"].iloc[1])
    with pytest.raises(UserError, match="原因"):
        placements.edit_proposal(db, SYSTEM, first, "T-B", reason="")
    placements.edit_proposal(db, SYSTEM, first, "T-B", reason="本人希望去上海")
    placements.decline(db, SYSTEM, second, reason="家属不同意")
    with db.session() as s:
        p1, p2 = s.get(Placement, first), s.get(Placement, second)
        assert p1.vacancy.code == "T-B" and "本人希望去上海" in p1.events[-1].note
        assert p2.status == "declined" and p2.decline_reason == "家属不同意"


def test_alerts_and_followups_due(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    pid = _on_job(db, batch)  # on the job 188 days, never visited, wage 5200
    with db.session() as s:
        monitored = s.get(Trainee, batch["people"][1])
        monitored.household_type = "monitored"
        id_number = monitored.id_number
    other = batches.add_proposal(db, SYSTEM, batch["id"], id_number, "T-A")
    placements.confirm(db, SYSTEM, other, date=TODAY - dt.timedelta(days=120))
    placements.mark_departed(db, SYSTEM, other, date=TODAY - dt.timedelta(days=110))
    placements.mark_on_job(db, SYSTEM, other, date=TODAY - dt.timedelta(days=108), wage=2500)
    placements.end_placement(db, SYSTEM, other, date=TODAY - dt.timedelta(days=45), reason="工资待遇不满意")
    frame = followup.alerts(db, today=TODAY, wage_floor_value=6000, actor=SYSTEM)
    mine = frame[frame["placement_id"].isin([pid, other])]
    assert set(zip(mine["placement_id"], mine["kind"])) == {(pid, "no_followup"), (pid, "low_wage"),
                                                            (other, "not_replaced")}
    # monitored households come first
    assert frame["household_type"].iloc[0] == "monitored"
    ranks = frame["household_type"].map(vocab.HOUSEHOLD_RANK).to_numpy()
    assert (np.diff(ranks) >= 0).all()
    # a visit clears "no follow-up"; the configured floor is used by default
    placements.record_followup(db, SYSTEM, pid, date=TODAY - dt.timedelta(days=3), wage=5300)
    followup.set_wage_floor(db, SYSTEM, 5000)
    assert followup.wage_floor(db) == 5000
    frame = followup.alerts(db, today=TODAY, actor=SYSTEM)
    assert frame[frame["placement_id"] == pid].empty
    with pytest.raises(UserError):
        followup.set_wage_floor(db, SYSTEM, -1)
    due = followup.followups_due(db, today=TODAY + dt.timedelta(days=80), within_days=14, actor=SYSTEM)
    assert pid in set(due["placement_id"])
    assert pid not in set(followup.followups_due(db, today=TODAY, within_days=14, actor=SYSTEM)["placement_id"])


def test_placements_page_filters_and_sorts_in_sql(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    _on_job(db, batch)
    page = placement_queries.placements_page(db, batch_id=batch["id"], actor=SYSTEM)
    assert len(page) == 1 and page["status"].iloc[0] == "on_job"
    total = placement_queries.count_placements(db, status="ended", actor=SYSTEM)
    first = placement_queries.placements_page(db, status="ended", order_by="monthly_wage", descending=False, limit=50, actor=SYSTEM)
    assert total > 50 and len(first) == 50 and first["monthly_wage"].is_monotonic_increasing
    town = first["township"].iloc[0]
    assert set(placement_queries.placements_page(db, township=town, limit=500, actor=SYSTEM)["township"]) == {town}
    options = placement_queries.filter_options(db)
    assert any(b[0] == batch["id"] for b in options["batches"]) and options["townships"]


def test_plan_through_the_matcher_and_cli(demo_db, capsys) -> None:  # type: ignore[no-untyped-def]
    """The real scorer (db.services.matching.candidate_scores) feeds the planner; the CLI prints JSON."""
    import json

    import main

    result = batches.plan(demo_db, 1, actor=SYSTEM)
    assert len(result.pairs) > 0 and result.expected_retained > 0
    assert result.objective >= result.greedy_objective - 1e-9
    assert result.pairs["trainee_id"].is_unique
    per_vac = result.pairs["vacancy_id"].value_counts()
    remaining = result.vacancies.set_index("vacancy_id")["remaining"]
    assert all(per_vac[v] <= remaining[v] for v in per_vac.index)
    before = _counts(demo_db)
    code = main.main(["--db", demo_db.url, "plan", "--batch", batches.list_batches(demo_db)["name"].iloc[0], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and _counts(demo_db) == before  # planning writes nothing
    assert {"pairs", "expected_retained", "greedy_expected_retained"} <= set(out)
    assert {"id_number", "vacancy_code", "score", "priority"} <= set(out["pairs"][0])
    assert out["expected_retained"] == pytest.approx(result.expected_retained, abs=1e-3)
    codes = ",".join(result.vacancies["code"].head(2))
    assert main.main(["--db", demo_db.url, "plan", "--vacancies", codes]) == 0
    assert "预计 180 天稳岗" in capsys.readouterr().out
    assert main.main(["--db", demo_db.url, "plan", "--vacancies", "NOPE-1"]) == 1
    err = capsys.readouterr().err
    assert "找不到岗位编号：NOPE-1" in err and "Traceback" not in err
    assert main.main(["--db", demo_db.url, "plan"]) == 2


def test_dates_later_than_today_refused_everywhere(batch) -> None:  # type: ignore[no-untyped-def]
    """出发/到岗/转职业工/离岗/回访/确认/放弃/再就业: one sentence, nothing written; so the headline 在岗
    and the 上报指标 table (which counts days on the job up to today) keep agreeing."""
    from db.services import stats

    db = batch["db"]
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    with db.session() as s:
        numbers = [s.get(Trainee, t).id_number for t in batch["people"][:3]]
    proposed = batches.add_proposal(db, SYSTEM, batch["id"], numbers[0], "T-A")
    confirmed = batches.add_proposal(db, SYSTEM, batch["id"], numbers[1], "T-A")
    placements.confirm(db, SYSTEM, confirmed, date=today - dt.timedelta(days=30))
    pid = _on_job(db, {**batch, "people": batch["people"][2:]})
    before = _counts(db)
    cases = [
        ("确认日期", lambda d: placements.confirm(db, SYSTEM, proposed, date=d)),
        ("放弃日期", lambda d: placements.decline(db, SYSTEM, proposed, reason="不去了", date=d)),
        ("出发日期", lambda d: placements.mark_departed(db, SYSTEM, confirmed, date=d)),
        ("上岗日期", lambda d: placements.mark_on_job(db, SYSTEM, pid, date=d)),
        ("转职业工日期", lambda d: placements.convert_to_skilled(db, SYSTEM, pid, date=d)),
        ("离岗日期", lambda d: placements.end_placement(db, SYSTEM, pid, date=d, reason="返乡")),
        ("回访日期", lambda d: placements.record_followup(db, SYSTEM, pid, date=d, wage=5000)),
        ("出发日期", lambda d: placements.mark_departed_many(db, SYSTEM, [confirmed], date=d)),
        ("上岗日期", lambda d: placements.mark_on_job_many(db, SYSTEM, [pid], date=d)),
        ("离岗日期", lambda d: placements.end_many(db, SYSTEM, [pid], date=d, reason="返乡")),
        ("回访日期", lambda d: placements.record_followup_many(db, SYSTEM, [pid], date=d)),
        ("确认日期", lambda d: placements.confirm_many(db, SYSTEM, [proposed], date=d)),
    ]
    for what, call in cases:
        with pytest.raises(UserError) as info:
            call(tomorrow)
        assert str(info.value) == f"{what} {tomorrow} 晚于今天（{today}），只能登记已经发生的事；未作任何改动。"
    placements.end_placement(db, SYSTEM, pid, date=today, reason="返乡")
    with pytest.raises(UserError, match=f"确认日期 {tomorrow} 晚于今天"):
        placements.re_place(db, SYSTEM, pid, "T-B", date=tomorrow)
    assert _counts(db)[0] == before[0]
    # the same day is fine, and the two on-the-job figures agree
    placements.mark_departed(db, SYSTEM, confirmed, date=today)
    placements.mark_on_job(db, SYSTEM, confirmed, date=today)
    result = stats.compute(db, actor=SYSTEM)
    assert result.overview["on_job"] == result.upward_totals["on_job"]


def test_many_at_once_is_per_person_and_says_who_was_refused(batch) -> None:  # type: ignore[no-untyped-def]
    db = batch["db"]
    with db.session() as s:
        numbers = [s.get(Trainee, t).id_number for t in batch["people"][:4]]
    ids = [batches.add_proposal(db, SYSTEM, batch["id"], n, "T-A" if i < 3 else "T-B") for i, n in enumerate(numbers)]
    day = TODAY - dt.timedelta(days=3)
    placements.decline(db, SYSTEM, ids[3], reason="家属不同意", date=day)
    confirmed = placements.confirm_many(db, SYSTEM, ids, date=day, note="集中确认")
    assert confirmed.done == ids[:3] and [r[0] for r in confirmed.refused] == [ids[3]]
    result = placements.mark_departed_many(db, SYSTEM, ids, date=TODAY, note="县汽车站集中乘车，（江苏）")
    assert result.done == ids[:3]
    with db.session() as s:
        name = s.get(Placement, ids[3]).trainee.name
        assert [s.get(Placement, i).status for i in ids] == ["departed"] * 3 + ["declined"]
        assert s.get(Placement, ids[0]).events[-1].note == "县汽车站集中乘车，（江苏）"
    assert result.summary("已标记出发", "departed") == \
        f"3 人已标记出发；1 人未变更：{name}（“已放弃”状态的记录不能改为“已出发”）。"
    again = placements.mark_departed_many(db, SYSTEM, ids[:1], date=TODAY)
    assert again.done == [] and "已是“已出发”" in again.refused[0][2]
    with pytest.raises(UserError, match="请先在表中选择"):
        placements.mark_departed_many(db, SYSTEM, [], date=TODAY)
    with pytest.raises(UserError, match="离岗原因"):
        placements.end_many(db, SYSTEM, ids, date=TODAY, reason="  ")


def test_free_text_is_stored_as_typed(demo_db) -> None:  # type: ignore[no-untyped-def]
    bid = batches.create_batch(demo_db, SYSTEM, name="2027年第1批（江苏浙江）", departure_date=TODAY)
    frame = batches.list_batches(demo_db)
    assert "2027年第1批（江苏浙江）" in set(frame["name"]) and bid


def test_warm_matching_frames_follow_each_change_without_reading_everything(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Warmed after sign-in, the trainee side is reused while nothing changes and patched with only what
    changed; after each kind of change the rankings equal those from reading everything afresh."""
    from db.services import frame_cache, registry
    from db.services import matching as ms
    from db.services.exchange import import_roster
    from tests.conftest import SAMPLES

    frame_cache.clear()
    frame_cache.warm_in_background(demo_db, SYSTEM).join(60)
    assert frame_cache.last_update(demo_db, SYSTEM) == "read"
    codes = list(batches.open_vacancies(demo_db)["code"].iloc[:3])

    seen: list[str | None] = []

    def rankings() -> list[ms.RankResult]:
        seen.clear()
        out = []
        for c in codes:
            out.append(ms.rank_vacancy(demo_db, c, top=30, actor=SYSTEM))
            seen.append(frame_cache.last_update(demo_db, SYSTEM))
        return out

    rankings()
    assert seen == ["unchanged"] * 3  # the first ranking used the warm frames
    with demo_db.session() as s:
        on_job = list(s.scalars(select(Placement.id).where(Placement.status == "on_job").limit(4)))
        first = s.scalars(select(Trainee.id).where(Trainee.deleted_at.is_(None)).order_by(Trainee.id).limit(3)).all()

    def edit() -> None:
        with demo_db.session() as s:
            s.get(Trainee, first[0]).expected_wage = 9900
            s.get(Trainee, first[1]).skills = "elderly_care,medical_care"

    changes = {"edit": edit,
               "end": lambda: placements.end_many(demo_db, SYSTEM, on_job, date=TODAY, reason="回家照顾老人"),
               "import": lambda: import_roster(demo_db, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM),
               "delete": lambda: registry.delete_trainee(demo_db, SYSTEM, first[2])}
    for name, change in changes.items():
        change()
        patched = rankings()
        assert seen == ["patched", "unchanged", "unchanged"], name
        frame_cache.clear()
        fresh = rankings()
        assert seen == ["read", "unchanged", "unchanged"], name
        for a, b in zip(patched, fresh, strict=True):
            pd.testing.assert_frame_equal(a.ranked, b.ranked, obj=name)
            pd.testing.assert_frame_equal(a.excluded, b.excluded, obj=name)
    # the deleted trainee is neither ranked nor listed as excluded any more
    assert not any(first[2] in set(r.ranked["trainee_id"]) | set(r.excluded["trainee_id"]) for r in patched)
