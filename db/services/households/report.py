"""The monthly 务工规模 report by township (or village): households, monitored households, members,
labour force, members in work in the month (省外 / 省内县外 / 县内) from placements and imported work,
the same month last year, monitored households with nobody in work, 零就业家庭, placed by the bureau,
on the job 3 and 6 months. The workbook carries the bureau's name and the month, a 口径说明 sheet and
the people behind each figure with masked IDs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.access import Actor, require
from core.fields import formula_like, mask_id
from core.files import write_file
from core.households import (
    DESTINATIONS,
    HEAD_RELATION,
    LABOUR_FORCE,
    destination_label,
    month_span,
    same_county,
    shift_months,
)
from core.i18n import tr
from db import audit
from db.engine import Database
from db.queries.households import households_frame, members_frame, placements_frame, work_frame
from db.services.bureau import bureau_heading
from db.services.stats import ID_PROVINCES

KEYS = ("households", "monitored_households", "members", "labour_force", "working", *DESTINATIONS,
        "working_last_year", "change", "monitored_without_work", "zero_employment", "placed_by_bureau",
        "on_job_3m", "on_job_6m")
JSON_KEYS = ("households", "monitored_households", "members", "working", "working_last_year",
             "monitored_without_work", "zero_employment")
LABELS = {
    "households": ("户数", "Households"), "monitored_households": ("监测户", "Monitored households"),
    "members": ("人数", "Members"), "labour_force": ("劳动力", "Labour force"),
    "working": ("本月务工", "In work this month"),
    "outside_province": ("其中省外", "of which outside the province"),
    "in_province": ("其中省内县外", "of which in province, outside county"),
    "in_county": ("其中县内", "of which in the county"),
    "working_last_year": ("去年同月务工", "In work same month last year"), "change": ("同比增减", "Change"),
    "monitored_without_work": ("无人务工的监测户", "Monitored households with nobody in work"),
    "zero_employment": ("零就业家庭", "Zero-employment households"),
    "placed_by_bureau": ("其中本局安置", "of which placed by the bureau"),
    "on_job_3m": ("在岗满3个月", "On the job 3 months"), "on_job_6m": ("在岗满6个月", "On the job 6 months"),
}
EPOCH = np.datetime64("1970-01-01", "D")


def label(key: str) -> str:
    return tr(*LABELS[key])


@dataclass
class MonthlyReport:
    month: dt.date
    by: str                 # township / village
    table: pd.DataFrame     # one row per place: township (, village), KEYS
    total: dict[str, int]
    _people: pd.DataFrame | None = None  # figure, township, village, household_code, name, id_number, …
    people_source: Callable[[], pd.DataFrame] | None = None

    @property
    def people(self) -> pd.DataFrame:
        """The people behind each figure (read when first asked: the workbook needs them, the figures do not)."""
        if self._people is None:
            self._people = self.people_source() if self.people_source else pd.DataFrame()
        return self._people

    @people.setter
    def people(self, frame: pd.DataFrame) -> None:
        self._people = frame

    def to_json(self) -> dict[str, Any]:
        rows = [{"township": r["township"], **({"village": r["village"]} if self.by == "village" else {}),
                 **{k: int(r[k]) for k in KEYS}} for r in self.table.to_dict("records")]
        return {"month": f"{self.month:%Y-%m}", "by": self.by, "townships": rows,
                "total": {k: int(self.total[k]) for k in KEYS}}


def _days(month: dt.date) -> tuple[int, int]:
    first, last = month_span(month)
    return (first - dt.date(1970, 1, 1)).days, (last - dt.date(1970, 1, 1)).days


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers (NaN stays NaN)."""
    out = np.full(len(days), np.nan)
    ok = np.isfinite(days)
    out[ok] = (EPOCH + days[ok].astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
    return out


@dataclass
class _Jobs:
    """Every job of every member as one table: placements (source 'bureau') and imported work."""
    member: np.ndarray
    start_m: np.ndarray     # month index of the start
    end_m: np.ndarray       # month index of the end (NaN: still running)
    start_d: np.ndarray     # day number of the start (placements) or of the start month's first day
    end_d: np.ndarray       # day number of the end; imported work ends on its end month's last day
    dest: np.ndarray        # index into DESTINATIONS
    bureau: np.ndarray      # a LaborBridge placement
    employer: np.ndarray
    wage: np.ndarray
    channel: np.ndarray


def _jobs(members: pd.DataFrame, homes: pd.DataFrame, placed: pd.DataFrame, work: pd.DataFrame) -> _Jobs:
    county = homes.set_index("household_id")["county"]
    member_county = members.set_index("member_id")["household_id"].map(county)
    member_home = members.set_index("member_id")["home"].map(ID_PROVINCES)
    # placements: 省外 when the employer's province is not the home province (from the ID)
    home = member_home.reindex(placed["member_id"]).to_numpy()
    p_county = member_county.reindex(placed["member_id"]).to_numpy()
    outside = placed["province"].to_numpy() != home
    # the county rule once per distinct (county, district, city): a county has few of them
    places = pd.DataFrame({"c": p_county, "d": placed["district"].to_numpy(), "ci": placed["city"].to_numpy()})
    combos = places.drop_duplicates()
    combos = combos.assign(hit=[same_county(c, d) or same_county(c, ci) for c, d, ci in
                                zip(combos["c"], combos["d"], combos["ci"])])
    in_county = places.merge(combos, how="left", on=["c", "d", "ci"])["hit"].fillna(False).to_numpy(bool) \
        if len(placed) else np.zeros(0, bool)
    p_dest = np.where(outside, 0, np.where(in_county, 2, 1))
    w_dest = work["destination"].map({d: i for i, d in enumerate(DESTINATIONS)}).fillna(1).to_numpy(np.int64)
    w_start = work["start"].to_numpy(float)
    w_end_m = _month_index(work["end"].to_numpy(float))
    w_end_d = np.full(len(work), np.nan)
    ok = np.isfinite(w_end_m)
    w_end_d[ok] = ((w_end_m[ok].astype(np.int64) + 1).astype("datetime64[M]").astype("datetime64[D]")
                   - EPOCH).astype(np.int64) - 1
    p_start = placed["start"].to_numpy(float)
    p_end = placed["end"].to_numpy(float)
    return _Jobs(
        member=np.concatenate([placed["member_id"].to_numpy(np.int64), work["member_id"].to_numpy(np.int64)]),
        start_m=np.concatenate([_month_index(p_start), _month_index(w_start)]),
        end_m=np.concatenate([_month_index(p_end), w_end_m]),
        start_d=np.concatenate([p_start, w_start]), end_d=np.concatenate([p_end, w_end_d]),
        dest=np.concatenate([p_dest, w_dest]).astype(np.int64),
        bureau=np.concatenate([np.ones(len(placed), bool), np.zeros(len(work), bool)]),
        employer=np.concatenate([_texts(placed, "employer"), _texts(work, "employer")]),
        wage=np.concatenate([placed["wage"].to_numpy(float), work["wage"].to_numpy(float)]),
        channel=np.concatenate([np.full(len(placed), tr("本局安置", "Placed by the bureau"), dtype=object),
                                work["channel"].fillna(tr("导入务工", "Imported work")).to_numpy(object)
                                if "channel" in work else np.full(len(work), None, dtype=object)]))


def _texts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A text column, or None throughout when the lean read (figures only) left it out."""
    if column in frame:
        return frame[column].to_numpy(object)
    return np.full(len(frame), None, dtype=object)


def _in_month(jobs: _Jobs, month: dt.date) -> np.ndarray:
    """core.households.in_work_in_month over every job."""
    from core.households import in_work_mask

    first, last = _days(month)
    return in_work_mask(jobs.start_d, jobs.end_d, first, last)


def read(database: Database, *, full: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, _Jobs]:
    """Households, members and every job; ``full`` adds 户编号, names and IDs (to list people)."""
    with database.engine.connect() as conn:
        homes, members = households_frame(conn, full=full), members_frame(conn, full=full)
        placed, work = placements_frame(conn, full=full), work_frame(conn, full=full)
    return homes, members, _jobs(members, homes, placed, work)


def monitored_in(homes: pd.DataFrame, month: dt.date) -> np.ndarray:
    """Households under monitoring in the month: a kind, identified by then, risk not eliminated by then
    (an elimination without a month counts as done)."""
    first, last = _days(month)
    kind = homes["monitoring_kind"].notna().to_numpy()
    identified = homes["identified"].to_numpy(float)
    gone = homes["eliminated_month"].to_numpy(float)
    eliminated = homes["eliminated"].to_numpy(float) > 0
    still = ~(eliminated & (~np.isfinite(gone) | (gone <= last)))
    result: np.ndarray = kind & (~np.isfinite(identified) | (identified <= last)) & still
    return result


def compute(database: Database, actor: Actor, month: dt.date, *, by: str = "township") -> MonthlyReport:
    require(actor, "households.read")
    homes, members, jobs = read(database, full=False)
    report = _compute(homes, members, jobs, month.replace(day=1), by)

    def people() -> pd.DataFrame:  # only for the workbook: names, IDs and codes are read then
        full = _compute(*read(database), month.replace(day=1), by, with_people=True)
        return full.people
    report.people_source = people
    return report


def _compute(homes: pd.DataFrame, members: pd.DataFrame, jobs: _Jobs, month: dt.date, by: str, *,
             with_people: bool = False) -> MonthlyReport:
    homes = homes.copy()
    homes["township"] = homes["township"].fillna(tr("（未填乡镇）", "(no township)"))
    homes["village"] = homes["village"].fillna(tr("（未填村）", "(no village)"))
    groups = ["township"] if by == "township" else ["township", "village"]
    h_pos = pd.Series(np.arange(len(homes)), index=homes["household_id"].to_numpy())
    m_home = h_pos.reindex(members["household_id"].to_numpy()).to_numpy()
    m_pos = pd.Series(np.arange(len(members)), index=members["member_id"].to_numpy())
    j_member = m_pos.reindex(jobs.member).to_numpy() if len(jobs.member) else np.zeros(0, np.int64)
    n = len(members)

    def working(m: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per member: in work, destination (first of the bureau's, else the first in DESTINATIONS order),
        placed by the bureau."""
        active = _in_month(jobs, m)
        w = np.zeros(n, bool)
        w[j_member[active]] = True
        # destination: a bureau placement wins, then the order of DESTINATIONS
        rank = jobs.dest[active] + np.where(jobs.bureau[active], 0, 10)
        best = np.full(n, 99)
        np.minimum.at(best, j_member[active], rank)
        dest = np.where(best < 99, best % 10, -1)
        bureau = best < 10
        return w, dest, bureau

    w_now, dest, bureau = working(month)
    w_year, _d, _b = working(shift_months(month, -12))
    months = month.year * 12 + month.month - 1 - 1970 * 12
    active = _in_month(jobs, month)
    served = np.where(active, months - jobs.start_m, -1)
    longest = np.full(n, -1.0)
    np.maximum.at(longest, j_member[active], served[active])
    labour = members["labour"]  # unknown counts as labour force
    in_force = (labour.isna() | labour.isin(LABOUR_FORCE)).to_numpy(bool) if n else np.zeros(0, bool)
    monitored = monitored_in(homes, month)
    any_work = np.zeros(len(homes), bool)
    any_work[m_home[w_now]] = True
    any_force = np.zeros(len(homes), bool)
    any_force[m_home[in_force]] = True
    h_flags = pd.DataFrame({
        "households": 1, "monitored_households": monitored.astype(int),
        "monitored_without_work": (monitored & ~any_work).astype(int),
        "zero_employment": (any_force & ~any_work).astype(int)})
    m_flags = pd.DataFrame({
        "members": 1, "labour_force": in_force.astype(int), "working": w_now.astype(int),
        **{d: (w_now & (dest == i)).astype(int) for i, d in enumerate(DESTINATIONS)},
        "working_last_year": w_year.astype(int), "placed_by_bureau": (w_now & bureau).astype(int),
        "on_job_3m": (longest >= 3).astype(int), "on_job_6m": (longest >= 6).astype(int)})
    h_part = pd.concat([homes[groups].reset_index(drop=True), h_flags], axis=1).groupby(groups).sum()
    m_part = pd.concat([homes[groups].iloc[m_home].reset_index(drop=True), m_flags], axis=1).groupby(groups).sum()
    table = h_part.join(m_part, how="left").fillna(0).astype(int)
    table["change"] = table["working"] - table["working_last_year"]
    table = table[list(KEYS)].reset_index()
    total = {k: int(table[k].sum()) for k in KEYS}
    report = MonthlyReport(month, by, table, total)
    if with_people:
        report.people = _people(homes, members, m_home, jobs, j_member, active, w_now, w_year, dest, bureau,
                                longest, monitored & ~any_work, any_force & ~any_work)
    return report


def _people(homes: pd.DataFrame, members: pd.DataFrame, m_home: np.ndarray, jobs: _Jobs, j_member: np.ndarray,
            active: np.ndarray, w_now: np.ndarray, w_year: np.ndarray, dest: np.ndarray, bureau: np.ndarray,
            longest: np.ndarray, idle_monitored: np.ndarray, zero: np.ndarray) -> pd.DataFrame:
    """The people behind each figure: one row per person (or household) and figure."""
    job_of = np.full(len(members), -1)
    idx = np.flatnonzero(active)
    job_of[j_member[idx][::-1]] = idx[::-1]  # the first active job of each member
    base = pd.DataFrame({"township": homes["township"].to_numpy()[m_home], "village": homes["village"].to_numpy()[m_home],
                         "household_code": homes["code"].to_numpy()[m_home], "name": members["name"].to_numpy(),
                         "id_number": members["id_number"].to_numpy()})
    employer: Any = np.full(len(members), None, dtype=object)  # stays so while nobody has any job
    channel: Any = np.full(len(members), None, dtype=object)
    if len(jobs.member):
        employer = np.where(job_of >= 0, jobs.employer[np.maximum(job_of, 0)], None)
        channel = np.where(job_of >= 0, jobs.channel[np.maximum(job_of, 0)], None)
    base["destination"] = [destination_label(DESTINATIONS[d]) if d >= 0 else "" for d in dest]
    base["employer"] = employer
    base["channel"] = channel
    parts = []
    for key, mask in (("working", w_now), ("placed_by_bureau", w_now & bureau), ("on_job_3m", longest >= 3),
                      ("on_job_6m", longest >= 6)):
        parts.append(base[mask].assign(figure=label(key)))
    parts.append(base[w_year].assign(figure=label("working_last_year"), destination="", employer=None, channel=None))
    heads = members.assign(_pos=m_home, _head=members["relation"].ne(HEAD_RELATION)).sort_values(["_pos", "_head"]) \
        .drop_duplicates("_pos").set_index("_pos")
    for key, mask in (("monitored_without_work", idle_monitored), ("zero_employment", zero)):
        pos = np.flatnonzero(mask)
        head = heads.reindex(pos)
        parts.append(pd.DataFrame({"figure": label(key), "township": homes["township"].to_numpy()[pos],
                                   "village": homes["village"].to_numpy()[pos], "household_code": homes["code"].to_numpy()[pos],
                                   "name": head["name"].to_numpy(), "id_number": head["id_number"].to_numpy(),
                                   "destination": "", "employer": None, "channel": None}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    order = {label(k): i for i, k in enumerate(KEYS)}  # figures in the order of the main sheet
    out = out.assign(_o=out["figure"].map(order)).sort_values(["_o", "township", "village", "household_code"],
                                                              kind="stable")
    return out[["figure", "township", "village", "household_code", "name", "id_number", "destination", "employer",
                "channel"]].reset_index(drop=True)


def definitions() -> list[tuple[str, str]]:
    return [
        (label("households"), tr("已导入的家庭（按监测系统导出表）。", "Households imported from the monitoring export.")),
        (label("monitored_households"), tr("有监测对象类别、当月底前已识别、风险未消除（或消除时间在当月之后）的家庭。",
                                           "Households with a monitoring kind, identified by the month's end, "
                                           "risk not eliminated by then.")),
        (label("labour_force"), tr("劳动技能为技能、普通、弱或半劳动力的成员；未填写的按劳动力计。",
                                   "Members with skilled, ordinary or weak labour capacity; unknown counts.")),
        (label("working"), tr("当月务工：本局安置中已出发、在岗或已离岗、上岗日期不晚于月末且离岗日期不早于月初；"
                              "或导入的务工记录覆盖当月。每人只计一次。",
                              "In work in the month: a placement that really began (departed, on the job or "
                              "ended) started by the month's last day and not ended before its first day, or an "
                              "imported work record covering the month. Each person once.")),
        (tr("省外 / 省内县外 / 县内", "Outside / in province / in county"),
         tr("本局安置：用人单位所在省与身份证户籍省不同为省外，在本户所在县为县内，其余为省内县外；导入记录按务工所在县判断。"
            "一人多份工作时以本局安置优先，再按省外、省内县外、县内的顺序取一处。",
            "Placements: the employer's province against the ID's home province, the household's county for "
            "in-county; imported work by its county of work. One place per person: a placement first.")),
        (label("working_last_year"), tr("按同一口径计算的去年同月务工人数（按本次导出的家庭成员）。",
                                        "The same figure for the same month last year (members as exported now).")),
        (label("monitored_without_work"), tr("当月无任何成员务工的监测户。", "Monitored households where no member worked.")),
        (label("zero_employment"), tr("有劳动力但当月无人务工的家庭。", "Households with labour force but nobody in work.")),
        (label("placed_by_bureau"), tr("当月务工者中，有本局安置的。", "Of those in work, placed by the bureau.")),
        (tr("在岗满3 / 6个月", "On the job 3 / 6 months"),
         tr("当月在岗的工作中，自开始月份起已满3 / 6个自然月。",
            "A job running in the month that began 3 / 6 or more calendar months before.")),
        (tr("人员明细", "People"), tr("每个数字背后的人员（身份证号已遮蔽）；家庭类指标列出户主。",
                                    "The people behind each figure (IDs masked); household figures list the head.")),
    ]


def export_xlsx(database: Database, actor: Actor, report: MonthlyReport, path: str | Path) -> Path:
    """The workbook: the table titled with the bureau and the month, 口径说明, 人员明细 (masked IDs); audited."""
    require(actor, "households.read")
    title = tr(f"{bureau_heading(database)} {report.month:%Y年%m月}脱贫（监测）家庭劳动力务工规模",
               f"{bureau_heading(database)} — household members in work, {report.month:%Y-%m}")

    def write(tmp: Path) -> None:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        try:
            f_title = wb.add_format({"bold": True, "font_size": 14})
            f_head = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
                                    "border": 1, "bg_color": "#EEF2F7"})
            f_int = wb.add_format({"num_format": "#,##0", "border": 1})
            f_text = wb.add_format({"border": 1})
            f_quoted = wb.add_format({"border": 1, "quote_prefix": True})
            f_total = wb.add_format({"num_format": "#,##0", "bold": True, "border": 1, "bg_color": "#F5F5F5"})
            f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})

            def text(ws: Any, r: int, c: int, value: object, fmt: Any = f_text) -> None:
                value = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
                ws.write_string(r, c, value, f_quoted if formula_like(value) else fmt)

            ws = wb.add_worksheet(tr("务工规模", "Members in work"))
            ws.write_string(0, 0, title, f_title)
            groups = ["township"] if report.by == "township" else ["township", "village"]
            heads = [tr("乡镇", "Township")] + ([tr("村", "Village")] if report.by == "village" else []) \
                + [label(k) for k in KEYS]
            for c, h in enumerate(heads):
                ws.write_string(2, c, h, f_head)
            ws.set_row(2, 36)
            ws.set_column(0, len(groups) - 1, 14)
            ws.set_column(len(groups), len(heads) - 1, 10)
            for r, row in enumerate(report.table.to_dict("records"), start=3):
                for c, g in enumerate(groups):
                    text(ws, r, c, row[g])
                for c, k in enumerate(KEYS, start=len(groups)):
                    ws.write_number(r, c, int(row[k]), f_int)
            last = 3 + len(report.table)
            ws.write_string(last, 0, tr("合计", "Total"), f_total)
            for c in range(1, len(groups)):
                ws.write_blank(last, c, None, f_total)
            for c, k in enumerate(KEYS, start=len(groups)):
                ws.write_number(last, c, report.total[k], f_total)
            ws.freeze_panes(3, len(groups))

            notes = wb.add_worksheet(tr("口径说明", "Definitions"))
            notes.write_string(0, 0, title, f_title)
            notes.set_column(0, 0, 22, f_wrap)
            notes.set_column(1, 1, 90, f_wrap)
            notes.write_string(2, 0, tr("指标", "Figure"), f_head)
            notes.write_string(2, 1, tr("口径", "Definition"), f_head)
            for r, (k, v) in enumerate(definitions(), start=3):
                notes.write_string(r, 0, k, f_wrap)
                notes.write_string(r, 1, v, f_wrap)

            ppl = wb.add_worksheet(tr("人员明细", "People"))
            ppl.write_string(0, 0, title, f_title)
            cols = [tr("指标", "Figure"), tr("乡镇", "Township"), tr("村", "Village"), tr("户编号", "Household"),
                    tr("姓名", "Name"), tr("身份证号", "ID number"), tr("务工地", "Where"), tr("单位", "Employer"),
                    tr("来源", "Source")]
            for c, h in enumerate(cols):
                ppl.write_string(2, c, h, f_head)
            ppl.set_column(0, 0, 18)
            ppl.set_column(1, 4, 12)
            ppl.set_column(5, 5, 22)
            ppl.set_column(6, 8, 16)
            for r, row in enumerate(report.people.itertuples(index=False), start=3):
                for c, value in enumerate((row.figure, row.township, row.village, row.household_code, row.name,
                                           mask_id(row.id_number) if row.id_number else "", row.destination,
                                           row.employer, row.channel)):
                    text(ppl, r, c, value)
            ppl.autofilter(2, 0, max(3, 2 + len(report.people)), len(cols) - 1)
            ppl.freeze_panes(3, 0)
        finally:
            wb.close()

    def publish(put_in_place) -> None:  # type: ignore[no-untyped-def]
        with database.session() as session:
            audit.record(session, actor, "households.report", "household", None,
                         detail=json.dumps({"file": str(path), "month": f"{report.month:%Y-%m}", "by": report.by},
                                           ensure_ascii=False))
            session.flush()
            put_in_place()

    return write_file(path, write, publish=publish)
