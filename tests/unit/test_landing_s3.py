"""Landing discovery on S3-compatible storage: the same code path as a local folder.

Runs against a real S3 API (``moto_server`` on loopback) when that executable is on
PATH; skips with the reason otherwise. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from moto_s3 import moto_endpoint, needs_moto, put

from sentra.config import Settings
from sentra.landing import discover, discover_and_record, open_file
from sentra.ledger.db import migrate, session_scope

pytestmark = needs_moto


@pytest.fixture(scope="module")
def s3_endpoint():
    yield from moto_endpoint()


@pytest.fixture
def s3_settings(s3_endpoint, tmp_path, request):
    bucket = f"landing-{request.node.name.lower().replace('_', '-')[:40]}"
    settings = Settings(
        data_dir=tmp_path / "data",
        landing_uri=f"s3://{bucket}/census",
        s3_endpoint=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    ).resolved()
    put(s3_endpoint, bucket, b"")
    return settings, s3_endpoint, bucket


def test_s3_landing_is_discovered_like_a_local_folder(s3_settings):
    settings, fs, bucket = s3_settings
    payload = b"Nama Sentra;Kab/Kota\nGerabah Kasongan;34.02\n" * 1000
    put(fs, f"{bucket}/census/2026/34.02/data.csv", payload)
    put(fs, f"{bucket}/census/2026/34.02/~$data.xlsx", b"lock")
    put(fs, f"{bucket}/census/2026/Bantul/x.csv", b"x")
    files = {f.file_name: f for f in discover(settings, 2026)}
    data = files["data.csv"]
    assert data.file_uri == f"s3://{bucket}/census/2026/34.02/data.csv"
    assert data.sha256 == hashlib.sha256(payload).hexdigest()
    assert data.size_bytes == len(payload)
    assert abs((datetime.now(UTC) - data.modified_at).total_seconds()) < 300
    assert files["~$data.xlsx"].ignored
    assert files["x.csv"].problem == "unknown_office"
    assert open_file(settings, data.file_uri) == payload


def test_s3_keys_with_dot_dot_are_refused(s3_settings):
    settings, fs, bucket = s3_settings
    put(fs, f"{bucket}/census/2026/34.02/../../escape.csv", b"x")
    files = discover(settings, 2026)
    assert [(f.file_name, f.problem) for f in files] == [("escape.csv", "outside_landing")]


def test_s3_discovery_recorded_once(s3_settings):
    settings, fs, bucket = s3_settings
    migrate(settings)
    put(fs, f"{bucket}/census/2026/34.71/a.csv", b"a")
    first = discover_and_record(settings, 2026, lambda: session_scope(settings))
    again = discover_and_record(settings, 2026, lambda: session_scope(settings))
    assert len(first.new) == 1
    assert (again.new, again.known) == ([], first.new)
