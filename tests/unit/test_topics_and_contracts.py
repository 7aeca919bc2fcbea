import subprocess
import sys
from pathlib import Path

from shared.events.contracts import REFERENCE_CONTRACTS, TOPIC_CONTRACTS, json_schema_of
from shared.events.topics import (
    CATALOGUE_EVENTS,
    DOSSIER_EVENTS,
    FOREVER,
    REFERENCE_TOPICS,
    TOPICS,
    dead_letter_topic,
    topic_spec,
)

ROOT = Path(__file__).resolve().parents[2]


def test_dossier_events_are_kept_forever() -> None:
    assert topic_spec(DOSSIER_EVENTS).retention_ms == FOREVER


def test_every_source_topic_has_a_dead_letter_topic_and_a_contract() -> None:
    names = {spec.name for spec in TOPICS}
    for topic in TOPIC_CONTRACTS:
        assert dead_letter_topic(topic) in names
    shared = {spec.name for spec in TOPICS if spec.private_to is None}
    sources = {name for name in shared if not name.endswith(".dlq")} - set(REFERENCE_TOPICS)
    assert sources == set(TOPIC_CONTRACTS)


def test_the_catalogue_log_is_one_compacted_partition_kept_forever_with_a_contract() -> None:
    spec = topic_spec(CATALOGUE_EVENTS)
    assert (spec.partitions, spec.cleanup_policy, spec.retention_ms) == (1, "compact", FOREVER)
    assert set(REFERENCE_CONTRACTS) == set(REFERENCE_TOPICS) == {CATALOGUE_EVENTS}
    assert dead_letter_topic(CATALOGUE_EVENTS) not in {s.name for s in TOPICS}
    kinds = json_schema_of(CATALOGUE_EVENTS)["discriminator"]["mapping"]
    assert set(kinds) == {"agency", "field", "procedure", "calendar"}


def test_a_services_own_changelogs_are_compacted_private_and_have_no_dead_letters() -> None:
    private = [spec for spec in TOPICS if spec.private_to is not None]
    assert {spec.name for spec in private} == {
        "intake.dossiers.v1", "intake.applicants.v1", "intake.answers.v1"
    }  # fmt: skip
    names = {spec.name for spec in TOPICS}
    for spec in private:
        assert "compact" in spec.cleanup_policy, spec.name
        assert dead_letter_topic(spec.name) not in names


def test_every_topic_contract_is_a_union_discriminated_on_type() -> None:
    """Or one kind of record naming its `type` (portal.records.v1)."""
    for topic in TOPIC_CONTRACTS:
        schema = json_schema_of(topic)
        if "discriminator" not in schema:
            assert schema["properties"]["type"]["const"], topic
            continue
        assert schema["discriminator"]["propertyName"] == "type", topic


def test_committed_json_schemas_and_asyncapi_match_the_code() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/generate_contracts.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr[-2000:]
