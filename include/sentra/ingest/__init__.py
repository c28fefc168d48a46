"""Ingestion: one submitted file → typed canonical rows, each with its problems.

``read_submission`` never raises for bad input. A file that cannot be used becomes a
``FileError`` (the submission is rejected with a reason the office can act on); a cell
that cannot be normalised becomes a problem on its row. Every data row keeps its
lineage: submission, file, sheet and the row number the office sees.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate, chain, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings
from sentra.ingest.context import complete_from_context
from sentra.ingest.hostile import blank_where, hostile_masks
from sentra.ingest.readers import (
    RawTable,
    ReadError,
    SkippedRow,
    read_tables,
    without_cyclic_gc,
    worker_threads,
)
from sentra.ingest.safety import UnsafeFileError, check_bytes
from sentra.schema import REQUIRED_COLUMNS, census_arrow_schema, column_label, reason

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

TEXT_COLUMNS = (
    "sentra_name", "address", "legal_basis", "contact_name", "contact_phone", "remarks",
)  # fmt: skip
CHUNK_ROWS = 131_072  # rows normalised per task at most: small enough for the CPU caches
MIN_CHUNK_ROWS = 16_384


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
    required: tuple[str, ...] = REQUIRED_COLUMNS,
) -> ParseResult:
    """Read, map and normalise one submission. See the module docstring for guarantees.

    ``required``: the columns without which the file is refused; a census submission
    needs :data:`~sentra.schema.REQUIRED_COLUMNS`, the national register only names
    and places (a ministry export often carries no unit counts).
    """
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
    for t in tables:
        complete_from_context(t, office_code, file_name)
    usable = [t for t in tables if set(required) <= _provided(t)]
    if not usable:
        best = max(tables, key=lambda t: len(t.mapping.columns))
        missing = sorted(set(required) - _provided(best))
        ambiguous = {h: c for h, c in best.mapping.ambiguous.items() if set(c) & set(missing)}
        if ambiguous:
            detail = "; ".join(
                f"'{h}' bisa berarti {' atau '.join(column_label(x) for x in c)}"
                for h, c in ambiguous.items()
            )
            return _failed(
                "ambiguous_columns",
                detail,
                header_row=best.header_row,
                mapping=best.mapping.as_dict(),
                unmapped=best.mapping.unmapped,
            )
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
    if not sum(t.n_rows for t in usable):
        # A header with nothing under it but blank, totals or signature lines: the
        # office sent the template back empty (its skipped lines are still listed).
        failed = _failed(
            "no_data_rows",
            file_name,
            header_row=usable[0].header_row,
            mapping=usable[0].mapping.as_dict(),
            unmapped=usable[0].mapping.unmapped,
        )
        failed.skipped_rows = [s for t in tables for s in t.skipped]
        failed.rows_seen = len(failed.skipped_rows)
        return failed
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


def _gather(tables: list[RawTable], canonical: str) -> Any:
    """One canonical column over all usable tables: chunked Arrow, or a list of cells."""
    import pyarrow as pa

    arrow = (pa.Array, pa.ChunkedArray)
    pieces = []
    for t in tables:
        index = next((i for i, c in t.mapping.columns.items() if c == canonical), None)
        pieces.append(None if index is None else t.columns.get(index))
    if all(isinstance(p, arrow) or p is None for p in pieces):
        chunks = []
        for p, t in zip(pieces, tables, strict=True):
            if p is None:
                chunks.append(pa.nulls(t.n_rows, pa.string()))
            else:
                chunks.extend(p.chunks if isinstance(p, pa.ChunkedArray) else [p])
        return pa.chunked_array(chunks, pa.string())
    out: list[Any] = []
    for p, t in zip(pieces, tables, strict=True):
        if p is None:
            out.extend([None] * t.n_rows)
        elif isinstance(p, arrow):
            out.extend(p.to_pylist())
        else:
            out.extend(p)
    return out


def _chunk_bounds(columns: dict[str, Any], count: int, threads: int) -> list[tuple[int, int]]:
    """Row ranges normalised as one task each, cut where Arrow's chunks are cut.

    Every thread gets work on a mid-sized file too, and tiny ranges would cost more in
    per-kernel overhead than they gain. A range inside one chunk of every column is
    normalised without copying its cells (:func:`_rows`); Arrow's CSV chunks (a 1 MiB
    block, ~4,600 rows of a typical file) are joined a few at a time, never split.
    """
    import pyarrow as pa

    size = max(min(CHUNK_ROWS, -(-count // threads)), MIN_CHUNK_ROWS)
    cuts = {0, count}
    for column in columns.values():
        if isinstance(column, pa.ChunkedArray):
            cuts.update(e for e in accumulate(len(c) for c in column.chunks) if e < count)
    bounds: list[tuple[int, int]] = []
    for edge, b in pairwise(sorted(cuts)):
        a = edge
        if bounds and (b - a < MIN_CHUNK_ROWS or bounds[-1][1] - bounds[-1][0] < MIN_CHUNK_ROWS):
            a = bounds.pop()[0]  # a small piece joins its neighbour (one copy of few rows)
        # Never pieces below the minimum: a piece that small would join the next chunk
        # and copy cells across an edge for nothing (found by hypothesis: 45 + 30 rows).
        pieces = max(1, min(round((b - a) / size), (b - a) // MIN_CHUNK_ROWS))
        step = -(-(b - a) // pieces)
        bounds.extend((x, min(x + step, b)) for x in range(a, b, step))
    return bounds or [(0, 0)]


def _rows(column: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a gathered column: one Arrow array (a zero-copy slice when
    the rows lie in one chunk), or a list."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        part = column.slice(start, stop - start)
        return part.chunk(0) if part.num_chunks == 1 else part.combine_chunks()
    return column[start:stop]


class _Problems:
    """Row problems, added column by column only where a code is set (usually few rows)."""

    def __init__(self, count: int) -> None:
        # Many small acyclic lists: the cyclic GC would rescan them for nothing (8x slower).
        with without_cyclic_gc():
            self.rows: list[list[dict[str, Any]]] = [[] for _ in range(count)]

    def add(self, column: str, codes: Any, raw: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if codes.null_count == len(codes):
            return
        where = pc.indices_nonzero(pc.is_valid(codes))
        found = codes.take(where).to_pylist()
        rows = where.to_pylist()
        values = (
            raw.take(where).to_pylist() if isinstance(raw, pa.Array) else [raw[i] for i in rows]
        )
        for i, code, value in zip(rows, found, values, strict=True):
            self.rows[i].append(
                {
                    "code": code,
                    "column": column,
                    "value": None if value is None else str(value)[:200],
                }
            )

    def add_where(self, column: str, code: str, mask: Any, values: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        codes = pc.if_else(mask, pa.scalar(code), pa.scalar(None, pa.string()))
        self.add(column, codes, values)


def _corrected_coordinates(lat: Any, lon: Any, problems: _Problems) -> tuple[Any, Any]:
    """Coordinates outside Indonesia that one known slip explains, put back, with a warning.

    Two slips are common and unambiguous because Indonesia's latitudes and longitudes do
    not overlap: the columns swapped (``110.3, -7.8``), and a minus sign lost (``7.8``
    for ``-7.8``: no place in Indonesia lies north of 6°, so a latitude above it south
    of the equator is the only reading; ``-110.3`` likewise). A point that only such a
    slip brings inside is corrected and the office told both values; any other point
    outside stays for validation to reject (``coordinate_out_of_bounds``).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sentra.reference import in_indonesia

    def floats(values: Any) -> Any:
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        return values.to_numpy(zero_copy_only=False).astype("float64")

    la, lo = floats(lat), floats(lon)
    known = ~np.isnan(la) & ~np.isnan(lo)
    bad = known & ~in_indonesia(la, lo)
    if not bad.any():
        return lat, lon
    new_la, new_lo = la.copy(), lo.copy()
    todo = bad.copy()
    for fixed_la, fixed_lo in ((lo, la), (-la, lo), (la, -lo)):
        hit = todo & in_indonesia(fixed_la, fixed_lo)
        new_la[hit], new_lo[hit] = fixed_la[hit], fixed_lo[hit]
        todo &= ~hit
    fixed = bad & ~todo
    if not fixed.any():
        return lat, lon
    shown: list[str | None] = [None] * len(la)
    for i in np.flatnonzero(fixed):
        shown[i] = f"{la[i]:g}, {lo[i]:g} → {new_la[i]:g}, {new_lo[i]:g}"
    problems.add_where("latitude", "coordinates_corrected", pa.array(fixed), shown)
    mask = pa.array(fixed)
    return (
        pc.if_else(mask, pa.array(new_la), lat),
        pc.if_else(mask, pa.array(new_lo), lon),
    )


