"""The ``sentra`` command. Subcommands load lazily so ``sentra --help`` stays fast.

Each area owns its subcommand in ``sentra/cli/<area>.py``; this module only lists them.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("sentra.cli.demo:demo", "Run a synthetic census round end to end through Airflow."),
    "run": (
        "sentra.cli.run:run",
        "Run a census round on a folder of office files through the real DAGs.",
    ),
    "register": ("sentra.cli.register:register", "The national register: import it."),
    "synth": (
        "sentra.cli.synth:synth",
        "Generate a synthetic census round (landing files + truth).",
    ),
    "ingest": ("sentra.cli.ingest:ingest", "Read one file: what was read, mapped and rejected."),
    "validate": (
        "sentra.cli.validate:validate",
        "Ingest + validate one file; exit 1 if it would be held.",
    ),
    "sql": ("sentra.cli.sql:sql", "Query the warehouse with DuckDB (read-only)."),
    "snapshots": ("sentra.cli.sql:snapshots", "List warehouse snapshots (for --as-of)."),
    "ledger": ("sentra.cli.ledger:ledger", "Ledger: migrate, list submissions."),
    "offices": ("sentra.cli.offices:offices", "Office directory: import and validate."),
    "reports": ("sentra.cli.reports:reports", "Render or send quality reports."),
    "round": (
        "sentra.cli.census_round:round_cmd",
        "The yearly round: open, send forms, remind, close, status.",
    ),
    "docs": ("sentra.cli.docs:docs", "Generate documentation from the code (data dictionary)."),
    "settings": (
        "sentra.cli.settings:settings_cmd",
        "Print the effective settings (secrets masked).",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="sentra")
def main() -> None:
    """sentra: Indonesia's sentra IKM re-census pipeline."""
