"""Review decisions: held submissions approved or returned, uncertain pairs judged.

The threshold is set to zero so that every synthetic file with a rejected row is held,
which gives several held submissions from a small generated round.
"""

from __future__ import annotations

import email
import shutil
from email import policy

import pytest

from sentra import review
from sentra.cli.rounds import load_reference
from sentra.config import get_settings
from sentra.demo import DemoConfig, prepare_inputs
from sentra.ledger.db import session_scope
from sentra.ledger.models import Submission, SubmissionReview
from sentra.offices import list_offices
from sentra.tasks import consolidate as consolidate_tasks
from sentra.tasks import ingest as ingest_tasks
from sentra.tasks import review as review_tasks

YEAR = 2026


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    base = tmp_path_factory.mktemp("review")
    cfg = DemoConfig(data_dir=base, n_sentra=150, seed=21, census_years=(YEAR,), provinces=("34",))
    prepare_inputs(cfg)
    return cfg


def _ingested(generated, tmp_path, monkeypatch, **env: str):
    """A copy of the generated round with every file ingested, under ``env`` settings."""
    data = tmp_path / "data"
    shutil.copytree(generated.data_dir, data)
    monkeypatch.setenv("SENTRA_DATA_DIR", str(data))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    ingest_tasks.prepare(settings)
    load_reference(
        settings,
        DemoConfig(
            data_dir=data,
            n_sentra=generated.n_sentra,
            seed=generated.seed,
            census_years=generated.census_years,
            provinces=generated.provinces,
        ),
    )
    for sid in ingest_tasks.discover(YEAR, settings):
        ingest_tasks.process_submission(sid, settings)
    return settings


@pytest.fixture
def held_world(generated, tmp_path, monkeypatch):
    settings = _ingested(generated, tmp_path, monkeypatch, SENTRA_REJECT_SHARE_THRESHOLD="0.0")
    held = _in_session(settings, review.held_submissions, YEAR)
    assert len(held) >= 2, "the generated round has files with rejected rows"
    return settings, held


def _in_session(settings, fn, *args, **kwargs):
    """Call ``fn(session, ...)`` in one ledger transaction, as the review tasks do."""
    with session_scope(settings) as session:
        return fn(session, *args, **kwargs)


def _decide_submission(settings, *args, **kwargs):
    """decide_submission with the task's factory of ledger transactions."""
    return review.decide_submission(
        settings, *args, ledger=lambda: session_scope(settings), **kwargs
    )


def _status(settings, submission_id: str) -> str:
    with session_scope(settings) as session:
        return session.get(Submission, submission_id).status


def test_held_submissions_say_why_in_indonesian(held_world):
    _, held = held_world
    first = held[0]
    assert first.rows_rejected > 0
    assert first.top_reasons, "the most frequent reasons are listed"
    assert "baris ditolak" in first.subject()
    assert first.top_reasons[0][0] in first.body()
    assert review.APPROVE in first.body()


def test_approve_consolidates_the_file_and_survives_reprocessing(held_world):
    settings, held = held_world
    target = held[0].submission_id
    written = consolidate_tasks.consolidate(YEAR, settings)
    assert written["changed"]
    outcome = _decide_submission(settings, target, review.APPROVE, decided_by="siti")
    assert outcome["decision"] == "approve"
    assert _status(settings, target) == "staged"
    with session_scope(settings) as session:
        [row] = session.query(SubmissionReview).filter_by(submission_id=target).all()
        assert (row.decision, row.decided_by) == ("approve", "siti")
        assert row.decided_at is not None
    assert target not in {
        h.submission_id for h in _in_session(settings, review.held_submissions, YEAR)
    }
    # The approval changed the consolidation's inputs: its accepted rows now count.
    again = consolidate_tasks.consolidate(YEAR, settings)
    assert again["changed"]
    assert again["version"] > written["version"]
    # Processing the same file again (a cleared task) does not hold it again.
    ingest_tasks.process_submission(target, settings)
    assert _status(settings, target) == "staged"
    with pytest.raises(review.ReviewError, match="not held for review"):
        _decide_submission(settings, target, review.RETURN, decided_by="x", comment="y")


