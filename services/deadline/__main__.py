from services.deadline.settings import DeadlineSettings
from shared.runtime.service_main import serve

if __name__ == "__main__":
    settings = DeadlineSettings()
    serve(
        "services.deadline.app:create_app", settings.http_host, settings.port, settings.http_workers
    )
