"""Decisions only a person can make: held submissions and uncertain duplicate pairs.

A submission whose rejected share is over the threshold is held (``needs_review``) and
not consolidated. A reviewer **approves** it (its accepted rows are then consolidated,
its rejected rows stay rejected) or **returns** it to the office with a comment (a
"pengembalian data" e-mail, sent exactly once; the file stays held until the office
sends a corrected one, which supersedes it). Pairs of records in the clerical band
between the matching thresholds (``duplicate_candidates`` with decision ``uncertain``)
are confirmed as the same sentra or marked different, in batches.

Every decision goes to the ledger with who and when (``submission_review``,
``match_decision``) and is respected by every later run: reprocessing an approved file
does not hold it again, and matching never re-asks a decided pair. The ``census_review``
DAG asks through Airflow's human-in-the-loop operators; ``sentra review`` is the same
from the command line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sentra.schema import SubmissionStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sentra.config import Settings
    from sentra.ledger.db import LedgerSessions
    from sentra.offices import OfficeInfo
    from sentra.reports.delivery import Transport

log = logging.getLogger(__name__)

APPROVE = "Setujui"
RETURN = "Kembalikan ke dinas"
SUBMISSION_OPTIONS = (APPROVE, RETURN)
DECISION_OF = {APPROVE: "approve", RETURN: "return"}
RETURN_KIND = "return"
REASON_METRIC = "rejected_by_reason:"  # quality_metric name prefix, one per reason code
PAIR_BATCH = 20  # pairs per review task: a screenful a reviewer can judge at once
# Airflow's HITL answer needs at least one ticked option: this last option says "none".
NONE_SAME = "Tidak ada: semua pasangan adalah sentra berbeda"
NONE_KEPT = "Tidak ada: semua dinyatakan tidak aktif"


class ReviewError(ValueError):
    """A decision that cannot be applied (unknown submission, not held, bad choice)."""


@dataclass(frozen=True)
class HeldSubmission:
    submission_id: str
    census_year: int
    office_code: str
    office_name: str
    file_name: str
    rows_total: int
    rows_rejected: int
    top_reasons: list[tuple[str, int]]

    @property
    def rejected_share(self) -> float:
        return self.rows_rejected / self.rows_total if self.rows_total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rejected_share": round(self.rejected_share, 4)}

    def subject(self) -> str:
        return (
            f"Tinjau kiriman {self.office_name} ({self.office_code}) – {self.file_name}: "
            f"{100 * self.rejected_share:.0f}% baris ditolak"
        )

    def body(self) -> str:
        reasons = "\n".join(f"- `{code}`: {n} baris" for code, n in self.top_reasons)
        return (
            f"**{self.file_name}** dari {self.office_name}, sensus {self.census_year}: "
            f"{self.rows_rejected} dari {self.rows_total} baris ditolak "
            f"({100 * self.rejected_share:.1f}%), di atas ambang; kiriman ditahan.\n\n"
            f"Alasan terbanyak:\n{reasons or '- (tidak ada)'}\n\n"
            f"**{APPROVE}**: baris yang diterima ikut dikonsolidasi; baris yang ditolak tetap "
            f"ditolak. **{RETURN}**: dinas menerima e-mail pengembalian data berisi komentar "
            "Anda dan diminta mengirim berkas perbaikan."
        )


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------- submissions


def held_submissions(session: Session, census_year: int) -> list[HeldSubmission]:
    """Held submissions of a year that no reviewer has decided yet, oldest first."""
    from sqlalchemy import select

    from sentra.ledger.models import Office, QualityMetric, Submission, SubmissionReview

    decided = select(SubmissionReview.submission_id)
    subs = session.scalars(
        select(Submission)
        .where(
            Submission.census_year == census_year,
            Submission.status == SubmissionStatus.NEEDS_REVIEW,
            Submission.submission_id.not_in(decided),
        )
        .order_by(Submission.received_at, Submission.submission_id)
    ).all()
    names = dict(session.execute(select(Office.office_code, Office.office_name)).all())
    out = []
    for sub in subs:
        reasons = session.execute(
            select(QualityMetric.metric, QualityMetric.value)
            .where(
                QualityMetric.submission_id == sub.submission_id,
                QualityMetric.metric.startswith(REASON_METRIC),
            )
            .order_by(QualityMetric.value.desc(), QualityMetric.metric)
            .limit(5)
        ).all()
        out.append(
            HeldSubmission(
                submission_id=sub.submission_id,
                census_year=sub.census_year,
                office_code=sub.office_code,
                office_name=names.get(sub.office_code, sub.office_code),
                file_name=sub.file_name,
                rows_total=sub.rows_total or 0,
                rows_rejected=sub.rows_rejected or 0,
                top_reasons=[(m.removeprefix(REASON_METRIC), int(v)) for m, v in reasons],
            )
        )
    return out


def decide_submission(
    settings: Settings,
    submission_id: str,
    decision: str,
    *,
    ledger: LedgerSessions,
    decided_by: str,
    comment: str | None = None,
    transport: Transport | None = None,
) -> dict[str, Any]:
    """Apply a reviewer's decision on a held submission (``approve`` or ``return``).

    Approve: the submission becomes ``staged`` and is consolidated next time. Return:
    the office gets the comment by e-mail (exactly once per decision); the submission
    stays held. Either way the decision is in the ledger with who and when.

    ``ledger()`` opens a ledger transaction (the task passes a factory): the decision
    is committed in one before the e-mail goes out, and the directory read in another,
    so no transaction is held open across the send.
    """
    from sentra.ledger.models import Submission, SubmissionReview
    from sentra.offices import list_offices

    decision = DECISION_OF.get(decision, decision)
    if decision not in ("approve", "return"):
        raise ReviewError(f"decision must be approve or return, not {decision!r}")
    if decision == "return" and not (comment or "").strip():
        raise ReviewError("a returned submission needs a comment telling the office what to fix")
    with ledger() as session:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise ReviewError(f"submission {submission_id} is not in the ledger")
        if sub.status != SubmissionStatus.NEEDS_REVIEW:
            raise ReviewError(f"submission {submission_id} is {sub.status}, not held for review")
        review = SubmissionReview(
            submission_id=submission_id,
            decision=decision,
            comment=(comment or "").strip() or None,
            decided_by=decided_by,
            decided_at=_now(),
        )
        session.add(review)
        session.flush()
        review_id = review.id
        if decision == "approve":
            sub.status = SubmissionStatus.STAGED
        census_year, office_code, file_name = sub.census_year, sub.office_code, sub.file_name
    log.info("submission %s: %s by %s", submission_id, decision, decided_by)
    outcome = {"submission_id": submission_id, "decision": decision, "census_year": census_year}
    if decision == "return":
        with ledger() as session:
            directory = list_offices(session)
        outcome["email"] = _send_return(
            settings,
            directory,
            census_year=census_year,
            office_code=office_code,
            file_name=file_name,
            submission_id=submission_id,
            comment=comment or "",
            review_id=review_id,
            transport=transport,
        )
    return outcome


def _send_return(
    settings: Settings,
    directory: list[OfficeInfo],
    *,
    census_year: int,
    office_code: str,
    file_name: str,
    submission_id: str,
    comment: str,
    review_id: int,
    transport: Transport | None,
) -> str:
    """The "pengembalian data" e-mail to the office, exactly once per review decision."""
    from email.message import EmailMessage
    from email.utils import formatdate

    from sentra.reports import delivery as dl
    from sentra.reports.render import message_id

    office = next((o for o in directory if o.office_code == office_code), None)
    if office is None or not office.emails:
        raise ReviewError(f"office {office_code} has no e-mail address in the directory")
    key = f"review-{review_id}"
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(office.emails)
    msg["Subject"] = (
        f"[SENTRA] Pengembalian data Sensus Sentra IKM {census_year} – {file_name} perlu diperbaiki"
    )
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(census_year, office_code, RETURN_KIND, key, settings.mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Yth. {office.office_name},\n\n"
        f"Berkas {file_name} (ID kiriman {submission_id}) untuk Sensus Sentra IKM "
        f"{census_year} kami kembalikan karena terlalu banyak baris yang tidak dapat "
        "diterima. Catatan peninjau:\n\n"
        f"    {comment.strip()}\n\n"
        "Mohon perbaiki berkas tersebut dan kirimkan kembali ke folder unggahan dinas Anda; "
        "berkas perbaikan akan menggantikan berkas ini. Rincian baris yang ditolak ada di "
        "laporan kualitas yang kami kirim sebelumnya.\n\n"
        f"Pertanyaan: {settings.central_office_email}\n"
    )
    msg["Content-Language"] = "id"
    outcome, error = dl.deliver(
        settings,
        transport or dl.transport_for(settings),
        dl.DeliveryKey(census_year, office_code, RETURN_KIND, key),
        msg,
        list(office.emails),
    )
    if outcome == "failed":
        raise dl.PermanentDeliveryError(f"return of {submission_id} not delivered: {error}")
    return outcome


# --------------------------------------------------------------------- pairs


def pending_pairs(session: Session, settings: Settings, census_year: int) -> list[dict[str, Any]]:
    """Uncertain pairs of the latest publication that no reviewer has decided."""
    from sentra.ledger import repository as repo
    from sentra.warehouse import Warehouse

    table = Warehouse(settings).scan("duplicate_candidates", census_year=census_year)
    frame = table.to_pandas()
    frame = frame[frame["decision"] == "uncertain"]
    decided = repo.load_decisions(session)
    done = {tuple(sorted(k)) for k in zip(decided["left_key"], decided["right_key"], strict=True)}
    pairs = []
    for rec in frame.sort_values(["region_code", "left_key", "right_key"]).to_dict("records"):
        if tuple(sorted((rec["left_key"], rec["right_key"]))) in done:
            continue
        pairs.append(
            {
                "left_key": rec["left_key"],
                "right_key": rec["right_key"],
                "left_name": rec.get("left_name"),
                "right_name": rec.get("right_name"),
                "region_code": rec.get("region_code"),
                "score": float(rec["score"]) if rec.get("score") is not None else None,
                "agreed": list(rec.get("agreed") if rec.get("agreed") is not None else []),
                "against": list(rec.get("against") if rec.get("against") is not None else []),
            }
        )
    return pairs


# The evidence words of duplicate_candidates.agreed/against as a reviewer reads them.
EVIDENCE_WORDS = {
    "name": "nama",
    "commodity": "komoditas",
    "address": "alamat",
    "distance": "jarak",
    "units": "jumlah unit",
    "desa": "desa",
    "kecamatan": "kecamatan",
    "name_marks": "penanda nama",
    "corroborated": "dikuatkan desa+unit+komoditas",
}


def _batches(
    items: list[dict[str, Any]],
    *,
    key: str,
    census_year: int,
    size: int,
    option: Any,
    none: str,
    subject: str,
) -> list[dict]:
    """``items`` in batches of ``size``, each with numbered tick options and a "none"."""
    batches = []
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        batches.append(
            {
                "census_year": census_year,
                key: chunk,
                "options": [option(i, item) for i, item in enumerate(chunk, start=1)] + [none],
                "subject": (
                    f"Sensus {census_year}: {len(chunk)} {subject} (kelompok {start // size + 1})"
                ),
            }
        )
    return batches


def _ticked(batch: dict[str, Any], key: str, chosen: list[str]) -> list[tuple[dict, bool]]:
    """(item, ticked) for every item of a batch; refuses options the batch never offered."""
    unknown = set(chosen) - set(batch["options"])
    if unknown:
        raise ReviewError(f"chosen options not in this batch: {sorted(unknown)}")
    items = batch[key]
    # The options list ends with the "none" option, which has no item.
    return [(item, option in chosen) for option, item in zip(batch["options"], items, strict=False)]


def pair_batches(
    session: Session, settings: Settings, census_year: int, size: int = PAIR_BATCH
) -> list[dict]:
    """Pending pairs in batches, each with the options a reviewer ticks."""
    return _batches(
        pending_pairs(session, settings, census_year),
        key="pairs",
        census_year=census_year,
        size=size,
        option=pair_option,
        none=NONE_SAME,
        subject="pasangan mungkin sentra yang sama",
    )


def pair_option(number: int, pair: dict[str, Any]) -> str:
    """One tick option: both names, the kab/kota, the score and why (what agreed, what not)."""
    score = f"{pair['score']:.2f}" if pair.get("score") is not None else "?"
    why = "".join(
        f"; {label}: " + ", ".join(EVIDENCE_WORDS.get(w, w) for w in pair[key])
        for key, label in (("agreed", "sama"), ("against", "beda"))
        if pair.get(key)
    )
    return (
        f"{number}. {pair.get('left_name') or pair['left_key']} ↔ "
        f"{pair.get('right_name') or pair['right_key']} "
        f"({pair.get('region_code')}, skor {score}{why})"
    )


PAIR_BODY = (
    "Centang setiap pasangan yang merupakan **sentra yang sama**. Pasangan yang tidak "
    "dicentang dicatat sebagai **sentra berbeda**; bila tidak ada yang sama, centang "
    f"*{NONE_SAME}*. Keputusan disimpan dan dipakai pada setiap konsolidasi berikutnya, "
    "termasuk tahun depan."
)


def decide_pairs(
    session: Session,
    batch: dict[str, Any],
    chosen: list[str],
    *,
    decided_by: str,
    comment: str | None = None,
) -> dict[str, int]:
    """Record a batch: chosen options are the same sentra, the others are different."""
    from sentra.ledger import repository as repo

    def record(session: Any, pair: dict[str, Any], decision: str) -> None:
        repo.record_decision(
            session,
            pair["left_key"],
            pair["right_key"],
            decision,
            decided_by=decided_by,
            comment=comment,
        )

    return _decide(session, batch, "pairs", chosen, ("match", "non_match"), record, decided_by)


def _decide(
    session: Session,
    batch: dict[str, Any],
    key: str,
    chosen: list[str],
    decisions: tuple[str, str],
    record: Any,
    decided_by: str,
) -> dict[str, int]:
    """Record every item of a batch in the caller's one transaction: ticked → decisions[0].

    Unticked items get decisions[1]. An option the batch never offered refuses the whole
    batch before anything is recorded.
    """
    ticked_as, unticked_as = decisions
    counts = {ticked_as: 0, unticked_as: 0}
    for item, ticked in _ticked(batch, key, chosen):
        decision = ticked_as if ticked else unticked_as
        record(session, item, decision)
        counts[decision] += 1
    log.info("census %s %s decided by %s: %s", batch["census_year"], key, decided_by, counts)
    return counts


KEEP_OPEN_BODY = (
    "Sentra berikut tidak dilaporkan selama beberapa putaran berturut-turut dan akan "
    "**dinyatakan tidak aktif**. Centang sentra yang Anda ketahui **masih ada** (misalnya "
    "dinas melaporkannya di luar sensus): statusnya tetap *tidak dilaporkan* pada putaran "
    "ini dan ditanyakan lagi bila putaran berikutnya juga kosong. Sentra yang tidak "
    f"dicentang dinyatakan tidak aktif; bila semuanya, centang *{NONE_KEPT}*. Keputusan "
    "disimpan beserta nama Anda."
)


def pending_inactive(
    session: Session, settings: Settings, census_year: int
) -> list[dict[str, Any]]:
    """Sentra the latest publication newly declares inactive for missed rounds, unreviewed."""
    import pandas as pd

    from sentra.ledger import repository as repo
    from sentra.warehouse import Warehouse

    warehouse = Warehouse(settings)
    history = warehouse.scan("sentra_status_history", census_year=census_year).to_pandas()
    if history.empty:
        return []
    newly = history[
        history["is_current"].astype(bool)
        & (history["status"] == "inactive")
        & (history["valid_from_year"] == census_year)
        & history["reason_codes"].map(lambda r: "status_missing_confirmed" in list(r))
    ]
    done = set(repo.load_status_reviews(session, census_year)["sentra_id"])
    newly = newly[~newly["sentra_id"].isin(done)]
    if newly.empty:
        return []
    register = warehouse.scan("sentra").to_pandas().set_index("sentra_id")
    out = []
    for sid in sorted(newly["sentra_id"]):
        entry = register.loc[sid] if sid in register.index else None
        last = None if entry is None else entry.get("last_reported_year")
        out.append(
            {
                "sentra_id": sid,
                "sentra_name": None if entry is None else entry.get("sentra_name"),
                "region_code": None if entry is None else entry.get("region_code"),
                "last_reported_year": None if last is None or pd.isna(last) else int(last),
            }
        )
    return out


def inactive_batches(
    session: Session, settings: Settings, census_year: int, size: int = PAIR_BATCH
) -> list[dict]:
    """Sentra about to be declared inactive, in batches, each with its tick options."""
    return _batches(
        pending_inactive(session, settings, census_year),
        key="sentra",
        census_year=census_year,
        size=size,
        option=inactive_option,
        none=NONE_KEPT,
        subject="sentra akan dinyatakan tidak aktif",
    )


def inactive_option(number: int, sentra: dict[str, Any]) -> str:
    last = sentra.get("last_reported_year")
    seen = f"terakhir dilaporkan {last}" if last else "belum pernah dilaporkan"
    return (
        f"{number}. {sentra.get('sentra_name') or sentra['sentra_id']} "
        f"({sentra['sentra_id']}, {sentra.get('region_code')}, {seen})"
    )


def decide_inactive(
    session: Session,
    batch: dict[str, Any],
    chosen: list[str],
    *,
    decided_by: str,
    comment: str | None = None,
) -> dict[str, int]:
    """Record a batch: chosen sentra are kept open this round, the others confirmed inactive."""
    from sentra.ledger import repository as repo

    def record(session: Any, sentra: dict[str, Any], decision: str) -> None:
        repo.record_status_review(
            session,
            sentra["sentra_id"],
            batch["census_year"],
            decision,
            decided_by=decided_by,
            comment=comment,
        )

    return _decide(session, batch, "sentra", chosen, ("keep_open", "inactive"), record, decided_by)


def as_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
