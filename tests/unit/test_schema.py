"""Canonical schema and reason codes: the contract every stage speaks."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from sentra import schema
from sentra.schema import REASONS, Severity, census_arrow_schema, reason, staged_arrow_schema


def test_census_record_has_the_fields_the_census_form_asks_for():
    names = set(schema.CENSUS_COLUMNS)
    for required in (
        "census_year", "region_code", "kecamatan_code", "desa_code", "sentra_name", "commodity",
        "commodity_group", "units", "workers", "production_value", "investment_value", "address",
        "latitude", "longitude", "reported_status", "year_established", "legal_basis",
        "contact_name", "contact_phone", "remarks",
    ):  # fmt: skip
        assert required in names


def test_pii_columns_are_marked_and_can_be_left_out():
    assert set(schema.PII_COLUMNS) == {"contact_name", "contact_phone"}
    public = census_arrow_schema(include_pii=False)
    assert not set(schema.PII_COLUMNS) & set(public.names)


def test_staged_schema_keeps_rejected_rows_with_missing_values():
    staged = staged_arrow_schema()
    assert staged.field("sentra_name").nullable, "a row without a name must still be stored"
    assert not staged.field("source_row").nullable
    assert staged.field("reason_codes").type == pa.list_(pa.string())
    table = pa.Table.from_pylist(
        [
            {"submission_id": "s", "office_code": "34.02", "source_row": 5, "census_year": 2026,
             "accepted": False, "reason_codes": ["missing_required"], "problems": "[]"},
        ],
        schema=staged,
    )  # fmt: skip
    assert table.num_rows == 1


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_speaks_both_languages_and_says_what_to_fix(code):
    r = REASONS[code]
    assert r.code == code
    assert r.message_en
    assert r.message_id
    assert r.fix_id
    assert isinstance(r.severity, Severity)
    # placeholders must be the documented ones only
    for text in (r.message_en, r.message_id, r.fix_id):
        assert set(re.findall(r"{(\w+)}", text)) <= {"column", "value"}


def test_reason_renders_in_indonesian_with_context():
    text = reason("invalid_number").render("id", column="Jumlah Unit Usaha", value="banyak")
    assert text == "Jumlah Unit Usaha bukan angka: 'banyak'."
    assert reason("invalid_number").render("en", column="units", value="x").startswith("units is")


def test_render_leaves_unknown_placeholders_visible_rather_than_crashing():
    assert "{value}" in reason("file_too_large").render("id")


def test_unknown_reason_code_is_a_loud_error():
    with pytest.raises(KeyError, match=r"add it to sentra\.schema\.REASONS"):
        reason("no_such_code")


def test_status_reasons_cover_every_rule():
    status_codes = {c for c, r in REASONS.items() if r.severity == Severity.STATUS}
    assert {
        "status_reported_closed", "status_below_minimum", "status_inconsistent",
        "status_not_reported", "status_missing_confirmed", "status_revived",
    } <= status_codes  # fmt: skip


def test_column_labels_are_indonesian():
    assert schema.column_label("units") == "Jumlah Unit Usaha"
    assert schema.column_label("not_a_column") == "not_a_column"
