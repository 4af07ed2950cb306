"""Trust, second round (issue #20), item 5: a stored model that cannot score real rows, or cannot be
loaded at all, gives way to the rule-based score with a visible banner and a log entry, never a
silent "nobody is eligible"."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from sqlalchemy import select

from core.access import SYSTEM
from db.models import ModelVersion, Vacancy
from db.services import matching as ms
from matching import stored
from matching.features import FEATURES


def _store(database, blob: bytes) -> None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        s.add(ModelVersion(target=ms.TARGET, algorithm="logistic", training_rows=500, metrics="{}", blob=blob,
                           active=True))


def _nan_on_real_rows() -> bytes:
    """Valid, finite parameters that score a row of zeros (the old check) but give NaN on real rows:
    weights so large that a real feature value overflows the decision to infinity, and a calibration
    slope of 0 (0 × infinity is NaN)."""
    n = len(FEATURES)
    retention = {"kind": "linear", "mean": [0.0] * n, "scale": [1.0] * n, "coef": [1e308] * n,
                 "intercept": 0.0, "a": 0.0, "b": 0.0}
    return stored.dumps({"features": FEATURES, "algorithm": "logistic", "retention": retention, "skilled": None,
                         "explainer": None})


def _a_vacancy_with_candidates(database) -> str:  # type: ignore[no-untyped-def]
    with database.session() as s:
        codes = list(s.scalars(select(Vacancy.code).where(Vacancy.status == "open").order_by(Vacancy.id)))
    for code in codes:
        if not ms.rank_vacancy(database, code, actor=SYSTEM).ranked.empty:
            return code
    raise AssertionError("the demo has no open vacancy with an eligible trainee")


def _assert_falls_back(database, code: str, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="db.services.matching"):
        result = ms.rank_vacancy(database, code, actor=SYSTEM)
    assert not result.ranked.empty, "nobody eligible: the silent failure of the issue"
    assert np.isfinite(result.ranked["score"].to_numpy(dtype=float)).all()
    assert result.model.warning and "已改用规则评分" in result.model.warning
    assert not result.model.learned
    assert any("rule-based score" in r.getMessage() for r in caplog.records)
    pairs = ms.candidate_scores(database, [int(result.ranked["vacancy_id"].iloc[0])], actor=SYSTEM)
    assert len(pairs) and np.isfinite(pairs["weight"].to_numpy(dtype=float)).all()  # what plan assigns from


def test_a_model_that_gives_nan_on_real_rows_falls_back(demo_db, caplog) -> None:  # type: ignore[no-untyped-def]
    code = _a_vacancy_with_candidates(demo_db)
    _store(demo_db, _nan_on_real_rows())
    assert ms.active_model(demo_db).learned  # it loads: only real rows show it is unusable
    _assert_falls_back(demo_db, code, caplog)


@pytest.mark.parametrize("how", ["nested", "huge"])
def test_a_model_that_cannot_be_loaded_falls_back(demo_db, caplog, monkeypatch, how: str) -> None:  # type: ignore[no-untyped-def]
    code = _a_vacancy_with_candidates(demo_db)
    if how == "nested":
        depth = 200_000
        blob = (b'{"format": "laborbridge-model", "version": 2, "features": ' + b"[" * depth + b"]" * depth + b"}")
    else:
        monkeypatch.setattr(stored, "MAX_BLOB_BYTES", 4096)  # the 64 MB bar, scaled down for the test
        blob = json.dumps({"format": "laborbridge-model", "version": 2, "pad": "x" * 10_000}).encode()
    _store(demo_db, blob)
    _assert_falls_back(demo_db, code, caplog)


def test_the_matching_page_shows_the_banner(demo_db, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from ui.app import make_app
    from ui.pages.matching import MatchingPage

    make_app()  # the program's font, as the clerk sees it
    code = _a_vacancy_with_candidates(demo_db)
    _store(demo_db, _nan_on_real_rows())
    page = MatchingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: page.ready, timeout=20000)  # the page reads its choices in the background
    page.vacancy_box.setCurrentIndex(page.vacancy_box.findData(code))
    qtbot.mouseClick(page.rank_vacancy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.ranked_model.rowCount() > 0, timeout=30000)
    assert "已改用规则评分" in page.model_label.text()
    page.grab().save("/tmp/x/matching_fallback.png")
