"""compose.yaml cannot run here (no Docker engine), so it is checked against the code."""

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.deadline.settings import DeadlineSettings
from services.exchange.settings import ExchangeSettings
from services.intake.settings import IntakeSettings
from services.reporting.settings import ReportingSettings
from services.survey.settings import SurveySettings
from shared.messaging.kafka_principals import compose_script, principals
from shared.runtime.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "deadline": DeadlineSettings,
    "survey": SurveySettings,
    "reporting": ReportingSettings,
    "exchange": ExchangeSettings,
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def env_names(settings: type[ServiceSettings]) -> set[str]:
    return {field.alias or name.upper() for name, field in settings.model_fields.items()}


def python_module_of(command: list[str]) -> str:
    assert command[:2] == ["python", "-m"], f"expected `python -m module`, got {command}"
    return command[2]


def module_exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return (path / "__main__.py").exists() or path.with_suffix(".py").exists()


@pytest.mark.parametrize("name", SETTINGS)
def test_service_command_runs_its_module(compose: dict[str, Any], name: str) -> None:
    module = python_module_of(compose["services"][name]["command"])
    assert module == f"services.{name}"
    assert module_exists(module)


@pytest.mark.parametrize("name", SETTINGS)
def test_every_environment_variable_is_read_by_the_settings(
    compose: dict[str, Any], name: str
) -> None:
    environment = compose["services"][name]["environment"]
    unread = set(environment) - env_names(SETTINGS[name])
    assert unread == set(), f"{name} sets variables no settings class reads: {unread}"


@pytest.mark.parametrize("name", SETTINGS)
def test_ports_and_healthcheck_match_the_service(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    default_port = SETTINGS[name].model_fields["port"].default
    port_variable = SETTINGS[name].model_fields["port"].alias
    assert int(service["environment"][port_variable]) == default_port
    assert service["ports"] == [f"{default_port}:{default_port}"]
    probe = " ".join(shlex.quote(part) for part in service["healthcheck"]["test"])
    assert f"127.0.0.1:{default_port}/health" in probe


def test_topic_setup_job_runs_the_topic_admin(compose: dict[str, Any]) -> None:
    job = compose["services"]["topics"]
    assert module_exists(python_module_of(job["command"]))
    for name in SETTINGS:
        depends = compose["services"][name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully"


def test_infrastructure_is_kraft_kafka_and_persistent_redis(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "--appendonly" in compose["services"]["redis"]["command"]
    shared_bootstrap = ServiceSettings.model_fields["kafka_bootstrap_servers"].alias
    assert compose["services"]["intake"]["environment"][shared_bootstrap] == "kafka:9092"


def test_reporting_reads_its_database_and_not_redis(compose: dict[str, Any]) -> None:
    reporting, postgres = compose["services"]["reporting"], compose["services"]["postgres"]
    assert "redis" not in reporting["depends_on"]
    assert reporting["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert not any(name.startswith("REDIS") for name in reporting["environment"])
    url = reporting["environment"][ReportingSettings.model_fields["database_url"].alias]
    assert url.startswith("postgresql://")
    assert "@postgres:5432/" in url
    password = ReportingSettings.model_fields["database_password_file"].alias
    assert reporting["environment"][password] == "/run/secrets/reporting-db"
    assert postgres["image"].startswith("postgres:15")
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert "reporting-db" in postgres["secrets"]


def test_prometheus_scrapes_every_service_and_grafana_uses_it(compose: dict[str, Any]) -> None:
    prometheus = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    targets = {
        target
        for job in prometheus["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    expected = {f"{name}:{SETTINGS[name].model_fields['port'].default}" for name in SETTINGS}
    assert expected <= targets
    datasource = yaml.safe_load(
        (ROOT / "infra/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    assert "grafana" in compose["services"]


def test_prometheus_config_is_valid_for_promtool() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: scripts/infra.sh up installs Debian's prometheus package"
    check = subprocess.run(
        [
            promtool,
            "check",
            "config",
            "--syntax-only",
            str(ROOT / "infra/prometheus/prometheus.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_image_carries_the_code_and_the_operator_data() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("shared", "services", "config"):
        assert f"COPY {folder} ./{folder}" in dockerfile
    from services.intake.settings import CONFIG

    assert CONFIG.relative_to(ROOT).parts[0] == "config"


# Security: TLS and a principal of its own for each Kafka client, secrets made by a script ----


def secret_files(compose: dict[str, Any]) -> dict[str, str]:
    return {name: spec["file"] for name, spec in compose["secrets"].items()}


@pytest.mark.parametrize("name", SETTINGS)
def test_each_service_connects_over_tls_as_its_own_principal(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    environment = service["environment"]
    assert environment["KAFKA_PASSWORD_FILE"] == f"/run/secrets/kafka-{name}"
    assert environment["KAFKA_SSL_CAFILE"] == "/run/secrets/kafka-ca.pem"
    assert "KAFKA_USERNAME" not in environment  # the default principal is the service's name
    assert {f"kafka-{name}", "kafka-ca.pem", "api_keys.toml"} <= set(service["secrets"])
    assert environment["API_KEYS_FILE"] == "/run/secrets/api_keys.toml"
    assert name in {p.name for p in principals()}


def test_every_principal_gets_a_secret_password_and_the_setup_provisions_them(
    compose: dict[str, Any],
) -> None:
    names = {p.name for p in principals()}
    assert {f"kafka-{n}" for n in names} <= set(secret_files(compose))
    setup = compose["services"]["kafka-setup"]
    assert {f"kafka-{n}" for n in names} <= set(setup["secrets"])
    assert setup["command"] == ["/bin/bash", "/opt/motcua/provision.sh"]
    committed = (ROOT / "infra/kafka/provision.sh").read_text()
    assert committed == compose_script(principals()), (
        "infra/kafka/provision.sh is stale: "
        "python -m shared.messaging.kafka_principals compose-script"
    )
    assert compose["services"]["topics"]["depends_on"]["kafka-setup"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_broker_of_compose_has_tls_authentication_and_acls(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["command"] == ["/bin/bash", "/opt/motcua/compose-broker.sh"]
    broker = (ROOT / "infra/kafka/compose-broker.sh").read_text()
    for line in ("listeners=SASL_SSL://:9092,CONTROLLER://:9093",
                 "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                 "allow.everyone.if.no.acl.found=false", "super.users=User:admin",
                 "ssl.keystore.location=/run/secrets/kafka-broker.pem"):  # fmt: skip
        assert line in broker
    assert "PLAINTEXT://" not in broker.replace("SASL_PLAINTEXT", "")
    assert {"kafka-admin", "kafka-ca.pem", "kafka-broker.pem"} <= set(kafka["secrets"])


def test_no_development_password_is_in_what_compose_uses() -> None:
    for path in ("compose.yaml", "infra/kafka/provision.sh", "infra/kafka/compose-broker.sh"):
        text = (ROOT / path).read_text()
        assert "-dev-secret" not in text, path
    assert "infra/secrets/" in (ROOT / ".gitignore").read_text()


def test_the_secrets_script_makes_every_secret_compose_names(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed by scripts/make_compose_secrets.sh")
    made = subprocess.run(
        [str(ROOT / "scripts/make_compose_secrets.sh")],
        env={"PATH": "/usr/bin:/bin", "SECRETS_DIR": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    wanted = {Path(file).name for file in secret_files(compose).values()}
    assert wanted <= {path.name for path in tmp_path.iterdir()}
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "kafka-ca.pem"),
         "-untrusted", str(tmp_path / "kafka-broker.pem"), str(tmp_path / "kafka-broker.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
