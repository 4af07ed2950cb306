"""Locating bundled resources (source tree or PyInstaller bundle) and registering the CJK font."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase


def resource_dir() -> Path:
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "resources" if base else Path(__file__).resolve().parent.parent / "resources"


_cjk_family: str | None = None


def register_cjk_font() -> str:
    """Register the bundled font (embeddable in PDFs) and return its family name."""
    global _cjk_family
    if _cjk_family is None:
        font_id = QFontDatabase.addApplicationFont(str(resource_dir() / "fonts" / "wqy-microhei.ttc"))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _cjk_family = families[0] if families else "Sans Serif"
    return _cjk_family


def app_font(point_size: float = 10) -> QFont:
    font = QFont(register_cjk_font())
    font.setPointSizeF(point_size)
    return font
