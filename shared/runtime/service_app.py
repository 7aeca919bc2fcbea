"""What every service's HTTP app has: a lifespan that runs the broker and background tasks,
`/health` and `/metrics`; and `wire_service`, the one place a service's parts are built."""

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from redis.asyncio import Redis

from shared.messaging.broker_factory import build_broker, kafka_consumers
from shared.messaging.metrics import DeliveryMetrics
from shared.messaging.offset_commits import OffsetCommitter
from shared.messaging.publishing import KafkaEventPublisher
from shared.messaging.subscriber_watchdog import CONSUMING, SubscriberWatchdog, name_of
from shared.persistence.redis_factory import build_redis
from shared.runtime.gc_tuning import tune_for_batches
from shared.runtime.log_setup import configure_logging
from shared.runtime.settings import ServiceSettings
from shared.runtime.state_guard import RedisMarker, StateGuard
from shared.web.body_limit import DEFAULT_MAX_BODY_BYTES, BodyLimit

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


@dataclass
class ServiceRuntime:
    """The wired parts of one running service."""

    name: str
    consumer_group: str
    key_prefix: str
    broker: KafkaBroker
    redis: "Redis | None"  # None: a service that keeps no state in Redis (reporting)
    registry: CollectorRegistry
    publisher: KafkaEventPublisher
    subscribers: list[Any] = field(default_factory=list)
    background: list[Hook] = field(default_factory=list)  # long-running loops, e.g. timers
    # awaited before the broker consumes (e.g. reading the catalogue), and after it stops
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    before_scrape: list[Hook] = field(default_factory=list)  # refresh gauges from Redis
    committer: OffsetCommitter = field(default_factory=OffsetCommitter)
    # false while the service's state is being rebuilt (its requests answer 503 meanwhile)
    ready: Callable[[], Awaitable[bool]] | None = None
    # a stop taking longer ends the process (`exit_if_not_stopped_within`); None: never
    stop_within_seconds: float | None = None
    state: Any = None  # the service's own layer (e.g. the deadline tracker), for tests and ops

    def require_redis(self) -> "Redis":
        """The Redis client of a service that keeps its state there."""
        if self.redis is None:
            raise RuntimeError(f"{self.name} was wired without Redis (uses_redis=False)")
        return self.redis

    # other stores the service needs, by name, each a ping that answers within 2 s
    checks: dict[str, Callable[[], Awaitable[bool]]] = field(default_factory=dict)
    watchdog: SubscriberWatchdog | None = None  # set by wire_service once subscribers exist
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # a larger request body gets 413


async def health_report(runtime: ServiceRuntime) -> dict[str, Any]:
    broker_ok = await runtime.broker.ping(timeout=2.0)
    stores: dict[str, bool] = {}
    if runtime.redis is not None:
        stores["redis"] = await _answers("redis", runtime.redis.ping)
    for name, ping in runtime.checks.items():
        stores[name] = await _answers(name, ping)
    redis_ok = all(stores.values())
    consumers = _consumers_report(runtime)
    consumers_ok = all(
        info["assigned_partitions"] > 0 and info["state"] == CONSUMING
        for info in consumers.values()
    )
    state_ok = True
    if runtime.ready is not None and redis_ok:
        state_ok = await runtime.ready()
    healthy = broker_ok and redis_ok and consumers_ok and state_ok
    return {
        "service": runtime.name,
        "status": "ok" if healthy else "degraded",
        "kafka": "ok" if broker_ok else "unreachable",
        **{name: "ok" if ok else "unreachable" for name, ok in stores.items()},
        "state": "ready" if state_ok else "rebuilding",
        "consumers": consumers,
    }


def _consumers_report(runtime: ServiceRuntime) -> dict[str, dict[str, Any]]:
    """Per subscriber: its partitions, and its watchdog's word (a reason unless consuming)."""
    consumers: dict[str, dict[str, Any]] = {}
    for subscriber in runtime.subscribers:
        assigned = sum(len(consumer.assignment()) for consumer in kafka_consumers(subscriber))
        info: dict[str, Any] = {"assigned_partitions": assigned, "state": CONSUMING}
        if runtime.watchdog is not None:
            state = runtime.watchdog.state(subscriber)
            info["state"] = state.status
            if state.reason:
                info["reason"] = state.reason
        consumers[name_of(subscriber)] = info
    return consumers


async def _answers(name: str, ping: Callable[[], Awaitable[Any]]) -> bool:
    try:
        return bool(await asyncio.wait_for(ping(), timeout=2.0))
    except Exception as error:  # any failure to answer is "unreachable", never a 500
        log.warning("%s ping failed", name, extra={"error": repr(error)})
        return False


def observability_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Broker, Redis and consumer assignment; 503 unless all ok")
    async def health() -> JSONResponse:
        report = await health_report(runtime)
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        for refresh in runtime.before_scrape:
            await refresh()
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _supervised(name: str, loop: Hook) -> None:
    """Run a background loop; a crash is logged and the loop restarted, never silently lost."""
    while True:
        try:
            await loop()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task failed; restarting", extra={"task": name})
            await asyncio.sleep(1.0)


