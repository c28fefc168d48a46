"""Splink (DuckDB backend) on the same records, for the benchmark's comparison only.

Comparable set-up to :func:`sentra.matching.deduplicate`: blocking never leaves a
kab/kota (same region_code and one of: same normalised name key, same phonetic key,
same ~1 km grid cell, same kecamatan), comparisons on the normalised name
(Jaro-Winkler and Levenshtein levels), commodity (exact), distance (km levels),
units and workers (the counts the product's learned weights read too). Parameters
are trained offline: u by random sampling, m by EM on two blocking rules (name key,
then kecamatan); nothing is downloaded. Clusters are connected components at match
probability ≥ ``settings.match_threshold``. Not used by the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from sentra.config import Settings


# Two counts within 25 % of the larger ({c}: units or workers).
COUNTS_CLOSE = 'abs("{c}_l" - "{c}_r") <= 0.25 * greatest("{c}_l", "{c}_r")'


def _counts_comparison() -> object:
    """Unit and worker counts as one comparison (they move together, as in the
    product's joint field): both within 25 %, one of them, neither; no evidence when a
    count is missing on either side."""
    import splink.comparison_library as cl

    units, workers = COUNTS_CLOSE.format(c="units"), COUNTS_CLOSE.format(c="workers")
    null = " OR ".join(f'"{c}_{s}" IS NULL' for c in ("units", "workers") for s in "lr")
    return cl.CustomComparison(
        comparison_levels=[
            {"sql_condition": null, "is_null_level": True},
            {"sql_condition": f"({units}) AND ({workers})", "label_for_charts": "both close"},
            {"sql_condition": f"({units}) OR ({workers})", "label_for_charts": "one close"},
            {"sql_condition": "ELSE", "label_for_charts": "counts differ"},
        ],
        output_column_name="counts",
    )


def run_splink(records: pd.DataFrame, settings: Settings, *, seed: int = 1) -> pd.DataFrame:
    """(record_key, cluster_key) for every record, clustered by Splink."""
    import logging

    import numpy as np
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from sentra.matching.engine import GRID_DEG, _column, prepare
    from sentra.matching.normalise import prepare_names

    prep = prepare(records.reset_index(drop=True))
    # Names as compared before place resolution: the product's names lose the words of
    # their resolved kecamatan/desa (its place codes carry them), which Splink's
    # comparisons here do not see; without those words it would merge every sentra of
    # one product in a kecamatan.
    recs = records.reset_index(drop=True)
    plain = prepare_names(_column(recs, "sentra_name"), _column(recs, "region_code"))
    lat, lon = prep["latitude"].to_numpy(), prep["longitude"].to_numpy()
    has_xy = ~np.isnan(lat) & ~np.isnan(lon)
    cell = np.where(
        has_xy,
        np.char.add(
            np.floor(np.nan_to_num(lat) / GRID_DEG).astype(np.int64).astype(str),
            np.char.add(":", np.floor(np.nan_to_num(lon) / GRID_DEG).astype(np.int64).astype(str)),
        ),
        None,
    )

    def text(values) -> pd.Series:
        s = pd.Series(values, dtype=object)
        return s.where(s.notna() & (s != ""), None)

    frame = pd.DataFrame(
        {
            "unique_id": records["record_key"].astype(str).to_numpy(),
            "region_code": text(prep["region_code"]),
            "name": text(plain["name_norm"]),
            "name_key": text(plain["name_key"]),
            "phon_key": text(plain["phon_key"]),
            "commodity": text(prep["commodity_norm"]),
            "kecamatan_code": text(prep["kecamatan_code"]),
            "grid": text(cell),
            "latitude": lat,
            "longitude": lon,
            "units": prep["units"].to_numpy(),
            "workers": prep["workers"].to_numpy(),
        }
    )
    model = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]),
            cl.LevenshteinAtThresholds("name_key", [1, 3]),
            cl.ExactMatch("commodity"),
            cl.DistanceInKMAtThresholds("latitude", "longitude", [0.3, 1.0, 3.0]),
            _counts_comparison(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("region_code", "name_key"),
            block_on("region_code", "phon_key"),
            block_on("region_code", "grid"),
            block_on("region_code", "kecamatan_code"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    table = db.register(frame, dataset_display_name="records")
    linker = Linker(table, model, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("region_code", "name_key")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    # Each EM pass fixes the columns it blocks on and trains the others.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("region_code", "name_key")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("region_code", "kecamatan_code")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=settings.match_threshold
    ).as_pandas_dataframe()
    return pd.DataFrame(
        {
            "record_key": clusters["unique_id"].astype(str),
            "cluster_key": clusters["cluster_id"].astype(str),
        }
    )
