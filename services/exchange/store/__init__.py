"""The exchange service's working state: `ExchangeStore` is the shape the service layer needs;
`RedisExchangeStore` and its in-memory twin `InMemoryExchangeStore` both follow it, checked by
one contract suite (tests/contracts/test_exchange_store.py)."""

from services.exchange.store.memory import InMemoryExchangeStore
from services.exchange.store.protocol import ExchangeStore, Queued, SyncState
from services.exchange.store.redis import RedisExchangeStore

__all__ = ["ExchangeStore", "InMemoryExchangeStore", "Queued", "RedisExchangeStore", "SyncState"]
