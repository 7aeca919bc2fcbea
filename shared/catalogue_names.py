"""The names a reader needs next to the codes (agency, procedure, field, level), read from the
catalogue file intake uses (`CATALOGUE_FILE`), so a report names what the desk names."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

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
    def from_file(cls, path: Path) -> "CatalogueNames":
        return cls.from_toml(path.read_text("utf-8"))

    def name(self, grouping: str, code: str) -> str | None:
        return self.by_grouping.get(grouping, {}).get(code)
