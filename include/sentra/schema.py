"""The canonical census record, its enums and the registry of reason codes.

Every reader, check, matcher and table speaks this schema. Each field carries an
Indonesian label (what offices see in templates and reports) and a description in
both languages, so the data dictionary is generated from here, not written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa


class CommodityGroup(StrEnum):
    """OVOP commodity groups used for planning, plus ``lainnya`` for everything else."""

    MAKANAN_MINUMAN = "makanan_minuman"
    KAIN_TENUN = "kain_tenun"
    KAIN_BATIK = "kain_batik"
    ANYAMAN = "anyaman"
    GERABAH = "gerabah"
    LAINNYA = "lainnya"


COMMODITY_GROUP_LABELS: dict[CommodityGroup, str] = {
    CommodityGroup.MAKANAN_MINUMAN: "Makanan dan Minuman",
    CommodityGroup.KAIN_TENUN: "Kain Tenun",
    CommodityGroup.KAIN_BATIK: "Kain Batik",
    CommodityGroup.ANYAMAN: "Anyaman",
    CommodityGroup.GERABAH: "Gerabah",
    CommodityGroup.LAINNYA: "Lainnya",
}


class ReportedStatus(StrEnum):
    """What the office reported in the field visit (normalised from free text)."""

    ACTIVE = "active"
    # "Kurang aktif": the third word of the standard status scale (aktif / kurang aktif /
    # tidak aktif). Producing, but below its usual activity: not closed.
    LESS_ACTIVE = "less_active"
    INACTIVE = "inactive"


class SentraStatus(StrEnum):
    """The status the pipeline derives from the history (see ``sentra.status``)."""

    ACTIVE = "active"
    AT_RISK = "at_risk"
    NOT_REPORTED = "not_reported"
    INACTIVE = "inactive"


class SubmissionStatus(StrEnum):
    """Life cycle of one submitted file in the ledger."""

    RECEIVED = "received"
    STAGED = "staged"  # parsed and validated; its accepted rows may be consolidated
    NEEDS_REVIEW = "needs_review"  # too many rejected rows: held for a person
    REJECTED = "rejected"  # the file as a whole could not be used
    SUPERSEDED = "superseded"  # a newer file from the same office replaced it
    RETURNED = "returned"  # a reviewer sent it back to the office


class Severity(StrEnum):
    FILE = "file"  # the whole submission is rejected
    ROW = "row"  # the row is rejected
    WARNING = "warning"  # reported to the office, row still accepted
    STATUS = "status"  # explains a derived sentra status


@dataclass(frozen=True)
class ReasonCode:
    """A reason a row, file or status ended the way it did, in both languages.

    ``message_*`` may use ``{column}`` and ``{value}``; ``fix_id`` tells the office
    what to do about it.
    """

    code: str
    severity: Severity
    message_en: str
    message_id: str
    fix_id: str

    def render(self, lang: str = "id", **context: object) -> str:
        template = self.message_id if lang == "id" else self.message_en
        safe = {k: ("" if v is None else v) for k, v in context.items()}
        return template.format_map(_Default(safe))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def _r(code: str, severity: Severity, en: str, id_: str, fix: str) -> ReasonCode:
    return ReasonCode(code, severity, en, id_, fix)


F, R, W, S = Severity.FILE, Severity.ROW, Severity.WARNING, Severity.STATUS

REASONS: dict[str, ReasonCode] = {
    r.code: r
    for r in [
        # --- whole file ------------------------------------------------------------
        _r(
            "file_unreadable",
            F,
            "The file could not be read: {value}",
            "Berkas tidak dapat dibaca: {value}",
            "Simpan ulang berkas sebagai .xlsx atau .csv (UTF-8) lalu kirim kembali.",
        ),
        _r(
            "file_empty",
            F,
            "The file is empty.",
            "Berkas kosong.",
            "Isi data sentra pada templat lalu kirim kembali.",
        ),
        _r(
            "file_too_large",
            F,
            "The file is larger than the limit ({value}).",
            "Ukuran berkas melebihi batas ({value}).",
            "Pecah berkas atau hapus lembar yang tidak diperlukan.",
        ),
        _r(
            "too_many_rows",
            F,
            "The file has more rows than the limit ({value}).",
            "Jumlah baris melebihi batas ({value}).",
            "Pastikan hanya data sentra wilayah Anda yang dikirim.",
        ),
        _r(
            "too_many_columns",
            F,
            "The file has more columns than the limit ({value}).",
            "Jumlah kolom melebihi batas ({value}).",
            "Gunakan templat resmi tanpa kolom tambahan.",
        ),
        _r(
            "unsupported_type",
            F,
            "Unsupported file type {value}.",
            "Jenis berkas {value} tidak didukung.",
            "Kirim dalam format .xlsx, .xls, .csv atau .json.",
        ),
        _r(
            "encrypted_file",
            F,
            "The file is password-protected.",
            "Berkas dilindungi kata sandi.",
            "Hapus kata sandi pada berkas lalu kirim kembali.",
        ),
        _r(
            "zip_bomb",
            F,
            "The workbook expands to an unsafe size ({value}).",
            "Berkas Excel mengembang ke ukuran yang tidak wajar ({value}).",
            "Simpan ulang berkas dari Excel dengan data saja.",
        ),
        _r(
            "sheet_too_large",
            F,
            "A sheet reaches far beyond its data ({value}).",
            "Lembar kerja menjangkau sel yang sangat jauh dari tabel data ({value}).",
            "Hapus isi sel terjauh yang disebut (dan sel lain di luar tabel data), simpan, "
            "lalu kirim kembali.",
        ),
        _r(
            "outside_landing",
            F,
            "The file lies outside the landing folder ({value}).",
            "Berkas berada di luar folder penerimaan ({value}).",
            "Unggah berkas langsung ke folder wilayah Anda.",
        ),
        _r(
            "header_not_found",
            F,
            "No header row with the required columns was found.",
            "Baris judul kolom yang memuat kolom wajib tidak ditemukan.",
            "Gunakan judul kolom dari templat (mis. 'Nama Sentra', 'Kab/Kota').",
        ),
        _r(
            "no_data_rows",
            F,
            "The file has a header but no data rows ({value}).",
            "Berkas memuat judul kolom tetapi tidak ada baris data ({value}).",
            "Isi data sentra di bawah judul kolom lalu kirim kembali.",
        ),
        _r(
            "missing_required_columns",
            F,
            "Required columns are missing: {value}.",
            "Kolom wajib tidak ada: {value}.",
            "Tambahkan kolom tersebut sesuai templat.",
        ),
        _r(
            "ambiguous_columns",
            F,
            "A column could mean more than one field: {value}.",
            "Kolom tidak jelas maksudnya: {value}.",
            "Ganti judul kolom dengan judul dari templat (mis. 'Jumlah Unit Usaha').",
        ),
        _r(
            "duplicate_columns",
            F,
            "Two columns map to the same field: {value}.",
            "Dua kolom mengarah ke isian yang sama: {value}.",
            "Hapus salah satu kolom ganda.",
        ),
        _r(
            "unknown_office",
            F,
            "The landing folder {value} is not a known office code.",
            "Folder {value} bukan kode wilayah dinas yang dikenal.",
            "Unggah ke folder dengan kode wilayah Kemendagri dinas Anda.",
        ),
        # --- one row ---------------------------------------------------------------
        _r(
            "missing_required",
            R,
            "Required value {column} is empty.",
            "Isian wajib {column} kosong.",
            "Lengkapi isian {column}.",
        ),
        _r(
            "invalid_number",
            R,
            "{column} is not a number: '{value}'.",
            "{column} bukan angka: '{value}'.",
            "Tulis angka saja, mis. 1.250.000 atau 1250000.",
        ),
        _r(
            "not_integer",
            R,
            "{column} must be a whole number: '{value}'.",
            "{column} harus bilangan bulat: '{value}'.",
            "Tulis bilangan bulat tanpa koma.",
        ),
        _r(
            "negative_value",
            R,
            "{column} is negative: {value}.",
            "{column} bernilai negatif: {value}.",
            "Periksa kembali nilai {column}.",
        ),
        _r(
            "value_over_cap",
            R,
            "{column} is implausibly large: {value}.",
            "{column} terlalu besar: {value}.",
            "Periksa satuan (rupiah, bukan ribuan) dan jumlah digit.",
        ),
        _r(
            "workers_below_units",
            R,
            "Fewer workers ({value}) than business units.",
            "Tenaga kerja ({value}) lebih sedikit dari jumlah unit usaha.",
            "Setiap unit usaha minimal memiliki satu tenaga kerja; periksa kedua isian.",
        ),
        _r(
            "invalid_region",
            R,
            "Unknown kab/kota '{value}'.",
            "Kab/kota '{value}' tidak dikenal.",
            "Gunakan kode Kemendagri (mis. 32.76) atau nama resmi (mis. Kota Depok).",
        ),
        _r(
            "ambiguous_region",
            R,
            "'{value}' fits two kab/kota: Kabupaten {value} and Kota {value}.",
            "'{value}' cocok untuk dua wilayah: Kabupaten {value} dan Kota {value}.",
            "Tulis 'Kabupaten {value}' atau 'Kota {value}', atau kode Kemendagri.",
        ),
        _r(
            "region_mismatch",
            R,
            "Kab/kota {value} is outside the submitting office's area.",
            "Kab/kota {value} berada di luar wilayah dinas pengirim.",
            "Hanya laporkan sentra di wilayah Anda, atau perbaiki kode wilayah.",
        ),
        _r(
            "invalid_subregion",
            R,
            "Kecamatan/desa code '{value}' is not in this kab/kota.",
            "Kode kecamatan/desa '{value}' tidak berada di kab/kota ini.",
            "Periksa kode kecamatan/desa sesuai Kemendagri.",
        ),
        _r(
            "invalid_coordinate",
            R,
            "{column} is not a coordinate: '{value}'.",
            "{column} bukan koordinat: '{value}'.",
            "Tulis koordinat desimal, mis. -7,8123 atau -7.8123.",
        ),
        _r(
            "coordinate_out_of_bounds",
            R,
            "Coordinates ({value}) lie outside Indonesia.",
            "Koordinat ({value}) berada di luar wilayah Indonesia.",
            "Periksa tanda minus lintang dan urutan lintang/bujur.",
        ),
        _r(
            "coordinates_corrected",
            W,
            "Coordinates corrected (a lost minus sign or swapped columns): {value}.",
            "Koordinat diperbaiki (tanda minus hilang atau lintang/bujur tertukar): {value}.",
            "Periksa titik ini; tulis lintang selatan dengan minus, lintang sebelum bujur.",
        ),
        _r(
            "coordinate_far_from_region",
            W,
            "Coordinates ({value}) lie far from the kab/kota's other sentra in this file.",
            "Koordinat ({value}) jauh dari sentra lain di kab/kota yang sama dalam berkas ini.",
            "Periksa titik koordinat dan kab/kota sentra ini; jangan salin koordinat baris lain.",
        ),
        _r(
            "coordinate_shared",
            W,
            "The same coordinates ({value}) are written for several sentra.",
            "Koordinat yang sama ({value}) ditulis untuk beberapa sentra.",
            "Isi titik koordinat masing-masing sentra, bukan koordinat kantor atau pusat kab/kota.",
        ),
        _r(
            "implausible_year",
            R,
            "Year established {value} is not plausible.",
            "Tahun berdiri {value} tidak wajar.",
            "Tulis tahun empat digit, mis. 2015.",
        ),
        _r(
            "invalid_date",
            R,
            "{column} is not a date: '{value}'.",
            "{column} bukan tanggal: '{value}'.",
            "Tulis tanggal seperti 12 Agustus 2024.",
        ),
        _r(
            "unknown_status",
            R,
            "Status '{value}' is not recognised.",
            "Status '{value}' tidak dikenali.",
            "Isi status dengan 'Aktif', 'Kurang Aktif' atau 'Tidak Aktif'.",
        ),
        _r(
            "unknown_commodity",
            R,
            "Commodity '{value}' is not recognised.",
            "Komoditas '{value}' tidak dikenali.",
            "Gunakan nama komoditas dari daftar pada templat.",
        ),
        _r(
            "commodity_from_name",
            W,
            "Commodity is empty; taken from the sentra name: '{value}'.",
            "Komoditas kosong; diambil dari nama sentra: '{value}'.",
            "Isi kolom Komoditas (mis. '{value}') agar tidak bergantung pada nama sentra.",
        ),
        _r(
            "formula_in_cell",
            R,
            "{column} holds a spreadsheet formula; formulas are not accepted.",
            "Isian {column} berisi rumus spreadsheet; rumus tidak diterima.",
            "Tulis nilainya sebagai teks biasa, tanpa awalan =, +, - atau @.",
        ),
        _r(
            "markup_in_cell",
            R,
            "{column} holds HTML or script code; it is not accepted.",
            "Isian {column} berisi kode HTML atau skrip; isian ini tidak diterima.",
            "Tulis isian sebagai teks biasa, tanpa tanda < > atau kode skrip.",
        ),
        _r(
            "duplicate_row",
            R,
            "Exact duplicate of row {value} in the same file.",
            "Sama persis dengan baris {value} pada berkas yang sama.",
            "Hapus baris ganda.",
        ),
        _r(
            "cell_too_long",
            R,
            "{column} is longer than allowed.",
            "Isian {column} terlalu panjang.",
            "Persingkat isian.",
        ),
        _r(
            "unknown_sentra_id",
            R,
            "sentra_id '{value}' is not in the register.",
            "ID sentra '{value}' tidak ada di register.",
            "Jangan mengubah kolom ID sentra pada templat; kosongkan untuk sentra baru.",
        ),
        # --- warnings --------------------------------------------------------------
        _r(
            "formula_neutralised",
            W,
            "A formula in {column} was kept as text.",
            "Rumus pada {column} disimpan sebagai teks.",
            "Tulis nilai, bukan rumus.",
        ),
        _r(
            "high_null_share",
            W,
            "Column {column} is mostly empty ({value}).",
            "Kolom {column} sebagian besar kosong ({value}).",
            "Lengkapi kolom tersebut.",
        ),
        _r(
            "implausible_mean_units",
            W,
            "Average units per sentra is implausible ({value}).",
            "Rata-rata unit usaha per sentra tidak wajar ({value}).",
            "Periksa apakah kolom unit usaha tertukar dengan tenaga kerja.",
        ),
        # --- derived sentra status -------------------------------------------------
        _r(
            "status_reported_closed",
            S,
            "Reported closed or not producing by the office.",
            "Dilaporkan tutup/tidak berproduksi oleh dinas.",
            "Jika masih berproduksi, laporkan status 'Aktif' pada sensus berikutnya.",
        ),
        _r(
            "status_reported_less_active",
            S,
            "Reported 'kurang aktif' (less active) by the office.",
            "Dilaporkan kurang aktif oleh dinas.",
            "Pantau sentra ini; laporkan 'Aktif' bila kegiatannya pulih.",
        ),
        _r(
            "status_below_minimum",
            S,
            "Fewer than {value} business units.",
            "Kurang dari {value} unit usaha (batas minimum sentra).",
            "Pastikan jumlah unit usaha; sentra minimal memiliki {value} unit usaha.",
        ),
        _r(
            "status_inconsistent",
            S,
            "Reported active but with zero workers or production.",
            "Dilaporkan aktif tetapi tenaga kerja atau nilai produksi nol.",
            "Lengkapi tenaga kerja dan nilai produksi, atau ubah status.",
        ),
        _r(
            "status_not_reported",
            S,
            "Registered but missing from this round's submission.",
            "Terdaftar tetapi tidak dilaporkan pada sensus tahun ini.",
            "Laporkan sentra ini beserta statusnya pada pengiriman berikutnya.",
        ),
        _r(
            "status_missing_confirmed",
            S,
            "Not reported or inactive for {value} rounds.",
            "Tidak dilaporkan atau tidak aktif selama {value} putaran sensus.",
            "Jika sentra masih ada, laporkan dengan status 'Aktif'.",
        ),
        _r(
            "status_kept_by_reviewer",
            S,
            "Would be declared inactive, but a reviewer kept it open this round.",
            "Seharusnya dinyatakan tidak aktif, tetapi peninjau pusat mempertahankannya"
            " pada putaran ini.",
            "Kunjungi sentra ini dan laporkan statusnya pada putaran berikutnya.",
        ),
        _r(
            "status_revived",
            S,
            "Previously inactive, reported active again.",
            "Sebelumnya tidak aktif, kini dilaporkan aktif kembali.",
            "Tidak perlu tindakan.",
        ),
        _r("status_active", S, "Reported active.", "Dilaporkan aktif.", "Tidak perlu tindakan."),
    ]
}


def reason(code: str) -> ReasonCode:
    """Look up a reason code; unknown codes are a programming error, so fail loudly."""
    try:
        return REASONS[code]
    except KeyError:
        raise KeyError(f"unknown reason code {code!r}; add it to sentra.schema.REASONS") from None


@dataclass(frozen=True)
class Field:
    """One column of the canonical record."""

    name: str
    type: pa.DataType
    label_id: str  # header in templates and reports
    description_en: str
    description_id: str
    required: bool = False
    pii: bool = False
    free_text: bool = False  # typed by people: masked for personal data before publishing


CENSUS_FIELDS: tuple[Field, ...] = (
    Field(
        "census_year",
        pa.int16(),
        "Tahun Sensus",
        "Census round (year).",
        "Tahun putaran sensus.",
        required=True,
    ),
    Field(
        "sentra_id",
        pa.string(),
        "ID Sentra",
        "Stable register ID (prefilled templates carry it; new sentra leave it empty).",
        "ID register yang tetap (terisi pada templat; kosong untuk sentra baru).",
    ),
    Field(
        "region_code",
        pa.string(),
        "Kode Kab/Kota",
        "Kemendagri kab/kota code, dotted (32.76).",
        "Kode kab/kota Kemendagri, bertitik (32.76).",
        required=True,
    ),
    Field(
        "province_code",
        pa.string(),
        "Kode Provinsi",
        "Kemendagri province code (32).",
        "Kode provinsi Kemendagri (32).",
    ),
    Field(
        "kecamatan_code",
        pa.string(),
        "Kode Kecamatan",
        "Kecamatan code (32.76.01); the name as written where no code was given or found.",
        "Kode kecamatan (32.76.01); nama seperti ditulis bila kode tidak ada atau tak dikenali.",
    ),
    Field(
        "desa_code",
        pa.string(),
        "Kode Desa/Kelurahan",
        "Desa code (32.76.01.1001); the name as written where no code was given or found.",
        "Kode desa/kelurahan (32.76.01.1001); nama seperti ditulis bila kode tidak ada"
        " atau tak dikenali.",
    ),
    Field(
        "sentra_name",
        pa.string(),
        "Nama Sentra",
        "Name of the sentra as reported.",
        "Nama sentra sesuai laporan.",
        required=True,
        free_text=True,  # offices write "Sentra Batik Pak Darto 0812..." too
    ),
    Field(
        "commodity",
        pa.string(),
        "Komoditas",
        "Product made, normalised.",
        "Produk yang dihasilkan (dinormalisasi).",
        required=True,
    ),
    Field(
        "commodity_group",
        pa.string(),
        "Kelompok Komoditas",
        "OVOP commodity group or 'lainnya'.",
        "Kelompok komoditas OVOP atau 'lainnya'.",
    ),
    Field(
        "units",
        pa.int32(),
        "Jumlah Unit Usaha",
        "Number of business units (IKM).",
        "Jumlah unit usaha (IKM).",
        required=True,
    ),
    Field(
        "workers",
        pa.int32(),
        "Tenaga Kerja",
        "Number of workers (people).",
        "Jumlah tenaga kerja (orang).",
    ),
    Field(
        "production_value",
        pa.int64(),
        "Nilai Produksi (Rp)",
        "Production value per year, rupiah.",
        "Nilai produksi per tahun (rupiah).",
    ),
    Field(
        "investment_value",
        pa.int64(),
        "Nilai Investasi (Rp)",
        "Investment, rupiah.",
        "Nilai investasi (rupiah).",
    ),
    Field(
        "address",
        pa.string(),
        "Alamat",
        "Street/village address.",
        "Alamat sentra.",
        free_text=True,
    ),
    Field(
        "latitude",
        pa.float64(),
        "Lintang",
        "Latitude, WGS84 decimal degrees.",
        "Lintang (derajat desimal WGS84).",
    ),
    Field(
        "longitude",
        pa.float64(),
        "Bujur",
        "Longitude, WGS84 decimal degrees.",
        "Bujur (derajat desimal WGS84).",
    ),
    Field(
        "reported_status",
        pa.string(),
        "Status",
        "Status reported by the office.",
        "Status menurut laporan dinas (active/inactive).",
    ),
    Field(
        "year_established",
        pa.int16(),
        "Tahun Berdiri",
        "Year the sentra was established.",
        "Tahun sentra berdiri.",
    ),
    Field(
        "legal_basis",
        pa.string(),
        "Dasar Hukum (SK)",
        "Decree establishing the sentra (SK bupati/walikota).",
        "Nomor SK bupati/walikota penetapan sentra.",
    ),
    Field(
        "visit_date",
        pa.date32(),
        "Tanggal Kunjungan",
        "Date of the field visit.",
        "Tanggal verifikasi lapangan.",
    ),
    Field(
        "contact_name",
        pa.string(),
        "Nama Kontak",
        "Contact person (personal data).",
        "Nama narahubung (data pribadi).",
        pii=True,
    ),
    Field(
        "contact_phone",
        pa.string(),
        "No. Telepon",
        "Contact phone (personal data).",
        "Nomor telepon narahubung (data pribadi).",
        pii=True,
    ),
    Field(
        "remarks",
        pa.string(),
        "Keterangan",
        "Free-text remarks.",
        "Keterangan bebas.",
        free_text=True,
    ),
)

LINEAGE_FIELDS: tuple[Field, ...] = (
    Field(
        "submission_id",
        pa.string(),
        "ID Kiriman",
        "Ledger ID of the submitted file.",
        "ID berkas kiriman di ledger.",
        required=True,
    ),
    Field(
        "office_code",
        pa.string(),
        "Kode Dinas",
        "Region code of the submitting office (province or kab/kota).",
        "Kode wilayah dinas pengirim (provinsi atau kab/kota).",
        required=True,
    ),
    Field(
        "source_file", pa.string(), "Berkas", "File name as submitted.", "Nama berkas yang dikirim."
    ),
    Field(
        "source_sheet",
        pa.string(),
        "Lembar",
        "Sheet name (spreadsheets).",
        "Nama lembar kerja (Excel).",
    ),
    Field(
        "source_row",
        pa.int32(),
        "Baris",
        "Row number as the office sees it in its own file (1-based, header included).",
        "Nomor baris seperti terlihat di berkas dinas (mulai 1, termasuk judul).",
        required=True,
    ),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in (*CENSUS_FIELDS, *LINEAGE_FIELDS)}
CENSUS_COLUMNS: tuple[str, ...] = tuple(f.name for f in CENSUS_FIELDS)
REQUIRED_COLUMNS: tuple[str, ...] = ("sentra_name", "region_code", "commodity", "units")
PII_COLUMNS: tuple[str, ...] = tuple(f.name for f in CENSUS_FIELDS if f.pii)

# What the national register keeps about a sentra besides its id and bookkeeping: the
# ledger's register table and a new register entry from matching both carry these.
REGISTER_ATTRIBUTES: tuple[str, ...] = (
    "region_code",
    "province_code",
    "sentra_name",
    "commodity",
    "commodity_group",
    "kecamatan_code",
    "desa_code",
    "address",
    "latitude",
    "longitude",
    "units",
)
NUMERIC_COLUMNS: tuple[str, ...] = ("units", "workers", "production_value", "investment_value")

# Every staged row: lineage + canonical fields + its verdict.
VERDICT_FIELDS: tuple[pa.Field, ...] = (
    pa.field("accepted", pa.bool_(), nullable=False),
    pa.field("reason_codes", pa.list_(pa.string())),
    pa.field("problems", pa.string()),  # JSON list of {code, column, value}: the details
)


def census_arrow_schema(*, include_pii: bool = True) -> pa.Schema:
    """Arrow schema of a normalised record with lineage (what staging stores).

    Only lineage and the census year are non-null at the Arrow level: a rejected row
    may lack a required value, and it must still be stored with its reasons.
    """
    cols = [*LINEAGE_FIELDS, *CENSUS_FIELDS]
    never_null = {f.name for f in LINEAGE_FIELDS if f.required} | {"census_year"}
    return pa.schema(
        [
            pa.field(f.name, f.type, nullable=f.name not in never_null)
            for f in cols
            if include_pii or not f.pii
        ]
    )


def staged_arrow_schema() -> pa.Schema:
    """Schema of staged rows: every source row of a submission with its verdict."""
    base = census_arrow_schema()
    for fld in VERDICT_FIELDS:
        base = base.append(fld)
    return base


def column_label(name: str) -> str:
    """Indonesian label of a column for offices; falls back to the column name."""
    f = FIELDS_BY_NAME.get(name)
    return f.label_id if f else name
