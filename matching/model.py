"""Scoring models: the heuristic and the learned pipeline, training, validation, (de)serialisation.

Learning is generic on purpose: two candidate families (regularised logistic regression and a small,
regularised gradient-boosted tree model), each calibrated, are compared on a time-ordered validation
slice of the training period, and the better one is kept. Nothing here knows how any particular
history was generated.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from core.i18n import UserError
from matching import stored
from matching.data import MatchData
from matching.features import FEATURES, GROUP_MATRIX, feature_matrix, pair_inputs
from matching.heuristic import heuristic_score, points_by_group
from matching.history import RETAIN_DAYS, SKILL_DAYS, day_of, trainee_prior_pointwise
from matching.metrics import evaluate
from matching.stored import Scorer

Progress = Callable[[int, str], None]
MIN_LABELLED = 150     # placements with a known 180-day outcome before learning is attempted
MIN_PER_CLASS = 20
MIN_TEST = 40
MIN_ROWS_FOR_TREES = 5000  # boosted trees are only considered with at least this many training rows


class ThinHistory(UserError):
    """Too little (or one-sided) history to learn from."""


OLDER_MODEL = ("已保存的匹配模型由旧版本程序生成（或已损坏），本版本不再读取，请重新训练；暂用规则评分",
               "The stored matching model was made by an older version of the program (or is damaged) and is not "
               "read by this version; train again. The rule-based score stays in use")
CORRUPT_MODEL = ("已保存的匹配模型已损坏，无法读取；暂用规则评分",
                 "The stored matching model is corrupt and cannot be read; the rule-based score stays in use")


@dataclass
class MatchModel:
    """What scores pairs: the heuristic (kind='heuristic') or learned parameters (matching.stored)."""

    kind: str = "heuristic"
    retention: Scorer | None = None
    skilled: Scorer | None = None
    explainer: dict[str, np.ndarray] | None = None
    algorithm: str = "heuristic"
    version_id: int | None = None
    created_at: dt.datetime | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def learned(self) -> bool:
        return self.kind == "learned"

    @property
    def has_skilled(self) -> bool:
        return self.skilled is not None

    def predict(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        if self.retention is None:
            return heuristic_score(X)
        return self.retention.predict_proba(X)[:, 1]

    def predict_skilled(self, X: np.ndarray) -> np.ndarray:
        if self.skilled is None or len(X) == 0:
            return np.full(len(X), np.nan)
        return self.skilled.predict_proba(X)[:, 1]

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """(n × factor groups): how much each factor pushes this pair up or down."""
        if self.explainer is None:
            return points_by_group(X)
        e = self.explainer
        return np.asarray(((X - e["mean"]) / e["scale"] * e["coef"]) @ GROUP_MATRIX)

    def to_blob(self) -> bytes:
        """The parameters as JSON (matching.stored): data only, nothing that could run."""
        if self.retention is None:
            raise ValueError("the heuristic is not stored")
        explainer = {k: v.tolist() for k, v in (self.explainer or {}).items()}
        return stored.dumps({"features": FEATURES, "algorithm": self.algorithm,
                             "retention": self.retention.to_dict(),
                             "skilled": self.skilled.to_dict() if self.skilled is not None else None,
                             "explainer": explainer or None})

    @classmethod
    def from_blob(cls, blob: bytes) -> MatchModel:
        """Raises UserError when the stored model cannot be used; never runs stored code."""
        try:
            payload = stored.loads(blob)
        except stored.StoredModelError as exc:
            raise UserError(*(OLDER_MODEL if str(exc) == "older" else CORRUPT_MODEL)) from None
        if payload.get("features") != FEATURES:
            raise UserError(*OLDER_MODEL)
        n = len(FEATURES)
        try:
            retention = stored.scorer_from_dict(payload.get("retention"), n)
            skilled = None if payload.get("skilled") is None else stored.scorer_from_dict(payload["skilled"], n)
            raw = payload.get("explainer")
            explainer = None
            if raw is not None:
                if not isinstance(raw, dict) or set(raw) != {"mean", "scale", "coef"}:
                    raise stored.StoredModelError("bad explainer")
                explainer = {k: stored._floats(raw[k], n) for k in ("mean", "scale", "coef")}
            algorithm = str(payload.get("algorithm") or "learned")[:40]
            model = cls("learned", retention, skilled, explainer, algorithm)
            p = model.predict(np.zeros((1, n)))  # a model that cannot score one row is as good as corrupt
            if not np.isfinite(p).all():
                raise stored.StoredModelError("cannot score")
        except (stored.StoredModelError, TypeError, ValueError, IndexError, KeyError):
            raise UserError(*CORRUPT_MODEL) from None
        return model


HEURISTIC = MatchModel()


def scores_usable(model: MatchModel, X: np.ndarray) -> bool:
    """Whether ``model`` gives a probability (finite, 0–1) for every row of ``X``: a stored model is
    checked on real rows before use, as one that passes on a row of zeros can still give NaN."""
    if len(X) == 0 or model.retention is None:
        return True
    try:
        with np.errstate(all="ignore"):
            p = model.predict(X)
            q = model.predict_skilled(X) if model.has_skilled else np.zeros(len(X))
    except (ValueError, TypeError, IndexError, FloatingPointError, MemoryError):
        return False
    return bool(np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all() and np.isfinite(q).all())


# --- training rows ------------------------------------------------------------------------------

@dataclass
class TrainingSet:
    h: pd.DataFrame        # labelled history rows (with positions)
    t_pos: np.ndarray
    v_pos: np.ndarray
    prior: dict[str, np.ndarray]

    def X(self, data: MatchData, employer_day: np.ndarray) -> np.ndarray:
        employer = data.employers.at(data.V["employer_id"][self.v_pos], employer_day)  # type: ignore[union-attr]  # MatchData sets employers on load
        inputs = pair_inputs(data, self.t_pos, self.v_pos, day=self.h["start_d"].to_numpy(),
                             prior=self.prior, employer=employer)
        return feature_matrix(inputs)


def training_set(data: MatchData) -> TrainingSet:
    h = data.history
    t_pos = data.trainee_pos(h["trainee_id"].to_numpy())
    v_pos = data.vacancy_pos(h["vacancy_id"].to_numpy())
    prior = trainee_prior_pointwise(h) if len(h) else pd.DataFrame(columns=["prior_n"])
    keep = (t_pos >= 0) & (v_pos >= 0)
    h = h[keep]
    prior = prior[keep]
    return TrainingSet(h, t_pos[keep], v_pos[keep], {c: prior[c].to_numpy(dtype=float) for c in prior.columns})


def _subset(ts: TrainingSet, mask: np.ndarray) -> TrainingSet:
    return TrainingSet(ts.h[mask], ts.t_pos[mask], ts.v_pos[mask], {k: v[mask] for k, v in ts.prior.items()})


# --- estimators ---------------------------------------------------------------------------------

def _logistic() -> object:
    # Centred but not standardised: the features are built on comparable natural scales, and a
    # feature that barely varies in the training period (employer history early on) must not get a
    # huge weight that explodes on later rows where it varies a lot.
    return make_pipeline(StandardScaler(with_std=False), LogisticRegression(C=0.3, max_iter=5000))


def _boosting(n: int) -> object:
    return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=200, max_depth=3, max_leaf_nodes=8,
                                          min_samples_leaf=max(30, n // 100), l2_regularization=1.0,
                                          early_stopping=n >= 2000, validation_fraction=0.15,
                                          n_iter_no_change=20, random_state=0)


CANDIDATES: dict[str, Callable[[int], object]] = {
    "logistic": lambda n: _logistic(),
    "gradient_boosting": _boosting,
}


def _calibrated(name: str, n: int) -> CalibratedClassifierCV:
    return CalibratedClassifierCV(CANDIDATES[name](n), method="sigmoid", cv=3, ensemble=False)


def _fit(name: str, X: np.ndarray, y: np.ndarray) -> Scorer:
    """Fit and calibrate one family; what is kept is its parameters (the same that are stored)."""
    model = _calibrated(name, len(y))
    model.fit(X, y)
    return stored.from_sklearn(model, X.shape[1])


def time_cut(start: np.ndarray) -> float:
    """The split day: the last 40 % of the history's time span is held out (placements cluster in
    time, so a split by row count could leave the training period too short for employer history
    to build up), but at least 15 % of the rows."""
    by_span = float(np.nanmin(start) + 0.6 * np.ptp(start))
    by_rows = float(np.quantile(start, 0.85))
    return min(by_span, by_rows)


def _choose(ts: TrainingSet, data: MatchData, y: np.ndarray, start: np.ndarray) -> tuple[str, dict[str, float]]:
    """Pick the family with the lower log loss on a validation slice built exactly like the test:
    the latest quarter of the training period, employer history frozen at its start, and fitted
    only on rows whose outcome was known by then."""
    cut = time_cut(start)
    val = start >= cut
    inner = start + RETAIN_DAYS <= cut  # labels settled before the validation slice begins
    losses: dict[str, float] = {}
    yi, yv = y[inner], y[val]
    if len(y) < MIN_ROWS_FOR_TREES:  # small histories: trees overfit; the regularised linear model is safer
        return "logistic", losses
    if min(yi.sum(), len(yi) - yi.sum()) < MIN_PER_CLASS or len(yv) < 20 or yv.min() == yv.max():
        return "logistic", losses
    X = ts.X(data, np.minimum(start, cut))
    for name in CANDIDATES:
        p = _fit(name, X[inner], yi).predict_proba(X[val])[:, 1]
        losses[name] = float(log_loss(yv, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1]))
    return min(losses, key=losses.get), losses  # type: ignore[arg-type]  # get never misses: keys of losses


def _explainer(X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """A linear view of the factors for reasons: standardised logistic coefficients."""
    scaler = StandardScaler().fit(X)
    lr = LogisticRegression(C=0.3, max_iter=2000).fit(scaler.transform(X), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return {"mean": scaler.mean_.copy(), "scale": scale, "coef": lr.coef_[0].copy()}


def _check_thin(y: np.ndarray, what_zh: str, what_en: str) -> None:
    pos = int(y.sum())
    neg = int(len(y) - pos)
    if len(y) < MIN_LABELLED:
        raise ThinHistory(
            f"历史记录太少：只有 {len(y)} 条已满180天的就业记录（至少需要 {MIN_LABELLED} 条），暂用规则评分。",
            f"Too little history: only {len(y)} placements have a known 180-day outcome (at least "
            f"{MIN_LABELLED} are needed); the rule-based score stays in use.")
    if pos == 0 or neg == 0:
        one = "全部稳岗满180天" if neg == 0 else "全部未满180天离岗"
        one_en = "all lasted 180 days" if neg == 0 else "all ended before 180 days"
        raise ThinHistory(f"{what_zh}中只有一种结果（{one}），无法学习哪些组合更稳定，暂用规则评分。",
                          f"The {what_en} has only one outcome ({one_en}); nothing can be learned, the "
                          "rule-based score stays in use.")
    if min(pos, neg) < MIN_PER_CLASS:
        raise ThinHistory(f"{what_zh}中稳岗或离岗的记录太少（稳岗 {pos}，离岗 {neg}，各至少需要 {MIN_PER_CLASS} 条），暂用规则评分。",
                          f"Too few retained or early-ended placements in the {what_en} (retained {pos}, ended "
                          f"early {neg}; at least {MIN_PER_CLASS} of each needed); the rule-based score stays in use.")


@dataclass
class TrainResult:
    model: MatchModel
    metrics: dict[str, Any]
    X_test: np.ndarray
    y_test: np.ndarray
    groups_test: np.ndarray


def train(data: MatchData, progress: Progress | None = None) -> TrainResult:
    """Fit, validate on a time-based split against the heuristic, then refit on all labelled rows."""
    report = progress or (lambda _p, _m: None)
    # One BLAS/OpenMP thread: office PCs and shared machines thrash badly when oversubscribed.
    with threadpool_limits(limits=1):
        return _train(data, report)


def _train(data: MatchData, report: Progress) -> TrainResult:
    report(5, "prepare")
    ts = training_set(data)
    labelled = ~np.isnan(ts.h["retained_label"].to_numpy())
    ts = _subset(ts, labelled)
    y_all = ts.h["retained_label"].to_numpy(dtype=float)
    _check_thin(y_all, "就业历史", "placement history")
    start = ts.h["start_d"].to_numpy()
    cutoff = time_cut(start)
    test = start >= cutoff
    # No look-ahead: a training row is used only if its 180-day window closed before the cutoff, so
    # its label was known then; its features use only what was known at its start, and the held-out
    # rows see employer history frozen at the cutoff.
    train_mask = start + RETAIN_DAYS <= cutoff
    y_test = y_all[test]
    if y_test.min() == y_test.max() or test.sum() < MIN_TEST:
        raise ThinHistory("最近一段时间的就业记录太少或结果单一，无法做按时间的验证，暂用规则评分。",
                          "The most recent placements are too few or all alike for a time-based validation; "
                          "the rule-based score stays in use.")
    _check_thin(y_all[train_mask], "训练期历史", "training-period history")
    # Employer history is counted only up to the cutoff for every evaluation row (no leakage).
    X_eval = ts.X(data, np.minimum(start, cutoff))
    report(20, "select")
    name, losses = _choose(_subset(ts, train_mask), data, y_all[train_mask], start[train_mask])
    report(45, "validate")
    model = _fit(name, X_eval[train_mask], y_all[train_mask])
    groups = ts.h["vacancy_id"].to_numpy()
    p_test = model.predict_proba(X_eval[test])[:, 1]
    learned_m = evaluate(y_test, p_test, groups[test])
    heur_m = evaluate(y_test, heuristic_score(X_eval[test]), groups[test])

    # Second target: skilled within 12 months (optional: needs enough closed 12-month windows).
    report(65, "skilled")
    skilled_model, skilled_m = None, None
    ys = ts.h["skilled_label"].to_numpy(dtype=float)
    has_s = ~np.isnan(ys)
    X_final = ts.X(data, start)
    if has_s.sum() >= MIN_LABELLED and min(ys[has_s].sum(), has_s.sum() - ys[has_s].sum()) >= MIN_PER_CLASS:
        s_cut = time_cut(start[has_s])
        s_train, s_test = has_s & (start + SKILL_DAYS <= s_cut), has_s & (start >= s_cut)
        if s_train.any() and ys[s_test].min() != ys[s_test].max() and ys[s_train].min() != ys[s_train].max():
            X_s = ts.X(data, np.minimum(start, s_cut))  # employer history frozen at this split's cutoff
            sm = _fit(name, X_s[s_train], ys[s_train])
            skilled_m = evaluate(ys[s_test], sm.predict_proba(X_s[s_test])[:, 1], groups[s_test])
            skilled_m.pop("calibration", None)
        skilled_model = _fit(name, X_final[has_s], ys[has_s])

    report(80, "final")
    final = _fit(name, X_final, y_all)
    explainer = _explainer(X_final, y_all)
    today = data.today
    metrics = {
        "target": "retained_180", "algorithm": name, "selection_log_loss": losses,
        "rows": int(len(y_all)), "train_rows": int(train_mask.sum()), "test_rows": int(test.sum()),
        "positive_rate": float(y_all.mean()),
        "split_date": str(dt.date(1970, 1, 1) + dt.timedelta(days=int(cutoff))),
        "data_until": str(today - dt.timedelta(days=RETAIN_DAYS)), "trained_on": str(today),
        "learned": learned_m, "heuristic": heur_m, "skilled": skilled_m,
        "skilled_rows": int(has_s.sum()),
        "beats_heuristic": bool(learned_m["auc"] > heur_m["auc"] and _ndcg_better(learned_m, heur_m)),
    }
    report(100, "done")
    result_model = MatchModel("learned", final, skilled_model, explainer, name, metrics=metrics)
    return TrainResult(result_model, metrics, X_eval[test], y_test, groups[test])


def _ndcg_better(a: dict[str, Any], b: dict[str, Any]) -> bool:
    x: float | None = a.get("ndcg10")
    y: float | None = b.get("ndcg10")
    if x is None or y is None or math.isnan(x) or math.isnan(y):
        return True  # no vacancy to rank on: decided by AUC alone
    return x > y


def compare(result: TrainResult, active: MatchModel | None) -> dict[str, Any]:
    """Does the new model beat what is in use? Against the heuristic, and against an active learned
    model on the same held-out rows when that model never saw them (else on its stored figures)."""
    new = result.metrics["learned"]
    out: dict[str, object] = {"new": {k: new[k] for k in ("auc", "brier", "ndcg10")},
                              "heuristic": {k: result.metrics["heuristic"][k] for k in ("auc", "brier", "ndcg10")}}
    if active is None or not active.learned:
        out["against"] = "heuristic"
        out["active"] = out["heuristic"]
        out["better"] = bool(result.metrics["beats_heuristic"])
        return out
    active_until = str(active.metrics.get("data_until", "9999-12-31"))
    if active_until < result.metrics["split_date"]:
        old = evaluate(result.y_test, active.predict(result.X_test), result.groups_test)
        out["basis"] = "same_test_rows"
    else:
        old = active.metrics.get("learned", {})
        out["basis"] = "stored_metrics"
    old_view = {k: old.get(k, float("nan")) for k in ("auc", "brier", "ndcg10")}
    out["against"] = f"version {active.version_id}"
    out["active"] = old_view
    old_auc = old_view["auc"] if old_view["auc"] == old_view["auc"] else -1.0
    out["better"] = bool(result.metrics["beats_heuristic"] and new["auc"] > old_auc
                         and (math.isnan(new["ndcg10"]) or math.isnan(old_view["ndcg10"])
                              or new["ndcg10"] >= old_view["ndcg10"] - 0.01))
    return out


__all__ = ["HEURISTIC", "MatchModel", "ThinHistory", "TrainResult", "compare", "train", "day_of", "SKILL_DAYS"]
