from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from shared.service_main import serve

if __name__ == "__main__":
    settings = ReportingSettings()
    serve(create_app, settings.http_host, settings.port)
