"""Households bars: import a 100,000-member monitoring export (xlsx) in under 5 s; the monthly 务工规模
report on the 200,000-trainee demo (with its households and imported work) in under 1 s."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also when run as a probe subprocess
from common import copy_of_demo

EXPORT_MEMBERS = int(os.environ.get("BENCH_HOUSEHOLD_MEMBERS", "100000"))
HEADER = ["县(市、区、旗)", "乡(镇)", "行政村", "自然村", "户编号", "人编号", "姓名", "证件类型", "证件号码", "与户主关系",
          "性别", "人数", "户类型", "监测对象类别", "致贫/返贫风险1", "识别监测时间", "风险是否已消除", "风险消除方式",
          "消除监测时间", "劳动技能", "人均纯收入（元）", "工资性收入"]


def write_export(path: Path, n: int) -> Path:
    """A member export of ``n`` members in households of four, two merged title rows, header on row 3."""
    import xlsxwriter

    from core.fields import id_check_char
    from db.services.demo import HAN_GIVEN, HAN_SURNAMES, HUZHU_TOWNSHIPS, VILLAGES

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.merge_range(0, 0, 0, len(HEADER) - 1, "防止返贫动态监测信息系统 家庭成员信息")
    ws.merge_range(1, 0, 1, len(HEADER) - 1, "导出时间：2026年11月30日")
    for c, h in enumerate(HEADER):
        ws.write_string(2, c, h)
    kinds = ["", "", "", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]
    relations = ["户主", "配偶", "之子", "之女"]
    labours = ["普通劳动力", "普通劳动力", "技能劳动力", "无劳动力"]
    for i in range(n):
        h = i // 4
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i // 500)
        body = f"630223{birth:%Y%m%d}{(i % 500) // 5:02d}{(i % 5) * 2 + (i % 2)}"
        kind = kinds[h % len(kinds)]
        row = ["互助土族自治县", HUZHU_TOWNSHIPS[h % len(HUZHU_TOWNSHIPS)], VILLAGES[h % len(VILLAGES)], "一社",
               f"630223{h:012d}", f"630223{h:012d}{i % 4 + 1:02d}",
               HAN_SURNAMES[h % len(HAN_SURNAMES)] + HAN_GIVEN[i % len(HAN_GIVEN)], "居民身份证",
               body + id_check_char(body), relations[i % 4], "男" if i % 2 else "女", "4",
               "脱贫户" if h % 2 else "一般户", kind, "因务工就业不稳" if kind else "", "202303" if kind else "",
               "是" if kind and h % 7 == 0 else "否", "帮扶消除" if kind and h % 7 == 0 else "",
               "202409" if kind and h % 7 == 0 else "", labours[i % 4], str(6000 + h % 9000), str(12000 + h % 20000)]
        for c, v in enumerate(row):
            if v:
                ws.write_string(i + 3, c, v)
    wb.close()
    return path


def import_probe(path: Path, db_path: Path) -> dict[str, float]:
    """Import the export into a fresh database, then the same file again (nothing new), in this process."""
    from core.access import SYSTEM
    from db.engine import open_database
    from db.services.households import import_members

    database = open_database(f"sqlite:///{db_path}")
    try:
        t0 = time.perf_counter()
        done = import_members(database, path, SYSTEM)
        first = time.perf_counter() - t0
        assert done.members == EXPORT_MEMBERS and not done.result.errors, done.summary()
        t0 = time.perf_counter()
        again = import_members(database, path, SYSTEM)
        second = time.perf_counter() - t0
        assert again.new_households == 0 and again.updated_households == 0
    finally:
        database.dispose()
    return {"households_import_members": EXPORT_MEMBERS, "households_import_100k_members_xlsx_s": round(first, 2),
            "households_reimport_100k_unchanged_s": round(second, 2)}


def report_probe(db_path: Path) -> dict[str, float]:
    from core.access import SYSTEM
    from db.engine import open_database
    from db.services.households import monthly_report

    database = open_database(f"sqlite:///{db_path}")
    try:
        t0 = time.perf_counter()
        report = monthly_report(database, SYSTEM, dt.date.today().replace(day=1))
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        monthly_report(database, SYSTEM, dt.date.today().replace(day=1), by="village")
        second = time.perf_counter() - t0
    finally:
        database.dispose()
    return {"households_report_members": report.total["members"], "households_report_month_s": round(first, 2),
            "households_report_by_village_s": round(second, 2)}


def _probe(*args: str) -> dict[str, float]:
    import json
    import subprocess

    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                         cwd=str(Path(__file__).resolve().parent.parent))
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(n_trainees: int, workdir: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    parts = os.environ.get("BENCH_HOUSEHOLDS_PARTS", "import,report")
    if "import" in parts:
        path = write_export(workdir / "members_100k.xlsx", EXPORT_MEMBERS)
        figures.update(_probe("--import-probe", str(path), str(workdir / "households_import.sqlite3")))
    if "report" in parts:
        figures.update(_probe("--report-probe", str(copy_of_demo(n_trainees, workdir, "households"))))
    return figures


if __name__ == "__main__":
    import json

    if len(sys.argv) == 4 and sys.argv[1] == "--import-probe":
        print(json.dumps(import_probe(Path(sys.argv[2]), Path(sys.argv[3]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "--report-probe":
        print(json.dumps(report_probe(Path(sys.argv[2]))))
