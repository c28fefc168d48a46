"""The sentra command: the debugging commands data engineers and analysts use."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from sentra.cli import main

HEADER = ["Nama Sentra", "Kab/Kota", "Komoditas", "Jumlah Unit Usaha", "Tenaga Kerja", "Status"]


def _file(
    tmp_path: Path,
    rows: list[list[str]],
    *,
    name: str = "laporan.csv",
    header: list[str] = HEADER,
) -> Path:
    folder = tmp_path / "landing" / "2026" / "34.02"
    folder.mkdir(parents=True)
    path = folder / name
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows([header, *rows])
    path.write_text(buf.getvalue())
    return path


def test_help_lists_every_command_and_loads_them():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "synth", "ingest", "validate", "sql", "snapshots", "docs", "settings"):
        assert name in result.output
        assert main.get_command(None, name) is not None, name


def test_ingest_shows_row_numbers_and_indonesian_messages(tmp_path):
    path = _file(tmp_path, [["Sentra A", "34.02", "Gerabah", "banyak", "3", "Aktif"]])
    result = CliRunner().invoke(main, ["ingest", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "'Jumlah Unit Usaha' → units" in result.output
    assert "bukan angka" in result.output
    assert "│ 2 " in result.output, "the office's own row number"


def test_cells_that_look_like_markup_are_shown_as_written(tmp_path):
    """rich reads "[...]" as markup: "[red]40" was shown as 40, and "x[/]" stopped
    sentra ingest and sentra validate with a MarkupError."""
    path = _file(
        tmp_path,
        [["Sentra A", "34.02", "Gerabah", "[red]40", "x[/]", "Aktif", ""]],
        name="laporan [final].csv",
        header=[*HEADER, "Kolom tambahan [/]"],
    )
    ingest = CliRunner().invoke(main, ["ingest", str(path)], terminal_width=250)
    assert ingest.exit_code == 0, ingest.output
    assert "not mapped: Kolom tambahan [/]" in ingest.output
    validate = CliRunner().invoke(main, ["validate", str(path)], terminal_width=250)
    assert validate.exit_code in (0, 1), validate.output  # 1: held, not a crash
    assert "Masalah per baris: laporan [final].csv" in validate.output
    for out in (ingest.output, validate.output):
        assert "'[red]40'" in out
        assert "'x[/]'" in out


def test_ingest_lists_the_first_problems_and_counts_them_all(tmp_path):
    """A large file has thousands of problems: the listing stops at --limit and says so,
    and every problem is still counted by column and reason, with its first row."""
    rows = [["Sentra A", "34.02", "Gerabah", "banyak", "3", "Aktif"]] * 30
    rows += [["Sentra B", "99.99", "Gerabah", "4", "3", "Aktif"]] * 12
    rows += [["", "", "", "", "", ""]] * 25  # blank rows: skipped, each listed or counted
    path = _file(tmp_path, rows)
    result = CliRunner().invoke(main, ["ingest", str(path), "--limit", "5"], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(hanya 5 dari 42 masalah ditampilkan; --limit 0 untuk semua)" in out
    assert out.count("bukan angka") == 5, "five problems listed, not 42"
    summary = out[out.index("Semua masalah per kolom dan kode") :]
    assert "│ Jumlah Unit Usaha │ invalid_number │ 30     │ 2 " in summary
    assert "│ Kode Kab/Kota     │ invalid_region │ 12     │ 32 " in summary
    assert "skipped: 25 blank" in out
    assert out.count("(blank)") == 20
    assert "… and 5 more skipped rows" in out

    everything = CliRunner().invoke(main, ["ingest", str(path), "--limit", "0"])
    assert everything.exit_code == 0, everything.output
    assert everything.output.count("bukan angka") == 30
    assert "hanya" not in everything.output


def test_a_long_problem_listing_counts_in_indonesian_digits():
    import pandas as pd
    from rich.console import Console

    from sentra.cli.submission import print_problems

    problem = {"code": "invalid_number", "column": "units", "value": "banyak"}
    rows = pd.DataFrame({"source_row": range(2, 1202), "problems": [[problem]] * 1200})
    console = Console(record=True, width=200)
    print_problems(console, rows, title="Masalah", limit=5)
    out = console.export_text()
    assert "(hanya 5 dari 1.200 masalah ditampilkan; --limit 0 untuk semua)" in out
    assert "│ Jumlah Unit Usaha │ invalid_number │ 1.200  │ 2 " in out


def test_problem_summary_counts_every_problem_by_column_and_reason():
    import pandas as pd

    from sentra.cli.submission import problem_summary

    def problem(column, code):
        return {"code": code, "column": column, "value": "x"}

    rows = pd.DataFrame(
        {
            "source_row": [5, 6, 9, 12],
            "problems": [
                [problem("units", "invalid_number"), problem("region_code", "invalid_region")],
                [],
                [problem("region_code", "invalid_region")],
                [problem("region_code", "invalid_region")],
            ],
        }
    )
    assert problem_summary(rows) == [
        ("Kode Kab/Kota", "invalid_region", 3, "5"),
        ("Jumlah Unit Usaha", "invalid_number", 1, "5"),
    ]


def test_validate_exits_1_when_the_file_would_be_held(tmp_path):
    bad = [["", "99.99", "Gerabah", "-1", "3", "Aktif"]] * 3
    path = _file(tmp_path, [["Sentra A", "34.02", "Gerabah", "10", "12", "Aktif"], *bad])
    result = CliRunner().invoke(main, ["validate", str(path)], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "DITAHAN" in result.output
    assert "4 baris: 1 diterima, 3 ditolak (75,0%; batas 20%)." in result.output  # id digits


def test_unreadable_file_exits_2(tmp_path):
    folder = tmp_path / "landing" / "2026" / "34.02"
    folder.mkdir(parents=True)
    (folder / "x.xlsx").write_bytes(b"not a workbook")
    result = CliRunner().invoke(main, ["ingest", str(folder / "x.xlsx")])
    assert result.exit_code == 2
    assert "file_unreadable" in result.output


def test_sql_refuses_writes_with_a_clear_message(settings):
    result = CliRunner().invoke(main, ["sql", "DELETE FROM sentra"])
    assert result.exit_code != 0
    assert "only SELECT" in result.output


def test_data_dictionary_in_docs_is_current():
    from sentra.warehouse.dictionary import render_data_dictionary

    committed = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
    assert committed.read_text() == render_data_dictionary(), "run `make docs` and commit"


def test_office_directory_validation_names_the_line(tmp_path):
    bad = tmp_path / "offices.csv"
    bad.write_text(
        "office_code,office_name,province_code,emails\n"
        "99.99,X,99,a@b.id\n"
        "34.02,Dinas Bantul,34,not-an-email\n"
        "34.02,Dinas Bantul,34,dinas@bantul.go.id\n"
    )
    result = CliRunner().invoke(main, ["offices", "validate", str(bad)])
    assert result.exit_code == 1
    assert "line 2: office_code '99.99'" in result.output
    assert "line 3: invalid email address not-an-email" in result.output


def test_office_directory_import_then_list(tmp_path, settings):
    good = tmp_path / "offices.csv"
    good.write_text(
        "office_code,office_name,province_code,emails\n"
        "3402,Dinas Perindustrian Kabupaten Bantul,34,a@bantul.go.id;b@bantul.go.id\n"
    )
    assert CliRunner().invoke(main, ["offices", "import", str(good)]).exit_code == 0
    listed = CliRunner().invoke(main, ["offices", "list"], env={"COLUMNS": "200"})
    assert "34.02" in listed.output, "codes are stored in the dotted form"
    assert "a@bantul.go.id, b@bantul.go.id" in listed.output


def test_ingest_json_has_verdict_mapping_and_every_row(tmp_path):
    import json

    path = _file(
        tmp_path,
        [
            ["Sentra A", "34.02", "Gerabah", "banyak", "3", "Aktif"],
            ["Sentra B", "34.02", "Batik", "12", "30", "Kurang Aktif"],
        ],
        header=["Nama Sentra", "kode_kab", "Komoditas", "Jml Unit", "Jml TK", "Status"],
    )
    result = CliRunner().invoke(main, ["ingest", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["verdict"] == "read"
    assert doc["column_mapping"]["kode_kab"] == "region_code"
    assert doc["column_mapping"]["Jml Unit"] == "units"
    first, second = doc["rows"]
    assert (first["source_row"], first["verdict"], first["reason_codes"]) == (
        2,
        "rejected",
        ["invalid_number"],
    )
    assert first["problems"][0]["message_id"] == "Jumlah Unit Usaha bukan angka: 'banyak'."
    assert (second["verdict"], second["values"]["units"]) == ("accepted", 12)
    assert second["values"]["reported_status"] == "less_active"


def test_validate_json_and_a_refused_file(tmp_path):
    import json

    path = _file(tmp_path, [["Sentra A", "34.02", "Gerabah", "25", "40", "Aktif"]])
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["verdict"] == "accepted"
    assert doc["rows"][0]["verdict"] == "accepted"
    assert doc["rows"][0]["values"]["region_code"] == "34.02"

    empty = _file(tmp_path / "b", [], name="kosong.csv")
    result = CliRunner().invoke(main, ["validate", str(empty), "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["verdict"] == "rejected"
    assert doc["file_error"]["code"] == "no_data_rows"
    assert "tidak ada baris data" in doc["file_error"]["message_id"]