def test_return_emails_the_office_the_comment_once(held_world):
    settings, held = held_world
    target = held[1]
    with pytest.raises(review.ReviewError, match="needs a comment"):
        _decide_submission(settings, target.submission_id, "return", decided_by="budi")
    comment = "Kolom Jumlah Unit Usaha berisi teks; isi dengan angka."
    outcome = _decide_submission(
        settings, target.submission_id, review.RETURN, decided_by="budi", comment=comment
    )
    assert outcome["email"] == "sent"
    assert _status(settings, target.submission_id) == "needs_review", "still held"
    mails = []
    for path in settings.outbox_dir.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if "Pengembalian data" in str(msg["Subject"]):
            mails.append(msg)
    [mail] = mails
    assert target.file_name in str(mail["Subject"])
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert comment in body
    assert target.submission_id in body
    # The returned file is decided: not asked again, and the same delivery is not resent.
    assert target.submission_id not in {
        h.submission_id for h in _in_session(settings, review.held_submissions, YEAR)
    }
    review._send_return(
        settings,
        _in_session(settings, list_offices),
        census_year=YEAR,
        office_code=target.office_code,
        file_name=target.file_name,
        submission_id=target.submission_id,
        comment=comment,
        review_id=1,
        transport=None,
    )
    assert len(list(settings.outbox_dir.glob("*.eml"))) == len(mails)


def test_bad_decisions_are_refused(held_world):
    settings, held = held_world
    with pytest.raises(review.ReviewError, match="approve or return"):
        _decide_submission(settings, held[0].submission_id, "maybe", decided_by="x")
    with pytest.raises(review.ReviewError, match="not in the ledger"):
        _decide_submission(settings, "nope", "approve", decided_by="x")


def test_pair_batches_record_ticked_as_same_and_the_rest_as_different(held_world):
    from sentra.ledger import repository as repo

    settings, _ = held_world
    pairs = [
        {"left_key": f"s#{i}", "right_key": f"s#{i + 100}", "left_name": f"A{i}",
         "right_name": f"B{i}", "region_code": "34.02", "score": 0.7}
        for i in range(3)
    ]  # fmt: skip
    batch = {
        "census_year": YEAR,
        "pairs": pairs,
        "options": [review.pair_option(i, p) for i, p in enumerate(pairs, start=1)],
    }
    assert batch["options"][0] == "1. A0 ↔ B0 (34.02, skor 0.70)"
    # With its evidence, the reviewer reads why the pair is in doubt.
    explained = {**pairs[0], "agreed": ["name", "desa"], "against": ["kecamatan"]}
    assert review.pair_option(1, explained) == (
        "1. A0 ↔ B0 (34.02, skor 0.70; sama: nama, desa; beda: kecamatan)"
    )
    with pytest.raises(review.ReviewError, match="not in this batch"):
        _in_session(settings, review.decide_pairs, batch, ["9. nope"], decided_by="x")
    counts = _in_session(
        settings, review.decide_pairs, batch, [batch["options"][1]], decided_by="rina"
    )
    assert counts == {"match": 1, "non_match": 2}
    with session_scope(settings) as session:
        decided = repo.load_decisions(session).set_index(["left_key", "right_key"])
    assert decided.loc[("s#1", "s#101"), "decision"] == "match"
    assert decided.loc[("s#0", "s#100"), "decision"] == "non_match"
    assert set(decided["decided_by"]) == {"rina"}


def test_airflow_answers_are_applied_with_the_responding_user(held_world):
    settings, held = held_world
    question = review_tasks.review_questions([YEAR])
    item = next(s for s in question["submissions"] if s["submission_id"] == held[0].submission_id)
    answer = {
        "chosen_options": [review.APPROVE],
        "params_input": {"komentar": ""},
        "responded_by_user": {"id": "7", "name": "dewi"},
    }
    applied = review_tasks.apply_submission_answer(item, answer)
    assert applied["decision"] == "approve"
    assert review_tasks.years_to_consolidate([applied], []) == [YEAR]
    with session_scope(settings) as session:
        [row] = session.query(SubmissionReview).filter_by(submission_id=item["submission_id"])
        assert row.decided_by == "dewi"


