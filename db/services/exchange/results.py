"""What an import found: each row's issues and the counts, for the report and the wizard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.i18n import tr
from db.changes import ALL_TABLES, BATCH, EMPLOYER, HOUSEHOLD, PLACEMENT, TRAINEE, VACANCY, Changes
from db.services.exchange.columns import KIND_LABELS

# What each kind of import can change, as the pages see it (employers are created by vacancy rows).
IMPORT_TOUCHES = {"trainees": (TRAINEE, PLACEMENT), "vacancies": (EMPLOYER, VACANCY, BATCH),
                  "placements": (PLACEMENT, VACANCY, BATCH, EMPLOYER),
                  # a member linked to a trainee changes the trainee's priority (rankings, lists)
                  "household_members": (HOUSEHOLD, TRAINEE), "household_work": (HOUSEHOLD,)}

# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowIssue:
    row: int          # as Excel shows it (1-based, counting title rows)
    column: str       # the header as written in the file ('' when the whole row is meant)
    value: str
    reason: str
    severity: str = "error"  # error (row rejected) / warning (row imported)


@dataclass
class ImportResult:
    kind: str
    path: str
    dry_run: bool = False
    header_row: int = 0
    data_rows: int = 0
    duplicate_rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created: dict[str, int] = field(default_factory=dict)  # e.g. schools / employers created
    unknown_columns: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def changes(self) -> Changes:
        """Nothing for a trial run; else the rows of its kind and what shows them."""
        if self.dry_run or not (self.inserted or self.updated or self.created):
            return Changes()
        return Changes.of(*IMPORT_TOUCHES.get(self.kind, ALL_TABLES))

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({i.row for i in self.errors})

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected_rows else 0

    def summary(self) -> str:
        zh_kind, en_kind = KIND_LABELS[self.kind]
        verb_zh = "预览" if self.dry_run else "导入"
        verb_en = "Preview of" if self.dry_run else "Imported"
        zh = (f"{verb_zh}{zh_kind}：数据 {self.data_rows} 行，新增 {self.inserted}，更新 {self.updated}，"
              f"未变 {self.unchanged}，重复行 {self.duplicate_rows}（只计一次），拒绝 {len(self.rejected_rows)} 行，"
              f"警告 {len(self.warnings)} 条。")
        en = (f"{verb_en} {en_kind.lower()}: {self.data_rows} data rows, {self.inserted} new, {self.updated} updated, "
              f"{self.unchanged} unchanged, {self.duplicate_rows} duplicate rows (counted once), "
              f"{len(self.rejected_rows)} rejected, {len(self.warnings)} warnings.")
        created = {"schools": ("培训学校", "schools"), "employers": ("用人单位", "employers"),
                   "training_records": ("培训记录", "training records")}
        for key, n in self.created.items():
            if n:
                zh += f"新建{created.get(key, (key, key))[0]} {n} 个。"
                en += f" {n} new {created.get(key, (key, key))[1]}."
        if self.unknown_columns:
            zh += f"未识别的列（已忽略）：{'、'.join(self.unknown_columns)}。"
            en += f" Unknown columns (ignored): {', '.join(self.unknown_columns)}."
        return tr(zh, en)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "header_row": self.header_row,
                "data_rows": self.data_rows, "duplicate_rows": self.duplicate_rows, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "created": self.created,
                "rejected_rows": self.rejected_rows, "unknown_columns": self.unknown_columns,
                "issues": [i.__dict__ for i in self.issues]}
