from pathlib import Path
from urllib.parse import quote

from pydantic import Field, SecretStr

from shared.domain.admin_units import UNITS_FILE
from shared.domain.feedback_categories import CATEGORIES_FILE
from shared.domain.rating_reasons import REASONS_FILE
from shared.runtime.settings import ServiceSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"


class ReportingSettings(ServiceSettings):
    port: int = Field(8004, alias="REPORTING_PORT")
    minimum_ratings_for_ranking: int = Field(30, ge=0, alias="MINIMUM_RATINGS_FOR_RANKING")
    # The names printed next to codes (agencies, procedures, fields) come from the catalogue.
    rating_reasons_file: Path = Field(REASONS_FILE, alias="RATING_REASONS_FILE")
    feedback_categories_file: Path = Field(CATEGORIES_FILE, alias="FEEDBACK_CATEGORIES_FILE")
    # Administrative units with their dates and successors: reports by unit.
    units_file: Path = Field(UNITS_FILE, alias="UNITS_FILE")
    # The read model (PostgreSQL). The password may come from a file (a Docker secret).
    database_url: SecretStr = Field(
        SecretStr("postgresql://reporting:reporting-dev-secret@127.0.0.1:5432/reporting"),
        alias="REPORTING_DATABASE_URL",
    )
    database_password_file: Path | None = Field(None, alias="REPORTING_DATABASE_PASSWORD_FILE")
    # A read replica for the report queries (the HTTP side and the gauges); none: the primary.
    read_database_url: SecretStr | None = Field(None, alias="REPORTING_READ_DATABASE_URL")
    database_pool_size: int = Field(10, ge=2, alias="REPORTING_DATABASE_POOL_SIZE")
    # The read model's base schema (default: REDIS_KEY_PREFIX when a stack is namespaced, else
    # "reporting"); a rebuild fills "<schema>-r<time>" and switches to it.
    schema_name: str | None = Field(None, alias="REPORTING_SCHEMA")
    # The exchange service, whose sync table scores 766 indicator 1.4 (unset: not measured).
    exchange_url: str | None = Field(None, alias="EXCHANGE_URL")

    @property
    def read_model_schema(self) -> str:
        return (self.schema_name or self.redis_key_prefix or "reporting").lower()

    def database(self, *, read: bool = False) -> str:
        """The connection URL, with the password from its file when one is given."""
        url = self.read_database_url if read and self.read_database_url else self.database_url
        found = url.get_secret_value()
        if self.database_password_file is not None:
            password = self.database_password_file.read_text("utf-8").strip()
            scheme, _, rest = found.partition("://")
            credentials, _, host = rest.rpartition("@")
            user = credentials.partition(":")[0] or "reporting"
            found = f"{scheme}://{user}:{quote(password, safe='')}@{host}"
        return found
