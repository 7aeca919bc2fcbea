"""A Redis client whose Lua scripts fail on any key they were not given in KEYS.

Every `redis.call(...)` of a registered script is rewritten to a checked call that looks up
the command's key positions (Redis' own COMMAND INFO) and raises a script error for a key
outside KEYS. The stores' contract suites run their Redis stores on this client, so a script
that builds a key name itself (and so could not run on Redis Cluster) fails a test."""

import re
from functools import cache

import redis
from redis.commands.core import AsyncScript

from shared.persistence.redis_factory import AutoPipelinedRedis

_CALL = re.compile(r"redis\.p?call\(\s*'(\w+)'")

_PRELUDE = """
local __declared = {}
for _, key in ipairs(KEYS) do __declared[key] = true end
local __positions = {%s}
local function __checked(command, ...)
  local args = {...}
  local spec = __positions[string.lower(command)]
  if spec == nil then error('key check: no key positions for ' .. command) end
  local first, last, step = spec[1], spec[2], spec[3]
  if first > 0 then
    if last < 0 then last = #args + 1 + last end
    for i = first, last, step do
      if not __declared[args[i]] then
        error('key check: ' .. command .. ' uses ' .. tostring(args[i]) .. ', not in KEYS')
      end
    end
  end
  return redis.call(command, ...)
end
"""


@cache
def _positions(url: str, command: str) -> tuple[int, int, int]:
    client = redis.Redis.from_url(url)
    try:
        info = client.execute_command("COMMAND", "INFO", command)[command.lower()]  # type: ignore[no-untyped-call]
    finally:
        client.close()
    return info["first_key_pos"], info["last_key_pos"], info["step_count"]


def checked_source(source: str, url: str) -> str:
    commands = sorted({name.lower() for name in _CALL.findall(source)})
    table = ", ".join(
        f"{name} = {{{', '.join(str(n) for n in _positions(url, name))}}}" for name in commands
    )
    return _PRELUDE % table + re.sub(r"redis\.p?call\(", "__checked(", source)


class KeyCheckingRedis(AutoPipelinedRedis):
    """The services' client (auto-pipelined), with its scripts checked."""

    def __init__(self, url: str) -> None:
        pool = redis.asyncio.ConnectionPool.from_url(url, decode_responses=True)
        super().__init__(connection_pool=pool)
        self.url = url

    def register_script(self, script: str | bytes) -> AsyncScript:  # type: ignore[override]
        text = script.decode() if isinstance(script, bytes) else script
        return super().register_script(checked_source(text, self.url))
