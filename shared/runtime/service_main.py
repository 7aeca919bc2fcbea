"""Runs a service's HTTP app (and with it, its consumers) under uvicorn."""

import os

import uvicorn

STOP_WITHIN_SECONDS = "6"  # a stop taking longer ends the process (shared/runtime/service_app.py)


def serve(app_factory: str, host: str, port: int, workers: int = 1) -> None:
    """`app_factory` is an import path such as "services.intake.app:create_app". With several
    workers, each is a process with its own consumers in the service's consumer group."""
    os.environ.setdefault("STOP_WITHIN_SECONDS", STOP_WITHIN_SECONDS)  # read by the workers too
    # log_config=None keeps the JSON logging the app configures; no access log (volume).
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        # open HTTP connections hold the stop this long at most (then the lifespan's own
        # stop runs, itself bounded: shared/runtime/service_app.py STOP_WITHIN_SECONDS)
        timeout_graceful_shutdown=2,
    )
