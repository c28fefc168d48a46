"""Ingestion: one submitted file → typed canonical rows, each with its problems.

``read_submission`` never raises for bad input. A file that cannot be used becomes a
``FileError`` (the submission is rejected with a reason the office can act on); a cell
that cannot be normalised becomes a problem on its row. Every data row keeps its
lineage: submission, file, sheet and the row number the office sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings
from sentra.ingest.readers import RawTable, ReadError, SkippedRow, read_tables
from sentra.ingest.safety import UnsafeFileError, check_bytes
from sentra.schema import REQUIRED_COLUMNS, census_arrow_schema, column_label, reason

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

TEXT_COLUMNS = (
    "sentra_name", "address", "legal_basis", "contact_name", "contact_phone", "remarks",
)  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "@")


@dataclass(frozen=True)
class FileError:
    """Why a whole file was rejected, in both languages, with where it happened."""

    code: str
    detail: str

    @property
    def message_id(self) -> str:
        return reason(self.code).render("id", value=self.detail)

    @property
    def message_en(self) -> str:
        return reason(self.code).render("en", value=self.detail)


@dataclass
class ParseResult:
    rows: pd.DataFrame
    file_error: FileError | None = None
    sheets_read: list[str] = field(default_factory=list)
    header_row: int | None = None
    header_mapping: dict[str, str] = field(default_factory=dict)
    unmapped_headers: list[str] = field(default_factory=list)
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    rows_seen: int = 0

    def to_arrow(self) -> pa.Table:
        """The rows as Arrow with the canonical schema (problems left out)."""
        import pyarrow as pa

        schema = census_arrow_schema()
        return pa.Table.from_pandas(self.rows[schema.names], schema=schema, preserve_index=False)


def empty_rows() -> pd.DataFrame:
    import pandas as pd

    cols = [*census_arrow_schema().names, "problems"]
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


def read_submission(
    source: Path | bytes,
    *,
    file_name: str,
    office_code: str,
    census_year: int,
    submission_id: str,
    settings: Settings | None = None,
) -> ParseResult:
    """Read, map and normalise one submission. See the module docstring for guarantees."""
    settings = settings or get_settings()
    if isinstance(source, Path):
        size = source.stat().st_size
        if size > settings.max_file_bytes:
            return _failed("file_too_large", f"{size:,} > {settings.max_file_bytes:,} bytes")
        data = source.read_bytes()
    else:
        data = source
    try:
        fmt = check_bytes(data, file_name, settings)
        tables = read_tables(data, fmt, settings)
    except (UnsafeFileError, ReadError) as exc:
        return _failed(exc.code, exc.detail)
    if not tables:
        return _failed("header_not_found", file_name)
    usable = [t for t in tables if set(REQUIRED_COLUMNS) <= _provided(t)]
    if not usable:
        best = max(tables, key=lambda t: len(t.mapping.columns))
        missing = sorted(set(REQUIRED_COLUMNS) - _provided(best))
        found = ", ".join(best.mapping.source_names.values()) or "(none)"
        labels = ", ".join(column_label(m) for m in missing)
        return _failed(
            "missing_required_columns",
            f"{labels} (kolom yang ditemukan: {found})",
            header_row=best.header_row,
            mapping=best.mapping.as_dict(),
            unmapped=best.mapping.unmapped,
        )
    for t in usable:
        if t.mapping.duplicates:
            dup = "; ".join(f"{', '.join(v)}" for v in t.mapping.duplicates.values())
            return _failed("duplicate_columns", dup, header_row=t.header_row)
    rows = _normalise(usable, file_name, office_code, census_year, submission_id, settings)
    skipped = [s for t in tables for s in t.skipped]
    return ParseResult(
        rows=rows,
        sheets_read=[t.sheet for t in usable if t.sheet],
        header_row=usable[0].header_row,
        header_mapping=usable[0].mapping.as_dict(),
        unmapped_headers=usable[0].mapping.unmapped,
        skipped_rows=skipped,
        rows_seen=len(rows) + len(skipped),
    )


def _provided(table: RawTable) -> set[str]:
    cols = set(table.mapping.canonical)
    if "coordinates" in cols:
        cols |= {"latitude", "longitude"}
    return cols


def _failed(
    code: str,
    detail: str,
    *,
    header_row: int | None = None,
    mapping: dict[str, str] | None = None,
    unmapped: list[str] | None = None,
) -> ParseResult:
    return ParseResult(
        rows=empty_rows(),
        file_error=FileError(code, detail),
        header_row=header_row,
        header_mapping=mapping or {},
        unmapped_headers=unmapped or [],
    )


def _apply(parser: Callable[[Any], tuple[Any, str | None]], values: list[Any]) -> tuple[list, list]:
    """Parse each distinct value once (status, region, commodity repeat a lot)."""
    cache: dict[Any, tuple[Any, str | None]] = {}
    out, problems = [], []
    for v in values:
        try:
            key = (type(v), v)
            hit = cache.get(key)
        except TypeError:
            key, hit = None, None
        if hit is None:
            hit = parser(v)
            if key is not None:
                cache[key] = hit
        out.append(hit[0])
        problems.append(hit[1])
    return out, problems


def _normalise(
    tables: list[RawTable],
    file_name: str,
    office_code: str,
    census_year: int,
    submission_id: str,
    settings: Settings,
) -> pd.DataFrame:
    import pandas as pd

    from sentra.ingest import normalise as n

    raw: dict[str, list[Any]] = {}
    lineage_rows: list[int] = []
    sheets: list[str | None] = []
    canonical_cols = {c for t in tables for c in t.mapping.canonical}
    for t in tables:
        index = {c: i for i, c in t.mapping.columns.items()}
        lineage_rows.extend(number for number, _ in t.rows)
        sheets.extend([t.sheet] * len(t.rows))
        for col in canonical_cols:
            i = index.get(col)
            target = raw.setdefault(col, [])
            if i is None:
                target.extend([None] * len(t.rows))
            else:
                target.extend(cells[i] if i < len(cells) else None for _, cells in t.rows)
    count = len(lineage_rows)
    problems: list[list[dict[str, Any]]] = [[] for _ in range(count)]

    def add(col: str, codes: list[str | None], raw_values: list[Any]) -> None:
        for i, code in enumerate(codes):
            if code:
                value = raw_values[i]
                problems[i].append(
                    {
                        "code": code,
                        "column": col,
                        "value": None if value is None else str(value)[:200],
                    }
                )

    def column(col: str) -> list[Any]:
        return raw.get(col, [None] * count)

    out: dict[str, Any] = {}
    for col in TEXT_COLUMNS:
        values = n.clean_text_many(column(col))
        too_long = [
            "cell_too_long" if v is not None and len(v) > settings.max_cell_chars else None
            for v in values
        ]
        add(col, too_long, values)
        values = [v[: settings.max_cell_chars] if v else v for v in values]
        formula = [
            "formula_neutralised" if v and v.startswith(FORMULA_PREFIXES) and col != "contact_phone"
            else None
            for v in values
        ]  # fmt: skip
        add(col, formula, values)
        out[col] = values
    sid = [n.clean_text(v) for v in column("sentra_id")]
    out["sentra_id"] = [s.upper() if s else None for s in sid]
    for col, parser in (("units", n.parse_int), ("workers", n.parse_int),
                        ("year_established", n.parse_int),
                        ("production_value", n.parse_money),
                        ("investment_value", n.parse_money)):  # fmt: skip
        kind = "money" if parser is n.parse_money else "int"
        fast = n.parse_many(column(col), kind, parser)
        values, codes = fast if fast is not None else _apply(parser, column(col))
        add(col, codes, column(col))
        out[col] = values
    lat, lat_p = n.parse_many(column("latitude"), "coordinate", n.parse_coordinate) or _apply(
        n.parse_coordinate, column("latitude")
    )
    lon, lon_p = n.parse_many(column("longitude"), "coordinate", n.parse_coordinate) or _apply(
        n.parse_coordinate, column("longitude")
    )
    add("latitude", lat_p, column("latitude"))
    add("longitude", lon_p, column("longitude"))
    if "coordinates" in raw:
        pairs, codes = _apply(n.split_coordinates, column("coordinates"))
        add("latitude", codes, column("coordinates"))
        lat = [p[0] if la is None else la for p, la in zip(pairs, lat, strict=True)]
        lon = [p[1] if lo is None else lo for p, lo in zip(pairs, lon, strict=True)]
    out["latitude"], out["longitude"] = lat, lon
    out["visit_date"], codes = _apply(n.parse_date, column("visit_date"))
    add("visit_date", codes, column("visit_date"))
    out["reported_status"], codes = _apply(n.parse_status, column("reported_status"))
    add("reported_status", codes, column("reported_status"))
    region, codes = _apply(lambda v: n.parse_region(v, office_code), column("region_code"))
    add("region_code", codes, column("region_code"))
    out["region_code"] = region
    out["province_code"] = [r[:2] if r else None for r in region]
    out["kecamatan_code"], _ = _apply(n.parse_subregion, column("kecamatan_code"))
    out["desa_code"], _ = _apply(n.parse_subregion, column("desa_code"))
    commodity, _ = _apply(n.parse_commodity, column("commodity"))
    out["commodity"] = [c[0] for c in commodity]
    out["commodity_group"] = [c[1] for c in commodity]

    schema = census_arrow_schema()
    frame = pd.DataFrame(
        {
            "submission_id": [submission_id] * count,
            "office_code": [office_code] * count,
            "source_file": [file_name] * count,
            "source_sheet": sheets,
            "source_row": lineage_rows,
            "census_year": [census_year] * count,
            **{c: out.get(c, [None] * count) for c in schema.names[6:]},
        }
    )
    frame = frame[schema.names]
    for name, dtype in (("source_row", "int64"), ("census_year", "int64")):
        frame[name] = frame[name].astype(dtype)
    for name in ("units", "workers", "year_established", "production_value", "investment_value"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    for name in ("latitude", "longitude"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Float64")
    frame["problems"] = problems
    return frame


__all__ = ["FileError", "ParseResult", "SkippedRow", "read_submission"]
