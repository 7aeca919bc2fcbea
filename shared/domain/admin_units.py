"""Administrative units as effective-dated data, and the two ways to read the past.

"As the map was": a dossier counts under the unit of the agency that received it, and that
unit's ancestors as they were. "As the map is": the unit is first carried forward through its
successors (the first one, on a split) to today's map. Both are pure functions of the data in
`config/units.toml`; nothing here reads a clock.
"""

import tomllib
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import ProjectError

UNITS_FILE = Path(__file__).resolve().parents[2] / "config" / "units.toml"


class Tier(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"  # only before 1 July 2025
    COMMUNE = "commune"  # a commune, ward or special zone


DEPTH = {Tier.PROVINCE: 0, Tier.DISTRICT: 1, Tier.COMMUNE: 2}


class MapReading(StrEnum):
    AS_WAS = "as_was"  # each dossier under the unit that received it, as the map was then
    AS_IS = "as_is"  # rolled up into today's successors


class UnitsError(ProjectError, ValueError):
    """The units data cannot be used as it is; the message says where."""


class AdminUnit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9.\-]{1,40}$")
    name: str = Field(min_length=1)
    tier: Tier
    parent: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None  # exclusive
    successors: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.tier is Tier.PROVINCE) != (self.parent is None):
            raise ValueError(f"{self.code}: a province has no parent; every other unit has one")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError(f"{self.code}: valid_to must be after valid_from")
        if self.successors and self.valid_to is None:
            raise ValueError(f"{self.code}: a unit with successors needs its valid_to")
        return self

    def in_being_on(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day < self.valid_to)


class UnitMap:
    def __init__(self, units: list[AdminUnit]) -> None:
        self.units = {unit.code: unit for unit in units}
        if len(self.units) != len(units):
            raise UnitsError("a unit code is used twice")
        self._check()

    @classmethod
    def from_toml(cls, text: str) -> "UnitMap":
        try:
            units = [AdminUnit.model_validate(item) for item in tomllib.loads(text).get("unit", [])]
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            raise UnitsError(f"units data is invalid: {error}") from error
        return cls(units)

    @classmethod
    def from_file(cls, path: Path = UNITS_FILE) -> "UnitMap":
        return cls.from_toml(path.read_text("utf-8"))

    def _check(self) -> None:
        for unit in self.units.values():
            named = [unit.parent] if unit.parent else []
            unknown = [code for code in [*named, *unit.successors] if code not in self.units]
            if unknown:
                raise UnitsError(f"unit {unit.code} names unknown units {unknown}")
            if unit.parent and DEPTH[self.units[unit.parent].tier] >= DEPTH[unit.tier]:
                raise UnitsError(f"unit {unit.code}: its parent must be of a higher tier")
            self.current(unit.code, date.max)  # raises on a cycle of successors

    def unit(self, code: str) -> AdminUnit:
        try:
            return self.units[code]
        except KeyError:
            raise UnitsError(f"unknown administrative unit {code!r}") from None

    def name(self, code: str) -> str | None:
        unit = self.units.get(code)
        return unit.name if unit else None

    def current(self, code: str, on: date) -> str:
        """The unit that carries `code` forward to the map of `on`: itself while in being,
        else (recursively) its first successor. A unit ended without successors stays."""
        seen = [code]
        unit = self.unit(code)
        while unit.successors and unit.valid_to is not None and on >= unit.valid_to:
            unit = self.unit(unit.successors[0])
            if unit.code in seen:
                raise UnitsError(f"successors of {code} form a cycle: {seen}")
            seen.append(unit.code)
        return unit.code

    def at_tier(self, code: str, tier: Tier) -> str:
        """The ancestor of `code` at `tier`, as the map was while `code` existed (the nearest
        above it when there is none at that tier, as for a commune since July 2025); a unit
        above that tier (a province and its departments) is its own row."""
        unit = self.unit(code)
        while DEPTH[unit.tier] > DEPTH[tier] and unit.parent is not None:
            unit = self.unit(unit.parent)
        return unit.code

    def lineage(self, code: str) -> list[str]:
        """`code` and its ancestors, nearest first."""
        chain = [code]
        while (parent := self.unit(chain[-1]).parent) is not None:
            chain.append(parent)
        return chain

    def placed(self, code: str, reading: MapReading, today: date) -> str:
        """The unit a dossier received by a unit `code` counts under, read as asked."""
        return code if reading is MapReading.AS_WAS else self.current(code, today)
