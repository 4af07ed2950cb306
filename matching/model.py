"""Scoring models: the heuristic and the learned pipeline, training, validation, (de)serialisation.

Learning is generic on purpose: a small family (regularised logistic regression, the same with spline
and product terms, gradient-boosted trees with monotone constraints where the direction is known, and
the rule-based points recalibrated) is compared by log loss on the most recent closed 180-day windows
of the training period, fitted on what was known before them, at any history size; the best is kept.
Placements whose window is still open count survival-style (censoring weights, see ``targets``). Nothing here knows how
any particular history was generated.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from core.i18n import UserError, tr
from matching import stored
from matching.data import MatchData
from matching.features import FEATURES, GROUP_MATRIX, F, feature_matrix, pair_inputs
from matching.heuristic import heuristic_score, points_by_group
from matching.history import RETAIN_DAYS, SKILL_DAYS, day_of, trainee_prior_pointwise
from matching.metrics import evaluate

if TYPE_CHECKING:  # scikit-learn is imported when training: ranking uses only the stored parameters
    from sklearn.ensemble import HistGradientBoostingClassifier
from matching.stored import Scorer
from matching.survival import kaplan_meier

Progress = Callable[[int, str], None]
MIN_LABELLED = 150     # placements with a known 180-day outcome before learning is attempted
MIN_PER_CLASS = 20
MIN_TEST = 40
NDCG_MARGIN = 0.01


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


# --- targets: what was known on a given day ----------------------------------------------------

def targets(h: pd.DataFrame, as_of: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row positions, label, weight) of the placements that had started before ``as_of``, as they
    stood that day (survival-style, nothing later is read).

    Ended by then, or in the job for 180 days by then: settled, label 1 or 0, weight 1. Still in the
    job for d < 180 days: censored, neither success nor failure yet; it enters twice, as retained
    with weight q and as not retained with 1 − q, q = S(180) / S(d) from the Kaplan–Meier curve of
    everything known that day. ``_fit`` then sharpens q per pair: with p the model's probability for
    the pair and g the share of early departures that happen before day d (``early_gone``),
    P(lasts 180 | still there on day d) = p / (p + (1 − p)(1 − g)).
    Young placements thus count with what they tell (survived d days) instead of being dropped, and
    dropping only the running ones would bias the recent rows toward failure."""
    start = h["start_d"].to_numpy(dtype=float)
    end = h["end_d"].to_numpy(dtype=float)
    ended_status = h["status"].to_numpy() == "ended"
    ended = ~np.isnan(end) & (end <= as_of)
    duration = np.where(ended, end - start, as_of - start)
    ok = (start < as_of) & np.isfinite(duration) & (duration >= 0) & ~(np.isnan(end) & ended_status)
    settled = ok & (ended | (duration >= RETAIN_DAYS))
    censored = ok & ~settled
    rows = np.flatnonzero(settled)
    y = (duration[settled] >= RETAIN_DAYS).astype(float)
    w = np.ones(len(rows))
    if censored.any():
        curve = kaplan_meier(duration[ok], ended[ok])
        times, surv = curve["time"].to_numpy(), curve["survival"].to_numpy()

        def s_at(t: np.ndarray) -> np.ndarray:
            pos = np.searchsorted(times, t, side="right") - 1
            return np.where(pos < 0, 1.0, surv[np.maximum(pos, 0)])

        s_d = s_at(duration[censored])
        s_180 = float(s_at(np.array([float(RETAIN_DAYS)]))[0])
        q = np.clip(np.where(s_d > 0, s_180 / np.where(s_d > 0, s_d, 1.0), 0.0), 0.0, 1.0)
        # of the placements that end early, the share that has ended by day d
        gone = np.clip((1.0 - s_d) / (1.0 - s_180), 0.0, 1.0) if s_180 < 1 else np.zeros(len(s_d))
        c_rows = np.flatnonzero(censored)
        rows = np.concatenate([rows, c_rows, c_rows])
        y = np.concatenate([y, np.ones(len(c_rows)), np.zeros(len(c_rows))])
        w = np.concatenate([w, q, 1.0 - q])
        early_gone = np.concatenate([np.full(len(y) - 2 * len(c_rows), np.nan), gone, gone])
    else:
        early_gone = np.full(len(y), np.nan)
    return rows, y, w, early_gone


