from pydantic import Field

from shared.settings import ServiceSettings


class SurveySettings(ServiceSettings):
    port: int = Field(8003, alias="SURVEY_PORT")
