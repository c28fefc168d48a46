"""E-mail intake without a server: attachment rules, stored names, the form's Reply-To."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from sentra.intake import Attachment, attachments, stored_name, supported


@pytest.mark.parametrize(
    ("name", "ok"),
    [("Data Sentra.XLSX", True), ("rekap.csv", True), ("lama.xls", True),
     ("surat.pdf", False), ("foto.jpg", False), ("data.docx", False)],
)  # fmt: skip
def test_only_what_the_readers_read_is_taken(name, ok):
    assert supported(name) is ok


def test_stored_name_carries_the_content_hash_and_no_path():
    a = Attachment("..\\..\\etc/Data: Bantul?.xlsx", b"bytes")
    name = stored_name(a)
    assert name == f"{a.sha256[:12]}_Data_ Bantul_.xlsx"
    assert stored_name(Attachment("lain.xlsx", b"bytes")).startswith(a.sha256[:12])


def test_attachments_include_inline_files_but_not_the_body():
    msg = EmailMessage()
    msg.set_content("isi pesan")
    msg.add_attachment(b"a;b\n", maintype="text", subtype="csv", filename="data.csv")
    assert [(a.name, a.data) for a in attachments(msg)] == [("data.csv", b"a;b\n")]


def test_the_census_form_asks_offices_to_reply_to_the_intake_mailbox(settings, monkeypatch):
    from sentra import census_round as cr
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import OfficeInfo

    migrate(settings)
    office = OfficeInfo("34.02", "Dinas Bantul", "34", ("a@bantulkab.go.id",))
    with session_scope(settings) as session:
        calendar = cr.calendar_for(session, settings, 2026)
    args = {"kind": "template", "key": "k", "subject": "Formulir", "body": "isi",
            "attachment": None}  # fmt: skip
    assert cr._message(settings, office, calendar, **args)["Reply-To"] is None
    with_mailbox = settings.model_copy(update={"intake_address": "sensus@kemenperin.go.id"})
    msg = cr._message(with_mailbox, office, calendar, **args)
    assert msg["Reply-To"] == "sensus@kemenperin.go.id"
