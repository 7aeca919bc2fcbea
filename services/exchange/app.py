"""Wiring only: the exchange service's parts, built from its settings."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.exchange import handlers
from services.exchange.api import notifications_router, report_router, sync_router
from services.exchange.domain.notices import KINDS
from services.exchange.domain.portal_mapping import PortalMapping
from services.exchange.metrics import NotificationMetrics, PortalMetrics
from services.exchange.service.channels import NoticeChannel, SmsGateway, SmtpEmail, ZaloZns
from services.exchange.service.notice_templates import NoticeTemplates
from services.exchange.service.notifications import NoticeSender, Notifications
from services.exchange.service.portal_client import PortalClient
from services.exchange.service.portal_sync import PortalSync
from services.exchange.settings import ExchangeSettings
from services.exchange.store import RedisExchangeStore
from shared.domain.clock import Clock, SystemClock
from shared.runtime.service_app import ServiceRuntime, wire_service
from shared.web.api_keys import ApiKeys
from shared.web.http_access import install_access


def notice_channels(settings: ExchangeSettings) -> dict[str, NoticeChannel]:
    """The channels this deployment offers (NOTIFICATION_CHANNELS), each from its settings."""
    s = settings
    templates = NoticeTemplates(
        s.notification_templates_dir, sms_without_diacritics=s.sms_without_diacritics
    )
    every: dict[str, NoticeChannel] = {
        "sms": SmsGateway(
            s.sms_gateway_url, s.sms_gateway_file, templates, username=s.sms_username,
            password_file=s.sms_password_file, sender=s.sms_sender,
            rate_per_second=s.sms_rate_per_second, timeout_seconds=s.sms_timeout_seconds,
        ),
        "zalo": ZaloZns(
            s.zalo_url, s.zalo_token_file, templates, rate_per_second=s.zalo_rate_per_second,
            timeout_seconds=s.zalo_timeout_seconds,
        ),
        "email": SmtpEmail(
            s.smtp_host, s.smtp_port, templates, sender=s.smtp_sender, username=s.smtp_username,
            password_file=s.smtp_password_file, ca_file=s.smtp_ca_file,
            rate_per_second=s.smtp_rate_per_second, timeout_seconds=s.smtp_timeout_seconds,
        ),
    }  # fmt: skip
    offered = [name.strip() for name in s.notification_channels.split(",") if name.strip()]
    unknown = [name for name in offered if name not in every]
    if unknown:
        raise ValueError(f"NOTIFICATION_CHANNELS: unknown {unknown}; known: {sorted(every)}")
    return {name: every[name] for name in offered}


def create_app(settings: ExchangeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ExchangeSettings()
    keys = ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8"))

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        redis, prefix = runtime.require_redis(), runtime.key_prefix
        group, owner = runtime.consumer_group, f"{runtime.consumer_group}/{settings.instance_id}"
        mapping = PortalMapping.from_file(settings.portal_mapping_file)
        client = PortalClient(settings, mapping)
        sync = PortalSync(
            RedisExchangeStore(redis, prefix), mapping, client, runtime.publisher,
            clock or SystemClock(), settings, PortalMetrics.register(runtime.registry),
            group=group, owner=owner,
        )  # fmt: skip
        channels = notice_channels(settings)
        sender = NoticeSender(channels, settings.public_lookup_url, settings.public_rating_url)
        metrics = NotificationMetrics(runtime.registry, list(channels), list(KINDS))
        notifications = Notifications(
            RedisExchangeStore(redis, f"{prefix}:notify"), sender, runtime.publisher,
            clock or SystemClock(), settings, metrics,
            group=group, owner=owner,
        )  # fmt: skip
        runtime.subscribers = handlers.register_handlers(runtime.broker, group, sync, notifications)
        runtime.background += [sync.courier.deliver, notifications.courier.deliver]
        runtime.before_scrape += [sync.courier.refresh_gauges,
                                  notifications.courier.refresh_gauges]  # fmt: skip
        runtime.shutdown.append(client.close)
        runtime.state = sync
        return (sync_router(sync), report_router(sync), notifications_router(notifications))

    app = wire_service(
        "exchange",
        settings,
        description="Exchanges with outside systems: every dossier and each change of its "
        "state sent to the National Public Service Portal, in order and once; citizens told "
        "of each step that concerns them, on the channels they chose.",
        assemble=assemble,
        rebuilt_from_kafka=True,
    )
    install_access(app, keys)
    return app
