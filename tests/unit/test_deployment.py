"""The production stack: docker-compose.yaml and the Dockerfile, validated without an engine.

No Docker engine runs here, so the compose file is checked against the Compose
Specification's JSON schema (check-jsonschema's vendored copy), plus the references a
schema cannot see; the Dockerfile is linted with hadolint.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
BIN = Path(sys.executable).parent
ONE_SHOT = {"airflow-init", "minio-init"}
AIRFLOW = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env_example() -> dict[str, str]:
    out = {}
    for raw in (ROOT / ".env.example").read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def test_compose_file_is_valid_against_the_compose_spec():
    proc = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_docker_compose_config_when_a_client_with_compose_is_present():
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("no docker client with the compose plugin here; the schema test covers it")
    env = {**_env_example()}
    proc = subprocess.run(
        [docker, "compose", "--env-file", str(ROOT / ".env.example"), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr


def test_every_variable_is_documented_or_defaulted():
    text = "\n".join(
        line for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    documented = set(_env_example())
    for match in re.finditer(r"(?<!\$)\$\{([A-Z0-9_]+)(:?-[^}]*)?\}", text):
        name, default = match.group(1), match.group(2)
        assert default or name in documented, (
            f"${{{name}}} has no default and is not in .env.example"
        )


def test_services_have_images_healthchecks_and_valid_dependencies(compose):
    services = compose["services"]
    assert set(services) >= AIRFLOW
    assert {"postgres", "redis", "minio", "minio-init", "mailpit"} <= set(services)
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        if name not in ONE_SHOT:
            assert "healthcheck" in svc, f"{name} needs a healthcheck"
        for target, cond in (svc.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            expected = "service_completed_successfully" if target in ONE_SHOT else "service_healthy"
            assert cond["condition"] == expected, (name, target)


def test_named_volumes_are_declared_and_ports_do_not_collide(compose):
    declared = set(compose.get("volumes") or {})
    ports = []
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"
        ports += [p.split(":")[0] for p in svc.get("ports") or []]
    assert len(ports) == len(set(ports)), ports


def test_airflow_services_share_the_common_settings_and_point_sentra_at_the_stack(compose):
    services = compose["services"]
    for name in AIRFLOW:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert "@postgres/sentra_ledger" in env["SENTRA_LEDGER_URL"], name
        assert "@postgres/sentra_catalog" in env["SENTRA_CATALOG_URL"], name
        assert env["SENTRA_S3_ENDPOINT"] == "http://minio:9000", name
        assert env["SENTRA_MAIL_MODE"] == "smtp", name
    init_sql = (ROOT / "deploy" / "init-databases.sql").read_text()
    assert "CREATE DATABASE sentra_ledger" in init_sql
    assert "CREATE DATABASE sentra_catalog" in init_sql
    assert "sentra ledger migrate" in (ROOT / "deploy" / "airflow-init.sh").read_text()


def test_no_secret_has_a_default_in_the_compose_file():
    text = COMPOSE.read_text()
    for secret in (
        "POSTGRES_PASSWORD",
        "AIRFLOW_FERNET_KEY",
        "AIRFLOW_JWT_SECRET",
        "MINIO_ROOT_PASSWORD",
    ):
        assert re.search(rf"\$\{{{secret}:-", text) is None, f"{secret} must not have a default"


def test_dockerfile_passes_hadolint():
    proc = subprocess.run(
        [str(BIN / "hadolint"), "--config", str(ROOT / ".hadolint.yaml"), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_installs_the_project_from_the_lock():
    text = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r /opt/sentra/requirements.lock" in text
    assert re.search(r"FROM \$\{AIRFLOW_IMAGE\}", text)
    assert "apache/airflow:3.3.2-python3.11" in text, "same Airflow as the lock"
