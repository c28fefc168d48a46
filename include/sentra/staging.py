"""Staged rows: every source row of a submission with its verdict, as Parquet.

Staging sits between validation and consolidation (write → audit → publish): nothing
staged is visible to analysts until a consolidation publishes it. One file per
submission, overwritten whole, keeps reprocessing idempotent. The location is a local
folder by default and any ``pyarrow.fs`` URI (``s3://…``) in production, so Celery
workers on different machines share it.

Staging never holds personal data: :func:`split_contacts` takes the contact columns
(``PII_COLUMNS``) off the rows before the write (the task stores them in the ledger's
restricted ``submission_contact`` table); :func:`read_staged` joins them back by
(submission, sheet, row), so the pipeline sees the same rows as before while the object
store, which more people and tools can reach, never sees a name or phone number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sentra.config import Settings
from sentra.filesystems import filesystem

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def staged_path(settings: Settings, census_year: int, submission_id: str) -> str:
    return f"{settings.staging_uri.rstrip('/')}/census_year={census_year}/{submission_id}.parquet"


def stored_schema() -> pa.Schema:
    """The staged schema as written to Parquet: without the personal-data columns."""
    from sentra.schema import PII_COLUMNS, staged_arrow_schema

    schema = staged_arrow_schema()
    for name in PII_COLUMNS:
        schema = schema.remove(schema.get_field_index(name))
    return schema


def _contact_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """(submission_id, source_sheet, source_row) as stored: no sheet is ""."""
    import pandas as pd

    return pd.DataFrame(
        {
            "submission_id": frame["submission_id"].astype(str).to_numpy(),
            "source_sheet": frame["source_sheet"].astype("string").fillna("").to_numpy(),
            "source_row": pd.to_numeric(frame["source_row"]).astype("int64").to_numpy(),
        }
    )


def split_contacts(submission_id: str, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows without their contact columns, and those contacts keyed by sheet and row.

    The caller stores the contacts in the ledger (``repository.replace_submission_contacts``)
    in the same transaction that records the submission as processed.
    """
    from sentra.schema import PII_COLUMNS

    contacts = _contact_keys(rows.assign(submission_id=submission_id)).drop(columns="submission_id")
    for name in PII_COLUMNS:
        contacts[name] = rows[name].astype(object).where(rows[name].notna(), None).to_numpy()
    return rows.drop(columns=list(PII_COLUMNS)), contacts


def join_contacts(table: pa.Table, contacts: pd.DataFrame) -> pa.Table:
    """The staged rows with their contact columns (null where the ledger has none).

    ``contacts`` is ``repository.load_submission_contacts`` for these submissions, read
    by the caller in the session it reads everything else from.
    """
    import pyarrow as pa

    from sentra.schema import PII_COLUMNS, staged_arrow_schema

    keys = _contact_keys(table.select(["submission_id", "source_sheet", "source_row"]).to_pandas())
    contacts = contacts.assign(source_row=contacts["source_row"].astype("int64"))
    joined = keys.merge(contacts, how="left", on=list(keys.columns), validate="many_to_one")
    schema = staged_arrow_schema()
    columns = []
    for fld in schema:
        if fld.name in PII_COLUMNS:
            values = joined[fld.name].astype(object).where(joined[fld.name].notna(), None)
            columns.append(pa.array(values.tolist(), type=fld.type))
        else:
            columns.append(table.column(fld.name))
    return pa.Table.from_arrays(columns, schema=schema)


def to_staged_table(rows: pd.DataFrame) -> pa.Table:
    """Rows with verdicts (contacts split off) → the stored Arrow schema (problems as JSON)."""
    import pyarrow as pa

    schema = stored_schema()
    frame = rows.copy()
    frame["problems"] = [json.dumps(p or [], ensure_ascii=False) for p in frame["problems"]]
    frame["reason_codes"] = [list(r) if r is not None else [] for r in frame["reason_codes"]]
    arrays = []
    for field in schema:
        arrays.append(pa.array(frame[field.name].tolist(), type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_staged(
    settings: Settings, census_year: int, submission_id: str, rows: pd.DataFrame
) -> str:
    """Write (replace) the staged rows of one submission; returns the path written.

    ``rows`` must come without their contact columns (:func:`split_contacts`): a frame
    that still has them is refused, so no caller can put a phone number in staging.
    """
    import pyarrow.parquet as pq

    from sentra.schema import PII_COLUMNS

    if leaked := sorted(set(PII_COLUMNS) & set(rows.columns)):
        raise ValueError(f"{submission_id}: contact columns {leaked} must not be staged")
    table = to_staged_table(rows)
    path = staged_path(settings, census_year, submission_id)
    fs, fs_path = filesystem(settings, path)
    fs.create_dir(fs_path.rsplit("/", 1)[0], recursive=True)
    tmp = f"{fs_path}.tmp"
    pq.write_table(table, tmp, filesystem=fs, compression="zstd")
    fs.move(tmp, fs_path)  # a reader never sees a half-written file
    return path


def read_staged(
    settings: Settings,
    census_year: int,
    submission_ids: Iterable[str],
    contacts: pd.DataFrame,
) -> pa.Table:
    """The staged rows of the given submissions with their ``contacts`` joined back.

    An empty table (staged schema) when there are none.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sentra.schema import staged_arrow_schema

    tables = []
    for submission_id in sorted(set(submission_ids)):
        path = staged_path(settings, census_year, submission_id)
        fs, fs_path = filesystem(settings, path)
        if fs.get_file_info(fs_path).type.name == "NotFound":
            raise FileNotFoundError(
                f"staged rows of submission {submission_id} are missing at {path}; "
                "re-run census_ingest for that census year to stage it again"
            )
        tables.append(pq.read_table(fs_path, filesystem=fs, schema=stored_schema()))
    if not tables:
        return staged_arrow_schema().empty_table()
    return join_contacts(pa.concat_tables(tables), contacts)


def has_staged(settings: Settings, census_year: int, submission_id: str) -> bool:
    path = staged_path(settings, census_year, submission_id)
    fs, fs_path = filesystem(settings, path)
    return fs.get_file_info(fs_path).type.name != "NotFound"
