from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"


class IntakeSettings(ServiceSettings):
    port: int = Field(8001, alias="INTAKE_PORT")
    catalogue_file: Path = Field(CONFIG / "catalogue.toml", alias="CATALOGUE_FILE")
    calendar_overrides: Path = Field(CONFIG / "calendar_overrides.toml", alias="CALENDAR_OVERRIDES")
    outbox_relay_seconds: float = Field(1.0, gt=0, alias="OUTBOX_RELAY_SECONDS")
