"""``sentra run s3://…``: the landing layout read in place, a flat prefix placed locally.

Against a real S3 API (``moto_server`` on loopback, as in test_landing_s3); skips
with the reason when it is not installed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sentra.config import Settings
from sentra.own_files import place_files, plan_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "own_files"
_VENV_MOTO = Path(sys.executable).with_name("moto_server")
MOTO = str(_VENV_MOTO) if _VENV_MOTO.exists() else shutil.which("moto_server")
pytestmark = pytest.mark.skipif(
    MOTO is None, reason="moto_server not on PATH: no S3-compatible endpoint to test against"
)


@pytest.fixture(scope="module")
def endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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


def _put(endpoint: str, key: str, data: bytes) -> None:
    """A plain PUT (pyarrow's writer uses multipart uploads, which moto does not complete)."""
    request = urllib.request.Request(
        f"{endpoint}/{urllib.parse.quote(key)}", data=data, method="PUT",
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _settings(endpoint: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        s3_endpoint=endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    ).resolved()


def test_s3_landing_layout_is_read_in_place(endpoint, tmp_path):
    _put(endpoint, "kiriman", b"")
    csv = (FIXTURES / "landing/2026/34.04/sentra_sleman.csv").read_bytes()
    _put(endpoint, "kiriman/landing/2025/34.04/sleman.csv", csv)
    _put(endpoint, "kiriman/landing/2026/34.04/sleman.csv", csv)
    plan = plan_landing("s3://kiriman/landing", _settings(endpoint, tmp_path))
    assert (plan.landing_uri, plan.years, plan.placed) == ("s3://kiriman/landing", [2025, 2026], [])


def test_flat_s3_prefix_is_placed_into_the_local_landing(endpoint, tmp_path):
    _put(endpoint, "flat", b"")
    data = (FIXTURES / "flat/data sentra 2026.xlsx").read_bytes()
    _put(endpoint, "flat/files/data sentra 2026.xlsx", data)
    settings = _settings(endpoint, tmp_path)
    plan = plan_landing("s3://flat/files", settings, years=[2026])
    assert [(f.office_code, f.how) for f in plan.placed] == [("34.01", "content")]
    place_files(plan, settings, 2026)
    assert (Path(settings.landing_uri) / "2026/34.01/data sentra 2026.xlsx").read_bytes() == data
