"""The key checker the stores' contract suites run on fails a script on a key it was not
given, including one it builds from its arguments."""

import uuid

import pytest
from redis.exceptions import ResponseError

from tests.support.lua_key_check import KeyCheckingRedis

pytestmark = pytest.mark.integration


async def test_a_script_using_only_its_keys_runs(redis_url: str) -> None:
    redis = KeyCheckingRedis(redis_url)
    key = f"keycheck-{uuid.uuid4().hex}"
    script = redis.register_script(
        "redis.call('SET', KEYS[1], ARGV[1]); redis.call('DEL', KEYS[1], KEYS[2]); return 1"
    )
    assert await script(keys=[key, key + ":2"], args=["v"]) == 1
    await redis.aclose()


@pytest.mark.parametrize(
    "source",
    [
        "return redis.call('GET', 'a-literal-key')",
        "return redis.call('HSET', ARGV[1] .. ':dossier:' .. ARGV[2], 'f', 'v')",
        "return redis.call('DEL', KEYS[1], 'another')",
        "return redis.pcall('EXISTS', ARGV[1])",
    ],
)
async def test_a_script_using_a_key_it_was_not_given_fails(redis_url: str, source: str) -> None:
    redis = KeyCheckingRedis(redis_url)
    script = redis.register_script(source)
    with pytest.raises(ResponseError, match="not in KEYS"):
        await script(keys=[f"keycheck-{uuid.uuid4().hex}"], args=["p", "code"])
    await redis.aclose()
