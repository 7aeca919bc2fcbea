"""Runs a service's HTTP app (and with it, its consumers) under uvicorn."""

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI


def serve(create_app: Callable[[], FastAPI], host: str, port: int) -> None:
    # log_config=None keeps the JSON logging configured by the app; access logs off (paths
    # carry dossier codes, which are not personal data, but the volume is noise).
    uvicorn.run(create_app, factory=True, host=host, port=port, log_config=None, access_log=False)
