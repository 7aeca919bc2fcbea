"""Waiting for a condition with a deadline: tests never sleep for a fixed time to synchronize."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, within: float = 30.0, what: str = "condition"
) -> T:
    """Poll `probe` until it returns something other than None or False; fail after `within` s.

    The bound holds even when one call of `probe` hangs (a stuck connection): it is cancelled."""
    deadline = time.monotonic() + within
    last: T | None = None
    bound = asyncio.timeout(within)
    try:
        async with bound:
            while time.monotonic() < deadline:
                last = await probe()
                if last is not None and last is not False:
                    return last
                await asyncio.sleep(0.05)
    except TimeoutError:
        if not bound.expired():
            raise  # the probe's own timeout, not ours
    raise AssertionError(f"timed out after {within}s waiting for {what}; last value: {last!r}")
