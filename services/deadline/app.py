"""Wiring only: the deadline service's parts, built from its settings."""

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from services.deadline import handlers
from services.deadline.api import deadline_router
from services.deadline.domain.feedback_tracking import TrackedFeedback
from services.deadline.domain.tracking import TrackedDossier, Windows
from services.deadline.metrics import DeadlineMetrics
from services.deadline.service.feedback_tracker import FeedbackTracker
from services.deadline.service.tracker import DeadlineTracker, TrackerConfig
from services.deadline.settings import DeadlineSettings
from services.deadline.store import RedisDeadlineStore
from shared.domain.clock import Clock, SystemClock
from shared.runtime.reference import follow_reference
from shared.runtime.service_app import ServiceRuntime, wire_service

NAME = "deadline"


def create_app(settings: DeadlineSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or DeadlineSettings()

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        config = _tracker_config(settings, runtime.consumer_group)
        follower = follow_reference(runtime, settings)
        tracker = DeadlineTracker(
            RedisDeadlineStore(runtime.require_redis(), TrackedDossier, runtime.key_prefix),
            follower,
            clock or SystemClock(),
            runtime.publisher,
            DeadlineMetrics.register(runtime.registry),
            config,
        )
        feedback = FeedbackTracker(
            RedisDeadlineStore(
                runtime.require_redis(), TrackedFeedback, f"{runtime.key_prefix}:feedback"
            ),
            follower,
            tracker.clock,
            runtime.publisher,
            config.windows,
            claim_lease=config.claim_lease,
            forget_answered_after=config.forget_ended_after,
        )
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, tracker, feedback
        )

        _sweep_and_measure(runtime, settings, tracker, feedback)
        runtime.state = tracker
        return (deadline_router(tracker),)

    return wire_service(
        NAME,
        settings,
        description="Due dates on Vietnam's working-time calendar; due-soon and overdue tracking "
        "of dossiers and of feedback.",
        assemble=assemble,
        rebuilt_from_kafka=True,
    )


def _tracker_config(settings: DeadlineSettings, consumer_group: str) -> TrackerConfig:
    return TrackerConfig(
        windows=Windows(
            due_soon=timedelta(hours=settings.due_soon_hours),
            apology_reminder=timedelta(hours=settings.apology_reminder_hours),
        ),
        park_for=timedelta(seconds=settings.park_seconds),
        claim_batch=settings.claim_batch,
        claim_lease=timedelta(seconds=settings.claim_lease_seconds),
        consumer_group=consumer_group,
        forget_ended_after=timedelta(days=settings.forget_ended_after_days),
    )


def _sweep_and_measure(
    runtime: ServiceRuntime,
    settings: DeadlineSettings,
    tracker: DeadlineTracker,
    feedback: FeedbackTracker,
) -> None:
    """The timers' sweepers in the background, and the gauges refreshed at each scrape."""

    async def timer_sweeper() -> None:
        await tracker.run_sweeper(settings.sweep_interval_seconds)

    async def feedback_sweeper() -> None:
        while True:
            await feedback.sweep()
            await asyncio.sleep(settings.sweep_interval_seconds)

    async def refresh_feedback_gauge() -> None:
        tracker.metrics.open_feedback.clear()
        for (agency, state), count in (await feedback.census()).items():
            tracker.metrics.open_feedback.labels(agency, state).set(count)

    runtime.background += [timer_sweeper, feedback_sweeper]
    runtime.before_scrape += [tracker.refresh_gauges, refresh_feedback_gauge]
