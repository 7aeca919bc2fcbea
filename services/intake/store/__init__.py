"""Intake's state: the `IntakeStore` Protocol, its Redis store and its in-memory twin (one
contract suite, tests/contracts/test_intake_store.py, runs against both).

Redis keys, prefixed `intake:` by default:
  {p}:dossier:{code}          hash: record (DossierRecord JSON), version
  {p}:applicant:{code}        the applicant's personal data (JSON)
  {p}:submission:{client}:{id} the stored answer to a submission (expires: idempotency window)
  {p}:seq:{agency}:{yymmdd}   the last sequence number handed out that day
  {p}:ready                   present while the state is whole
                              (see services/intake/service/rebuild.py)
  {p}:rebuilding              the lock of the instance rebuilding the state
  {p}:person:{sha256(id)}     set of the codes of one applicant's dossiers (data subject
                              requests); codes whose applicant data is erased are dropped
  {p}:erase:due               zset code -> when its applicant's data is to be erased (a
                              configurable time after the dossier ended; see `erase_at`)
  {p}:outbox...               the outbox (shared/persistence/outbox.py)

Each request's effect is one commit (`shared.persistence.outbox.commit_script`) with its body here:
- receipt: the agency's next daily number, if no other receipt took it since it was read
  (optimistic: the caller retries with the next), the record and the applicant;
- step: the new record, if no other request changed the dossier since it was read.
Every operation refuses with `NotReadyError` while `{p}:ready` is missing: after Redis lost
its data, until the rebuild from Kafka is done, intake never answers from a partial state
and never hands out a code twice."""

from services.intake.store.memory import InMemoryIntakeStore
from services.intake.store.numbering import restored_sequences
from services.intake.store.protocol import (
    ENDED,
    LAST_SEQUENCE,
    PREFIX,
    IntakeStore,
    NewDossier,
    SequenceExhaustedError,
    Snapshot,
    Stored,
    StoredAnswer,
    dossier_code,
    erase_at,
    parse_code,
    person_hash,
    person_of,
)
from services.intake.store.redis import CONTENDED_SECONDS, RedisIntakeStore

__all__ = [
    "CONTENDED_SECONDS",
    "ENDED",
    "LAST_SEQUENCE",
    "PREFIX",
    "InMemoryIntakeStore",
    "IntakeStore",
    "NewDossier",
    "RedisIntakeStore",
    "SequenceExhaustedError",
    "Snapshot",
    "Stored",
    "StoredAnswer",
    "dossier_code",
    "erase_at",
    "parse_code",
    "person_hash",
    "person_of",
    "restored_sequences",
]
