"""Frames → numpy arrays, prepared once, so ranking one vacancy is pure vectorised arithmetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.vocab import PROVINCES
from matching.history import EmployerHistory, date_parts, day_numbers, day_of, outcomes, trainee_prior_now

SKILL_KEYS = ("domestic_service", "elderly_care", "medical_care", "infant_care")
NO_LEVEL = 6.0  # "no graded certificate" sits just below level 5 (junior)
MANDARIN_NUM = {"fluent": 1.0, "basic": 0.0, "poor": -1.0}
# Provinces by the first two digits of the ID number (GB/T 2260, in the order of core.vocab.PROVINCES),
# with the latitude and longitude of the capital: enough to say how far from home a job is.
_GB_CODES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
             "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")
_CAPITALS = ((39.9, 116.4), (39.1, 117.2), (38.0, 114.5), (37.9, 112.5), (40.8, 111.7), (41.8, 123.4),
             (43.9, 125.3), (45.8, 126.6), (31.2, 121.5), (32.1, 118.8), (30.3, 120.2), (31.9, 117.3),
             (26.1, 119.3), (28.7, 115.9), (36.7, 117.0), (34.8, 113.7), (30.6, 114.3), (28.2, 112.9),
             (23.1, 113.3), (22.8, 108.3), (20.0, 110.3), (29.6, 106.5), (30.7, 104.1), (26.6, 106.7),
             (25.0, 102.7), (29.7, 91.1), (34.3, 108.9), (36.1, 103.8), (36.6, 101.8), (38.5, 106.3),
             (43.8, 87.6))
PROVINCE_PLACES: dict[str, tuple[str, float, float]] = {
    code: (name, lat, lon) for code, name, (lat, lon) in zip(_GB_CODES, PROVINCES, _CAPITALS, strict=True)}
_PLACE_CODES = list(PROVINCE_PLACES)
_PLACE_OF_CODE = {code: i for i, code in enumerate(_PLACE_CODES)}
_PLACE_BY_NAME = {name: i for i, (name, _lat, _lon) in enumerate(PROVINCE_PLACES.values())}
UNKNOWN_PLACE = len(_PLACE_CODES)  # the last row and column of DISTANCE_KM: NaN


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance (km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=float)


def _distance_table() -> np.ndarray:
    lat = np.array([v[1] for v in PROVINCE_PLACES.values()])
    lon = np.array([v[2] for v in PROVINCE_PLACES.values()])
    table = np.full((UNKNOWN_PLACE + 1, UNKNOWN_PLACE + 1), np.nan)
    table[:-1, :-1] = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return table


# Province to province (capital to capital), km; a pair's distance is one lookup.
DISTANCE_KM = _distance_table()


def home_places(id_numbers: np.ndarray) -> np.ndarray:
    """Index of each trainee's home province (from the ID number) in DISTANCE_KM; UNKNOWN_PLACE if unknown."""
    codes = pd.Series(id_numbers, dtype=object).astype(str).str[:2]
    places: np.ndarray = codes.map(_PLACE_OF_CODE).fillna(UNKNOWN_PLACE).to_numpy(dtype=np.int64)
    return places


def province_places(names: pd.Series) -> np.ndarray:
    """Index of each province name ("江苏", "江苏省", "广西壮族自治区") in DISTANCE_KM."""
    def place(name: object) -> int:
        text = str(name or "").strip()
        for key, index in _PLACE_BY_NAME.items():
            if text.startswith(key):
                return index
        return UNKNOWN_PLACE
    return np.array([place(x) for x in names], dtype=np.int64).reshape(-1)


def _region_token(text: str) -> str:
    text = text.strip()
    for suffix in ("省", "市"):
        if len(text) > 2 and text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


