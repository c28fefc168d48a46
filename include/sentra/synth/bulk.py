"""One big office-style file, for benchmarks: the same messiness as a census round.

A province office's file of ``n_rows`` sentra (so every row's kab/kota is inside the
office's area), written as CSV, XLSX or JSON with the round generator's own writers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sentra.reference import regions
from sentra.synth.rounds import (
    STATUS_ACTIVE,
    Messiness,
    _columns,
    _office_rows,
    write_csv,
    write_json,
    write_xlsx,
)
from sentra.synth.world import make_sentra


def write_bulk_file(
    path: Path,
    *,
    n_rows: int,
    fmt: str,
    seed: int,
    office_code: str = "34",
    messiness: Messiness | None = None,
) -> pd.DataFrame:
    """Write ``n_rows`` data rows to ``path``; returns the truth rows (source_row, verdict)."""
    mess = messiness or Messiness()
    rng = np.random.default_rng(seed)
    kab = np.array(sorted(r.code for r in regions().kabkota_of(office_code)))
    sentra = make_sentra(rng, n_rows, rng.choice(kab, n_rows), 0)
    sentra["_status"] = rng.choice(STATUS_ACTIVE, n_rows)
    rows = _office_rows(office_code, sentra, rng, mess, with_ids=False, province_file=False)
    cols = _columns(False, rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        meta, _, _ = write_csv(path, cols, rows, rng, mess)
    elif fmt == "xlsx":
        meta, _ = write_xlsx(path, f"DATA SENTRA IKM {office_code}", cols, rows, rng, mess)
    elif fmt == "json":
        meta = write_json(path, cols, rows, rng)
    else:
        raise ValueError(f"unknown format {fmt!r}; use csv, xlsx or json")
    for m in meta:
        m.pop("_index", None)
    return pd.DataFrame(meta)
