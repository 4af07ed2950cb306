"""No untranslated user-facing string, in either language; Qt's own dialogs in Chinese.

The scan reads the source (AST) of main.py, core/, db/, matching/ and ui/ and applies three rules:

A. Chinese without English — a string literal (or f-string part) containing a Han character is allowed only
   1. as a docstring;
   2. inside the first argument of ``tr(zh, en)`` that has an English second argument;
   3. as one half of a bilingual pair: the sibling right after it (next element of the same tuple/list,
      next positional argument, next keyword argument or next default value) is an expression whose
      literals are English — Latin letters, no Han — as in ``UserError("…", "…")``,
      ``ListColumn("seq", "序号", "No.")``, ``parse_date(v, what="日期", what_en="date")``;
   4. in a statement that builds a Chinese variable whose English twin is built in the same function
      (``one = "…"`` / ``one_en = "…"``, ``parts_zh.append(…)`` / ``parts_en.append(…)``), later joined by tr,
      or in a function whose English twin exists (``def _label(…)`` / ``def _label_en(…)``);
   5. as input vocabulary, never shown: compared (``==``, ``in``), a regular expression, or the argument of a
      string method that trims or matches input (``endswith``, ``removesuffix``, ``replace``…);
   6. in the data allow-list below (exchange-format headers and values, demo data, font names).
B. Chinese in English — the English argument of ``tr`` (or the English half of a pair) contains Han.
C. English without Chinese — Qt widget text set from a plain literal with letters (setText, setWindowTitle,
   setToolTip, setPlaceholderText, setStatusTip, addAction, addMenu, addTab, setTabText, addItem, QLabel,
   QPushButton, QAction, QCheckBox, QRadioButton, QGroupBox, QMessageBox.*) or a CLI ``print``/argparse
   ``help=`` from a plain literal with letters, not through ``tr``. Brand names, URLs and markup are not words.

Run ``python tests/test_translations.py`` for the full report by file.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCANNED = ("main.py", "core", "db", "matching", "ui")
SKIPPED_DIRS = ("db/migrations",)

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
# Not words: the brand (the same in both languages), URLs, markup, format specs, file patterns.
NOT_WORDS = re.compile(r"LaborBridge|[a-z][a-z0-9+]*://\S*|<[^>]*>|&\w+;|%\w|\*\.\w+|\{[^}]*\}")

# Data, not messages. Per file: "*" (the whole file), a module-level NAME whose value is data, or an exact literal.
ALLOWED_DATA: dict[str, set[str]] = {
    # Input vocabularies and their parsing (what users type into Excel), checked against the DOMAIN.
    "core/vocab.py": {"*"},
    "core/fields.py": {"*"},
    # Demo county: names, places, employers, generated text — realistic data, not UI text.
    "db/services/demo.py": {"*"},
    # Exchange-format values written into Excel files (the file format is Chinese by DESIGN.md).
    "db/services/exchange/export.py": {"*"},
    # Demo accounts' display names (data in the users table).
    "db/services/users.py": {"DEMO_ACCOUNTS"},
    # Province names as employers' rows spell them (matched against data).
    "db/services/stats.py": {"ID_PROVINCES"},
    # A gender cell echoed in the import report as the user's file spells it.
    "db/services/exchange/parsing.py": {"男", "女"},
    # Suffixes stripped from region names; Chinese numerals used inside Chinese reasons.
    "matching/data.py": {"省", "市"},
    "matching/reasons.py": {"CN_NUM"},
    # Chinese font names in the xlsx export (Excel's font names).
    "db/services/lists.py": {"宋体", "黑体"},
    # A Han glyph measured for column widths; the brand in PDF metadata; the self-test's own batch name.
    "ui/printing/renderer.py": {"国", "LaborBridge 劳务协作桥"},
    "ui/selftest.py": {"SELF_TEST_BATCH", "劳务协作桥 自检页 LaborBridge self-test page"},
    # The monitoring system's values as its exports write them (a risk code, the head's relation, county suffixes).
    "core/households.py": {"WORK_RISK", "HEAD_RELATION", "COUNTY_SUFFIXES"},
    # Language names shown in their own language, whatever the UI language is.
    "ui/settings_dialog.py": {"中文", "English"},
}
# Exchange-format header tables (DESIGN.md "Exchange format"): Chinese header, English alias, other spellings.
HEADER_TABLE_NAMES = re.compile(r"(^|_)(HEADERS?|ALIASES|COLUMNS)$")
INPUT_METHODS = {"endswith", "startswith", "removesuffix", "removeprefix", "strip", "lstrip", "rstrip", "split",
                 "replace", "count", "find", "index", "partition"}
REGEX_FUNCS = {"compile", "match", "fullmatch", "search", "sub", "subn", "findall", "finditer", "split"}

TR_NAMES = {"tr"}
WIDGET_SETTERS = {"setText", "setWindowTitle", "setToolTip", "setPlaceholderText", "setStatusTip", "addAction",
                  "addMenu", "setTabText", "setTitle", "setLabelText", "setWhatsThis"}
WIDGET_CLASSES = {"QLabel", "QPushButton", "QAction", "QCheckBox", "QRadioButton", "QGroupBox", "QToolButton",
                  "QMenu"}
MESSAGE_BOX = {"information", "warning", "critical", "question", "about"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.text!r}"


def _literal_parts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def _is_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _has_words(text: str) -> bool:
    return bool(LATIN.search(NOT_WORDS.sub("", text)) or HAN.search(text))


def _all_literals(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _has_han(node: ast.AST) -> bool:
    return any(HAN.search(t) for t in _all_literals(node))


def _is_english(node: ast.AST) -> bool:
    """An expression whose literals read as English: Latin letters somewhere, Han nowhere."""
    texts = _all_literals(node)
    return bool(texts) and any(LATIN.search(t) for t in texts) and not any(HAN.search(t) for t in texts)


def _is_input_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant | ast.Set | ast.Tuple | ast.List | ast.Dict | ast.JoinedStr)


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _sibling_groups(node: ast.AST) -> list[list[ast.AST]]:
    """Sequences whose consecutive elements may form (zh, en) pairs."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [list(node.elts)]
    if isinstance(node, ast.Call):
        return [list(node.args), [k.value for k in node.keywords]]
    if isinstance(node, ast.arguments):
        return [list(node.defaults), [d for d in node.kw_defaults if d is not None]]
    return []


