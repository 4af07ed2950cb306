"""Registry bars: import 50,000 roster rows from xlsx; the trainee page on a large registry
(open, search keystroke, sort, memory)."""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also when run as a probe subprocess
from common import copy_of_demo

IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))


def write_roster(path: Path, n: int, seed: int = 11) -> Path:
    """A school-style roster of ``n`` valid people (title row, header, mixed cell forms)."""
    import xlsxwriter

    from core.fields import id_check_char
    from db.services.demo import HAN_GIVEN, HAN_SURNAMES, HUZHU_TOWNSHIPS, VILLAGES

    rng = np.random.default_rng(seed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_string(0, 0, "互助县2025年家政培训结业学员名册")
    header = ["姓名", "身份证号", "性别", "民族", "手机号", "乡镇", "村", "户类型", "技能", "技能等级", "培训学校",
              "结业日期", "培训课时", "普通话", "意向地区", "期望月薪", "可出发日期", "健康证有效期"]
    for c, h in enumerate(header):
        ws.write_string(2, c, h)
    base = dt.date(1970, 1, 1).toordinal()
    births = rng.integers(dt.date(1968, 1, 1).toordinal(), dt.date(2006, 1, 1).toordinal(), n)
    seq = rng.permutation(n) % 1000
    skills = ["家政服务", "养老护理", "医疗护理", "育婴", "家政服务、育婴", "养老护理，医疗护理"]
    levels = ["", "五级", "初级工", "四级", "3", "中级"]
    schools = ["互助县现代家政职业技能培训学校", "海东市职业技术学校", "互助县就业服务中心培训部"]
    date_forms = [lambda d: d.isoformat(), lambda d: f"{d.year}/{d.month}/{d.day}", lambda d: f"{d.year}.{d.month}.{d.day}",
                  lambda d: f"{d:%Y%m%d}", lambda d: f"{d.year}年{d.month}月{d.day}日"]
    used: set[str] = set()
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    r = 3
    for i in range(n):
        birth = dt.date.fromordinal(int(births[i]))
        region = "632126" if i % 2 else "630223"
        while True:
            body = f"{region}{birth:%Y%m%d}{int(seq[i]):03d}"
            number = body + id_check_char(body)
            if number not in used:
                used.add(number)
                break
            seq[i] = (seq[i] + 7) % 1000
        male = int(body[16]) % 2 == 1
        name = HAN_SURNAMES[i % len(HAN_SURNAMES)] + HAN_GIVEN[(i * 7) % len(HAN_GIVEN)] + \
            (HAN_GIVEN[(i * 13) % len(HAN_GIVEN)] if i % 3 else "")
        grad = dt.date.fromordinal(base + 19000 + int(rng.integers(0, 1500)))
        row = [name, number, "男" if male else "女", "汉族", f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}",
               HUZHU_TOWNSHIPS[i % len(HUZHU_TOWNSHIPS)], VILLAGES[i % len(VILLAGES)],
               ["一般户", "脱贫户", "监测户"][i % 3], skills[i % len(skills)], levels[i % len(levels)],
               schools[i % 3], None, str(40 * (1 + i % 5)), ["流利", "一般", "较差"][i % 3],
               ["江苏", "上海、浙江", "广东/福建"][i % 3], str(3500 + 500 * (i % 8)), None, None]
        for c, v in enumerate(row):
            if v is not None and v != "":
                ws.write_string(r, c, v)
        ws.write_datetime(r, 11, dt.datetime(grad.year, grad.month, grad.day), date_fmt)  # serial date cell
        ws.write_string(r, 16, date_forms[i % 5](grad + dt.timedelta(days=200)))
        ws.write_number(r, 12, 40 * (1 + i % 5))
        r += 1
    ws.write_string(r + 1, 0, f"合计：{n}人")
    wb.close()
    return path


def import_probe(path: Path, db_path: Path) -> dict[str, float]:
    """Import the roster into a fresh database, then again (unchanged), in this process."""
    from core.access import SYSTEM
    from db.engine import open_database
    from db.services.exchange import import_roster

    database = open_database(f"sqlite:///{db_path}")
    try:
        t0 = time.perf_counter()
        result = import_roster(database, "trainees", path, SYSTEM)
        first = time.perf_counter() - t0
        assert result.inserted == IMPORT_ROWS and not result.errors, result.summary()
        t0 = time.perf_counter()
        again = import_roster(database, "trainees", path, SYSTEM)
        second = time.perf_counter() - t0
        assert again.unchanged == IMPORT_ROWS
    finally:
        database.dispose()
    return {"registry_import_rows": IMPORT_ROWS, "registry_import_50k_xlsx_s": round(first, 2),
            "registry_reimport_50k_unchanged_s": round(second, 2),
            "registry_import_file_mb": round(path.stat().st_size / 1e6, 1)}


