"""Households under poverty monitoring (issue #18): the monitoring system's member export and monthly
work table, the monthly 务工规模 report, alerts and subsidies. Rules live in core/households.py."""

from db.services.households.alerts import compute_alerts, wage_per_head
from db.services.households.members import HouseholdImport, import_members
from db.services.households.report import MonthlyReport, export_xlsx
from db.services.households.report import compute as monthly_report
from db.services.households.work import import_work

__all__ = ["HouseholdImport", "compute_alerts", "wage_per_head", "MonthlyReport", "export_xlsx", "import_members", "import_work", "monthly_report"]
