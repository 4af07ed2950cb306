"""Search keys for names: pinyin and initials, so `zsy` finds 张舒雨."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)
def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case, no separators; non-Han characters kept as letters."""
    # Imported on first use: loading pypinyin's dictionaries costs every process (a `rank`, a GUI
    # start) about half a second although most never write a name.
    from pypinyin import Style, lazy_pinyin

    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if s.strip("·")]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables if s).lower()
    return full[:255], initials[:64]
