"""`make bundle-check`: start the BUILT bundle headless and check what it does.

1. size of the folder (bar: under 400 MB unpacked);
2. `LaborBridge --self-test` (demo database, ranking, PDF) exits 0 with an "ok" JSON summary;
3. `laborbridge-cli` (the console launcher) runs a real subcommand and passes on its output and exit code;
4. `LaborBridge --startup-probe` shows the main window in under 4 s (median of three starts).

Prints what each step returned and a final JSON line; exits 1 when any bar is missed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE_BAR_MB = 400
START_BAR_S = 4.0
WINDOWS = sys.platform == "win32"


def folder_mb(folder: Path) -> float:
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 1_000_000, 1)


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr, round(time.perf_counter() - t0, 3)


def json_from(stdout: str) -> dict:
    start = stdout.find("{")
    return json.loads(stdout[start:]) if start >= 0 else {}


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/LaborBridge").resolve()
    exe = folder / ("LaborBridge.exe" if WINDOWS else "LaborBridge")
    cli = folder / ("laborbridge-cli.exe" if WINDOWS else "laborbridge-cli")
    if not exe.is_file():
        print(f"no built executable at {exe}: run `make bundle` first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="laborbridge-bundle-check-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABORBRIDGE_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {"QT_QPA_PLATFORM": "offscreen", "LABORBRIDGE_DATA_DIR": str(work / "userdata")}
    failures: list[str] = []
    result: dict[str, object] = {"bundle": str(folder)}

    size = folder_mb(folder)
    result["size_mb"] = size
    print(f"bundle size: {size} MB (bar {SIZE_BAR_MB} MB)")
    if size >= SIZE_BAR_MB:
        failures.append(f"bundle is {size} MB, the bar is {SIZE_BAR_MB} MB")

    code, out, err, secs = run([str(exe), "--self-test"], env)
    print(f"--- {exe.name} --self-test: exit {code} in {secs} s\n{out}{err}")
    summary = json_from(out)
    result["self_test"] = {"exit": code, "seconds": secs, "ok": summary.get("ok")}
    if code != 0 or summary.get("ok") is not True or summary.get("frozen") is not True:
        failures.append(f"self-test failed (exit {code})")

    db = work / "cli.sqlite3"
    code, out, err, secs = run([str(cli), "--lang", "en", "--db", f"sqlite:///{db}", "demo", "--trainees", "50"], env)
    print(f"--- {cli.name} demo: exit {code} in {secs} s\n{out}{err}")
    result["cli_demo"] = {"exit": code, "seconds": secs}
    if code != 0 or "Demo data created" not in out:
        failures.append(f"laborbridge-cli demo failed (exit {code})")
    code, out, err, _ = run([str(cli), "--db", f"sqlite:///{db}", "demo"], env)  # non-empty: a clear error
    result["cli_error_exit"] = code
    if code == 0 or "Traceback" in err or not err.strip():
        failures.append("laborbridge-cli did not pass on a clear error and its exit code")

    starts, inner = [], []
    for _ in range(3):
        code, out, err, secs = run([str(exe), "--startup-probe"], env, timeout=60)
        probe = json_from(out)
        if code != 0 or not probe.get("window_shown"):
            failures.append(f"startup probe failed (exit {code}): {err.strip()[:300]}")
            break
        starts.append(secs)
        if probe.get("since_process_start_s") is not None:
            inner.append(probe["since_process_start_s"])
    if starts:
        median = statistics.median(starts)
        result["startup_s"] = {"median_wall": median, "runs_wall": starts,
                               "median_window_shown_since_process_start": statistics.median(inner) if inner else None}
        print(f"start-up (window shown, offscreen): wall {starts} s, in-process {inner} s")
        if median >= START_BAR_S:
            failures.append(f"start-up took {median} s, the bar is {START_BAR_S} s")

    result["ok"] = not failures
    result["failures"] = failures
    print(json.dumps(result, ensure_ascii=False))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
