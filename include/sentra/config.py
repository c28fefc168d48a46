"""Settings: one object, read from ``SENTRA_*`` environment variables and an optional file.

The embedded default needs nothing: everything lives under ``./data`` (SQLite ledger,
SQLite Iceberg SQL catalog, local warehouse folder, ``.eml`` outbox, landing folder).
Production points the same settings at PostgreSQL, S3-compatible storage and SMTP.

Nothing here touches the disk at import time; :func:`get_settings` reads the
environment (and the optional TOML file named by ``SENTRA_CONFIG``) when called.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

ENV_PREFIX = "SENTRA_"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline, with the embedded defaults.

    Paths left empty are derived from ``data_dir`` in :meth:`resolved`, so that
    setting ``SENTRA_DATA_DIR`` alone moves the whole embedded installation.
    """

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

    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from a TOML file (``SENTRA_CONFIG``) overlaid by env vars."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = env.get(f"{ENV_PREFIX}CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise FileNotFoundError(f"SENTRA_CONFIG points to {path}, which is not a file")
            with path.open("rb") as fh:
                values.update(tomllib.load(fh).get("sentra", {}))
        hints = get_type_hints(cls)
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = raw
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown sentra settings: {', '.join(unknown)}")
        coerced = {name: _coerce(name, hints[name], value) for name, value in values.items()}
        return cls(**coerced).resolved()

    def resolved(self) -> Settings:
        """Fill every empty location from ``data_dir`` (absolute, so tasks may chdir)."""
        data = self.data_dir.expanduser().absolute()
        return dataclasses.replace(
            self,
            data_dir=data,
            landing_uri=self.landing_uri or str(data / "landing"),
            staging_uri=self.staging_uri or str(data / "staging"),
            ledger_url=self.ledger_url or f"sqlite:///{data / 'ledger.sqlite'}",
            catalog_url=self.catalog_url or f"sqlite:///{data / 'catalog.sqlite'}",
            warehouse_uri=self.warehouse_uri or (data / "warehouse").as_uri(),
            outbox_dir=_or(self.outbox_dir, data / "outbox"),
            docs_dir=_or(self.docs_dir, data / "docs"),
            office_directory=_or(self.office_directory, data / "offices.csv"),
        )

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked, safe to log or print."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if "secret" in f.name or "password" in f.name:
                value = "***" if value else ""
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                value = f"{scheme}://***@{rest.split('@', 1)[1]}"
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out


def _or(path: Path, default: Path) -> Path:
    return default if str(path) in ("", ".") else path.expanduser().absolute()


def _coerce(name: str, hint: Any, value: Any) -> Any:
    """Turn env/TOML values into the field's type, naming the setting on error."""
    try:
        if hint is Path:
            return Path(value)
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
        if hint is bool:
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if hint == tuple[float, float]:
            parts = value.split(",") if isinstance(value, str) else list(value)
            low, high = (float(p) for p in parts)
            return (low, high)
        if hint == tuple[int, ...]:
            parts = value.split(",") if isinstance(value, str) else list(value)
            return tuple(int(p) for p in parts if str(p).strip())
        return str(value) if hint is str else value
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {ENV_PREFIX}{name.upper()}={value!r} is invalid: {exc}") from exc


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The current settings. Cheap; call it inside tasks rather than at import time."""
    return Settings.from_env(environ)
