"""Fitted models as plain numbers: what is stored in the database is data, never code.

A calibrated model is kept as its parameters — a logistic regression (mean, scale, coefficients,
intercept, and its extra terms: hinges max(x_i − knot, 0) and products x_i · x_j, each a few numbers),
a list of decision trees (node arrays), or the rule-based points (nothing but the calibration) — plus
the sigmoid calibration
(a, b): P = 1 / (1 + exp(a · f + b)) where f is the model's decision value. The parameters are
written as JSON; reading them back builds numpy arrays and checks every shape and number, so a
stored model can at worst be wrong, never run anything. (A pickle, the earlier format, could run
any code on the PC that loads it.)
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import numpy as np

from matching.heuristic import INTERCEPT, SCALE, points_by_group

STORE_FORMAT = "laborbridge-model"
STORE_VERSION = 2
MAX_BLOB_BYTES = 64 * 1024 * 1024  # a 5,000-tree model is a few MB
_NODE_FIELDS = ("feature", "threshold", "left", "right", "leaf", "value", "missing_left")


class StoredModelError(ValueError):
    """The stored parameters cannot be used (damaged, foreign or from another program version)."""


class Scorer(Protocol):
    def decision(self, X: np.ndarray) -> np.ndarray: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


def _sigmoid_proba(decision: np.ndarray, a: float, b: float) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(np.clip(a * decision + b, -500.0, 500.0)))
    return np.column_stack([1.0 - p, p])


def expand(X: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """X with one extra column per term: (0, i, knot) → max(x_i − knot, 0); (1, i, j) → x_i · x_j."""
    if not len(terms):
        return X
    extra = np.empty((len(X), len(terms)))
    for k, (kind, i, c) in enumerate(terms):
        col = X[:, int(i)]
        extra[:, k] = np.maximum(col - c, 0.0) if kind == 0 else col * X[:, int(c)]
    return np.hstack([X, extra])


class LinearScorer:
    """Calibrated logistic regression on the features and its extra terms (hinges, products)."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, coef: np.ndarray, intercept: float,
                 a: float, b: float, terms: np.ndarray | None = None) -> None:
        self.mean, self.scale, self.coef = mean, scale, coef
        self.intercept, self.a, self.b = float(intercept), float(a), float(b)
        self.terms = np.zeros((0, 3)) if terms is None else np.asarray(terms, dtype=float).reshape(-1, 3)
        # ((X − mean) / scale) · coef + intercept, folded into one matrix–vector product
        self._w = coef / scale
        self._w0 = self.intercept - float(mean @ self._w)

    def decision(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(expand(X, self.terms) @ self._w + self._w0, dtype=float)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid_proba(self.decision(X), self.a, self.b)

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": "linear", "mean": self.mean.tolist(), "scale": self.scale.tolist(),
               "coef": self.coef.tolist(), "intercept": self.intercept, "a": self.a, "b": self.b}
        if len(self.terms):
            out["terms"] = self.terms.tolist()
        return out


class RulesScorer:
    """The rule-based points (matching.heuristic), recalibrated on the county's own history."""

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = float(a), float(b)

    def decision(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(INTERCEPT + SCALE * points_by_group(X).sum(axis=1), dtype=float)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid_proba(self.decision(X), self.a, self.b)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "rules", "a": self.a, "b": self.b}


class TreeScorer:
    """Calibrated sum of regression trees (gradient boosting) on the raw features."""

    def __init__(self, baseline: float, trees: list[dict[str, np.ndarray]], a: float, b: float,
                 n_features: int) -> None:
        self.baseline, self.trees, self.a, self.b = float(baseline), trees, float(a), float(b)
        self.n_features = n_features
        self._fast = _fast_predictors(trees, n_features)

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.full(len(X), self.baseline)
        if self._fast is not None:
            predictors, known, fmap = self._fast
            for pred in predictors:
                out += pred.predict(X, known, fmap, 1)
            return out
        for tree in self.trees:  # plain numpy walk: same result, slower
            node = np.zeros(len(X), dtype=np.int64)
            for _ in range(64):
                leaf = tree["leaf"][node]
                if leaf.all():
                    break
                f = tree["feature"][node]
                x = X[np.arange(len(X)), f]
                left = np.where(np.isnan(x), tree["missing_left"][node], x <= tree["threshold"][node])
                node = np.where(leaf, node, np.where(left, tree["left"][node], tree["right"][node]))
            out += tree["value"][node]
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid_proba(self.decision(X), self.a, self.b)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "trees", "baseline": self.baseline, "a": self.a, "b": self.b,
                "trees": [{k: t[k].astype(float if k in ("threshold", "value") else np.int64).tolist()
                           for k in _NODE_FIELDS} for t in self.trees]}


