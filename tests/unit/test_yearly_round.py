"""The yearly round simulated day by day: forms, reminders to the missing only, close.

A synthetic province (DI Yogyakarta) with its register and office directory; the
offices' own files are held back and dropped into the landing folder on the days they
"arrive". Mail goes to a recording transport, so each assertion names who got what.
"""

from __future__ import annotations

import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sentra import census_round as cr
from sentra.cli.rounds import load_reference
from sentra.config import get_settings
from sentra.demo import DemoConfig, prepare_inputs
from sentra.ledger.db import session_scope
from sentra.offices import list_offices
from sentra.tasks import consolidate as consolidate_tasks
from sentra.tasks import ingest as ingest_tasks
from sentra.tasks import reports as report_tasks

YEAR = 2026
OPEN = date(2026, 2, 2)
DEADLINE = date(2026, 4, 30)


class Recorder:
    """A mail transport that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], object]] = []

    def send(self, message, recipients) -> None:
        self.sent.append((list(recipients), message))

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for _, m in self.sent]

    def take(self) -> list[tuple[list[str], object]]:
        out, self.sent = self.sent, []
        return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Register, directory and the offices' real files, generated once."""
    base = tmp_path_factory.mktemp("round")
    cfg = DemoConfig(data_dir=base, n_sentra=120, seed=13, census_years=(YEAR,), provinces=("34",))
    prepare_inputs(cfg)
    return cfg


@pytest.fixture
def world(generated, tmp_path, monkeypatch):
    """A fresh data dir with the register and directory loaded, and an empty landing."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("register.csv", "offices.csv", "synth.json"):
        shutil.copy(generated.data_dir / name, data / name)
    monkeypatch.setenv("SENTRA_DATA_DIR", str(data))
    monkeypatch.setenv("SENTRA_ROUND_REMINDER_DAYS", "14,3")
    settings = get_settings()
    ingest_tasks.prepare(settings)
    cfg = DemoConfig(
        data_dir=data,
        n_sentra=generated.n_sentra,
        seed=generated.seed,
        census_years=generated.census_years,
        provinces=generated.provinces,
    )
    load_reference(settings, cfg)
    files = generated.data_dir / "landing" / str(YEAR)
    return settings, files


def _offices(settings) -> dict[str, object]:
    from sentra.ledger.db import session_scope
    from sentra.offices import list_offices

    with session_scope(settings) as session:
        return {o.office_code: o for o in list_offices(session) if o.active and o.emails}


def _arrive(settings, files: Path, office_code: str) -> None:
    """The office's own file lands, and the daily ingest processes it."""
    target = Path(settings.landing_uri) / str(YEAR) / office_code
    target.mkdir(parents=True, exist_ok=True)
    for f in (files / office_code).iterdir():
        shutil.copy(f, target / f.name)
    for sid in ingest_tasks.discover(YEAR, settings):
        ingest_tasks.process_submission(sid, settings)


def _ledger(settings):
    """The factory of ledger transactions the census_round task passes."""
    return lambda: session_scope(settings)


def _in_session(settings, fn, *args, **kwargs):
    """Call ``fn(session, ...)`` in one ledger transaction, as an entry point does."""
    with session_scope(settings) as session:
        return fn(session, *args, **kwargs)


def _day(settings, today: date, mail: Recorder):
    return cr.advance(
        settings,
        YEAR,
        today,
        ledger=_ledger(settings),
        open_date=OPEN,
        deadline=DEADLINE,
        transport=mail,
    )


