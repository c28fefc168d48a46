"""``sentra docs``: documentation generated from the code (the data dictionary)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("docs")
def docs() -> None:
    """Generate documentation from the code."""


@docs.command("data-dictionary")
@click.option("--output", type=click.Path(path_type=Path), default=Path("docs/data-dictionary.md"))
def data_dictionary(output: Path) -> None:
    """Write the warehouse data dictionary (English + Bahasa Indonesia) as Markdown."""
    from sentra.warehouse.dictionary import render_data_dictionary

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_data_dictionary())
    click.echo(f"written {output}")
