from services.intake.settings import IntakeSettings
from shared.runtime.service_main import serve

if __name__ == "__main__":
    settings = IntakeSettings()
    serve(
        "services.intake.app:create_app", settings.http_host, settings.port, settings.http_workers
    )
