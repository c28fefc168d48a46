"""The census-year lock lives exactly as long as the process holding it.

A consolidation holds its census year's lock while it writes. If the worker is killed
(OOM, a node going away), the lock must go with it, so the retry can start at once
instead of waiting out a timeout. Both ledgers: SQLite (flock) and, when it runs, the
machine's PostgreSQL (session advisory lock).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import POSTGRES_AVAILABLE, throwaway_databases, unique_name

pytestmark = pytest.mark.integration

HOLDER = """
import sys, time
from sentra.config import get_settings
from sentra.ledger.db import census_year_lock
with census_year_lock(2026, get_settings()):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_env(request, tmp_path):
    """Environment naming a fresh ledger of each kind."""
    env = {**os.environ, "SENTRA_DATA_DIR": str(tmp_path)}
    if request.param == "sqlite":
        yield env
        return
    if not POSTGRES_AVAILABLE:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    with throwaway_databases(unique_name("sentra_lock")) as [url]:
        yield {**env, "SENTRA_LEDGER_URL": url}


def _settings(env):
    from sentra.config import get_settings

    return get_settings({k: v for k, v in env.items() if k.startswith("SENTRA_")})


def test_the_lock_is_exclusive_and_dies_with_its_holder(ledger_env):
    from sentra.ledger.db import LockBusy, census_year_lock

    settings = _settings(ledger_env)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=ledger_env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match="2026"), census_year_lock(2026, settings):
            pass
        with census_year_lock(2027, settings):  # another year is free
            pass
        holder.send_signal(signal.SIGKILL)  # no finally, no unlock: the process is gone
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:
            try:
                with census_year_lock(2026, settings):
                    break
            except LockBusy:
                # PostgreSQL ends the dead client's backend as soon as it sees the socket
                # close; give it a moment rather than assuming it is instantaneous.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
