"""Runs a service's real app in-process (its real broker and Redis clients) for a test."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from tests.support.waiting import wait_for


@asynccontextmanager
async def running(
    app: FastAPI, *, healthy_within: float = 60.0
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan (broker, consumers), wait until /health is ok, yield a client.

    Start and stop are bounded: a stuck broker connection fails the test with TimeoutError
    (which the test run retries once) instead of hanging it."""
    lifespan = app.router.lifespan_context(app)
    async with asyncio.timeout(healthy_within):
        await lifespan.__aenter__()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:

            async def healthy() -> bool:
                return (await client.get("/health")).status_code == 200

            await wait_for(healthy, within=healthy_within, what=f"{app.title} healthy")
            yield client
    finally:
        async with asyncio.timeout(60):
            await lifespan.__aexit__(None, None, None)
