"""Demo data: a realistic county registry with three years of placement history.

Deterministic for a seed. Everything is generated with numpy and written with bulk inserts, so
200,000 trainees take seconds, not minutes.

Generative model of outcomes (the hidden truth a matcher has to learn)
---------------------------------------------------------------------
For a placement of trainee *t* at vacancy *v* of employer *e*:

    logit P(retained ≥ 180 days) = -0.25
        + 0.35 · clip(level margin, -2, 3)      level margin = v.min_level − t.level (5 = junior)
          + b_e · clip(level margin, -2, 3),  b_e ~ N(0, 0.3) per employer (some value a certificate more)
        + 0.45 · clip(wage gap / 1000, -3, 2)   wage gap = mid of v's wage range − t.expected_wage
          (× 1.6 for infant care, where families and workers bargain hardest on pay; pay below the
          expectation weighs × 1.6 more for Wuqia people, whose home is twice as far)
        + 0.70 · [v's province or city is among t's preferred regions]
        + 0.15 · v.board + 0.15 · v.lodging (+0.45 more for lodging far from home: Wuqia)
        + Mandarin (fluent +1, basic 0, poor −1) × 0.70 in elderly and hospital care, × 0.10 elsewhere
        + 0.002 · (t.training_hours − 100)
        − 0.02 · max(0, |age − 38| − 10), and − 0.07 · max(0, age − 45) more in elderly and hospital care
        + [long-term contract] × (0.45 in elderly and hospital care, 0.15 in domestic service, −0.25 in
          infant care, where families want someone for the first months)
        + 0.60 if t's previous placement lasted, −0.50 if it ended early
        + u_e,  u_e ~ N(0, 1.2) per employer (management, workload: visible only as history)

    So the rule-based points (matching.heuristic) see the main factors but not their shape, and
    nothing of the employers; a model that learns from this history does visibly better.

    duration: retained → 180 + Exp(mean 420) days; not retained → U(7, 179) days. A placement
    whose end lies after today is still running (censored), with no end date.

    logit P(skilled within 12 months | retained) = -1.0 + 0.45 · max(level margin, 0)
        + 0.70 · [long-term contract] + 0.005 · (hours − 100) + 0.30 · Mandarin + 0.6 · u_e

Ethnicity, gender and household type have no effect on outcomes in this model.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import Connection, func, insert, select
from stdnum.cn import uscc as _uscc

from core.access import Actor
from core.fields import id_check_char
from core.i18n import UserError, tr
from db import audit
from db.changes import Changes
from db.engine import Database
from db.models import (
    Batch,
    Certificate,
    Employer,
    Placement,
    PlacementEvent,
    School,
    SubsidyRule,
    Trainee,
    TrainingRecord,
    Vacancy,
    WorkRecord,
)
from db.search import pinyin_keys

Progress = Callable[[int, str], None]

HUZHU_TOWNSHIPS = ["威远镇", "丹麻镇", "高寨镇", "南门峡镇", "加定镇", "五十镇", "五峰镇", "塘川镇", "东沟乡",
                   "林川乡", "台子乡", "西山乡", "红崖子沟乡", "东和乡", "东山乡", "蔡家堡乡", "巴扎藏族乡",
                   "松多藏族乡", "哈拉直沟乡"]
WUQIA_TOWNSHIPS = ["乌恰镇", "康苏镇", "黑孜苇乡", "吉根乡", "托云乡", "波斯坦铁列克乡", "膘尔托阔依乡",
                   "乌鲁克恰提乡", "巴音库鲁提乡", "吾合沙鲁乡", "铁列克乡"]
VILLAGES = ["东沟村", "西沟村", "上庄村", "下庄村", "新庄村", "东寨村", "西寨村", "大庄村", "小庄村", "上堡村",
            "下堡村", "新沟村", "东湾村", "阳坡村", "阴坡村", "中心村", "河滩村", "草场村"]
SCHOOLS = [("互助县现代家政职业技能培训学校", "互助县"), ("海东市职业技术学校", "互助县"),
           ("互助县就业服务中心培训部", "互助县"), ("乌恰县职业技能培训中心", "乌恰县"),
           ("克孜勒苏职业技术学院", "乌恰县")]

HAN_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")
HAN_GIVEN = list("秀英华玉兰桂芳梅红霞丽燕敏静娟艳琴云莲珍翠凤春花雪婷慧萍海明建国军文平永强志林")
TU_SURNAMES = list("李吕祁鲁星秦汪董胡张")
HUI_SURNAMES = ["马", "韩", "冶", "喇", "白", "沙", "哈", "穆"]
TIBETAN_NAMES = ["才让", "卓玛", "拉毛", "多杰", "桑吉", "索南", "扎西", "措毛", "旦正", "吉毛", "央金", "卓嘎",
                 "尼玛", "德吉", "才措", "拉姆", "完德", "更登", "仁青", "东智"]
UYGHUR_GIVEN_F = ["阿依古丽", "古丽娜尔", "帕提古丽", "热依拉", "阿依努尔", "努尔古丽", "吐尔逊娜依", "阿娜尔古丽",
                  "再努尔", "米热阿依", "布维阿依谢姆", "阿曼妮萨汗"]
UYGHUR_GIVEN_M = ["买买提", "艾力", "阿不都热合曼", "吐尔洪", "库尔班", "艾买提", "托合提", "玉素甫", "阿卜杜克热木"]
KYRGYZ_GIVEN_F = ["古丽扎尔", "阿依加马丽", "古丽娜孜", "比比加马丽", "阿曼古丽", "玛依拉", "努尔加马丽",
                  "阿依提拉", "萨依拉", "加米拉"]
KYRGYZ_GIVEN_M = ["努尔兰", "阿力木", "吐尔地", "玛纳斯", "阿斯卡尔", "别克", "托列克", "奥斯曼", "卡德尔",
                  "苏力坦", "朱马", "阿不都克力木"]
FATHER_NAMES = ["买买提", "艾力", "托合提", "吐尔地", "库尔班", "奥斯曼", "玉素甫", "阿不都", "沙吾提",
                "吐尔洪", "卡德尔", "苏来曼", "阿布都热依木"]

DESTINATIONS = {
    "江苏": ["南京", "苏州", "无锡", "常州", "南通"],
    "上海": ["上海"],
    "广东": ["广州", "深圳", "东莞", "佛山"],
    "福建": ["福州", "厦门", "泉州"],
    "浙江": ["杭州", "宁波", "温州"],
}
PROVINCE_CODES = {"江苏": "JS", "上海": "SH", "广东": "GD", "福建": "FJ", "浙江": "ZJ"}
CITY_ADMIN_CODE = {"南京": "320100", "苏州": "320500", "无锡": "320200", "常州": "320400", "南通": "320600",
                   "上海": "310100", "广州": "440100", "深圳": "440300", "东莞": "441900", "佛山": "440600",
                   "福州": "350100", "厦门": "350200", "泉州": "350500", "杭州": "330100", "宁波": "330200",
                   "温州": "330300"}
EMPLOYER_KINDS = {
    "domestic_service": (["家政服务有限公司", "家庭服务中心", "家政服务部"], ["住家保姆", "家务服务员", "钟点家政员"]),
    "elderly_care": (["养老服务中心", "颐养院", "护理院", "养老院"], ["养老护理员", "失能老人护理员", "居家养老护理员"]),
    "medical_care": (["医院", "中医院", "人民医院护工部", "康复医院"], ["医院护工", "陪护员", "病区护理员"]),
    "infant_care": (["月子会所", "母婴护理中心", "育婴服务有限公司"], ["育婴员", "育儿嫂", "月嫂"]),
}
WAGE_BANDS = {"domestic_service": (4500, 6500), "elderly_care": (4200, 6000),
              "medical_care": (4000, 6000), "infant_care": (6000, 9500)}
NAME_CHARS = list("和美家安康佳惠仁心乐福瑞祥泰恒德慈善颐年爱馨华诚信达优")
SKILL_KEYS = list(EMPLOYER_KINDS)
LEAVE_REASONS = ["家中有事返乡", "工资待遇不满意", "身体原因", "与雇主关系不和", "工作强度大", "想换城市",
                 "照顾子女", "合同到期"]


def _make_uscc(rng: np.random.Generator, city: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + CITY_ADMIN_CODE.get(city, "310100") + "".join(rng.choice(list(alphabet), 9))
    return body + _uscc.calc_check_digit(body)


def _id_numbers(rng: np.random.Generator, region: np.ndarray, birth: Sequence[dt.date],
                male: np.ndarray) -> list[str]:
    seq = rng.integers(0, 100, len(region))
    gender_digit = rng.integers(0, 5, len(region)) * 2 + male.astype(int)
    out = []
    for r, b, s, g in zip(region, birth, seq, gender_digit):
        first17 = f"{r}{b:%Y%m%d}{s:02d}{g}"
        out.append(first17 + id_check_char(first17))
    return out


def _names(rng: np.random.Generator, ethnicity: np.ndarray, male: np.ndarray) -> list[str]:
    n = len(ethnicity)
    r = rng.integers(0, 10_000, (n, 4))
    names = []
    for i in range(n):
        e, m, (a, b, c, d) = ethnicity[i], male[i], r[i]
        if e == "汉族":
            given = HAN_GIVEN[b % len(HAN_GIVEN)] + (HAN_GIVEN[c % len(HAN_GIVEN)] if d % 3 else "")
            names.append(HAN_SURNAMES[a % len(HAN_SURNAMES)] + given)
        elif e == "土族":
            names.append(TU_SURNAMES[a % len(TU_SURNAMES)] + HAN_GIVEN[b % len(HAN_GIVEN)]
                         + (HAN_GIVEN[c % len(HAN_GIVEN)] if d % 2 else ""))
        elif e == "回族":
            names.append(HUI_SURNAMES[a % len(HUI_SURNAMES)] + HAN_GIVEN[b % len(HAN_GIVEN)]
                         + (HAN_GIVEN[c % len(HAN_GIVEN)] if d % 2 else ""))
        elif e == "藏族":
            names.append(TIBETAN_NAMES[a % len(TIBETAN_NAMES)] + (TIBETAN_NAMES[b % len(TIBETAN_NAMES)]
                                                               if d % 4 == 0 else ""))
        elif e == "维吾尔族":
            given = (UYGHUR_GIVEN_M if m else UYGHUR_GIVEN_F)
            names.append(given[a % len(given)] + "·" + FATHER_NAMES[b % len(FATHER_NAMES)])
        else:  # 柯尔克孜族
            given = (KYRGYZ_GIVEN_M if m else KYRGYZ_GIVEN_F)
            names.append(given[a % len(given)] + "·" + FATHER_NAMES[b % len(FATHER_NAMES)])
    return names


def _days(d: np.ndarray) -> list[dt.date]:
    base = dt.date(1970, 1, 1)
    return [base + dt.timedelta(days=int(x)) for x in d]


def _ord(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def generate(conn: Connection, *, trainees: int = 3000, seed: int = 2025, today: dt.date | None = None,
             progress: Progress | None = None) -> dict[str, int]:
    """Fill an empty registry on ``conn`` (inside the caller's transaction); returns counts."""
    if trainees < 10:
        raise UserError("演示数据至少需要 10 名学员", "Demo data needs at least 10 trainees")
    if conn.execute(select(func.count()).select_from(Trainee)).scalar_one():
        raise UserError("数据库中已有学员，演示数据只能填入空数据库（请用 --db 指定新的数据库文件）",
                        "The database already has trainees; demo data only goes into an empty database "
                        "(give a new database file with --db)")
    report = progress or (lambda _p, _m: None)
    rng = np.random.default_rng(seed)
    today = today or dt.date.today()
    t0 = _ord(today)
    n = trainees

    # --- schools ---------------------------------------------------------------------------
    report(2, tr("培训学校", "Schools"))
    conn.execute(insert(School), [{"id": i + 1, "name": s, "county": c} for i, (s, c) in enumerate(SCHOOLS)])

    # --- trainees --------------------------------------------------------------------------
    report(5, tr("学员", "Trainees"))
    wuqia = rng.random(n) < 0.3
    eth = np.where(wuqia,
                   rng.choice(["柯尔克孜族", "维吾尔族", "汉族"], n, p=[0.68, 0.27, 0.05]),
                   rng.choice(["汉族", "土族", "藏族", "回族"], n, p=[0.55, 0.25, 0.12, 0.08]))
    male = rng.random(n) < 0.18
    age_days = rng.integers(18 * 365 + 30, 57 * 365, n)
    birth_ord = t0 - age_days
    birth = _days(birth_ord)
    birth_year = np.array([b.year for b in birth])
    # Huzhu IDs issued before the 2013 re-coding keep 632126; the young got 630223.
    huzhu_old = rng.random(n) < np.clip((1997 - birth_year) / 6 + 0.5, 0.05, 0.95)
    region = np.where(wuqia, "653024", np.where(huzhu_old, "632126", "630223"))
    ids = _id_numbers(rng, region, birth, male)
    # Two people born the same day in the same county may draw the same sequence number: redraw
    # theirs until every ID is unique (the sequence space is 500 per day, county and gender).
    seen: set[str] = set()
    for i in range(n):
        while ids[i] in seen:
            first17 = ids[i][:14] + f"{int(rng.integers(0, 100)):02d}{int(rng.integers(0, 5)) * 2 + int(male[i])}"
            ids[i] = first17 + id_check_char(first17)
        seen.add(ids[i])
    names = _names(rng, eth, male)
    township = np.where(wuqia, rng.choice(WUQIA_TOWNSHIPS, n), rng.choice(HUZHU_TOWNSHIPS, n))
    village = rng.choice(VILLAGES, n)
    household = rng.choice(["general", "poverty_exited", "monitored"], n, p=[0.55, 0.35, 0.10])
    mandarin = np.where(eth == "汉族", rng.choice(["fluent", "basic", "poor"], n, p=[0.8, 0.18, 0.02]),
                        rng.choice(["fluent", "basic", "poor"], n, p=[0.4, 0.4, 0.2]))
    mandarin_num = np.select([mandarin == "fluent", mandarin == "poor"], [1.0, -1.0], 0.0)
    school_id = np.where(wuqia, rng.choice([4, 5], n), rng.choice([1, 2, 3], n, p=[0.5, 0.35, 0.15]))
    skill1 = rng.choice(SKILL_KEYS, n, p=[0.38, 0.27, 0.17, 0.18])
    skill2 = rng.choice(SKILL_KEYS, n)
    has2 = (rng.random(n) < 0.3) & (skill2 != skill1)
    skills = [f"{a},{b}" if h else a for a, b, h in zip(skill1, skill2, has2)]
    level = rng.choice([0, 5, 4, 3, 2, 1], n, p=[0.35, 0.28, 0.22, 0.11, 0.035, 0.005])
    hours = rng.choice([40, 56, 80, 120, 160, 200], n, p=[0.1, 0.15, 0.3, 0.25, 0.12, 0.08]) * (1 + has2)
    grad_ord = t0 - rng.integers(20, 4 * 365, n)
    provinces = list(DESTINATIONS)
    pref1 = rng.choice(provinces, n)
    pref2 = rng.choice(provinces, n)
    has_pref2 = rng.random(n) < 0.35
    no_pref = rng.random(n) < 0.1
    prefs = ["" if z else (f"{a},{b}" if h and a != b else a) for a, b, h, z in zip(pref1, pref2, has_pref2, no_pref)]
    skill_base = np.array([np.mean(WAGE_BANDS[s]) for s in skill1])
    expected = (np.round((skill_base + rng.normal(-300, 900, n)) / 500) * 500).clip(3000, 12000).astype(int)
    available = t0 + rng.integers(-200, 120, n)
    has_cert = rng.random(n) < 0.72
    health_expiry = t0 + rng.integers(-120, 720, n)
    phone_prefix = rng.choice(["133", "135", "136", "138", "139", "150", "151", "152", "158", "159", "177",
                               "180", "181", "186", "187", "189", "199"], n)
    phone_tail = rng.integers(0, 100_000_000, n)
    trainee_rows = []
    for i in range(n):
        py, ini = pinyin_keys(names[i])
        trainee_rows.append({
            "id": i + 1, "name": names[i], "name_pinyin": py, "name_initials": ini, "id_number": ids[i],
            "gender": "M" if male[i] else "F", "birth_date": birth[i], "ethnicity": str(eth[i]),
            "phone": f"{phone_prefix[i]}{phone_tail[i]:08d}", "township": str(township[i]),
            "village": str(village[i]), "household_type": str(household[i]), "mandarin": str(mandarin[i]),
            "skills": skills[i], "skill_level": int(level[i]) or None, "school_id": int(school_id[i]),
            "training_hours": int(hours[i]), "graduation_date": dt.date(1970, 1, 1) + dt.timedelta(int(grad_ord[i])),
            "preferred_regions": prefs[i], "expected_wage": int(expected[i]),
            "available_from": dt.date(1970, 1, 1) + dt.timedelta(int(available[i])),
            "health_cert_expiry": (dt.date(1970, 1, 1) + dt.timedelta(int(health_expiry[i]))) if has_cert[i] else None,
            "version": 1,
        })
    _bulk(conn, Trainee, trainee_rows)
    del trainee_rows

    # --- training records and certificates ------------------------------------------------
    report(30, tr("培训记录与证书", "Training records and certificates"))
    tr_rows = []
    cert_rows = []
    issuers = {1: "海东市人力资源和社会保障局", 2: "海东市职业技能鉴定中心", 3: "互助县人力资源和社会保障局",
               4: "克孜勒苏柯尔克孜自治州人力资源和社会保障局", 5: "克孜勒苏职业技术学院（评价机构）"}
    cert_seq = 0
    for i in range(n):
        g = dt.date(1970, 1, 1) + dt.timedelta(int(grad_ord[i]))
        for k, sk in enumerate(skills[i].split(",")):
            h = int(hours[i] // (2 if has2[i] else 1))
            start = g - dt.timedelta(days=max(7, h // 4))
            tr_rows.append({"trainee_id": i + 1, "school_id": int(school_id[i]), "skill": sk,
                            "start_date": start, "end_date": g, "hours": h, "graduated_on": g})
            cert_seq += 1
            if k == 0 and level[i]:
                cert_rows.append({"trainee_id": i + 1, "cert_type": "graded", "skill": sk, "level": int(level[i]),
                                  "number": f"S{g.year}{int(school_id[i]):02d}{cert_seq:08d}",
                                  "issuer": issuers[int(school_id[i])], "issue_date": g + dt.timedelta(days=20)})
            else:
                cert_rows.append({"trainee_id": i + 1, "cert_type": "training", "skill": sk, "level": None,
                                  "number": f"P{g.year}{int(school_id[i]):02d}{cert_seq:08d}",
                                  "issuer": SCHOOLS[int(school_id[i]) - 1][0], "issue_date": g})
    _bulk(conn, TrainingRecord, tr_rows)
    _bulk(conn, Certificate, cert_rows)
    del tr_rows, cert_rows

    # --- employers -------------------------------------------------------------------------
    report(45, tr("用人单位与岗位", "Employers and vacancies"))
    n_emp = int(np.clip(n // 150, 40, 600))
    emp_skill = rng.choice(SKILL_KEYS, n_emp, p=[0.35, 0.3, 0.15, 0.2])
    emp_prov = rng.choice(provinces, n_emp, p=[0.3, 0.2, 0.2, 0.15, 0.15])
    emp_city = np.array([rng.choice(DESTINATIONS[p]) for p in emp_prov])
    emp_effect = rng.normal(0, 1.2, n_emp)
    emp_level_slope = rng.normal(0, 0.3, n_emp)
    emp_rows: list[dict] = []
    used_names: set[str] = set()
    for j in range(n_emp):
        suffixes, _titles = EMPLOYER_KINDS[emp_skill[j]]
        while True:
            nm = (str(emp_city[j]) + "".join(rng.choice(NAME_CHARS, 2)) + str(rng.choice(suffixes)))
            if nm not in used_names:
                used_names.add(nm)
                break
        surname = HAN_SURNAMES[int(rng.integers(0, len(HAN_SURNAMES)))]
        emp_rows.append({"id": j + 1, "name": nm, "uscc": _make_uscc(rng, str(emp_city[j])),
                         "province": str(emp_prov[j]), "city": str(emp_city[j]),
                         "partner_city": "海东市" if j % 3 else "克孜勒苏州",
                         "contact": surname + "经理", "contact_phone": f"0{rng.integers(200, 999)}-{rng.integers(60000000, 69999999)}"})
    _bulk(conn, Employer, emp_rows)

    # --- historical vacancies -------------------------------------------------------------
    n_hist = int(np.clip(n // 12, 120, 30000))
    hv_emp = rng.integers(0, n_emp, n_hist)
    hv_start = t0 - rng.integers(30, 3 * 365 + 60, n_hist)
    n_open = int(np.clip(n // 60, 40, 3000))
    ov_emp = rng.integers(0, n_emp, n_open)
    ov_start = t0 + rng.integers(-10, 120, n_open)
    v_emp = np.concatenate([hv_emp, ov_emp])
    v_start = np.concatenate([hv_start, ov_start])
    n_vac = n_hist + n_open
    v_skill = emp_skill[v_emp]
    v_min_level = rng.choice([0, 5, 4, 3], n_vac, p=[0.35, 0.35, 0.22, 0.08])
    band_lo = np.array([WAGE_BANDS[s][0] for s in v_skill])
    band_hi = np.array([WAGE_BANDS[s][1] for s in v_skill])
    level_bonus = np.where(v_min_level == 0, 0, (6 - v_min_level) * 400)
    v_wmin = (np.round((rng.uniform(band_lo - 500, band_hi - 800) + level_bonus) / 500) * 500).astype(int)
    v_wmax = v_wmin + rng.choice([500, 1000, 1500, 2000], n_vac)
    v_board = rng.random(n_vac) < 0.6
    v_lodging = rng.random(n_vac) < 0.65
    v_long = rng.random(n_vac) < 0.65
    v_age_max = rng.choice([45, 50, 55, 58], n_vac)
    v_gender = np.where(rng.random(n_vac) < 0.03, "F", "any")
    vac_rows: list[dict] = []
    for k in range(n_vac):
        j = int(v_emp[k])
        _suffixes, titles = EMPLOYER_KINDS[v_skill[k]]
        is_open = k >= n_hist
        start = dt.date(1970, 1, 1) + dt.timedelta(int(v_start[k]))
        vac_rows.append({
            "id": k + 1, "code": f"{PROVINCE_CODES[emp_rows[j]['province']]}{start.year}-{k + 1:05d}",
            "employer_id": j + 1, "title": str(titles[k % len(titles)]), "skill": str(v_skill[k]),
            "min_level": int(v_min_level[k]) or None, "headcount": int(rng.integers(1, 16)) if is_open else 1,
            "wage_min": int(v_wmin[k]), "wage_max": int(v_wmax[k]), "board": bool(v_board[k]),
            "lodging": bool(v_lodging[k]), "age_min": 18, "age_max": int(v_age_max[k]),
            "gender_requirement": str(v_gender[k]), "contract_type": "long_term" if v_long[k] else "temporary",
            "needs_health_cert": v_skill[k] != "domestic_service" or bool(k % 2),
            "start_date": start, "status": "open" if is_open else "closed",
            "contact": emp_rows[j]["contact"], "contact_phone": emp_rows[j]["contact_phone"], "version": 1,
        })

    # --- placement history -----------------------------------------------------------------
    report(60, tr("三年就业历史", "Three years of placement history"))
    level_num = np.where(level == 0, 6, level)
    pref_sets = [set(p.split(",")) if p else set() for p in prefs]
    hours_f = hours.astype(float)
    hist_by_skill = {s: np.where(v_skill[:n_hist] == s)[0] for s in SKILL_KEYS}
    hist_by_skill = {s: idx[np.argsort(v_start[idx])] for s, idx in hist_by_skill.items()}
    rounds = rng.choice([0, 1, 2, 3], n, p=[0.4, 0.35, 0.17, 0.08])
    prev_end = t0 - rng.integers(3 * 365 - 30, 3 * 365 + 30, n)  # career "starts" about 3 years ago
    prev_outcome = np.zeros(n)
    vacancy_fill = np.zeros(n_vac, dtype=int)
    pl_rows: list[dict] = []
    ev_rows: list[dict] = []
    pid = 0
    running = np.zeros(n, dtype=bool)
    for r in range(3):
        who = np.where((rounds > r) & ~running)[0]
        if not len(who):
            break
        sk = skill1[who]
        start_lo = prev_end[who] + rng.integers(10, 90, len(who))
        chosen = np.full(len(who), -1)
        for s in SKILL_KEYS:
            m = sk == s
            pool = hist_by_skill[s]
            if not m.any() or not len(pool):
                continue
            pos = np.searchsorted(v_start[pool], start_lo[m])
            pos = np.minimum(pos + rng.integers(0, 25, m.sum()), len(pool) - 1)
            chosen[m] = pool[pos]
        ok = (chosen >= 0) & (v_start[np.maximum(chosen, 0)] >= start_lo - 30) & (v_start[np.maximum(chosen, 0)] < t0 - 7)
        who, chosen = who[ok], chosen[ok]
        if not len(who):
            break
        start = v_start[chosen] + rng.integers(0, 20, len(who))
        start = np.minimum(start, t0 - 7)
        e = v_emp[chosen]
        vmin = np.where(v_min_level[chosen] == 0, 6, v_min_level[chosen])
        margin = np.clip(vmin - level_num[who], -2, 3)
        wage_gap = ((v_wmin[chosen] + v_wmax[chosen]) / 2 - expected[who]) / 1000
        wage_coef = np.where(v_skill[chosen] == "infant_care", 0.45 * 1.6, 0.45)
        far = wuqia[who].astype(float)
        care = np.isin(v_skill[chosen], ["elderly_care", "medical_care"])
        gap_c = np.clip(wage_gap, -3, 2)
        region_hit = np.array([(emp_prov[ei] in ps) or (emp_city[ei] in ps) for ei, ps in
                               zip(e, (pref_sets[w] for w in who))], dtype=float)
        age = (start - birth_ord[who]) / 365.25
        long_term = v_long[chosen].astype(float)
        contract = np.select([care, v_skill[chosen] == "infant_care"], [0.45, -0.25], 0.15)
        logit = (-0.25 + (0.35 + emp_level_slope[e]) * margin
                 + wage_coef * np.where(gap_c < 0, gap_c * (1 + 0.6 * far), gap_c) + 0.7 * region_hit
                 + 0.15 * v_board[chosen].astype(float) + v_lodging[chosen] * (0.15 + 0.45 * far)
                 + mandarin_num[who] * np.where(care, 0.7, 0.1)
                 + 0.002 * (hours_f[who] - 100) - 0.02 * np.maximum(0, np.abs(age - 38) - 10)
                 - 0.07 * care * np.maximum(0, age - 45) + long_term * contract
                 + np.where(prev_outcome[who] > 0, 0.6, np.where(prev_outcome[who] < 0, -0.5, 0.0))
                 + emp_effect[e])
        retained = rng.random(len(who)) < 1 / (1 + np.exp(-logit))
        duration = np.where(retained, 180 + rng.exponential(420, len(who)), rng.integers(7, 180, len(who)))
        end = start + duration.astype(int)
        censored = end >= t0
        skill_logit = (-1.0 + 0.45 * np.maximum(margin, 0) + 0.7 * long_term + 0.005 * (hours_f[who] - 100)
                       + 0.3 * mandarin_num[who] + 0.6 * emp_effect[e])
        skilled = retained & (rng.random(len(who)) < 1 / (1 + np.exp(-skill_logit)))
        skilled_at = start + rng.integers(60, 365, len(who))
        skilled &= skilled_at < np.minimum(end, t0)
        wage = (rng.uniform(v_wmin[chosen], v_wmax[chosen]) / 100).round().astype(int) * 100
        for q in range(len(who)):
            pid += 1
            w, v = int(who[q]), int(chosen[q])
            vacancy_fill[v] += 1
            s_day = dt.date(1970, 1, 1) + dt.timedelta(int(start[q]))
            e_day = None if censored[q] else dt.date(1970, 1, 1) + dt.timedelta(int(end[q]))
            sk_day = dt.date(1970, 1, 1) + dt.timedelta(int(skilled_at[q])) if skilled[q] else None
            pl_rows.append({
                "id": pid, "trainee_id": w + 1, "vacancy_id": v + 1, "status": "on_job" if censored[q] else "ended",
                "start_date": s_day, "end_date": e_day, "monthly_wage": int(wage[q]),
                "employment_form": "skilled" if skilled[q] else "temporary", "skilled_since": sk_day,
                "leave_reason": None if censored[q] else (
                    "合同到期" if retained[q] and rng.random() < 0.5 else LEAVE_REASONS[int(rng.integers(0, 7))]),
                "proof_status": "complete" if duration[q] >= 90 else None, "version": 1,
            })
            ev_rows.append({"placement_id": pid, "kind": "status", "event_date": s_day, "status_from": "departed",
                            "status_to": "on_job", "note": "到岗"})
            last = min(int(end[q]), t0)
            for visit in range(int(start[q]) + 90, last, 120):
                ev_rows.append({"placement_id": pid, "kind": "followup",
                                "event_date": dt.date(1970, 1, 1) + dt.timedelta(visit),
                                "wage": int(wage[q]), "employment_form": "skilled" if skilled[q] and visit >= skilled_at[q] else "temporary",
                                "note": "电话回访，工作稳定" if retained[q] else "电话回访"})
            if sk_day:
                ev_rows.append({"placement_id": pid, "kind": "form", "event_date": sk_day,
                                "employment_form": "skilled", "note": "转为职业工"})
            if e_day:
                ev_rows.append({"placement_id": pid, "kind": "status", "event_date": e_day, "status_from": "on_job",
                                "status_to": "ended", "note": pl_rows[-1]["leave_reason"]})
        prev_end[who] = end
        prev_outcome[who] = np.where(retained, 1.0, -1.0)
        running[who] = censored
    for row in vac_rows[:n_hist]:
        row["headcount"] = max(1, int(vacancy_fill[row["id"] - 1]))
        row["status"] = "filled" if vacancy_fill[row["id"] - 1] else "closed"
    _bulk(conn, Vacancy, vac_rows)
    report(80, tr("写入就业台账", "Writing placements"))
    past_batches, past_links = _past_batches(pl_rows, vac_rows, emp_rows, t0)
    if past_batches:
        conn.execute(insert(Batch), past_batches)
    _bulk(conn, Placement, pl_rows)
    _bulk(conn, PlacementEvent, ev_rows)

    # one upcoming batch with a few open vacancies, ready to plan
    upcoming = [r for r in vac_rows[n_hist:] if r["start_date"] > today][:6]
    conn.execute(insert(Batch), [{"id": 1, "name": f"{today.year}年第{today.month}批（演示）",
                                  "departure_date": today + dt.timedelta(days=21), "destination": "江苏、上海",
                                  "escort": "李主任", "status": "planning"}])
    from db.models import BatchVacancy
    links = [{"batch_id": 1, "vacancy_id": r["id"]} for r in upcoming] + past_links
    if links:
        conn.execute(insert(BatchVacancy), links)
    counts = {"schools": len(SCHOOLS), "trainees": n, "employers": n_emp, "vacancies": n_vac,
              "open_vacancies": n_open, "placements": len(pl_rows), "events": len(ev_rows)}
    counts.update(add_households(conn, seed=seed, today=today, progress=report))
    audit.append(conn, [{"action": "demo", "entity": "database",
                        "detail": json.dumps({"seed": seed, **counts}, ensure_ascii=False)}])
    report(100, tr("完成", "Done"))
    return counts


# --- households under monitoring -----------------------------------------------------------------

COUNTIES = {"632126": "互助土族自治县", "630223": "互助土族自治县", "653024": "乌恰县"}
RISKS = ["因病", "因残", "因务工就业不稳", "缺劳力", "因学", "因意外事故", "因自然灾害"]
WORK_PLACES = [("outside_province", "江苏省南京市江宁区"), ("outside_province", "上海市闵行区"),
               ("outside_province", "广东省深圳市宝安区"), ("in_province", "青海省西宁市城东区"),
               ("in_province", "青海省海东市乐都区"), ("in_county", "互助土族自治县威远镇")]
WORK_CHANNELS = [("公益性岗位", "村保洁员"), ("帮扶车间", "盘绣帮扶车间"), ("自主务工", "建筑工地"),
                 ("劳务输出", "青海拉面馆"), ("劳务输出", "南京家政公司")]


def household_members(trainees: list[dict], *, seed: int, today: dt.date) -> list[dict]:
    """The monitoring system's member export for the demo trainees, one dict per member in the import's
    field names (values as parsed: keys of kinds, first days of months). Nine in ten trainees have a
    household of one to five with members who are not trainees; the typed 户类型 decides the household's
    kind (monitored → one of the three kinds, a quarter of them eliminated). Deterministic for a seed."""
    rng = np.random.default_rng(seed + 18)
    t0 = _ord(today)
    used = {t["id_number"] for t in trainees}
    rows: list[dict] = []
    income_year = today.year - 1
    for k, t in enumerate(trainees):
        if rng.random() < 0.1:
            continue
        region = t["id_number"][:6]
        code = f"{region}{k + 1:012d}"
        typed = t["household_type"]
        monitoring = None
        if typed == "monitored" or (typed == "poverty_exited" and rng.random() < 0.05) or rng.random() < 0.02:
            monitoring = str(rng.choice(["unstable", "marginal", "sudden"], p=[0.5, 0.35, 0.15]))
        kind = "poverty_exited" if typed == "poverty_exited" or monitoring == "unstable" else "general"
        identified = eliminated_month = None
        eliminated = False
        if monitoring:
            identified = _month_first(t0 - int(rng.integers(90, 5 * 365)))
            if rng.random() < 0.25:
                eliminated = True
                eliminated_month = min(_month_first(_ord(identified) + int(rng.integers(190, 900))),
                                       _month_first(t0 - 31))
                eliminated_month = max(eliminated_month, identified)
        risks = list(rng.choice(RISKS, int(rng.integers(1, 3)), replace=False)) if monitoring else []
        size = int(rng.choice([1, 2, 3, 4, 5], p=[0.08, 0.2, 0.3, 0.27, 0.15]))
        others = size - 1
        birth_year = int(t["birth_date"].year)
        relations = ["户主"] + [str(r) for r in rng.choice(["配偶", "之子", "之女", "之父", "之母"], others)]
        male = np.array([t["gender"] == "M"] + [bool(rng.random() < 0.5) for _ in range(others)])
        names = [t["name"]] + _names(rng, np.array([t["ethnicity"] or "汉族"] * others), male[1:])
        income = int(rng.integers(5000, 9000) if monitoring and not eliminated else rng.integers(8000, 22000))
        household = {"county": COUNTIES.get(region, "互助土族自治县"), "township": t["township"],
                     "village": t["village"], "natural_village": f"{int(rng.integers(1, 8))}社", "household_code": code,
                     "size": size, "household_kind": kind, "monitoring_kind": monitoring or "",
                     "identified_month": identified, "eliminated": eliminated,
                     "elimination_method": str(rng.choice(["帮扶消除", "自然消除"])) if eliminated else None,
                     "eliminated_month": eliminated_month, "income_per_capita": income, "income_year": income_year,
                     "wage_income": int(income * size * rng.uniform(0.3, 0.7)),
                     **{f"risk{i + 1}": r for i, r in enumerate(risks)}}
        for j in range(size):
            if j == 0:
                number, labour = t["id_number"], "skilled" if t["skill_level"] else "ordinary"
            else:
                rel = relations[j]
                older = {"配偶": int(rng.integers(-5, 6)), "之子": -int(rng.integers(18, 32)),
                         "之女": -int(rng.integers(18, 32)), "之父": int(rng.integers(22, 32)),
                         "之母": int(rng.integers(20, 30))}[rel]
                year = min(max(birth_year - older, 1935), today.year - 1)
                born = dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
                number = ""
                while not number or number in used:
                    first17 = f"{region}{born:%Y%m%d}{int(rng.integers(0, 100)):02d}" \
                              f"{int(rng.integers(0, 5)) * 2 + int(male[j])}"
                    number = first17 + id_check_char(first17)
                age_now = today.year - year
                labour = ("none" if age_now < 16 or age_now > 70 else "weak" if age_now > 60
                          else str(rng.choice(["ordinary", "skilled", "weak", "none"], p=[0.7, 0.1, 0.12, 0.08])))
            used.add(number)
            rows.append({**household, "person_code": f"{code}{j + 1:02d}", "name": names[j], "id_number": number,
                         "relation": relations[j], "gender": "M" if male[j] else "F", "labour": labour})
    return rows


def household_work(members: list[dict], *, seed: int, today: dt.date) -> list[dict]:
    """Past months of imported work (the monthly work table) for members who are not trainees."""
    rng = np.random.default_rng(seed + 19)
    t0 = _ord(today)
    out = []
    for m in members:
        if m["relation"] == "户主" or m["labour"] not in ("ordinary", "skilled") or rng.random() > 0.35:
            continue
        start = _month_first(t0 - int(rng.integers(30, 26 * 30)))
        months = int(rng.integers(2, 20))
        end_ord = _ord(start) + months * 30
        end = _month_first(end_ord) if end_ord < t0 - 30 and rng.random() < 0.6 else None
        where, place = WORK_PLACES[int(rng.integers(0, len(WORK_PLACES)))]
        channel, employer = WORK_CHANNELS[int(rng.integers(0, len(WORK_CHANNELS)))]
        if channel in ("公益性岗位", "帮扶车间"):
            where, place = "in_county", f"{m['county']}{m['township']}"
        out.append({"id_number": m["id_number"], "household_code": m["household_code"], "start_month": start,
                    "end_month": end, "place": place, "destination": where,
                    "monthly_income": int(rng.integers(18, 60)) * 100, "employer": employer, "industry": None,
                    "channel": channel, "point_to_point": channel == "劳务输出", "travel_subsidy": None,
                    "source": "演示：务工月监测导出", "created_at": dt.datetime(today.year, today.month, 1),
                    "updated_at": dt.datetime(today.year, today.month, 1)})
    return out


def _month_first(day_number: int) -> dt.date:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day_number)).replace(day=1)


def add_households(conn: Connection, *, seed: int, today: dt.date,
                   progress: Progress | None = None) -> dict[str, int]:
    """Households for the demo trainees, written by the member import's own writer, and their work."""
    from core.access import SYSTEM
    from db.services.exchange.parsing import ParsedRow
    from db.services.exchange.results import ImportResult
    from db.services.households.members import HouseholdImport, write_households

    if progress:
        progress(90, tr("监测户与务工记录", "Households and their work"))
    t = Trainee.__table__
    trainees = [dict(r._mapping) for r in conn.execute(
        select(t.c.id_number, t.c.name, t.c.gender, t.c.birth_date, t.c.ethnicity, t.c.township, t.c.village,
               t.c.household_type, t.c.skill_level).order_by(t.c.id))]
    members = household_members(trainees, seed=seed, today=today)
    good: dict[str, list[ParsedRow]] = {}
    for i, m in enumerate(members):
        good.setdefault(m["household_code"], []).append(ParsedRow(i + 4, m))
    done = HouseholdImport(ImportResult("household_members", "demo"))
    write_households(conn, SYSTEM, good, done, touch_trainees=False)
    work = household_work(members, seed=seed, today=today)
    _bulk(conn, WorkRecord, work)
    # the one-off travel subsidy as a province sets it each year (Gansu 2024's amounts, as an example)
    rules = [{"province": province, "year": year, "kind": "travel", "scope": scope, "months_on_job": 3, "amount": amount}
             for province in ("青海", "新疆") for year in range(today.year - 2, today.year + 1)
             for scope, amount in (("outside_province", 600), ("in_province_outside_city", 300),
                                   ("in_city_outside_county", 200))]
    _bulk(conn, SubsidyRule, rules)
    return {"households": done.households, "household_members": done.members, "work_records": len(work)}


def _past_batches(pl_rows: list[dict], vac_rows: list[dict], emp_rows: list[dict],
                  t0: int) -> tuple[list[dict], list[dict]]:
    """The people who started work in each of the last six months left together: one past batch per
    month (ids from 2; batch 1 is the upcoming one), so printing, tracking and follow-up have real
    batches to show. Sets each such placement's batch_id; returns the batch rows and their vacancies."""
    groups: dict[tuple[int, int], list[dict]] = {}
    for row in pl_rows:
        if 0 <= t0 - _ord(row["start_date"]) <= 183:
            groups.setdefault((row["start_date"].year, row["start_date"].month), []).append(row)
    batches: list[dict] = []
    links: list[dict] = []
    escorts = ("李主任", "马老师", "王科长", "祁主任")
    for k, ((year, month), rows) in enumerate(sorted(groups.items())):
        if len(rows) < 5:
            continue
        bid = 2 + len(batches)
        provinces: dict[str, int] = {}
        vacancies: set[int] = set()
        for row in rows:
            row["batch_id"] = bid
            vacancies.add(row["vacancy_id"])
            employer = emp_rows[vac_rows[row["vacancy_id"] - 1]["employer_id"] - 1]
            provinces[employer["province"]] = provinces.get(employer["province"], 0) + 1
        top = sorted(provinces, key=lambda p: -provinces[p])[:2]
        batches.append({"id": bid, "name": f"{year}年{month}月批（已出发）",
                        "departure_date": min(r["start_date"] for r in rows) - dt.timedelta(days=2),
                        "destination": "、".join(top), "escort": escorts[k % len(escorts)], "status": "departed"})
        links += [{"batch_id": bid, "vacancy_id": v} for v in sorted(vacancies)]
    return batches, links


def _bulk(conn: Connection, model: type, rows: list[dict], chunk: int = 20000) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    keys: set[str] = set().union(*rows) if rows else set()
    for row in rows:
        if len(row) != len(keys):
            for k in keys - row.keys():
                row[k] = None
    for i in range(0, len(rows), chunk):
        conn.execute(insert(table), rows[i:i + chunk])


def load_demo(database: Database, *, trainees: int = 3000, seed: int = 2025, today: dt.date | None = None,
              progress: Callable[[int, str], None] | None = None) -> DemoCounts:
    """Fill an empty database with demo data in one transaction (all or nothing)."""
    with database.engine.begin() as conn:
        counts = generate(conn, trainees=trainees, seed=seed, today=today, progress=progress)
        from db.services.backup import reset_sequences
        reset_sequences(conn)  # PostgreSQL: the generator writes explicit ids
    if database.backend == "sqlite":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
    return DemoCounts(counts)


class DemoCounts(dict[str, int]):
    """Rows written per table (as before), and ``.changes``: everything."""

    @property
    def changes(self) -> Changes:
        return Changes.all()


def train_on_demo(database: Database, actor: Actor, progress: Callable[[int, str], None] | None = None) -> str:
    """Train the matcher on the fresh demo history, so a new user sees the learned model at work
    (the demo's outcomes carry employer effects and shapes the rule-based points cannot see); the
    training's own sentence, or why the rule-based score stays (a tiny demo has too little history)."""
    from db.services import matching as matching_service

    try:
        return str(matching_service.train(database, actor, progress=progress)["message"])
    except UserError as exc:
        return str(exc)
