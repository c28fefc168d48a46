"""The synthetic census: deterministic, messy on purpose, and its truth matches its files.

Files are read back here with python-calamine / csv / json and a small parser of
Indonesian numbers written in this test, independently of ``sentra.ingest``, so a bug in
ingestion cannot hide a bug in the generator (nor the other way round).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from sentra import synth
from sentra.reference import regions, subregion_exists
from sentra.schema import REASONS
from sentra.synth.rounds import ROW_ERRORS

YEARS = (2025, 2026)


def _run(root: Path, seed: int = 7, years=YEARS, n: int = 400, **mess):
    world = synth.generate_world(n_sentra=n, seed=seed, provinces=["33", "34"])
    truths = synth.simulate(
        world,
        census_years=list(years),
        landing_dir=root / "landing",
        seed=seed,
        messiness=synth.Messiness(**mess) if mess else None,
    )
    return world, truths


@pytest.fixture(scope="module")
def default_round(tmp_path_factory):
    root = tmp_path_factory.mktemp("round")
    world, truths = _run(root, seed=11, years=(2025, 2026, 2027), n=600)
    return root, world, truths


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


# ------------------------------------------------------- independent reading


def _grid(path: Path, encoding: str | None = None) -> list[list]:
    """Every physical row of the data sheet / CSV, as the office sees it."""
    if path.suffix == ".xlsx":
        wb = CalamineWorkbook.from_path(str(path))
        return wb.get_sheet_by_name("Data Sentra").to_python(skip_empty_area=False)
    raw = path.read_bytes()
    text = raw.decode(encoding or "utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _records(path: Path) -> list[dict]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    return payload["data"] if isinstance(payload, dict) else payload


def _blank(cells) -> bool:
    return all(str(c).strip() == "" for c in cells)


def _number(value) -> float | None:
    """Indonesian number text → float: '1.250.000', 'Rp 1.250.000,-', '1,25 juta', '-7,81'."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    m = re.fullmatch(r"(-?[\d.]+(?:,\d+)?) juta", text)
    if m:
        return float(m.group(1).replace(".", "").replace(",", ".")) * 1_000_000
    text = re.sub(r"^Rp\s*|,-$", "", text)
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        return float(text.replace(".", ""))
    if re.fullmatch(r"-?\d+(,\d+)?", text):
        return float(text.replace(",", "."))
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    return None


def _file_rows(root: Path, truth, f: dict) -> dict[int, dict[str, object]]:
    """Data rows of one file keyed by source_row, as {canonical column: cell}."""
    path = root / "landing" / str(truth.census_year) / f["office_code"] / f["file_name"]
    cols = list(f["columns"])
    if f["format"] == "json":
        keys = {c: synth.render.JSON_KEYS[c] for c in cols}
        return {i: {c: r.get(k) for c, k in keys.items()} for i, r in enumerate(_records(path), 1)}
    grid = _grid(path, f["encoding"])
    header_row = int(f["header_row"])
    header = grid[header_row - 1]
    offset = 1 if str(header[0]) == "No" else 0
    assert [str(h) for h in header[offset : offset + len(cols)]] == list(f["headers"])
    out = {}
    for r, cells in enumerate(grid[header_row:], start=header_row + 1):
        if _blank(cells):
            continue
        values = dict(zip(cols, cells[offset:], strict=True))
        if str(values.get("sentra_name")) in ("Jumlah", "Total", "JUMLAH"):
            continue
        out[r] = values
    return out


def _checked_region(cell, office: str) -> tuple[bool, str | None]:
    region = regions().resolve_kabkota(cell, within=office)
    if region is None:
        return False, None
    return region.code.startswith(office), region.code


# ---------------------------------------------------------------- the tests


def test_same_seed_same_bytes_and_truth_other_seed_differs(tmp_path):
    _run(tmp_path / "a", seed=3, n=250)
    _run(tmp_path / "b", seed=3, n=250)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    _run(tmp_path / "c", seed=4, n=250)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_truth_rows_are_exactly_the_data_rows_in_the_files(default_round):
    root, _, truths = default_round
    for truth in truths:
        assert len(truth.rows) == truth.files["n_rows"].sum()
        for f in truth.files.to_dict("records"):
            mine = truth.rows[truth.rows["file_name"] == f["file_name"]]
            data = _file_rows(root, truth, f)
            assert sorted(data) == sorted(mine["source_row"]), f["file_name"]
            if f["format"] == "json":
                continue
            # Every physical row is either a data row or a listed non-data row.
            path = root / "landing" / str(truth.census_year) / f["office_code"] / f["file_name"]
            grid = _grid(path, f["encoding"])
            nondata = truth.nondata[
                (truth.nondata["file_name"] == f["file_name"])
                & (truth.nondata["kind"] != "instructions")
            ]
            last = max(r for r, cells in enumerate(grid, 1) if not _blank(cells))
            assert sorted([*data, *nondata["source_row"]]) == list(range(1, last + 1))
        stored = pd.read_parquet(root / "truth" / str(truth.census_year) / "truth_rows.parquet")
        assert len(stored) == len(truth.rows)


