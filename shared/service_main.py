"""Runs a service's HTTP app (and with it, its consumers) under uvicorn."""

import uvicorn


def serve(app_factory: str, host: str, port: int, workers: int = 1) -> None:
    """`app_factory` is an import path such as "services.intake.app:create_app". With several
    workers, each is a process with its own consumers in the service's consumer group."""
    # log_config=None keeps the JSON logging the app configures; no access log (volume).
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
    )
