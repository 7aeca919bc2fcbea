from pathlib import Path

from pydantic import Field

from shared.domain.admin_units import UNITS_FILE
from shared.runtime.settings import ServiceSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"


class IntakeSettings(ServiceSettings):
    port: int = Field(8001, alias="INTAKE_PORT")
    # The seed of an empty catalogue.events.v1; the catalogue is managed live from then on.
    catalogue_file: Path = Field(CONFIG / "catalogue.toml", alias="CATALOGUE_FILE")
    calendar_overrides: Path = Field(CONFIG / "calendar_overrides.toml", alias="CALENDAR_OVERRIDES")
    units_file: Path = Field(UNITS_FILE, alias="UNITS_FILE")  # agencies' units are checked
    outbox_relay_seconds: float = Field(1.0, gt=0, alias="OUTBOX_RELAY_SECONDS")
    # How long an ended dossier's applicant data is kept (the time to complain about a
    # decision: 90 days, Law on Complaints 2011, art. 9), then erased from Redis and Kafka.
    applicant_data_kept_days: float = Field(90, gt=0, alias="APPLICANT_DATA_KEPT_DAYS")
    # Where citizens look up a dossier (GET /v1/dossiers/{code}); the receipt slip's QR code
    public_url: str = Field("http://localhost:8001", alias="PUBLIC_URL")
    erasure_interval_seconds: float = Field(60, gt=0, alias="ERASURE_INTERVAL_SECONDS")
