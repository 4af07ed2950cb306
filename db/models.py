"""SQLAlchemy 2 models of the whole domain. Schema changes go through Alembic (db/migrations)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from db.search import pinyin_keys

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    if TYPE_CHECKING:
        # SQLAlchemy types it as a FromClause (a class may be mapped onto a join or a subquery); every
        # model here maps one Table by __tablename__, and insert()/update() accept only a table.
        __table__: ClassVar[Table]


class School(Base):
    __tablename__ = "school"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    county: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    school: Mapped[School | None] = relationship()
    __table_args__ = (CheckConstraint("role in ('admin','staff','school','officer')", name="role"),)


class Trainee(Base):
    __tablename__ = "trainee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Search keys: full pinyin ("zhangshuyu") and initials ("zsy"), kept in step with name.
    name_pinyin: Mapped[str] = mapped_column(String(255), default="", index=True)
    name_initials: Mapped[str] = mapped_column(String(64), default="", index=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # suffix search scans this index, not the table
    township: Mapped[str | None] = mapped_column(String(40), index=True)
    village: Mapped[str | None] = mapped_column(String(40))
    household_type: Mapped[str] = mapped_column(String(16), default="general", index=True)
    mandarin: Mapped[str | None] = mapped_column(String(8))
    skills: Mapped[str] = mapped_column(String(100), default="")  # comma-separated skill keys
    skill_level: Mapped[int | None] = mapped_column(Integer)  # 5 (junior) … 1; best graded level
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    training_hours: Mapped[int | None] = mapped_column(Integer)
    graduation_date: Mapped[dt.date | None] = mapped_column(Date)
    preferred_regions: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    expected_wage: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    health_cert_expiry: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    school: Mapped[School | None] = relationship()
    training_records: Mapped[list[TrainingRecord]] = relationship(back_populates="trainee")
    certificates: Mapped[list[Certificate]] = relationship(back_populates="trainee")
    placements: Mapped[list[Placement]] = relationship(back_populates="trainee")

    __mapper_args__ = {"version_id_col": version}

    @validates("name")
    def _keep_search_keys(self, _key: str, value: str) -> str:
        self.name_pinyin, self.name_initials = pinyin_keys(value)
        return value

    @property
    def skill_list(self) -> list[str]:
        return [s for s in self.skills.split(",") if s]

    __table_args__ = (
        CheckConstraint("gender in ('M','F')", name="gender"),
        CheckConstraint("household_type in ('general','poverty_exited','monitored')", name="household"),
        CheckConstraint("skill_level is null or skill_level between 1 and 5", name="level"),
    )


class Cohort(Base):
    """A course cohort of a training school (培训班)."""
    __tablename__ = "cohort"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    skill: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    school: Mapped[School] = relationship()
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_cohort_school_name"),)


class TrainingRecord(Base):
    __tablename__ = "training_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id"), index=True)
    skill: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    hours: Mapped[int | None] = mapped_column(Integer)
    graduated_on: Mapped[dt.date | None] = mapped_column(Date)
    trainee: Mapped[Trainee] = relationship(back_populates="training_records")
    school: Mapped[School | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()


class Certificate(Base):
    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    cert_type: Mapped[str] = mapped_column(String(16))  # graded / special / training
    skill: Mapped[str] = mapped_column(String(20))
    level: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(50), unique=True)
    issuer: Mapped[str | None] = mapped_column(String(100))
    issue_date: Mapped[dt.date | None] = mapped_column(Date)
    trainee: Mapped[Trainee] = relationship(back_populates="certificates")
    __table_args__ = (
        CheckConstraint("cert_type in ('graded','special','training')", name="cert_type"),
        CheckConstraint("level is null or level between 1 and 5", name="level"),
    )


class Employer(Base):
    __tablename__ = "employer"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    district: Mapped[str | None] = mapped_column(String(30))
    partner_city: Mapped[str | None] = mapped_column(String(30))
    contact: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    vacancies: Mapped[list[Vacancy]] = relationship(back_populates="employer")


class Vacancy(Base):
    __tablename__ = "vacancy"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    skill: Mapped[str] = mapped_column(String(20), index=True)
    min_level: Mapped[int | None] = mapped_column(Integer)
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    wage_min: Mapped[int | None] = mapped_column(Integer)
    wage_max: Mapped[int | None] = mapped_column(Integer)
    board: Mapped[bool] = mapped_column(Boolean, default=False)
    lodging: Mapped[bool] = mapped_column(Boolean, default=False)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    gender_requirement: Mapped[str] = mapped_column(String(3), default="any")
    contract_type: Mapped[str] = mapped_column(String(10), default="long_term")
    needs_health_cert: Mapped[bool] = mapped_column(Boolean, default=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    contact: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    employer: Mapped[Employer] = relationship(back_populates="vacancies")
    placements: Mapped[list[Placement]] = relationship(back_populates="vacancy")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("headcount >= 1", name="headcount"),
        CheckConstraint("wage_min is null or wage_max is null or wage_min <= wage_max", name="wage"),
        CheckConstraint("status in ('open','filled','closed')", name="status"),
        CheckConstraint("gender_requirement in ('any','M','F')", name="gender"),
        CheckConstraint("contract_type in ('temporary','long_term')", name="contract"),
    )


class Batch(Base):
    """A departure group (派遣批次)."""
    __tablename__ = "batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    departure_date: Mapped[dt.date | None] = mapped_column(Date)
    destination: Mapped[str | None] = mapped_column(String(100))
    escort: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="planning")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    vacancies: Mapped[list[Vacancy]] = relationship(secondary="batch_vacancy")
    placements: Mapped[list[Placement]] = relationship(back_populates="batch")


class BatchVacancy(Base):
    __tablename__ = "batch_vacancy"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancy.id"), primary_key=True)


class Placement(Base):
    __tablename__ = "placement"
    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancy.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    monthly_wage: Mapped[int | None] = mapped_column(Integer)
    employment_form: Mapped[str] = mapped_column(String(10), default="temporary")
    skilled_since: Mapped[dt.date | None] = mapped_column(Date)
    leave_reason: Mapped[str | None] = mapped_column(String(200))
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    model_score: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[float | None] = mapped_column(Float)
    model_reasons: Mapped[str | None] = mapped_column(Text)  # JSON list of strings
    proof_status: Mapped[str | None] = mapped_column(String(20))
    # Set when a clerk placed the person although an eligibility rule refused (破例加入): the reason given.
    override_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    trainee: Mapped[Trainee] = relationship(back_populates="placements")
    vacancy: Mapped[Vacancy] = relationship(back_populates="placements")
    batch: Mapped[Batch | None] = relationship(back_populates="placements")
    events: Mapped[list[PlacementEvent]] = relationship(back_populates="placement",
                                                       order_by="PlacementEvent.event_date")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("trainee_id", "vacancy_id", "start_date", name="uq_placement_key"),
        CheckConstraint("status in ('proposed','confirmed','departed','on_job','ended','declined')",
                        name="status"),
        CheckConstraint("employment_form in ('temporary','skilled')", name="form"),
        CheckConstraint("end_date is null or start_date is null or end_date >= start_date", name="dates"),
    )


class PlacementEvent(Base):
    """Timeline of a placement: status changes and follow-up visits (回访)."""
    __tablename__ = "placement_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # status / followup / form / note
    event_date: Mapped[dt.date] = mapped_column(Date)
    status_from: Mapped[str | None] = mapped_column(String(10))
    status_to: Mapped[str | None] = mapped_column(String(10))
    wage: Mapped[int | None] = mapped_column(Integer)
    employment_form: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    placement: Mapped[Placement] = relationship(back_populates="events")


class ModelVersion(Base):
    __tablename__ = "model_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    target: Mapped[str] = mapped_column(String(20))  # retained_180 / skilled_12m
    algorithm: Mapped[str] = mapped_column(String(60))
    training_rows: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[str] = mapped_column(Text)  # JSON
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class AuditLog(Base):
    """Append-only record of who did what; personal fields masked in before/after."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30), index=True)
    entity: Mapped[str | None] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    # SHA-256 over this entry and the previous entry's hash (db/audit.py): a rewritten, removed or
    # inserted entry breaks every link after it.
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class AppSetting(Base):
    """Bureau-wide settings shared by every office on the same database."""
    __tablename__ = "app_setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


