"""What the exchange service reports of the national portal (766 indicator 1.4): per agency,
the dossiers received in a period and those whose records all reached the portal."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SyncCounts:
    received: int
    synchronised: int


@dataclass(frozen=True)
class SyncFigures:
    by_agency: dict[str, SyncCounts]
    source: str  # the exchange's table, named in the cells
    missing: str | None = None  # why there are no figures


NO_FIGURES = SyncFigures({}, "", "the exchange service's sync table (not asked)")
