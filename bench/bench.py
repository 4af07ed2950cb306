"""`make bench`: measures the speed bars of docs/DESIGN.md and prints them as one JSON object.

Each area adds a module ``bench/bench_<area>.py`` with ``run(n_trainees, workdir) -> dict``.
``BENCH_TRAINEES=N`` runs everything smaller (default 200,000); ``BENCH_ONLY=a,b`` picks areas.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    n = int(os.environ.get("BENCH_TRAINEES", "200000"))
    only = {a for a in os.environ.get("BENCH_ONLY", "").split(",") if a}
    results: dict[str, object] = {"bench_trainees": n}
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["LABORBRIDGE_DATA_DIR"] = str(workdir / "userdata")
        for path in sorted(HERE.glob("bench_*.py")):
            area = path.stem.removeprefix("bench_")
            if only and area not in only:
                continue
            t0 = time.perf_counter()
            try:
                module = importlib.import_module(path.stem)
                figures = module.run(n, workdir)
            except Exception as exc:  # noqa: BLE001 - one failing area must not hide the others
                results[f"{area}_error"] = f"{type(exc).__name__}: {exc}"
                continue
            results.update(figures)
            print(f"[bench] {area}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
