"""关于 / About: version, what the program is, and the licences of the components it ships with."""

from __future__ import annotations

import html
import sys
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.i18n import tr
from ui.resources import resource_dir

# The one place the version is written; tests/test_settings.py keeps pyproject.toml in step with it,
# and packaging/ stamps it into the Windows version resource and the installer.
VERSION = "0.1.0"

# (component, distribution name for its version or None, licence, what it does here)
COMPONENTS: tuple[tuple[str, str | None, str, str, str], ...] = (
    ("Qt 6", None, "LGPL-3.0", "图形界面、打印与 PDF", "user interface, printing and PDF"),
    ("PySide6 / Shiboken6", "shiboken6", "LGPL-3.0", "Qt 的 Python 接口", "Python bindings for Qt"),
    ("Python", None, "PSF-2.0", "运行环境", "runtime"),
    ("WenQuanYi Micro Hei", None, "Apache-2.0 OR GPL-3.0-or-later WITH Font-exception-2.0",
     "界面与 PDF 的中文字体（嵌入 PDF）", "Chinese font of the interface and of PDFs (embedded)"),
    ("SQLAlchemy", "sqlalchemy", "MIT", "数据库访问", "database access"),
    ("Alembic", "alembic", "MIT", "数据库结构升级", "database schema upgrades"),
    ("pandas", "pandas", "BSD-3-Clause", "数据表计算", "tabular computation"),
    ("NumPy", "numpy", "BSD-3-Clause", "数值计算", "numerical computation"),
    ("SciPy", "scipy", "BSD-3-Clause", "最优分配求解", "optimal assignment solver"),
    ("scikit-learn", "scikit-learn", "BSD-3-Clause", "匹配模型", "matching model"),
    ("joblib", "joblib", "BSD-3-Clause", "模型存储", "model storage"),
    ("openpyxl", "openpyxl", "MIT", "读写 Excel", "Excel reading and writing"),
    ("XlsxWriter", "xlsxwriter", "BSD-2-Clause", "导出 Excel", "Excel export"),
    ("python-calamine", "python-calamine", "MIT", "快速读取 Excel", "fast Excel reading"),
    ("xlrd", "xlrd", "BSD-3-Clause", "读取 .xls", ".xls reading"),
    ("msoffcrypto-tool", "msoffcrypto-tool", "MIT", "加密 Excel 文件", "encrypted Excel files"),
    ("python-stdnum", "python-stdnum", "LGPL-2.1-or-later", "证件号码校验", "identifier checks"),
    ("pypinyin", "pypinyin", "MIT", "姓名拼音检索", "pinyin name search"),
    ("psycopg", "psycopg", "LGPL-3.0", "PostgreSQL 连接", "PostgreSQL driver"),
    ("argon2-cffi", "argon2-cffi", "MIT", "密码散列", "password hashing"),
    ("cryptography", "cryptography", "Apache-2.0 OR BSD-3-Clause", "加密", "cryptography"),
    ("platformdirs", "platformdirs", "MIT", "用户数据文件夹", "user data folder"),
    ("python-dateutil", "python-dateutil", "Apache-2.0 OR BSD-3-Clause", "日期解析", "date parsing"),
)


def component_version(dist: str | None, name: str) -> str:
    if name == "Qt 6":
        return qVersion()
    if name == "Python":
        return sys.version.split()[0]
    if name.startswith("PySide6"):
        return pyside_version
    if dist is None:
        return "0.2.0-beta" if name.startswith("WenQuanYi") else ""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # a bundle built without that package's metadata
        return "—"


def components_html() -> str:
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(component_version(dist, name))}</td>"
        f"<td>{html.escape(licence)}</td><td>{html.escape(tr(zh, en))}</td></tr>"
        for name, dist, licence, zh, en in COMPONENTS)
    head = (f"<tr><th align='left'>{tr('组件', 'Component')}</th><th align='left'>{tr('版本', 'Version')}</th>"
            f"<th align='left'>{tr('许可证', 'Licence')}</th><th align='left'>{tr('用途', 'Used for')}</th></tr>")
    note = tr("Qt 与 PySide6 以 LGPL-3.0 动态链接方式随附：安装文件夹中的 Qt 库文件可以替换为您自行编译的版本。"
              "各组件的完整许可证文本随程序一同安装（*.dist-info 文件夹与 resources/fonts）。",
              "Qt and PySide6 ship under the LGPL-3.0, dynamically linked: the Qt libraries in the installation "
              "folder may be replaced with versions you build yourself. The full licence texts are installed "
              "with the program (*.dist-info folders and resources/fonts).")
    return (f"<table cellspacing='0' cellpadding='4' border='0'>{head}{rows}</table>"
            f"<p>{html.escape(note)}</p>")


def font_licence_text() -> str:
    path = resource_dir() / "fonts" / "LICENSE-wqy-microhei.txt"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return tr(f"找不到字体许可证文件 {path}。", f"The font licence file {path} is missing.")


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("关于劳务协作桥", "About LaborBridge"))
        self.resize(760, 560)
        layout = QVBoxLayout(self)

        header = QHBoxLayout()
        icon = QLabel()
        pixmap = QPixmap(str(resource_dir() / "icons" / "laborbridge.png"))
        if not pixmap.isNull():
            icon.setPixmap(pixmap.scaled(72, 72, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))
        header.addWidget(icon)
        title = QLabel(
            f"<h2>{html.escape(tr('劳务协作桥', 'LaborBridge'))} LaborBridge</h2>"
            f"<p>{html.escape(tr('版本', 'Version'))} {VERSION}</p>"
            f"<p>{html.escape(tr('东西部劳务协作：学员与岗位登记、智能匹配、派遣批次、打印名册与跟踪回访。', 'East–West labour cooperation: registry of trainees and vacancies, matching, departure batches, printed lists and follow-up.'))}</p>")
        title.setObjectName("about_title")
        title.setWordWrap(True)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(title, 1)
        layout.addLayout(header)

        tabs = QTabWidget()
        self.components = QTextBrowser()
        self.components.setObjectName("about_components")
        self.components.setHtml(components_html())
        tabs.addTab(self.components, tr("第三方组件与许可证", "Components and licences"))
        self.font_licence = QTextBrowser()
        self.font_licence.setObjectName("about_font_licence")
        self.font_licence.setPlainText(font_licence_text())
        tabs.addTab(self.font_licence, tr("字体许可证", "Font licence"))
        layout.addWidget(tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
