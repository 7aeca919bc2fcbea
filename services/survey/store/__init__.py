"""The survey service's Redis state. All key formats live here, prefixed `survey:` by default.

A rating is committed by one Lua script: the dossier's rating, the stored answer for the
submission, the masked comment and the outbox entry, together, and only if the dossier's
rating is still the one the decision was made against (else a concurrent rating won).

`SurveyStore` is the shape the service layer needs; `RedisSurveyStore` and its in-memory twin
`InMemorySurveyStore` both follow it, checked by one contract suite
(tests/contracts/test_survey_store.py)."""

from services.survey.store.memory import InMemorySurveyStore
from services.survey.store.protocol import PREFIX, SurveyStore
from services.survey.store.redis import RedisSurveyStore

__all__ = [
    "PREFIX",
    "InMemorySurveyStore",
    "RedisSurveyStore",
    "SurveyStore",
]
