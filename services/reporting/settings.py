from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    port: int = Field(8004, alias="REPORTING_PORT")
    minimum_ratings_for_ranking: int = Field(30, ge=0, alias="MINIMUM_RATINGS_FOR_RANKING")
