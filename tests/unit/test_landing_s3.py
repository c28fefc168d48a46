"""Landing discovery on S3-compatible storage: the same code path as a local folder.

Runs against a real S3 API (``moto_server`` on loopback) when that executable is on
PATH; skips with the reason otherwise. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentra.config import Settings
from sentra.landing import discover, discover_and_record, open_file
from sentra.ledger.db import migrate

# The lock installs moto[server] into the venv; fall back to PATH for other set-ups.
_VENV_MOTO = Path(sys.executable).with_name("moto_server")
MOTO = str(_VENV_MOTO) if _VENV_MOTO.exists() else shutil.which("moto_server")
pytestmark = pytest.mark.skipif(
    MOTO is None, reason="moto_server not on PATH: no S3-compatible endpoint to test against"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    proc = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.skip("moto_server did not start within 20 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


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
    _put(s3_endpoint, bucket, b"")
    return settings, s3_endpoint, bucket


def _put(endpoint: str, key: str, data: bytes) -> None:
    """A plain PUT (pyarrow's writer uses multipart uploads, which moto does not complete)."""
    request = urllib.request.Request(
        f"{endpoint}/{key}",
        data=data,
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},  # not a form to parse
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_s3_landing_is_discovered_like_a_local_folder(s3_settings):
    settings, fs, bucket = s3_settings
    payload = b"Nama Sentra;Kab/Kota\nGerabah Kasongan;34.02\n" * 1000
    _put(fs, f"{bucket}/census/2026/34.02/data.csv", payload)
    _put(fs, f"{bucket}/census/2026/34.02/~$data.xlsx", b"lock")
    _put(fs, f"{bucket}/census/2026/Bantul/x.csv", b"x")
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
    _put(fs, f"{bucket}/census/2026/34.02/../../escape.csv", b"x")
    files = discover(settings, 2026)
    assert [(f.file_name, f.problem) for f in files] == [("escape.csv", "outside_landing")]


def test_s3_discovery_recorded_once(s3_settings):
    settings, fs, bucket = s3_settings
    migrate(settings)
    _put(fs, f"{bucket}/census/2026/34.71/a.csv", b"a")
    first = discover_and_record(settings, 2026)
    again = discover_and_record(settings, 2026)
    assert len(first.new) == 1
    assert (again.new, again.known) == ([], first.new)
