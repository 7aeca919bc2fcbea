"""What a service layer needs of the reference data (`ReferenceSource`), and a reference that
never changes (`FixedReference`, for unit tests and tools). The running services read it from
`shared/messaging/reference_follower.py`, which follows `catalogue.events.v1`."""

from typing import Protocol

from shared.domain.business_calendar import BusinessCalendar
from shared.domain.catalogue import Catalogue
from shared.domain.reference_log import CalendarEntry, Reference


class ReferenceSource(Protocol):
    """What a service layer needs of the reference data: the current reading, and a way to
    wait until a given log position is folded in."""

    @property
    def current(self) -> Reference: ...

    async def at_least(self, revision: int | None) -> Reference: ...


class FixedReference:
    """A reference that never changes: for unit tests and tools."""

    def __init__(self, reference: Reference) -> None:
        self._reference = reference

    @classmethod
    def of(
        cls, catalogue: Catalogue | None = None, calendar: BusinessCalendar | None = None
    ) -> "FixedReference":
        return cls(
            Reference(
                catalogue or Catalogue([], []),
                calendar or BusinessCalendar(),
                CalendarEntry(),
                revision=0,
                procedure_changes={},
                agency_changes={},
            )
        )

    @property
    def current(self) -> Reference:
        return self._reference

    async def at_least(self, revision: int | None) -> Reference:
        return self._reference

    def replace(self, reference: Reference) -> None:
        self._reference = reference
