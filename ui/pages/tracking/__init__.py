"""派遣与跟踪: departure batches (plan → review → confirm), placements by batch / employer / township
with each worker's timeline, follow-ups due and early-warning alerts.

Split by what it shows: ``batch_tab`` (派遣批次), ``people_tab`` (就业跟踪: people in work),
``followup_tab`` (待回访 and 风险预警), ``picker`` (加入岗位); ``common`` holds what they share. Forms are
``ui.forms.FormDialog``. Every write runs through ``Page.operate`` (ui/operations.py): off the GUI
thread, and announced so every page showing the records redraws."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from core.access import Actor
from core.i18n import UserError, tr
from db.changes import BATCH, EMPLOYER, PLACEMENT, SETTING, TRAINEE, VACANCY, Changes
from db.engine import Database
from ui.dialogs import show_error
from ui.forms import FormDialog
from ui.pages.tracking.batch_tab import BatchTab, plan_comparison
from ui.pages.tracking.followup_tab import FollowupTab
from ui.pages.tracking.people_tab import PeopleTab
from ui.pages.tracking.picker import VacancyPicker
from ui.permissions import gate

__all__ = ["FormDialog", "TrackingPage", "VacancyPicker", "plan_comparison"]


class TrackingPage(BatchTab, PeopleTab, FollowupTab):
    """Batches, placements, follow-ups due and alerts on four tabs."""

    shows = frozenset({BATCH, PLACEMENT, VACANCY, EMPLOYER, TRAINEE, SETTING})

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.last_dialog = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_batches_tab(), tr("派遣批次", "Batches"))
        self.tabs.addTab(self._build_placements_tab(), tr("就业跟踪", "Placements"))
        self.tabs.addTab(self._build_due_tab(), tr("待回访", "Follow-ups due"))
        self.tabs.addTab(self._build_alerts_tab(), tr("风险预警", "Alerts"))
        self.tabs.currentChanged.connect(self._load_tab)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)
        # The outcome of the last action, always on screen (refusals also pop up: they need reading).
        self.message = QLabel()
        self.message.setObjectName("action_message")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self._loaded = False
        # What the role lacks is disabled up front, saying who may (the services refuse it too).
        gate(actor, "batch.write", self.floor_spin, *(self._button(name) for name in (
            "btn_new_batch", "btn_edit_batch", "btn_add_vacancies", "btn_remove_vacancy", "btn_pin", "btn_forbid",
            "btn_replan", "btn_accept_plan", "btn_confirm", "btn_pairs_departed", "btn_pairs_on_job",
            "btn_edit_pair", "btn_reject", "btn_add_pair", "btn_confirm_many", "btn_departed", "btn_on_job", "btn_followup", "btn_skilled", "btn_end", "btn_replace", "btn_decline",
            "btn_due_followup", "btn_save_floor")))
        gate(actor, "matching.run", self.plan_btn)
        gate(actor, "print", self.print_btn)

    # --- common -----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        self._loaded = True
        # Follow-ups due and alerts scan every placement (about 2 s at 300,000): computed when
        # their tab is shown, not when the page opens.
        self._stale_tabs = {2, 3}
        try:
            self.reload_batches()
            self._reload_filters()
            self.apply_filters()
            self._load_tab(self.tabs.currentIndex())
        except UserError as exc:
            show_error(self, exc)

    def redraw(self, changes: Changes, origin: object) -> None:
        """Redraw what shows the changed records: batches, the filters' choices, the people, and the
        follow-up tabs (the one on screen now, the other when shown). Keeps selections; a plan in
        progress stays unless this page acted or its batch changed."""
        if not self._loaded:
            return  # the first showing reads everything
        if changes.everything:
            self.refresh()
            return
        try:
            if changes.touches(BATCH, VACANCY, PLACEMENT):
                current = self.current_batch_id()
                self._keep_plan = origin is not self and current not in changes.batch_ids
                try:
                    self.reload_batches(current)
                finally:
                    self._keep_plan = False
            if changes.touches(BATCH, EMPLOYER, TRAINEE, PLACEMENT):
                self._reload_filters()
            if changes.touches(PLACEMENT, TRAINEE, BATCH, EMPLOYER, VACANCY):
                self._after_change()
            elif changes.touches(SETTING):
                self._stale_tabs.add(3)
                self._load_tab(self.tabs.currentIndex())
        except UserError as exc:
            show_error(self, exc)

    def _load_tab(self, index: int) -> None:
        if index not in getattr(self, "_stale_tabs", set()):
            return
        self._stale_tabs.discard(index)
        try:
            if index == 2:
                self.reload_due()
            elif index == 3:
                self.reload_alerts()
        except UserError as exc:
            show_error(self, exc)

