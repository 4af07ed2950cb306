"""The matcher's services: training and activating models, ranking both ways, the planner's candidate
table, the fairness report and shortlisting pairs into a departure batch.

SQL stays in db/frames.py; the matching/ package only sees frames.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from core.access import SYSTEM, Actor, require
from core.i18n import UserError, tr
from core.placement import OPEN
from core.policy import priority_weights as merged_weights
from db import audit, frames
from db.engine import Database
from db.models import ModelVersion, Placement, Trainee
from db.queries.lookup import find_batch
from db.services import frame_cache
from db.services import settings as bureau_settings
from db.services.placements import propose
from matching import rank as ranking
from matching.data import MatchData
from matching.features import feature_matrix, pair_inputs
from matching.metrics import four_fifths
from matching.model import HEURISTIC, MatchModel, ThinHistory, choice_words, compare, scores_usable
from matching.model import train as fit_model

log = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
TARGET = "retained_180"


def clean_json(value: object) -> object:
    """NaN/inf → None and numpy scalars → Python, so the result is strict JSON."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --- models ---------------------------------------------------------------------------------------

@dataclass
class ModelStatus:
    model: MatchModel
    warning: str | None = None

    @property
    def learned(self) -> bool:
        return self.model.learned

    def describe(self) -> str:
        """One line for the UI and the CLI: which model scores the pairs."""
        m = self.model
        if m.learned:
            when = m.created_at.strftime("%Y-%m-%d %H:%M") if m.created_at else ""
            return tr(f"学习模型 第{m.version_id}版（{when}训练）", f"Learned model v{m.version_id} (trained {when})")
        text = tr("规则评分（尚无学习模型）", "Rule-based score (no learned model yet)")
        return f"{text} — {self.warning}" if self.warning else text

    def as_dict(self) -> dict:
        m = self.model
        return {"kind": m.kind, "version": m.version_id, "created_at": str(m.created_at) if m.created_at else None,
                "algorithm": m.algorithm, "warning": self.warning, "description": self.describe()}


def active_model(database: Database) -> ModelStatus:
    """The active learned model, or the heuristic with a message when there is none or it is unusable."""
    with database.session() as session:
        row = session.execute(select(ModelVersion).where(ModelVersion.active.is_(True), ModelVersion.target == TARGET)
                              .order_by(ModelVersion.id.desc()).limit(1)).scalar_one_or_none()
        if row is None:
            return ModelStatus(HEURISTIC)
        version_id, created, blob, metrics = row.id, row.created_at, row.blob, row.metrics
    try:
        model = MatchModel.from_blob(blob)
    except UserError as exc:
        return _fallback(version_id, str(exc))
    except Exception as exc:  # noqa: BLE001 - any stored model that cannot be loaded: the rule-based score
        return _fallback(version_id, f"{type(exc).__name__}")
    model.version_id, model.created_at = version_id, created
    try:
        model.metrics = json.loads(metrics or "{}")
    except ValueError:
        model.metrics = {}
    return ModelStatus(model)


def _fallback(version_id: int | None, why: str) -> ModelStatus:
    """The rule-based score instead of a stored model, with the banner's sentence and a log entry."""
    log.warning("matching model v%s not used, the rule-based score is: %s", version_id, why)
    return ModelStatus(HEURISTIC, tr(f"第{version_id}版模型无法使用（{why}），已改用规则评分",
                                     f"model v{version_id} cannot be used ({why}); using the rule-based score"))


_CHECK_ROWS = 2000  # real pairs a stored model must score before it is used


