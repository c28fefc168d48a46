"""``sentra demo``: the whole pipeline on a synthetic census, through Airflow."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where everything goes [default: SENTRA_DATA_DIR, SENTRA_CONFIG's data_dir, ./data]",
)
@click.option(
    "--sentra", "n_sentra", type=int, default=600, show_default=True, help="Registered sentra"
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--years", default="2025,2026", show_default=True, help="Census rounds to run")
@click.option("--provinces", default="33,34", show_default=True, help="Province codes to cover")
def demo(data_dir: Path | None, n_sentra: int, seed: int, years: str, provinces: str) -> None:
    """`sentra synth` + `sentra run`: a synthetic census through the real DAGs, then a query."""
    from rich.console import Console

    from sentra.config import get_settings
    from sentra.demo import DemoConfig, run_demo

    cfg = DemoConfig(
        data_dir=data_dir.absolute() if data_dir else get_settings().data_dir,
        n_sentra=n_sentra,
        seed=seed,
        census_years=tuple(int(y) for y in years.split(",")),
        provinces=tuple(p.strip() for p in provinces.split(",")),
    )
    run_demo(cfg, Console())
