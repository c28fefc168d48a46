"""One big office-style file, for benchmarks: the same messiness as a census round.

``sample_rows`` draws an office's rows (sentra of its area, topped up with fresh ones)
with the round's mistakes injected; ``write_single_file`` writes them as one CSV, XLSX
or JSON in the office style and returns the truth per row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sentra.reference import regions
from sentra.synth.rounds import (
    STATUS_ACTIVE,
    STATUS_INACTIVE,
    Messiness,
    build_rows,
    choose_style,
    row_truth,
    write_office_file,
)
from sentra.synth.world import World, generate_world, make_sentra

XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, title block and header included


def sample_rows(
    world: World,
    n: int,
    seed: int,
    *,
    office_code: str | None = None,
    messiness: Messiness | None = None,
    census_year: int = 2026,
) -> pd.DataFrame:
    """``n`` data rows as ``office_code`` (default: the world's busiest province) reports them.

    The office's own sentra come first; beyond them, fresh sentra of its kab/kota (not
    added to the world). Exact and fuzzy duplicates are included within the ``n`` rows.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    mess = messiness or Messiness()
    rng = np.random.default_rng([seed, census_year, 7])
    idx = regions()
    office = office_code or str(world.sentra["province_code"].value_counts().idxmax())
    if not idx.is_office(office):
        raise ValueError(f"office_code {office!r} is not a province or kab/kota code")
    area = {r.code for r in idx.kabkota_of(office)}
    own = world.sentra[world.sentra["region_code"].isin(area)]
    own = own.iloc[rng.permutation(len(own))[:n]]
    missing = n - len(own)
    if missing:
        kab = np.asarray(sorted(area), dtype=object)
        fresh = make_sentra(rng, missing, rng.choice(kab, missing), world.next_entity)
        own = pd.concat([own, fresh], ignore_index=True)
    closed = rng.random(len(own)) < 0.08
    own = own.assign(
        _status=np.where(
            closed, rng.choice(STATUS_INACTIVE, len(own)), rng.choice(STATUS_ACTIVE, len(own))
        )
    )
    rows = build_rows(
        office, own, rng, mess, with_ids=False, province_file=False, census_year=census_year
    )
    rows = rows.iloc[:n].reset_index(drop=True)
    rows["office_code"] = office
    return rows


def write_single_file(
    rows: pd.DataFrame,
    path: Path,
    fmt: str,
    *,
    title_block: bool = True,
    seed: int = 0,
    census_year: int = 2026,
) -> pd.DataFrame:
    """Write ``rows`` (from :func:`sample_rows`) to one file; returns the truth per row."""
    path = Path(path)
    if "office_code" not in rows or rows.empty:
        raise ValueError("rows must come from sample_rows (an office_code column, ≥ 1 row)")
    if fmt == "xlsx" and len(rows) + 10 > XLSX_MAX_ROWS:
        raise ValueError(f"{len(rows):,} rows do not fit one XLSX sheet ({XLSX_MAX_ROWS:,})")
    office = str(rows["office_code"].iloc[0])
    rng = np.random.default_rng([seed, census_year, 11])
    region = regions().get(office)
    if region is None:
        raise ValueError(f"office {office!r} is not a Kemendagri region")
    name = region.name
    with_ids = bool(rows["sentra_id"].notna().any())
    style = choose_style(fmt, name, census_year, with_ids=with_ids, rng=rng, mess=Messiness())
    if not title_block:
        style.title_rows = []
    style.instructions = None  # benchmarks read the data sheet, not the instructions
    layout = write_office_file(path, rows, fmt, style, office, rng)
    truth = row_truth(rows, layout)
    truth.insert(0, "file_name", path.name)
    truth.insert(0, "office_code", office)
    return truth


def write_bulk_file(
    path: Path,
    *,
    n_rows: int,
    fmt: str,
    seed: int,
    office_code: str = "34",
    messiness: Messiness | None = None,
) -> pd.DataFrame:
    """Write ``n_rows`` data rows of ``office_code`` to ``path``; returns the truth rows."""
    world = generate_world(n_sentra=min(n_rows, 2000), seed=seed, provinces=[office_code[:2]])
    rows = sample_rows(world, n_rows, seed, office_code=office_code, messiness=messiness)
    return write_single_file(rows, path, fmt, seed=seed)


def write_national_files(
    folder: Path,
    *,
    n_rows: int,
    seed: int,
    messiness: Messiness | None = None,
) -> tuple[list[Path], pd.DataFrame]:
    """``n_rows`` rows spread over every province by its number of kab/kota, one CSV each.

    The density a national register has (Indonesia's ~10,000 sentra sit in 514 kab/kota),
    scaled up: a million rows are about 1,900 per kab/kota, where :func:`write_bulk_file`
    packs them all into one province's few kab/kota. Entity ids in the truth are prefixed
    with the province, since each province's fresh sentra are numbered on their own.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    idx = regions()
    weight = {p: len(idx.kabkota_of(p)) for p in sorted(idx.provinces)}
    total = sum(weight.values())
    world = generate_world(n_sentra=min(n_rows, 10_000), seed=seed)
    paths, truths = [], []
    allotted = 0
    for i, (province, w) in enumerate(weight.items()):
        n = n_rows - allotted if i == len(weight) - 1 else round(n_rows * w / total)
        allotted += n
        if n < 1:
            continue
        rows = sample_rows(world, n, seed, office_code=province, messiness=messiness)
        path = folder / f"{province}.csv"
        truth = write_single_file(rows, path, "csv", seed=seed)
        truth["entity_id"] = province + ":" + truth["entity_id"].astype(str)
        paths.append(path)
        truths.append(truth)
    return paths, pd.concat(truths, ignore_index=True)
