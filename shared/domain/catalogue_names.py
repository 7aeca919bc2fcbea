"""The names a reader needs next to the codes (agency, procedure, field, level), from the
catalogue intake uses (followed on catalogue.events.v1, or read from a seed file), so a report
names what the desk names."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shared.domain.catalogue import Catalogue
from shared.domain.reference_source import ReferenceSource

LEVEL_NAMES = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}


@dataclass(frozen=True)
class CatalogueNames:
    by_grouping: dict[str, dict[str, str]] = field(default_factory=dict)
    agency_units: dict[str, str] = field(default_factory=dict)  # agency code -> unit code

    @classmethod
    def from_toml(cls, text: str) -> "CatalogueNames":
        data = tomllib.loads(text)
        procedures: dict[str, tuple[str, str]] = {}
        for item in data.get("procedure", []):
            since = str(item.get("effective_from", ""))
            if item["code"] not in procedures or procedures[item["code"]][0] <= since:
                procedures[item["code"]] = (since, item["name"])  # the latest version's name
        return cls(
            {
                "agency": {item["code"]: item["name"] for item in data.get("agency", [])},
                "procedure": {code: name for code, (_, name) in procedures.items()},
                "field": {item["code"]: item["name"] for item in data.get("field", [])},
                "level": LEVEL_NAMES,
            },
            {item["code"]: item["unit"] for item in data.get("agency", []) if "unit" in item},
        )

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> "CatalogueNames":
        latest: dict[str, str] = {}
        for version in sorted(catalogue.procedures, key=lambda p: p.effective_from):
            latest[version.code] = version.name  # the latest version's name
        return cls(
            {
                "agency": {code: agency.name for code, agency in catalogue.agencies.items()},
                "procedure": latest,
                "field": {code: item.name for code, item in catalogue.fields.items()},
                "level": LEVEL_NAMES,
            },
            {code: agency.unit for code, agency in catalogue.agencies.items()},
        )

    @classmethod
    def from_file(cls, path: Path) -> "CatalogueNames":
        return cls.from_toml(path.read_text("utf-8"))

    def name(self, grouping: str, code: str) -> str | None:
        return self.by_grouping.get(grouping, {}).get(code)


class Names(Protocol):
    @property
    def agency_units(self) -> dict[str, str]: ...

    def name(self, grouping: str, code: str) -> str | None: ...


class LiveNames:
    """The names of the catalogue as it is now, followed live; rebuilt once per change."""

    def __init__(self, reference: ReferenceSource) -> None:
        self.reference = reference
        self._names = CatalogueNames()
        self._revision = -1

    @property
    def current(self) -> CatalogueNames:
        reference = self.reference.current
        if reference.revision != self._revision:
            self._names = CatalogueNames.from_catalogue(reference.catalogue)
            self._revision = reference.revision
        return self._names

    @property
    def agency_units(self) -> dict[str, str]:
        return self.current.agency_units

    def name(self, grouping: str, code: str) -> str | None:
        return self.current.name(grouping, code)
