"""The warehouse tables analysts query: columns, types, partitioning, descriptions (EN + ID).

Defined once here; the Iceberg schemas, ``conform`` and the data dictionary
(``docs/data-dictionary.md``) are all generated from these definitions. Personal data
(contact name and phone) is never a column of any table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from sentra.schema import CENSUS_FIELDS, PII_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

TS = pa.timestamp("us", tz="UTC")
STR_LIST = pa.list_(pa.string())


@dataclass(frozen=True)
class Column:
    """One column. ``nullable=False`` is enforced by :func:`conform` on every write.

    Iceberg fields stay optional so that a column can be added, or a requirement
    relaxed, by schema evolution without rewriting data; the write path is the guard.
    """

    name: str
    type: pa.DataType
    description_en: str
    description_id: str
    nullable: bool = True
    allowed: tuple[str, ...] = ()
    free_text: bool = False  # people's text: phone numbers, e-mails, NIKs masked on write


@dataclass(frozen=True)
class TableSpec:
    name: str
    description_en: str
    description_id: str
    columns: tuple[Column, ...]
    partitioned_by_year: bool = True

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=True) for c in self.columns])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def partition_column(self) -> str | None:
        return "census_year" if self.partitioned_by_year else None


def _iceberg_type(t: pa.DataType) -> pa.DataType:
    """Iceberg has no 16-bit integers: widen them so writes never need a cast."""
    return pa.int32() if t in (pa.int16(), pa.int8()) else t


def _census(exclude: Sequence[str] = ()) -> tuple[Column, ...]:
    return tuple(
        Column(
            f.name,
            _iceberg_type(f.type),
            f.description_en,
            f.description_id,
            free_text=f.free_text,
        )
        for f in CENSUS_FIELDS
        if f.name not in PII_COLUMNS and f.name not in exclude and f.name != "census_year"
    )


YEAR = Column(
    "census_year", pa.int32(), "Census round (year).", "Tahun putaran sensus.", nullable=False
)
SENTRA_ID = Column(
    "sentra_id", pa.string(), "Stable register ID.", "ID register yang tetap.", nullable=False
)
LINKED_SENTRA_ID = Column(
    "sentra_id",
    pa.string(),
    "Register ID the row was linked to (empty if rejected).",
    "ID register tempat baris ditautkan (kosong bila ditolak).",
)
STATUS = Column(
    "status",
    pa.string(),
    "Derived status: active, at_risk, not_reported, inactive.",
    "Status turunan: active, at_risk, not_reported, inactive.",
)
REASONS = Column(
    "status_reasons", STR_LIST, "Reason codes behind the status.", "Kode alasan di balik status."
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "sentra",
            "The national register: one row per sentra with current attributes and status.",
            "Register nasional: satu baris per sentra dengan atribut dan status terkini.",
            (
                SENTRA_ID,
                *_census(exclude=("sentra_id", "reported_status", "visit_date", "remarks")),
                STATUS,
                REASONS,
                Column(
                    "status_since",
                    pa.int32(),
                    "Year the current status began.",
                    "Tahun status saat ini mulai berlaku.",
                ),
                Column(
                    "first_census_year",
                    pa.int32(),
                    "First census year the sentra appears.",
                    "Tahun sensus pertama sentra tercatat.",
                ),
                Column(
                    "last_reported_year",
                    pa.int32(),
                    "Last census year it was reported.",
                    "Tahun sensus terakhir sentra dilaporkan.",
                ),
            ),
            partitioned_by_year=False,
        ),
        TableSpec(
            "sentra_census",
            "One row per sentra per census year: what was reported, linked and concluded.",
            "Satu baris per sentra per tahun sensus: yang dilaporkan, ditautkan dan disimpulkan.",
            (
                YEAR,
                SENTRA_ID,
                *_census(exclude=("sentra_id",)),
                STATUS,
                REASONS,
                Column(
                    "office_code",
                    pa.string(),
                    "Office whose record survived.",
                    "Dinas yang datanya dipakai.",
                ),
                Column(
                    "submission_id",
                    pa.string(),
                    "Submission of the surviving record.",
                    "Kiriman asal data yang dipakai.",
                ),
                Column(
                    "source_row",
                    pa.int32(),
                    "Row of the surviving record in its file.",
                    "Baris data yang dipakai pada berkasnya.",
                ),
                Column(
                    "cluster_size",
                    pa.int32(),
                    "Source rows merged into this sentra.",
                    "Jumlah baris sumber yang digabung menjadi sentra ini.",
                ),
                Column(
                    "link_method",
                    pa.string(),
                    "How it was linked: sentra_id, match, mutual_best, evidence, decision, new"
                    " (docs/matching.md §7).",
                    "Cara penautan: sentra_id, match, mutual_best, evidence, decision, new"
                    " (docs/matching.md §7).",
                ),
                Column(
                    "link_score",
                    pa.float64(),
                    "Match score of the link (1 = exact).",
                    "Skor kecocokan penautan (1 = persis).",
                ),
            ),
        ),
        TableSpec(
            "sentra_status_history",
            "Status history (SCD type 2) as derived by the consolidation of this census year.",
            "Riwayat status (SCD tipe 2) hasil konsolidasi tahun sensus ini.",
            (
                YEAR,
                SENTRA_ID,
                Column(
                    "status",
                    pa.string(),
                    "Status in the interval.",
                    "Status pada rentang.",
                    nullable=False,
                ),
                Column("reason_codes", STR_LIST, "Reasons.", "Alasan."),
                Column(
                    "valid_from_year",
                    pa.int32(),
                    "First year of the interval.",
                    "Tahun awal rentang.",
                    nullable=False,
                ),
                Column(
                    "valid_to_year",
                    pa.int32(),
                    "Last year of the interval; null if current.",
                    "Tahun akhir rentang; kosong bila masih berlaku.",
                ),
                Column(
                    "evidence",
                    pa.string(),
                    "Observation behind the change (JSON).",
                    "Bukti perubahan (JSON).",
                ),
                Column(
                    "is_current",
                    pa.bool_(),
                    "Whether this is the current interval.",
                    "Apakah rentang ini yang berlaku sekarang.",
                    nullable=False,
                ),
            ),
        ),
        TableSpec(
            "submissions",
            "Every submitted file of the census year and what became of it.",
            "Setiap berkas kiriman tahun sensus dan hasil pemrosesannya.",
            (
                Column("submission_id", pa.string(), "Ledger ID.", "ID ledger.", nullable=False),
                YEAR,
                Column("office_code", pa.string(), "Submitting office.", "Dinas pengirim."),
                Column("file_name", pa.string(), "File name.", "Nama berkas.", free_text=True),
                Column("content_sha256", pa.string(), "Content hash.", "Sidik isi berkas."),
                Column("received_at", TS, "When it was discovered.", "Waktu berkas diterima."),
                Column(
                    "status",
                    pa.string(),
                    "received, staged, needs_review, rejected, superseded.",
                    "received, staged, needs_review, rejected, superseded.",
                ),
                Column(
                    "superseded_by",
                    pa.string(),
                    "Newer submission that replaced it.",
                    "Kiriman baru yang menggantikannya.",
                ),
                Column(
                    "error_code",
                    pa.string(),
                    "Why the whole file was rejected.",
                    "Alasan seluruh berkas ditolak.",
                ),
                Column(
                    "error_message", pa.string(), "Message for the office.", "Pesan untuk dinas."
                ),
                Column("rows_total", pa.int32(), "Data rows read.", "Baris data yang terbaca."),
                Column(
                    "rows_accepted",
                    pa.int32(),
                    "Rows that passed validation.",
                    "Baris yang lolos validasi.",
                ),
                Column(
                    "rows_rejected",
                    pa.int32(),
                    "Rows rejected with reasons.",
                    "Baris yang ditolak beserta alasannya.",
                ),
                Column(
                    "rows_merged",
                    pa.int32(),
                    "Accepted rows merged into another record.",
                    "Baris diterima yang digabung ke data lain.",
                ),
            ),
        ),
        TableSpec(
            "submission_rows",
            "Every source row of every current submission with its verdict and lineage.",
            "Setiap baris sumber dari setiap kiriman beserta putusan dan asal-usulnya.",
            (
                YEAR,
                Column("submission_id", pa.string(), "Submission.", "Kiriman.", nullable=False),
                Column("office_code", pa.string(), "Submitting office.", "Dinas pengirim."),
                Column("source_file", pa.string(), "File name.", "Nama berkas.", free_text=True),
                Column("source_sheet", pa.string(), "Sheet.", "Lembar kerja."),
                Column(
                    "source_row",
                    pa.int32(),
                    "Row number in the office's file.",
                    "Nomor baris pada berkas dinas.",
                    nullable=False,
                ),
                Column(
                    "record_key",
                    pa.string(),
                    "submission_id#source_row.",
                    "submission_id#source_row.",
                    nullable=False,
                ),
                Column(
                    "verdict",
                    pa.string(),
                    "accepted, merged, rejected or held (its file is held for review).",
                    "accepted, merged, rejected atau held (berkasnya ditahan untuk ditinjau).",
                    nullable=False,
                    allowed=("accepted", "merged", "rejected", "held"),
                ),
                Column(
                    "reason_codes", STR_LIST, "Why a row was rejected.", "Alasan baris ditolak."
                ),
                Column(
                    "problems",
                    pa.string(),
                    "Every problem found (JSON).",
                    "Semua masalah yang ditemukan (JSON).",
                    free_text=True,  # quotes the values that failed, as typed
                ),
                Column(
                    "cluster_key",
                    pa.string(),
                    "Record the row was merged into.",
                    "Data tempat baris ini digabungkan.",
                ),
                LINKED_SENTRA_ID,
                *_census(exclude=("sentra_id",)),
            ),
        ),
        TableSpec(
            "duplicate_candidates",
            "Scored pairs of records that may be the same sentra, with the decision.",
            "Pasangan data yang mungkin sentra yang sama, dengan skor dan keputusannya.",
            (
                YEAR,
                Column("left_key", pa.string(), "First record.", "Data pertama.", nullable=False),
                Column(
                    "right_key",
                    pa.string(),
                    "Second record, or the register sentra_id it may be.",
                    "Data kedua, atau sentra_id register yang mungkin sama.",
                    nullable=False,
                ),
                Column("score", pa.float64(), "Overall score 0..1.", "Skor total 0..1."),
                Column("name_score", pa.float64(), "Name similarity.", "Kemiripan nama."),
                Column(
                    "commodity_score", pa.float64(), "Commodity agreement.", "Kesamaan komoditas."
                ),
                Column("address_score", pa.float64(), "Address similarity.", "Kemiripan alamat."),
                Column("distance_m", pa.float64(), "Distance in metres.", "Jarak dalam meter."),
                Column("units_score", pa.float64(), "Units closeness.", "Kedekatan jumlah unit."),
                Column(
                    "workers_score",
                    pa.float64(),
                    "Worker counts' closeness (evidence for the learned weights, not in score).",
                    "Kedekatan jumlah tenaga kerja (bukti bagi bobot yang dipelajari, tidak"
                    " masuk skor).",
                ),
                Column(
                    "desa_score",
                    pa.float64(),
                    "1 same resolved desa, 0 different, empty when either is unresolved.",
                    "1 desa sama, 0 berbeda, kosong bila salah satu desa tak dikenali.",
                ),
                Column(
                    "identity_score",
                    pa.float64(),
                    "Similarity of the names' identifying words (product and generic words"
                    " removed); empty when a name is only its product.",
                    "Kemiripan kata pengenal nama (tanpa kata produk dan kata umum); kosong"
                    " bila nama hanya berisi produknya.",
                ),
                Column(
                    "agreed",
                    STR_LIST,
                    "Fields that agreed: name, identity (the name's identifying words),"
                    " commodity, address, distance (≤ 250 m), units, workers, desa;"
                    " corroborated when desa, units and commodity lifted the score.",
                    "Isian yang sama: name, identity (kata pengenal nama), commodity,"
                    " address, distance (≤ 250 m), units, workers, desa; corroborated bila"
                    " desa, unit dan komoditas menaikkan skor.",
                ),
                Column(
                    "against",
                    STR_LIST,
                    "Evidence against a merge: desa, kecamatan, name_marks (19 Ilir/26 Ilir),"
                    " identity (the names' identifying words differ), commodity (two kinds),"
                    " distance (≥ 3 km).",
                    "Bukti bukan sentra yang sama: desa, kecamatan, name_marks (19 Ilir/26"
                    " Ilir), identity (kata pengenal nama berbeda), commodity (dua jenis),"
                    " distance (≥ 3 km).",
                ),
                Column(
                    "decision",
                    pa.string(),
                    "match, uncertain or non_match.",
                    "match, uncertain atau non_match.",
                ),
                Column(
                    "match_probability",
                    pa.float64(),
                    "Probability that the pair is one sentra, from the evidence weights"
                    " learned on the census year's own pairs; empty before the year has"
                    " enough pairs to learn them.",
                    "Peluang pasangan ini sentra yang sama, dari bobot bukti yang dipelajari"
                    " dari pasangan tahun sensus itu; kosong sebelum pasangannya cukup.",
                ),
                Column(
                    "decided_by",
                    pa.string(),
                    "auto (score), evidence (learned weights settled a clerical-band pair)"
                    " or reviewer.",
                    "auto (skor), evidence (bobot bukti memutus pasangan di pita tinjauan)"
                    " atau peninjau.",
                ),
                Column(
                    "left_name",
                    pa.string(),
                    "Name of the first record.",
                    "Nama data pertama.",
                    free_text=True,
                ),
                Column(
                    "right_name",
                    pa.string(),
                    "Name of the second record.",
                    "Nama data kedua.",
                    free_text=True,
                ),
                Column("region_code", pa.string(), "Kab/kota.", "Kab/kota."),
            ),
        ),
        TableSpec(
            "quality_metrics",
            "Quality figures per submission (rows, rejections by reason, null shares).",
            "Angka kualitas per kiriman (baris, penolakan per alasan, porsi kosong).",
            (
                YEAR,
                Column(
                    "submission_id",
                    pa.string(),
                    "Submission (null: whole year).",
                    "Kiriman (kosong: seluruh tahun).",
                ),
                Column("office_code", pa.string(), "Office.", "Dinas."),
                Column("metric", pa.string(), "Metric name.", "Nama ukuran.", nullable=False),
                Column("column", pa.string(), "Column measured.", "Kolom yang diukur."),
                Column("value", pa.float64(), "Value.", "Nilai."),
            ),
        ),
    )
}


class ConformError(ValueError):
    """Data handed to the warehouse does not fit the table; names table, column, row, value."""


def conform(
    name: str,
    data: pa.Table | pd.DataFrame,
    *,
    unexpected: Literal["drop", "error"] = "drop",
) -> pa.Table:
    """Order and cast columns to the table's schema, with checks a reader relies on.

    Refuses personal-data columns always, missing columns, nulls in required columns
    and values outside a column's allowed set; masks phone numbers, e-mail addresses
    and NIKs typed into free-text columns (:mod:`sentra.privacy`). Columns the table
    does not have are dropped (stage frames carry working columns) or, with
    ``unexpected="error"``,
    refused: :meth:`Warehouse.publish` uses that to catch a table handed in by mistake.
    """
    import pyarrow.compute as pc

    spec = TABLES.get(name) or SYSTEM_TABLES.get(name)
    if spec is None:
        raise ConformError(f"unknown warehouse table {name!r}; known: {sorted(TABLES)}")
    columns = data.column_names if isinstance(data, pa.Table) else [str(c) for c in data.columns]
    leaked = sorted(set(columns) & set(PII_COLUMNS))
    if leaked:
        raise ConformError(f"table {name}: personal data columns {leaked} may not be published")
    missing = [c for c in spec.names if c not in columns]
    extra = [c for c in columns if c not in spec.names]
    if missing or (extra and unexpected == "error"):
        parts = [f"missing columns {missing}"] if missing else []
        if extra and unexpected == "error":
            parts.append(f"unexpected columns {extra}")
        raise ConformError(f"table {name}: {'; '.join(parts)}")
    arrays = [
        _column_array(
            name, col, data.column(col.name) if isinstance(data, pa.Table) else data[col.name]
        )
        for col in spec.columns
    ]
    if any(col.free_text for col in spec.columns):
        from sentra.privacy import mask_personal_data

        arrays = [
            mask_personal_data(a) if col.free_text else a
            for col, a in zip(spec.columns, arrays, strict=True)
        ]
    for col, array in zip(spec.columns, arrays, strict=True):
        if not col.nullable and array.null_count:
            first = pc.index(pc.is_null(array), True).as_py()
            raise ConformError(
                f"table {name}: column {col.name} is required but {array.null_count} row(s)"
                f" are null (first at row {first})"
            )
        if col.allowed:
            bad = pc.invert(pc.is_in(array, value_set=pa.array(col.allowed, col.type)))
            bad = pc.and_kleene(bad, pc.is_valid(array))
            if pc.any(bad).as_py():
                first = pc.index(bad, True).as_py()
                raise ConformError(
                    f"table {name}: column {col.name}, row {first}: value"
                    f" {array[first].as_py()!r} is not one of {list(col.allowed)}"
                )
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _column_array(table: str, col: Column, values: Any) -> pa.Array | pa.ChunkedArray:
    """One column cast to its type; a value that does not fit is named with its row."""
    import pyarrow.compute as pc

    try:
        if isinstance(values, pa.ChunkedArray):
            array = values if values.type == col.type else values.cast(col.type)
        else:
            array = pa.array(values, type=col.type, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        array = _cast_each(table, col, values)
    if pa.types.is_list(col.type) and array.null_count:
        array = pc.if_else(pc.is_null(array), pa.scalar([], col.type), array)  # no reasons = []
    return array


def _cast_each(table: str, col: Column, values: Any) -> pa.Array:
    """Slow path: value by value, so the error can name the row and value that failed."""
    import pandas as pd

    items = values.to_pylist() if isinstance(values, pa.ChunkedArray) else list(values)
    out: list[Any] = []
    for row, raw in enumerate(items):
        if raw is None or (not isinstance(raw, (list, tuple)) and _is_missing(raw, pd)):
            out.append(None)
            continue
        value = list(raw) if pa.types.is_list(col.type) else raw
        try:
            pa.array([value], type=col.type, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise ConformError(
                f"table {table}: column {col.name}, row {row}: value {value!r}"
                f" does not fit type {col.type} ({exc})"
            ) from exc
        out.append(value)
    return pa.array(out, type=col.type, from_pandas=True)


def _is_missing(value: Any, pd: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _publications_spec() -> TableSpec:
    return TableSpec(
        "publications",
        "System table: one row per publication, the snapshot of every table it vouches for."
        " Readers use it to see one consistent census.",
        "Tabel sistem: satu baris per publikasi, snapshot setiap tabel yang dijaminnya."
        " Pembaca memakainya agar melihat satu sensus yang konsisten.",
        (
            Column(
                "census_year",
                pa.int32(),
                "Census year published.",
                "Tahun sensus yang dipublikasikan.",
                nullable=False,
            ),
            Column(
                "published_at",
                TS,
                "When the publication was recorded (after every table committed).",
                "Waktu publikasi dicatat (setelah semua tabel tersimpan).",
                nullable=False,
            ),
            Column(
                "snapshot_ids",
                pa.string(),
                "Iceberg snapshot id per table (JSON object).",
                "ID snapshot Iceberg per tabel (objek JSON).",
                nullable=False,
            ),
            Column(
                "digests",
                pa.string(),
                "Content digest per table (JSON object); equal digests mean a no-op rerun.",
                "Sidik isi per tabel (objek JSON); sidik sama berarti tidak ada perubahan.",
                nullable=False,
            ),
        ),
        partitioned_by_year=False,
    )


SYSTEM_TABLES: dict[str, TableSpec] = {"publications": _publications_spec()}