@pytest.fixture
def published_world(generated, tmp_path, monkeypatch):
    """The generated round consolidated and published, with one missed round enough to
    declare a registered sentra inactive (so a single round has some to review)."""
    settings = _ingested(generated, tmp_path, monkeypatch, SENTRA_INACTIVE_AFTER_MISSED_ROUNDS="1")
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.publish(YEAR, written, settings)
    return settings


def _register_status(settings) -> dict[str, tuple[str, list[str]]]:
    from sentra.warehouse import Warehouse

    table = Warehouse(settings).scan("sentra").to_pandas()
    return {
        r.sentra_id: (r.status, list(r.status_reasons))
        for r in table[["sentra_id", "status", "status_reasons"]].itertuples()
    }


def test_sentra_about_to_be_declared_inactive_are_kept_or_confirmed_by_a_reviewer(
    published_world,
):
    from sentra.ledger import repository as repo

    settings = published_world
    [batch, *more] = _in_session(settings, review.inactive_batches, settings, YEAR, size=200)
    assert not more
    dying = [s["sentra_id"] for s in batch["sentra"]]
    assert len(dying) >= 2, "the generated round leaves registered sentra unreported"
    before = _register_status(settings)
    assert all(before[s] == ("inactive", ["status_missing_confirmed"]) for s in dying)
    assert batch["options"][0].startswith(f"1. {batch['sentra'][0]['sentra_name']} ({dying[0]}")
    assert "akan dinyatakan tidak aktif" in batch["subject"]

    answer = {"chosen_options": [batch["options"][0]], "responded_by_user": {"name": "yusuf"}}
    applied = review_tasks.apply_inactive_answer(batch, answer)
    assert applied == {"census_year": YEAR, "keep_open": 1, "inactive": len(dying) - 1}
    with session_scope(settings) as session:
        reviews = repo.load_status_reviews(session, YEAR).set_index("sentra_id")
    assert reviews.loc[dying[0], "decision"] == "keep_open"
    assert set(reviews.loc[dying[1:], "decision"]) == {"inactive"}
    assert set(reviews["decided_by"]) == {"yusuf"}
    assert review_tasks.years_to_consolidate([], [], [applied]) == [YEAR]
    assert (
        _in_session(settings, review.inactive_batches, settings, YEAR) == []
    )  # nothing asked twice

    # The next consolidation respects it; the others stay inactive; a rerun is a no-op.
    written = consolidate_tasks.consolidate(YEAR, settings)
    assert written["changed"]
    consolidate_tasks.publish(YEAR, written, settings)
    after = _register_status(settings)
    assert after[dying[0]] == ("not_reported", ["status_kept_by_reviewer", "status_not_reported"])
    assert all(after[s] == ("inactive", ["status_missing_confirmed"]) for s in dying[1:])
    assert not consolidate_tasks.consolidate(YEAR, settings)["changed"]
    # Confirming only what the rule concluded does not ask for a consolidation.
    assert review_tasks.years_to_consolidate([], [], [{"census_year": YEAR, "inactive": 3}]) == []


def test_inactive_batches_offer_none_and_refuse_foreign_options(published_world):
    settings = published_world
    [batch] = _in_session(settings, review.inactive_batches, settings, YEAR, size=200)
    assert batch["options"][-1] == review.NONE_KEPT  # Airflow needs one ticked option
    with pytest.raises(review.ReviewError, match="not in this batch"):
        _in_session(settings, review.decide_inactive, batch, ["99. bukan"], decided_by="x")
    counts = _in_session(
        settings, review.decide_inactive, batch, [review.NONE_KEPT], decided_by="x"
    )
    assert counts == {"keep_open": 0, "inactive": len(batch["sentra"])}
