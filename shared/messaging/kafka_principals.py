"""Who may do what on Kafka: one SASL/SCRAM principal per service, per frontend and per postal
partner, each with ACLs for exactly the topics and consumer groups ARCHITECTURE.md's table
gives it. Kafka's StandardAuthorizer denies everything else (`allow.everyone.if.no.acl.found`
stays false), so a client without credentials, or with another's, gets nowhere.

This module is the one source of the ACLs: `scripts/infra.sh` applies its plan to the
development broker
(`python -m shared.messaging.kafka_principals plan | java infra/kafka/Provision.java`)
and `infra/kafka/provision.sh`, which compose runs, is generated from it (a test checks).

    python -m shared.messaging.kafka_principals table          the principals and their rights
    python -m shared.messaging.kafka_principals plan           users and ACLs, development passwords
    python -m shared.messaging.kafka_principals compose-script the provisioning script compose runs
    python -m shared.messaging.kafka_principals names          every principal that needs a password
"""

import sys
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from shared.events.topics import (
    CATALOGUE_EVENTS,
    DEADLINE_EVENTS,
    DOSSIER_EVENTS,
    FEEDBACK_DEADLINES,
    FEEDBACK_EVENTS,
    INTAKE_SUBMISSIONS,
    NOTIFICATIONS,
    PORTAL_RECORDS,
    POSTAL_RETURNS,
    POSTAL_STATUS,
    SURVEY_EVENTS,
    SURVEY_SUBMISSIONS,
    TOPICS,
    dead_letter_topic,
)

CLIENTS_FILE = Path(__file__).resolve().parents[2] / "config" / "kafka_clients.toml"
ADMIN = "admin"  # the broker's own principal and the topic administrator: a super user
OPERATOR = "operator"  # people and tools that look (audit, dead letters): read-only, and
# blind to the topics private to a service
ALL = "*"


