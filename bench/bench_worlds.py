"""Matcher quality on counties it was not designed for (tests/worlds.py, issue #22): per world, the
share of the random→oracle gap closed by the matcher, the rule-based score and a plain logistic
model, and the family the matcher chose. Not a speed figure; BENCH_ONLY=worlds runs it alone."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.worlds import gap_report


def run(_n_trainees: int, _workdir: Path) -> dict:
    rows = gap_report()
    out: dict[str, object] = {}
    for r in rows:
        key = f"worlds_{r['world']}_{r['history']}_{r['seed']}"
        out[key] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()
                    if k in ("matcher", "rules", "logistic", "chosen")}
        # the bar (issue #22): never below the better baseline by more than one point (−0.01)
        out[key]["margin"] = round(float(r["matcher"]) - max(float(r["rules"]), float(r["logistic"])), 3)  # type: ignore[arg-type, index]
    out["worlds_matcher_minus_best_baseline_min"] = round(min(
        float(r["matcher"]) - max(float(r["rules"]), float(r["logistic"])) for r in rows), 3)  # type: ignore[arg-type]
    return out