@dataclass
class MatchData:
    """Trainees, vacancies and history of one database, ready for the matcher."""

    trainees: pd.DataFrame
    vacancies: pd.DataFrame
    history: pd.DataFrame          # with outcomes (matching.history.outcomes)
    today: dt.date
    T: dict[str, np.ndarray] = field(default_factory=dict)
    V: dict[str, np.ndarray] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    employers: EmployerHistory | None = None

    @classmethod
    def build(cls, trainees: pd.DataFrame, vacancies: pd.DataFrame, history: pd.DataFrame | None,
              today: dt.date | None = None) -> MatchData:
        today = today or dt.date.today()
        if history is None:
            history = pd.DataFrame(columns=["placement_id", "trainee_id", "vacancy_id", "employer_id", "status",
                                            "start_date", "end_date", "skilled_since", "employment_form"])
        data = cls(trainees.reset_index(drop=True), vacancies.reset_index(drop=True), outcomes(history, today), today)
        data.employers = EmployerHistory(data.history)
        data._prepare_trainees()
        data._prepare_vacancies()
        return data

    def with_vacancies(self, vacancies: pd.DataFrame) -> MatchData:
        """The same trainees and history (shared, never copied) with other vacancies: what a ranking or
        plan needs when the trainee side was prepared once for the session. ``self`` is left as it was."""
        data = MatchData(self.trainees, vacancies.reset_index(drop=True), self.history, self.today,
                         T=self.T, regions=dict(self.regions), employers=self.employers)
        data._prepare_vacancies()
        return data

    def replace_trainees(self, trainees: pd.DataFrame, changed: np.ndarray, history: pd.DataFrame) -> MatchData:
        """A copy in which the trainees ``changed`` (ids) are replaced by the rows of ``trainees``
        (an id missing there is gone: deleted or out of scope) and the history by ``history``
        (already through matching.history.outcomes). Only the changed rows are prepared again; the
        result equals a full ``build`` of the same frames. ``self`` is left as it was."""
        changed = np.asarray(changed, dtype=np.int64)
        keep = ~np.isin(self.T["trainee_id"], changed)
        # A copy of the region codes: another thread may be ranking with ``self`` meanwhile.
        fresh = MatchData(trainees.reset_index(drop=True), self.vacancies, history, self.today,
                          regions=dict(self.regions), employers=None)
        fresh._prepare_trainees(history[history["trainee_id"].isin(changed)] if len(history) else history)
        same = self._replaced_in_place(fresh, changed, history)
        if same is not None:
            return same
        frame = pd.concat([self.trainees[keep], fresh.trainees], ignore_index=True)
        order = np.argsort(frame["trainee_id"].to_numpy(dtype=np.int64), kind="stable")
        T: dict[str, np.ndarray] = {}
        for key, old in self.T.items():
            if key in ("household_code", "household_kinds", "pref", "has_pref"):
                continue
            T[key] = np.concatenate([old[keep], fresh.T[key]])[order]
        width = max(self.T["pref"].shape[1], fresh.T["pref"].shape[1])
        pref = np.full((len(order), width), -1, dtype=np.int32)
        pref[: int(keep.sum()), : self.T["pref"].shape[1]] = self.T["pref"][keep]
        pref[int(keep.sum()):, : fresh.T["pref"].shape[1]] = fresh.T["pref"]
        T["pref"] = pref[order]
        T["has_pref"] = (T["pref"] >= 0).any(axis=1)  # type: ignore[assignment]  # axis=1 of a 2-D array
        frame = frame.iloc[order].reset_index(drop=True)
        codes, kinds = pd.factorize(frame["household_type"].fillna("").astype(object))
        T["household_code"] = codes.astype(np.int64)
        T["household_kinds"] = np.asarray(kinds, dtype=object)
        data = MatchData(frame, self.vacancies, history, self.today, T=T, regions=fresh.regions,
                         employers=EmployerHistory(history))
        data._prepare_vacancies()
        return data

    def _replaced_in_place(self, fresh: MatchData, changed: np.ndarray, history: pd.DataFrame) -> MatchData | None:
        """The usual case of replace_trainees — the same people, some of them edited — as copies with
        the changed positions overwritten (no re-sorting of 200,000 rows); None when people came or went."""
        pos = self.trainee_pos(fresh.T["trainee_id"])
        if len(pos) != len(changed) or (pos < 0).any():
            return None
        # Column arrays copied and overwritten as they are (string arrays stay string arrays), then one
        # frame built from them: assigning 40 columns one by one re-validated every value of each.
        columns: dict[str, Any] = {}
        for col in self.trainees.columns:
            old, new = self.trainees[col].array, fresh.trainees[col].array
            if old.dtype != new.dtype:
                return None
            values = old.copy()
            values[pos] = new
            columns[col] = values
        frame = pd.DataFrame(columns, index=self.trainees.index, copy=False)
        T: dict[str, np.ndarray] = {}
        for key, old in self.T.items():
            if key in ("household_code", "household_kinds", "pref", "has_pref"):
                continue
            arr = old.copy()
            arr[pos] = fresh.T[key]
            T[key] = arr
        width = max(self.T["pref"].shape[1], fresh.T["pref"].shape[1])
        pref = np.full((len(frame), width), -1, dtype=np.int32)
        pref[:, : self.T["pref"].shape[1]] = self.T["pref"]
        pref[pos] = -1
        pref[pos, : fresh.T["pref"].shape[1]] = fresh.T["pref"]
        T["pref"] = pref
        T["has_pref"] = (pref >= 0).any(axis=1)  # type: ignore[assignment]  # axis=1 of a 2-D array
        codes, kinds = pd.factorize(frame["household_type"].fillna("").astype(object))
        T["household_code"] = codes.astype(np.int64)
        T["household_kinds"] = np.asarray(kinds, dtype=object)
        data = MatchData(frame, self.vacancies, history, self.today, T=T, regions=fresh.regions,
                         employers=EmployerHistory(history))
        data._prepare_vacancies()
        return data

    # --- helpers ------------------------------------------------------------------------------
    def _code(self, token: str) -> int:
        if token not in self.regions:
            self.regions[token] = len(self.regions)
        return self.regions[token]

    def _prepare_trainees(self, history: pd.DataFrame | None = None) -> None:
        t = self.trainees
        n = len(t)
        T: dict[str, np.ndarray] = {}
        T["trainee_id"] = t["trainee_id"].to_numpy(dtype=np.int64)
        skills = t["skills"].fillna("").astype(str)
        mask = np.zeros(n, dtype=np.int64)
        for bit, key in enumerate(SKILL_KEYS):
            mask |= np.where(skills.str.contains(key, regex=False).to_numpy(dtype=bool), 1 << bit, 0)
        T["skill_mask"] = mask
        level = pd.to_numeric(t["skill_level"], errors="coerce").to_numpy(dtype=float)
        T["has_level"] = ~np.isnan(level)
        T["level"] = np.where(np.isnan(level), NO_LEVEL, level)
        T["expected"] = pd.to_numeric(t["expected_wage"], errors="coerce").to_numpy(dtype=float)
        T["mandarin"] = t["mandarin"].map(MANDARIN_NUM).fillna(0.0).to_numpy(dtype=float)
        T["hours"] = pd.to_numeric(t["training_hours"], errors="coerce").to_numpy(dtype=float)
        T["birth_d"] = day_numbers(t["birth_date"])
        T["birth_y"], T["birth_md"] = date_parts(T["birth_d"])
        T["available_d"] = day_numbers(t["available_from"])
        T["health_d"] = day_numbers(t["health_cert_expiry"])
        T["busy"] = t["busy"].to_numpy(dtype=bool) if "busy" in t else np.zeros(n, dtype=bool)
        T["gender"] = t["gender"].astype(object).to_numpy()
        T["home_place"] = home_places(t["id_number"].to_numpy(dtype=object))
        # Display columns as plain object arrays: ranking indexes them without touching pandas.
        for col in ("household_type", "id_number", "name"):
            T[col] = t[col].astype(object).to_numpy()
        codes, kinds = pd.factorize(t["household_type"].fillna("").astype(object))
        T["household_code"] = codes.astype(np.int64)
        T["household_kinds"] = np.asarray(kinds, dtype=object)
        # Preferred regions as a small matrix of region codes (-1 = empty slot).
        lists = [[_region_token(x) for x in str(p).replace("，", ",").replace("、", ",").split(",") if x.strip()]
                 for p in t["preferred_regions"].fillna("")]
        width = max([len(x) for x in lists] + [1])
        pref = np.full((n, width), -1, dtype=np.int32)
        for i, items in enumerate(lists):
            for k, token in enumerate(items):
                pref[i, k] = self._code(token)
        T["pref"] = pref
        T["has_pref"] = (pref >= 0).any(axis=1)  # type: ignore[assignment]  # axis=1 of a 2-D array: an array
        T.update(trainee_prior_now(self.history if history is None else history, T["trainee_id"]))
        self.T = T

    def _prepare_vacancies(self) -> None:
        v = self.vacancies
        V: dict[str, np.ndarray] = {}
        V["vacancy_id"] = v["vacancy_id"].to_numpy(dtype=np.int64)
        V["employer_id"] = v["employer_id"].to_numpy(dtype=np.int64)
        V["skill_code"] = np.array([SKILL_KEYS.index(s) if s in SKILL_KEYS else -1 for s in v["skill"]],
                                   dtype=np.int64)
        V["skill_bit"] = np.where(V["skill_code"] >= 0, 1 << np.maximum(V["skill_code"], 0), 0)
        vmin = pd.to_numeric(v["min_level"], errors="coerce").to_numpy(dtype=float)
        V["has_min"] = ~np.isnan(vmin)
        V["min_level"] = np.where(np.isnan(vmin), NO_LEVEL, vmin)
        V["wage_min"] = pd.to_numeric(v["wage_min"], errors="coerce").to_numpy(dtype=float)
        V["wage_max"] = pd.to_numeric(v["wage_max"], errors="coerce").to_numpy(dtype=float)
        V["board"] = v["board"].to_numpy(dtype=bool)
        V["lodging"] = v["lodging"].to_numpy(dtype=bool)
        V["age_min"] = pd.to_numeric(v["age_min"], errors="coerce").to_numpy(dtype=float)
        V["age_max"] = pd.to_numeric(v["age_max"], errors="coerce").to_numpy(dtype=float)
        V["gender_req"] = v["gender_requirement"].fillna("any").astype(object).to_numpy()
        V["long_term"] = (v["contract_type"].to_numpy() == "long_term")
        V["needs_health"] = v["needs_health_cert"].to_numpy(dtype=bool)
        V["start_d"] = day_numbers(v["start_date"])
        # Eligibility and "now" features look at the later of the start date and today.
        V["eff_start_d"] = np.fmax(np.where(np.isnan(V["start_d"]), -np.inf, V["start_d"]), day_of(self.today))
        V["prov_code"] = np.array([self._code(_region_token(str(x))) for x in v["province"].fillna("")], dtype=np.int32)
        V["city_code"] = np.array([self._code(_region_token(str(x))) for x in v["city"].fillna("")], dtype=np.int32)
        V["place"] = province_places(v["province"].fillna(""))
        assert self.employers is not None
        V["emp_rate"], V["emp_n"] = self.employers.at(V["employer_id"], day_of(self.today) + 1)
        self.V = V

    # --- lookups ------------------------------------------------------------------------------
    def trainee_pos(self, trainee_ids: np.ndarray | list[int]) -> np.ndarray:
        pos: np.ndarray = pd.Index(self.T["trainee_id"]).get_indexer(np.asarray(trainee_ids))
        return pos

    def vacancy_pos(self, vacancy_ids: np.ndarray | list[int]) -> np.ndarray:
        pos: np.ndarray = pd.Index(self.V["vacancy_id"]).get_indexer(np.asarray(vacancy_ids))
        return pos

    def preferred_regions(self, pos: int) -> list[str]:
        token_of = {code: token for token, code in self.regions.items()}
        return [token_of[int(code)] for code in self.T["pref"][pos] if code >= 0]


