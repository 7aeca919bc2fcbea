"""The exchange service's working state in Redis (store/redis.py)."""

from services.exchange.store.redis import Queued, RedisExchangeStore, SyncState

__all__ = ["Queued", "RedisExchangeStore", "SyncState"]
