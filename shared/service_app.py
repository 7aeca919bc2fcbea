"""What every service's HTTP app has: lifespan that runs the broker, `/health` and `/metrics`."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from redis.asyncio import Redis

from shared.broker_factory import build_broker
from shared.log_setup import configure_logging
from shared.metrics import DeliveryMetrics
from shared.redis_factory import build_redis
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """The wired parts of one running service."""

    name: str
    broker: KafkaBroker
    redis: "Redis"
    registry: CollectorRegistry
    subscribers: list[Any] = field(default_factory=list)


async def health_report(runtime: ServiceRuntime) -> dict[str, Any]:
    broker_ok = await runtime.broker.ping(timeout=2.0)
    try:
        redis_ok = bool(await asyncio.wait_for(runtime.redis.ping(), timeout=2.0))
    except (OSError, TimeoutError, ConnectionError) as error:
        log.warning("redis ping failed", extra={"error": repr(error)})
        redis_ok = False
    consumers = {}
    for subscriber in runtime.subscribers:
        consumer = subscriber.consumer
        assigned = (
            sorted(f"{tp.topic}:{tp.partition}" for tp in consumer.assignment()) if consumer else []
        )
        consumers[",".join(subscriber.topic_names)] = {"assigned_partitions": len(assigned)}
    consumers_ok = all(info["assigned_partitions"] > 0 for info in consumers.values())
    return {
        "service": runtime.name,
        "status": "ok" if broker_ok and redis_ok and consumers_ok else "degraded",
        "kafka": "ok" if broker_ok else "unreachable",
        "redis": "ok" if redis_ok else "unreachable",
        "consumers": consumers,
    }


def observability_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Broker, Redis and consumer assignment; 503 unless all ok")
    async def health() -> JSONResponse:
        report = await health_report(runtime)
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def build_http_app(
    runtime: ServiceRuntime, *, description: str, routers: Sequence[APIRouter] = ()
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.broker.start()
        log.info("service started", extra={"service": runtime.name})
        try:
            yield
        finally:
            await runtime.broker.stop()
            await runtime.redis.aclose()
            log.info("service stopped", extra={"service": runtime.name})

    app = FastAPI(title=f"{runtime.name} service", description=description, lifespan=lifespan)
    app.include_router(observability_router(runtime))
    for router in routers:
        app.include_router(router)
    app.state.runtime = runtime
    return app


class HandlerRegistrar(Protocol):
    def __call__(self, broker: KafkaBroker, group: str, redis: "Redis") -> list[Any]: ...


class RouterFactory(Protocol):
    def __call__(self, runtime: ServiceRuntime) -> Sequence[APIRouter]: ...


def wire_service(
    name: str,
    settings: ServiceSettings,
    *,
    description: str,
    register_handlers: HandlerRegistrar,
    routers: RouterFactory = lambda runtime: (),
) -> FastAPI:
    """The one place a service's parts are built from its settings."""
    configure_logging(name, settings.log_level)
    group = settings.consumer_group or name
    registry = CollectorRegistry()
    broker = build_broker(
        settings.kafka_bootstrap_servers,
        f"{name}-{settings.instance_id}",
        group,
        DeliveryMetrics.register(registry),
    )
    redis = build_redis(settings.redis_url)
    runtime = ServiceRuntime(name, broker, redis, registry)
    runtime.subscribers = register_handlers(broker, group, redis)
    return build_http_app(runtime, description=description, routers=routers(runtime))
