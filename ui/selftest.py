"""`--self-test` and `--startup-probe`: prove that an installed copy (or the source tree) works.

The self-test builds a small demo database in a temporary folder, trains and runs the matcher, makes
a batch, writes its PDF list, and prints one JSON summary; the exit code is 0 only when every check
passed. It acts as SYSTEM: the throw-away database it builds has no user.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import i18n
from core.i18n import tr

SELF_TEST_TRAINEES = 1500


def process_age_s() -> float | None:
    """Seconds since this process was created (Linux /proc); None where that cannot be read."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return round(uptime - start / ticks, 3)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def app_version() -> str:
    from ui import about_dialog

    return about_dialog.VERSION


def _emit(summary: dict[str, Any]) -> None:
    text = json.dumps(summary, ensure_ascii=False, indent=2, default=str)
    if sys.stdout is not None:  # a windowed Windows executable has no console
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(None, tr("劳务协作桥自检", "LaborBridge self-test"), text)


def _check(summary: dict[str, Any], name: str, fn: Callable[[], Any]) -> None:
    """Run one check; record its result, or the error that stopped it."""
    t0 = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - the summary names the failing part, never a bare traceback
        summary[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                         "where": traceback.format_exc(limit=-3).strip().splitlines()[-3:]}
        summary["ok"] = False
        return
    if isinstance(result, dict):
        result.setdefault("ok", True)
        result["seconds"] = round(time.perf_counter() - t0, 3)
    summary[name] = result


# --- the checks ---------------------------------------------------------------------------------

def _check_qt(lang: str) -> dict[str, Any]:
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from ui.resources import register_cjk_font, resource_dir

    family = register_cjk_font()
    qm_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator()
    loaded = translator.load("qtbase_zh_CN", qm_dir)
    cancel = translator.translate("QPlatformTheme", "Cancel") if loaded else ""
    if family == "Sans Serif":
        raise RuntimeError(f"the bundled CJK font was not found in {resource_dir() / 'fonts'}")
    if not loaded:
        raise RuntimeError(f"qtbase_zh_CN.qm was not found in {qm_dir}")
    return {"font": family, "qt_translation": "qtbase_zh_CN", "qt_cancel_zh": cancel, "language": lang,
            "icon": (resource_dir() / "icons" / "laborbridge.png").is_file()}


def _open(workdir: Path):  # type: ignore[no-untyped-def]
    from db.engine import head_revision, open_database

    database = open_database(f"sqlite:///{workdir / 'selftest.sqlite3'}")
    return database, head_revision()


def _train(database) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Fit the matcher on the demo history (scikit-learn and SciPy inside the build)."""
    from core.access import SYSTEM
    from db.services import matching as service

    result = service.train(database, SYSTEM)
    learned = result["metrics"]["learned"]
    return {"version": result.get("version"), "activated": result.get("activated"),
            "learned_auc": learned.get("auc"), "learned_ndcg10": learned.get("ndcg10"),
            "active_model": service.active_model(database).as_dict().get("kind")}


def _ranking(database) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Rank the trainees of one open vacancy with the matcher."""
    from core.access import SYSTEM
    from db.services import matching as service
    from db.services.selftest import open_vacancy_codes

    codes = open_vacancy_codes(database)
    if not codes:
        raise RuntimeError("the demo database has no open vacancy")
    for code in codes[:10]:  # the first open vacancy with any eligible trainee
        result = service.rank_vacancy(database, code, top=5, actor=SYSTEM)
        rows = _rows(result.ranked)
        if rows:
            return {"vacancy": code, "ranked": len(rows), "top": rows[0], "model": result.model.describe(),
                    "excluded": len(result.excluded)}
    raise RuntimeError(f"no eligible trainee for the first {min(len(codes), 10)} open vacancies")


def _rows(frame: Any) -> list[dict[str, Any]]:
    """Ranking rows as plain dicts (ID numbers masked: the summary may be pasted into a ticket)."""
    from core.fields import mask_id

    keep = ("id_number", "name", "score", "priority", "reasons")
    records = frame.to_dict("records")
    rows = []
    for row in records:
        out = {k: row[k] for k in keep if k in row}
        if "id_number" in out:
            out["id_number"] = mask_id(str(out["id_number"]))
        if "score" in out:
            out["score"] = round(float(out["score"]), 4)
        if "reasons" in out and not isinstance(out["reasons"], list | str):
            out["reasons"] = list(out["reasons"])
        rows.append(out)
    return rows


SELF_TEST_BATCH = "自检批次 self-test"