def test_a_whole_round_in_time(world):
    settings, files = world
    mail = Recorder()
    offices = _offices(settings)
    kabkota = sorted(c for c in offices if len(c) > 2)
    with_files = sorted(c for c in kabkota if (files / c).is_dir())
    assert len(with_files) >= 3, "the generator wrote files for three kab/kota offices"
    early, late = with_files[:2], with_files[2]

    # Before the round opens nothing happens.
    assert _day(settings, OPEN - timedelta(days=1), mail).state == "not_open"
    assert mail.take() == []

    # Opening day: one prefilled form per office, by mail and in its landing folder.
    day = _day(settings, OPEN, mail)
    assert day.opened
    assert day.state == "open"
    sent = mail.take()
    assert sorted(day.templates_sent) == sorted(offices)
    assert {tuple(r) for r, _ in sent} == {tuple(o.emails) for o in offices.values()}
    for _, message in sent:
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename().startswith(f"Formulir_Sensus_Sentra_{YEAR}_")
    for code in offices:
        assert (Path(settings.landing_uri) / str(YEAR) / code).glob("Formulir_Sensus_Sentra_*")
    # The forms sentra put in the landing folders are not submissions.
    assert ingest_tasks.discover(YEAR, settings) == []

    # The next day, and a rerun of the opening day, send nothing again.
    assert _day(settings, OPEN + timedelta(days=1), mail).templates_sent == []
    assert _day(settings, OPEN, mail).templates_sent == []
    assert mail.take() == []

    # Two offices submit in March.
    for code in early:
        _arrive(settings, files, code)

    # H-14: reminders to every kab/kota office whose area nobody covers; the province
    # office is covered by its kab/kota's files (as the reports decide).
    day = _day(settings, DEADLINE - timedelta(days=14), mail)
    missing = sorted(set(kabkota) - set(early))
    assert sorted(day.reminders_sent) == missing
    assert all("tinggal 14 hari" in s for s in mail.subjects())
    mail.take()
    assert _day(settings, DEADLINE - timedelta(days=13), mail).reminders_sent == []

    # A third office submits; at H-3 only the still-missing are reminded, once.
    _arrive(settings, files, late)
    day = _day(settings, DEADLINE - timedelta(days=3), mail)
    assert sorted(day.reminders_sent) == sorted(set(missing) - {late})
    mail.take()
    assert _day(settings, DEADLINE - timedelta(days=2), mail).reminders_sent == []

    # Deadline: the round closes once (this is what triggers the final consolidation).
    day = _day(settings, DEADLINE, mail)
    assert (day.state, day.closed_now) == ("closed", True)
    assert not _day(settings, DEADLINE + timedelta(days=1), mail).closed_now
    assert mail.take() == []
    status = _in_session(settings, cr.status, YEAR)
    assert status["status"] == "closed"
    by_office = {o["office_code"]: o for o in status["offices"]}
    assert by_office[late]["reminders"] == ["H-14"]
    assert by_office[missing[-1]]["reminders"] == ["H-14", "H-3"]
    assert all(by_office[c]["form_sent"] for c in offices)

    # The final consolidation, then reports: the submitters get their quality report.
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.audit(YEAR, written, settings)
    consolidate_tasks.publish(YEAR, written, settings)
    report_tasks.send_reports(YEAR, settings)
    from sentra.ledger.db import session_scope
    from sentra.reports.delivery import deliveries

    with session_scope(settings) as session:
        sent = deliveries(session, YEAR)
    reported = {d["office_code"] for d in sent if d["kind"] == "report"}
    assert reported == {*early, late}

    # Each report links the office's Great Expectations Data Docs page of its file.
    import email
    from email import policy

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission
    from sentra.quality.docs import page_for

    with session_scope(settings) as session:
        subs = {s.submission_id: s.office_code for s in session.query(Submission).all()}
    assert set(subs.values()) == {*early, late}
    to_office = {", ".join(o.emails): code for code, o in offices.items()}
    checked = set()
    for path in settings.outbox_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if "Laporan Kualitas" not in str(message["Subject"]):
            continue
        office = to_office[str(message["To"])]
        text = message.get_body(preferencelist=("plain",)).get_content()
        for sid in (s for s, o in subs.items() if o == office):
            page = page_for(settings, sid)
            assert page is not None
            assert page.is_file()
            assert f"Hasil pemeriksaan lengkap (Data Docs): {page}" in text
            assert "census_record" in page.read_text(encoding="utf-8")
            checked.add(office)
    assert checked == {*early, late}


