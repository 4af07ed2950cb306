"""County scale from the first click, measured as a clerk meets it: each figure in a NEW PROCESS
(`main.py rank` / `main.py plan`, imports included) on a copy of the demo database that no process of
this run has read — only the operating system's file cache may be warm (it is not dropped: that needs
root and would also measure the disk). Each figure is the median of several runs, with min and max;
the machine is shared, so single runs are noisy. Beside them the anchors that make each a ratio: a raw
``sqlite3`` read of the same columns and the bare interpreter with the program's imports.

* ``rank_cli_first_process_s`` — no prepared state on disk: the process reads the trainee side itself.
* ``rank_cli_second_process_s`` — a new process again, the prepared state left by the first one on disk.
* ``rank_cli_after_import_s`` — a new process after three trainees changed through an import (the
  stored state is patched with them).
* ``plan_cli_first_process_s`` / ``plan_cli_second_process_s`` — the demo batch planned end to end
  (the same two situations).
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import copy_of_demo

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "data" / "samples" / "trainees_gbk.csv"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def _figure(out: dict, name: str, times: list[float]) -> None:
    out[f"{name}_s"] = round(statistics.median(times), 3)
    out[f"{name}_min_s"] = round(min(times), 3)
    out[f"{name}_max_s"] = round(max(times), 3)


def _timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True, env=env,
                          cwd=REPO, stdin=subprocess.DEVNULL, timeout=600)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}: {done.stderr.strip()[-300:]}")
    return took


def _roster(path: Path, wage_of: dict[str, str]) -> Path:
    with open(SAMPLE, encoding="gbk", newline="") as f:
        rows = list(csv.reader(f))
    wage = rows[0].index("期望月薪")
    for row in rows[1:]:
        row[wage] = wage_of.get(row[1], row[wage])
    with open(path, "w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _raw_read_s(path: Path) -> float:
    """The anchor: plain sqlite3 fetching the columns the matcher reads from both tables."""
    with sqlite3.connect(path) as conn:
        t0 = time.perf_counter()
        conn.execute("SELECT id, id_number, name, gender, birth_date, ethnicity, household_type, mandarin, skills, "
                     "skill_level, training_hours, graduation_date, preferred_regions, expected_wage, "
                     "available_from, health_cert_expiry, school_id, township FROM trainee "
                     "WHERE deleted_at IS NULL").fetchall()
        conn.execute("SELECT p.id, p.trainee_id, p.vacancy_id, v.employer_id, p.status, p.start_date, p.end_date, "
                     "p.skilled_since, p.employment_form FROM placement p JOIN vacancy v ON v.id = p.vacancy_id "
                     "WHERE p.start_date IS NOT NULL").fetchall()
        return time.perf_counter() - t0


def run(n_trainees: int, workdir: Path) -> dict:
    out: dict[str, float | int | str] = {"scale_runs": RUNS}
    data = workdir / "scale-userdata"
    env = {**os.environ, "LABORBRIDGE_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("LABORBRIDGE_DB", None)
    prepared = data / "prepared"

    def fresh_copy(name: str) -> Path:
        shutil.rmtree(prepared, ignore_errors=True)
        return copy_of_demo(n_trainees, workdir, name)

    path = fresh_copy("scale.sqlite3")
    with sqlite3.connect(path) as conn:
        code = conn.execute("SELECT code FROM vacancy WHERE status = 'open' ORDER BY id").fetchone()[0]
        batch = conn.execute("SELECT name FROM batch ORDER BY id").fetchone()[0]
    url = ["--db", f"sqlite:///{path}"]
    rank = [*url, "rank", "--vacancy", code, "--top", "10"]
    plan = [*url, "plan", "--batch", batch]

    out["anchor_python_imports_s"] = round(statistics.median(
        [_timed_python("import db.services.matching, db.services.batches", env) for _ in range(RUNS)]), 3)
    out["anchor_sqlite3_raw_read_s"] = round(statistics.median([_raw_read_s(path) for _ in range(RUNS)]), 3)

    first, second = [], []
    for _ in range(RUNS):
        shutil.rmtree(prepared, ignore_errors=True)
        first.append(_timed(rank, env))
        second.append(_timed(rank, env))
    _figure(out, "rank_cli_first_process", first)
    _figure(out, "rank_cli_second_process", second)

    # The demo's rows were all written minutes ago, so the whole table would sit in the change window
    # of a patch; their last changes are first spread over the past year, as a bureau's records are.
    with sqlite3.connect(path) as conn:
        for table in ("trainee", "placement"):
            conn.execute(f"UPDATE {table} SET updated_at = "
                         "strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day', '-' || (id % 365) || ' days')")
    _timed([*url, "import", "trainees", str(_roster(workdir / "roster_a.csv", {}))], env)
    _timed(rank, env)  # the state now holds the roster's people
    with open(SAMPLE, encoding="gbk", newline="") as f:
        numbers = [row[1] for row in csv.reader(f)][1:4]
    after = []
    for i in range(RUNS):
        wages = dict.fromkeys(numbers, str(6000 + 100 * i))
        _timed([*url, "import", "trainees", str(_roster(workdir / f"roster_b{i}.csv", wages))], env)
        after.append(_timed(rank, env))
    _figure(out, "rank_cli_after_import", after)

    first, second = [], []
    for _ in range(RUNS):
        shutil.rmtree(prepared, ignore_errors=True)
        first.append(_timed(plan, env))
        second.append(_timed(plan, env))
    _figure(out, "plan_cli_first_process", first)
    _figure(out, "plan_cli_second_process", second)
    state = sorted(prepared.glob("*.prep"))
    out["prepared_state_mb"] = round(sum(p.stat().st_size for p in state) / 2**20, 1)
    out["rank_cli_second_vs_first"] = round(float(out["rank_cli_first_process_s"]) /
                                            float(out["rank_cli_second_process_s"]), 1)
    out["rank_cli_second_vs_imports"] = round(float(out["rank_cli_second_process_s"]) /
                                              float(out["anchor_python_imports_s"]), 2)
    shutil.rmtree(prepared, ignore_errors=True)
    return out


def _timed_python(code: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO, timeout=300)
    return time.perf_counter() - t0


if __name__ == "__main__":
    import json
    import tempfile

    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(int(os.environ.get("BENCH_TRAINEES", "20000")), Path(tmp)), indent=2))