class Scanner(ast.NodeVisitor):
    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.tree = ast.parse(source)
        self.findings: list[Finding] = []
        self.ok_nodes: set[int] = set()       # literals that are allowed where they stand
        self.english_nodes: set[int] = set()  # literals in an English slot (rule B)
        allowed = ALLOWED_DATA.get(path, set())
        self.whole_file = "*" in allowed
        self.allowed_literals = {a for a in allowed if a != "*"}  # exact texts, or names of data tables

    # --- marking -------------------------------------------------------------------------------
    def _mark_subtree(self, node: ast.AST, into: set[int]) -> None:
        for sub in ast.walk(node):
            into.add(id(sub))

    def mark(self) -> None:
        for node in ast.walk(self.tree):
            body = getattr(node, "body", None)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
                first = body[0]
                if isinstance(first, ast.Expr) and _is_literal(first.value):
                    self.ok_nodes.add(id(first.value))  # docstring
            if isinstance(node, ast.Call) and _call_name(node) in TR_NAMES and len(node.args) >= 2:
                if not _has_han(node.args[1]):  # tr's English may be "____ / __ / __" or a variable
                    self._mark_subtree(node.args[0], self.ok_nodes)
                self._mark_subtree(node.args[1], self.english_nodes)
            for group in _sibling_groups(node):
                for first, second in zip(group, group[1:]):
                    if _has_han(first) and _is_english(second):
                        self._mark_subtree(first, self.ok_nodes)
                        self._mark_subtree(second, self.english_nodes)
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if node.value is not None and any(HEADER_TABLE_NAMES.search(n) or n in self.allowed_literals
                                                  for n in names):
                    self._mark_subtree(node.value, self.ok_nodes)  # header tables, allow-listed data
            if isinstance(node, ast.Compare):
                for sub in (node.left, *node.comparators):
                    self._mark_subtree(sub, self.ok_nodes) if _is_input_literal(sub) else None
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in INPUT_METHODS and node.args:
                    self._mark_subtree(node.args[0], self.ok_nodes)
                if isinstance(func, ast.Attribute) and func.attr in REGEX_FUNCS and isinstance(func.value, ast.Name) \
                        and func.value.id == "re" and node.args:
                    self._mark_subtree(node.args[0], self.ok_nodes)
                if isinstance(func, ast.Attribute) and func.attr == "replace" and any(
                        k.arg == "regex" for k in node.keywords):
                    self._mark_subtree(node.args[0], self.ok_nodes)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._mark_parallel(node)
        functions = {n.name: n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef)}
        for name, fn in functions.items():
            if {name + "_en", name.replace("zh", "en"), name.replace("_zh", "_en")} - {name} & functions.keys():
                self._mark_subtree(fn, self.ok_nodes)  # def _against(...) / def _against_en(...)

    def _mark_parallel(self, fn: ast.AST) -> None:
        """Chinese built in variable X (or X_zh) while its English twin X_en is built in the same function."""
        def target(stmt: ast.AST) -> str | None:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                return stmt.targets[0].id
            if isinstance(stmt, ast.AugAssign | ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                return stmt.target.id
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(
                    stmt.value.func, ast.Attribute) and isinstance(stmt.value.func.value, ast.Name):
                return stmt.value.func.value.id  # parts_zh.append(...)
            return None

        statements = [s for s in ast.walk(fn) if isinstance(s, ast.stmt)]
        names = {n for n in (target(s) for s in statements) if n}
        for stmt in statements:
            name = target(stmt)
            if not name:
                continue
            twins = {name + "_en", name.replace("zh", "en"), name.replace("_zh", "_en")} - {name}
            if twins & names:
                self._mark_subtree(stmt, self.ok_nodes)

    # --- rules ---------------------------------------------------------------------------------
    def scan(self) -> list[Finding]:
        self.mark()
        for node in ast.walk(self.tree):
            if _is_literal(node) and not self.whole_file:
                text = "".join(_literal_parts(node))
                if HAN.search(text) and id(node) not in self.ok_nodes and id(node) not in self.english_nodes \
                        and text not in self.allowed_literals and not self._inside_fstring(node):
                    self.findings.append(Finding(self.path, node.lineno, "A: Chinese without English", text[:60]))
                if HAN.search(text) and id(node) in self.english_nodes:
                    self.findings.append(Finding(self.path, node.lineno, "B: Chinese in the English text", text[:60]))
            if isinstance(node, ast.Call):
                self._widget_text(node)
        return self.findings

    def _inside_fstring(self, node: ast.AST) -> bool:
        return id(node) in self._fstring_parts

    @property
    def _fstring_parts(self) -> set[int]:
        if not hasattr(self, "_fsp"):
            self._fsp = {id(v) for n in ast.walk(self.tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        return self._fsp

    def _plain(self, arg: ast.AST) -> str | None:
        """The text of a literal argument that reaches the user untranslated, else None."""
        if not _is_literal(arg) or id(arg) in self.ok_nodes or id(arg) in self.english_nodes:
            return None
        text = "".join(_literal_parts(arg))
        if text in self.allowed_literals or not _has_words(text):
            return None
        return text

    def _widget_text(self, node: ast.Call) -> None:
        name = _call_name(node)
        args: list[ast.AST] = []
        if name in WIDGET_SETTERS or name in WIDGET_CLASSES:
            args = node.args[:1]
        elif name in ("addTab", "insertTab"):
            args = node.args[-1:]
        elif name == "addItem" and isinstance(node.func, ast.Attribute):
            args = node.args[:1]
        elif name in MESSAGE_BOX and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "QMessageBox":
            args = node.args[1:3]
        elif name == "print":
            args = node.args[:1]
        if name in ("add_argument", "add_parser"):
            args = [k.value for k in node.keywords if k.arg == "help"]
        for arg in args:
            text = self._plain(arg)
            if text is not None:
                self.findings.append(Finding(self.path, node.lineno, f"C: untranslated {name}()", text[:60]))


def source_files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = REPO / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if not any(f.relative_to(REPO).as_posix().startswith(s) for s in SKIPPED_DIRS)]


def scan_source(path: str, source: str) -> list[Finding]:
    return Scanner(path, source).scan()


def scan_repo() -> list[Finding]:
    findings: list[Finding] = []
    for file in source_files():
        findings += scan_source(file.relative_to(REPO).as_posix(), file.read_text(encoding="utf-8"))
    return findings


# --- the scanner's own rules, on small sources -------------------------------------------------------

@pytest.mark.parametrize("code", [
    'tr("学员", "Trainees")',
    'tr(f"学员 {n} 人", f"{n} trainees")',
    'raise UserError("无法打开", "Cannot open", code=2)',
    'ListColumn("seq", "序号", "No.")',
    'COLS = (("seq", "序号", "No."), ("name", "姓名", "Name"))',
    'parse_date(v, what="日期", what_en="date")',
    'def f(v, what="日期", what_en="date"): pass',
    'def f():\n    """中文文档字符串不是界面文字。"""',
    'label.setText(tr("姓名", "Name"))',
    'QMessageBox.warning(self, "LaborBridge", tr("错误", "Error"))',
    'edit.setPlaceholderText("postgresql+psycopg://user@server/laborbridge")',
    'label.setText(f"{count:,}")',
    'TRAINEE_HEADERS = {"姓名": "name", "身份证号": "id_number"}',
    'title.setText(f"<h2>{tr(\'劳务协作桥\', \'LaborBridge\')}</h2>")',
    'raise Bad(path, "缺少数据表：" + "、".join(m), "missing tables: " + ", ".join(m))',
    'def f():\n    one = "全部稳岗" if a else "全部离岗"\n    one_en = "all lasted" if a else "all ended"',
    'def f():\n    parts_zh.append(f"合计 {n} 人")\n    parts_en.append(f"Total {n}")',
    'if text in {"是", "需要"}: pass',
    'x = name.removesuffix("市")',
    'P = re.compile(r"^(合计|总计)")',
    'def label(n):\n    return f"第{n}版"\ndef label_en(n):\n    return f"version {n}"',
])
def test_scanner_accepts_translated_code(code: str) -> None:
    assert scan_source("ui/sample.py", code) == []


@pytest.mark.parametrize(("code", "rule"), [
    ('label.setText("学员")', "A"),
    ('x = "请选择批次"', "A"),
    ('raise UserError("无法打开")', "A"),
    ('msg = f"已导入 {n} 行"', "A"),
    ('tr("学员", "学员")', "A"),
    ('tr("学员", "Trainee 学员")', "B"),
    ('label.setText("Name")', "C"),
    ('QPushButton("Save")', "C"),
    ('menu.addAction("Export…")', "C"),
    ('self.setWindowTitle("Settings")', "C"),
    ('tabs.addTab(page, "General")', "C"),
    ('QMessageBox.warning(self, "LaborBridge", "Cannot save")', "C"),
    ('print("Imported rows")', "C"),
    ('parser.add_argument("--x", help="the x option")', "C"),
])
def test_scanner_flags_untranslated_code(code: str, rule: str) -> None:
    findings = scan_source("ui/sample.py", code)
    assert rule in {f.rule[0] for f in findings}, findings


def test_data_allow_list_is_explicit() -> None:
    assert scan_source("db/services/demo.py", 'SURNAMES = ["王", "李"]') == []
    assert scan_source("db/other.py", 'SURNAMES = ["王", "李"]') != []
    assert scan_source("ui/settings_dialog.py", 'combo.addItem("中文", "zh")') == []


# --- the repository -------------------------------------------------------------------------------

def test_the_scan_covers_the_whole_program() -> None:
    files = {f.relative_to(REPO).as_posix() for f in source_files()}
    assert {"main.py", "db/engine.py", "ui/main_window.py", "ui/settings_dialog.py"} <= files
    assert not any(f.startswith("db/migrations") for f in files)


def test_no_untranslated_strings_in_the_program() -> None:
    findings = scan_repo()
    by_file: dict[str, int] = {}
    for f in findings:
        by_file[f.path] = by_file.get(f.path, 0) + 1
    assert not findings, (f"{len(findings)} untranslated strings in {by_file}:\n"
                          + "\n".join(str(f) for f in findings[:60]))


def test_qt_own_dialogs_are_translated(qapp) -> None:  # type: ignore[no-untyped-def]
    """Qt's standard buttons and dialogs read Chinese through qtbase_zh_CN.qm, and English without it."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QDialogButtonBox

    from core import i18n
    from ui.app import install_qt_translations

    install_qt_translations(qapp, "zh")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    install_qt_translations(qapp, "en")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancel"
    install_qt_translations(qapp, i18n.language())


def test_the_main_window_reads_in_each_language(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    """Every navigation entry and menu title changes with the language: nothing is stuck in one."""
    from core import i18n
    from core.access import SYSTEM
    from ui.main_window import MainWindow

    texts = {}
    for lang in ("zh", "en"):
        i18n.set_language(lang)
        window = MainWindow(database, SYSTEM)
        qtbot.addWidget(window)
        nav = [window.nav.item(i).text() for i in range(window.nav.count())]
        menus = [a.text() for a in window.menuBar().actions()]
        texts[lang] = nav + menus + [window.windowTitle()]
    i18n.set_language("zh")
    assert all(HAN.search(t) for t in texts["zh"]), texts["zh"]
    assert not any(HAN.search(t) for t in texts["en"]), texts["en"]


if __name__ == "__main__":
    report = scan_repo()
    for finding in report:
        print(finding)
    print(f"{len(report)} findings")
    sys.exit(1 if report else 0)
