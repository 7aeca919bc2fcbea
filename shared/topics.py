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
POSTAL_RETURNS = "postal.returns.v1"
POSTAL_STATUS = "postal.status.v1"

_SOURCE_TOPICS = (
    TopicSpec(INTAKE_SUBMISSIONS, PARTITIONS, 7 * DAY_MS, "untrusted requests from frontends"),
    # The source of truth for every dossier: never expires, so any read model can be rebuilt.
    TopicSpec(DOSSIER_EVENTS, PARTITIONS, FOREVER, "canonical dossier lifecycle events"),
    TopicSpec(DEADLINE_EVENTS, PARTITIONS, FOREVER, "due dates, due soon, overdue, classification"),
    TopicSpec(SURVEY_SUBMISSIONS, PARTITIONS, 7 * DAY_MS, "untrusted ratings from kiosks, portal"),
    TopicSpec(SURVEY_EVENTS, PARTITIONS, FOREVER, "accepted ratings and survey answers"),
    TopicSpec(POSTAL_RETURNS, PARTITIONS, 90 * DAY_MS, "results to deliver by post"),
    TopicSpec(POSTAL_STATUS, PARTITIONS, 90 * DAY_MS, "postal delivery status reports"),
)

TOPICS: tuple[TopicSpec, ...] = _SOURCE_TOPICS + tuple(
    TopicSpec(spec.dead_letter, 3, 90 * DAY_MS, f"rejected messages of {spec.name}")
    for spec in _SOURCE_TOPICS
)


def topic_spec(name: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}; known: {', '.join(s.name for s in TOPICS)}")