# --- the family of models ------------------------------------------------------------------------

FAMILIES = ("logistic", "spline_logistic", "gradient_boosting", "rules")
FAMILY_LABELS = {
    "logistic": ("逻辑回归", "logistic regression"),
    "spline_logistic": ("带分段项的逻辑回归", "logistic regression with spline terms"),
    "gradient_boosting": ("梯度提升树", "gradient-boosted trees"),
    "rules": ("规则评分（按本县历史校准）", "the rule-based score (calibrated on this county's history)"),
    "blend": ("几种模型的加权平均", "a weighted average of the models"),
}
# Knots (at the training rows' quartiles) for these inputs, and products of these pairs: shapes and
# interactions a straight line cannot draw (pay × distance from home, employer × certificate level,
# age × kind of work), still one regularised logistic regression.
HINGE_INPUTS = ("wage_below", "wage_above", "distance", "age", "emp_logit", "level_margin", "training_hours")
PRODUCTS = (("wage_below", "distance"), ("wage_above", "distance"), ("emp_logit", "level_margin"),
            ("age", "skill_elderly"), ("age", "skill_medical"), ("age", "skill_infant"),
            ("mandarin", "distance"), ("region_hit", "distance"), ("emp_logit", "skill_elderly"),
            ("emp_logit", "skill_medical"), ("emp_logit", "skill_infant"))
# Directions known from the field: more pay, a higher certificate, a better employer record or an
# earlier placement that lasted never make leaving more likely (gradient boosting keeps to them).
MONOTONE = {"level_margin": 1, "wage_above": 1, "wage_below": 1, "wage_gap_min": 1, "wage_gap_max": 1,
            "region_hit": 1, "region_miss": -1, "mandarin": 1, "prior_ret": 1, "prior_early": -1,
            "last_outcome": 1, "emp_rate": 1, "emp_logit": 1}
LOGISTIC_C = 0.3


