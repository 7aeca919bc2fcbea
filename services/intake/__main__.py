from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.service_main import serve

if __name__ == "__main__":
    settings = IntakeSettings()
    serve(create_app, settings.http_host, settings.port)
