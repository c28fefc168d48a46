"""What the task modules share: settings, a detached submission, the inputs' hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sentra.config import Settings, get_settings


class AuditError(RuntimeError):
    """A consolidation's output broke an invariant; nothing was published."""


@dataclass(frozen=True)
class SubmissionInfo:
    """A detached copy of a ledger submission (safe to use after the session closes)."""

    submission_id: str
    census_year: int
    office_code: str
    file_uri: str
    file_name: str
    content_sha256: str
    size_bytes: int
    received_at: datetime
    status: str
    superseded_by: str | None
    error_code: str | None
    error_message: str | None
    rows_total: int | None
    rows_accepted: int | None
    rows_rejected: int | None

    @classmethod
    def of(cls, sub: Any) -> SubmissionInfo:
        return cls(**{f: getattr(sub, f) for f in cls.__dataclass_fields__})


def resolve_settings(settings: Settings | None) -> Settings:
    """The settings a task runs with: the caller's (tests), else the environment's."""
    return settings or get_settings()


def hash_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def consolidation_inputs_hash(session: Any, census_year: int) -> str:
    """Names the inputs of a consolidation: current submissions and reviewers' decisions."""
    from sentra.ledger import repository as repo

    current = repo.current_submissions(session, census_year)
    decisions = repo.load_decisions(session)
    inputs: dict[str, Any] = {
        "submissions": sorted((s.submission_id, s.status) for s in current),
        "decisions": decisions.sort_values(["left_key", "right_key"]).to_dict("records")
        if len(decisions)
        else [],
    }
    kept = {y: sorted(ids) for y, ids in repo.kept_open(session).items() if y <= census_year}
    if kept:  # named only when present: hashes of years without any stay as they were
        inputs["kept_open"] = kept
    return hash_json(inputs)
