"""LaborBridge 劳务协作桥 — run bare for the GUI, or with a subcommand to do the same jobs headless."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from core import i18n
from core.i18n import UserError, tr

Handler = Callable[[argparse.Namespace], int]
HANDLERS: dict[str, Handler] = {}


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes in one clear sentence (exit 2), in the user's language."""

    def error(self, message: str) -> NoReturn:
        if "invalid choice" in message:
            choice = message.split("'")[1] if "'" in message else message
            message = tr(f"未知命令“{choice}”。可用命令：{', '.join(HANDLERS)}",
                         f"Unknown command '{choice}'. Available: {', '.join(HANDLERS)}")
        else:
            message = tr(f"命令参数有误：{message}", f"Invalid arguments: {message}")
        self.exit(2, f"{self.prog}: {message}\n")


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return register


# Databases a command opened: closed when it ends, so no pooled connection outlives its command.
_opened: list = []


def open_db(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from db.engine import open_database
    database = open_database(args.db)
    _opened.append(database)
    return database


def _close_opened() -> None:
    while _opened:
        _opened.pop().dispose()


def actor_from_args(args: argparse.Namespace, database, *, changing_password: bool = False):  # type: ignore[no-untyped-def]
    """The Actor a CLI command runs as: ``--user NAME`` with the password from LABORBRIDGE_PASSWORD or
    a prompt; SYSTEM while the database has no user yet (open until its administrator is created).
    An account that must change its password may only do that (``users passwd``)."""

    from db.services.users import actor_for, has_users

    username = getattr(args, "user", None) or None
    password = None
    if username and has_users(database):
        password = ask_password("LABORBRIDGE_PASSWORD", f"用户 {username} 的密码：", f"Password for {username}: ")
    return actor_for(database, username, password, allow_must_change=changing_password)


def ask_password(env: str, prompt_zh: str, prompt_en: str) -> str:
    """The password from ``env``, else typed at the terminal; a clear refusal when there is none."""
    import os

    password = os.environ.get(env)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise UserError(f"请在 {env} 中提供密码（没有可输入密码的终端）。",
                        f"Give the password in {env} (there is no terminal to type it).", code=1)
    import getpass
    return getpass.getpass(tr(prompt_zh, prompt_en))


def full_ids_in_json(database, actor, rows: list[dict], what: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """ID numbers leaving as JSON: masked for a role without ``print.full_id``; for one with it, full
    and audited like an export."""
    from core.fields import mask_id

    with_ids = [r for r in rows if r.get("id_number")]
    if not with_ids:
        return rows
    if not actor.can("print.full_id"):
        return [{**r, "id_number": mask_id(str(r["id_number"]))} if r.get("id_number") else r for r in rows]
    from db import audit

    with database.session() as session:
        audit.record(session, actor, "export_full_id", what, None,
                     detail=f"{what} --json: {len(with_ids)} full ID numbers")
    return rows


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


# --- demo -----------------------------------------------------------------------------------------

@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from core.access import SYSTEM
    from db import queries
    from db.services import demo
    from db.services.users import create_demo_accounts

    database = open_db(args)
    with database.session() as session:
        empty = queries.is_empty(session)
    # A database with trainees is refused by load_demo with its own message, whoever asks.
    actor = actor_from_args(args, database) if empty else SYSTEM
    if actor.user_id is not None:
        from core.access import require
        require(actor, "users.manage")  # demo data comes with accounts: an administrator's job
    counts = demo.load_demo(database, trainees=args.trainees, seed=args.seed)
    accounts = create_demo_accounts(database, actor)
    print(tr(f"演示数据已生成：学员 {counts['trainees']} 人，用人单位 {counts['employers']} 家，"
             f"岗位 {counts['vacancies']} 个（在招 {counts['open_vacancies']} 个），就业记录 {counts['placements']} 条。",
             f"Demo data created: {counts['trainees']} trainees, {counts['employers']} employers, "
             f"{counts['vacancies']} vacancies ({counts['open_vacancies']} open), {counts['placements']} placements."))
    # the demo ends with the learned matcher at work, as a county with this history would train it
    print(demo.train_on_demo(database, actor))
    if accounts:
        from core.vocab import ROLE_LABELS
        print(tr("演示账户（首次登录时须修改密码；命令行：users passwd）：",
                 "Demo accounts (each must change its password at the first login; CLI: users passwd):"))
        for username, role, password in accounts:
            print(f"  {username:<8} {password}  {tr(*ROLE_LABELS[role])}")
    return 0


# --- users, backup, restore ---------------------------------------------------------------------

@command("backup")
def cmd_backup(args: argparse.Namespace) -> int:
    from db.services import backup

    database = open_db(args)
    info = backup.create_backup(database, actor_from_args(args, database), args.out,
                                use_pg_dump=not args.no_pg_dump)
    print(tr(f"备份完成：{info.path}（{info.kind}，{info.total_rows} 行）",
             f"Backup written: {info.path} ({info.kind}, {info.total_rows} rows)"))
    return 0


@command("restore")
def cmd_restore(args: argparse.Namespace) -> int:
    from db.services import backup

    database = open_db(args)
    report = backup.restore_backup(database, actor_from_args(args, database), args.file, force=args.force)
    print(tr(f"恢复完成并已校验：{len(report.tables)} 张表共 {report.total_rows} 行；审计日志校验通过。"
             + (f"恢复前的数据已另存为 {report.safety_copy}" if report.safety_copy else ""),
             f"Restored and verified: {report.total_rows} rows in {len(report.tables)} tables; audit log verified."
             + (f" The data from before was saved as {report.safety_copy}" if report.safety_copy else "")))
    return 0


@command("audit")
def cmd_audit(args: argparse.Namespace) -> int:
    """audit verify: exit 0 when the chain, its triggers and this PC's anchors agree, else 1 saying what broke."""
    from db.services import audit_search

    database = open_db(args)
    actor = actor_from_args(args, database)
    if args.code:
        if audit_search.printed_code_holds(database, actor, args.code):
            print(tr(f"审计校验码 {args.code} 与本数据库的审计日志相符。",
                     f"The audit check code {args.code} matches this database's audit log."))
            return 0
        print(tr(f"审计校验码 {args.code} 与本数据库的审计日志不符：打印之后日志被删改过，或名单不是出自本数据库。",
                 f"The audit check code {args.code} does not match this database's audit log: the log was cut or "
                 "rewritten after the list was printed, or the list comes from another database."), file=sys.stderr)
        return 1
    report = audit_search.verify(database, actor)
    if report.intact:
        print(report.message())
        return 0
    print(report.message(), file=sys.stderr)
    return 1


@command("users")
def cmd_users(args: argparse.Namespace) -> int:

    from db.services import users

    database = open_db(args)
    if args.action == "create-admin":
        password = ask_password("LABORBRIDGE_NEW_PASSWORD", "新管理员的密码：", "Password of the new administrator: ")
        users.create_first_admin(database, args.name or "", password)
        print(tr(f"管理员 {args.name} 已创建。", f"Administrator {args.name} created."))
        return 0
    actor = actor_from_args(args, database, changing_password=args.action == "passwd")
    if args.action == "list":
        rows = users.list_users(database, actor)
        print_json([{"username": u.username, "role": u.role, "school": u.school_name, "active": u.active,
                     "locked": u.locked, "must_change_password": u.must_change_password} for u in rows])
        return 0
    if args.action == "passwd":
        old = ask_password("LABORBRIDGE_PASSWORD", "当前密码：", "Current password: ")
        new = ask_password("LABORBRIDGE_NEW_PASSWORD", "新密码：", "New password: ")
        users.change_password(database, actor, old, new)
        print(tr("密码已修改。", "Password changed."))
        return 0
    raise UserError(f"未知操作“{args.action}”。", f"Unknown action '{args.action}'.", code=2)


# --- import / export (registry) -------------------------------------------------------------------

@command("import")
def cmd_import(args: argparse.Namespace) -> int:
    """Exit 0 all rows in, 1 some rows rejected, 2 unusable file."""
    from db.services.exchange import import_roster, write_report

    database = open_db(args)
    result = import_roster(database, args.kind, args.file, actor_from_args(args, database))
    print(result.summary())
    for issue in result.issues[:50]:
        kind = tr("拒绝", "rejected") if issue.severity == "error" else tr("警告", "warning")
        print(tr(f"  第 {issue.row} 行 [{issue.column}] {kind}：{issue.reason}",
                 f"  row {issue.row} [{issue.column}] {kind}: {issue.reason}"))
    if len(result.issues) > 50:
        print(tr(f"  ……另有 {len(result.issues) - 50} 条，见报告", f"  … {len(result.issues) - 50} more, see the report"))
    if args.report:
        try:
            write_report(result, args.report)
        except OSError as exc:
            raise UserError(f"无法写入报告 {args.report}：{exc}", f"Cannot write the report {args.report}: {exc}",
                            code=1) from None
        print(tr(f"报告已写入 {args.report}", f"Report written to {args.report}"))
    return result.exit_code


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    from db.services.exchange.export import export_roster

    database = open_db(args)
    n = export_roster(database, args.kind, args.out, actor_from_args(args, database))
    print(tr(f"已导出 {n} 行到 {args.out}", f"Exported {n} rows to {args.out}"))
    return 0


# --- stats ----------------------------------------------------------------------------------------

@command("stats")
def cmd_stats(args: argparse.Namespace) -> int:
    """The statistics page from the command line: figures as JSON or text, the workbook with --xlsx."""
    from core.fields import date_field
    from db.services import stats

    start = date_field(args.date_from, "统计起始日期", "start date", required=False)
    end = date_field(args.date_to, "统计截止日期", "end date", required=False)
    database = open_db(args)
    result = stats.compute(database, actor=actor_from_args(args, database), today=end, start=start)
    if args.xlsx:
        stats.export_xlsx(database, args.xlsx, actor=actor_from_args(args, database), stats=result)
        print(tr(f"已导出统计（{result.period_text()}）到 {args.xlsx}",
                 f"Statistics ({result.period_text()}) written to {args.xlsx}"), file=sys.stderr)
    if args.json:
        def clean(v: object) -> object:
            return None if isinstance(v, float) and v != v else v
        print_json({"from": result.start, "to": result.today,
                    "overview": {k: clean(result.overview.get(k)) for k in stats.METRICS},
                    "upward": [{k: clean(v) for k, v in row.items()} for row in result.upward.to_dict("records")],
                    "upward_totals": {k: clean(v) for k, v in result.upward_totals.items()}})
    elif not args.xlsx:
        print(tr(f"统计期：{result.period_text()}", f"Period: {result.period_text()}"))
        for key in stats.METRICS:
            print(f"{stats.metric_label(key)}\t{stats.format_metric(key, result.overview.get(key))}")
    return 0


# --- households under monitoring -------------------------------------------------------------------

def _month_arg(text: str | None) -> dt.date | None:
    from core.fields import FieldError
    from core.households import check_report_month

    if text is None:
        return None
    try:
        return check_report_month(text)
    except FieldError as exc:
        raise UserError(str(exc), str(exc), code=2) from None


def _print_issues(issues: list, limit: int = 50) -> None:
    for issue in issues[:limit]:
        kind = tr("拒绝", "rejected") if issue.severity == "error" else tr("警告", "warning")
        print(tr(f"  第 {issue.row} 行 [{issue.column}] {kind}：{issue.reason}",
                 f"  row {issue.row} [{issue.column}] {kind}: {issue.reason}"), file=sys.stderr)
    if len(issues) > limit:
        print(tr(f"  ……另有 {len(issues) - limit} 条，见报告", f"  … {len(issues) - limit} more, see the report"),
              file=sys.stderr)


@command("households")
def cmd_households(args: argparse.Namespace) -> int:
    """import / import-work (exit 0 all rows in, 1 some rejected, 2 unusable file), report, alerts."""
    from db.services import households
    from db.services.exchange import write_report

    if args.action in ("import", "import-work") and not args.file:
        raise UserError(f"用法：households {args.action} 文件", f"Usage: households {args.action} FILE", code=2)
    if args.action == "report" and not args.month:
        raise UserError("请用 --month YYYY-MM 指定月份", "Give the month with --month YYYY-MM", code=2)
    month = _month_arg(args.month)
    database = open_db(args)
    actor = actor_from_args(args, database)
    if args.action in ("import", "import-work"):
        if args.action == "import":
            done = households.import_members(database, args.file, actor)
            result, summary, data = done.result, done.summary(), done.to_json()
        else:
            result = households.import_work(database, args.file, actor)
            summary = result.summary()
            data = {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged,
                    "errors": [{"row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
                               for i in result.errors]}
        if args.report:
            write_report(result, args.report)
        if args.json:
            print_json(data)
        else:
            print(summary)
        _print_issues(result.issues)
        return result.exit_code
    if args.action == "report":
        assert month is not None
        report = households.monthly_report(database, actor, month, by=args.by)
        if args.xlsx:
            households.export_xlsx(database, actor, report, args.xlsx)
            print(tr(f"已导出 {month:%Y年%m月} 务工规模到 {args.xlsx}", f"Report for {month:%Y-%m} written to {args.xlsx}"),
                  file=sys.stderr)
        if args.json:
            print_json(report.to_json())
        elif not args.xlsx:
            from db.services.households.report import KEYS, label

            # by village, the village is a column of its own (the township alone repeats on every line)
            places = ["township", "village"] if args.by == "village" else ["township"]
            heads = [tr("乡镇", "Township"), tr("村", "Village")][:len(places)]
            print("\t".join([*heads, *(label(k) for k in KEYS)]))
            for row in report.table.to_dict("records"):
                print("\t".join([*(str(row[p]) for p in places), *(str(row[k]) for k in KEYS)]))
            print("\t".join([tr("合计", "Total"), *([""] * (len(places) - 1)), *(str(report.total[k]) for k in KEYS)]))
        return 0
    return _households_alerts(args, database, actor)


def _households_alerts(args: argparse.Namespace, database, actor) -> int:  # type: ignore[no-untyped-def]
    from db.services.households import compute_alerts

    today = None
    if args.month:
        month = _month_arg(args.month)
        assert month is not None
        today = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    alerts = compute_alerts(database, actor, today=today)
    if args.json:
        print_json([{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                    for row in alerts.to_dict("records")])
        return 0
    for record in alerts.to_dict("records"):
        # a township's alert has no village, household or head: those cells are NaN, not text
        row = {k: ("" if isinstance(v, float) and v != v or v is None else v) for k, v in record.items()}
        where = "".join(str(x) for x in (row["township"], row["village"]) if x)
        who = f"{row['household_code']} {row['head']}" if row["household_code"] else ""
        print(f"{row['kind_label']}\t{where}\t{who}\t{row['detail']}")
    print(tr(f"共 {len(alerts)} 条", f"{len(alerts)} alerts"), file=sys.stderr)
    return 0


@command("subsidies")
def cmd_subsidies(args: argparse.Namespace) -> int:
    """``subsidies due``: placements that reached a subsidy rule's months on the job by the month's end."""
    from core.fields import mask_id
    from core.households import SUBSIDY_KINDS
    from db.services.households import subsidies

    month = _month_arg(args.month) or dt.date.today().replace(day=1)
    database = open_db(args)
    actor = actor_from_args(args, database)
    if args.record:
        n = subsidies.record_due(database, actor, month)
        print(tr(f"已登记 {n} 条符合条件的补贴申领", f"{n} eligible claims entered in the ledger"), file=sys.stderr)
    frame = subsidies.due(database, actor, month)
    rows = [{**r, "id_number": mask_id(r["id_number"]), "status_label": subsidies.status_label(r["status"]),
             "claim_id": None if r["claim_id"] != r["claim_id"] else r["claim_id"]}
            for r in frame.to_dict("records")]
    if args.xlsx:
        subsidies.publicity_list(database, actor, args.xlsx)
        print(tr(f"公示名单已写入 {args.xlsx}", f"Publicity list written to {args.xlsx}"), file=sys.stderr)
    if args.json:
        print_json({"month": f"{month:%Y-%m}", "due": rows, "total": int(frame["amount"].sum()) if len(frame) else 0})
    else:
        for r in rows:
            kind = tr(*SUBSIDY_KINDS[r["kind"]]) if r["kind"] in SUBSIDY_KINDS else r["kind"]
            print(f"{r['due_on']}\t{r['name']}\t{r['id_number']}\t{r['employer']}\t{kind}\t{r['amount']}\t"
                  f"{r['status_label']}")
        print(tr(f"共 {len(rows)} 条", f"{len(rows)} due"), file=sys.stderr)
    return 0


# --- print-list -----------------------------------------------------------------------------------

@command("print-list")
def cmd_print_list(args: argparse.Namespace) -> int:
    from ui.printing.cli import print_list

    database = open_db(args)
    return print_list(args, database, actor_from_args(args, database))


# --- matching -------------------------------------------------------------------------------------

@command("train")
def cmd_train(args: argparse.Namespace) -> int:
    from db.services import matching as matching_service

    database = open_db(args)
    result = matching_service.train(database, actor_from_args(args, database))
    print(result["message"], file=sys.stderr)
    print_json(result["metrics"])
    return 0


@command("rank")
def cmd_rank(args: argparse.Namespace) -> int:
    from core.fields import mask_id
    from db.services import matching as matching_service

    def ms_fairness(groups: list[str]) -> str | None:
        return matching_service.fairness_sentence(groups) if groups else None

    if args.top is not None and args.top < 1:
        raise UserError("--top 必须是正整数", "--top must be a positive whole number", code=2)
    database = open_db(args)
    actor = actor_from_args(args, database)
    if args.vacancy:
        result = matching_service.rank_vacancy(database, args.vacancy, args.top, actor=actor)
        rows = [{"id_number": r.id_number, "name": r.name, "score": round(float(r.score), 4),
                 "skilled_score": _probability(r.skilled_score),
                 "priority": float(r.priority), "reasons": list(r.reasons)} for r in result.ranked.itertuples()]
    else:
        result = matching_service.rank_trainee(database, args.trainee, args.top, actor=actor)
        rows = [{"vacancy_code": r.vacancy_code, "name": r.title, "employer": r.employer_name,
                 "score": round(float(r.score), 4), "skilled_score": _probability(r.skilled_score),
                 "priority": float(r.priority), "reasons": list(r.reasons)}
                for r in result.ranked.itertuples()]
    if result.skilled_note:  # a blank P(skilled) says why, on every row that has none
        for row in rows:
            if row["skilled_score"] is None:
                row["skilled_note"] = result.skilled_note
    if result.model.warning:
        print(result.model.warning, file=sys.stderr)
    if args.json:
        print_json(full_ids_in_json(database, actor, rows, "rank"))
        for line in [result.message, ms_fairness(result.fairness)]:
            if line:
                print(line, file=sys.stderr)
        return 0
    print(tr("评分方式：", "Scoring: ") + result.model.describe())
    for line in [result.message, ms_fairness(result.fairness), result.skilled_note if rows else None]:
        if line:
            print(line)
    for i, row in enumerate(rows, 1):
        who = f"{row['name']} {mask_id(row['id_number'])}" if "id_number" in row else \
            f"{row['vacancy_code']} {row['name']}（{row['employer']}）"
        extra = tr(f"  优先 +{row['priority']:.2f}", f"  priority +{row['priority']:.2f}") if row["priority"] else ""
        skilled = "" if row["skilled_score"] is None else \
            f"  {tr('转职业工概率', 'P(skilled, 12 months)')} {row['skilled_score']:.0%}"
        print(f"{i:>3}. {who}  {tr('稳岗概率', 'P(180 days)')} {row['score']:.0%}{skilled}{extra}")
        for reason in row["reasons"]:
            print(f"       · {reason}")
    return 0


def _probability(value: object) -> float | None:
    """A probability for JSON: rounded, None when there is none (no learned model for it)."""
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else round(number, 4)


# --- batches --------------------------------------------------------------------------------------

@command("plan")
def cmd_plan(args: argparse.Namespace) -> int:
    """The optimal assignment for a batch (or vacancy codes); prints it, writes nothing."""
    from core.fields import mask_id
    from db.services import batches

    codes = [c for c in (args.vacancies or "").replace("，", ",").split(",") if c.strip()]
    if not codes and not args.batch:
        raise UserError("请用 --vacancies 给出岗位编号，或用 --batch 给出批次名称。",
                        "Give vacancy codes with --vacancies or a batch name with --batch.", code=2)
    database = open_db(args)
    actor = actor_from_args(args, database)
    result = batches.plan(database, args.batch, codes or None, actor=actor)
    for note in result.notes:
        print(note, file=sys.stderr)
    if args.json:
        data = result.to_json()
        data["pairs"] = full_ids_in_json(database, actor, data["pairs"], "plan")
        print_json(data)
        return 0
    gain = result.expected_retained - result.greedy_expected_retained
    print(tr(f"名额 {result.seats} 个，符合条件的候选人 {result.candidates} 人，分配 {len(result.pairs)} 人。",
             f"{result.seats} seats, {result.candidates} eligible candidates, {len(result.pairs)} assigned."))
    print(tr(f"预计 180 天稳岗 {result.expected_retained:.1f} 人；贪心基线 {result.greedy_expected_retained:.1f} 人（{gain:+.1f}）。",
             f"Expected retained at 180 days: {result.expected_retained:.1f}; greedy baseline "
             f"{result.greedy_expected_retained:.1f} ({gain:+.1f})."))
    if result.priority_line():
        print(result.priority_line() + tr("。", "."))
    if result.manual_expected_retained is not None:
        print(tr(f"批次现有名单（{result.manual_pairs} 人）预计稳岗 {result.manual_expected_retained:.1f} 人。",
                 f"The batch's current list ({result.manual_pairs}) expects {result.manual_expected_retained:.1f}."))
    for code, group in result.pairs.groupby("vacancy_code", sort=True):
        print(f"\n{code}  {group['employer'].iloc[0]}  {group['title'].iloc[0]}")
        for r in group.itertuples():
            extra = tr(f"  优先 +{r.priority:.2f}", f"  priority +{r.priority:.2f}") if r.priority else ""
            print(f"   {r.name} {mask_id(r.id_number)}  {tr('稳岗概率', 'P(180 days)')} {r.score:.0%}{extra}")
    return 0


# --- departure batches ----------------------------------------------------------------------------

@command("batch")
def cmd_batch(args: argparse.Namespace) -> int:
    """``batch list|new|show|add|remove``: departure batches through the same services as the GUI."""
    from core.access import PermissionDenied

    if args.action != "list" and not (args.name or "").strip():
        raise UserError(f"请给出批次名称：batch {args.action} 批次名称 …", f"Give the batch name: batch {args.action} NAME …",
                        code=2)
    database = open_db(args)
    actor = actor_from_args(args, database)
    try:
        return _BATCH_ACTIONS[args.action](args, database, actor)
    except PermissionDenied:
        raise
    except UserError as exc:  # refused input: one sentence, exit 2, nothing was changed
        raise UserError(exc.zh, exc.en, code=2) from None


def _batch_list(args: argparse.Namespace, database, actor) -> int:  # type: ignore[no-untyped-def]
    from core.access import require
    from db.services import batches

    require(actor, "registry.read")
    frame = batches.list_batches(database)
    def text(value: object) -> object:
        return None if value is None or value != value else value  # NaN (an empty cell) → null

    rows = [{"name": r.name, "departure_date": text(r.departure_date), "destination": text(r.destination),
             "escort": text(r.escort),
             "status": r.status, "vacancies": int(r.vacancies), "seats": int(r.seats),
             "proposed": int(r.proposed), "confirmed": int(r.confirmed)} for r in frame.itertuples()]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(tr("还没有派遣批次。", "There is no departure batch yet."))
    for r in rows:
        print(tr(f"{r['name']}  出发 {r['departure_date'] or '未定'}  岗位 {r['vacancies']} 个 / 名额 {r['seats']} 个  "
                 f"拟派 {r['proposed']} 人  已确认 {r['confirmed']} 人",
                 f"{r['name']}  departs {r['departure_date'] or 'not set'}  {r['vacancies']} vacancies / "
                 f"{r['seats']} seats  {r['proposed']} proposed  {r['confirmed']} confirmed"))
    return 0


def _batch_new(args: argparse.Namespace, database, actor) -> int:  # type: ignore[no-untyped-def]
    from db.services import batches

    batches.create_batch(database, actor, name=args.name or "", departure_date=args.departure)
    print(tr(f"已新建派遣批次“{args.name.strip()}”。", f"Created the departure batch '{args.name.strip()}'."))
    return 0


def _batch_show(args: argparse.Namespace, database, actor) -> int:  # type: ignore[no-untyped-def]
    from core.vocab import status_label
    from db.services import batches

    row, people = batches.batch_people(database, actor, args.name)
    records = [{"name": r.name, "id_number": r.id_number, "vacancy_code": r.vacancy_code, "employer": r.employer,
                "status": r.status, "override_reason": r.override_reason or None} for r in people.itertuples()]
    if args.json:
        print_json({"name": row.name, "departure_date": row.departure_date, "destination": row.destination,
                    "escort": row.escort, "status": row.status, "people": records})
        return 0
    print(tr(f"{row.name}  出发 {row.departure_date or '未定'}  {len(records)} 人",
             f"{row.name}  departs {row.departure_date or 'not set'}  {len(records)} people"))
    for r in records:
        mark = tr(f"  ※破例加入：{r['override_reason']}", f"  ※ by exception: {r['override_reason']}") \
            if r["override_reason"] else ""
        print(f"   {r['name']} {r['id_number']}  {r['vacancy_code']}  {r['employer']}  "
              f"{status_label(str(r['status']))}{mark}")
    return 0


def _batch_add(args: argparse.Namespace, database, actor) -> int:  # type: ignore[no-untyped-def]
    from db.services import batches

    if not args.trainee or not args.vacancy:
        raise UserError("用法：batch add 批次名称 --trainee 身份证号 --vacancy 岗位编号 [--override 原因]",
                        "Usage: batch add NAME --trainee ID --vacancy CODE [--override REASON]", code=2)
    from db.services.placements import NotEligible

    try:
        batches.add_proposal(database, actor, args.name, args.trainee, args.vacancy, override=args.override)
    except NotEligible as exc:
        hint = actor.can("placement.override")
        raise UserError(exc.zh.rstrip("。") + ("；如确需破例加入，请加 --override 并写明原因。" if hint else "。"),
                        exc.en.rstrip(".") + ("; to place them by exception, add --override with the reason."
                                              if hint else "."), code=2) from None
    extra = tr("（破例加入，原因已记录）", " (by exception; the reason is recorded)") if args.override else ""
    name = _batch_name(database, args.name)
    print(tr(f"已加入批次“{name}”的拟派名单，岗位 {args.vacancy.strip()}{extra}。",
             f"Proposed for vacancy {args.vacancy.strip()} in the batch '{name}'{extra}."))
    return 0


def _batch_remove(args: argparse.Namespace, database, actor) -> int:  # type: ignore[no-untyped-def]
    from db.services import batches

    if not args.trainee:
        raise UserError("用法：batch remove 批次名称 --trainee 身份证号", "Usage: batch remove NAME --trainee ID", code=2)
    batches.remove_proposal(database, actor, args.name, args.trainee)
    name = _batch_name(database, args.name)
    print(tr(f"已从批次“{name}”的拟派名单中移出。", f"Removed from the proposals of the batch '{name}'."))
    return 0


def _batch_name(database, given: str) -> str:  # type: ignore[no-untyped-def]
    """The full name of the batch a unique part of its name found, so the clerk reads which one was changed."""
    from db.queries.lookup import find_batch

    with database.session() as session:
        return str(find_batch(session, given).name)


_BATCH_ACTIONS = {"list": _batch_list, "new": _batch_new, "show": _batch_show, "add": _batch_add,
                  "remove": _batch_remove}


# --- bureau-wide settings -------------------------------------------------------------------------

@command("settings")
def cmd_settings(args: argparse.Namespace) -> int:
    """``settings``: every bureau-wide key with value and default; ``settings set KEY VALUE`` (by the
    permission each key declares in core.settings_schema)."""
    from core.settings_schema import BY_KEY, range_text, shown
    from db.services import settings

    if args.action is None and (args.key or args.value):
        raise UserError("用法：settings 或 settings set 键 值", "Usage: settings, or settings set KEY VALUE", code=2)
    if args.action == "set":
        if args.key is None or args.value is None:
            raise UserError("用法：settings set 键 值（例如 settings set policy.priority.monitored 0.1）",
                            "Usage: settings set KEY VALUE (e.g. settings set policy.priority.monitored 0.1)", code=2)
        settings.check(args.key, args.value)  # a bad key or value: one sentence before anything else
        database = open_db(args)
        value = settings.set_value(database, actor_from_args(args, database), args.key, args.value)
        text = shown(BY_KEY[args.key], value)
        print(tr(f"已设置 {args.key} = {text}（全局设置，所有办公室一致）。",
                 f"Set {args.key} = {text} (bureau-wide, the same for every office)."))
        return 0
    database = open_db(args)
    rows = settings.describe(database)
    if args.json:
        print_json(rows)
        return 0
    width = max(len(str(r["key"])) for r in rows)
    for r in rows:
        spec = BY_KEY[str(r["key"])]
        unit = f" {r['unit']}" if r["unit"] else ""
        bounds = f", {range_text(spec)}" if range_text(spec) else ""
        print(f"{str(r['key']):<{width}}  {shown(spec, r['value']) or '—'}{unit}  "
              f"({tr('默认', 'default')} {shown(spec, r['default']) or '—'}{bounds})  {r['label']}")
    return 0


def build_parser() -> Parser:
    parser = Parser(prog="main.py", description=tr("劳务协作桥：不带参数运行打开图形界面。",
                                                  "LaborBridge: run without arguments to open the GUI."))
    parser.add_argument("--db", metavar="URL", help=tr("数据库地址（默认：用户数据文件夹中的 SQLite 文件）",
                                                       "database URL (default: SQLite file in the user data folder)"))
    parser.add_argument("--lang", choices=["zh", "en"], help=tr("界面语言", "language of messages"))
    parser.add_argument("--user", metavar="NAME",
                        help=tr("以该用户身份执行（密码从提示或 LABORBRIDGE_PASSWORD 读取）",
                                "act as this user (password from a prompt or LABORBRIDGE_PASSWORD)"))
    parser.add_argument("--self-test", action="store_true",
                        help=tr("自检：在临时文件夹中建库、生成演示数据、排序推荐、输出 PDF，打印 JSON 摘要",
                                "self-test: build a demo database in a temp folder, rank, write a PDF, print JSON"))
    parser.add_argument("--startup-probe", action="store_true",
                        help=tr("启动测速：主窗口显示后立即退出并打印用时",
                                "start-up timing: exit once the main window is shown, print the time"))
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    p = sub.add_parser("demo", help=tr("生成演示数据", "fill the database with demo data"))
    p.add_argument("--trainees", type=int, default=3000)
    p.add_argument("--seed", type=int, default=2025)

    p = sub.add_parser("import", help=tr("导入名册", "import a roster"))
    p.add_argument("kind", choices=["trainees", "vacancies", "placements"])
    p.add_argument("file")
    p.add_argument("--report", metavar="OUT.xlsx")

    p = sub.add_parser("export", help=tr("导出名册", "export a roster"))
    p.add_argument("kind", choices=["trainees", "vacancies", "placements"])
    p.add_argument("out")

    sub.add_parser("train", help=tr("训练匹配模型", "train the matcher"))

    p = sub.add_parser("rank", help=tr("排序推荐", "rank trainees or vacancies"))
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--vacancy", metavar="CODE")
    target.add_argument("--trainee", metavar="ID_NUMBER")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("plan", help=tr("派遣批次最优分配", "plan a departure batch"))
    p.add_argument("--vacancies", metavar="CODE[,CODE…]")
    p.add_argument("--batch", metavar="NAME")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("batch", help=tr("派遣批次：list 列表、new 新建、show 名单、add 加人、remove 移出",
                                        "departure batches: list, new, show, add a person, remove a proposal"))
    p.add_argument("action", choices=["list", "new", "show", "add", "remove"])
    p.add_argument("name", nargs="?", help=tr("批次名称（list 不需要）", "batch name (not for list)"))
    p.add_argument("--departure", metavar="DATE", help=tr("new：出发日期", "new: departure date"))
    p.add_argument("--trainee", metavar="ID_NUMBER", help=tr("add/remove：学员身份证号", "add/remove: the trainee's ID"))
    p.add_argument("--vacancy", metavar="CODE", help=tr("add：岗位编号", "add: vacancy code"))
    p.add_argument("--override", metavar="REASON",
                   help=tr("add：破例加入不符合岗位条件的学员，并写明原因（仅管理员和工作人员；打印在名册上，记入审计日志）",
                           "add: place a trainee the eligibility rules refuse, with the reason (admin and staff "
                           "only; printed on the list and audited)"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("settings", help=tr("全局设置（查看；set 键 值 修改，仅管理员；工资预警线也可由管理批次者修改）",
                                           "bureau-wide settings (show; set KEY VALUE to change: administrators, "
                                           "the wage floor also whoever manages batches)"))
    p.add_argument("action", nargs="?", choices=["set"])
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("print-list", help=tr("打印派遣名册", "print a placement list"))
    p.add_argument("--batch", metavar="NAME", help=tr("派遣批次名称", "departure batch name"))
    p.add_argument("--employer", metavar="NAME", help=tr("用人单位名称或统一社会信用代码", "employer name or credit code"))
    p.add_argument("--township", metavar="NAME", help=tr("乡镇", "township"))
    p.add_argument("--from", dest="date_from", metavar="DATE", help=tr("出发日期起", "departure from"))
    p.add_argument("--to", dest="date_to", metavar="DATE", help=tr("出发日期止", "departure until"))
    p.add_argument("--pdf", metavar="OUT.pdf", help=tr("输出 PDF 文件", "PDF file to write"))
    p.add_argument("--xlsx", metavar="OUT.xlsx", help=tr("输出 Excel 文件", "Excel file to write"))
    p.add_argument("--columns", metavar="KEY[,KEY…]", help=tr("名册列（默认全部）", "columns (default: all)"))
    p.add_argument("--full-ids", action="store_true",
                   help=tr("打印完整身份证号和电话（需权限，写入审计日志）",
                           "print full ID and phone numbers (needs permission; audited)"))
    p.add_argument("--bureau", metavar="NAME", help=tr("抬头单位名称（默认取数据库中的单位名称 bureau.name）",
                                                          "bureau name (default: the database's bureau.name)"))

    p = sub.add_parser("stats", help=tr("统计（可导出上报用 Excel）", "statistics (and the workbook to send upward)"))
    p.add_argument("--from", dest="date_from", metavar="DATE", help=tr("统计起始日期（默认：全部历史）", "first day (default: all)"))
    p.add_argument("--to", dest="date_to", metavar="DATE", help=tr("截止日期（默认：今天）", "as of this day (default: today)"))
    p.add_argument("--xlsx", metavar="OUT.xlsx", help=tr("输出上报用 Excel 文件", "write the workbook"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("households", help=tr("监测户：导入监测系统导出表、务工表，月度务工规模，预警",
                                             "households under monitoring: imports, the monthly report, alerts"))
    p.add_argument("action", choices=["import", "import-work", "report", "alerts"])
    p.add_argument("file", nargs="?")
    p.add_argument("--month", metavar="YYYY-MM")
    p.add_argument("--by", choices=["township", "village"], default="township",
                   help=tr("按乡镇或按村汇总", "by township or by village"))
    p.add_argument("--xlsx", metavar="OUT.xlsx")
    p.add_argument("--report", metavar="OUT.xlsx", help=tr("导入：写出逐行问题报告", "import: write the row report"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("subsidies", help=tr("务工补贴：到期名单、公示名单", "subsidies: due list, publicity list"))
    p.add_argument("action", choices=["due"])
    p.add_argument("--month", metavar="YYYY-MM")
    p.add_argument("--record", action="store_true", help=tr("把到期的登记为符合条件的申领", "enter the due ones in the ledger"))
    p.add_argument("--xlsx", metavar="OUT.xlsx", help=tr("写出公示名单（身份证号遮蔽）", "write the publicity list (masked IDs)"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("backup", help=tr("备份数据库", "back up the database"))
    p.add_argument("out", nargs="?", help=tr("备份文件（默认：备份文件夹）", "backup file (default: the backup folder)"))
    p.add_argument("--no-pg-dump", action="store_true",
                   help=tr("PostgreSQL：不用 pg_dump，改用程序导出", "PostgreSQL: app-level export instead of pg_dump"))

    p = sub.add_parser("restore", help=tr("从备份恢复（会替换当前数据）", "restore a backup (replaces the data)"))
    p.add_argument("file")
    p.add_argument("--force", action="store_true",
                   help=tr("确认恢复审计日志较短或已被改动的备份（会记入审计日志）",
                           "confirm restoring a backup whose audit log is shorter or altered (audited)"))

    p = sub.add_parser("audit", help=tr("审计日志", "the audit log"))
    p.add_argument("action", choices=["verify"])
    p.add_argument("--code", help=tr("核对名单页脚的审计校验码（如 1234-3FA9C2D1）",
                                     "check the audit check code in a list's footer (e.g. 1234-3FA9C2D1)"))

    p = sub.add_parser("users", help=tr("用户管理", "user accounts"))
    p.add_argument("action", choices=["list", "create-admin", "passwd"])
    p.add_argument("name", nargs="?", help=tr("create-admin：新管理员的用户名", "create-admin: the new admin's name"))

    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        i18n.set_language(args.lang)
    if args.self_test:
        from ui.selftest import run_self_test
        return run_self_test(args.lang)
    if args.command is None:
        # Only the GUI path reads the stored settings (Qt): CLI subcommands start without Qt.
        from ui.settings import startup_database_url, startup_language
        i18n.set_language(startup_language(args.lang))
        if args.startup_probe:
            from ui.selftest import run_startup_probe
            return run_startup_probe(args.db)
        from ui.app import run_gui
        return run_gui(startup_database_url(args.db))
    try:
        code = _run(args)
        sys.stdout.flush()  # here, not at exit, so a reader that went away is caught below
        return code
    except BrokenPipeError:
        # The reader stopped reading (`… | head`): what was done stays done and there is nobody to tell;
        # Python's own flush at exit must not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        _close_opened()


def _run(args: argparse.Namespace) -> int:
    try:
        return HANDLERS[args.command](args)
    except UserError as exc:
        print(f"{tr('错误', 'Error')}: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        raise  # main() ends quietly: the reader of the output went away, the operation did not fail
    except KeyboardInterrupt:
        print(tr("已中断，未完成的操作已撤销。", "Interrupted; the unfinished operation was rolled back."), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the user gets one sentence naming the cause, the log the traceback
        from db.engine import describe_failure, log_failure

        failure = describe_failure(exc, log_failure(exc))
        print(f"{tr('错误', 'Error')}: {failure}", file=sys.stderr)
        return failure.code


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen Windows build must not re-run main() in a worker process
    sys.exit(main())
