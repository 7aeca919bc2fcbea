from pydantic import Field

from shared.settings import ServiceSettings


class DeadlineSettings(ServiceSettings):
    port: int = Field(8002, alias="DEADLINE_PORT")
