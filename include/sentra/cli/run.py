"""``sentra run``: a census round on the files offices sent, through the real DAGs."""

from __future__ import annotations

import click


def _years(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> list[int]:
    years: list[int] = []
    for part in ",".join(value).split(","):
        if not part.strip():
            continue
        try:
            year = int(part)
        except ValueError:
            raise click.BadParameter(f"{part!r} is not a census year, e.g. 2026") from None
        if not 2000 <= year <= 2100:
            raise click.BadParameter(f"{year}: census years lie in 2000..2100")
        years.append(year)
    return sorted(set(years))


@click.command("run")
@click.argument("landing")
@click.option("--year", "years", multiple=True, callback=_years,
              help="Census year(s) to run (repeat or comma-separate). Required for a flat "
                   "folder; default: every year folder found.")  # fmt: skip
def run(landing: str, years: list[int]) -> None:
    """Run census_ingest → census_consolidate → census_reports on LANDING.

    LANDING is a local folder or s3:// URI laid out <census_year>/<office_code>/<file>,
    or a flat folder of office files with --year (each file is placed under the
    office its content or name shows; files that cannot be placed are named and
    nothing runs). Years run in order. Results go to the data folder
    (SENTRA_DATA_DIR or SENTRA_CONFIG; ./data by default).
    """
    import time

    from rich.console import Console

    from sentra.cli.rounds import prepare_environment, prepare_ledger, run_rounds
    from sentra.config import get_settings
    from sentra.demo import print_summary, summarise
    from sentra.own_files import PlacementError, plan_landing

    console = Console()
    started = time.perf_counter()
    settings = get_settings()
    try:
        plan = plan_landing(landing, settings, years=years or None)
    except PlacementError as exc:
        raise click.ClickException(str(exc)) from exc
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)
    console.print(
        f"Running census {', '.join(map(str, plan.years))} from {landing} into {settings.data_dir}"
    )
    with console.status("Preparing the Airflow metadata DB and the ledger…"):
        settings = prepare_environment(settings, plan.landing_uri)
        prepared = prepare_ledger(settings)
    console.print(f"   ledger ready; {prepared['offices']} offices in the directory")
    try:
        run_rounds(plan, settings, console)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = summarise(settings, plan.years)
    print_summary(summary, console)
    console.print(f"\nDone in {time.perf_counter() - started:.1f} s.")
