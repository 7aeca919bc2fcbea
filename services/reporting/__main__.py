from services.reporting.settings import ReportingSettings
from shared.runtime.service_main import serve

if __name__ == "__main__":
    settings = ReportingSettings()
    serve(
        "services.reporting.app:create_app",
        settings.http_host,
        settings.port,
        settings.http_workers,
    )