class Kind(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    SERVICE = "service"
    FRONTEND = "frontend"
    POSTAL_PARTNER = "postal_partner"


@dataclass(frozen=True)
class Acl:
    """One ALLOW rule: `operation` on a resource (Kafka's names: TOPIC/GROUP, LITERAL/PREFIXED,
    READ/WRITE/DESCRIBE; READ and WRITE imply DESCRIBE)."""

    principal: str
    resource: str
    pattern: str
    name: str
    operation: str

    def plan_line(self) -> str:
        return f"acl {self.principal} {self.resource} {self.pattern} {self.name} {self.operation}"


@dataclass(frozen=True)
class Principal:
    name: str
    kind: Kind
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    extra: tuple[tuple[str, str, str, str], ...] = field(default=())  # resource, pattern, ...

    def acls(self) -> list[Acl]:
        rules = [Acl(self.name, "TOPIC", "LITERAL", topic, "READ") for topic in self.reads]
        rules += [Acl(self.name, "TOPIC", "LITERAL", topic, "WRITE") for topic in self.writes]
        if self.reads:  # its consumer groups: its name, or any name starting with it
            rules.append(Acl(self.name, "GROUP", "PREFIXED", self.name, "READ"))
        rules += [Acl(self.name, *rule) for rule in self.extra]
        return rules


def _service(
    name: str,
    consumes: tuple[str, ...],
    produces: tuple[str, ...],
    follows: tuple[str, ...] = (),
) -> Principal:
    """A service reads its inputs, writes its outputs and its inputs' dead-letter topics, and
    reads and writes the topics private to it (its own state's changelogs). It also reads
    the reference topics it `follows` (no group, no dead letters), and another service's
    private topics that name it in `also_read_by` (no dead letters either: a changelog has none)."""
    dead_letters = tuple(dead_letter_topic(topic) for topic in consumes)
    own = tuple(spec.name for spec in TOPICS if spec.private_to == name)
    granted = tuple(spec.name for spec in TOPICS if name in spec.also_read_by)
    return Principal(
        name,
        Kind.SERVICE,
        reads=consumes + own + granted + follows,
        writes=produces + own + dead_letters,
    )


# Everything but the topics private to a service (personal data, rating tokens).
SHARED_TOPICS = tuple(spec.name for spec in TOPICS if spec.private_to is None)


SERVICES = (
    _service(
        "intake",
        (INTAKE_SUBMISSIONS, POSTAL_STATUS),
        (DOSSIER_EVENTS, POSTAL_RETURNS, CATALOGUE_EVENTS),
        follows=(CATALOGUE_EVENTS,),
    ),
    _service(
        "deadline",
        (DOSSIER_EVENTS, FEEDBACK_EVENTS),
        (DEADLINE_EVENTS, FEEDBACK_DEADLINES),
        follows=(CATALOGUE_EVENTS,),
    ),
    _service(
        "survey",
        (DOSSIER_EVENTS, SURVEY_SUBMISSIONS, FEEDBACK_EVENTS),
        (SURVEY_EVENTS, FEEDBACK_EVENTS),
    ),
    _service(
        "reporting",
        (DOSSIER_EVENTS, DEADLINE_EVENTS, SURVEY_EVENTS, FEEDBACK_EVENTS, FEEDBACK_DEADLINES),
        (),
        follows=(CATALOGUE_EVENTS,),
    ),
    # the national portal: reads the lifecycle, the deadlines and the applicants (the owner's
    # name and identity number), and the records an operator redrives; writes only dead letters
    _service("exchange", (DOSSIER_EVENTS, DEADLINE_EVENTS, PORTAL_RECORDS, NOTIFICATIONS), ()),
)
BUILT_IN = (
    Principal(ADMIN, Kind.ADMIN),
    Principal(
        OPERATOR,
        Kind.OPERATOR,
        reads=SHARED_TOPICS,
        # every group's committed offsets (the audit compares them with the topics' ends)
        extra=(("GROUP", "LITERAL", ALL, "DESCRIBE"),),
    ),
)


def frontend(name: str) -> Principal:
    return Principal(
        name,
        Kind.FRONTEND,
        reads=(DEADLINE_EVENTS,),
        writes=(INTAKE_SUBMISSIONS, SURVEY_SUBMISSIONS),
    )


def postal_partner(name: str) -> Principal:
    return Principal(name, Kind.POSTAL_PARTNER, reads=(POSTAL_RETURNS,), writes=(POSTAL_STATUS,))


def principals(clients_file: Path = CLIENTS_FILE) -> tuple[Principal, ...]:
    data = tomllib.loads(clients_file.read_text())
    clients = [frontend(entry["name"]) for entry in data.get("frontend", [])]
    clients += [postal_partner(entry["name"]) for entry in data.get("postal_partner", [])]
    every = BUILT_IN + SERVICES + tuple(clients)
    names = [p.name for p in every]
    if len(set(names)) != len(names):
        raise ValueError(f"{clients_file}: a principal name is used twice: {names}")
    return every


def principal(name: str) -> Principal:
    for candidate in principals():
        if candidate.name == name:
            return candidate
    raise KeyError(f"no Kafka principal {name!r}")


def development_password(name: str) -> str:
    """The development password of a principal: provisioned by `scripts/infra.sh` on the
    loopback broker only; compose takes every password from its secrets instead."""
    return f"{name}-dev-secret"


def plan(every: tuple[Principal, ...]) -> list[str]:
    """Input of infra/kafka/Provision.java: `user NAME PASSWORD` and `acl ...` lines."""
    lines = [f"user {p.name} {development_password(p.name)}" for p in every if p.name != ADMIN]
    lines += [acl.plan_line() for p in every for acl in p.acls()]
    return lines


def compose_script(every: tuple[Principal, ...]) -> str:
    """The provisioning script compose's `kafka-setup` runs with Kafka's own tools."""
    lines = [
        "#!/usr/bin/env bash",
        "# GENERATED by `python -m shared.messaging.kafka_principals compose-script`: do not edit.",
        "# Run by compose's kafka-setup (apache/kafka image): SCRAM users from the secrets,",
        "# then the ACLs of shared/messaging/kafka_principals.py. Idempotent.",
        "set -euo pipefail",
        "BOOTSTRAP=${BOOTSTRAP:-kafka:9092}",
        "CONFIG=/tmp/admin.properties",
        "BIN=${KAFKA_BIN:-/opt/kafka/bin}",
        'secret() { tr -d "\\n" < "/run/secrets/kafka-$1"; }',
        'cat >"$CONFIG" <<PROPS  # the admin client\'s settings',
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="admin" password="$(secret admin)";',
        "ssl.truststore.type=PEM",
        "ssl.truststore.location=/run/secrets/kafka-ca.pem",
        "PROPS",
        "user() {",
        '  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$CONFIG" \\',
        '    --alter --entity-type users --entity-name "$1" \\',
        '    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(secret "$1")]" >/dev/null',
        "}",
        "acl() { # acl PRINCIPAL RESOURCE PATTERN NAME OPERATION",
        "  local flag; case $2 in TOPIC) flag=--topic ;; GROUP) flag=--group ;; esac",
        '  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$CONFIG" \\',
        '    --add --allow-principal "User:$1" --resource-pattern-type "${3,,}" \\',
        '    "$flag" "$4" --operation "$5" >/dev/null',
        "}",
    ]
    lines += [f"user {p.name}" for p in every if p.name != ADMIN]
    lines += [
        f"acl {a.principal} {a.resource} {a.pattern} '{a.name}' {a.operation}"
        for p in every
        for a in p.acls()
    ]
    lines.append('echo "kafka-setup: users and ACLs provisioned"')
    return "\n".join(lines) + "\n"


def table(every: tuple[Principal, ...]) -> str:
    rows = ["| principal | kind | reads | writes |", "|---|---|---|---|"]
    for p in every:
        reads = ", ".join(f"`{t}`" for t in p.reads) or (
            "everything" if p.kind == Kind.ADMIN else ""
        )
        writes = ", ".join(f"`{t}`" for t in p.writes) or (
            "everything" if p.kind == Kind.ADMIN else ""
        )
        rows.append(f"| `{p.name}` | {p.kind.value} | {reads} | {writes} |")
    return "\n".join(rows)


def main() -> None:
    every = principals()
    command = sys.argv[1] if len(sys.argv) == 2 else ""
    if command == "plan":
        print("\n".join(plan(every)))
    elif command == "compose-script":
        print(compose_script(every), end="")
    elif command == "names":
        print("\n".join(p.name for p in every))
    elif command == "table":
        print(table(every))
    else:
        print("usage: python -m shared.messaging.kafka_principals plan|compose-script|names|table",
              file=sys.stderr)  # fmt: skip
        sys.exit(2)


if __name__ == "__main__":
    main()