async def _stop(tasks: Sequence[asyncio.Task[None]], attempts: int = 10) -> None:
    """Cancel the background loops and wait for them, cancelling again while one still runs:
    a library that swallows a cancellation in flight (seen with a Redis call under way) must
    not hold the shutdown until the process is killed."""
    running = [task for task in tasks if not task.done()]
    for _ in range(attempts):
        if not running:
            break
        for task in running:
            task.cancel()
        await asyncio.wait(running, timeout=1.0)
        running = [task for task in running if not task.done()]
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning(
                "background task ended with an error", extra={"error": repr(task.exception())}
            )
    if running:
        log.warning("background tasks still running at shutdown", extra={"tasks": len(running)})


def exit_if_not_stopped_within(seconds: float | None, service: str) -> threading.Timer | None:
    """A timer, on its own thread (the event loop may be the one stuck), that ends the process
    if the stop has not finished in `seconds` (None: no timer); cancel it once stopped.

    A clean stop commits the handled offsets and leaves the consumer group (so the partitions
    move at once); with Kafka or Redis unreachable or frozen those calls wait on their own
    timeouts, up to minutes. Past `seconds` the process exits anyway, and nothing is lost:
    every handler stores its effect before its offset is committed, and what was handled but
    not committed is read again and found applied (idempotent handlers)."""

    def give_up() -> None:
        log.error(
            "stop did not finish in time; exiting now (unhandled messages are read again)",
            extra={"service": service, "seconds": seconds},
        )
        logging.shutdown()
        os._exit(3)

    if seconds is None:
        return None
    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    return timer


class ConsumerLag:
    """Records behind the end of each assigned partition, per topic and partition."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.gauge = Gauge(
            "kafka_consumer_lag",
            "Records between the consumer's position and the partition's end",
            ["topic", "partition"],
            registry=runtime.registry,
        )

    async def refresh(self) -> None:
        self.gauge.clear()
        for subscriber in self.runtime.subscribers:
            for consumer in kafka_consumers(subscriber):
                await self._refresh(consumer)

    async def _refresh(self, consumer: Any) -> None:
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            if end is None:
                continue  # nothing fetched yet from this partition
            position = await consumer.position(partition)
            lag = max(0, end - position)
            self.gauge.labels(partition.topic, str(partition.partition)).set(lag)


def build_http_app(
    runtime: ServiceRuntime, *, description: str, routers: Sequence[APIRouter] = ()
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tune_for_batches()  # everything is imported and built by now
        await runtime.publisher.start()
        for hook in runtime.startup:
            await hook()
        await runtime.broker.start()
        tasks = [
            asyncio.create_task(_supervised(getattr(loop, "__name__", "task"), loop))
            for loop in runtime.background
        ]
        log.info("service started", extra={"service": runtime.name})
        try:
            yield
        finally:
            watchdog = exit_if_not_stopped_within(runtime.stop_within_seconds, runtime.name)
            await _stop(tasks)
            await runtime.committer.flush_all()
            await runtime.broker.stop()
            for hook in runtime.shutdown:
                await hook()
            await runtime.publisher.stop()
            if runtime.redis is not None:
                await runtime.redis.aclose()
            if watchdog is not None:
                watchdog.cancel()
            log.info("service stopped", extra={"service": runtime.name})

    app = FastAPI(title=f"{runtime.name} service", description=description, lifespan=lifespan)
    app.add_middleware(BodyLimit, max_bytes=runtime.max_body_bytes)
    app.include_router(observability_router(runtime))
    for router in routers:
        app.include_router(router)
    app.state.runtime = runtime
    return app


Assembler = Callable[[ServiceRuntime], Sequence[APIRouter]]


def wire_service(
    name: str,
    settings: ServiceSettings,
    *,
    description: str,
    assemble: Assembler,
    rebuilt_from_kafka: bool = False,
    uses_redis: bool = True,
) -> FastAPI:
    """Build the broker, Redis client and registry from settings; `assemble` adds the
    service's own stores, handlers, background loops and routes, and returns its routers.
    `rebuilt_from_kafka`: the service's Redis state derives from its topics only, so a
    `StateGuard` replays them if Redis comes back empty. `uses_redis=False`: no Redis client
    (a service whose state lives elsewhere adds its own guard and health check)."""
    configure_logging(name, settings.log_level)
    group = settings.consumer_group or name
    registry = CollectorRegistry()
    client_id = f"{name}-{settings.instance_id}"
    committer = OffsetCommitter()
    access = settings.kafka_access(name)
    publisher = KafkaEventPublisher(
        access, f"{client_id}-publisher", settings.kafka_request_timeout_ms
    )
    broker = build_broker(
        access,
        client_id,
        group,
        DeliveryMetrics.register(registry),
        committer,
        publisher,
    )
    prefix = settings.redis_key_prefix or name
    runtime = ServiceRuntime(
        name,
        group,
        prefix,
        broker,
        build_redis(settings.redis_url) if uses_redis else None,
        registry,
        publisher,
        committer=committer,
        stop_within_seconds=settings.stop_within_seconds,
        max_body_bytes=settings.http_max_body_bytes,
    )
    runtime.before_scrape.append(ConsumerLag(runtime).refresh)
    routers = assemble(runtime)
    runtime.watchdog = SubscriberWatchdog(
        runtime.subscribers, committer, registry, settings.subscriber_stalled_after_seconds
    )
    runtime.background.append(runtime.watchdog.run)
    if rebuilt_from_kafka and runtime.redis is not None:
        marker = RedisMarker(runtime.redis, f"{prefix}:alive:{settings.instance_id}")
        guard = StateGuard(marker, runtime.subscribers, settings.replay_from)
        runtime.background.append(guard.run)
    return build_http_app(runtime, description=description, routers=routers)
