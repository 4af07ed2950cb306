"""Searching the audit log (administrators only). Read-only: the app never rewrites the log.

Every filter value is a bound parameter and LIKE wildcards in the user's text are escaped, so
``%``, ``_``, quotes or ``'; DROP TABLE`` typed in the search box are just characters to look for.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from core.access import Actor, require
from core.i18n import UserError, tr
from core.vocab import status_label
from db import anchors
from db.audit import ChainReport, verify_all
from db.engine import Database
from db.models import AuditLog

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "login": ("登录", "Login"), "login_failed": ("登录失败", "Failed login"), "logout": ("退出登录", "Logout"),
    "create": ("新建", "Create"), "update": ("修改", "Update"), "delete": ("删除", "Delete"),
    "import": ("导入", "Import"), "export": ("导出", "Export"), "print": ("打印", "Print"),
    "print_full_id": ("打印完整身份证号", "Print with full ID numbers"),
    "backup": ("备份", "Backup"), "restore": ("恢复", "Restore"),
    "password_change": ("修改密码", "Password change"), "password_reset": ("重置密码", "Password reset"),
    "unlock": ("解锁账户", "Unlock account"), "demo": ("演示数据", "Demo data"),
    "export_full_id": ("导出完整身份证号", "Export with full ID numbers"), "enrol": ("编入培训班", "Enrol"),
    "graduate": ("结业", "Graduate"), "batch.create": ("新建批次", "Create batch"),
    "batch.update": ("修改批次", "Update batch"), "batch.add_vacancies": ("批次加入岗位", "Add vacancies to batch"),
    "batch.remove_vacancy": ("批次移出岗位", "Remove vacancy from batch"), "batch.propose": ("保存分配方案", "Save plan"),
    "placement.propose": ("拟派", "Propose"), "placement.confirm": ("确认派遣", "Confirm placement"),
    "placement.decline": ("放弃", "Decline"), "placement.edit": ("改派", "Change vacancy"),
    "placement.replace": ("重新安置", "Re-place"), "placement.followup": ("回访", "Follow-up"),
    "placement.skilled": ("转为职业工", "Became skilled"), "model.train": ("训练匹配模型", "Train matcher"),
    "setting.update": ("修改设置", "Change setting"), "stats.export": ("导出统计", "Export statistics"),
    "placement.departed": ("登记出发", "Departed"), "placement.on_job": ("登记到岗", "Arrived at work"),
    "placement.ended": ("登记离岗", "Left the job"), "placement.declined": ("放弃", "Decline"),
}


ENTITY_LABELS: dict[str, tuple[str, str]] = {
    "user": ("用户", "User"), "database": ("数据库", "Database"), "trainee": ("学员", "Trainee"),
    "trainees": ("学员名册", "Trainee roster"), "vacancies": ("岗位名册", "Vacancy roster"),
    "placements": ("就业台账", "Placement roster"), "employer": ("用人单位", "Employer"),
    "vacancy": ("岗位", "Vacancy"), "placement": ("就业记录", "Placement"), "batch": ("派遣批次", "Batch"),
    "cohort": ("培训班", "Cohort"), "certificate": ("证书", "Certificate"), "model_version": ("匹配模型", "Model"),
    "setting": ("设置", "Setting"), "rank": ("排序推荐", "Ranking"), "plan": ("分配方案", "Plan"),
    "stats": ("统计", "Statistics"), "placement_list": ("派遣名册", "Placement list"), "school": ("培训学校", "School"),
}


def entity_label(entity: str | None) -> str:
    pair = ENTITY_LABELS.get(entity or "")
    return tr(*pair) if pair else (entity or "")


def action_label(action: str) -> str:
    pair = ACTION_LABELS.get(action)
    return tr(*pair) if pair else action


@dataclass(frozen=True)
class AuditFilter:
    text: str = ""                 # in user name, entity, record id, detail, before/after
    action: str | None = None
    username: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None   # inclusive


COLUMNS = (AuditLog.id, AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.entity, AuditLog.entity_id,
           AuditLog.before, AuditLog.after, AuditLog.detail)


def _where(stmt: Select, flt: AuditFilter) -> Select:
    text = (flt.text or "").strip().lower()
    if text:
        stmt = stmt.where(or_(*(func.lower(func.coalesce(col, "")).contains(text, autoescape=True)
                                for col in (AuditLog.username, AuditLog.entity, AuditLog.entity_id,
                                            AuditLog.detail, AuditLog.before, AuditLog.after))))
    if flt.action:
        stmt = stmt.where(AuditLog.action == flt.action)
    if flt.username:
        stmt = stmt.where(func.lower(AuditLog.username) == flt.username.strip().lower())
    if flt.since:
        stmt = stmt.where(AuditLog.at >= dt.datetime.combine(flt.since, dt.time()))
    if flt.until:
        stmt = stmt.where(AuditLog.at < dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time()))
    return stmt


def count_entries(database: Database, actor: Actor, flt: AuditFilter) -> int:
    require(actor, "audit.read")
    with database.session() as session:
        return int(session.scalar(_where(select(func.count()).select_from(AuditLog), flt)) or 0)


def fetch_entries(database: Database, actor: Actor, flt: AuditFilter, offset: int = 0,
                  limit: int = 200) -> list[tuple]:
    """Newest first: (id, at, username, action, entity, entity_id, before, after, detail)."""
    require(actor, "audit.read")
    with database.session() as session:
        stmt = _where(select(*COLUMNS), flt).order_by(AuditLog.at.desc(), AuditLog.id.desc())
        return [tuple(r) for r in session.execute(stmt.offset(offset).limit(limit))]


def known_actions(database: Database, actor: Actor) -> list[str]:
    require(actor, "audit.read")
    with database.session() as session:
        return [a for a in session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)) if a]


def verify(database: Database, actor: Actor) -> ChainReport:
    """Recompute every link of the audit chain (intact, or the id of the first entry altered, removed or
    inserted behind the program's back), check its append-only triggers and the anchors this PC holds
    (a chain that lost its end or was re-hashed)."""
    require(actor, "audit.read")
    with database.engine.connect() as conn:
        return verify_all(conn, anchors.held(database.url))


def printed_code_holds(database: Database, actor: Actor, code: str) -> bool:
    """Whether a 审计校验码 printed on a list (entry id, first digits of its hash) is in this database's
    audit chain: a list printed before the log was cut or rewritten no longer matches."""
    require(actor, "audit.read")
    entry, _, digits = (code or "").strip().upper().partition("-")
    if not entry.isdigit() or len(digits) < 8:
        raise UserError(f"审计校验码格式不对：{code}（应为“编号-8位字符”，如 1234-3FA9C2D1）。",
                        f"Not an audit check code: {code} (write it as number-8 characters, e.g. 1234-3FA9C2D1).",
                        code=2)
    with database.engine.connect() as conn:
        report = verify_all(conn, anchors.held(database.url))
        found = conn.scalar(select(AuditLog.chain_hash).where(AuditLog.id == int(entry)))
    return report.broken_at is None and found is not None and found.upper().startswith(digits)


# Keys of the JSON details the services write, in words (the audit page shows sentences, not JSON).
DETAIL_KEYS: dict[str, tuple[str, str]] = {
    "file": ("文件", "file"), "rows": ("行数", "rows"), "proposals": ("拟派人数", "proposals"),
    "replaced": ("替换原拟派", "replaced"), "as_of": ("截至", "as of"), "from": ("起", "from"),
    "activated": ("已启用", "activated"), "auc": ("AUC", "AUC"), "version": ("版本", "version"),
    "kind": ("类型", "kind"), "inserted": ("新增", "inserted"), "updated": ("更新", "updated"),
    "rejected": ("拒收", "rejected"), "unchanged": ("未变", "unchanged"), "key": ("设置项", "setting"),
    "value": ("值", "value"), "old": ("原值", "old"), "new": ("新值", "new"),
    "wrong password": ("密码错误", "wrong password"), "locked": ("账户已锁定", "account locked"),
    "inactive": ("账户已停用", "account disabled"), "unknown user": ("用户名不存在", "unknown user name"),
    # 演示数据: what load_demo wrote
    "seed": ("随机种子", "seed"), "schools": ("培训学校", "schools"), "trainees": ("学员", "trainees"),
    "employers": ("用人单位", "employers"), "vacancies": ("岗位", "vacancies"),
    "open_vacancies": ("在招岗位", "open vacancies"), "placements": ("就业记录", "placements"),
    "events": ("跟踪事项", "events"), "batches": ("派遣批次", "batches"), "users": ("用户", "users"),
    # prints and exports of lists (db/services/lists.py), statistics, imports
    "list": ("名册", "list"), "output": ("输出", "output"), "full_numbers": ("完整证件号", "full numbers"),
    "columns": ("列", "columns"), "batch_id": ("批次编号", "batch id"), "employer_id": ("单位编号", "employer id"),
    "township": ("乡镇", "township"), "to": ("止", "to"), "path": ("保存位置", "saved to"),
    "data_rows": ("数据行", "data rows"),
}


def _word(value: object) -> str:
    if value is True:
        return tr("是", "yes")
    if value is False:
        return tr("否", "no")
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return "，".join(f"{_key(k)} {_word(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_word(v) for v in value)
    return str(value)


def _key(key: str) -> str:
    return tr(*DETAIL_KEYS[key]) if key in DETAIL_KEYS else key


# What db/services/backup.py writes: "sqlite: C:\\…\\x.sqlite3 (206 rows)[; confirmed by the administrator: …]".
_BACKUP_DETAIL = re.compile(r"^(?P<kind>[a-z_]+): (?P<file>.+) \((?P<rows>\d+) rows\)"
                            r"(?:; confirmed by the administrator: (?P<why>.*))?$", re.S)
BACKUP_KINDS: dict[str, tuple[str, str]] = {
    "sqlite": ("SQLite 数据库副本", "SQLite copy"), "pg_dump": ("PostgreSQL 转储", "PostgreSQL dump"),
    "export": ("数据导出", "data export"),
}


def _backup_detail(match: re.Match[str]) -> str:
    kind = tr(*BACKUP_KINDS[match["kind"]]) if match["kind"] in BACKUP_KINDS else match["kind"]
    rows = int(match["rows"])
    text = tr(f"{kind}：{match['file']}，{rows:,} 行", f"{kind}: {match['file']}, {rows:,} rows")
    if match["why"]:
        text += tr(f"；管理员已确认：{match['why']}", f"; confirmed by the administrator: {match['why']}")
    return text


def describe_entry(action: str, before: str | None, after: str | None, detail: str | None) -> str:
    """The 说明 of an entry: its detail in words, or for a status change "已确认 → 已出发"."""
    text = describe_detail(detail)
    if text:
        return text
    old, new = _json_field(before, "status"), _json_field(after, "status")
    if new is None:
        return ""
    if old is None and action == "placement.confirm":
        old = "proposed"  # core/placement.py: only a proposal can be confirmed
    return f"{status_label(old)} → {status_label(new)}" if old else f"→ {status_label(new)}"


def _json_field(raw: str | None, key: str) -> str | None:
    if not raw or not raw.strip().startswith("{"):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if value else None


def describe_detail(raw: str | None) -> str:
    """An entry's detail as a readable line: JSON written by a service becomes "文件 x.xlsx；行数 52"."""
    if not raw:
        return ""
    text = raw.strip()
    if text in DETAIL_KEYS:
        return tr(*DETAIL_KEYS[text])
    backup = _BACKUP_DETAIL.match(text)
    if backup:
        return _backup_detail(backup)
    if not text.startswith("{"):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    return tr("；", "; ").join(f"{_key(str(k))} {_word(v)}" for k, v in data.items())