def test_accepted_rows_are_valid_and_each_rejected_row_shows_its_one_mistake(default_round):
    root, _, truths = default_round
    checked = 0
    for truth in truths:
        year = truth.census_year
        for f in truth.files.to_dict("records"):
            data = _file_rows(root, truth, f)
            mine = truth.rows[truth.rows["file_name"] == f["file_name"]]
            for r in mine.itertuples():
                v = data[r.source_row]
                units, workers = _number(v["units"]), _number(v["workers"])
                in_area, _ = _checked_region(v["region_code"], f["office_code"])
                if "coordinates" in v:
                    lat, lon = (_number(x) for x in str(v["coordinates"]).split(";"))
                else:
                    lat, lon = _number(v["latitude"]), _number(v["longitude"])
                year_est = _number(v["year_established"])
                office = f["office_code"]
                valid = {
                    "missing_name": bool(str(v["sentra_name"] or "").strip()),
                    "invalid_number": units is not None,
                    "negative_units": units is None or units >= 0,
                    "workers_below_units": units is None or units < 0 or workers >= units,
                    # Within the office's area, as ingestion resolves a name of two
                    # regions (a bare "SEMARANG" from the Kab. Semarang office).
                    "invalid_region": regions().resolve_kabkota(v["region_code"], within=office)
                    is not None,
                    "region_mismatch": regions().resolve_kabkota(v["region_code"], within=office)
                    is None
                    or in_area,
                    "coordinate_out_of_bounds": -11 <= lat <= 6 and 95 <= lon <= 141.5,
                    "implausible_year": 1900 <= year_est <= year,
                }
                broken = sorted(k for k, ok in valid.items() if not ok)
                error = [q for q in r.quirks if q in ROW_ERRORS]
                assert broken == error, (f["file_name"], r.source_row, v)
                assert bool(str(v["commodity"] or "").strip())
                if r.expected_verdict == "accepted":
                    assert units == int(units)
                    assert workers >= units
                checked += 1
    assert checked > 1000


def test_expected_reasons_are_registered_codes_matching_the_quirk(default_round):
    _, _, truths = default_round
    rows = pd.concat([t.rows for t in truths], ignore_index=True)
    codes = {c for reasons in rows["expected_reasons"] for c in reasons}
    assert codes <= set(REASONS)
    assert all(len(r) <= 1 for r in rows["expected_reasons"]), "one mistake per bad row"
    for quirk, code in ROW_ERRORS.items():
        hit = rows[rows["quirks"].map(lambda q, quirk=quirk: quirk in q)]
        assert len(hit), quirk
        assert (hit["expected_verdict"] == "rejected").all()
        assert all(list(r) == [code] for r in hit["expected_reasons"]), quirk
    dups = rows[rows["quirks"].map(lambda q: "exact_duplicate" in q)]
    assert all(list(r) == ["duplicate_row"] for r in dups["expected_reasons"])
    assert (dups["expected_verdict"] == "merged").all()  # merged into the row it copies
    first = dups["is_exact_duplicate_of"].astype(int)
    assert (first < dups["source_row"]).all()
    clean = rows[rows["quirks"].map(lambda q: not set(q) & {*ROW_ERRORS, "exact_duplicate"})]
    assert (clean["expected_verdict"] == "accepted").all()
    assert clean["expected_reasons"].map(len).eq(0).all()


def test_exact_duplicates_repeat_their_first_copy_cell_for_cell(default_round):
    root, _, truths = default_round
    seen = 0
    for truth in truths:
        for f in truth.files.to_dict("records"):
            mine = truth.rows[
                (truth.rows["file_name"] == f["file_name"])
                & truth.rows["is_exact_duplicate_of"].notna()
            ]
            if mine.empty:
                continue
            data = _file_rows(root, truth, f)
            for r in mine.itertuples():
                assert data[r.source_row] == data[int(r.is_exact_duplicate_of)]
                seen += 1
    assert seen > 5


