"""``sentra demo``: the whole pipeline on a synthetic census, through Airflow."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True
)
@click.option(
    "--sentra", "n_sentra", type=int, default=600, show_default=True, help="Registered sentra"
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--years", default="2025,2026", show_default=True, help="Census rounds to run")
@click.option("--provinces", default="33,34", show_default=True, help="Province codes to cover")
def demo(data_dir: Path, n_sentra: int, seed: int, years: str, provinces: str) -> None:
    """Generate a census, run census_ingest → census_consolidate → census_reports, query."""
    from rich.console import Console

    from sentra.demo import DemoConfig, run_demo

    cfg = DemoConfig(
        data_dir=data_dir.absolute(),
        n_sentra=n_sentra,
        seed=seed,
        census_years=tuple(int(y) for y in years.split(",")),
        provinces=tuple(p.strip() for p in provinces.split(",")),
    )
    run_demo(cfg, Console())
