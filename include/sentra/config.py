"""Settings: one object, read from ``SENTRA_*`` environment variables and an optional file.

The embedded default needs nothing: everything lives under ``./data`` (SQLite ledger,
SQLite Iceberg SQL catalog, local warehouse folder, ``.eml`` outbox, landing folder).
Production points the same settings at PostgreSQL, S3-compatible storage and SMTP.

Loading and typing are pydantic-settings' job (a TOML source for ``SENTRA_CONFIG``, an
environment source for ``SENTRA_*``), so every value is validated by one set of rules.
A ``SENTRA_*`` variable that names no setting is refused: a misspelt
``SENTRA_REJECT_SHARE_TRESHOLD`` would otherwise be silently ignored and the default used.

Nothing here touches the disk at import time; :func:`get_settings` reads the
environment (and the optional TOML file named by ``SENTRA_CONFIG``) when called.
"""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "SENTRA_"

# SENTRA_* names that are read by something other than Settings, so not refused.
NOT_SETTINGS = frozenset(
    {
        "SENTRA_CONFIG",  # the TOML file itself
        "SENTRA_EXPECTATIONS_DIR",  # sentra.quality.suites: where the suites live
        "SENTRA_TEST_AIRFLOW_HOME",  # tests/conftest.py
    }
)


class SettingsError(ValueError):
    """A setting is unknown or has a value of the wrong type; the message names it."""