def _probe(*args: str) -> dict[str, float]:
    """Run a probe in a fresh interpreter: the figures are the app's, not the harness's (which may
    have just built a 200,000-person demo in its own heap)."""
    import json
    import subprocess

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=True,
                         cwd=str(Path(__file__).resolve().parent.parent))
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_import(workdir: Path) -> dict[str, float]:
    path = write_roster(workdir / "roster_50k.xlsx", IMPORT_ROWS)
    return _probe("--import-probe", str(path), str(workdir / "import_bench.sqlite3"))


def peak_rss_mb() -> float:
    """Peak memory of this process. On Linux ru_maxrss survives fork+exec (the probe would report
    the parent's peak from building the demo), so the kernel's VmHWM of this image is read first."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_probe(path: Path) -> dict[str, float]:
    """The trainee page on an existing database, in a fresh process (so its memory is the app's)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from core.access import SYSTEM
    from db.engine import open_database
    from ui.pages.trainees import TraineesPage

    app = QApplication.instance() or QApplication([])
    database = open_database(f"sqlite:///{path}")
    try:
        t0 = time.perf_counter()
        page = TraineesPage(database, SYSTEM)
        page.resize(1280, 800)
        page.show()
        app.processEvents()
        open_s = time.perf_counter() - t0
        model = page.model
        t0 = time.perf_counter()
        for _ in range(20):  # scrolling 4,000 rows down in the default order
            model.fetchMore()
        scroll = (time.perf_counter() - t0) / 20
        searches = {}
        for text in ("zsy", "张", "1234", "wang", "阿依"):
            t0 = time.perf_counter()
            page.apply_search(text)  # what the debounced keystroke runs: query + model reset + count
            model.total()
            app.processEvents()
            searches[text] = time.perf_counter() - t0
        page.apply_search("")
        sorts = {}
        for key in ("name", "expected_wage", "school", "status"):
            column = [c.key for c in model.columns].index(key)
            t0 = time.perf_counter()
            model.sort(column)
            model.total()
            app.processEvents()
            sorts[key] = time.perf_counter() - t0
        model.sort([c.key for c in model.columns].index("name"))
        t0 = time.perf_counter()
        for _ in range(5):
            model.fetchMore()
        scroll_sorted = (time.perf_counter() - t0) / 5
        rss_mb = peak_rss_mb()
        page.close()
    finally:
        database.dispose()
    return {"registry_page_open_s": round(open_s, 3),
            "registry_search_worst_s": round(max(searches.values()), 3),
            "registry_search_zsy_s": round(searches["zsy"], 3), "registry_search_name_s": round(searches["张"], 3),
            "registry_search_digits_s": round(searches["1234"], 3),
            "registry_sort_worst_s": round(max(sorts.values()), 3),
            "registry_sort_name_s": round(sorts["name"], 3), "registry_sort_status_s": round(sorts["status"], 3),
            "registry_fetch_page_s": round(scroll, 4), "registry_fetch_page_sorted_s": round(scroll_sorted, 4),
            "registry_app_peak_rss_mb": round(rss_mb, 1)}


def bench_page(n_trainees: int, workdir: Path) -> dict[str, float]:
    path = copy_of_demo(n_trainees, workdir, "registry_page.sqlite3")
    return {"registry_page_trainees": n_trainees, **_probe("--page-probe", str(path))}


def run(n_trainees: int, workdir: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    parts = os.environ.get("BENCH_REGISTRY_PARTS", "page,import")
    if "page" in parts:  # first, so the peak memory is the page's, not the importer's
        figures.update(bench_page(n_trainees, workdir))
    if "import" in parts:
        figures.update(bench_import(workdir))
    return figures


if __name__ == "__main__":
    import json

    if len(sys.argv) == 3 and sys.argv[1] == "--page-probe":
        print(json.dumps(page_probe(Path(sys.argv[2]))))
    elif len(sys.argv) == 4 and sys.argv[1] == "--import-probe":
        print(json.dumps(import_probe(Path(sys.argv[2]), Path(sys.argv[3]))))
