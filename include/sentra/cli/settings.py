"""``sentra settings``: show what the pipeline will use, with secrets masked."""

from __future__ import annotations

import json

import click

from sentra.config import get_settings


@click.command("settings")
def settings_cmd() -> None:
    """Print the effective settings as JSON (secrets masked)."""
    click.echo(json.dumps(get_settings().redacted(), indent=2, default=str))
