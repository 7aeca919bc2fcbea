from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    port: int = Field(8004, alias="REPORTING_PORT")
