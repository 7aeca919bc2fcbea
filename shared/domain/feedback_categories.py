"""The categories of feedback and complaints (`config/feedback_categories.toml`): each with the
agency's time limit to answer in working days and the source that limit rests on. Survey
stamps the limit on each FeedbackReceived event; reporting names the categories."""

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

CATEGORIES_FILE = Path(__file__).resolve().parents[2] / "config" / "feedback_categories.toml"


class FeedbackCategory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: str = Field(min_length=1, max_length=200)
    working_days: int = Field(ge=1, le=90)
    source: str = Field(min_length=1, max_length=300)


class FeedbackCategories:
    def __init__(self, categories: list[FeedbackCategory]) -> None:
        codes = [category.code for category in categories]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError(f"feedback categories need unique codes: {codes}")
        self.categories = categories
        self.by_code = {category.code: category for category in categories}

    @classmethod
    def from_file(cls, path: Path = CATEGORIES_FILE) -> "FeedbackCategories":
        data = tomllib.loads(path.read_text("utf-8"))
        return cls([FeedbackCategory.model_validate(entry) for entry in data.get("category", [])])

    def get(self, code: str) -> FeedbackCategory:
        """The category named; an unknown one is a ValueError that lists the known codes."""
        if code not in self.by_code:
            raise ValueError(f"unknown category {code!r}; known: {', '.join(self.by_code)}")
        return self.by_code[code]

    def name(self, code: str) -> str:
        category = self.by_code.get(code)
        return category.name if category else code
