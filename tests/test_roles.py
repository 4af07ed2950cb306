"""Roles enforced in db/: each service called as each role, allowed and refused.

Permissions as checked here (see core/access.py PERMISSIONS):
  admin   — everything, manages users, reads the audit log, backs up and restores
  staff   — registry, employers/vacancies, matching, batches (and placing by exception, 破例加入), export,
            print (masked IDs), statistics
  school  — its own school's trainees only (read, edit, export); no employers, batches, matching, printing
  officer — read, print (full IDs too), statistics; no writes, no export
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.access import PERMISSIONS, SYSTEM, Actor, PermissionDenied
from core.i18n import UserError
from db.models import Placement, School, Trainee, Vacancy
from db.services import backup, batches, registry, stats, users
from db.services.audit_search import AuditFilter, count_entries
from db.services.exchange import export
from db.services.lists import ListSelection, build_list

EXPECTED = {
    "registry.read": {"admin", "staff", "school", "officer"},
    "registry.write": {"admin", "staff", "school"},
    "employer.write": {"admin", "staff"},
    "matching.run": {"admin", "staff"},
    "model.train": {"admin", "staff"},
    "batch.write": {"admin", "staff"},
    "placement.override": {"admin", "staff"},
    "print": {"admin", "staff", "officer"},
    "print.full_id": {"admin", "officer"},
    "export": {"admin", "staff", "school"},
    "stats.read": {"admin", "staff", "school", "officer"},
    "audit.read": {"admin"},
    "users.manage": {"admin"},
    "backup": {"admin"},
    "settings.write": {"admin"},
    "demo.load": {"admin", "staff"},
    "households.read": {"admin", "staff", "officer"},
    "households.write": {"admin", "staff"},
}


@pytest.fixture
def actors(demo_db) -> dict[str, Actor]:  # type: ignore[no-untyped-def]
    """Real accounts, one per role, signed in through the login service."""
    return {role: users.login(demo_db, name, pw).actor for name, role, pw in users.create_demo_accounts(demo_db, actor=SYSTEM)}


def test_permission_table_is_as_documented() -> None:
    assert {k: set(v) for k, v in PERMISSIONS.items()} == EXPECTED


def _other_school_trainee(database, school_id: int) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.scalar(select(Trainee.id).where(Trainee.school_id != school_id, Trainee.deleted_at.is_(None))
                            .order_by(Trainee.id).limit(1)))


def _own_school_trainee(database, school_id: int) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.scalar(select(Trainee.id).where(Trainee.school_id == school_id, Trainee.deleted_at.is_(None))
                            .order_by(Trainee.id).limit(1)))


def _calls(database, tmp: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """permission -> a real service call that needs it (takes the actor)."""
    with database.session() as s:
        employer_id = s.scalar(select(Vacancy.employer_id).join(Placement, Placement.vacancy_id == Vacancy.id)
                               .where(Placement.status == "on_job").limit(1))
        trainee_id = s.scalar(select(Trainee.id).order_by(Trainee.id).limit(1))
    counter = iter(range(100))
    return {
        "registry.read": lambda a: registry.trainee_detail(database, a, trainee_id if a.role != "school"
                                                           else _own_school_trainee(database, a.school_id)),
        "employer.write": lambda a: registry.save_employer(
            database, a, {"name": f"角色测试家政公司{next(counter)}", "province": "浙江省", "city": "杭州市"}),
        "batch.write": lambda a: batches.create_batch(database, a, name=f"角色测试批次{next(counter)}"),
        "print": lambda a: build_list(database, a, ListSelection(employer_id=employer_id)),
        "print.full_id": lambda a: build_list(database, a, ListSelection(employer_id=employer_id, full_numbers=True)),
        "export": lambda a: export.export_roster(database, "trainees", tmp / f"x{next(counter)}.csv", a),
        "stats.read": lambda a: stats.compute(database, actor=a),
        "audit.read": lambda a: count_entries(database, a, AuditFilter()),
        "users.manage": lambda a: users.list_users(database, a),
        "backup": lambda a: backup.create_backup(database, a, tmp / f"b{next(counter)}.sqlite3"
                                                 if database.backend == "sqlite" else tmp / f"b{next(counter)}.lbbackup"),
    }


@pytest.mark.parametrize("role", ["admin", "staff", "school", "officer"])
def test_each_role_allowed_and_refused(demo_db, actors, tmp_path: Path, role: str) -> None:  # type: ignore[no-untyped-def]
    actor = actors[role]
    for permission, call in _calls(demo_db, tmp_path).items():
        if role in EXPECTED[permission]:
            call(actor)  # type: ignore[operator]
        else:
            with pytest.raises(PermissionDenied, match="没有此操作的权限"):
                call(actor)  # type: ignore[operator]


def test_school_user_cannot_reach_another_schools_trainee(demo_db, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    school = actors["school"]
    foreign = _other_school_trainee(demo_db, school.school_id)
    own = _own_school_trainee(demo_db, school.school_id)
    before = backup.fingerprint(demo_db)
    # Crafted calls with a valid id of another school's trainee: read, edit, delete.
    with pytest.raises(UserError, match="无权查看"):
        registry.trainee_detail(demo_db, school, foreign)
    with demo_db.session() as s:
        t = s.get(Trainee, foreign)
        values = {"name": "篡改", "id_number": t.id_number}
    with pytest.raises(UserError, match="其他培训学校"):
        registry.save_trainee(demo_db, school, values, foreign)
    with pytest.raises(UserError, match="其他培训学校"):
        registry.delete_trainee(demo_db, school, foreign)
    assert backup.fingerprint(demo_db) == before  # nothing changed
    # Their own trainee is theirs to read.
    assert registry.trainee_detail(demo_db, school, own).values["name"]
    # An export as the school holds only its own school's trainees.
    out = tmp_path / "school.csv"
    n = export.export_roster(demo_db, "trainees", out, school)
    with demo_db.session() as s:
        own_count = s.scalar(select(func.count()).select_from(Trainee).where(
            Trainee.school_id == school.school_id, Trainee.deleted_at.is_(None)))
        school_name = s.scalar(select(School.name).where(School.id == school.school_id))
        foreign_number = s.get(Trainee, foreign).id_number
    assert n == own_count
    text = out.read_text(encoding="utf-8-sig")
    assert foreign_number not in text
    rows = list(csv.reader(text.splitlines()))
    col = rows[0].index("培训学校")
    assert {r[col] for r in rows[1:]} == {school_name}


def test_officer_reads_but_never_writes(demo_db, actors) -> None:  # type: ignore[no-untyped-def]
    officer = actors["officer"]
    before = backup.fingerprint(demo_db)
    with demo_db.session() as s:
        t = s.scalar(select(Trainee).limit(1))
        values = {"name": "改名", "id_number": t.id_number}
        tid = t.id
    for call in (lambda: registry.save_trainee(demo_db, officer, values, tid),
                 lambda: registry.delete_trainee(demo_db, officer, tid),
                 lambda: batches.create_batch(demo_db, officer, name="不该有"),
                 lambda: users.create_user(demo_db, officer, "x2", "Xx345678", "admin")):
        with pytest.raises(PermissionDenied):
            call()
    assert backup.fingerprint(demo_db) == before


def test_school_user_through_the_cli(db_url: str, tmp_path: Path) -> None:
    """The CLI acts as the named user: a school account exports only its school and cannot rank
    another school's trainee (matching is not theirs); a wrong password is refused."""
    import os
    import subprocess
    import sys

    from db.engine import open_database
    from tests.conftest import REPO

    def cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "LABORBRIDGE_PASSWORD"}
        if password:
            env["LABORBRIDGE_PASSWORD"] = password
        return subprocess.run([sys.executable, str(REPO / "main.py"), "--db", db_url, *args], capture_output=True,
                              text=True, env=env, cwd=REPO, stdin=subprocess.DEVNULL, timeout=180)

    made = cli("demo", "--trainees", "120")
    assert made.returncode == 0, made.stderr
    pw = {ln.split()[0]: ln.split()[1] for ln in made.stdout.splitlines()[2:]}
    database = open_database(db_url)
    school = users.login(database, "school", pw["school"]).actor
    users.change_password(database, school, pw["school"], "School1234")  # demo accounts must, before any command
    pw["school"] = "School1234"
    foreign = _other_school_trainee(database, school.school_id)
    with database.session() as s:
        foreign_number = s.get(Trainee, foreign).id_number
    database.dispose()
    out = tmp_path / "mine.csv"
    exported = cli("--user", "school", "export", "trainees", str(out), password=pw["school"])
    assert exported.returncode == 0, exported.stderr
    assert foreign_number not in out.read_text(encoding="utf-8-sig")
    ranked = cli("--user", "school", "rank", "--trainee", foreign_number, "--json", password=pw["school"])
    assert ranked.returncode == 1 and "没有此操作的权限" in ranked.stderr and foreign_number not in ranked.stdout
    wrong = cli("--user", "school", "export", "trainees", str(tmp_path / "x.csv"), password="guess1234")
    assert wrong.returncode == 1 and "用户名或密码错误" in wrong.stderr and not (tmp_path / "x.csv").exists()
