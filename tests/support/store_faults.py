"""Stores lost under a running stack: Redis restarted empty, reporting's schemas dropped."""

import asyncio
import contextlib
import os

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.reporting.store.postgres import connect
from tests.support.stack import ROOT


async def restart_redis_empty(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushall()
    with contextlib.suppress(RedisConnectionError):
        await redis.shutdown(nosave=True)  # the AOF ends with the flush: it restarts empty
    await redis.aclose()
    infra = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "infra.sh"), "up", env=dict(os.environ), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await infra.communicate())[0].decode()
    assert infra.returncode == 0, output


async def drop_read_model(postgres_url: str, base: str) -> None:
    """Reporting's schemas gone, as after a lost database (its pointer row with them)."""
    pool = await connect(postgres_url, max_size=1)
    try:
        found = await pool.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"{base}%"
        )
        assert found, f"no schema {base} to drop"
        for (name,) in found:
            await pool.execute(f'DROP SCHEMA "{name}" CASCADE')
        await pool.execute("DELETE FROM public.reporting_keyspace WHERE base = $1", base)
    finally:
        await pool.close()
