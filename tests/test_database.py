"""Opening databases: migrations on a fresh file and on the previous schema, bad files and URLs."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from core.i18n import UserError
from db.engine import create_db_engine, head_revision, open_database, upgrade_schema
from db.models import Trainee


def test_fresh_file_gets_the_whole_schema_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    tables = set(inspect(database.engine).get_table_names())
    assert {"school", "app_user", "trainee", "training_record", "certificate", "employer", "vacancy", "batch",
            "placement", "placement_event", "model_version", "audit_log", "cohort"} <= tables
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
    database.dispose()


def test_upgrade_from_the_previous_schema_keeps_data_and_backfills_pinyin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_db_engine(url)
    upgrade_schema(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO trainee (name, id_number, gender, birth_date, household_type, skills, "
                          "preferred_regions, created_at, updated_at, version) VALUES ('张舒雨', "
                          "'632126199003151234', 'M', '1990-03-15', 'general', 'elderly_care', '', "
                          "'2024-01-01', '2024-01-01', 1)"))
    engine.dispose()
    database = open_database(url)
    with database.session() as session:
        person = session.scalars(select(Trainee)).one()
        assert (person.name, person.name_pinyin, person.name_initials) == ("张舒雨", "zhangshuyu", "zsy")
        assert person.birth_date == dt.date(1990, 3, 15)
    database.dispose()


def test_foreign_keys_are_enforced(database) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception, match="(?i)foreign key"):
        with database.engine.begin() as conn:
            conn.execute(text("INSERT INTO certificate (trainee_id, cert_type, skill) VALUES (999, 'training', 'x')"))


def test_file_of_another_program_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "report.sqlite3"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a database")
    before = path.read_bytes()
    with pytest.raises(UserError, match="不是 LaborBridge 数据库") as info:
        open_database(f"sqlite:///{path}")
    assert info.value.code == 2
    assert path.read_bytes() == before


def test_sqlite_database_of_another_program_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE songs (title TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(UserError, match="其他程序"):
        open_database(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_newer_schema_is_refused_without_writing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.sqlite3'}"
    open_database(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    before = (tmp_path / "future.sqlite3").read_bytes()
    with pytest.raises(UserError, match="比本程序新") as info:
        open_database(url)
    assert info.value.code == 2
    assert (tmp_path / "future.sqlite3").read_bytes() == before


@pytest.mark.parametrize("url", ["not a url at all", "nosuchdb://x/y", "sqlite:////nonexistent/folder/x.sqlite3"])
def test_urls_that_cannot_be_opened(url: str) -> None:
    with pytest.raises(UserError, match="无法打开数据库") as info:
        open_database(url)
    assert info.value.code == 2


def test_default_database_lives_in_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABORBRIDGE_DATA_DIR", str(tmp_path / "data"))
    database = open_database()
    assert database.url.startswith("sqlite:///") and str(tmp_path / "data") in database.url
    assert (tmp_path / "data" / "laborbridge.sqlite3").exists()
    database.dispose()


def test_environment_variable_selects_the_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("LABORBRIDGE_DB", url)
    database = open_database()
    assert database.url == url
    database.dispose()
