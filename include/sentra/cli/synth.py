"""``sentra synth``: write a synthetic census (register, offices, rounds, truth)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option("--sentra", "n_sentra", type=int, default=2000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--years", default="2026", show_default=True, help="Comma-separated census years")
@click.option("--provinces", default="", help="Comma-separated province codes (default: all)")
@click.option(
    "--out",
    "landing",
    type=click.Path(path_type=Path),
    default=Path("data/landing"),
    show_default=True,
)
@click.option("--truth-dir", type=click.Path(path_type=Path), default=None)
def synth(
    n_sentra: int, seed: int, years: str, provinces: str, landing: Path, truth_dir: Path | None
) -> None:
    """Generate a register and census rounds of messy regional files, with ground truth."""
    from rich.console import Console
    from rich.table import Table

    from sentra import synth as gen

    console = Console()
    prov = [p.strip() for p in provinces.split(",") if p.strip()] or None
    world = gen.generate_world(n_sentra=n_sentra, seed=seed, provinces=prov)
    base = landing.parent
    gen.write_register(world, base / "register.csv")
    gen.write_offices(world, base / "offices.csv")
    truths = gen.simulate(
        world,
        census_years=[int(y) for y in years.split(",")],
        landing_dir=landing,
        seed=seed,
        truth_dir=truth_dir,
    )
    table = Table(title=f"Synthetic census: {n_sentra} registered sentra, seed {seed}")
    for col in ("year", "files", "xlsx/csv/json", "data rows", "expected rejected", "injected"):
        table.add_column(col)
    for t in truths:
        fmt = t.files["format"].value_counts()
        quirks = t.rows["quirk"].str.split(",").explode()
        quirks = quirks[quirks != ""].value_counts()
        table.add_row(
            str(t.census_year),
            str(len(t.files)),
            f"{fmt.get('xlsx', 0)}/{fmt.get('csv', 0)}/{fmt.get('json', 0)}",
            str(len(t.rows)),
            str(int((t.rows["expected_verdict"] == "rejected").sum())),
            ", ".join(f"{k} {v}" for k, v in quirks.items()),
        )
    console.print(table)
    console.print(
        f"register: {base / 'register.csv'}  offices: {base / 'offices.csv'}  landing: {landing}"
    )