class BlendScorer:
    """A weighted average of other scorers' probabilities (model averaging): each part is one of
    the kinds above, never another blend."""

    def __init__(self, parts: list[Scorer], weights: np.ndarray) -> None:
        self.parts, self.weights = parts, weights / weights.sum()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.zeros(len(X))
        for part, wt in zip(self.parts, self.weights):
            p += wt * part.predict_proba(X)[:, 1]
        return np.column_stack([1.0 - p, p])

    def decision(self, X: np.ndarray) -> np.ndarray:
        p = np.clip(self.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
        return np.asarray(np.log(p / (1 - p)))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "blend", "weights": self.weights.tolist(), "parts": [p.to_dict() for p in self.parts]}


def _fast_predictors(trees: list[dict[str, np.ndarray]], n_features: int) -> tuple[list[Any], np.ndarray, np.ndarray] | None:
    """scikit-learn's compiled tree walker, fed with our node arrays (numbers only); None if unavailable."""
    try:
        from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    except ImportError:  # pragma: no cover - another scikit-learn layout: the numpy walk is used
        return None
    predictors = []
    empty = np.zeros((0, 8), dtype=np.uint32)
    try:
        for t in trees:
            nodes = np.zeros(len(t["leaf"]), dtype=PREDICTOR_RECORD_DTYPE)
            nodes["value"] = t["value"]
            nodes["feature_idx"] = t["feature"]
            nodes["num_threshold"] = t["threshold"]
            nodes["missing_go_to_left"] = t["missing_left"]
            nodes["left"] = t["left"]
            nodes["right"] = t["right"]
            nodes["is_leaf"] = t["leaf"]
            predictors.append(TreePredictor(nodes, empty, empty))
        known = np.zeros((0, 8), dtype=np.uint32)
        fmap = np.zeros(n_features, dtype=np.uint32)
        predictors[0].predict(np.zeros((1, n_features)), known, fmap, 1) if predictors else None
    except (TypeError, ValueError, KeyError):  # pragma: no cover - private API changed: numpy walk
        return None
    return predictors, known, fmap


# --- from a fitted scikit-learn model ------------------------------------------------------------

def from_sklearn(model: Any, n_features: int) -> Scorer:
    """The parameters of a fitted CalibratedClassifierCV(ensemble=False, method='sigmoid') around a
    StandardScaler+LogisticRegression pipeline or a HistGradientBoostingClassifier."""
    calibrated = model.calibrated_classifiers_[0]
    est = calibrated.estimator
    cal = calibrated.calibrators[0]
    a, b = float(cal.a_), float(cal.b_)
    if hasattr(est, "named_steps"):
        scaler, lr = est.steps[0][1], est.steps[-1][1]
        raw_scale = scaler.scale_ if scaler.scale_ is not None else np.ones(n_features)
        scale = np.where(raw_scale > 0, raw_scale, 1.0)
        return LinearScorer(scaler.mean_.astype(float).copy(), scale.astype(float), lr.coef_[0].astype(float).copy(),
                            float(lr.intercept_[0]), a, b)
    return _trees_of(est, a, b, n_features)


def trees_from_boosting(est: Any, n_features: int) -> TreeScorer:
    """The trees of a fitted HistGradientBoostingClassifier, its own log-odds as the decision."""
    return _trees_of(est, -1.0, 0.0, n_features)


def _trees_of(est: Any, a: float, b: float, n_features: int) -> TreeScorer:
    trees = []
    for (pred,) in est._predictors:
        nodes = pred.nodes
        trees.append({"feature": nodes["feature_idx"].astype(np.int64), "threshold": nodes["num_threshold"].astype(float),
                      "left": nodes["left"].astype(np.int64), "right": nodes["right"].astype(np.int64),
                      "leaf": nodes["is_leaf"].astype(bool), "value": nodes["value"].astype(float),
                      "missing_left": nodes["missing_go_to_left"].astype(bool)})
    baseline = float(np.asarray(est._baseline_prediction).ravel()[0])
    return TreeScorer(baseline, trees, a, b, n_features)


# --- (de)serialisation ---------------------------------------------------------------------------

