"""The committed data dictionary matches the table definitions, and documents them fully."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sentra.cli import main
from sentra.warehouse.dictionary import render_data_dictionary
from sentra.warehouse.tables import SYSTEM_TABLES, TABLES

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_committed_data_dictionary_is_current():
    assert COMMITTED.read_text() == render_data_dictionary(), (
        "run `sentra docs data-dictionary --output docs/data-dictionary.md` and commit"
    )


def test_every_column_is_described_in_english_and_indonesian():
    text = render_data_dictionary()
    for spec in (*TABLES.values(), *SYSTEM_TABLES.values()):
        assert spec.description_en, spec.name
        assert spec.description_id, spec.name
        for col in spec.columns:
            assert col.description_en.strip(), (spec.name, col.name)
            assert col.description_id.strip(), (spec.name, col.name)
            assert f"| `{col.name}` |" in text


def test_cli_writes_the_dictionary(tmp_path):
    out = tmp_path / "dd.md"
    result = CliRunner().invoke(main, ["docs", "data-dictionary", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text == render_data_dictionary()
    assert "partitioned by `census_year`" in text
    assert "| `verdict` | string | no |" in text
