"""The Redis client every service uses: retries transient connection errors with backoff, and
writes the commands its coroutines issue concurrently to Redis together (auto-pipelining).

Why auto-pipelining: a service handles many messages or requests at once (a batch's dossiers,
concurrent HTTP requests), and each makes a few Redis calls in turn (load, commit script,
outbox acknowledgement). Sent one by one, every call is a socket write, a wake-up and a read:
the earlier profile found a third of intake's and deadline's CPU there. Here the calls that
are ready while a round trip is in flight wait for it and then go together, as one pipeline
(`transaction=False`: each command still runs on its own, atomically as always, in the order
issued; one that fails fails only its caller). This is the group commit of databases, and what
ioredis' `enableAutoPipelining` does; redis-py has no such option, hence this class. A lone
call goes straight through, so a quiet service pays nothing for it.
"""

import asyncio
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Queued = tuple[tuple[Any, ...], dict[str, Any], "asyncio.Future[Any]"]


class AutoPipelinedRedis(Redis):
    """`Redis` whose commands issued concurrently share round trips (see the module's doc).
    `MAX_PIPELINE` bounds one write, so a burst never makes one huge reply to parse."""

    MAX_PIPELINE = 512

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queued: list[Queued] = []
        self._flusher: asyncio.Task[None] | None = None
        self._busy = False  # a round trip is in flight (a lone call, or the flusher's)
        self.round_trips = 0  # how many writes went to Redis (for the benchmarks)
        self.commands = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if self._busy:  # a round trip is in flight: join the next one
            return await self.enqueue(args, options)
        self._busy = True  # none is: go now (a lone call pays no queueing)
        try:
            self.round_trips += 1
            self.commands += 1
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        finally:
            self._busy = False
            self._start_flushing()

    def enqueue(self, args: tuple[Any, ...], options: Mapping[str, Any]) -> "asyncio.Future[Any]":
        """Queue a command for the next round trip; the future gets its reply."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queued.append((args, dict(options), future))
        if not self._busy:
            self._start_flushing()
        return future

    def _start_flushing(self) -> None:
        if self._queued and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush())

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        """A pipeline without MULTI/EXEC joins the shared round trips (`SharedPipeline`); a
        transaction keeps a connection of its own, as it must."""
        if transaction:
            return super().pipeline(transaction, shard_hint)
        return SharedPipeline(self)

    async def _flush(self) -> None:
        self._busy = True
        try:
            while self._queued:
                await asyncio.sleep(0)  # let the coroutines that are ready now queue theirs too
                batch = self._queued[: self.MAX_PIPELINE]
                del self._queued[: self.MAX_PIPELINE]
                try:
                    await self._send(batch)
                except BaseException as error:  # cancelled (shutdown): fail what is left
                    for _, _, future in [*batch, *self._queued]:
                        if not future.done():
                            future.set_exception(
                                error if isinstance(error, Exception) else RedisConnectionError()
                            )
                    self._queued.clear()
                    raise
        finally:
            self._busy = False

    async def _send(self, batch: list[Queued]) -> None:
        self.round_trips += 1
        self.commands += len(batch)
        if len(batch) == 1:
            args, options, future = batch[0]
            try:
                result = await Redis.execute_command(self, *args, **options)  # type: ignore[no-untyped-call]
            except Exception as error:
                _settle(future, error=error)
            else:
                _settle(future, result=result)
            return
        pipe = super().pipeline(transaction=False)
        for args, options, _ in batch:
            pipe.execute_command(*args, **options)
        try:
            results = await pipe.execute(raise_on_error=False)
        except Exception as error:  # the connection failed: every command's caller retries
            for _, _, future in batch:
                _settle(future, error=error)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                _settle(future, error=result)
            else:
                _settle(future, result=result)


class SharedPipeline(Pipeline):
    """`AutoPipelinedRedis.pipeline(transaction=False)`: its commands, queued as in any
    pipeline, go to the client's shared round trips when executed, in their order, instead of
    taking a connection of their own (a thousand concurrent pipelines would otherwise need a
    thousand connections). A big pipeline (`OWN_FROM` commands or more) is a round trip of its
    own already, and goes alone as in redis-py."""

    OWN_FROM = 64  # commands from which the pipeline goes alone (no future per command)

    def __init__(self, client: AutoPipelinedRedis) -> None:
        super().__init__(client.connection_pool, client.response_callbacks, False, None)
        self._shared = client

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        if self.scripts or self.watching or len(self.command_stack) >= self.OWN_FROM:
            # scripts to load first, WATCH, or a pipeline big enough to be its own round trip
            # (a batch's projection): as redis-py does, on a connection of its own
            return await super().execute(raise_on_error)
        stack, self.command_stack = self.command_stack, []
        replies = [self._shared.enqueue(args, options) for args, options in stack]
        results = list(await asyncio.gather(*replies, return_exceptions=True))
        for result in results:
            if isinstance(result, Exception) and (
                raise_on_error or not isinstance(result, ResponseError)
            ):
                raise result
        return results


def _settle(
    future: "asyncio.Future[Any]", result: Any = None, error: Exception | None = None
) -> None:
    if future.done():  # its caller was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def build_redis(url: str) -> AutoPipelinedRedis:
    return AutoPipelinedRedis.from_url(  # type: ignore[return-value]
        url,
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=15,
        socket_connect_timeout=5,
        socket_timeout=5,
    )