Index("ix_placement_vacancy_status", Placement.vacancy_id, Placement.status)
# The matcher's warm frames find what changed since they were read (db/services/frame_cache.py);
# the statistics page's change check sums the versions on them too (db/services/stats.py).
Index("ix_trainee_updated_version", Trainee.updated_at, Trainee.version)
Index("ix_placement_updated_version", Placement.updated_at, Placement.version)


class Household(Base):
    """A household of the poverty-monitoring system (户), keyed by its 户编号 when it has one."""
    __tablename__ = "household"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)  # 户编号; None when entered by hand
    county: Mapped[str | None] = mapped_column(String(40))
    township: Mapped[str | None] = mapped_column(String(40), index=True)
    village: Mapped[str | None] = mapped_column(String(40))
    natural_village: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)  # 人数 as the export says
    household_kind: Mapped[str] = mapped_column(String(16), default="general")  # 户类型
    monitoring_kind: Mapped[str | None] = mapped_column(String(10), index=True)  # 监测对象类别
    identified_month: Mapped[dt.date | None] = mapped_column(Date)
    eliminated: Mapped[bool] = mapped_column(Boolean, default=False)
    elimination_method: Mapped[str | None] = mapped_column(String(20))
    eliminated_month: Mapped[dt.date | None] = mapped_column(Date)
    risks: Mapped[str] = mapped_column(String(200), default="")  # 致贫/返贫风险, joined by 、
    income_per_capita: Mapped[int | None] = mapped_column(Integer)
    income_year: Mapped[int | None] = mapped_column(Integer)
    wage_income: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    members: Mapped[list[HouseholdMember]] = relationship(back_populates="household")
    __table_args__ = (
        CheckConstraint("household_kind in ('general','poverty_exited','monitored')", name="kind"),
        CheckConstraint("monitoring_kind is null or monitoring_kind in ('unstable','marginal','sudden')",
                        name="monitoring"),
    )


