from services.exchange.settings import ExchangeSettings
from shared.runtime.service_main import serve

if __name__ == "__main__":
    settings = ExchangeSettings()
    serve(
        "services.exchange.app:create_app", settings.http_host, settings.port, settings.http_workers
    )