def checked_model(database: Database, data: MatchData) -> ModelStatus:
    """The active model, tried first on real rows of ``data`` (up to 2,000 pairs spread over its
    trainees and vacancies): NaN, infinity or a failure there means the rule-based score, a banner and a
    log entry."""
    status = active_model(database)
    n_t, n_v = len(data.T["trainee_id"]), len(data.vacancies)
    if not status.learned or not n_t or not n_v:
        return status
    k = np.arange(min(_CHECK_ROWS, max(n_t, n_v)))
    t_idx = (k * max(1, n_t // len(k))) % n_t  # spread over the trainees …
    v_idx = k % n_v                             # … and every vacancy in turn
    X = feature_matrix(pair_inputs(data, t_idx, v_idx))
    if not scores_usable(status.model, X):
        return _fallback(status.model.version_id, tr("对实际数据给出无效分数", "invalid scores on real data"))
    return status


def model_versions(database: Database) -> pd.DataFrame:
    """All stored versions, newest first, with their held-out figures."""
    with database.session() as session:
        rows = session.execute(select(ModelVersion.id, ModelVersion.created_at, ModelVersion.target,
                                      ModelVersion.algorithm, ModelVersion.training_rows, ModelVersion.active,
                                      ModelVersion.metrics).order_by(ModelVersion.id.desc())).all()
    out = []
    for r in rows:
        try:
            m = json.loads(r.metrics or "{}")
        except ValueError:
            m = {}
        learned, heur = m.get("learned") or {}, m.get("heuristic") or {}
        out.append({"version": r.id, "created_at": r.created_at, "algorithm": r.algorithm, "rows": r.training_rows,
                    "active": bool(r.active), "auc": learned.get("auc"), "brier": learned.get("brier"),
                    "ndcg10": learned.get("ndcg10"), "heuristic_auc": heur.get("auc"),
                    "heuristic_ndcg10": heur.get("ndcg10"), "metrics": m})
    return pd.DataFrame(out, columns=["version", "created_at", "algorithm", "rows", "active", "auc", "brier", "ndcg10",
                                      "heuristic_auc", "heuristic_ndcg10", "metrics"])


def _load(database: Database, actor: Actor, *, vacancy_ids: list[int] | None = None,
          vacancy_codes: list[str] | None = None, open_only: bool = False, today: dt.date | None = None) -> MatchData:
    """The actor's trainee side (kept warm by db.services.frame_cache) with the vacancies asked for."""
    with database.engine.connect() as conn:
        base = frame_cache.trainee_side(conn, database, actor, today or dt.date.today())
        vacancies = frames.vacancies_frame(conn, ids=vacancy_ids, codes=vacancy_codes, open_only=open_only)
    return base.with_vacancies(vacancies)


_STEPS = {"prepare": ("准备训练数据", "Preparing the training data"), "select": ("选择模型", "Choosing the model"),
          "validate": ("按时间验证", "Time-based validation"), "skilled": ("职业工模型", "Skilled-work model"),
          "final": ("用全部历史重新训练", "Refitting on the whole history"), "done": ("完成", "Done")}


def train(database: Database, actor: Actor, progress: Progress | None = None,
          today: dt.date | None = None) -> dict:
    """Fit on the history, store the version, activate it only if it beats the active one.

    Returns {version, activated, metrics, comparison, message}. Raises UserError (code 1) when the
    history is too thin; nothing is stored then and the active model stays as it was.
    """
    require(actor, "model.train")
    report = progress or (lambda _p, _m: None)
    report(2, tr("读取历史记录", "Reading the history"))
    data = _load(database, SYSTEM, today=today)  # the model learns from the whole bureau's history

    def step(percent: int, key: str) -> None:
        zh, en = _STEPS.get(key, (key, key))
        report(5 + int(percent * 0.85), tr(zh, en))
    try:
        result = fit_model(data, step)
    except ThinHistory as exc:
        raise UserError(exc.zh, exc.en, code=1) from None
    status = active_model(database)
    comparison = compare(result, status.model if status.learned else None)
    activated = bool(comparison["better"])
    metrics = clean_json({**result.metrics, "comparison": comparison, "activated": activated})
    report(95, tr("保存模型", "Saving the model"))
    with database.session() as session:
        if activated:
            session.execute(update(ModelVersion).where(ModelVersion.target == TARGET).values(active=False))
        mv = ModelVersion(target=TARGET, algorithm=result.model.algorithm, training_rows=int(result.metrics["rows"]),
                          metrics=json.dumps(metrics, ensure_ascii=False), blob=result.model.to_blob(), active=activated)
        session.add(mv)
        session.flush()
        version = mv.id
        audit.record(session, actor, "model.train", "model_version", version,
                     detail=json.dumps({"activated": activated, "auc": metrics["learned"]["auc"],  # type: ignore[index]
                                        "ndcg10": metrics["learned"]["ndcg10"]}, ensure_ascii=False))  # type: ignore[index]
    if activated:
        message = tr(f"新模型（第{version}版）优于{_against(comparison)}，已启用。",
                     f"The new model (v{version}) beats {_against_en(comparison)} and is now active.")
    else:
        message = tr(f"新模型（第{version}版）未优于{_against(comparison)}，已保存但未启用。",
                     f"The new model (v{version}) does not beat {_against_en(comparison)}; stored, not activated.")
    message += " " + choice_words(result.metrics)
    return {"version": version, "activated": activated, "message": message, "metrics": metrics,
            "comparison": metrics["comparison"]}  # type: ignore[index]


def _against(comparison: dict) -> str:
    return "规则评分" if comparison["against"] == "heuristic" else "当前模型（" + str(comparison["against"]).replace("version ", "第") + "版）"


def _against_en(comparison: dict) -> str:
    return "the rule-based score" if comparison["against"] == "heuristic" else f"the active model ({comparison['against']})"


# --- ranking -------------------------------------------------------------------------------------

def _policy(database: Database, priority_weights: Mapping[str, float] | None,
            skilled_weight: float | None) -> tuple[dict[str, float], float]:
    """The weights in force: the caller's, else the bureau-wide settings (the same for GUI and CLI)."""
    weights = dict(priority_weights) if priority_weights is not None else bureau_settings.priority_weights(database)
    sw = float(skilled_weight) if skilled_weight is not None else bureau_settings.skilled_weight(database)
    return merged_weights(weights), sw


@dataclass
class RankResult:
    ranked: pd.DataFrame
    excluded: pd.DataFrame
    model: ModelStatus
    subject: dict = field(default_factory=dict)  # the vacancy or trainee ranked for
    message: str | None = None                   # e.g. "no eligible trainee"
    skilled_note: str | None = None              # why P(skilled) is blank, when it is
    fairness: list[str] = field(default_factory=list)  # four-fifths warnings on this ranking's top 10


def skilled_note(status: ModelStatus) -> str | None:
    """Why the ranking has no P(skilled), in one plain sentence (None when it has one)."""
    if status.model.has_skilled:
        return None
    if not status.learned:
        return tr("转职业工概率空白：规则评分不估计转职业工概率，需要训练出优于规则评分的学习模型并启用后才会显示。",
                  "P(skilled) is blank: the rule-based score does not estimate it; it appears once a learned model "
                  "that beats the rules is trained and switched on.")
    return tr("转职业工概率空白：当前学习模型训练时，到岗已满12个月的记录不足（至少150条，转与未转各20条），无法估计。",
              "P(skilled) is blank: when the model in use was trained, too few placements had run 12 months (at "
              "least 150, with 20 of each outcome) to estimate it.")


FAIR_TOP = 10  # the report's "top-10 recommendations"


def ranking_fairness(data: MatchData, ranked: pd.DataFrame, excluded: pd.DataFrame, top: int = FAIR_TOP) -> list[str]:
    """The fairness report's four-fifths rule on one vacancy's ranking: each group (gender, ethnicity,
    household type) whose share of the top ``top`` is below four-fifths of its share of the eligible
    pool, as "group (pool share → top share)". A group expected to fill less than one place of the
    top (pool share × top < 1) cannot be judged on one vacancy and is left to the report. Cheap:
    shares of columns already in memory."""
    if len(ranked) < top:
        return []  # everyone eligible is in the top: no one is left out
    t = data.trainees
    pool_rows = ~t["trainee_id"].isin(excluded["trainee_id"]) if len(excluded) else np.ones(len(t), bool)
    pool = t[pool_rows]
    top_rows = t.set_index("trainee_id").reindex(ranked["trainee_id"].head(top))
    out = []
    for attr in FAIRNESS_ATTRIBUTES:
        for g, eligible, top_share, flagged in four_fifths(pool[attr].fillna("").to_numpy(),
                                                           top_rows[attr].fillna("").to_numpy()):
            if flagged and eligible * top >= 1:
                out.append(tr(f"{_group_label(attr, g)}（符合条件者中 {eligible:.0%}，前{top}名中 {top_share:.0%}）",
                              f"{_group_label(attr, g)} ({eligible:.0%} of the eligible, {top_share:.0%} of the top {top})"))
    return out


def rank_vacancy(database: Database, code: str, top: int | None = 10, *, actor: Actor,
                 priority_weights: Mapping[str, float] | None = None, today: dt.date | None = None,
                 skilled_weight: float | None = None) -> RankResult:
    """Best trainees for the vacancy ``code``, plus every excluded trainee with the reason."""
    require(actor, "matching.run")
    weights, sw = _policy(database, priority_weights, skilled_weight)
    code = (code or "").strip()
    data = _load(database, actor, vacancy_codes=[code], today=today)
    if data.vacancies.empty:
        raise UserError(f"找不到岗位编号“{code}”", f"No vacancy with the code '{code}'")
    status = checked_model(database, data)
    # the fairness check always looks at the top 10, whatever number is shown
    ranked, excluded = ranking.rank_vacancy(data, status.model, 0, top=None if top is None else max(top, FAIR_TOP),
                                            priority_weights=weights, skilled_weight=sw)
    fairness = ranking_fairness(data, ranked, excluded, FAIR_TOP)
    ranked = ranked if top is None else ranked.head(top)
    subject = data.vacancies.iloc[0].to_dict()
    subject["employer_retention"] = float(data.V["emp_rate"][0])
    subject["employer_history"] = int(data.V["emp_n"][0])
    message = None
    if ranked.empty:
        message = tr(f"岗位 {code} 暂无符合条件的学员（排除 {len(excluded)} 人，原因见“不符合条件”列表）。",
                     f"No trainee is eligible for {code} ({len(excluded)} excluded; see the excluded list for why).")
    return RankResult(ranked, excluded, status, subject, message, skilled_note(status), fairness)


def fairness_sentence(groups: list[str]) -> str:
    """The warning above a ranking, from ranking_fairness's groups."""
    return tr("⚠ 公平性提示：以下群体在前10名中的占比低于其在符合条件者中占比的五分之四：" + "、".join(groups)
              + "。性别、民族、户类型不是模型特征，原因见“模型报告 → 公平性报告”。",
              "⚠ Fairness: these groups' share of the top 10 is below four-fifths of their share of the eligible: "
              + "; ".join(groups) + ". Gender, ethnicity and household type are not model features; see "
              "'Model report → Fairness report' for the factors.")


def rank_trainee(database: Database, id_number: str, top: int | None = 10, *, actor: Actor,
                 priority_weights: Mapping[str, float] | None = None, today: dt.date | None = None,
                 skilled_weight: float | None = None) -> RankResult:
    """Best open vacancies for the trainee with ``id_number``, plus the vacancies excluded and why."""
    require(actor, "matching.run")
    weights, sw = _policy(database, priority_weights, skilled_weight)
    number = (id_number or "").strip().upper()
    with database.session() as session:
        tid = session.scalar(select(Trainee.id).where(Trainee.id_number == number, Trainee.deleted_at.is_(None)))
    if tid is None:
        raise UserError(f"找不到身份证号为 {number} 的学员", f"No trainee with the ID number {number}")
    data = _load(database, actor, open_only=True, today=today)
    pos = data.trainee_pos([tid])[0]
    if pos < 0:
        raise UserError("当前用户无权查看该学员", "The current user may not see this trainee")
    status = checked_model(database, data)
    ranked, excluded = ranking.rank_trainee(data, status.model, int(pos), top=top, priority_weights=weights,
                                            skilled_weight=sw)
    subject = data.trainees.iloc[pos].to_dict()
    message = None
    if not data.T["skill_mask"][pos]:
        message = tr("该学员未登记任何技能，无法匹配岗位；请先在学员信息中补充技能。",
                     "This trainee has no registered skill and cannot be matched; add a skill first.")
    elif data.vacancies.empty:
        message = tr("目前没有在招岗位。", "There are no open vacancies.")
    elif ranked.empty:
        message = tr(f"该学员暂不符合任何在招岗位的条件（{len(excluded)} 个岗位，原因见列表）。",
                     f"The trainee is not eligible for any open vacancy ({len(excluded)}; see the list for why).")
    return RankResult(ranked, excluded, status, subject, message, skilled_note(status))


def candidate_scores(database: Database, vacancy_ids: list[int], *, actor: Actor,
                     priority_weights: Mapping[str, float] | None = None,
                     today: dt.date | None = None, skilled_weight: float | None = None,
                     reasons: bool = True) -> pd.DataFrame:
    """One row per ELIGIBLE (trainee, vacancy) pair of the given vacancies.

    Columns: trainee_id, vacancy_id, id_number, name, household_type, score (calibrated
    P(retained ≥ 180 days)), skilled_score (P(skilled within 12 months), NaN without a learned model),
    priority (policy term ≥ 0 from the household type), weight (= (score + skilled_weight ×
    skilled_score) × (1 + priority), the assignment objective), reasons (list of str). Sorted by
    vacancy, then weight descending. Weights default to the bureau-wide settings. Without ``reasons``
    the column holds None (see :func:`explain_pairs`).
    """
    require(actor, "matching.run")
    weights, sw = _policy(database, priority_weights, skilled_weight)
    data = _load(database, actor, vacancy_ids=list(vacancy_ids), today=today)
    status = checked_model(database, data)
    return ranking.candidates(data, status.model, list(range(len(data.vacancies))), weights, reasons=reasons,
                              skilled_weight=sw)


def explain_pairs(database: Database, pairs: pd.DataFrame, *, actor: Actor,
                  today: dt.date | None = None) -> list[list[str]]:
    """The main reasons of each (trainee_id, vacancy_id) row of ``pairs``, as the ranking words them."""
    require(actor, "matching.run")
    if pairs.empty:
        return []
    vacancy_ids = pairs["vacancy_id"].astype("int64").to_numpy()
    data = _load(database, actor, vacancy_ids=sorted(set(vacancy_ids.tolist())), today=today)
    return ranking.explain(data, checked_model(database, data).model, pairs["trainee_id"].astype("int64").to_numpy(),
                           vacancy_ids)


# --- fairness ------------------------------------------------------------------------------------

FAIRNESS_ATTRIBUTES = {"gender": ("性别", "Gender"), "ethnicity": ("民族", "Ethnicity"),
                       "household_type": ("户类型", "Household type")}


FACTOR_LABELS = {"level": ("证书等级", "certificate level"), "wage": ("工资与期望", "pay against expectation"),
                 "region": ("意向地区", "preferred region"), "board_lodging": ("食宿与离家距离", "board, lodging and distance"),
                 "mandarin": ("普通话", "Mandarin"), "hours": ("培训课时", "training hours"), "age": ("年龄", "age"),
                 "contract": ("用工类型", "contract type"), "prior": ("以往就业结果", "earlier placements"),
                 "employer": ("用人单位以往稳岗", "the employer's past retention"), "skill": ("工种", "kind of work")}


def fairness_report(database: Database, actor: Actor, *, vacancy_ids: list[int] | None = None,
                    top: int = 10, priority_weights: Mapping[str, float] | None = None,
                    today: dt.date | None = None) -> pd.DataFrame:
    """Per gender, ethnicity and household type: share of the eligible pool, of the top-``top``
    recommendations (over the open vacancies, or the given ones) and of past placements.

    A group whose share of the top recommendations is below four-fifths of its share of the pool is
    flagged, and ``factors`` names the model inputs that pull its scores down most compared with
    everyone else in the pool (e.g. Mandarin), so the bureau can act; nothing is corrected silently."""
    require(actor, "matching.run")
    weights, sw = _policy(database, priority_weights, None)
    data = _load(database, actor, vacancy_ids=vacancy_ids, open_only=vacancy_ids is None, today=today)
    status = checked_model(database, data)
    cands = ranking.candidates(data, status.model, list(range(len(data.vacancies))), weights, reasons=False,
                               skilled_weight=sw)
    t = data.trainees.set_index("trainee_id")
    top_rows = cands.groupby("vacancy_id", sort=False).head(top)
    placed = data.history["trainee_id"]
    contrib, X = _pool_inputs(data, status.model, cands)
    rows = []
    for attr, (zh, en) in FAIRNESS_ATTRIBUTES.items():
        pool = t[attr].reindex(cands["trainee_id"]).fillna("").to_numpy()
        rec = t[attr].reindex(top_rows["trainee_id"]).fillna("").to_numpy()
        pl = t[attr].reindex(placed).dropna().to_numpy()
        shares = {g: (e, t, f) for g, e, t, f in four_fifths(pool, rec)}
        for g in sorted(set(shares) | set(pl)):
            eligible, top_share, flagged = shares.get(g, (0.0, 0.0, False))
            rows.append({"attribute": tr(zh, en), "attribute_key": attr, "group": _group_label(attr, g),
                         "group_key": g, "eligible_share": eligible, "top_share": top_share,
                         "placed_share": float((pl == g).mean()) if len(pl) else float("nan"),
                         "flagged": flagged, "factors": _gap_factors(contrib, X, pool == g) if flagged else ""})
    out = pd.DataFrame(rows, columns=["attribute", "attribute_key", "group", "group_key", "eligible_share",
                                      "top_share", "placed_share", "flagged", "factors"])
    out["ratio"] = out["top_share"] / out["eligible_share"].where(out["eligible_share"] > 0)
    return out


# The model input that stands for each factor when group means are compared.
FACTOR_INPUTS = {"level": "level_margin", "wage": "wage_below", "region": "region_hit", "board_lodging": "distance",
                 "mandarin": "mandarin", "hours": "training_hours", "age": "age", "contract": "long_term",
                 "prior": "prior_ret", "employer": "emp_rate"}


def _pool_inputs(data: MatchData, model: MatchModel, cands: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(pairs × factor groups contributions, pairs × features) of every eligible pair."""
    from matching.features import FEATURES, GROUP_NAMES, feature_matrix, pair_inputs

    if cands.empty:
        return np.zeros((0, len(GROUP_NAMES))), np.zeros((0, len(FEATURES)))
    t_pos = data.trainee_pos(cands["trainee_id"].to_numpy())
    v_pos = data.vacancy_pos(cands["vacancy_id"].to_numpy())
    X = feature_matrix(pair_inputs(data, t_pos, v_pos))
    return model.contributions(X), X


def _gap_factors(contrib: np.ndarray, X: np.ndarray, in_group: np.ndarray) -> str:
    """The factors (at most three) that pull the group's pairs down most against the rest of the
    pool, with the group's and the others' mean of the input behind each (e.g. Mandarin −1…1)."""
    from matching.features import GROUP_NAMES, F

    if not len(contrib) or in_group.all() or not in_group.any():
        return ""
    diff = contrib[in_group].mean(axis=0) - contrib[~in_group].mean(axis=0)
    parts = []
    for i in [int(i) for i in np.argsort(diff) if diff[i] < -0.01][:3]:
        name = GROUP_NAMES[i]
        zh, en = FACTOR_LABELS[name]
        col = FACTOR_INPUTS.get(name)
        if col is None:
            parts.append(tr(zh, en))
            continue
        mine, rest = float(X[in_group, F[col]].mean()), float(X[~in_group, F[col]].mean())
        parts.append(tr(f"{zh}（本组平均 {mine:.2f}，其他 {rest:.2f}）", f"{en} (group mean {mine:.2f}, others {rest:.2f})"))
    return tr("；", "; ").join(parts) if parts else tr("无明显单一因素", "no single factor stands out")


def _group_label(attr: str, key: str) -> str:
    from core.vocab import gender_label, household_label
    if attr == "gender":
        return gender_label(key) or tr("未知", "unknown")
    if attr == "household_type":
        return household_label(key) or tr("未知", "unknown")
    return key or tr("未填", "not given")


# --- shortlist into a batch --------------------------------------------------------------------------

def shortlist(database: Database, batch_id: int, pairs: list[dict], actor: Actor) -> int:
    """Add (trainee, vacancy) pairs to a batch as 'proposed' placements; returns how many were new.

    Each pair: trainee_id, vacancy_id and optionally score, priority, reasons (kept as the model's
    advice at decision time). Pairs already in the batch are skipped; all or nothing; every other pair
    passes the same check as any proposal (placements.propose).
    """
    require(actor, "batch.write")
    if not pairs:
        raise UserError("请先选择要加入批次的人选", "Select the pairs to add first")
    with database.session() as session:
        batch = find_batch(session, int(batch_id))
        existing = set(tuple(r) for r in session.execute(select(Placement.trainee_id, Placement.vacancy_id)
                                       .where(Placement.batch_id == batch.id,
                                              Placement.status.in_(OPEN))).all())
        added = 0
        for pair in pairs:
            key = (int(pair["trainee_id"]), int(pair["vacancy_id"]))
            if key in existing:
                continue
            score, priority = pair.get("score"), pair.get("priority")
            propose(session, actor, batch, key[0], key[1], score=None if score is None else float(score),
                    priority=None if priority is None else float(priority), reasons=list(pair.get("reasons") or []))
            existing.add(key)
            added += 1
    return added


def weights_for_display(weights: Mapping[str, float] | None = None) -> dict[str, float]:
    return merged_weights(weights)