def test_extending_the_deadline_reopens_a_closed_round(world):
    settings, _ = world
    mail = Recorder()
    _day(settings, OPEN, mail)
    assert _day(settings, DEADLINE, mail).closed_now
    later = DEADLINE + timedelta(days=14)
    day = cr.advance(
        settings,
        YEAR,
        DEADLINE + timedelta(days=1),
        ledger=_ledger(settings),
        deadline=later,
        transport=mail,
    )
    assert day.state == "open"
    assert _in_session(settings, cr.status, YEAR)["deadline"] == later
    # The daily runs now follow the ledger's deadline without params.
    assert cr.advance(settings, YEAR, later, ledger=_ledger(settings), transport=mail).closed_now


def test_a_calendar_that_cannot_work_is_refused(world):
    settings, _ = world
    with pytest.raises(cr.RoundError, match="not after opening"):
        _in_session(
            settings, cr.calendar_for, settings, YEAR, open_date="2026-05-01", deadline="2026-04-30"
        )
    with pytest.raises(cr.RoundError, match="not a date"):
        _in_session(settings, cr.calendar_for, settings, YEAR, deadline="30/04/2026")


def _form(settings, office_code: str) -> Path:
    [path] = (Path(settings.landing_uri) / str(YEAR) / office_code).glob("Formulir_*.xlsx")
    return path


def test_the_form_is_prefilled_locked_and_validated(world):
    settings, _ = world
    _day(settings, OPEN, Recorder())
    office = sorted(c for c in _offices(settings) if len(c) > 2)[0]
    register = _in_session(settings, cr.office_sentra, settings, office)
    wb = load_workbook(_form(settings, office))
    assert wb.sheetnames == [cr.GUIDE_SHEET, cr.DATA_SHEET, cr.NEW_SHEET]
    guide = "\n".join(str(c.value) for c in wb[cr.GUIDE_SHEET]["A"] if c.value)
    assert "Batas waktu pengiriman: 30 April 2026" in guide
    assert "Jangan mengubah kolom 'ID Sentra'" in guide
    data = wb[cr.DATA_SHEET]
    header = [c.value for c in data[1]]
    assert header[:3] == ["ID Sentra", "Nama Sentra", "Kode Kab/Kota"]
    ids = [r[0].value for r in data.iter_rows(min_row=2)]
    assert ids == list(register["sentra_id"])
    assert ids
    assert data.protection.sheet, "the sheet is protected"
    assert data["A2"].protection.locked
    assert not data["B2"].protection.locked
    rules = {str(dv.sqref).split(":")[0][0]: dv for dv in data.data_validations.dataValidation}
    col = {name: chr(ord("A") + i) for i, name in enumerate(cr.TEMPLATE_COLUMNS)}
    assert rules[col["reported_status"]].formula1 == '"Aktif,Tidak Aktif"'
    assert rules[col["units"]].type == "whole"
    assert rules[col["units"]].operator == "greaterThanOrEqual"
    assert rules[col["region_code"]].type == "list"
    assert rules[col["latitude"]].type == "decimal"
    new_header = [c.value for c in wb[cr.NEW_SHEET][1]]
    assert new_header == header[1:], "the new-sentra sheet has no ID column"


def test_the_same_register_gives_the_same_form_bytes(world):
    settings, _ = world
    office = _in_session(settings, list_offices)[0]
    calendar = _in_session(
        settings, cr.calendar_for, settings, YEAR, open_date=OPEN, deadline=DEADLINE
    )
    sentra = _in_session(settings, cr.office_sentra, settings, office.office_code)
    args = {"region_codes": cr._area_codes(office.office_code), "contact": "x@y.id"}
    first = cr.build_template(office, sentra, calendar, **args)
    assert first == cr.build_template(office, sentra, calendar, **args)