def _floats(value: object, n: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        raise StoredModelError("not a list of numbers")
    arr = np.asarray(value, dtype=float)
    if (n is not None and len(arr) != n) or not np.isfinite(arr).all():
        raise StoredModelError("wrong length or not finite")
    return arr


def _number(value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(float(value)):
        raise StoredModelError("not a finite number")
    return float(value)


def _terms(value: object, n_features: int) -> np.ndarray:
    """Extra terms of a linear model: [kind, i, knot or j] rows, every index a feature's."""
    if not isinstance(value, list) or len(value) > 4 * n_features:
        raise StoredModelError("bad terms")
    rows = [_floats(t, 3) for t in value]
    terms = np.array(rows).reshape(-1, 3)
    for kind, i, c in terms:
        if kind not in (0, 1) or i != int(i) or not 0 <= i < n_features or \
                (kind == 1 and (c != int(c) or not 0 <= c < n_features)):
            raise StoredModelError("term out of range")
    return terms


def scorer_from_dict(d: object, n_features: int) -> Scorer:
    if not isinstance(d, dict):
        raise StoredModelError("not an object")
    kind = d.get("kind")
    if kind == "linear":
        terms = _terms(d.get("terms", []), n_features)
        width = n_features + len(terms)
        scale = _floats(d.get("scale"), width)
        if (scale <= 0).any():
            raise StoredModelError("scale must be positive")
        return LinearScorer(_floats(d.get("mean"), width), scale, _floats(d.get("coef"), width),
                            _number(d.get("intercept")), _number(d.get("a")), _number(d.get("b")), terms)
    if kind == "rules":
        return RulesScorer(_number(d.get("a")), _number(d.get("b")))
    if kind == "trees":
        raw = d.get("trees")
        if not isinstance(raw, list) or not raw:
            raise StoredModelError("no trees")
        trees = []
        for t in raw:
            if not isinstance(t, dict) or set(t) != set(_NODE_FIELDS):
                raise StoredModelError("bad tree")
            n = len(t["leaf"]) if isinstance(t["leaf"], list) else 0
            arrays = {k: _floats(t[k], n) for k in _NODE_FIELDS}
            tree = {"feature": arrays["feature"].astype(np.int64), "threshold": arrays["threshold"],
                    "left": arrays["left"].astype(np.int64), "right": arrays["right"].astype(np.int64),
                    "leaf": arrays["leaf"].astype(bool), "value": arrays["value"],
                    "missing_left": arrays["missing_left"].astype(bool)}
            inner = ~tree["leaf"]
            if n == 0 or ((tree["feature"][inner] < 0) | (tree["feature"][inner] >= n_features)).any() \
                    or ((tree["left"][inner] <= np.flatnonzero(inner)) | (tree["left"][inner] >= n)).any() \
                    or ((tree["right"][inner] <= np.flatnonzero(inner)) | (tree["right"][inner] >= n)).any():
                raise StoredModelError("tree nodes out of range")  # children after parents: no cycles
            tree["feature"] = np.where(inner, tree["feature"], 0)
            tree["left"] = np.where(inner, tree["left"], 0)
            tree["right"] = np.where(inner, tree["right"], 0)
            trees.append(tree)
        return TreeScorer(_number(d.get("baseline")), trees, _number(d.get("a")), _number(d.get("b")), n_features)
    if kind == "blend":
        raw_parts = d.get("parts")
        if not isinstance(raw_parts, list) or not raw_parts or len(raw_parts) > 8:
            raise StoredModelError("bad blend")
        weights = _floats(d.get("weights"), len(raw_parts))
        if (weights < 0).any() or weights.sum() <= 0:
            raise StoredModelError("bad blend weights")
        if any(not isinstance(p, dict) or p.get("kind") == "blend" for p in raw_parts):
            raise StoredModelError("nested blend")  # one level only: nothing recursive to walk
        return BlendScorer([scorer_from_dict(p, n_features) for p in raw_parts], weights)
    raise StoredModelError("unknown model kind")


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps({"format": STORE_FORMAT, "version": STORE_VERSION, **payload},
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def loads(blob: bytes) -> dict[str, Any]:
    """The stored JSON object; StoredModelError('older') for anything not in this format."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise StoredModelError("corrupt")
    raw = bytes(blob)
    if not raw.lstrip().startswith(b"{"):
        # A pickle (the first release's format) or anything else: never unpickled.
        raise StoredModelError("older" if raw[:1] == b"\x80" else "corrupt")
    if len(raw) > MAX_BLOB_BYTES:  # far beyond any model we fit: refused before it is parsed
        raise StoredModelError("corrupt")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise StoredModelError("corrupt") from None
    if not isinstance(payload, dict) or payload.get("format") != STORE_FORMAT:
        raise StoredModelError("corrupt")
    if payload.get("version") != STORE_VERSION:
        raise StoredModelError("older")
    return payload
