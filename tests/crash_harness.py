"""Run one operation in a child process and freeze it in the middle, for tests/test_crash_safety.py.

    python tests/crash_harness.py URL OPERATION ARG WRITES

After the operation's WRITES-th INSERT/UPDATE/DELETE statement has executed (inside its open
transaction) the child prints MIDWAY and sleeps; the test then kills it with SIGKILL. Without the
kill it would print DONE.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.access import SYSTEM
from db.engine import open_database


def main() -> None:
    url, operation, arg, writes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    database = open_database(url)
    seen = 0

    @event.listens_for(Engine, "after_cursor_execute")
    def freeze(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        nonlocal seen
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen += 1
            if seen == writes:
                print("MIDWAY", flush=True)
                time.sleep(600)

    if operation == "demo":
        from db.services import demo
        demo.load_demo(database, trainees=int(arg), seed=3)
    elif operation == "import":
        from db.services.exchange import import_roster
        import_roster(database, "trainees", arg, SYSTEM)
    elif operation == "confirm":
        from db.services import placements
        placements.confirm(database, SYSTEM, int(arg))
    elif operation == "train":
        from db.services import matching as matching_service
        matching_service.train(database, SYSTEM)
    else:
        raise SystemExit(f"unknown operation {operation}")
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