def _normalise(
    tables: list[RawTable],
    file_name: str,
    office_code: str,
    census_year: int,
    submission_id: str,
    settings: Settings,
) -> pd.DataFrame:
    """Normalise every data row, in chunks of rows run on a thread pool.

    Arrow's kernels release the GIL, so chunks of a large CSV normalise in parallel
    (about twice as fast on two cores); each chunk also stays small enough for the CPU
    caches. A chunk's result does not depend on the others: rows are independent and
    every parser is a pure function of one cell.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    count = sum(t.n_rows for t in tables)
    provided = {c for t in tables for c in t.mapping.canonical}
    columns = {c: _gather(tables, c) for c in provided}
    for t in tables:  # the raw cells live on in ``columns`` only, freed once normalised
        t.columns = {}
    threads = worker_threads(settings)
    if not all(isinstance(v, pa.ChunkedArray) for v in columns.values()):
        # Spreadsheet and JSON cells are Python objects, converted under the GIL: two
        # threads contending for it were slower than one (100k-row XLSX: 0.85 s on one
        # thread, 1.15-1.57 s on two).
        threads = 1
    bounds = _chunk_bounds(columns, count, threads)

    def run(bound: tuple[int, int]) -> tuple[dict[str, Any], list[list[dict[str, Any]]]]:
        a, b = bound
        part = {c: _rows(v, a, b) for c, v in columns.items()}
        problems = _Problems(b - a)  # each chunk its own rows' lists, built in its thread
        return _normalise_rows(part, b - a, office_code, settings, problems), problems.rows

    workers = min(threads, len(bounds))
    if workers > 1 and "region_code" in columns:
        # Built here, once: functools.cache would let two chunk threads build it at once.
        from sentra.reference import regions

        regions()
    if workers > 1:
        with ThreadPoolExecutor(workers, thread_name_prefix="sentra-ingest") as pool:
            parts = list(pool.map(run, bounds))
    else:
        parts = [run(b) for b in bounds]
    columns.clear()  # the raw cells: no longer needed once every chunk is normalised
    outs = [out for out, _ in parts]
    problems = list(chain.from_iterable(rows for _, rows in parts))
    del parts

    schema = census_arrow_schema()
    lineage = {
        "submission_id": pa.repeat(submission_id, count),
        "office_code": pa.repeat(office_code, count),
        "source_file": pa.repeat(file_name, count),
        "source_sheet": pa.chunked_array(
            [pa.repeat(pa.scalar(t.sheet, pa.string()), t.n_rows) for t in tables], pa.string()
        ),
        "source_row": pa.array(np.concatenate([np.asarray(t.row_numbers, dtype=np.int64)
                                               for t in tables]) if tables else [], pa.int64()),
        "census_year": pa.repeat(pa.scalar(census_year, pa.int64()), count),
    }  # fmt: skip
    arrays = [
        lineage[f.name].cast(f.type)
        if f.name in lineage
        else pa.chunked_array([pc.cast(out[f.name], f.type) for out in outs], f.type)
        for f in schema
    ]
    table = pa.Table.from_arrays(arrays, schema=schema)
    del outs, arrays
    nullable = {pa.int16(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(),
                pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype()}  # fmt: skip
    frame = table.to_pandas(types_mapper=nullable.get)
    for name in ("source_row", "census_year"):
        frame[name] = frame[name].astype("int64")
    frame["problems"] = problems
    _coordinates_against_their_region(frame)
    _shared_coordinates(frame)
    return frame


# A kab/kota's points are judged against its other points in the file: at least this
# many, and a point's distance to their median is measured in units of their median
# distance to it (at least REGION_SCALE_FLOOR_KM: a kab/kota whose sentra sit in one town).
REGION_MIN_POINTS = 5
REGION_SCALE_FLOOR_KM = 10.0
# Farther than this many spreads from the median, and than REGION_FAR_MIN_KM, is far
# from the kab/kota (its sentra sit within ~2 spreads of their median). The floor keeps
# the wide kabupaten of Kalimantan and Papua, whose sentra cluster near the capital
# with a few far out, from being flagged: on the yardstick's 20k rows one such point
# lay 50 km out, the copied and sign-slipped ones 800-900 km.
REGION_FAR_SCALES = 5.0
REGION_FAR_MIN_KM = 75.0


def _coordinates_against_their_region(frame: pd.DataFrame) -> None:
    """Each point judged against the kab/kota's other points in the file.

    * A latitude that lost its minus sign near the equator is put back, with a warning.
      South of the equator but north of 6° S an unsigned latitude is still inside
      Indonesia (``0.9012`` for Palu's ``-0.9012``), so the extent check cannot see it;
      a point more than three of its kab/kota's spreads from their median whose mirror
      image across the equator lies within one and a half is that slip (Sumatra,
      Kalimantan and Sulawesi offices make it).
    * A point still more than REGION_FAR_SCALES spreads (and REGION_FAR_MIN_KM) away is kept
      as written with the ``coordinate_far_from_region`` warning: a point copied from
      another row or another kab/kota, or digits typed wrong. Nothing can say where it
      belongs, so the office is asked to check it.

    A kab/kota with fewer than REGION_MIN_POINTS points in the file is left as written.
    """
    import numpy as np
    import pandas as pd

    from sentra.reference import in_indonesia

    lat = frame["latitude"].to_numpy(dtype="float64", na_value=np.nan)
    lon = frame["longitude"].to_numpy(dtype="float64", na_value=np.nan)
    region = frame["region_code"]
    # Points outside Indonesia are rejected already (coordinate_out_of_bounds): they
    # neither count among the kab/kota's points nor get a second message.
    known = ~np.isnan(lat) & ~np.isnan(lon) & region.notna().to_numpy()
    known &= in_indonesia(np.nan_to_num(lat), np.nan_to_num(lon))
    if int(known.sum()) < REGION_MIN_POINTS:
        return
    points = pd.DataFrame({"region": region[known], "lat": lat[known], "lon": lon[known]})
    by = points.groupby("region", sort=False)
    centre_lat, centre_lon = by["lat"].transform("median"), by["lon"].transform("median")

    # Equirectangular distances in km: exact enough within a kab/kota.
    dx = (points["lon"] - centre_lon) * 111.32 * np.cos(np.radians(centre_lat))
    away = np.hypot(dx, (points["lat"] - centre_lat) * 110.57)
    mirrored = np.hypot(dx, (-points["lat"] - centre_lat) * 110.57)
    scale = np.maximum(away.groupby(points["region"]).transform("median"), REGION_SCALE_FLOOR_KM)
    judged = by["lat"].transform("size") >= REGION_MIN_POINTS
    flip = (
        judged & (points["lat"] > 0) & (away > 3 * scale) & (mirrored <= 1.5 * scale)
    ).to_numpy()
    limit = np.maximum(REGION_FAR_SCALES * scale, REGION_FAR_MIN_KM)
    far = (judged & (away > limit)).to_numpy() & ~flip
    if not (flip.any() or far.any()):
        return
    # The rows' own problem lists (the frame holds these same list objects).
    row_problems: list[list[dict[str, Any]]] = frame["problems"].tolist()
    positions = np.flatnonzero(known)
    for i in positions[flip]:
        written, x = float(lat[i]), float(lon[i])
        row_problems[i].append(
            {
                "code": "coordinates_corrected",
                "column": "latitude",
                "value": f"{written:g}, {x:g} → {-written:g}, {x:g}",
            }
        )
        frame.at[frame.index[i], "latitude"] = -written
    km = away.to_numpy()
    for j in np.flatnonzero(far):
        i = positions[j]
        row_problems[i].append(
            {
                "code": "coordinate_far_from_region",
                "column": "latitude",
                "value": f"{lat[i]:g}, {lon[i]:g}; {km[j]:.0f} km",
            }
        )


def _shared_coordinates(frame: pd.DataFrame) -> None:
    """One point written for several sentra of the file (the office's address, the
    kab/kota's centre): kept, with the ``coordinate_shared`` warning on each of its rows
    (matching does not take it as their location, :func:`sentra.reference.shared_points`)."""
    import numpy as np

    from sentra.reference import shared_points

    lat = frame["latitude"].to_numpy(dtype="float64", na_value=np.nan)
    lon = frame["longitude"].to_numpy(dtype="float64", na_value=np.nan)
    shared = shared_points(np.zeros(len(frame)), lat, lon, frame["sentra_name"].to_numpy())
    if not shared.any():
        return
    rows = np.flatnonzero(shared)
    points = [(round(float(lat[i]), 6), round(float(lon[i]), 6)) for i in rows]
    counts = Counter(points)
    row_problems: list[list[dict[str, Any]]] = frame["problems"].tolist()
    for i, point in zip(rows, points, strict=True):
        row_problems[i].append(
            {
                "code": "coordinate_shared",
                "column": "latitude",
                "value": f"{lat[i]:g}, {lon[i]:g}; {counts[point]} baris",
            }
        )


def _normalise_rows(
    columns: dict[str, Any],
    count: int,
    office_code: str,
    settings: Settings,
    problems: _Problems,
) -> dict[str, Any]:
    """One chunk of rows, column by column: Arrow kernels for clean cells, per distinct
    value for the rest. Returns the canonical columns as Arrow arrays."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sentra.ingest import normalise as n

    none = pa.nulls(count, pa.string())

    def column(col: str) -> Any:
        return columns.get(col, none)

    # Formulas and markup first: the row is rejected and the cell blanked before any
    # parser sees it, so the text is neither stored nor echoed (sentra.ingest.hostile).
    blanked: dict[str, Any] = {}  # cells emptied here: the office did not leave them empty
    for col, raw in list(columns.items()):
        formula, markup = hostile_masks(col, raw)
        found_formula, found_markup = pc.any(formula).as_py(), pc.any(markup).as_py()
        if found_formula or found_markup:
            if found_formula:
                problems.add_where(col, "formula_in_cell", formula, none)
            if found_markup:
                problems.add_where(col, "markup_in_cell", markup, none)
            blanked[col] = pc.or_(formula, markup)
            columns[col] = blank_where(raw, blanked[col])

    out: dict[str, Any] = {}
    for col in TEXT_COLUMNS:
        values = n.clean_text_column(column(col))
        # Characters are counted only where a cell has more bytes than the limit allows.
        if (pc.max(pc.binary_length(values)).as_py() or 0) > settings.max_cell_chars:
            limit = settings.max_cell_chars
            too_long = pc.fill_null(pc.greater(pc.utf8_length(values), limit), False)
            if pc.any(too_long).as_py():
                problems.add_where(col, "cell_too_long", too_long, values)
                values = pc.utf8_slice_codeunits(values, 0, limit)
        out[col] = values
    out["sentra_id"] = pc.utf8_upper(n.clean_text_column(column("sentra_id")))
    for col, kind in (("units", "int"), ("workers", "int"), ("year_established", "int"),
                      ("production_value", "money"), ("investment_value", "money")):  # fmt: skip
        raw = column(col)
        values, codes = n.parse_column(raw, kind)
        problems.add(col, codes, raw)
        out[col] = values
    for col in ("latitude", "longitude"):
        raw = column(col)
        out[col], codes = n.parse_column(raw, "coordinate")
        problems.add(col, codes, raw)
    if "coordinates" in columns:
        raw = column("coordinates")
        results, index = n.by_unique(raw, n.split_coordinates)
        lat = pc.take(pa.array([r[0][0] for r in results], pa.float64()), index)
        lon = pc.take(pa.array([r[0][1] for r in results], pa.float64()), index)
        codes = pc.take(pa.array([r[1] for r in results], pa.string()), index)
        problems.add("latitude", codes, raw)
        out["latitude"] = pc.coalesce(out["latitude"], lat)
        out["longitude"] = pc.coalesce(out["longitude"], lon)
    out["latitude"], out["longitude"] = _corrected_coordinates(
        out["latitude"], out["longitude"], problems
    )
    for col, parser, type_ in (
        ("visit_date", n.parse_date, pa.date32()),
        ("reported_status", n.parse_status, pa.string()),
        ("region_code", lambda v: n.parse_region(v, office_code), pa.string()),
        ("kecamatan_code", n.parse_subregion, pa.string()),
        ("desa_code", n.parse_subregion, pa.string()),
    ):
        raw = column(col)
        out[col], codes = n.parse_unique(raw, parser, type_)
        problems.add(col, codes, raw)
    out["province_code"] = pc.utf8_slice_codeunits(out["region_code"], 0, 2)
    commodity = column("commodity")
    # An empty Komoditas whose sentra name names one product takes that product, with a
    # warning telling the office to fill it in: the row is not lost for a cell its own
    # name answers.
    commodity = n.clean_text_column(commodity)
    from_name = pc.and_(pc.is_null(commodity), pc.is_valid(out["sentra_name"]))
    if "commodity" in blanked:
        from_name = pc.and_(from_name, pc.invert(pc.fill_null(blanked["commodity"], False)))
    if pc.any(from_name).as_py():
        named, where = n.by_unique(out["sentra_name"], n.commodity_from_name)
        named = pc.take(pa.array([r[0] for r in named], pa.string()), where)
        from_name = pc.fill_null(pc.and_(from_name, pc.is_valid(named)), False)
        if pc.any(from_name).as_py():
            problems.add_where("commodity", "commodity_from_name", from_name, named)
            commodity = pc.if_else(from_name, named, commodity)
    results, index = n.by_unique(commodity, n.parse_commodity)
    out["commodity"] = pc.take(pa.array([r[0][0] for r in results], pa.string()), index)
    out["commodity_group"] = pc.take(pa.array([r[0][1] for r in results], pa.string()), index)

    schema = census_arrow_schema()
    for col, limit_code in (("units", "value_over_cap"), ("workers", "value_over_cap"),
                            ("year_established", "implausible_year")):  # fmt: skip
        type_ = schema.field(col).type
        info = np.iinfo(type_.to_pandas_dtype())
        outside = pc.fill_null(
            pc.or_(pc.greater(out[col], info.max), pc.less(out[col], info.min)), False
        )
        if pc.any(outside).as_py():
            problems.add_where(col, limit_code, outside, out[col])
            out[col] = pc.if_else(outside, pa.scalar(None, out[col].type), out[col])
    return out


__all__ = ["FileError", "ParseResult", "SkippedRow", "read_submission"]
