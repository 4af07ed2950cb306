"""What a write changed: the record every write service returns and every page reads to decide
whether to redraw (as Anki's ``OpChanges``). No Qt here: the ui announces it (``ui/operations.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Table keys as the pages think of them (not SQL table names): a page lists the keys it shows.
TRAINEE, EMPLOYER, VACANCY, BATCH, PLACEMENT, SETTING, USER, HOUSEHOLD = (
    "trainee", "employer", "vacancy", "batch", "placement", "setting", "user", "household")
ALL_TABLES = frozenset({TRAINEE, EMPLOYER, VACANCY, BATCH, PLACEMENT, SETTING, USER, HOUSEHOLD})


@dataclass(frozen=True)
class Changes:
    """Tables touched, and where known the batches and placements; ``everything`` after a restore or demo."""

    tables: frozenset[str] = field(default_factory=frozenset)
    batch_ids: frozenset[int] = field(default_factory=frozenset)
    placement_ids: frozenset[int] = field(default_factory=frozenset)
    everything: bool = False

    @classmethod
    def of(cls, *tables: str, batches: Iterable[int] = (), placements: Iterable[int] = ()) -> Changes:
        return cls(frozenset(tables), frozenset(int(b) for b in batches if b is not None),
                   frozenset(int(p) for p in placements if p is not None))

    @classmethod
    def all(cls) -> Changes:
        return cls(ALL_TABLES, everything=True)

    def merge(self, other: Changes) -> Changes:
        return Changes(self.tables | other.tables, self.batch_ids | other.batch_ids,
                       self.placement_ids | other.placement_ids, self.everything or other.everything)

    def touches(self, *tables: str) -> bool:
        """Whether a view showing any of ``tables`` must redraw."""
        return self.everything or bool(self.tables.intersection(tables))

    def __bool__(self) -> bool:
        return self.everything or bool(self.tables)


NOTHING = Changes()


def placement_changes(ids: Iterable[int], *, batches: Iterable[int] = ()) -> Changes:
    """A status change of placements: their rows, the seats of their vacancies, their batches' counts."""
    return Changes.of(PLACEMENT, VACANCY, BATCH, placements=ids, batches=batches)


class WithChanges(int):
    """An id or a count, exactly as the service always returned it (the CLI uses it as an int), that
    also says what changed (``.changes``)."""

    changes: Changes

    def __new__(cls, value: int, changes: Changes) -> WithChanges:
        obj = super().__new__(cls, int(value))
        obj.changes = changes
        return obj