def test_every_format_layout_quirk_and_state_appears(default_round):
    root, _, truths = default_round
    files = pd.concat([t.files for t in truths])
    assert set(files["format"]) == {"xlsx", "csv", "json"}
    assert {"utf-8", "utf-8-sig", "cp1252"} <= set(files["encoding"])
    assert set(files["title_rows"][files["format"] == "xlsx"]) >= {2, 3, 4}
    assert {"before", "after"} <= set(files["instructions_sheet"].dropna())
    assert files["with_ids"].any()
    assert not files["with_ids"].all()
    assert files["province_file"].any()
    assert {"data", "list"} <= set(files["json_shape"].dropna())
    quirks = set(pd.concat([t.rows for t in truths])["quirks"].explode().dropna())
    expected = {"name_variant", "exact_duplicate", "fuzzy_duplicate", "cross_submission"}
    assert {*ROW_ERRORS, *expected} <= quirks
    assert {"title", "header", "blank", "totals", "instructions"} <= set(
        pd.concat([t.nondata for t in truths])["kind"]
    )
    states = set(pd.concat([t.entities for t in truths])["true_state"])
    assert states == {
        "active", "closed", "missing_from_file", "office_did_not_submit", "new", "revived"
    }  # fmt: skip
    for f in files[files["encoding"] == "cp1252"].to_dict("records"):
        raw = next((root / "landing").rglob(f["file_name"])).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert "é" in raw.decode("cp1252")
    for f in files[files["encoding"] == "utf-8-sig"].to_dict("records"):
        assert next((root / "landing").rglob(f["file_name"])).read_bytes()[:3] == b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    "quirk", [*ROW_ERRORS, "exact_duplicate", "fuzzy_duplicate", "name_variant"]
)
def test_a_zero_rate_switches_exactly_that_quirk_off(tmp_path, quirk):
    _, truths = _run(tmp_path, seed=5, years=(2025,), n=300, **{quirk: 0.0})
    quirks = set(truths[0].rows["quirks"].explode().dropna())
    assert quirk not in quirks
    assert quirks - {quirk, "cross_submission"}, "the other quirks still appear"


def test_all_rates_zero_gives_a_clean_round(tmp_path):
    rates = dict.fromkeys([*ROW_ERRORS, "exact_duplicate", "fuzzy_duplicate"], 0.0)
    _, truths = _run(tmp_path, years=(2025,), blank_rows=0.0, totals_row=0.0, **rates)
    t = truths[0]
    assert (t.rows["expected_verdict"] == "accepted").all()
    assert set(t.nondata["kind"]) <= {"title", "header", "blank", "instructions"}
    assert not (t.nondata["kind"] == "blank").groupby(t.nondata["file_name"]).sum().gt(1).any()


def test_world_evolves_across_years(default_round):
    root, _, truths = default_round
    by_year = [t.entities.set_index("entity_id") for t in truths]
    for earlier, later in itertools.pairwise(by_year):
        closed = earlier.index[earlier["state"].isin(["closed_now", "closed_listed"])]
        assert set(later.loc[closed, "state"]) <= {"closed_listed", "closed_silent", "revived"}
        revived = later.index[later["state"] == "revived"]
        assert earlier.loc[revived, "true_state"].eq("closed").all()
    for t in truths:
        new = t.entities[t.entities["state"] == "new"]
        assert len(new)
        assert new["sentra_id"].isna().all(), "new sentra have no register id"
        new_rows = t.rows[t.rows["entity_id"].isin(new["entity_id"])]
        assert new_rows["sentra_id"].isna().all()
        missing = t.entities[t.entities["state"].isin(["silent", "closed_silent"])]
        assert not t.rows["entity_id"].isin(missing["entity_id"]).any()
        skipped = set(t.extra["skipped_offices"])
        assert not skipped & set(t.files["office_code"])
        assert not any((root / "landing" / str(t.census_year) / o).exists() for o in skipped)
        gone = t.entities[t.entities["true_state"] == "office_did_not_submit"]
        assert gone["region_code"].isin(skipped).all()
        assert gone["n_rows"].eq(0).all()
    assert any(t.extra["skipped_offices"] for t in truths)


