"""Foundation figures: demo generation at N trainees, database size, GUI start to window shown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from common import demo_database

REPO = Path(__file__).resolve().parent.parent

_PROBE = r"""
import sys, time
t0 = float(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from ui.app import make_app
from db.engine import open_database
app = make_app()
from core.access import SYSTEM
from ui.main_window import MainWindow
window = MainWindow(open_database(sys.argv[1]), SYSTEM)
window.show()
app.processEvents()
print(f"{time.time() - t0:.4f}")
"""


def run(n: int, workdir: Path) -> dict[str, float]:
    path, seconds = demo_database(n, workdir)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    starts = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", _PROBE, f"sqlite:///{path}", str(time.time()), str(REPO)],
                             capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                             check=True)
        starts.append(float(out.stdout.strip().splitlines()[-1]))
    return {"demo_generate_s": round(seconds, 2), "demo_db_size_mb": round(size, 1),
            "gui_start_to_window_s": round(min(starts), 3), "gui_start_to_window_max_s": round(max(starts), 3)}
