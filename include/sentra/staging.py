"""Staged rows: every source row of a submission with its verdict, as Parquet.

Staging sits between validation and consolidation (write → audit → publish): nothing
staged is visible to analysts until a consolidation publishes it. One file per
submission, overwritten whole, keeps reprocessing idempotent. The location is a local
folder by default and any ``pyarrow.fs`` URI (``s3://…``) in production, so Celery
workers on different machines share it.
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


def to_staged_table(rows: pd.DataFrame) -> pa.Table:
    """Rows with verdicts → the staged Arrow schema (problems serialised as JSON)."""
    import pyarrow as pa

    from sentra.schema import staged_arrow_schema

    schema = staged_arrow_schema()
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
    """Write (replace) the staged rows of one submission; returns the path written."""
    import pyarrow.parquet as pq

    table = to_staged_table(rows)
    path = staged_path(settings, census_year, submission_id)
    fs, fs_path = filesystem(settings, path)
    fs.create_dir(fs_path.rsplit("/", 1)[0], recursive=True)
    tmp = f"{fs_path}.tmp"
    pq.write_table(table, tmp, filesystem=fs, compression="zstd")
    fs.move(tmp, fs_path)  # a reader never sees a half-written file
    return path


def read_staged(settings: Settings, census_year: int, submission_ids: Iterable[str]) -> pa.Table:
    """The staged rows of the given submissions, concatenated (empty table if none)."""
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
        tables.append(pq.read_table(fs_path, filesystem=fs, schema=staged_arrow_schema()))
    if not tables:
        return staged_arrow_schema().empty_table()
    return pa.concat_tables(tables)


def has_staged(settings: Settings, census_year: int, submission_id: str) -> bool:
    path = staged_path(settings, census_year, submission_id)
    fs, fs_path = filesystem(settings, path)
    return fs.get_file_info(fs_path).type.name != "NotFound"
