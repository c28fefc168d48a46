"""``sentra run s3://…``: the landing layout read in place, a flat prefix placed locally.

Against a real S3 API (``moto_server`` on loopback, as in test_landing_s3); skips
with the reason when it is not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from moto_s3 import moto_endpoint, needs_moto, put

from sentra.config import Settings
from sentra.own_files import place_files, plan_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "own_files"
pytestmark = needs_moto


@pytest.fixture(scope="module")
def endpoint():
    yield from moto_endpoint()


def _settings(endpoint: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        s3_endpoint=endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    ).resolved()


def test_s3_landing_layout_is_read_in_place(endpoint, tmp_path):
    put(endpoint, "kiriman", b"")
    csv = (FIXTURES / "landing/2026/34.04/sentra_sleman.csv").read_bytes()
    put(endpoint, "kiriman/landing/2025/34.04/sleman.csv", csv)
    put(endpoint, "kiriman/landing/2026/34.04/sleman.csv", csv)
    plan = plan_landing("s3://kiriman/landing", _settings(endpoint, tmp_path))
    assert (plan.landing_uri, plan.years, plan.placed) == ("s3://kiriman/landing", [2025, 2026], [])


def test_flat_s3_prefix_is_placed_into_the_local_landing(endpoint, tmp_path):
    put(endpoint, "flat", b"")
    data = (FIXTURES / "flat/data sentra 2026.xlsx").read_bytes()
    put(endpoint, "flat/files/data sentra 2026.xlsx", data)
    settings = _settings(endpoint, tmp_path)
    plan = plan_landing("s3://flat/files", settings, years=[2026])
    assert [(f.office_code, f.how) for f in plan.placed] == [("34.01", "content")]
    place_files(plan, settings, 2026)
    assert (Path(settings.landing_uri) / "2026/34.01/data sentra 2026.xlsx").read_bytes() == data
