"""Reports by administrative unit: where a dossier counts on the map, read as asked.

A dossier is placed by the unit of the agency that received it (`agency.unit` in the
catalogue). "As the map was" keeps that unit; "as the map is" carries it forward to today's
successor. The row is the placed unit's ancestor at the asked tier (a province's own
departments are a row of the province). A `unit=` filter keeps the dossiers placed at that
unit or under it: the roll-up of a province is its departments and all its communes."""

from collections.abc import Mapping
from datetime import date

from services.reporting.domain.dossier_facts import DossierFacts
from shared.domain.admin_units import MapReading, Tier, UnitMap
from shared.errors import RejectedError

UNPLACED = "-"  # an agency the catalogue does not place on the map


class UnitQueryError(RejectedError, ValueError):
    """A unit report asked for something the map cannot answer; the message says why."""


class UnitView:
    """One query's reading of the map. The placement depends only on the receiving agency,
    so it is worked out once per agency, not once per dossier."""

    def __init__(
        self, units: UnitMap, agency_units: Mapping[str, str], reading: MapReading,
        tier: Tier, today: date, unit: str | None = None,
    ) -> None:  # fmt: skip
        if reading is MapReading.AS_IS and tier is Tier.DISTRICT:
            raise UnitQueryError("today's map has no districts: read it with map=as_was")
        if unit is not None and unit not in units.units:
            raise UnitQueryError(f"unknown administrative unit {unit!r}")
        self.units, self.agency_units = units, agency_units
        self.reading, self.tier, self.today, self.unit = reading, tier, today, unit
        self._placed: dict[str, str | None] = {}

    def placed(self, facts: DossierFacts) -> str | None:
        return self.agency_placed(facts.agency)

    def agency_placed(self, agency: str) -> str | None:
        if agency not in self._placed:
            unit = self.agency_units.get(agency)
            known = unit is not None and unit in self.units.units
            self._placed[agency] = (
                self.units.placed(unit, self.reading, self.today) if known and unit else None
            )
        return self._placed[agency]

    def row(self, facts: DossierFacts) -> str:
        return self.agency_row(facts.agency)

    def agency_row(self, agency: str) -> str:
        """The row of the dossiers this agency received."""
        unit = self.agency_placed(agency)
        return UNPLACED if unit is None else self.units.at_tier(unit, self.tier)

    def keeps(self, facts: DossierFacts) -> bool:
        return self.keeps_agency(facts.agency)

    def keeps_agency(self, agency: str) -> bool:
        """No `unit` filter, or the agency is placed at that unit or under it."""
        if self.unit is None:
            return True
        placed = self.agency_placed(agency)
        return placed is not None and self.unit in self.units.lineage(placed)
