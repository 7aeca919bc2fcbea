"""The deadline service's Redis state. All key formats live here, prefixed `deadline:`.

Each write that must be atomic is one Lua script, so a crash never leaves half of it:
- `save`: the dossier's state, its outbox of events to publish, its timers and its census
  bucket, together;
- `claim_due`: due timers move from the schedule to the claimed hash, so two instances never
  fire the same timer; a claim not confirmed within its lease goes back to the schedule;
- `confirm_fired`: a fired timer is remembered, so a later save never schedules it again.

An ended dossier is kept for a grace period (`{p}:ended`, code -> when to forget it), so a
late redelivery still finds it; then `forget_ended` drops it.

`DeadlineStore` is the shape the tracker needs; `RedisDeadlineStore` and its in-memory twin
`InMemoryDeadlineStore` both follow it, checked by one contract suite
(tests/contracts/test_deadline_store.py)."""

from services.deadline.store.memory import InMemoryDeadlineStore
from services.deadline.store.protocol import PREFIX, DeadlineStore, Parked, S
from services.deadline.store.redis import RedisDeadlineStore

__all__ = [
    "PREFIX",
    "DeadlineStore",
    "InMemoryDeadlineStore",
    "Parked",
    "RedisDeadlineStore",
    "S",
]
