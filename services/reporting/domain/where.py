"""What a report reads, beside its period and grouping."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DossierFilter:
    """Which dossiers a report reads: receiving agencies (None: all) and level (None: all)."""

    agencies: frozenset[str] | None = None
    level: str | None = None


EVERYTHING = DossierFilter()  # no filter
