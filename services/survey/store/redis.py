"""The survey service's Redis store (see the package's doc for its keys and scripts)."""

from datetime import timedelta

from redis.asyncio import Redis

from services.survey.domain.feedback_rules import FeedbackState
from services.survey.domain.rating_rules import DossierFacts, StoredRating
from services.survey.store.protocol import PREFIX
from shared.persistence.outbox import (
    Commit,
    CommitScript,
    Committed,
    OutboxEntry,
    RedisOutbox,
)
from shared.persistence.parking import ParkingLot

# KEYS[K+1] rating  KEYS[K+2] comment
# ARGV[A+1] the current rating's event id as read ('' for none)  ARGV[A+2] rating  ARGV[A+3] comment
_RATING_BODY = """
local current = redis.call('GET', KEYS[K + 1])
local current_id = ''
if current then current_id = cjson.decode(current)['event_id'] end
if current_id ~= ARGV[A + 1] then return 'the dossier was rated meanwhile' end
redis.call('SET', KEYS[K + 1], ARGV[A + 2])
if ARGV[A + 3] ~= '' then redis.call('SET', KEYS[K + 2], ARGV[A + 3]) end
"""


# KEYS[K+1] comment   ARGV[A+1] comment
_SURVEY_BODY = """
if ARGV[A + 1] ~= '' then redis.call('SET', KEYS[K + 1], ARGV[A + 1]) end
"""


# KEYS[K+1] feedback   ARGV[A+1] its stage as read ('' for none)   ARGV[A+2] its new state
_FEEDBACK_BODY = """
local current = redis.call('GET', KEYS[K + 1])
local stage = ''
if current then stage = cjson.decode(current)['stage'] end
if stage ~= ARGV[A + 1] then return 'the feedback changed meanwhile' end
redis.call('SET', KEYS[K + 1], ARGV[A + 2])
"""


