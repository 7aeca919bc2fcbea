"""The topic registry: every Kafka topic the system uses, with partitions and retention."""

from dataclasses import dataclass

FOREVER = -1
DAY_MS = 24 * 60 * 60 * 1000
PARTITIONS = 12  # enough for a dozen instances of a service in one consumer group


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    description: str
    cleanup_policy: str = "delete"  # "compact": the latest record per key is kept
    private_to: str | None = None  # only this service (and admin) may read it
    also_read_by: tuple[str, ...] = ()  # services that may read a private topic (never write)
    extra_configs: tuple[tuple[str, str], ...] = ()

    @property
    def configs(self) -> dict[str, str]:
        configs = {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}
        return configs | dict(self.extra_configs)

    @property
    def dead_letter(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


INTAKE_SUBMISSIONS = "intake.submissions.v1"
DOSSIER_EVENTS = "dossier.events.v1"
DEADLINE_EVENTS = "deadline.events.v1"
SURVEY_SUBMISSIONS = "survey.submissions.v1"
SURVEY_EVENTS = "survey.events.v1"
FEEDBACK_EVENTS = "feedback.events.v1"
FEEDBACK_DEADLINES = "feedback.deadlines.v1"
POSTAL_RETURNS = "postal.returns.v1"
POSTAL_STATUS = "postal.status.v1"
# intake's own state, so its Redis can be rebuilt from Kafka (services/intake/service/changelog.py)
INTAKE_DOSSIERS = "intake.dossiers.v1"
INTAKE_APPLICANTS = "intake.applicants.v1"
INTAKE_ANSWERS = "intake.answers.v1"
# the reference data: agencies, procedures, the calendar (shared/domain/reference_log.py)
CATALOGUE_EVENTS = "catalogue.events.v1"
# portal records an operator gives again (`dead_letters redrive` of its .dlq); only admin writes
PORTAL_RECORDS = "portal.records.v1"
# citizens' messages an operator gives again (`dead_letters redrive` of its .dlq), likewise
NOTIFICATIONS = "notifications.v1"
IDEMPOTENCY_WINDOW_MS = 7 * DAY_MS  # how long a submission's answer is kept (replays)

_SOURCE_TOPICS = (
    TopicSpec(INTAKE_SUBMISSIONS, PARTITIONS, 7 * DAY_MS, "untrusted requests from frontends"),
    # The source of truth for every dossier: never expires, so any read model can be rebuilt.
    TopicSpec(DOSSIER_EVENTS, PARTITIONS, FOREVER, "canonical dossier lifecycle events"),
    TopicSpec(DEADLINE_EVENTS, PARTITIONS, FOREVER, "due dates, due soon, overdue, classification"),
    TopicSpec(SURVEY_SUBMISSIONS, PARTITIONS, 7 * DAY_MS, "untrusted ratings from kiosks, portal"),
    TopicSpec(SURVEY_EVENTS, PARTITIONS, FOREVER, "accepted ratings and survey answers"),
    TopicSpec(FEEDBACK_EVENTS, PARTITIONS, FOREVER, "feedback filed, answered, answers rated"),
    TopicSpec(FEEDBACK_DEADLINES, PARTITIONS, FOREVER, "feedback due, due soon, overdue, judged"),
    TopicSpec(POSTAL_RETURNS, PARTITIONS, 90 * DAY_MS, "results to deliver by post"),
    TopicSpec(POSTAL_STATUS, PARTITIONS, 90 * DAY_MS, "postal delivery status reports"),
    TopicSpec(PORTAL_RECORDS, PARTITIONS, 90 * DAY_MS, "national portal records, redriven"),
    TopicSpec(NOTIFICATIONS, PARTITIONS, 90 * DAY_MS, "citizens' messages, redriven"),
)

# Changelogs: written and read by intake alone, never consumed by a group (no dead letters).
_INTAKE_CHANGELOGS = (
    TopicSpec(
        INTAKE_DOSSIERS, PARTITIONS, FOREVER, "intake's dossier records, latest per dossier",
        cleanup_policy="compact", private_to="intake",
    ),
    TopicSpec(
        INTAKE_APPLICANTS, PARTITIONS, FOREVER,
        "applicants' personal data per dossier; a tombstone erases it",
        cleanup_policy="compact", private_to="intake",
        # the exchange service sends the owner's name and identity number to the national portal
        also_read_by=("exchange",),
        # An erased value is gone from the log within a week of its tombstone: segments roll
        # daily, the cleaner must compact within a week, and tombstones go after a day.
        extra_configs=(("segment.ms", str(DAY_MS)), ("max.compaction.lag.ms", str(7 * DAY_MS)),
                       ("delete.retention.ms", str(DAY_MS))),
    ),
    TopicSpec(
        INTAKE_ANSWERS, PARTITIONS, IDEMPOTENCY_WINDOW_MS,
        "the answer to each submission (receipts with rating tokens), for replays",
        cleanup_policy="compact,delete", private_to="intake",
    ),
)  # fmt: skip

# Reference data: written by intake, read from the beginning, without a group, by the services
# that need it. One partition, so every reader folds the changes in one order.
_REFERENCE_TOPICS = (
    TopicSpec(
        CATALOGUE_EVENTS, 1, FOREVER,
        "agencies, procedure versions, calendar overrides and hours; latest per entity",
        cleanup_policy="compact",
    ),
)  # fmt: skip

REFERENCE_TOPICS = tuple(spec.name for spec in _REFERENCE_TOPICS)

TOPICS: tuple[TopicSpec, ...] = (
    _SOURCE_TOPICS
    + _INTAKE_CHANGELOGS
    + _REFERENCE_TOPICS
    + tuple(
        TopicSpec(spec.dead_letter, 3, 90 * DAY_MS, f"rejected messages of {spec.name}")
        for spec in _SOURCE_TOPICS
    )
)


def topic_spec(name: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}; known: {', '.join(s.name for s in TOPICS)}")
