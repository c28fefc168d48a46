"""What the task modules share: the settings they run with and the consolidation inputs' hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sentra.config import Settings, get_settings


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
