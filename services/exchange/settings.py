from pathlib import Path

from pydantic import Field

from services.exchange.domain.portal_mapping import MAPPING_FILE
from services.exchange.service.notice_templates import TEMPLATES_DIR
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

    # Citizen notifications: the channels this deployment offers (each configured below); a
    # message to a channel not offered is not sent.
    notification_channels: str = Field("sms,zalo", alias="NOTIFICATION_CHANNELS")
    notification_templates_dir: Path = Field(TEMPLATES_DIR, alias="NOTIFICATION_TEMPLATES_DIR")
    # where a citizen looks their dossier up ({code} is replaced)
    public_lookup_url: str = Field(
        "http://127.0.0.1:8001/v1/dossiers/{code}", alias="PUBLIC_LOOKUP_URL"
    )
    # the receipt's rating link ({code}, {token}): a frontend's rating page, which posts to
    # survey's /v1/ratings with the token
    public_rating_url: str = Field(
        "http://127.0.0.1:8003/v1/ratings?dossier_code={code}&rating_token={token}",
        alias="PUBLIC_RATING_URL",
    )
    notify_max_attempts: int = Field(8, ge=1, alias="NOTIFY_MAX_ATTEMPTS")
    notify_backoff_seconds: float = Field(1.0, gt=0, alias="NOTIFY_BACKOFF_SECONDS")
    notify_backoff_cap_seconds: float = Field(120.0, gt=0, alias="NOTIFY_BACKOFF_CAP_SECONDS")
    # a notice waits this long for the applicant's contact and choice, then is not sent
    contact_wait_seconds: float = Field(30.0, ge=0, alias="CONTACT_WAIT_SECONDS")
    sms_gateway_url: str = Field("http://127.0.0.1:8091/sms", alias="SMS_GATEWAY_URL")
    sms_gateway_file: Path = Field(TEMPLATES_DIR / "sms_gateway.toml", alias="SMS_GATEWAY_FILE")
    sms_username: str = Field("motcua", alias="SMS_USERNAME")
    sms_password_file: Path | None = Field(None, alias="SMS_PASSWORD_FILE")
    sms_sender: str = Field("MOTCUA", alias="SMS_SENDER")  # the brand name
    sms_without_diacritics: bool = Field(False, alias="SMS_WITHOUT_DIACRITICS")
    sms_rate_per_second: float = Field(20.0, gt=0, alias="SMS_RATE_PER_SECOND")
    sms_timeout_seconds: float = Field(10.0, gt=0, alias="SMS_TIMEOUT_SECONDS")
    zalo_url: str = Field("http://127.0.0.1:8091/message/template", alias="ZALO_URL")
    zalo_token_file: Path | None = Field(None, alias="ZALO_TOKEN_FILE")
    zalo_rate_per_second: float = Field(20.0, gt=0, alias="ZALO_RATE_PER_SECOND")
    zalo_timeout_seconds: float = Field(10.0, gt=0, alias="ZALO_TIMEOUT_SECONDS")
    smtp_host: str = Field("127.0.0.1", alias="SMTP_HOST")
    smtp_port: int = Field(587, alias="SMTP_PORT")
    smtp_sender: str = Field("Bo phan Mot cua <motcua@example.vn>", alias="SMTP_SENDER")
    smtp_username: str | None = Field(None, alias="SMTP_USERNAME")
    smtp_password_file: Path | None = Field(None, alias="SMTP_PASSWORD_FILE")
    smtp_ca_file: Path | None = Field(None, alias="SMTP_CA_FILE")  # STARTTLS, verified
    smtp_rate_per_second: float = Field(10.0, gt=0, alias="SMTP_RATE_PER_SECOND")
    smtp_timeout_seconds: float = Field(10.0, gt=0, alias="SMTP_TIMEOUT_SECONDS")
