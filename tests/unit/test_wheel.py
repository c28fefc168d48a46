"""The wheel works on its own: runtime dependencies declared, SQL and suites inside.

Built with uv from the cache (``make venv`` put setuptools there), unpacked, and imported
by a Python that sees the unpacked wheel and the venv's third-party packages but not the
editable checkout (``-S``: no ``.pth`` files, so no editable finder), from a folder
outside the repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [str(UV), "build", "--wheel", "--offline", "--out-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("sentra-*.whl")
    return built


def _requirements_in() -> list[str]:
    lines = (ROOT / "requirements.in").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_wheel_declares_the_runtime_dependencies(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode()
    declared = [
        line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Requires-Dist: ")
    ]
    from packaging.requirements import Requirement

    def same(reqs: list[str]) -> list[str]:
        return [str(Requirement(r)) for r in reqs]  # extras sorted, spacing normalised

    assert same(declared) == same(_requirements_in()), "the dependencies are requirements.in"


def test_the_wheel_ships_sql_and_suites_and_finds_them_installed(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    views = sorted(p.stem for p in (ROOT / "sql" / "views").glob("*.sql"))
    suites = sorted(p.name for p in (ROOT / "expectations").glob("*.json"))
    probe = (
        "import json, sentra\n"
        "from sentra.warehouse.query import load_views, sql_dir\n"
        "from sentra.quality.suites import expectations_dir\n"
        "print(json.dumps({'package': sentra.__file__, 'sql': str(sql_dir()),"
        " 'views': sorted(load_views()), 'suites': str(expectations_dir()),"
        " 'suite_files': sorted(p.name for p in expectations_dir().glob('*.json'))}))\n"
    )
    env = {
        "PYTHONPATH": f"{site}:{sysconfig.get_paths()['purelib']}",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["package"].startswith(str(site)), "the wheel, not the checkout, was imported"
    assert got["sql"] == str(site / "sentra" / "sql")
    assert got["views"] == views
    assert got["suites"] == str(site / "sentra" / "expectations")
    assert got["suite_files"] == suites
