"""What the task modules share: the settings they run with and whether a census year's
consolidation has anything to do."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sentra.config import Settings, get_settings


def resolve_settings(settings: Settings | None) -> Settings:
    """The settings a task runs with: the caller's (tests), else the environment's."""
    return settings or get_settings()


def hash_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class YearInputs:
    """A census year's consolidation inputs as the ledger holds them now."""

    inputs_hash: str  # current submissions, reviewers' decisions, kept-open sentra
    last: Any  # the latest Consolidation row of the year, or None
    has_submissions: bool

    @property
    def changed(self) -> bool:
        """Whether a consolidation has anything to do: the year has files, and no
        publication has seen these inputs (a year no office has sent a file for yet has
        nothing to consolidate, however never consolidated it is)."""
        if self.last is None:
            return self.has_submissions
        return self.last.status != "published" or self.last.inputs_hash != self.inputs_hash


def year_inputs(session: Any, census_year: int) -> YearInputs:
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
    return YearInputs(
        inputs_hash=hash_json(inputs),
        last=repo.latest_consolidation(session, census_year),
        has_submissions=bool(current),
    )
