"""Wiring only: the exchange service's parts, built from its settings."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.exchange import handlers
from services.exchange.api import report_router, sync_router
from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.metrics import PortalMetrics
from services.exchange.service.portal_client import PortalClient
from services.exchange.service.portal_sync import PortalSync
from services.exchange.settings import ExchangeSettings
from services.exchange.store import RedisExchangeStore
from shared.domain.clock import Clock, SystemClock
from shared.runtime.service_app import ServiceRuntime, wire_service
from shared.web.api_keys import ApiKeys
from shared.web.http_access import install_access


def create_app(settings: ExchangeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ExchangeSettings()
    keys = ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8"))

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        mapping = PortalMapping.from_file(settings.portal_mapping_file)
        client = PortalClient(settings, mapping)
        sync = PortalSync(
            RedisExchangeStore(runtime.require_redis(), runtime.key_prefix),
            mapping,
            client,
            runtime.publisher,
            clock or SystemClock(),
            settings,
            PortalMetrics.register(runtime.registry),
            group=runtime.consumer_group,
            owner=f"{runtime.consumer_group}/{settings.instance_id}",
        )
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, sync
        )
        runtime.background.append(sync.courier.deliver)
        runtime.before_scrape.append(sync.courier.refresh_gauges)
        runtime.shutdown.append(client.close)
        runtime.state = sync
        return (sync_router(sync), report_router(sync))

    app = wire_service(
        "exchange",
        settings,
        description="Exchanges with outside systems: every dossier and each change of its "
        "state sent to the National Public Service Portal, in order and once.",
        assemble=assemble,
        rebuilt_from_kafka=True,
    )
    install_access(app, keys)
    return app
