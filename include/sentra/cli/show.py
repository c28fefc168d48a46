"""Values from files, the ledger and the warehouse, printed exactly as they are.

rich reads ``[...]`` in a string as markup: a cell holding ``[red]40`` was shown as
``40`` (a debugging command showing another value than the file holds), one holding
``[link=…]`` hid its text, and one holding ``x[/]`` stopped the command with a
MarkupError (found by feeding it markup-like cells). Data goes through these helpers;
only the commands' own labels carry markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def plain(value: Any) -> Any:
    """A rich ``Text`` of ``value`` (None as empty): printed as is, never parsed as markup."""
    from rich.text import Text

    return Text("" if value is None else str(value))


def cells(values: Iterable[Any]) -> list[Any]:
    """:func:`plain` of each value, for ``Table.add_row(*cells(row))``."""
    return [plain(v) for v in values]


def escape(value: Any) -> str:
    """``value`` as text to embed in a line that carries markup of our own."""
    from rich.markup import escape as rich_escape

    return rich_escape("" if value is None else str(value))
