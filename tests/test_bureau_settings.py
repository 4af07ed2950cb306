"""Bureau-wide settings in the database: one value for GUI and CLI, admin only, audited; bad keys and
values refused in one sentence with nothing changed; every plan shows the price of priority."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import func, select

import main
from core.access import SYSTEM, Actor
from core.policy import DEFAULT_PRIORITY_WEIGHTS
from db.models import AppSetting, AuditLog, Batch
from db.services import batches, settings, users
from tests.conftest import TODAY
from ui.settings_dialog import SettingsDialog


def _accounts(database) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """role → (user name, password) of real accounts, each past its forced first password change."""
    out = {}
    for name, role, pw in users.create_demo_accounts(database, actor=SYSTEM):
        users.change_password(database, users.login(database, name, pw).actor, pw, f"{role.title()}2026pw")
        out[role] = (name, f"{role.title()}2026pw")
    return out


def _settings_rows(database) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        rows = dict(s.execute(select(AppSetting.key, AppSetting.value)).all())
        audits = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "setting.update"))
    return rows, audits


def test_settings_lists_every_key_with_value_and_default(demo_db, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main.main(["--db", demo_db.url, "settings"]) == 0
    out = capsys.readouterr().out
    for key in settings.KEYS:
        assert key in out
    assert "policy.priority.monitored       0.15" in out and "默认" in out
    assert main.main(["--db", demo_db.url, "--lang", "en", "settings", "--json"]) == 0
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["policy.skilled_weight"]["value"] == 0 and rows["alerts.wage_floor"]["default"] == 3000
    assert rows["policy.priority.poverty_exited"]["default"] == DEFAULT_PRIORITY_WEIGHTS["poverty_exited"]


def test_admin_sets_a_weight_it_is_audited_and_plans_use_it(demo_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    admin, pw = _accounts(demo_db)["admin"]
    monkeypatch.setenv("LABORBRIDGE_PASSWORD", pw)
    assert main.main(["--db", demo_db.url, "--user", admin, "settings", "set", "policy.priority.monitored", "0.3"]) == 0
    assert "policy.priority.monitored = 0.3" in capsys.readouterr().out
    assert settings.priority_weights(demo_db)["monitored"] == 0.3
    with demo_db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "setting.update")
                          .order_by(AuditLog.id.desc())).first()
        assert entry is not None and entry.entity_id == "policy.priority.monitored" and "0.3" in (entry.after or "")
        batch = s.scalar(select(Batch.name).order_by(Batch.id))
    # the CLI plan and the service the GUI calls use the same database weights: the same plan
    assert main.main(["--db", demo_db.url, "--user", admin, "plan", "--batch", batch, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    gui = batches.plan(demo_db, batch, actor=SYSTEM, priority_weights=None)
    assert [(p["id_number"], p["vacancy_code"]) for p in cli["pairs"]] == \
        list(zip(gui.pairs["id_number"], gui.pairs["vacancy_code"]))
    monitored = [p for p in cli["pairs"] if p["priority"] == 0.3]
    assert monitored and cli["priority_cost"]["monitored"] == len(monitored)


@pytest.mark.parametrize(("args", "words"), [
    (["policy.priority.monitord", "0.1"], "没有名为“policy.priority.monitord”的设置项"),
    (["policy.priority.monitored", "-0.1"], "不能为负数"),
    (["policy.priority.monitored", "abc"], "必须是数字"),
    (["policy.priority.monitored", "nan"], "必须是数字"),
    (["policy.skilled_weight", "5"], "不能大于 1"),
    (["alerts.wage_floor", "3000.5"], "必须是整数"),
    (["policy.priority.monitored"], "用法"),
])
def test_bad_key_or_value_is_one_sentence_exit_2_nothing_changed(demo_db, capsys, monkeypatch, args, words) -> None:  # type: ignore[no-untyped-def]
    admin, pw = _accounts(demo_db)["admin"]
    monkeypatch.setenv("LABORBRIDGE_PASSWORD", pw)
    before = _settings_rows(demo_db)
    assert main.main(["--db", demo_db.url, "--user", admin, "settings", "set", *args]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err and captured.out == ""
    assert _settings_rows(demo_db) == before


def test_only_an_administrator_changes_bureau_settings(demo_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    staff, pw = _accounts(demo_db)["staff"]
    monkeypatch.setenv("LABORBRIDGE_PASSWORD", pw)
    before = _settings_rows(demo_db)
    assert main.main(["--db", demo_db.url, "--user", staff, "settings", "set", "policy.priority.monitored", "0"]) == 1
    assert "权限" in capsys.readouterr().err
    assert _settings_rows(demo_db) == before


def test_the_gui_dialog_edits_the_database_values(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    settings.set_value(demo_db, SYSTEM, "policy.priority.poverty_exited", 0.2)
    dialog = SettingsDialog(database=demo_db, actor=SYSTEM)
    qtbot.addWidget(dialog)
    assert dialog.weight_spins["poverty_exited"].value() == pytest.approx(0.2)  # read from the database
    dialog.weight_spins["monitored"].setValue(0.4)
    dialog.skilled_spin.setValue(0.5)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert settings.priority_weights(demo_db) == {"monitored": 0.4, "poverty_exited": 0.2, "general": 0.0}
    assert settings.skilled_weight(demo_db) == 0.5
    staff_view = SettingsDialog(database=demo_db, actor=Actor(None, "staff", "staff"))
    qtbot.addWidget(staff_view)
    assert not staff_view.weight_spins["monitored"].isEnabled() and not staff_view.skilled_spin.isEnabled()
    assert staff_view.weight_spins["monitored"].value() == pytest.approx(0.4)


def test_every_plan_reports_the_price_of_priority(demo_db) -> None:
    with demo_db.session() as s:
        batch = s.scalar(select(Batch.name).order_by(Batch.id))
    result = batches.plan(demo_db, batch, actor=SYSTEM, today=TODAY)
    cost = result.to_json()["priority_cost"]
    assert set(cost) >= {"with_priority", "without_priority", "cost", "monitored", "poverty_exited"}
    assert cost["with_priority"] == pytest.approx(result.expected_retained, abs=1e-3)
    assert cost["without_priority"] >= cost["with_priority"] - 1e-9
    assert cost["cost"] == pytest.approx(cost["without_priority"] - cost["with_priority"], abs=2e-3)
    assert cost["monitored"] == int((result.pairs["household_type"] == "monitored").sum())
    assert "政策优先：监测户" in result.priority_line() and "预计稳岗少" in result.priority_line()
    for household in ("monitored", "poverty_exited", "general"):
        settings.set_value(demo_db, SYSTEM, f"policy.priority.{household}", 0)
    plain = batches.plan(demo_db, batch, actor=SYSTEM, today=TODAY).to_json()["priority_cost"]
    assert plain["cost"] == 0 and plain["with_priority"] == pytest.approx(cost["without_priority"], abs=1e-3)


def test_skilled_weight_enters_the_plan_objective(demo_db) -> None:
    from db.services import matching as ms

    ms.train(demo_db, SYSTEM, today=TODAY)
    with demo_db.session() as s:
        batch = s.scalar(select(Batch.name).order_by(Batch.id))
    base = batches.plan(demo_db, batch, actor=SYSTEM, today=TODAY)
    assert base.pairs["skilled_score"].notna().all()  # shown beside the retention probability
    settings.set_value(demo_db, SYSTEM, "policy.skilled_weight", 1.0)
    weighted = batches.plan(demo_db, batch, actor=SYSTEM, today=TODAY)
    pairs = weighted.pairs
    expected = (pairs["score"] + pairs["skilled_score"]) * (1 + pairs["priority"])
    assert (pairs["weight"] - expected).abs().max() < 1e-9
    assert weighted.pairs["skilled_score"].sum() >= base.pairs["skilled_score"].sum() - 1e-9


def test_the_tracking_page_plans_with_the_database_weights_and_shows_their_price(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.tracking import TrackingPage

    settings.set_value(demo_db, SYSTEM, "policy.priority.monitored", 0.3)
    page = TrackingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    qtbot.waitExposed(page)
    qtbot.mouseClick(page.plan_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.plan_model.rowCount() > 0, timeout=60_000)
    result = page._plan
    assert result is not None
    monitored = result.pairs[result.pairs["household_type"] == "monitored"]
    assert len(monitored) and (monitored["priority"] == 0.3).all()  # the bureau's weight, not a per-PC one
    cost = result.priority_cost
    line = f"政策优先：监测户 {cost['monitored']} 人、脱贫户 {cost['poverty_exited']} 人入选，预计稳岗少 {cost['cost']:.1f} 人"
    assert line in page.plan_summary.text()


def test_fairness_report_flags_groups_below_four_fifths_and_names_the_factors(demo_db) -> None:
    from db.services import matching as ms

    report = ms.fairness_report(demo_db, SYSTEM, today=TODAY)
    for row in report.itertuples():
        assert row.flagged == bool(row.eligible_share > 0 and row.top_share < 0.8 * row.eligible_share)
        assert bool(row.factors) == row.flagged
    flagged = report[report["flagged"]]
    assert len(flagged), "the demo's Mandarin gap between ethnic groups shows up in the top-10"
    assert flagged["factors"].str.contains("普通话（本组平均").any()
