"""Staging never holds contact data; the pipeline still gets the survivor's contact.

A small generated round goes through the pipeline (process, consolidate, audit,
publish). Then every Parquet file under the data dir (staging, consolidation memo,
warehouse) is opened: none may have a contact column or a contact person's name or
phone anywhere in its string columns. The contacts are in the ledger's restricted
tables, and ``read_staged`` gives the pipeline the same rows as before the split.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sentra.cli.rounds import load_reference
from sentra.config import get_settings
from sentra.demo import DemoConfig, prepare_inputs
from sentra.schema import PII_COLUMNS
from sentra.tasks import consolidate as consolidate_tasks
from sentra.tasks import ingest as ingest_tasks

pytestmark = pytest.mark.slow
YEAR = 2026


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data = tmp_path_factory.mktemp("contacts") / "data"
    cfg = DemoConfig(data_dir=data, n_sentra=60, seed=29, census_years=(YEAR,), provinces=("34",))
    prepare_inputs(cfg)
    settings = get_settings({"SENTRA_DATA_DIR": str(data)})
    ingest_tasks.prepare(settings)
    load_reference(settings, cfg)
    ids = ingest_tasks.discover(YEAR, settings)
    for sid in ids:
        ingest_tasks.process_submission(sid, settings)
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.audit(YEAR, written, settings)
    consolidate_tasks.publish(YEAR, written, settings)
    return settings, ids


def _contacts(settings):
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    with session_scope(settings) as session:
        ids = [s.submission_id for s in session.query(Submission)]
        return repo.load_submission_contacts(session, ids)


def test_no_parquet_file_holds_contact_columns_or_values(published):
    settings, _ = published
    contacts = _contacts(settings)
    assert len(contacts) > 20, "the generated round has contact persons"
    secrets = {
        str(v).strip()
        for col in PII_COLUMNS
        for v in contacts[col].dropna()
        if len(str(v).strip()) >= 6
    }
    files = sorted(settings.data_dir.rglob("*.parquet"))
    staged = [f for f in files if "staging" in f.parts]
    assert staged, "staged files were written"
    assert len(files) > len(staged), "and warehouse files"
    for path in files:
        table = pq.read_table(path)
        assert not set(PII_COLUMNS) & set(table.column_names), f"{path} has contact columns"
        for name, column in zip(table.column_names, table.columns, strict=True):
            if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
                continue
            found = secrets & {str(v).strip() for v in column.to_pylist() if v}
            assert not found, f"{path} column {name} holds contact data: {sorted(found)[:3]}"


def test_staged_rows_are_joined_back_to_their_contacts(published):
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import SentraContact
    from sentra.staging import read_staged

    settings, ids = published
    contacts = _contacts(settings)
    staged = read_staged(settings, YEAR, ids, contacts).to_pandas()
    by_key = {
        (r.submission_id, r.source_sheet, int(r.source_row)): tuple(
            None if pd.isna(v) else v for v in (r.contact_name, r.contact_phone)
        )
        for r in contacts.itertuples()
    }
    seen = 0
    for row in staged.itertuples():
        sheet = "" if pd.isna(row.source_sheet) else row.source_sheet
        key = (row.submission_id, sheet, int(row.source_row))
        want = by_key.get(key, (None, None))
        got = tuple(None if pd.isna(v) else v for v in (row.contact_name, row.contact_phone))
        assert got == want, key
        seen += want != (None, None)
    assert seen == len(contacts), "every stored contact belongs to a staged row"
    with session_scope(settings) as session:
        survivors = [(c.contact_name, c.contact_phone) for c in session.query(SentraContact)]
    assert survivors, "consolidation still records each sentra's contact person"
    # copied inside the ledger from the survivor's row: the same person, not a blank
    assert set(survivors) <= set(by_key.values())
