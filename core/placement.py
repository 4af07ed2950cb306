"""The placement rules: the status machine, which statuses hold a seat, appear on a list or count as
started work, how many seats a vacancy has left, and when a person may be proposed into a batch."""

from __future__ import annotations

from typing import overload

import numpy as np
import numpy.typing as npt

from core.i18n import UserError
from core.vocab import status_label

STATUSES: tuple[str, ...] = ("proposed", "confirmed", "departed", "on_job", "ended", "declined")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("confirmed", "declined"),
    "confirmed": ("departed", "declined"),
    "departed": ("on_job", "ended", "declined"),
    "on_job": ("ended",),
    "ended": (),
    "declined": (),
}
# A placement in one of these holds a seat of its vacancy, and its trainee is taken (not free for another).
SEAT_HOLDING: tuple[str, ...] = ("confirmed", "departed", "on_job")
# Still in play in a batch: proposals and the seat holders.
OPEN: tuple[str, ...] = ("proposed", *SEAT_HOLDING)
# Printed on placement lists: people actually sent or confirmed to go, never proposals or the declined.
LISTED: tuple[str, ...] = (*SEAT_HOLDING, "ended")


def start_passed(start: object, today: object) -> bool:
    """A vacancy whose start date has passed is still offered (在招 with a seat left: it may be filled
    late; the matcher then plans from today); lists mark it rather than hide it."""
    return start is not None and hasattr(start, "toordinal") and start < today  # type: ignore[operator]


# Left home for the job and not ended: follow-up visits apply.
AWAY: tuple[str, ...] = ("departed", "on_job")
# Vacancy statuses that take nobody: 已满 (filled) and 关闭 (closed) are set by a person and mean no seat
# is left whatever the count says. Seats left is otherwise computed; taking the last seat never changes
# the status (the open list still leaves a vacancy without seats out).
NOT_TAKING: tuple[str, ...] = ("filled", "closed")
# Work that actually started: the history the matcher learns from and statistics count.
STARTED: tuple[str, ...] = ("departed", "on_job", "ended")


def check_transition(current: str, to: str) -> None:
    if to not in TRANSITIONS.get(current, ()):
        if current == to:
            raise UserError(f"该记录已是“{status_label(to)}”，无需重复操作。",
                            f"This placement is already '{status_label(to)}'.")
        raise UserError(f"“{status_label(current)}”状态的记录不能改为“{status_label(to)}”。",
                        f"A placement that is '{status_label(current)}' cannot become '{status_label(to)}'.")


@overload
def seats_left(headcount: int, taken: int, status: str) -> int: ...
@overload
def seats_left(headcount: npt.ArrayLike, taken: npt.ArrayLike, status: npt.ArrayLike) -> npt.NDArray[np.int64]: ...


def seats_left(headcount: npt.ArrayLike, taken: npt.ArrayLike, status: npt.ArrayLike) -> int | npt.NDArray[np.int64]:
    """Seats a vacancy still offers: 0 when it is filled or closed, never negative. Scalars or arrays."""
    left = np.maximum(np.asarray(headcount, dtype=np.int64) - np.asarray(taken, dtype=np.int64), 0)
    left = np.where(np.isin(np.asarray(status, dtype=object), NOT_TAKING), 0, left).astype(np.int64)
    return int(left) if left.ndim == 0 else left


def check_taking(vacancy_code: str, vacancy_status: str) -> None:
    """A vacancy set to 已满 or 关闭 takes nobody: no proposal, no confirmation, no re-placement."""
    if vacancy_status == "closed":
        raise UserError(f"岗位 {vacancy_code} 已关闭，不能再派人。", f"Vacancy {vacancy_code} is closed.")
    if vacancy_status == "filled":
        raise UserError(f"岗位 {vacancy_code} 已设为“已满”，不能再派人；如仍需招人，请先在岗位信息中改回“在招”。",
                        f"Vacancy {vacancy_code} is set to 'filled' and takes nobody; set it back to 'open' first "
                        "if it still needs people.")


# 劳动法 第十五条: no employer may take on anyone under 16. No exception (破例加入) reaches below it.
MIN_WORKING_AGE = 16


def check_override_allowed(trainee_name: str, age_at_start: int | None) -> None:
    """An exception to the eligibility rules (破例加入) is never one to the law's minimum working age."""
    if age_at_start is not None and age_at_start < MIN_WORKING_AGE:
        raise UserError(f"{trainee_name} 上岗时未满 {MIN_WORKING_AGE} 周岁（{age_at_start} 岁），依法不得招用，不能破例加入。",
                        f"{trainee_name} is under {MIN_WORKING_AGE} ({age_at_start}) at the start; the law forbids "
                        "employing them, so no exception is possible.", code=2)


def check_proposable(*, trainee_name: str, trainee_deleted: bool, holds_seat: bool, vacancy_code: str,
                     vacancy_status: str, seats: int, already_in_batch: bool = False) -> None:
    """Whether a person may be proposed for a vacancy of a batch; every path into a batch asks here."""
    if trainee_deleted:
        raise UserError(f"学员 {trainee_name} 已删除，不能派遣。", f"Trainee {trainee_name} was deleted.")
    if holds_seat:
        raise UserError(f"学员 {trainee_name} 已有在派或在岗的就业记录，不能重复派遣。",
                        f"Trainee {trainee_name} already has an active placement; a second one is not allowed.")
    check_taking(vacancy_code, vacancy_status)
    if seats <= 0:
        raise UserError(f"岗位 {vacancy_code} 已没有名额。", f"Vacancy {vacancy_code} has no seat left.")
    if already_in_batch:
        raise UserError(f"学员 {trainee_name} 已在本批次的名单中。", f"Trainee {trainee_name} is already in this batch.")