# --- a prepared trainee side as flat arrays (kept on disk by db/services/frame_cache.py) -----------
# Names and ID numbers are never part of it: the caller attaches them again (attach_identities).
PRIVATE_COLUMNS = ("name", "id_number")


class NotStorable(ValueError):
    """A frame column of a kind the flat form does not keep (the state is then simply not stored)."""


def frame_to_arrays(prefix: str, frame: pd.DataFrame, arrays: dict[str, np.ndarray]) -> list[list[str]]:
    """Each column of ``frame`` as plain arrays in ``arrays`` (strings as codes + their distinct values);
    returns the column list ``[name, kind]`` that :func:`frame_from_arrays` needs."""
    columns: list[list[str]] = []
    for i, col in enumerate(frame.columns):
        values = frame[col]
        key = f"{prefix}{i}"
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            if not all(isinstance(x, str) for x in uniques):
                raise NotStorable(col)
            arrays[key] = codes.astype(np.int32)
            arrays[key + "u"] = np.asarray(uniques, dtype=str) if len(uniques) else np.zeros(0, dtype="U1")
            columns.append([str(col), "object" if values.dtype == object else "str"])
        elif values.dtype.kind in "biufM":
            arrays[key] = values.to_numpy()
            columns.append([str(col), "num"])
        else:
            raise NotStorable(col)
    return columns