# KEYS: feedback   ARGV: its stage as read ('' for none), its new state
_SET_FEEDBACK_IF = """
local current = redis.call('GET', KEYS[1])
local stage = ''
if current then stage = cjson.decode(current)['stage'] end
if stage ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


# KEYS: clerk   ARGV: received_at epoch, facts
_SET_IF_NEWER = """
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if tonumber(ARGV[1]) >= at then redis.call('HSET', KEYS[1], 'at', ARGV[1], 'facts', ARGV[2]) end
return 1
"""


class RedisSurveyStore:
    def __init__(
        self, redis: "Redis", prefix: str = PREFIX, answer_window: timedelta | None = None
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        # How long a submission's answer is kept for replays (None: forever).
        self.answer_ttl_ms = (
            0 if answer_window is None else int(answer_window.total_seconds() * 1000)
        )
        self.outbox = RedisOutbox(redis, prefix)
        self.held = ParkingLot(redis, prefix)
        self._commit_rating = CommitScript(redis, self.outbox, _RATING_BODY)
        self._commit_survey = CommitScript(redis, self.outbox, _SURVEY_BODY)
        self._commit_feedback = CommitScript(redis, self.outbox, _FEEDBACK_BODY)
        self._set_feedback_if = redis.register_script(_SET_FEEDBACK_IF)
        self._set_if_newer = redis.register_script(_SET_IF_NEWER)

    def facts_key(self, code: str) -> str:
        return f"{self.prefix}:dossier:{code}"

    def clerk_key(self, clerk_id: str) -> str:
        return f"{self.prefix}:clerk:{clerk_id}"

    def rating_key(self, code: str) -> str:
        return f"{self.prefix}:rating:{code}"

    def submission_key(self, submission_id: str) -> str:
        return f"{self.prefix}:submission:{submission_id}"

    def comment_key(self, event_id: str) -> str:
        return f"{self.prefix}:comment:{event_id}"

    def feedback_key(self, code: str) -> str:
        return f"{self.prefix}:feedback:{code}"

    async def remember(self, facts: DossierFacts) -> None:
        await self.redis.set(self.facts_key(facts.code), facts.model_dump_json())
        if facts.clerk_id:
            await self._set_if_newer(
                keys=[self.clerk_key(facts.clerk_id)],
                args=[facts.received_at.timestamp(), facts.model_dump_json()],
            )

    async def facts(self, code: str) -> DossierFacts | None:
        raw = await self.redis.get(self.facts_key(code))
        return None if raw is None else DossierFacts.model_validate_json(raw)

    async def clerk_latest(self, clerk_id: str) -> DossierFacts | None:
        raw = await self.redis.hget(self.clerk_key(clerk_id), "facts")
        return None if raw is None else DossierFacts.model_validate_json(raw)

    async def rating(self, code: str) -> StoredRating | None:
        raw = await self.redis.get(self.rating_key(code))
        return None if raw is None else StoredRating.model_validate_json(raw)

    async def replay(self, submission_id: str) -> str | None:
        raw = await self.redis.get(self.submission_key(submission_id))
        return None if raw is None else str(raw)

    async def comment(self, event_id: str) -> str | None:
        raw = await self.redis.get(self.comment_key(event_id))
        return None if raw is None else str(raw)

    async def commit_rating(
        self,
        *,
        submission_id: str,
        code: str,
        expected: StoredRating | None,
        stored: StoredRating,
        result: str,
        comment: str | None,
        entry: OutboxEntry,
    ) -> Committed:
        """Raises ConflictError if the dossier's rating is no longer `expected`."""
        commit = Commit(
            self.submission_key(submission_id), code, result, [entry], self.answer_ttl_ms
        )
        keys = [self.rating_key(code), self.comment_key(stored.event_id)]
        args = [expected.event_id if expected else "", stored.model_dump_json(), comment or ""]
        return await self._commit_rating(commit, keys, args)

    async def commit_survey(
        self, *, submission_id: str, key: str, event_id: str, result: str,
        comment: str | None, entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        submission = self.submission_key(submission_id)
        commit = Commit(submission, key, result, [entry], self.answer_ttl_ms)
        return await self._commit_survey(commit, [self.comment_key(event_id)], [comment or ""])

    async def feedback(self, code: str) -> FeedbackState | None:
        raw = await self.redis.get(self.feedback_key(code))
        return None if raw is None else FeedbackState.model_validate_json(raw)

    async def commit_feedback(
        self, *, submission_id: str, expected: FeedbackState | None, state: FeedbackState,
        result: str, entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        """Raises ConflictError if the feedback is no longer at `expected`'s stage."""
        submission = self.submission_key(submission_id)
        commit = Commit(submission, state.code, result, [entry], self.answer_ttl_ms)
        args = [expected.stage.value if expected else "", state.model_dump_json()]
        return await self._commit_feedback(commit, [self.feedback_key(state.code)], args)

    def feedback_step_key(self, code: str, step: str) -> str:
        """The answer to a feedback's step (its answer, its rating): a key no client's
        submission id can name, so nobody can pre-empt an agency's answer."""
        return f"{self.prefix}:feedback-step:{code}:{step}"

    async def step_replay(self, code: str, step: str) -> str | None:
        raw = await self.redis.get(self.feedback_step_key(code, step))
        return None if raw is None else str(raw)

    async def commit_feedback_step(
        self, *, step: str, expected: FeedbackState, state: FeedbackState, result: str,
        entry: OutboxEntry,
    ) -> Committed:  # fmt: skip
        """Raises ConflictError if the feedback is no longer at `expected`'s stage."""
        answer_key = self.feedback_step_key(state.code, step)
        commit = Commit(answer_key, state.code, result, [entry])  # kept with the feedback
        args = [expected.stage.value, state.model_dump_json()]
        return await self._commit_feedback(commit, [self.feedback_key(state.code)], args)

    async def save_feedback(self, expected: FeedbackState | None, state: FeedbackState) -> bool:
        """The state folded from a feedback event, if the stored one is still `expected`."""
        args = [expected.stage.value if expected else "", state.model_dump_json()]
        return bool(await self._set_feedback_if(keys=[self.feedback_key(state.code)], args=args))
