from pathlib import Path

from pydantic import Field

from shared.domain.feedback_categories import CATEGORIES_FILE
from shared.domain.rating_reasons import REASONS_FILE
from shared.runtime.settings import ServiceSettings


class SurveySettings(ServiceSettings):
    port: int = Field(8003, alias="SURVEY_PORT")
    # A rating for a dossier not seen yet is held this long (Kafka) or waited for (HTTP).
    hold_seconds: float = Field(120.0, gt=0, alias="RATING_HOLD_SECONDS")
    http_wait_seconds: float = Field(5.0, ge=0, alias="RATING_HTTP_WAIT_SECONDS")
    kiosk_window_minutes: float = Field(10.0, gt=0, alias="KIOSK_WINDOW_MINUTES")
    outbox_relay_seconds: float = Field(1.0, gt=0, alias="OUTBOX_RELAY_SECONDS")
    rating_reasons_file: Path = Field(REASONS_FILE, alias="RATING_REASONS_FILE")
    feedback_categories_file: Path = Field(CATEGORIES_FILE, alias="FEEDBACK_CATEGORIES_FILE")
