"""Wiring only: the deadline service's parts, built from its settings."""

from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from services.deadline import handlers
from services.deadline.api import deadline_router
from services.deadline.metrics import DeadlineMetrics
from services.deadline.settings import DeadlineSettings
from services.deadline.store import RedisDeadlineStore
from services.deadline.tracker import DeadlineTracker, TrackerConfig
from services.deadline.tracking import Windows
from shared.clock import Clock, SystemClock
from shared.reference_follower import follow_reference
from shared.service_app import ServiceRuntime, wire_service

NAME = "deadline"


def create_app(settings: DeadlineSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or DeadlineSettings()

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        config = TrackerConfig(
            windows=Windows(
                due_soon=timedelta(hours=settings.due_soon_hours),
                apology_reminder=timedelta(hours=settings.apology_reminder_hours),
            ),
            park_for=timedelta(seconds=settings.park_seconds),
            claim_batch=settings.claim_batch,
            claim_lease=timedelta(seconds=settings.claim_lease_seconds),
            consumer_group=runtime.consumer_group,
            forget_ended_after=timedelta(days=settings.forget_ended_after_days),
        )
        follower = follow_reference(runtime, settings)
        tracker = DeadlineTracker(
            RedisDeadlineStore(runtime.redis, runtime.key_prefix),
            follower,
            clock or SystemClock(),
            runtime.publisher,
            DeadlineMetrics.register(runtime.registry),
            config,
        )
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, tracker
        )

        async def timer_sweeper() -> None:
            await tracker.run_sweeper(settings.sweep_interval_seconds)

        runtime.background.append(timer_sweeper)
        runtime.before_scrape.append(tracker.refresh_gauges)
        runtime.state = tracker
        return (deadline_router(tracker),)

    return wire_service(
        NAME,
        settings,
        description="Due dates on Vietnam's working-time calendar; due-soon and overdue tracking.",
        assemble=assemble,
        rebuilt_from_kafka=True,
    )
