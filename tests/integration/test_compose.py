"""The production stack (docker-compose.yaml, Dockerfile, deploy/) validated without an engine.

No Docker engine runs here, so the compose file is validated against the Compose
Specification's JSON schema (check-jsonschema's vendored copy) and, when a Docker client
with the compose plugin is present, with ``docker compose config``; then the references
a schema cannot see are checked in Python (variables, volumes, healthchecks, dependency
conditions, shared Airflow settings, hosts, ports, settings names). The Dockerfile is
linted with hadolint, and the init script the ``airflow-init`` service runs is executed
for real against a fresh PostgreSQL database, twice, to show it is idempotent.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from compose_env import interpolate, parse_dotenv
from conftest import POSTGRES_AVAILABLE, throwaway_databases, unique_name

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
BIN = Path(sys.executable).parent
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $${VAR} is an escape.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRETS = (
    "POSTGRES_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_ADMIN_PASSWORD",
    "S3_PIPELINE_SECRET_KEY",
    "S3_ANALYST_SECRET_KEY",
    "CATALOG_READER_PASSWORD",
)
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
# Variables only the init service reads (turned into a connection, a pool, a user).
INIT_ONLY = {
    "AIRFLOW_ADMIN_USER",
    "AIRFLOW_ADMIN_EMAIL",
    "AIRFLOW_ADMIN_PASSWORD",
    "INIT_SMTP_HOST",
    "INIT_SMTP_PORT",
    "INIT_SMTP_USER",
    "INIT_SMTP_PASSWORD",
    "INIT_SMTP_STARTTLS",
    "INIT_SMTP_SSL",
    "INIT_INGEST_POOL_SLOTS",
}


def _env_example() -> dict[str, str]:
    """``.env.example`` exactly as Compose reads it (compose-go's dotenv rules)."""
    return parse_dotenv((ROOT / ".env.example").read_text())


def _interpolate(text: str, env: dict[str, str]) -> str:
    """The compose file with ``${...}`` resolved as Compose does (``:?`` raises)."""
    return interpolate(text, env)


def _filled_env() -> dict[str, str]:
    """.env.example with every secret filled in, as an operator's .env would be."""
    env = _env_example()
    for secret in SECRETS:
        env[secret] = f"test-{secret.lower().replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    return env


def _uncommented(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose model with .env.example (secrets filled) substituted, anchors merged."""
    return yaml.safe_load(_interpolate(_uncommented(COMPOSE.read_text()), _filled_env()))


def _one_shot(services: dict) -> set[str]:
    """Services others wait for to *finish*: they need no healthcheck and no restart."""
    return {
        target
        for svc in services.values()
        for target, dep in (svc.get("depends_on") or {}).items()
        if dep.get("condition") == "service_completed_successfully"
    }


# --- real tools ------------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_spec():
    proc = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _compose_command() -> list[str] | None:
    """``docker compose`` (the plugin) or a standalone ``docker-compose``, if one works here."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if (
        standalone
        and subprocess.run([standalone, "version"], capture_output=True, check=False).returncode
        == 0
    ):
        return [standalone]
    return None


def test_docker_compose_config_when_a_client_with_compose_is_present(tmp_path):
    command = _compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` works here; "
            "the Compose Spec schema test covers the file"
        )
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in _filled_env().items()))
    proc = subprocess.run(
        [*command, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # Without the secrets compose must refuse to start (the `:?` guards).
    env_file.write_text("".join(f"{k}={v}\n" for k, v in _env_example().items()))
    proc = subprocess.run(
        [*command, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "in .env" in proc.stderr


def test_dockerfile_passes_hadolint():
    proc = subprocess.run(
        [str(BIN / "hadolint"), "--config", str(ROOT / ".hadolint.yaml"), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_init_script_is_valid_bash():
    proc = subprocess.run(
        ["bash", "-n", str(ROOT / "deploy" / "airflow-init.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# --- references a schema cannot see -----------------------------------------------------------


def test_every_variable_is_in_env_example_and_secrets_have_no_default():
    text = "\n".join(
        line for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    documented = _env_example()
    seen = set()
    for match in VARIABLE.finditer(text):
        name, op, arg = match.groups()
        seen.add(name)
        assert name in documented, (
            f"${{{name}}} is used by docker-compose.yaml but not in .env.example"
        )
        if name in SECRETS:
            assert op == ":?", f"secret ${{{name}}} must be required (`:?`), not defaulted"
            assert documented[name] == "", f".env.example must not ship a value for {name}"
        elif op == ":-":
            assert documented[name] == arg, (
                f"{name}: default {arg!r} in docker-compose.yaml but {documented[name]!r} "
                ".env.example"
            )
        else:
            pytest.fail(f"${{{name}}} has neither a default nor a `:?` guard")
    unused = set(documented) - seen
    assert not unused, f".env.example lists variables nothing uses: {sorted(unused)}"


def test_services_have_images_healthchecks_and_conditional_dependencies(compose):
    services = compose["services"]
    assert set(AIRFLOW_COMMANDS) | {"airflow-init"} <= set(services)
    assert {"postgres", "redis", "object-store", "object-store-init", "mailpit"} <= set(services)
    one_shot = _one_shot(services)
    assert one_shot == {"airflow-init", "object-store-init"}
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, f"{name} has neither image nor build"
        if "image" in svc and "build" not in svc:
            tag = svc["image"].rsplit("/", 1)[-1]
            assert ":" in tag, f"{name}: pin {svc['image']} to a version"
            assert not tag.endswith(":latest"), f"{name}: pin {svc['image']} to a version"
        if name in one_shot:
            assert svc.get("restart") in (None, "no"), f"one-shot {name} must not restart"
        else:
            check = svc.get("healthcheck") or {}
            assert check.get("test"), f"{name} needs a healthcheck"
            assert not check.get("disable"), f"{name} has its healthcheck disabled"
            assert svc.get("restart") in ("always", "unless-stopped"), f"{name} should restart"
        for target, dep in (svc.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert "condition" in dep, f"{name} -> {target} needs a condition"
            expected = "service_completed_successfully" if target in one_shot else "service_healthy"
            assert dep["condition"] == expected, (name, target, dep["condition"])


def test_volumes_are_declared_and_bind_mounts_exist(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert used == declared, f"declared but unused volumes: {sorted(declared - used)}"


def test_published_ports_do_not_collide_and_bind_to_loopback_by_default(compose):
    published = []
    for name, svc in compose["services"].items():
        for port in svc.get("ports") or []:
            address, host_port, _container = str(port).split(":")
            assert address == "127.0.0.1", f"{name} publishes on {address} by default"
            published.append(int(host_port))
    assert len(published) == len(set(published)), published
    assert {8080, 8025, 8333} == set(published)


def test_airflow_services_share_x_airflow_common(raw, compose):
    common = raw["x-airflow-common"]
    common_env = common["environment"]
    services = compose["services"]
    for name, command in {**AIRFLOW_COMMANDS, "airflow-init": None}.items():
        svc = raw["services"][name]
        for key in ("image", "build", "user", "volumes"):
            assert svc[key] == common[key], f"{name}.{key} differs from x-airflow-common"
        for key, value in common_env.items():
            assert svc["environment"].get(key) == value, f"{name} overrides {key}"
        if command:
            assert services[name]["command"] == command
            deps = services[name]["depends_on"]
            assert deps["airflow-init"]["condition"] == "service_completed_successfully"
    init = services["airflow-init"]
    assert init["command"] == ["bash", "/opt/sentra/deploy/airflow-init.sh"]
    assert "COPY --chown=airflow:0 deploy /opt/sentra/deploy" in (ROOT / "Dockerfile").read_text()
    assert common_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common_env["AIRFLOW__CORE__AUTH_MANAGER"] == (
        "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    )
    assert "AIRFLOW_API_SECRET_KEY" in common_env["AIRFLOW__API__SECRET_KEY"]
    assert common_env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"
    assert common_env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    # Fail-fast secrets the components must share.
    assert "AIRFLOW_JWT_SECRET" in common_env["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert "AIRFLOW_FERNET_KEY" in common_env["AIRFLOW__CORE__FERNET_KEY"]


def test_urls_point_at_the_stack_services(compose):
    services = compose["services"]
    env = services["airflow-worker"]["environment"]

    def host(url: str) -> str:
        return urlsplit(url).hostname or ""

    assert host(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) == "postgres"
    assert host(env["AIRFLOW__CELERY__RESULT_BACKEND"]) == "postgres"
    assert host(env["AIRFLOW__CELERY__BROKER_URL"]) == "redis"
    execution_api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution_api.hostname == "airflow-apiserver"
    assert execution_api.path == "/execution/"
    assert host(env["SENTRA_S3_ENDPOINT"]) == "object-store"
    init_sql = (ROOT / "deploy" / "init-databases.sql").read_text()
    for key in ("SENTRA_LEDGER_URL", "SENTRA_CATALOG_URL"):
        url = urlsplit(env[key])
        assert url.hostname == "postgres", key
        database = url.path.lstrip("/")
        assert f"CREATE DATABASE {database} " in init_sql, f"{database} is not created"
    store = services["object-store"]["environment"]
    bucket = services["object-store-init"]["environment"]["SENTRA_BUCKET"]
    assert store["SENTRA_BUCKET"] == bucket
    for key in ("SENTRA_WAREHOUSE_URI", "SENTRA_LANDING_URI", "SENTRA_STAGING_URI"):
        assert env[key].startswith(f"s3://{bucket}/"), key
    # The pipeline runs with its own read-write identity, never the analysts' one.
    assert env["SENTRA_S3_ACCESS_KEY_ID"] == store["S3_PIPELINE_ACCESS_KEY"]
    assert env["SENTRA_S3_SECRET_ACCESS_KEY"] == store["S3_PIPELINE_SECRET_KEY"]
    assert store["S3_ANALYST_ACCESS_KEY"] != store["S3_PIPELINE_ACCESS_KEY"]
    assert store["S3_ANALYST_SECRET_KEY"] != store["S3_PIPELINE_SECRET_KEY"]
    assert env["SENTRA_MAIL_MODE"] == "smtp"
    docs = urlsplit(env["SENTRA_DATA_DOCS_BASE_URL"])
    assert docs.path == "/sentra/data-docs", "the board app serves the Data Docs there"
    assert env["SENTRA_DATA_DOCS_BASE_URL"].startswith(env["SENTRA_REPORT_BASE_URL"])
    init_env = services["airflow-init"]["environment"]
    assert init_env["INIT_SMTP_HOST"] == "mailpit"
    assert str(init_env["INIT_SMTP_PORT"]) in {str(p) for p in services["mailpit"]["expose"]}
    assert env["SENTRA_SMTP_CONN_ID"] == "smtp_default"
    postgres_mounts = services["postgres"]["volumes"]
    assert any(
        m.startswith("./deploy/init-databases.sql:/docker-entrypoint-initdb.d/")
        for m in postgres_mounts
    )


def test_sentra_settings_in_the_stack_are_real_settings_and_documented(compose):
    from sentra.config import Settings

    fields = set(Settings.model_fields) - {"extra"}
    env_names = {f"SENTRA_{name.upper()}" for name in fields} | {"SENTRA_CONFIG"}
    for name, svc in compose["services"].items():
        for key in svc.get("environment") or {}:
            if key.startswith("SENTRA_") and name.startswith("airflow-"):
                assert key in env_names, f"{name} sets {key}, which sentra does not read"
    toml_path = ROOT / "deploy" / "sentra.toml"
    import tomllib

    tunables = tomllib.loads(toml_path.read_text())["sentra"]
    assert set(tunables) <= fields, sorted(set(tunables) - fields)
    settings = Settings.from_env({"SENTRA_CONFIG": str(toml_path)})
    for key, value in tunables.items():
        got = getattr(settings, key)
        assert got == (tuple(value) if isinstance(value, list) else value), key
    guide = (ROOT / "docs" / "deployment.md").read_text()
    undocumented = sorted(n for n in env_names if f"`{n}`" not in guide)
    assert not undocumented, f"docs/deployment.md does not describe {undocumented}"


def test_dockerfile_builds_the_lock_on_the_same_airflow():
    dockerfile = (ROOT / "Dockerfile").read_text()
    lock = (ROOT / "requirements.lock").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)", lock, re.MULTILINE).group(1)
    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)", dockerfile, re.MULTILINE).group(1)
    assert base == f"apache/airflow:{pinned}-python3.11", (base, pinned)
    assert re.search(rf"^ARG AIRFLOW_VERSION={re.escape(pinned)}$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{AIRFLOW_IMAGE\}$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{AIRFLOW_IMAGE\} AS wheel$", dockerfile, re.MULTILINE)
    assert _env_example()["AIRFLOW_IMAGE"] == base
    assert "--require-hashes --no-deps -r /opt/sentra/requirements.lock" in dockerfile
    # The project is a wheel built in the first stage, not an editable checkout.
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/dist ." in dockerfile
    assert "pip install --no-cache-dir --no-deps /opt/sentra/dist/sentra-*.whl" in dockerfile
    assert " -e " not in dockerfile, "no editable install in the image"
    last = dockerfile.rstrip().splitlines()[-1]
    assert last.startswith(("COPY", "ENV")), "ends as a runtime image, not a build step"
    assert not re.search(r"^USER (root|0)\s*\Z", dockerfile, re.MULTILINE), "ends as root"


def _pins(lock: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / lock).read_text(), re.MULTILINE))


def test_image_lock_is_the_runtime_subset_of_the_dev_lock():
    """The image installs requirements.lock; CI ran requirements-dev.lock: same pins."""
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    differing = {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v}
    assert not differing, f"re-run `make lock`: the locks disagree on {differing}"
    test_tools = {"pytest", "ruff", "hypothesis", "moto", "splink", "aiosmtpd"}
    assert not test_tools & set(runtime), "test tools leaked into the image's lock"
    assert test_tools <= set(dev)


def test_everything_the_dockerfile_copies_reaches_the_build_context():
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not line.startswith("COPY") or "--from=" in line:  # from a build stage
            continue
        sources = [part for part in line.split()[1:-1] if not part.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: missing"
            hit = [p for p in ignored if fnmatch.fnmatch(source, p.rstrip("/"))]
            assert not hit, f"COPY {source} is excluded by .dockerignore {hit}"
    assert ".env" in ignored, "secrets must not be sent to the build context"


# --- the init script, for real ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES_AVAILABLE, reason="PostgreSQL is not reachable on 127.0.0.1:5432")
def test_init_script_initialises_a_fresh_stack_and_is_idempotent(tmp_path):
    name = unique_name("sentra_init")
    with throwaway_databases(name, f"{name}_ledger") as [pg, _]:
        _run_init_script_twice(tmp_path, pg)


def _run_init_script_twice(tmp_path, pg: str) -> None:
    from sqlalchemy import create_engine, text

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env.update(
        {
            "PATH": f"{BIN}:{env['PATH']}",
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path / "no-dags"),
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
            ),
            "AIRFLOW_ADMIN_USER": "admin",
            "AIRFLOW_ADMIN_PASSWORD": "s3cret-from-env",
            "SENTRA_DATA_DIR": str(tmp_path / "data"),
            "SENTRA_LEDGER_URL": f"{pg}_ledger",
            "INIT_SMTP_HOST": "mailpit",
            "INIT_SMTP_PORT": "1025",
            "INIT_SMTP_USER": "",
            "INIT_SMTP_PASSWORD": "",
            "INIT_SMTP_STARTTLS": "false",
            "INIT_SMTP_SSL": "false",
            "SENTRA_MAIL_FROM": "sentra-noreply@kemenperin.go.id",
            "INIT_INGEST_POOL_SLOTS": "4",
        }
    )
    script = ROOT / "deploy" / "airflow-init.sh"
    first = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    env["INIT_INGEST_POOL_SLOTS"] = "6"  # an edited .env is applied on the next start
    env["AIRFLOW_ADMIN_PASSWORD"] = "changed-in-env"
    second = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "sentra init: done" in second.stdout

    from werkzeug.security import check_password_hash

    meta = create_engine(pg)
    with meta.connect() as conn:
        admins = conn.execute(
            text(
                "SELECT u.password, r.name FROM ab_user u"
                " JOIN ab_user_role ur ON ur.user_id = u.id JOIN ab_role r ON r.id = ur.role_id"
                " WHERE u.username = :u"
            ),
            {"u": "admin"},
        ).all()
        roles = set(conn.execute(text("SELECT name FROM ab_role")).scalars())
        conns = conn.execute(
            text("SELECT conn_type, host, port, extra FROM connection WHERE conn_id = :c"),
            {"c": "smtp_default"},
        ).all()
        pools = conn.execute(
            text("SELECT slots FROM slot_pool WHERE pool = :p"), {"p": "sentra_ingest"}
        ).all()
    meta.dispose()
    assert [role for _, role in admins] == ["Admin"], "one FAB admin, created once"
    assert check_password_hash(admins[0][0], "changed-in-env"), ".env's password applies"
    assert {"Admin", "Op", "User", "Viewer"} <= roles, "the roles docs/deployment.md maps"
    assert len(conns) == 1, conns
    conn_type, host, port, extra = conns[0]
    assert (conn_type, host, port) == ("smtp", "mailpit", 1025)
    extra = json.loads(extra)
    assert extra["from_email"] == "sentra-noreply@kemenperin.go.id"
    assert extra["disable_tls"] is True
    assert pools == [(6,)]
    ledger = create_engine(f"{pg}_ledger")
    with ledger.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    ledger.dispose()
    assert version, "sentra ledger migrate ran"


@pytest.mark.skipif(not POSTGRES_AVAILABLE, reason="PostgreSQL is not reachable on 127.0.0.1:5432")
def test_catalog_reader_role_reads_the_catalog_and_nothing_else():
    """deploy/init-reader-role.sh, run as the postgres image runs it, on fresh databases."""
    from conftest import PG_SERVER
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    name = unique_name("sentra_roles")
    reader = f"{name}_reader"
    with throwaway_databases(f"{name}_catalog", f"{name}_ledger") as [catalog, ledger]:
        owner = create_engine(catalog)
        with owner.begin() as conn:  # a table before the script, like a restored catalog
            conn.execute(text("CREATE TABLE iceberg_tables (table_name text)"))
            conn.execute(text("INSERT INTO iceberg_tables VALUES ('sentra.sentra')"))
        try:
            env = {
                **os.environ,
                "PGHOST": "127.0.0.1",
                "POSTGRES_USER": "postgres",
                "CATALOG_READER_USER": reader,
                "CATALOG_READER_PASSWORD": "reader-secret",
                "CATALOG_DB": f"{name}_catalog",
                "LEDGER_DB": f"{name}_ledger",
            }
            proc = subprocess.run(
                ["bash", str(ROOT / "deploy" / "init-reader-role.sh")],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
            with owner.begin() as conn:  # created later by the pipeline: readable too
                conn.execute(text("CREATE TABLE iceberg_namespace_properties (k text)"))
            as_reader = create_engine(catalog.replace("postgres@", f"{reader}:reader-secret@"))
            with as_reader.connect() as conn:
                assert conn.execute(text("SELECT table_name FROM iceberg_tables")).all()
                conn.execute(text("SELECT count(*) FROM iceberg_namespace_properties"))
                is_super = conn.execute(
                    text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                )
                assert is_super.scalar_one() is False
                with pytest.raises(DBAPIError, match="read-only transaction"):
                    conn.execute(text("INSERT INTO iceberg_tables VALUES ('x')"))
            as_reader.dispose()
            on_ledger = create_engine(ledger.replace("postgres@", f"{reader}:reader-secret@"))
            with pytest.raises(DBAPIError, match="permission denied"):
                on_ledger.connect().close()
            on_ledger.dispose()
        finally:
            owner.dispose()
            admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:  # its grants live in the catalog: that goes first
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_catalog" WITH (FORCE)'))
                conn.execute(text(f'DROP ROLE IF EXISTS "{reader}"'))
            admin.dispose()
