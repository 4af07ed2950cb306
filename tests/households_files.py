"""Monitoring-system exports and work tables as the county receives them, written in the tests."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from core.fields import id_check_char

MEMBER_HEADER = ["县(市、区、旗)", "乡(镇)", "行政村", "自然村", "户编号", "人编号", "姓名", "证件类型", "证件号码",
                 "与户主关系", "性别", "人数", "户类型", "监测对象类别", "致贫/返贫风险1", "致贫/返贫风险2",
                 "识别监测时间", "风险是否已消除", "风险消除方式", "消除监测时间", "劳动技能", "务工所在地",
                 "人均纯收入（元）", "工资性收入"]
WORK_HEADER = ["县", "乡", "行政村", "户编号", "证件号码", "户类型", "监测对象类别", "是否已务工", "务工所在县",
               "开始时间", "结束时间", "务工月收入", "务工企业名称", "所属行业", "就业渠道", "是否点对点输送",
               "年度交通费补助"]


def make_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


def person_id(n: int, year: int = 1990, female: bool = False) -> str:
    """A valid Huzhu ID number, distinct for each n < 100,000."""
    day = dt.date(year, 1, 1) + dt.timedelta(days=n // 500)
    gender_digit = (n % 5) * 2 + (0 if female else 1)
    return make_id(f"630223{day:%Y%m%d}{(n % 500) // 5:02d}{gender_digit}")


@dataclass
class Member:
    name: str
    id_number: str
    relation: str = "户主"
    labour: str = "普通劳动力"
    gender: str = "男"
    person_code: str = ""


@dataclass
class Home:
    code: str
    township: str = "威远镇"
    village: str = "卓扎滩村"
    kind: str = "脱贫户"
    monitoring: str = ""
    risks: tuple[str, ...] = ()
    identified: object = ""
    eliminated: str = "否"
    method: str = ""
    eliminated_month: object = ""
    income: int = 9000
    wage: int = 20000
    county: str = "互助土族自治县"
    members: list[Member] = field(default_factory=list)
    size: int | None = None


def member_rows(homes: list[Home]) -> list[list[object]]:
    rows: list[list[object]] = []
    for home in homes:
        for k, m in enumerate(home.members):
            risks = list(home.risks) + ["", ""]
            rows.append([home.county, home.township, home.village, "一社", home.code,
                         m.person_code or f"{home.code}{k + 1:02d}", m.name, "居民身份证", m.id_number, m.relation,
                         m.gender, home.size if home.size is not None else len(home.members), home.kind,
                         home.monitoring, risks[0], risks[1], home.identified, home.eliminated, home.method,
                         home.eliminated_month, m.labour, "", home.income, home.wage])
    return rows


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], *, titles: int = 2) -> Path:
    """Two merged title rows (as the system writes them) above the header, unless ``titles`` says otherwise."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    bold = wb.add_format({"bold": True, "align": "center"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    if titles >= 1:
        ws.merge_range(0, 0, 0, len(header) - 1, "防止返贫动态监测信息系统 家庭成员信息", bold)
    if titles >= 2:
        ws.merge_range(1, 0, 1, len(header) - 1, "导出时间：2026年11月30日    单位：互助县乡村振兴局", bold)
    top = titles
    for c, h in enumerate(header):
        ws.write_string(top, c, h)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    wb.close()
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["防止返贫动态监测信息系统 家庭成员信息"])
        w.writerow(["导出时间：2026年11月30日"])
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
    return path


def work_row(id_number: str, start: object, end: object = "", *, place: str = "江苏省南京市江宁区",
             code: str = "", employer: str = "南京颐和护理院", channel: str = "劳务输出", income: int = 4200,
             working: str = "是") -> list[object]:
    return ["互助土族自治县", "威远镇", "卓扎滩村", code, id_number, "脱贫户", "", working, place, start, end,
            income, employer, "居民服务业", channel, "否", ""]
