from pathlib import Path

from pydantic import Field

from services.exchange.domain.portal_mapping import MAPPING_FILE
from shared.runtime.settings import ServiceSettings


class ExchangeSettings(ServiceSettings):
    port: int = Field(8005, alias="EXCHANGE_PORT")
    # The national portal, through the province's integration platform (LGSP).
    portal_url: str = Field("http://127.0.0.1:8090/lgsp", alias="PORTAL_URL")
    portal_unit_code: str = Field("000.00.00.H00", alias="PORTAL_UNIT_CODE")  # madonvi
    # Credentials from files (secrets): a token, and/or a client certificate and its key.
    portal_token_file: Path | None = Field(None, alias="PORTAL_TOKEN_FILE")
    portal_client_cert_file: Path | None = Field(None, alias="PORTAL_CLIENT_CERT_FILE")
    portal_client_key_file: Path | None = Field(None, alias="PORTAL_CLIENT_KEY_FILE")
    # The CA bundle the portal's certificate is verified with (default: the system's); TLS is
    # always verified.
    portal_ca_file: Path | None = Field(None, alias="PORTAL_CA_FILE")
    portal_timeout_seconds: float = Field(10.0, gt=0, alias="PORTAL_TIMEOUT_SECONDS")
    portal_rate_per_second: float = Field(20.0, gt=0, alias="PORTAL_RATE_PER_SECOND")
    portal_concurrency: int = Field(8, ge=1, alias="PORTAL_CONCURRENCY")
    # A record failing this many times goes to portal.records.v1.dlq; its dossier waits.
    portal_max_attempts: int = Field(8, ge=1, alias="PORTAL_MAX_ATTEMPTS")
    portal_backoff_seconds: float = Field(0.5, gt=0, alias="PORTAL_BACKOFF_SECONDS")
    portal_backoff_cap_seconds: float = Field(60.0, gt=0, alias="PORTAL_BACKOFF_CAP_SECONDS")
    # A dossier record waits this long for its owner (the applicants topic) before it is sent
    # without one.
    applicant_wait_seconds: float = Field(30.0, ge=0, alias="APPLICANT_WAIT_SECONDS")
    portal_mapping_file: Path = Field(MAPPING_FILE, alias="PORTAL_MAPPING_FILE")
