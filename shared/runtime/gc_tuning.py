"""Garbage-collector settings for a process that handles events in batches.

CPython's cycle collector runs its youngest generation every 700 new container objects, and
the older ones every 10 of those, each pass walking every object still alive in them. A batch
of a thousand events is many thousands of live objects (models, their dicts, updates), so
with the defaults the collector ran dozens of times per batch and walked the whole batch each
time: parsing 20,000 events took 14-17 µs an event instead of 5.3 (bench/reporting_projection,
the rebuild ran a quarter faster without it; BENCHMARKS.md). Two standard remedies:
- `gc.freeze()` once started: what was loaded at start (modules, settings, catalogue) moves
  to a permanent generation the collector no longer walks;
- a youngest generation of 50,000 objects, so a batch is collected once or twice, not dozens
  of times. Memory is unaffected in practice: reference counting frees almost everything at
  once; the collector only finds cycles.
"""

import gc

YOUNGEST = 50_000
_frozen = False


def tune_for_batches() -> None:
    """Freeze what is alive now (once per process) and raise the collection thresholds."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
    gc.set_threshold(YOUNGEST, 20, 20)
