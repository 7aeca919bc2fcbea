"""The categories of dissatisfaction (`config/rating_reasons.toml`): data, not code, so a
province adds its own. Survey files each dissatisfied rating under one; reporting counts them."""

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

REASONS_FILE = Path(__file__).resolve().parents[2] / "config" / "rating_reasons.toml"
OTHER = "other"


class ReasonCategory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: str = Field(min_length=1, max_length=200)


class ReasonCategories:
    def __init__(self, categories: list[ReasonCategory]) -> None:
        codes = [category.code for category in categories]
        if OTHER not in codes or len(set(codes)) != len(codes):
            raise ValueError(f"reason categories need unique codes and an '{OTHER}': {codes}")
        self.categories = categories
        self.names = {category.code: category.name for category in categories}

    @classmethod
    def from_file(cls, path: Path = REASONS_FILE) -> "ReasonCategories":
        data = tomllib.loads(path.read_text("utf-8"))
        return cls([ReasonCategory.model_validate(entry) for entry in data.get("category", [])])

    def category_of(self, code: str | None) -> str:
        """The category a rating names (none: "other"); an unknown one is a ValueError."""
        if code is None:
            return OTHER
        if code not in self.names:
            raise ValueError(f"unknown reason_category {code!r}; known: {', '.join(self.names)}")
        return code
