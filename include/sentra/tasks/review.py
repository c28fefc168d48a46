"""census_review's tasks: the questions a person answers, and their answers → the ledger."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sentra.review import (
    KEEP_OPEN_BODY,
    PAIR_BODY,
    decide_inactive,
    decide_pairs,
    decide_submission,
    held_submissions,
    inactive_batches,
    pair_batches,
)

log = logging.getLogger(__name__)


def review_questions(census_years: list[int]) -> dict[str, list[dict[str, Any]]]:
    """What the census_review DAG asks: held submissions and pair batches of the years."""
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope

    settings = get_settings()
    submissions = []
    pairs = []
    inactive = []
    with session_scope(settings) as session:  # read-only: what is still undecided
        for year in census_years:
            for held in held_submissions(session, year):
                submissions.append(
                    {**held.as_dict(), "subject": held.subject(), "body": held.body()}
                )
            pairs += pair_batches(session, settings, year)
            inactive += inactive_batches(session, settings, year)
    log.info(
        "to review: %d submission(s), %d pair batch(es), %d batch(es) of sentra to declare"
        " inactive",
        len(submissions),
        len(pairs),
        len(inactive),
    )
    return {"submissions": submissions, "pairs": pairs, "inactive": inactive}


def apply_submission_answer(held: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's HITL answer on a held submission → the ledger (and the office)."""
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope

    settings = get_settings()
    [choice] = answer["chosen_options"]
    comment = (answer.get("params_input") or {}).get("komentar") or None
    return decide_submission(
        settings,
        held["submission_id"],
        choice,
        ledger=lambda: session_scope(settings),
        decided_by=responder(answer),
        comment=comment,
    )


def apply_pairs_answer(batch: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's HITL answer on a batch of pairs → ``match_decision`` rows."""
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope

    with session_scope(get_settings()) as session:  # the whole batch, or none of it
        counts = decide_pairs(
            session, batch, list(answer["chosen_options"]), decided_by=responder(answer)
        )
    return {"census_year": batch["census_year"], **counts}


def apply_inactive_answer(batch: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's HITL answer on sentra about to be declared inactive → ``status_review``."""
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope

    with session_scope(get_settings()) as session:  # the whole batch, or none of it
        counts = decide_inactive(
            session, batch, list(answer["chosen_options"]), decided_by=responder(answer)
        )
    return {"census_year": batch["census_year"], **counts}


def years_to_consolidate(
    submissions: list[dict[str, Any]],
    pairs: list[dict[str, Any]],
    inactive: Sequence[dict[str, Any]] = (),
) -> list[int]:
    """Census years whose consolidation inputs the applied decisions changed.

    Confirming what the rule concluded changes nothing; keeping a sentra open does.
    """
    years = {s["census_year"] for s in submissions if s.get("decision") == "approve"}
    years |= {p["census_year"] for p in pairs if p.get("match", 0) + p.get("non_match", 0)}
    years |= {s["census_year"] for s in inactive if s.get("keep_open", 0)}
    return sorted(years)


def responder(payload: dict[str, Any]) -> str:
    """Who answered an Airflow HITL task (its user name, else id), for the ledger."""
    user = payload.get("responded_by_user") or {}
    if isinstance(user, str):
        return user
    return str(user.get("name") or user.get("id") or "unknown")


def submission_question(held: dict[str, Any]) -> dict[str, Any]:
    """The HITL question (subject and body) for one held submission."""
    return {"subject": held["subject"], "body": held["body"]}


def pair_question(batch: dict[str, Any]) -> dict[str, Any]:
    """The HITL question for one batch of uncertain pairs: tick those that are the same."""
    return {"subject": batch["subject"], "options": batch["options"], "body": PAIR_BODY}


def inactive_question(batch: dict[str, Any]) -> dict[str, Any]:
    """The HITL question for one batch of sentra about to be declared inactive."""
    return {"subject": batch["subject"], "options": batch["options"], "body": KEEP_OPEN_BODY}
