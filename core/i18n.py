"""Bilingual messages for the layers below the UI.

db/ and matching/ have no Qt, so they cannot use Qt's translator; every user-facing sentence they
produce is written once in both languages at the place it is raised, and the language is chosen once
per process (the UI sets it from its settings, the CLI from ``LABORBRIDGE_LANG``).
"""

from __future__ import annotations

import os

_language = "zh" if not os.environ.get("LABORBRIDGE_LANG", "zh").lower().startswith("en") else "en"


def set_language(lang: str) -> None:
    global _language
    _language = "en" if lang.lower().startswith("en") else "zh"


def language() -> str:
    return _language


def tr(zh: str, en: str) -> str:
    """The sentence in the current language."""
    return en if _language == "en" else zh


class UserError(Exception):
    """An error whose message is meant for the user, in both languages."""

    def __init__(self, zh: str, en: str | None = None, *, code: int = 1) -> None:
        self.zh = zh
        self.en = en or zh
        self.code = code
        super().__init__(zh)

    def __str__(self) -> str:
        return tr(self.zh, self.en)
