from pathlib import Path

from pydantic import Field

from shared.admin_units import UNITS_FILE
from shared.feedback_categories import CATEGORIES_FILE
from shared.rating_reasons import REASONS_FILE
from shared.settings import ServiceSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"


class ReportingSettings(ServiceSettings):
    port: int = Field(8004, alias="REPORTING_PORT")
    minimum_ratings_for_ranking: int = Field(30, ge=0, alias="MINIMUM_RATINGS_FOR_RANKING")
    # The names printed next to codes (agencies, procedures, fields) come from the catalogue.
    rating_reasons_file: Path = Field(REASONS_FILE, alias="RATING_REASONS_FILE")
    feedback_categories_file: Path = Field(CATEGORIES_FILE, alias="FEEDBACK_CATEGORIES_FILE")
    # Administrative units with their dates and successors: reports by unit.
    units_file: Path = Field(UNITS_FILE, alias="UNITS_FILE")
