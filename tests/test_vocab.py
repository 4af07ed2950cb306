"""Labels are written once, in core/vocab.py: pages, printing and the exchange files all read them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from core import i18n, vocab
from core.access import SYSTEM
from db.services.exchange import columns, report
from db.services.exchange.export import export_roster

REPO = Path(__file__).resolve().parent.parent
# The value vocabularies (column headings such as 姓名 / Name are field names, not values: not here).
TABLES = {"GENDERS": vocab.GENDERS, "VACANCY_STATUSES": vocab.VACANCY_STATUSES,
          "CONTRACT_TYPES": vocab.CONTRACT_TYPES, "FORM_LABELS": vocab.FORM_LABELS}


def test_no_label_pair_is_written_outside_vocab() -> None:
    """A ("中文", "English") pair of a vocabulary found in another source file is a second copy; so is a
    Chinese label written alone in the exchange files (they write and read the Chinese)."""
    pairs = {(name, zh, en) for name, table in TABLES.items() for zh, en in table.values()}
    found = []
    for path in sorted(p for layer in ("core", "db", "ui") for p in (REPO / layer).rglob("*.py")):
        if path.name == "vocab.py":
            continue
        text = path.read_text(encoding="utf-8")
        for name, zh, en in pairs:
            if re.search(rf'"{re.escape(zh)}",\s*"{re.escape(en)}"', text):
                found.append(f"{path.relative_to(REPO)}: {name} ({zh}, {en})")
    for path in sorted((REPO / "db" / "services" / "exchange").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name, zh, _en in pairs:
            if f'"{zh}"' in text:
                found.append(f"{path.relative_to(REPO)}: {name} “{zh}”")
    assert found == []


def test_labels_follow_the_language_and_unknown_keys_stay_visible() -> None:
    assert vocab.vacancy_status_label("filled") == "已满" and vocab.contract_label("temporary") == "临时"
    assert vocab.gender_label("F") == "女" and vocab.gender_label(None) == "" and vocab.gender_label("X") == ""
    i18n.set_language("en")
    assert vocab.vacancy_status_label("filled") == "Filled" and vocab.contract_label("long_term") == "Long-term"
    assert vocab.gender_label("F") == "F"  # short in tables and printed lists
    assert vocab.vacancy_status_label("paused") == "paused"  # a value a newer version wrote: shown as it is
    assert vocab.zh_label(vocab.VACANCY_STATUSES, "open") == "在招"  # exchange files: Chinese in any language


def test_exchange_writes_and_reads_the_vocab_labels(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "vacancies.csv"
    assert export_roster(demo_db, "vacancies", out, SYSTEM) > 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    heading = {c.field: c.zh for c in columns.COLUMNS["vacancies"]}
    assert rows
    assert {r[heading["status"]] for r in rows} <= {zh for zh, _en in vocab.VACANCY_STATUSES.values()}
    assert {r[heading["contract_type"]] for r in rows} <= {zh for zh, _en in vocab.CONTRACT_TYPES.values()}
    assert {r[heading["gender_requirement"]] for r in rows} <= {vocab.ANY_GENDER[0],
                                                               *(zh for zh, _en in vocab.GENDERS.values())}
    # every label the files carry is read back, and the format sheet names the same labels
    for key, (zh, _en) in vocab.VACANCY_STATUSES.items():
        assert columns._vacancy_status(zh) == key and columns._vacancy_status(key) == key
    assert report._RULES["status"][0].startswith("在招 / 已满 / 关闭")
    assert report._RULES["contract_type"][0] == "长期 / 临时"
    assert report._RULES["employment_form"][0] == "临时工 / 职业工"