def test_register_ids_regions_and_offices_are_real(tmp_path):
    fresh = synth.generate_world(n_sentra=500, seed=2, provinces=["34", "33"])
    reg = fresh.register_frame()
    idx = regions()
    assert "entity_id" not in reg.columns
    assert set(reg["region_code"]) <= set(idx.kabkota)
    assert set(reg["province_code"]) <= {"33", "34"}
    assert all(subregion_exists(k) for k in set(reg["kecamatan_code"]))
    assert all(
        k.startswith(r) for k, r in zip(reg["kecamatan_code"], reg["region_code"], strict=True)
    )
    seq = reg["sentra_id"].str[-5:].astype(int)
    assert (reg["sentra_id"].str[1:5] == reg["region_code"].str.replace(".", "")).all()
    assert (seq.groupby(reg["region_code"]).rank().astype(int) == seq).all(), "1..n per kab"
    assert reg["sentra_name"].nunique() > 0.9 * len(reg), "names are diverse"
    assert reg["latitude"].between(-11, 6).all()
    assert reg["longitude"].between(95, 141.5).all()
    assert (reg["workers"] >= reg["units"]).all()
    assert (reg["units"] >= 1).all()
    assert reg["production_value"].between(1e8, 1e11).all()
    assert reg["year_established"].between(1970, 2023).all()
    assert (reg["region_code"].str[:2] == "34").mean() > 0.1, "DIY is weighted up"
    offices = synth.write_offices(fresh, tmp_path / "offices.csv")
    directory = pd.read_csv(offices, dtype=str)
    assert list(directory.columns) == ["office_code", "office_name", "province_code", "emails"]
    assert set(directory["office_code"]) == {"33", "34", *reg["region_code"]}
    emails = directory["emails"].str.split(";").explode()
    assert emails.str.fullmatch(r"[a-z.]+\.\d{2,4}@example\.go\.id").all()
    back = pd.read_csv(synth.write_register(fresh, tmp_path / "register.csv"), dtype=str)
    assert back["sentra_id"].tolist() == reg["sentra_id"].tolist()
    with pytest.raises(ValueError, match="99"):
        synth.generate_world(n_sentra=10, seed=1, provinces=["99"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_single_big_file_for_benchmarks(tmp_path, fmt):
    world = synth.generate_world(n_sentra=200, seed=1, provinces=["34"])
    rows = synth.sample_rows(world, 1500, seed=1)
    assert len(rows) == 1500
    assert rows["region_code"].str[:2].isin(["34"]).mean() > 0.95
    path = tmp_path / f"bulk.{fmt}"
    truth = synth.write_single_file(rows, path, fmt, title_block=False)
    assert len(truth) == 1500
    if fmt == "json":
        assert len(_records(path)) == 1500
    else:
        text_rows = list(_grid(path, "utf-8-sig" if fmt == "csv" else None)[1:])
        data = [r for r in text_rows if not _blank(r)]
        totals = sum(1 for r in data if any(str(c) in ("Jumlah", "Total", "JUMLAH") for c in r))
        assert len(data) - totals == 1500
        assert truth["source_row"].iloc[0] == 2, "no title block: data right under the header"
    assert (truth["expected_verdict"] == "rejected").any()


def test_single_file_refuses_more_rows_than_a_sheet_holds(tmp_path):
    rows = pd.DataFrame({"office_code": ["34"] * 1_048_570, "sentra_id": None})
    with pytest.raises(ValueError, match="XLSX"):
        synth.write_single_file(rows, tmp_path / "x.xlsx", "xlsx")


def test_messiness_rejects_impossible_rates():
    with pytest.raises(ValueError, match="close_rate"):
        synth.Messiness(close_rate=1.5)
    with pytest.raises(ValueError, match="add up"):
        synth.Messiness(**dict.fromkeys(ROW_ERRORS, 0.2))


def test_cli_writes_register_offices_landing_and_truth(tmp_path):
    from sentra.cli.synth import synth as command

    out = tmp_path / "data" / "landing"
    result = CliRunner().invoke(
        command,
        ["--sentra", "150", "--seed", "3", "--years", "2025,2026", "--out", str(out),
         "--provinces", "34"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Injected problems" in result.output
    assert (tmp_path / "data" / "register.csv").exists()
    assert (tmp_path / "data" / "offices.csv").exists()
    for year in (2025, 2026):
        assert any((out / str(year)).rglob("*.*"))
        assert (tmp_path / "data" / "truth" / str(year) / "truth_files.parquet").exists()
    bad = CliRunner().invoke(command, ["--years", "twenty", "--out", str(out)])
    assert bad.exit_code != 0
    assert "--years" in bad.output
