"""The office directory: which regional office answers for which area, and its email.

Recipients of every report come only from this maintained directory (a CSV imported
into the ledger), never from a submitted file. Validation names the CSV line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sentra.reference import normalise_code, regions

if TYPE_CHECKING:
    import pandas as pd

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
COLUMNS = ("office_code", "office_name", "province_code", "emails")


class DirectoryError(ValueError):
    """The office directory CSV is invalid; the message lists every problem by line."""


@dataclass(frozen=True)
class OfficeInfo:
    office_code: str
    office_name: str
    province_code: str
    emails: tuple[str, ...]


def load_directory(path: Path) -> pd.DataFrame:
    """Read and validate the directory CSV (office_code,office_name,province_code,emails)."""
    import pandas as pd

    if not path.is_file():
        raise DirectoryError(f"office directory {path} does not exist")
    problems: list[str] = []
    rows = []
    seen: dict[str, int] = {}
    idx = regions()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [
            c
            for c in ("office_code", "office_name", "emails")
            if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise DirectoryError(f"{path}: missing columns {missing}")
        for line, rec in enumerate(reader, start=2):
            code = normalise_code(rec.get("office_code"))
            if code is None or not idx.is_office(code):
                raw = rec.get("office_code")
                problems.append(f"line {line}: office_code {raw!r} is not a province or kab/kota")
                continue
            if code in seen:
                problems.append(f"line {line}: office {code} already listed on line {seen[code]}")
                continue
            seen[code] = line
            emails = [e.strip() for e in re.split(r"[;,\s]+", rec.get("emails") or "") if e.strip()]
            bad = [e for e in emails if not EMAIL.match(e)]
            if bad:
                problems.append(f"line {line}: invalid email address {', '.join(bad)}")
            if not emails:
                problems.append(f"line {line}: office {code} has no email address")
            rows.append(
                {
                    "office_code": code,
                    "office_name": (rec.get("office_name") or "").strip() or idx.get(code).name,
                    "province_code": code[:2],
                    "emails": emails,
                }
            )
    if problems:
        raise DirectoryError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems))
    return pd.DataFrame(rows, columns=list(COLUMNS))
