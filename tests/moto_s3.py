"""A real S3 API for the tests: ``moto_server`` on a loopback port, and a plain PUT.

The lock installs ``moto[server]`` into the venv; other set-ups may have it on PATH.
Tests that use it skip, saying why, when it is absent or does not start. Nothing is
downloaded.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

_VENV_MOTO = Path(sys.executable).with_name("moto_server")
MOTO = str(_VENV_MOTO) if _VENV_MOTO.exists() else shutil.which("moto_server")
needs_moto = pytest.mark.skipif(
    MOTO is None, reason="moto_server not on PATH: no S3-compatible endpoint to test against"
)


def moto_endpoint() -> Iterator[str]:
    """Start moto_server, yield its URL, stop it (for a module-scoped fixture)."""
    assert MOTO is not None
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


def put(endpoint: str, key: str, data: bytes) -> None:
    """A plain PUT (pyarrow's writer uses multipart uploads, which moto does not complete)."""
    request = urllib.request.Request(
        f"{endpoint}/{urllib.parse.quote(key)}",
        data=data,
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},  # not a form to parse
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