def _spline_terms(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    terms: list[tuple[float, float, float]] = []
    for name in HINGE_INPUTS:
        col = X[:, F[name]]
        lo, hi = float(col.min()), float(col.max())
        for knot in sorted({float(v) for v in _weighted_quantiles(col, w, (0.25, 0.5, 0.75))}):
            if lo < knot < hi:
                terms.append((0.0, float(F[name]), knot))
    terms += [(1.0, float(F[a]), float(F[b])) for a, b in PRODUCTS]
    return np.array(terms, dtype=float).reshape(-1, 3)


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    return np.asarray(x[order][np.minimum(np.searchsorted(cw, np.array(qs) * cw[-1]), len(x) - 1)])


def _boosting(n: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=200 if n >= 2000 else 120, max_depth=3, max_leaf_nodes=8,
        min_samples_leaf=max(20, n // 100), l2_regularization=1.0, early_stopping=n >= 2000,
        validation_fraction=0.15, n_iter_no_change=20, random_state=0,
        monotonic_cst=[MONOTONE.get(f, 0) for f in FEATURES])


SELECT_MAX_ROWS = 20_000  # families are compared on at most this many rows (a seeded sample)
TREE_MAX_ROWS = 10_000    # boosted trees learn from at most this many rows: more adds seconds, not skill
CALIBRATE_TREES_UP_TO = 5_000


def _fit(name: str, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None,
         early_gone: np.ndarray | None = None) -> Scorer:
    """Fit one family; censored rows (``early_gone`` known, see ``targets``) get the pair's own
    chance of lasting from a first fit, then the family is fitted again (a linear one from where the
    first fit ended)."""
    scorer = _fit_once(name, X, y, w)
    if early_gone is None or w is None or name == "rules":
        return scorer
    cens = ~np.isnan(early_gone)
    if not cens.any():
        return scorer
    p = scorer.predict_proba(X[cens])[:, 1]
    g = early_gone[cens]
    q = np.clip(p / np.maximum(p + (1 - p) * (1 - g), 1e-9), 0.0, 1.0)
    w = w.copy()
    w[cens] = np.where(y[cens] == 1, q, 1.0 - q)
    return _fit_once(name, X, y, w, scorer if isinstance(scorer, stored.LinearScorer) else None)


def _fit_once(name: str, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None,
              start: stored.LinearScorer | None = None) -> Scorer:
    """Fit one family; what is kept is its parameters (the same that are stored)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    w = np.ones(len(y)) if w is None else w
    if name == "rules":
        d = stored.RulesScorer(-1.0, 0.0).decision(X)[:, None]
        lr = LogisticRegression(C=100.0, max_iter=1000).fit(d, y, sample_weight=w)
        return stored.RulesScorer(-float(lr.coef_[0, 0]), -float(lr.intercept_[0]))
    if name in ("logistic", "spline_logistic"):
        # Centred but not standardised: the features are built on comparable natural scales, and a
        # feature that barely varies in the training period (employer history early on) must not get
        # a huge weight that explodes on later rows where it varies a lot.
        if start is not None:
            terms = start.terms
        else:
            terms = _spline_terms(X, w) if name == "spline_logistic" else np.zeros((0, 3))
        expanded = stored.expand(X, terms)
        mean = np.average(expanded, axis=0, weights=w)
        lr = LogisticRegression(C=LOGISTIC_C, max_iter=5000, warm_start=start is not None)
        if start is not None:
            lr.coef_ = start.coef[None, :].copy()
            lr.intercept_ = np.array([start.intercept])
        lr.fit(expanded - mean, y, sample_weight=w)
        return stored.LinearScorer(mean, np.ones(expanded.shape[1]), lr.coef_[0].astype(float).copy(),
                                   float(lr.intercept_[0]), -1.0, 0.0, terms)
    if len(y) > TREE_MAX_ROWS:
        keep = np.sort(np.random.default_rng(0).choice(len(y), TREE_MAX_ROWS, replace=False))
        X, y, w = X[keep], y[keep], w[keep]
    if len(y) <= CALIBRATE_TREES_UP_TO:  # small: cheap, and the sigmoid tames over-confident trees
        model = CalibratedClassifierCV(_boosting(len(y)), method="sigmoid", cv=3, ensemble=False)
        model.fit(X, y, sample_weight=w)
        return stored.from_sklearn(model, X.shape[1])
    # early stopping on held-back rows already ends near the best log loss: no second calibration
    est = _boosting(len(y)).fit(X, y, sample_weight=w)
    return stored.trees_from_boosting(est, X.shape[1])


def time_cut(start: np.ndarray) -> float:
    """The split day: the last 40 % of the history's time span is held out (placements cluster in
    time, so a split by row count could leave the training period too short for employer history
    to build up), but at least 15 % of the rows."""
    by_span = float(np.nanmin(start) + 0.6 * np.ptp(start))
    by_rows = float(np.quantile(start, 0.85))
    return min(by_span, by_rows)


SIMPLER_FIRST = ("logistic", "spline_logistic", "gradient_boosting")


def _choose(X: np.ndarray, y: np.ndarray, w: np.ndarray, gone: np.ndarray, X_val: np.ndarray,
            y_val: np.ndarray, since: float) -> tuple[str, Scorer, dict[str, Any]]:
    """Fit every family on what was known before the validation windows (the most recent placements
    whose 180 days have passed) and keep the one with the lowest log loss on them — or the simplest
    learned family within one standard error of the best (the one-standard-error rule: a richer
    model must win by more than the noise of a few hundred outcomes)."""
    losses: dict[str, float] = {}
    per_row: dict[str, np.ndarray] = {}
    probs: dict[str, np.ndarray] = {}
    fitted: dict[str, Scorer] = {}
    rng = np.random.default_rng(0)
    if len(y) > SELECT_MAX_ROWS:
        keep = np.sort(rng.choice(len(y), SELECT_MAX_ROWS, replace=False))
        X, y, w, gone = X[keep], y[keep], w[keep], gone[keep]
    if len(y_val) > SELECT_MAX_ROWS // 2:
        keep = np.sort(rng.choice(len(y_val), SELECT_MAX_ROWS // 2, replace=False))
        X_val, y_val = X_val[keep], y_val[keep]
    for name in FAMILIES:
        fitted[name] = _fit(name, X, y, w, gone)
        p = np.clip(fitted[name].predict_proba(X_val)[:, 1], 1e-6, 1 - 1e-6)
        probs[name] = p
        per_row[name] = -(y_val * np.log(p) + (1 - y_val) * np.log(1 - p))
        losses[name] = float(per_row[name].mean())
    chosen = min(losses, key=lambda k: losses[k])
    if chosen in SIMPLER_FIRST:
        for name in SIMPLER_FIRST:
            if name not in losses:
                continue
            diff = per_row[name] - per_row[chosen]
            if diff.mean() <= diff.std(ddof=1) / np.sqrt(len(diff)):
                chosen = name
                break
    info: dict[str, Any] = {"log_loss": losses, "validation_rows": int(len(y_val)),
                            "validated_from": str(dt.date(1970, 1, 1) + dt.timedelta(days=int(since)))}
    if chosen == SIMPLER_FIRST[0]:
        return chosen, fitted[chosen], info  # plain logistic held up as well as anything: kept alone
    weights, blend_rows = _blend_weights(probs, y_val)
    diff = per_row[chosen] - blend_rows
    if (weights > 0).sum() > 1 and diff.mean() > BLEND_MARGIN_SE * diff.std(ddof=1) / np.sqrt(len(diff)):
        # A richer family won beyond the noise, but alone it is fragile on a short history (trees
        # on a drifting one: the past disagrees with the recent slice); the average of the families,
        # weighted to the recent slice, is what held up there.
        losses[BLEND] = float(blend_rows.mean())
        info["weights"] = {k: float(v) for k, v in zip(FAMILIES, weights) if v > 0}
        return BLEND, stored.BlendScorer([fitted[k] for k in info["weights"]], weights[weights > 0]), info
    return chosen, fitted[chosen], info


BLEND = "blend"
BLEND_STEP = 10        # blend weights on a grid of tenths
BLEND_MARGIN_SE = 0.0  # in standard errors: the blend need only beat the family chosen alone


def _blend_weights(probs: dict[str, np.ndarray], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weights (tenths, summing to one, in FAMILIES order) whose averaged probabilities have the
    lowest log loss on the validation rows, and that average's per-row loss."""
    table = np.column_stack([probs[k] for k in FAMILIES])
    best, best_rows = np.zeros(len(FAMILIES)), np.full(len(y), np.inf)
    for combo in itertools.product(range(BLEND_STEP + 1), repeat=len(FAMILIES) - 1):
        last = BLEND_STEP - sum(combo)
        if last < 0:
            continue
        wts = np.array([*combo, last], dtype=float) / BLEND_STEP
        p = np.clip(table @ wts, 1e-6, 1 - 1e-6)
        rows = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        if rows.mean() < best_rows.mean() - 1e-12:
            best, best_rows = wts, rows
    return best, best_rows


def _final_fit(name: str, selection: dict[str, Any], X: np.ndarray, y: np.ndarray, w: np.ndarray,
               gone: np.ndarray) -> Scorer:
    """The chosen family refitted on every row known today (a blend: each of its families, with the
    weights found on the validation rows)."""
    if name != BLEND:
        return _fit(name, X, y, w, gone)
    weights: dict[str, float] = selection["weights"]
    return stored.BlendScorer([_fit(k, X, y, w, gone) for k in weights], np.array(list(weights.values())))


def choice_words(metrics: dict[str, Any]) -> str:
    """The chosen family and the validation figures behind the choice, in one plain sentence."""
    sel = metrics.get("selection") or {}
    name = str(metrics.get("algorithm", ""))
    zh, en = FAMILY_LABELS.get(name, (name, name))
    losses: dict[str, float] = sel.get("log_loss") or {}
    if not losses:
        return tr(f"选用{zh}（历史太少，未做模型比较）。", f"Chose {en} (too little history to compare models).")
    others_zh = "，".join(f"{FAMILY_LABELS[k][0]} {v:.3f}" for k, v in losses.items() if k != name)
    others_en = ", ".join(f"{FAMILY_LABELS[k][1]} {v:.3f}" for k, v in losses.items() if k != name)
    n, since = sel.get("validation_rows", 0), sel.get("validated_from", "")
    weights: dict[str, float] = sel.get("weights") or {}
    if weights:  # name the blend's parts and their weights
        zh += "（" + "，".join(f"{FAMILY_LABELS[k][0]} {v:.1f}" for k, v in weights.items()) + "）"
        en += " (" + ", ".join(f"{FAMILY_LABELS[k][1]} {v:.1f}" for k, v in weights.items()) + ")"
    return tr(f"选用{zh}：在{since}以后开始、已满180天的 {n} 条最近记录上验证，对数损失 {losses[name]:.3f}"
              f"（越小越好；{others_zh}）。",
              f"Chose {en}: on the {n} most recent placements (started from {since}, 180 days passed) its log "
              f"loss is {losses[name]:.3f} (lower is better; {others_en}).")


def _explainer(X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """A linear view of the factors for reasons: standardised logistic coefficients."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

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
    start = ts.h["start_d"].to_numpy(dtype=float)
    labelled = ~np.isnan(ts.h["retained_label"].to_numpy())
    y_closed = ts.h["retained_label"].to_numpy(dtype=float)[labelled]
    _check_thin(y_closed, "就业历史", "placement history")
    cutoff = time_cut(start[labelled])
    test = labelled & (start >= cutoff)
    y_test = ts.h["retained_label"].to_numpy(dtype=float)[test]
    if y_test.min() == y_test.max() or test.sum() < MIN_TEST:
        raise ThinHistory("最近一段时间的就业记录太少或结果单一，无法做按时间的验证，暂用规则评分。",
                          "The most recent placements are too few or all alike for a time-based validation; "
                          "the rule-based score stays in use.")
    # No look-ahead: the model tested on the rows after the cutoff learns only what was known on the
    # cutoff day (targets(…, cutoff): outcomes settled by then, the young ones censored there); its
    # features use only what was known at each start, and the held-out rows see employer history
    # frozen at the cutoff.
    past = start < cutoff
    rows, y_tr, w_tr, gone_tr = targets(_subset(ts, past).h, cutoff)
    _check_thin(y_tr, "训练期历史", "training-period history")
    X_eval = ts.X(data, np.minimum(start, cutoff))
    report(20, "select")
    name, model, selection = _choose(X_eval[past][rows], y_tr, w_tr, gone_tr, X_eval[test], y_test, cutoff)
    report(45, "validate")
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
    # the points say nothing about skilled work; on a long history the plain logistic model is quick
    skilled_name = "logistic" if name in ("rules", BLEND) or has_s.sum() > SELECT_MAX_ROWS else name
    if has_s.sum() >= MIN_LABELLED and min(ys[has_s].sum(), has_s.sum() - ys[has_s].sum()) >= MIN_PER_CLASS:
        s_cut = time_cut(start[has_s])
        s_train, s_test = has_s & (start + SKILL_DAYS <= s_cut), has_s & (start >= s_cut)
        if s_train.any() and ys[s_test].min() != ys[s_test].max() and ys[s_train].min() != ys[s_train].max():
            X_s = ts.X(data, np.minimum(start, s_cut))  # employer history frozen at this split's cutoff
            sm = _fit(skilled_name, X_s[s_train], ys[s_train])
            skilled_m = evaluate(ys[s_test], sm.predict_proba(X_s[s_test])[:, 1], groups[s_test])
            skilled_m.pop("calibration", None)
        skilled_model = _fit(skilled_name, X_final[has_s], ys[has_s])

    report(80, "final")
    today = data.today
    rows_all, y_all, w_all, gone_all = targets(ts.h, float(day_of(today)))
    final = _final_fit(name, selection, X_final[rows_all], y_all, w_all, gone_all)
    explainer = _explainer(X_final[labelled], y_closed)
    metrics = {
        "target": "retained_180", "algorithm": name, "selection": selection,
        "selection_log_loss": selection.get("log_loss", {}),
        "rows": int(len(np.unique(rows_all))), "closed_rows": int(labelled.sum()),
        "censored_rows": int((~np.isnan(gone_all)).sum() // 2),
        "train_rows": int(len(np.unique(rows))), "test_rows": int(test.sum()),
        "positive_rate": float(y_closed.mean()),
        "split_date": str(dt.date(1970, 1, 1) + dt.timedelta(days=int(cutoff))),
        "data_until": str(today), "trained_on": str(today),
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
    # NDCG@10 over a few hundred recent placements moves by a point with a handful of outcomes:
    # not worse by more than that (the same margin as against an active model), AUC decides.
    return x >= y - NDCG_MARGIN


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
                              or new["ndcg10"] >= old_view["ndcg10"] - NDCG_MARGIN))
    return out


__all__ = ["HEURISTIC", "MatchModel", "ThinHistory", "TrainResult", "compare", "train", "day_of", "SKILL_DAYS"]
