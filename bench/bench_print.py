"""Printed lists: a 500-person batch roster built from the database and rendered to PDF (bar: < 5 s)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from common import copy_of_demo
from sqlalchemy import func, insert, select

from core.access import SYSTEM
from db.engine import open_database
from db.models import Batch, Placement, Trainee, Vacancy
from db.services.lists import ListSelection, build_list, write_xlsx

ROWS = 500


def _fill_batch(database, rows: int) -> int:  # type: ignore[no-untyped-def]
    """A batch of ``rows`` confirmed placements, inserted in bulk as the planner would leave them."""
    with database.session() as s:
        batch_id = (s.scalar(select(func.max(Batch.id))) or 0) + 1
        s.add(Batch(id=batch_id, name=f"基准批次{batch_id}", departure_date=dt.date(2027, 3, 1),
                    destination="江苏、上海", escort="带队干部"))
        s.flush()
        tids = s.scalars(select(Trainee.id).order_by(Trainee.id).limit(rows)).all()
        vids = s.scalars(select(Vacancy.id).order_by(Vacancy.id).limit(20)).all()
        first = (s.scalar(select(func.max(Placement.id))) or 0) + 1
        s.execute(insert(Placement), [
            {"id": first + i, "trainee_id": t, "vacancy_id": vids[i % len(vids)], "batch_id": batch_id,
             "status": "confirmed", "start_date": dt.date(2027, 3, 1), "monthly_wage": 6000 + 100 * (i % 9),
             "employment_form": "temporary", "version": 1} for i, t in enumerate(tids)])
    return batch_id


def run(n_trainees: int, workdir: Path) -> dict:
    from ui.printing.renderer import ensure_gui_app, save_pdf

    ensure_gui_app()
    path = copy_of_demo(n_trainees, workdir, "print.sqlite3")
    database = open_database(f"sqlite:///{path}")
    try:
        batch_id = _fill_batch(database, ROWS)
        t0 = time.perf_counter()
        plist = build_list(database, SYSTEM, ListSelection(batch_id=batch_id, bureau="互助土族自治县人力资源和社会保障局"))
        t1 = time.perf_counter()
        pdf = save_pdf(database, SYSTEM, plist, workdir / "roster500.pdf")
        t2 = time.perf_counter()
        write_xlsx(database, SYSTEM, plist, workdir / "roster500.xlsx")
        t3 = time.perf_counter()
        from pypdf import PdfReader
        pages = len(PdfReader(str(pdf)).pages)
    finally:
        database.dispose()
    return {"print_rows": len(plist.rows), "print_build_500_s": round(t1 - t0, 3),
            "print_pdf_500_s": round(t2 - t0, 3), "print_pdf_render_500_s": round(t2 - t1, 3),
            "print_pdf_pages": pages, "print_pdf_mb": round(pdf.stat().st_size / 1e6, 3),
            "print_xlsx_500_s": round(t3 - t2, 3)}
