"""``sentra synth``: write a synthetic census (register, offices, rounds, truth)."""

from __future__ import annotations

from pathlib import Path

import click


def _years(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        years = [int(y) for y in value.split(",") if y.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r}: use comma-separated years, e.g. 2025,2026") from None
    if not years or any(y < 2000 or y > 2100 for y in years):
        raise click.BadParameter(f"{value!r}: census years must lie in 2000..2100")
    return years


def _formats(_ctx: click.Context, _param: click.Parameter, value: str) -> dict[str, float] | None:
    if not value:
        return None
    out: dict[str, float] = {}
    for part in value.split(","):
        name, _, weight = part.partition("=")
        try:
            out[name.strip()] = float(weight or 1)
        except ValueError:
            raise click.BadParameter(f"{part!r}: use e.g. xlsx=0.5,csv=0.35,json=0.15") from None
    return out


@click.command("synth")
@click.option("--sentra", "n_sentra", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--years", default="2026", show_default=True, callback=_years,
              help="Comma-separated census years, e.g. 2025,2026")  # fmt: skip
@click.option("--provinces", default="", help="Comma-separated province codes (default: all)")
@click.option("--out", "landing", type=click.Path(path_type=Path), default=None,
              help="Landing folder: <out>/<year>/<office>/<file> "
                   "[default: <data dir>/landing, SENTRA_DATA_DIR / SENTRA_CONFIG]")  # fmt: skip
@click.option("--truth-dir", type=click.Path(path_type=Path), default=None,
              help="Ground truth folder [default: <out>/../truth]")  # fmt: skip
@click.option("--register", "register_path", type=click.Path(path_type=Path), default=None,
              help="Register CSV [default: <out>/../register.csv]")  # fmt: skip
@click.option("--offices", "offices_path", type=click.Path(path_type=Path), default=None,
              help="Office directory CSV [default: <out>/../offices.csv]")  # fmt: skip
@click.option("--formats", default="", callback=_formats,
              help="Format weights per office, e.g. xlsx=0.5,csv=0.35,json=0.15")  # fmt: skip
def synth(
    n_sentra: int,
    seed: int,
    years: list[int],
    provinces: str,
    landing: Path | None,
    truth_dir: Path | None,
    register_path: Path | None,
    offices_path: Path | None,
    formats: dict[str, float] | None,
) -> None:
    """Generate a register and census rounds of messy regional files, with ground truth."""
    from rich.console import Console
    from rich.table import Table

    from sentra import synth as gen

    if landing is None:
        from sentra.config import get_settings

        landing = get_settings().data_dir / "landing"
    console = Console()
    prov = [p.strip() for p in provinces.split(",") if p.strip()] or None
    base = landing.parent
    register_path = register_path or base / "register.csv"
    offices_path = offices_path or base / "offices.csv"
    truth_dir = truth_dir or base / "truth"
    try:
        world = gen.generate_world(n_sentra=n_sentra, seed=seed, provinces=prov)
        gen.write_register(world, register_path)
        gen.write_offices(world, offices_path)
        truths = gen.simulate(
            world,
            census_years=years,
            landing_dir=landing,
            seed=seed,
            truth_dir=truth_dir,
            formats=formats,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    table = Table(title=f"Synthetic census: {n_sentra} registered sentra, seed {seed}")
    for col in ("year", "offices", "silent", "xlsx/csv/json", "data rows", "exp. rejected"):
        table.add_column(col, justify="right")
    problems = Table(title="Injected problems (data rows)")
    problems.add_column("kind")
    counts = {}
    for t in truths:
        fmt = t.files["format"].value_counts()
        counts[t.census_year] = t.rows["quirks"].explode().dropna().value_counts()
        problems.add_column(str(t.census_year), justify="right")
        table.add_row(
            str(t.census_year),
            str(t.files["office_code"].nunique()),
            str(len(t.extra["skipped_offices"])),
            f"{fmt.get('xlsx', 0)}/{fmt.get('csv', 0)}/{fmt.get('json', 0)}",
            f"{len(t.rows):,}",
            f"{int((t.rows['expected_verdict'] == 'rejected').sum()):,}",
        )
    kinds = sorted(set().union(*(c.index for c in counts.values())))
    for kind in kinds:
        problems.add_row(kind, *(f"{int(c.get(kind, 0)):,}" for c in counts.values()))
    console.print(table)
    console.print(problems)
    console.print(f"register: {register_path} ({len(world.register_frame()):,} sentra)")
    console.print(f"offices: {offices_path}\nlanding: {landing}\ntruth: {truth_dir}")
