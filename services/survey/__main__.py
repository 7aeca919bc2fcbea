from services.survey.settings import SurveySettings
from shared.runtime.service_main import serve

if __name__ == "__main__":
    settings = SurveySettings()
    serve(
        "services.survey.app:create_app", settings.http_host, settings.port, settings.http_workers
    )
