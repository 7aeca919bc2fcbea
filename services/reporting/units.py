"""Reports by administrative unit: where a dossier counts on the map, read as asked.

A dossier is placed by the unit of the agency that received it (`agency.unit` in the
catalogue). "As the map was" keeps that unit; "as the map is" carries it forward to today's
successor. The row is the placed unit's ancestor at the asked tier (a province's own
departments are a row of the province). A `unit=` filter keeps the dossiers placed at that
unit or under it: the roll-up of a province is its departments and all its communes."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from services.reporting.dossier_facts import DossierFacts
from shared.admin_units import MapReading, Tier, UnitMap

UNPLACED = "-"  # an agency the catalogue does not place on the map


class UnitQueryError(ValueError):
    """A unit report asked for something the map cannot answer; the message says why."""


@dataclass(frozen=True)
class UnitView:
    units: UnitMap
    agency_units: Mapping[str, str]
    reading: MapReading
    tier: Tier
    today: date

    def __post_init__(self) -> None:
        if self.reading is MapReading.AS_IS and self.tier is Tier.DISTRICT:
            raise UnitQueryError("today's map has no districts: read it with map=as_was")

    def placed(self, facts: DossierFacts) -> str | None:
        unit = self.agency_units.get(facts.agency)
        if unit is None or unit not in self.units.units:
            return None
        return self.units.placed(unit, self.reading, self.today)

    def row(self, facts: DossierFacts) -> str:
        unit = self.placed(facts)
        return UNPLACED if unit is None else self.units.at_tier(unit, self.tier)

    def within(self, facts: DossierFacts, unit: str) -> bool:
        placed = self.placed(facts)
        return placed is not None and unit in self.units.lineage(placed)

    def check_unit(self, unit: str) -> None:
        if unit not in self.units.units:
            raise UnitQueryError(f"unknown administrative unit {unit!r}")
