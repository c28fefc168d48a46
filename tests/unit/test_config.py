"""Settings: embedded defaults under one data dir, env and file overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentra.config import Settings, get_settings


def test_embedded_default_puts_everything_under_data_dir(tmp_path):
    s = get_settings({"SENTRA_DATA_DIR": str(tmp_path / "d")})
    root = tmp_path / "d"
    assert s.data_dir == root
    assert s.landing_uri == str(root / "landing")
    assert s.ledger_url == f"sqlite:///{root / 'ledger.sqlite'}"
    assert s.catalog_url == f"sqlite:///{root / 'catalog.sqlite'}"
    assert s.warehouse_uri == (root / "warehouse").as_uri()
    assert s.outbox_dir == root / "outbox"
    assert not root.exists(), "reading settings must not create anything"


def test_env_overrides_are_typed():
    s = get_settings(
        {
            "SENTRA_REJECT_SHARE_THRESHOLD": "0.35",
            "SENTRA_MIN_UNITS_FOR_SENTRA": "7",
            "SENTRA_MEAN_UNITS_RANGE": "2,300",
            "SENTRA_LEDGER_URL": "postgresql+psycopg2://u:secret@db/ledger",
        }
    )
    assert s.reject_share_threshold == 0.35
    assert s.min_units_for_sentra == 7
    assert s.mean_units_range == (2.0, 300.0)
    assert s.ledger_url.startswith("postgresql")


def test_config_file_then_env(tmp_path):
    cfg = tmp_path / "sentra.toml"
    cfg.write_text('[sentra]\nmax_rows = 10\nmail_mode = "smtp"\n')
    s = get_settings({"SENTRA_CONFIG": str(cfg), "SENTRA_MAX_ROWS": "20"})
    assert s.max_rows == 20, "env wins over the file"
    assert s.mail_mode == "smtp"


def test_invalid_values_name_the_setting():
    with pytest.raises(ValueError, match="SENTRA_MAX_ROWS"):
        get_settings({"SENTRA_MAX_ROWS": "many"})


def test_unknown_keys_in_file_are_refused(tmp_path):
    cfg = tmp_path / "sentra.toml"
    cfg.write_text("[sentra]\nmax_rowz = 10\n")
    with pytest.raises(ValueError, match="max_rowz"):
        get_settings({"SENTRA_CONFIG": str(cfg)})


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="SENTRA_CONFIG"):
        get_settings({"SENTRA_CONFIG": str(tmp_path / "nope.toml")})


def test_redacted_masks_secrets_and_passwords_in_urls():
    s = Settings(
        ledger_url="postgresql://sentra:hunter2@db:5432/ledger", s3_secret_access_key="abc"
    ).resolved()
    shown = s.redacted()
    assert "hunter2" not in str(shown)
    assert shown["s3_secret_access_key"] == "***"
    assert shown["ledger_url"] == "postgresql://***@db:5432/ledger"
    assert isinstance(shown["data_dir"], str)
    assert Path(shown["data_dir"]).is_absolute()


def test_a_misspelt_sentra_variable_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match="SENTRA_REJECT_SHARE_TRESHOLD") as err:
        get_settings({"SENTRA_REJECT_SHARE_TRESHOLD": "0.3"})
    assert "SENTRA_REJECT_SHARE_THRESHOLD" in str(err.value), "the likely intended name is shown"


def test_variables_read_elsewhere_are_not_refused(tmp_path):
    s = get_settings(
        {"SENTRA_EXPECTATIONS_DIR": str(tmp_path), "SENTRA_DATA_DIR": str(tmp_path), "PATH": "/x"}
    )
    assert s.data_dir == tmp_path


def test_tuples_from_env_and_file(tmp_path):
    cfg = tmp_path / "sentra.toml"
    cfg.write_text("[sentra]\nround_reminder_days = [21, 7]\n")
    assert get_settings({"SENTRA_CONFIG": str(cfg)}).round_reminder_days == (21, 7)
    s = get_settings({"SENTRA_CONFIG": str(cfg), "SENTRA_ROUND_REMINDER_DAYS": "10, 2"})
    assert s.round_reminder_days == (10, 2)


def test_settings_are_immutable_and_copied_with_changes():
    s = Settings().resolved()
    with pytest.raises(ValueError, match="frozen"):
        s.max_rows = 3
    assert s.model_copy(update={"max_rows": 3}).max_rows == 3
    assert s.max_rows == 2_000_000
