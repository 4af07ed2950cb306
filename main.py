"""LaborBridge 劳务协作桥 — run bare for the GUI, or with a subcommand to do the same jobs headless."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import NoReturn

from db import i18n
from db.i18n import UserError, tr

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


def open_db(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from db.engine import open_database
    return open_database(args.db)


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


# --- demo -----------------------------------------------------------------------------------------

@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from db import services

    database = open_db(args)
    counts = services.load_demo(database, trainees=args.trainees, seed=args.seed)
    print(tr(f"演示数据已生成：学员 {counts['trainees']} 人，用人单位 {counts['employers']} 家，"
             f"岗位 {counts['vacancies']} 个（在招 {counts['open_vacancies']} 个），就业记录 {counts['placements']} 条。",
             f"Demo data created: {counts['trainees']} trainees, {counts['employers']} employers, "
             f"{counts['vacancies']} vacancies ({counts['open_vacancies']} open), {counts['placements']} placements."))
    return 0


# --- not yet available ----------------------------------------------------------------------------

def _pending(name: str) -> Handler:
    def handler(_args: argparse.Namespace) -> int:
        raise UserError(f"命令“{name}”在此版本中尚未提供。", f"The command '{name}' is not available in this version yet.",
                        code=2)
    return handler


def build_parser() -> Parser:
    parser = Parser(prog="main.py", description=tr("劳务协作桥：不带参数运行打开图形界面。",
                                                  "LaborBridge: run without arguments to open the GUI."))
    parser.add_argument("--db", metavar="URL", help=tr("数据库地址（默认：用户数据文件夹中的 SQLite 文件）",
                                                       "database URL (default: SQLite file in the user data folder)"))
    parser.add_argument("--lang", choices=["zh", "en"], help=tr("界面语言", "language of messages"))
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

    p = sub.add_parser("print-list", help=tr("打印派遣名册", "print a placement list"))
    p.add_argument("--batch", metavar="NAME", required=True)
    p.add_argument("--pdf", metavar="OUT.pdf", required=True)

    for name in ("import", "export", "train", "rank", "plan", "print-list"):
        HANDLERS.setdefault(name, _pending(name))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        i18n.set_language(args.lang)
    if args.command is None:
        from ui.app import run_gui
        return run_gui(args.db)
    try:
        return HANDLERS[args.command](args)
    except UserError as exc:
        print(f"{tr('错误', 'Error')}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(tr("已中断，未完成的操作已撤销。", "Interrupted; the unfinished operation was rolled back."), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the user gets one sentence, the log gets the traceback
        log_path = _log_traceback()
        print(tr(f"错误：意外故障（{type(exc).__name__}: {exc}），详情已写入 {log_path}",
                 f"Error: unexpected failure ({type(exc).__name__}: {exc}); details written to {log_path}"),
              file=sys.stderr)
        return 1


def _log_traceback() -> str:
    import traceback

    from db.engine import data_dir

    try:
        folder = data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "laborbridge.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        return str(path)
    except OSError:
        return "stderr"


if __name__ == "__main__":
    sys.exit(main())