def _make_batch(database) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A departure batch with a few confirmed people, made through the batch service as staff would."""
    import datetime as dt

    from core.access import SYSTEM
    from db.services import batches, placements
    from db.services.selftest import eligible_people

    try:
        vacancy, free = eligible_people(database, SYSTEM, 3)
    except LookupError:
        raise RuntimeError("the demo database has no open vacancy with three seats and three eligible trainees") from None
    batch_id = batches.create_batch(database, SYSTEM, name=SELF_TEST_BATCH, departure_date=dt.date.today(),
                                    destination="self-test")
    confirmed = 0
    for id_number in free:
        placement_id = batches.add_proposal(database, SYSTEM, batch_id, id_number, vacancy)
        placements.confirm(database, SYSTEM, placement_id)
        confirmed += 1
    plan = batches.plan(database, batch_id, actor=SYSTEM)
    return {"batch": SELF_TEST_BATCH, "vacancy": vacancy, "confirmed": confirmed,
            "plan": {"pairs": len(plan.pairs), "expected_retained": round(plan.expected_retained, 3),
                     "greedy_expected_retained": round(plan.greedy_expected_retained, 3)}}


def _pdf(database, workdir: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Write the batch's placement list as PDF with the printing code."""
    from core.access import SYSTEM
    from ui.printing import write_batch_pdf

    out = workdir / "selftest-list.pdf"
    write_batch_pdf(database, SELF_TEST_BATCH, out, actor=SYSTEM)
    facts = _pdf_facts(out)
    text = _pdf_text(out)
    if text is not None:
        facts["has_title_text"] = "花名册" in text or "名册" in text
    return facts | {"batch": SELF_TEST_BATCH}


def _pdf_text(path: Path) -> str | None:
    """The PDF's text where pypdf is present (source tree); the bundle leaves pypdf out."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return "".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def _pdf_facts(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        raise RuntimeError(f"{path} is not a PDF")
    return {"ok": True, "file": path.name, "bytes": len(data), "pages": data.count(b"/Type /Page\n")
            or data.count(b"/Type /Page") - data.count(b"/Type /Pages"),
            "font_embedded": b"/FontFile2" in data or b"/FontFile3" in data}


def run_self_test(lang: str | None = None, keep: bool = False) -> int:
    """Run every check, print the JSON summary, return 0 when all available checks passed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    lang = lang or i18n.language()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - fonts and PDFs need it
    workdir = Path(tempfile.mkdtemp(prefix="laborbridge-selftest-"))
    summary: dict[str, Any] = {"ok": True, "version": app_version(), "frozen": bool(getattr(sys, "frozen", False)),
                               "python": sys.version.split()[0], "platform": sys.platform,
                               "qt_platform": os.environ.get("QT_QPA_PLATFORM", "")}
    _check(summary, "qt", lambda: _check_qt(lang))
    database = None
    try:
        def open_step() -> dict[str, Any]:
            nonlocal database
            database, head = _open(workdir)
            return {"schema_revision": head, "backend": database.backend}

        _check(summary, "database", open_step)
        if database is not None:
            def demo_step() -> dict[str, Any]:
                from db.services import demo

                return {"counts": demo.load_demo(database, trainees=SELF_TEST_TRAINEES, seed=8)}

            _check(summary, "demo", demo_step)
            _check(summary, "train", lambda: _train(database))
            _check(summary, "ranking", lambda: _ranking(database))
            _check(summary, "batch", lambda: _make_batch(database))
            batch = summary.get("batch")
            if isinstance(batch, dict) and batch.get("ok"):
                _check(summary, "pdf", lambda: _pdf(database, workdir))
    finally:
        if database is not None:
            database.dispose()
        if keep or not summary["ok"]:
            summary["workdir"] = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summary["elapsed_s"] = round(time.perf_counter() - t0, 3)
    _emit(summary)
    if not summary["ok"]:
        print(tr("自检失败：见上方的 JSON 摘要。", "Self-test failed: see the JSON summary above."), file=sys.stderr)
    return 0 if summary["ok"] else 1


def run_startup_probe(db_url: str | None) -> int:
    """Start the GUI as a user would, exit as soon as the main window is on screen, print the time."""
    from PySide6.QtCore import QTimer

    from core.access import SYSTEM
    from db.engine import open_database
    from ui.app import make_app

    app = make_app()
    workdir = None
    if db_url is None:  # an empty throw-away database: the probe must not touch the user's data
        workdir = Path(tempfile.mkdtemp(prefix="laborbridge-probe-"))
        db_url = f"sqlite:///{workdir / 'probe.sqlite3'}"
    database = open_database(db_url)
    from ui.main_window import MainWindow

    window = MainWindow(database, SYSTEM)  # shown and closed at once: nothing is read beyond the counts
    window.show()
    shown: dict[str, Any] = {}

    def report() -> None:
        shown["visible"] = window.isVisible()
        shown["age"] = process_age_s()
        app.quit()

    QTimer.singleShot(0, report)  # runs once the event loop has painted the shown window
    app.exec()
    summary = {"window_shown": bool(shown.get("visible")), "since_process_start_s": shown.get("age"),
               "platform": app.platformName(), "frozen": bool(getattr(sys, "frozen", False))}
    window.close()
    database.dispose()
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    _emit(summary)
    return 0 if summary["window_shown"] else 1