def _with_none(uniques: np.ndarray) -> np.ndarray:
    """Distinct values as objects with None after them, so code -1 picks None."""
    out = np.empty(len(uniques) + 1, dtype=object)
    out[:-1] = np.asarray(uniques, dtype=object)
    out[-1] = None
    return out


def frame_from_arrays(prefix: str, columns: list[list[str]], arrays: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for i, (col, kind) in enumerate(columns):
        key = f"{prefix}{i}"
        if kind in ("str", "object"):
            codes = np.asarray(arrays[key])
            uniques = _with_none(arrays[key + "u"])
            values = uniques[codes]
            out[col] = values if kind == "object" else pd.Series(values, dtype="str")
        else:
            out[col] = np.asarray(arrays[key])
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


def state_arrays(data: MatchData, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The trainee side of ``data`` (built without vacancies) as arrays, without names or ID numbers;
    returns the rest (JSON-able) for :func:`from_state`."""
    T = {k: v for k, v in data.T.items() if k not in PRIVATE_COLUMNS}
    for k, v in T.items():
        if v.dtype == object:
            if k == "household_kinds":
                arrays["K" + k] = np.asarray(v, dtype=str) if len(v) else np.zeros(0, dtype="U1")
            else:
                codes, uniques = pd.factorize(pd.Series(v, dtype=object))
                if len(uniques) and not all(isinstance(x, str) for x in uniques):
                    raise NotStorable(k)
                arrays["C" + k] = codes.astype(np.int32)
                arrays["C" + k + "u"] = np.asarray(uniques, dtype=str) if len(uniques) else np.zeros(0, dtype="U1")
        else:
            arrays["T" + k] = v
    trainees = data.trainees.drop(columns=[c for c in PRIVATE_COLUMNS if c in data.trainees.columns])
    return {"today": data.today.isoformat(), "n": len(trainees), "n_history": len(data.history),
            "regions": data.regions, "order": [str(c) for c in data.trainees.columns],
            "trainees": frame_to_arrays("t", trainees, arrays),
            "history": frame_to_arrays("h", data.history, arrays)}


def from_state(meta: dict[str, Any], arrays: dict[str, np.ndarray], vacancies: pd.DataFrame) -> MatchData:
    """The MatchData that :func:`state_arrays` flattened (arrays may be memory-mapped), with
    ``name`` and ``id_number`` still empty: attach them with :func:`attach_identities`."""
    n = int(meta["n"])
    T: dict[str, np.ndarray] = {}
    for key, arr in arrays.items():
        if key.startswith("T"):
            T[key[1:]] = arr
        elif key == "Khousehold_kinds":
            T["household_kinds"] = np.asarray(arr, dtype=object)
        elif key.startswith("C") and not key.endswith("u"):
            uniques = _with_none(arrays[key + "u"])
            T[key[1:]] = uniques[np.asarray(arr)]
    trainees = frame_from_arrays("t", meta["trainees"], arrays, n)
    history = frame_from_arrays("h", meta["history"], arrays, int(meta["n_history"]))
    for col in PRIVATE_COLUMNS:
        T[col] = np.full(n, None, dtype=object)
        trainees[col] = np.full(n, None, dtype=object)
    trainees = trainees[meta["order"]]
    data = MatchData(trainees, vacancies.reset_index(drop=True), history, dt.date.fromisoformat(meta["today"]),
                     T=T, regions=dict(meta["regions"]), employers=EmployerHistory(history))
    data._prepare_vacancies()
    return data


def attach_identities(data: MatchData, trainee_ids: np.ndarray, names: np.ndarray, id_numbers: np.ndarray) -> None:
    """Fill the names and ID numbers of ``data`` (from :func:`from_state`) in place, by trainee id; a
    trainee missing from ``trainee_ids`` keeps None (the caller patches such rows from the database)."""
    pos = pd.Index(np.asarray(trainee_ids, dtype=np.int64)).get_indexer(data.T["trainee_id"])
    found = pos >= 0
    for col, values in (("name", names), ("id_number", id_numbers)):
        out = np.full(len(pos), None, dtype=object)
        out[found] = np.asarray(values, dtype=object)[pos[found]]
        data.T[col] = out
        data.trainees[col] = out.copy()
