"""compose.yaml cannot run here (no Docker engine), so it is checked against the code."""

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.deadline.settings import DeadlineSettings
from services.intake.settings import IntakeSettings
from services.reporting.settings import ReportingSettings
from services.survey.settings import SurveySettings
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "deadline": DeadlineSettings,
    "survey": SurveySettings,
    "reporting": ReportingSettings,
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
    from services.deadline.settings import DEFAULT_OVERRIDES

    assert DEFAULT_OVERRIDES.relative_to(ROOT).parts[0] == "config"
