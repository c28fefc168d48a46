"""What ``sentra ingest`` and ``sentra validate`` share: one submission, explained.

Both read one file the way the pipeline does and tell a data engineer what the office
will be told: every problem with the office's own row number, the column as the office
names it, the value and the Indonesian message. A file of a million rows can carry
tens of thousands of problems, so the listing is capped (``--limit``) and a summary
counts every problem by column and reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

_OFFICE = re.compile(r"^\d{2}(\.\d{2})?$")
_YEAR = re.compile(r"^\d{4}$")
DEFAULT_LIMIT = 500


def office_and_year_from_path(path: Path) -> tuple[str | None, int | None]:
    """From ``landing/<census_year>/<office_code>/<file>``, when the file sits there."""
    office = path.parent.name if _OFFICE.match(path.parent.name) else None
    year = int(path.parent.parent.name) if _YEAR.match(path.parent.parent.name) else None
    return office, year


def resolve_office_and_year(path: Path, office: str | None, year: int | None) -> tuple[str, int]:
    """The options given, else what the landing path says; a usage error when neither."""
    guessed_office, guessed_year = office_and_year_from_path(path.absolute())
    office = office or guessed_office
    year = year or guessed_year
    if office is None or year is None:
        raise click.UsageError(
            f"cannot tell the office and census year from {path}; give --office and --year"
        )
    return office, year


def _with_problems(rows: Any) -> Any:
    """Only the rows that have problems (a few of a large file), row number and list."""
    return rows.loc[rows["problems"].map(len) > 0, ["source_row", "problems"]]


def _each_problem(rows: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(office's row number, problem) for every problem of ``rows``, row by row."""
    flagged = _with_problems(rows)
    for source_row, problems in zip(
        flagged["source_row"].tolist(), flagged["problems"].tolist(), strict=True
    ):
        for p in problems:
            yield source_row, p


def problem_rows(rows: Any, *, limit: int | None = None) -> list[tuple[str, str, str, str, str]]:
    """(row, column label, value, code, Indonesian message) for every problem, by row."""
    from sentra.schema import column_label, reason

    out: list[tuple[str, str, str, str, str]] = []
    for source_row, p in _each_problem(rows):
        label = column_label(p.get("column") or "") if p.get("column") else ""
        value = p.get("value")
        out.append(
            (
                str(source_row),
                label,
                "" if value is None else str(value),
                p["code"],
                reason(p["code"]).render("id", column=label, value=value),
            )
        )
        if limit is not None and len(out) >= limit:
            return out
    return out


def problem_summary(rows: Any) -> list[tuple[str, str, int, str]]:
    """(column label, code, problems, first row) per column and reason, most first."""
    from sentra.schema import column_label

    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], int] = {}
    for source_row, p in _each_problem(rows):
        key = (p.get("column") or "", p["code"])
        counts[key] += 1
        first.setdefault(key, source_row)
    return [
        (column_label(column) if column else "", code, n, str(first[column, code]))
        for (column, code), n in counts.most_common()
    ]


def print_problems(console: Any, rows: Any, *, title: str, limit: int) -> None:
    """The problems of ``rows``, one line each up to ``limit`` (0: all), then a count of
    every problem by column and reason when the listing left some out."""
    from rich.table import Table

    from sentra.cli.show import cells
    from sentra.reports.render import angka  # Indonesian digits: 71.279, not 71,279

    rows = _with_problems(rows)  # once: the listing and the count both read only these
    listed = problem_rows(rows, limit=limit or None)
    if not listed:
        return
    table = Table(title=title)
    for name in ("Baris", "Kolom", "Nilai", "Kode", "Keterangan"):
        table.add_column(name, overflow="fold")
    for line in listed:
        table.add_row(*cells(line))
    console.print(table)
    if not limit or len(listed) < limit:
        return
    summary = problem_summary(rows)
    total = sum(n for _label, _code, n, _row in summary)
    if total <= len(listed):
        return
    console.print(
        f"(hanya {angka(len(listed))} dari {angka(total)} masalah ditampilkan; "
        "--limit 0 untuk semua)"
    )
    counts = Table(title="Semua masalah per kolom dan kode")
    for name in ("Kolom", "Kode", "Jumlah", "Baris pertama"):
        counts.add_column(name)
    for label, code, n, row in summary:
        counts.add_row(*cells((label, code, angka(n), row)))
    console.print(counts)