def test_a_returned_form_maps_every_header_and_links_by_id(world):
    from sentra.ingest.readers import read_tables
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import RecordLink

    settings, _ = world
    _day(settings, OPEN, Recorder())
    office = sorted(c for c in _offices(settings) if len(c) > 2)[0]
    form = _form(settings, office)
    wb = load_workbook(form)
    data = wb[cr.DATA_SHEET]
    col = {name: i + 1 for i, name in enumerate(cr.TEMPLATE_COLUMNS)}
    rows = list(range(2, data.max_row + 1))
    form_ids = [data.cell(r, col["sentra_id"]).value for r in rows]
    # The office visits every sentra: one closed down, the rest confirmed with figures.
    for r in rows:
        data.cell(r, col["reported_status"], "Aktif")
        data.cell(r, col["units"], data.cell(r, col["units"]).value or 12)
        data.cell(r, col["workers"], 40)
        data.cell(r, col["production_value"], 250_000_000)
        data.cell(r, col["visit_date"], "12 Maret 2026")
    data.cell(rows[0], col["reported_status"], "Tidak Aktif")
    data.cell(rows[0], col["remarks"], "sudah tidak produksi sejak 2025")
    new = wb[cr.NEW_SHEET]
    ncol = {name: i + 1 for i, name in enumerate(cr.TEMPLATE_COLUMNS[1:])}
    for name, value in {
        "sentra_name": "Sentra Tenun Lurik Baru Sekali",
        "region_code": office,
        "commodity": "Tenun lurik",
        "units": 15,
        "workers": 45,
        "production_value": 300_000_000,
        "reported_status": "Aktif",
        "year_established": 2025,
    }.items():
        new.cell(2, ncol[name], value)
    buf = io.BytesIO()
    wb.save(buf)

    tables = read_tables(buf.getvalue(), "xlsx", settings)
    assert [t.sheet for t in tables if t.n_rows] == [cr.DATA_SHEET, cr.NEW_SHEET]
    for t in tables:
        assert t.mapping.unmapped == [], t.sheet
        assert not t.mapping.duplicates, t.sheet
    sheets = {t.sheet: t for t in tables}
    assert sheets[cr.DATA_SHEET].mapping.canonical == set(cr.TEMPLATE_COLUMNS)
    assert sheets[cr.NEW_SHEET].mapping.canonical == set(cr.TEMPLATE_COLUMNS) - {"sentra_id"}

    returned = form.with_name(f"{office}_sensus_{YEAR}_diisi.xlsx")
    returned.write_bytes(buf.getvalue())
    [sid] = ingest_tasks.discover(YEAR, settings)  # the returned form; the blank one is not
    outcome = ingest_tasks.process_submission(sid, settings)
    assert outcome["status"] == "staged", outcome
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.audit(YEAR, written, settings)
    consolidate_tasks.publish(YEAR, written, settings)

    with session_scope(settings) as session:
        links = session.query(RecordLink).filter(RecordLink.record_key.like(f"{sid}#%")).all()
    by_key = {link.record_key.split("#", 1)[1]: link for link in links}
    # Two data sheets: the row numbers are per sheet, so the sheet is part of the key.
    assert f"{cr.NEW_SHEET}!2" in by_key
    prefilled = [by_key[f"{cr.DATA_SHEET}!{r}"] for r in rows]
    assert [link.sentra_id for link in prefilled] == form_ids
    assert {link.method for link in prefilled} == {"sentra_id"}, "no fuzzy matching needed"
    [added] = [link for link in links if link.sentra_id not in form_ids]
    assert added.method == "new"


def test_the_cli_opens_a_round_and_shows_who_got_what(world):
    from click.testing import CliRunner

    from sentra.cli import main

    runner = CliRunner()
    opened = runner.invoke(
        main,
        [
            *("round", "advance", str(YEAR), "--today", "2026-03-01"),
            *("--open-date", "2026-03-01", "--deadline", "2026-04-15"),
        ],
    )
    assert opened.exit_code == 0, opened.output
    assert "opened today" in opened.output
    n = len(_offices(world[0]))
    assert f"forms sent: {n}" in opened.output
    shown = runner.invoke(main, ["round", "status", str(YEAR)])
    assert shown.exit_code == 0, shown.output
    assert "census 2026: open, 2026-03-01 → 2026-04-15" in shown.output
    bad = runner.invoke(main, ["round", "advance", str(YEAR), "--deadline", "2026-02-01"])
    assert bad.exit_code == 1
    assert "is not after opening" in bad.output
