from pydantic import Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    port: int = Field(8001, alias="INTAKE_PORT")