class HouseholdMember(Base):
    """A member of a household; linked to a trainee by the ID number."""
    __tablename__ = "household_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    person_code: Mapped[str | None] = mapped_column(String(40))  # 人编号
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str | None] = mapped_column(String(20))  # 与户主关系
    labour: Mapped[str | None] = mapped_column(String(10))  # core.households.LABOUR
    work_place: Mapped[str | None] = mapped_column(String(100))  # 务工所在地 as the export says
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    household: Mapped[Household] = relationship(back_populates="members")
    trainee: Mapped[Trainee | None] = relationship()


class HouseholdEvent(Base):
    """A household's history: kind changed, risk eliminated, members in, out or moved, links."""
    __tablename__ = "household_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON
    user_id: Mapped[int | None] = mapped_column(Integer)


class WorkRecord(Base):
    """Work found outside LaborBridge, from the monthly work table (已外出务工信息)."""
    __tablename__ = "work_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    household_code: Mapped[str | None] = mapped_column(String(40))
    start_month: Mapped[dt.date] = mapped_column(Date)
    end_month: Mapped[dt.date | None] = mapped_column(Date)  # the month it ended in; None = still working
    place: Mapped[str | None] = mapped_column(String(100))  # 务工所在县
    destination: Mapped[str] = mapped_column(String(20))  # core.households.DESTINATIONS
    monthly_income: Mapped[int | None] = mapped_column(Integer)
    employer: Mapped[str] = mapped_column(String(100), default="")
    industry: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(40))  # 就业渠道: 公益性岗位, 帮扶车间, 自主务工 …
    point_to_point: Mapped[bool | None] = mapped_column(Boolean)
    travel_subsidy: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(120), default="")  # the file it came from
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("id_number", "start_month", "employer", name="uq_work_record_key"),)


class SubsidyRule(Base):
    """A subsidy tied to a placement, as the province sets it for a year (a bureau setting)."""
    __tablename__ = "subsidy_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(20))  # the workers' home province
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # core.households.SUBSIDY_KINDS
    scope: Mapped[str] = mapped_column(String(30))  # core.households.SUBSIDY_SCOPES
    months_on_job: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("province", "year", "kind", "scope", name="uq_subsidy_rule_key"),
                      CheckConstraint("amount >= 0 and months_on_job >= 0", name="values"))


class SubsidyClaim(Base):
    """The ledger: one claim per placement and rule (eligible → claimed → publicised → paid / refused)."""
    __tablename__ = "subsidy_claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("subsidy_rule.id"))
    status: Mapped[str] = mapped_column(String(12), default="eligible")
    amount: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the checklist items in hand
    note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("placement_id", "rule_id", name="uq_subsidy_claim_key"),
                      CheckConstraint("status in ('eligible','claimed','publicised','paid','refused')",
                                      name="status"))