class Settings(BaseSettings):
    """Every tunable of the pipeline, with the embedded defaults.

    Paths left empty are derived from ``data_dir`` in :meth:`resolved`, so that
    setting ``SENTRA_DATA_DIR`` alone moves the whole embedded installation.
    ``Settings(...)`` uses only its arguments; :meth:`from_env` adds file and environment.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        extra="forbid",
        # Tuples are written "14,3" in the environment, not JSON; see _split_lists.
        enable_decoding=False,
    )

    data_dir: Path = Path("data")
    landing_uri: str = ""  # local folder or s3://bucket/prefix
    staging_uri: str = ""  # where validated rows are staged per submission
    ledger_url: str = ""  # SQLAlchemy URL
    catalog_url: str = ""  # SQLAlchemy URL of the Iceberg SQL catalog
    catalog_name: str = "sentra"
    warehouse_uri: str = ""  # Iceberg warehouse location (file:// or s3://)
    namespace: str = "sentra"
    outbox_dir: Path = Path()
    docs_dir: Path = Path()  # Great Expectations Data Docs and other rendered docs
    office_directory: Path = Path()  # CSV of office_code,office_name,emails

    # S3-compatible storage (MinIO in compose); credentials come from env only.
    s3_endpoint: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_region: str = "us-east-1"

    # Ingestion limits (issue: limits and safety).
    max_file_bytes: int = 200 * 1024 * 1024
    max_rows: int = 2_000_000
    max_columns: int = 500
    max_cell_chars: int = 10_000
    max_uncompressed_bytes: int = 2 * 1024 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_sheet_cells: int = 33_554_432  # a sheet's first-to-last-cell grid: 32 full-height columns
    ingest_threads: int = 0  # threads normalising one large file; 0 = one per usable CPU (max 8)

    # Validation.
    reject_share_threshold: float = 0.20  # above this a submission is held for review
    max_production_value: int = 1_000_000_000_000  # Rp 1 trillion per sentra per year
    max_investment_value: int = 1_000_000_000_000
    max_units: int = 10_000
    min_year_established: int = 1900
    max_null_share: float = 0.5
    mean_units_range: tuple[float, float] = (1.0, 500.0)

    # Matching thresholds (Fellegi-Sunter style: a clerical band between them).
    match_threshold: float = 0.85
    review_threshold: float = 0.65
    # The clerical band settled by evidence weights learned from the year's own pairs
    # (sentra.matching.evidence): a band pair this likely the same sentra is merged,
    # one below the second probability is not; the rest go to a reviewer. The weights
    # are fitted once a year has this many contested pairs (score ≥ review threshold).
    evidence_match_probability: float = Field(0.9, gt=0.5, le=1.0)
    evidence_non_match_probability: float = Field(0.3, ge=0.0, lt=0.5)
    # Above the match threshold the weighted score decides, unless the learned evidence
    # finds the pair this unlikely one sentra: then it is not merged (0 = never).
    evidence_veto_probability: float = Field(0.3, ge=0.0, lt=0.5)
    evidence_min_pairs: int = Field(500, ge=50)

    # Status rules.
    min_units_for_sentra: int = 5
    inactive_after_missed_rounds: int = 2

    # The yearly round (sentra.census_round): month-day of opening and deadline in the
    # census year, and the days before the deadline on which offices are reminded.
    round_open: str = "02-01"
    round_deadline: str = "04-30"
    round_reminder_days: tuple[int, ...] = (14, 3)

    # Delivery.
    mail_mode: str = "outbox"  # outbox | smtp
    smtp_conn_id: str = "smtp_default"
    mail_from: str = "sentra-noreply@kemenperin.go.id"
    central_office_email: str = "ditjen-ikma@kemenperin.go.id"
    report_base_url: str = ""
    data_docs_base_url: str = ""  # where <docs_dir>/data_docs is served, for report links
    smtp_max_attempts: int = 4
    # Submissions by e-mail (sentra.intake): the mailbox offices reply to (the forms'
    # Reply-To) and the Airflow IMAP connection that reads it; empty = no intake.
    intake_address: str = ""
    imap_conn_id: str = "sentra_imap"

    # Bounds and alerts of the Airflow runs (sentra.orchestration, issue #26): a task
    # running longer than task_timeout_minutes fails (and is retried), a DAG run longer
    # than dagrun_timeout_hours fails; a review question unanswered for
    # review_expiry_days expires (nothing is recorded, the next census_review run asks
    # again). A failed task mails alert_emails (the central office's address if empty).
    task_timeout_minutes: int = 120
    dagrun_timeout_hours: int = 12
    review_expiry_days: int = 7
    alert_emails: str = ""  # comma-separated addresses

    # `sentra sql` (analysts' DuckDB): limits set before the connection is locked.
    sql_timeout_seconds: float = 120.0  # the query is interrupted after this long
    sql_max_rows: int = 1_000_000  # more rows than this is refused, with a message
    sql_memory_limit: str = "2GB"  # DuckDB memory_limit (spills or fails beyond it)
    sql_threads: int = 2  # DuckDB threads

    extra: Mapping[str, Any] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor arguments only: tests and callers get exactly what they pass."""
        return (init_settings,)

    @field_validator("*", mode="before")
    @classmethod
    def _split_lists(cls, value: Any, info: Any) -> Any:
        """``"14,3"`` from the environment becomes a tuple (TOML gives a list already)."""
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, str) and typing.get_origin(annotation) is tuple:
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from a TOML file (``SENTRA_CONFIG``) overlaid by env vars."""
        env = os.environ if environ is None else environ
        _refuse_unknown_names(env)
        values: dict[str, Any] = {}
        config_file = env.get(f"{ENV_PREFIX}CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise FileNotFoundError(f"SENTRA_CONFIG points to {path}, which is not a file")
            try:
                values.update(TomlConfigSettingsSource(cls, path, toml_table_header=("sentra",))())
            except KeyError as exc:
                raise SettingsError(f"{path} has no [sentra] table") from exc
            unknown = sorted(set(values) - _setting_names())
            if unknown:
                raise SettingsError(
                    f"unknown sentra settings in {path}: {', '.join(unknown)}"
                    + _suggest([n.upper() for n in unknown], prefix="")
                )
        values.update(_EnvironSource(cls, env)())
        try:
            return cls(**values).resolved()
        except ValidationError as exc:
            raise SettingsError(_explain(exc, values)) from None

    def resolved(self) -> Settings:
        """Fill every empty location from ``data_dir`` (absolute, so tasks may chdir)."""
        data = self.data_dir.expanduser().absolute()
        return self.model_copy(
            update={
                "data_dir": data,
                "landing_uri": self.landing_uri or str(data / "landing"),
                "staging_uri": self.staging_uri or str(data / "staging"),
                "ledger_url": self.ledger_url or f"sqlite:///{data / 'ledger.sqlite'}",
                "catalog_url": self.catalog_url or f"sqlite:///{data / 'catalog.sqlite'}",
                "warehouse_uri": self.warehouse_uri or (data / "warehouse").as_uri(),
                "outbox_dir": _or(self.outbox_dir, data / "outbox"),
                "docs_dir": _or(self.docs_dir, data / "docs"),
                "office_directory": _or(self.office_directory, data / "offices.csv"),
            }
        )

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked, safe to log or print."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if "secret" in name or "password" in name:
                value = "***" if value else ""
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                value = f"{scheme}://***@{rest.split('@', 1)[1]}"
            out[name] = str(value) if isinstance(value, Path) else value
        return out


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping (tests pass one)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        values.pop("extra", None)  # a mapping of extras is set in code, never from env
        return values


def _setting_names() -> set[str]:
    return set(Settings.model_fields) - {"extra"}


def _suggest(names: list[str], prefix: str = ENV_PREFIX) -> str:
    known = [prefix + n.upper() for n in _setting_names()]
    hints = []
    for name in names:
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            hints.append(f"{name} -> {close[0]}")
    return f" (did you mean: {'; '.join(hints)})" if hints else ""


def _refuse_unknown_names(env: Mapping[str, str]) -> None:
    known = {ENV_PREFIX + n.upper() for n in _setting_names()} | NOT_SETTINGS
    unknown = sorted(k for k in env if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)
    if unknown:
        raise SettingsError(
            f"unknown sentra settings in the environment: {', '.join(unknown)}"
            + _suggest(unknown)
            + "; every SENTRA_* variable must name a setting (docs/deployment.md lists them)"
        )


def _explain(exc: ValidationError, values: Mapping[str, Any]) -> str:
    """One line per bad setting, named as the user wrote it (``SENTRA_MAX_ROWS='many'``)."""
    lines = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        lines.append(
            f"setting {ENV_PREFIX}{name.upper()}={values.get(name)!r} is invalid: {err['msg']}"
        )
    return "; ".join(lines)


def _or(path: Path, default: Path) -> Path:
    return default if str(path) in ("", ".") else path.expanduser().absolute()


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The current settings. Cheap; call it inside tasks rather than at import time."""
    return Settings.from_env(environ)
