"""Trust under load: 20 concurrent writers on PostgreSQL for 60 s (loopback, bounded, stops by itself).

Each writer has its own engine (its own connections, as an office PC would) and loops until the
deadline over three kinds of transaction:
- confirm a proposed placement through db.services.batches.confirm (seats are scarce: races on the last seats);
- increment a counter on one of five "hot" trainees by read-modify-write through the ORM
  (optimistic locking: a stale write is refused and retried, never lost);
- a read of the seat counts.
Afterwards: no lost update (each hot counter equals its start plus the increments reported as
committed), no overbooked vacancy, no writer still running, no session left waiting on a lock.

The server comes from LABORBRIDGE_BENCH_PG or LABORBRIDGE_TEST_PG (`. .ci/postgres` starts one);
without one the figures are null. BENCH_TRUST_SECONDS shortens the run while developing.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

WRITERS = 20


def _pg_url() -> str | None:
    return os.environ.get("LABORBRIDGE_BENCH_PG") or os.environ.get("LABORBRIDGE_TEST_PG") or None


def _null(reason: str) -> dict:
    return {"trust_pg_writers": WRITERS, "trust_pg_throughput_tx_per_s": None, "trust_pg_skipped": reason}


def run(n_trainees: int, workdir: Path) -> dict:
    base = _pg_url()
    if not base:
        return _null("no PostgreSQL URL (set LABORBRIDGE_TEST_PG, e.g. `. .ci/postgres`)")
    seconds = float(os.environ.get("BENCH_TRUST_SECONDS", "60"))
    from core.access import Actor
    from core.i18n import UserError
    from db.engine import open_database
    from db.models import Batch, Placement, Trainee, Vacancy
    from db.services import demo, placements

    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"lb_bench_trust_{os.getpid()}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        setup = open_database(url)
        demo.load_demo(setup, trainees=min(n_trainees, 20000), seed=11)
        actor = Actor(None, "bench", "staff")
        with setup.session() as s:
            busy = select(Placement.trainee_id).where(Placement.status.in_(("proposed", "confirmed", "departed",
                                                                             "on_job")))
            free = list(s.scalars(select(Trainee.id).where(Trainee.id.not_in(busy)).order_by(Trainee.id)))
            hot = free[:5]
            free = free[5:5 + 4000]
            vacancies = list(s.scalars(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id)
                                       .limit(20)))
            seats_each = max(1, len(free) // (3 * len(vacancies)))
            for vid in vacancies:
                taken = s.scalar(select(func.count()).select_from(Placement).where(
                    Placement.vacancy_id == vid, Placement.status.in_(("confirmed", "departed", "on_job"))))
                s.execute(update(Vacancy).where(Vacancy.id == vid).values(headcount=int(taken) + seats_each))
            s.execute(update(Trainee).where(Trainee.id.in_(hot)).values(training_hours=0))
            batch = Batch(name="压力测试批次")
            s.add(batch)
            s.flush()
            s.execute(insert(Placement), [{"trainee_id": t, "vacancy_id": vacancies[i % len(vacancies)],
                                           "batch_id": batch.id, "status": "proposed", "employment_form": "temporary",
                                           "version": 1} for i, t in enumerate(free)])
            proposals = list(s.scalars(select(Placement.id).where(Placement.status == "proposed")))
        setup.dispose()

        random.Random(5).shuffle(proposals)
        queue_lock = threading.Lock()
        deadline = time.monotonic() + seconds
        stats = {"tx": 0, "confirm_ok": 0, "confirm_refused": 0, "increment_ok": 0, "increment_stale": 0,
                 "reads": 0, "errors": 0}
        increments = {t: 0 for t in hot}
        stats_lock = threading.Lock()
        error_samples: list[str] = []

        def writer(seed: int) -> None:
            rng = random.Random(seed)
            database = open_database(url, migrate=False)
            local = dict.fromkeys(stats, 0)
            local_inc = dict.fromkeys(hot, 0)
            try:
                while time.monotonic() < deadline:
                    kind = rng.random()
                    try:
                        if kind < 0.5:
                            with queue_lock:
                                pid = proposals.pop() if proposals else None
                            if pid is None:
                                kind = 0.6  # proposals used up: keep writing counters
                            else:
                                try:
                                    placements.confirm(database, actor, pid)
                                    local["confirm_ok"] += 1
                                except UserError:
                                    local["confirm_refused"] += 1
                        if 0.5 <= kind < 0.9:
                            tid = rng.choice(hot)
                            try:
                                with database.session() as s:
                                    t = s.get(Trainee, tid)
                                    t.training_hours = (t.training_hours or 0) + 1  # read-modify-write
                                local["increment_ok"] += 1
                                local_inc[tid] += 1
                            except UserError:  # changed by another writer since read: refused, not lost
                                local["increment_stale"] += 1
                        elif kind >= 0.9:
                            with database.session() as s:
                                s.scalar(select(func.count()).select_from(Placement)
                                         .where(Placement.status == "confirmed"))
                            local["reads"] += 1
                        local["tx"] += 1
                    except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                        local["errors"] += 1
                        if len(error_samples) < 5:
                            error_samples.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            finally:
                database.dispose()
                with stats_lock:
                    for k, v in local.items():
                        stats[k] += v
                    for k, v in local_inc.items():
                        increments[k] += v

        t0 = time.perf_counter()
        threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, deadline - time.monotonic()) + 60)
        elapsed = time.perf_counter() - t0
        hung = sum(t.is_alive() for t in threads)

        check = open_database(url, migrate=False)
        with check.session() as s:
            hours = dict(s.execute(select(Trainee.id, Trainee.training_hours).where(Trainee.id.in_(hot))).all())
            lost = sum(abs(int(hours[t] or 0) - increments[t]) for t in hot)
            over = s.execute(text(
                "SELECT count(*) FROM vacancy v WHERE (SELECT count(*) FROM placement p WHERE p.vacancy_id = v.id "
                "AND p.status IN ('confirmed','departed','on_job')) > v.headcount")).scalar()
        check.dispose()
        with admin.connect() as c:
            waiting = c.execute(text("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                                     "WHERE d.datname = :n AND NOT l.granted"), {"n": name}).scalar()
            open_tx = c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n "
                                     "AND state LIKE 'idle in transaction%'"), {"n": name}).scalar()
        figures = {
            "trust_pg_writers": WRITERS,
            "trust_pg_seconds": round(elapsed, 1),
            "trust_pg_transactions": stats["tx"],
            "trust_pg_throughput_tx_per_s": round(stats["tx"] / elapsed, 1),
            "trust_pg_confirms_ok": stats["confirm_ok"],
            "trust_pg_confirms_refused": stats["confirm_refused"],
            "trust_pg_increments_ok": stats["increment_ok"],
            "trust_pg_increments_refused_stale": stats["increment_stale"],
            "trust_pg_reads": stats["reads"],
            "trust_pg_unexpected_errors": stats["errors"],
            "trust_pg_lost_updates": int(lost),
            "trust_pg_overbooked_vacancies": int(over or 0),
            "trust_pg_hung_writers": hung,
            "trust_pg_waiting_locks_after": int(waiting or 0),
            "trust_pg_open_transactions_after": int(open_tx or 0),
        }
        if error_samples:
            figures["trust_pg_error_samples"] = error_samples
        return figures
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(int(os.environ.get("BENCH_TRAINEES", "3000")), Path(tmp)), ensure_ascii=False, indent=2))
