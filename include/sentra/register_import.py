"""The national register the ministry already has → register entries with stable ids.

``sentra register import FILE`` reads the register (XLSX/CSV/JSON with the same messy
headers, title blocks and Indonesian formats as the offices' files) with the very
readers submissions go through, so round one links to it instead of handing every
sentra a new id. Each row ends in exactly one place of the report:

- **rejected**, with reason codes (no name, no or unknown kab/kota, a malformed id);
- **new**: a register entry with a new ``sentra_id`` (``S`` + kab/kota + sequence),
  or with the ministry's own id when the file carries a well-formed one;
- **linked** to an entry already in the ledger, ``unchanged`` or ``updated``: the same
  file again changes nothing, and an updated register (a corrected name, new unit
  counts) updates its entries instead of duplicating them. Linking uses the same
  matching as the census rounds (:func:`sentra.matching.link.link_to_register`:
  a carried ``sentra_id``, else the best-scoring entry of the same kab/kota);

and pairs of rows of the file that look like the same sentra are listed as
**possible duplicates** for a person to decide (never merged silently).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from sentra.config import Settings

SENTRA_ID = re.compile(r"^S\d{4}\d{5}$")
# Attributes the register file may set; everything else of an entry is the pipeline's.
ATTRIBUTES = (
    "sentra_name",
    "commodity",
    "commodity_group",
    "kecamatan_code",
    "desa_code",
    "address",
    "latitude",
    "longitude",
    "units",
)
# A register entry needs a name and a kab/kota; the rest is evidence when present. A
# ministry export often has no unit counts or commodity column (a census file must).
REGISTER_REQUIRED_COLUMNS = ("sentra_name", "region_code")


class RegisterFileError(ValueError):
    """The register file as a whole cannot be used (unreadable, no usable header...)."""


@dataclass(frozen=True)
class Rejected:
    row: int  # the row number a person sees in the file
    reasons: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class PossibleDuplicate:
    row_a: int
    row_b: int
    name_a: str
    name_b: str
    region_code: str
    score: float


@dataclass
class RegisterImportReport:
    source: str
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    uncertain: int = 0  # rows whose best entry was in the clerical band: new, for review
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.new + self.updated + self.unchanged

    def lines(self, limit: int | None = 20) -> list[str]:
        out = [
            f"{self.source}: {self.rows_read} rows read in {self.seconds:.1f} s: "
            f"{self.imported} imported ({self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged), {len(self.rejected)} rejected",
        ]
        if self.uncertain:
            out.append(
                f"  {self.uncertain} row(s) resembled an entry too little to link: "
                "registered as new; compare them in the review queue"
            )
        for r in self.rejected[:limit]:
            out.append(f"  rejected row {r.row} [{', '.join(r.reasons)}]: {r.message}")
        if limit is not None and len(self.rejected) > limit:
            out.append(f"  … and {len(self.rejected) - limit} more rejected rows (--details)")
        if self.possible_duplicates:
            out.append(f"  {len(self.possible_duplicates)} possible duplicate(s) inside the file:")
        for d in self.possible_duplicates[:limit]:
            out.append(
                f"    rows {d.row_a} and {d.row_b} ({d.region_code}): {d.name_a!r} ~ "
                f"{d.name_b!r}, score {d.score:.2f}"
            )
        if limit is not None and len(self.possible_duplicates) > limit:
            more = len(self.possible_duplicates) - limit
            out.append(f"    … and {more} more pairs (--details)")
        return out

    def write_details(self, path: Path) -> None:
        """Every rejected row and possible duplicate pair as CSV, for a spreadsheet."""
        import csv

        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["kind", "row", "other_row", "reasons", "detail", "score"])
            for r in self.rejected:
                w.writerow(["rejected", r.row, "", " ".join(r.reasons), r.message, ""])
            for d in self.possible_duplicates:
                detail = f"{d.region_code}: {d.name_a} ~ {d.name_b}"
                w.writerow(["possible_duplicate", d.row_a, d.row_b, "", detail, f"{d.score:.3f}"])


def read_register(path: Path, settings: Settings) -> tuple[pd.DataFrame, list[Rejected]]:
    """The file's rows in canonical columns (plus ``source_row``), and the rejected ones."""
    from sentra.ingest import read_submission
    from sentra.matching.places import codes_where_resolved
    from sentra.schema import column_label, reason

    data = Path(path).read_bytes()
    parsed = read_submission(
        data,
        file_name=Path(path).name,
        office_code="",  # the register spans every office: names resolve nationally
        census_year=date.today().year,
        submission_id="register",
        settings=settings,
        required=REGISTER_REQUIRED_COLUMNS,
    )
    if parsed.file_error is not None:
        raise RegisterFileError(f"{path}: {parsed.file_error.message_en}")
    rows = parsed.rows
    rejected: list[Rejected] = []
    keep: list[int] = []
    for i, rec in enumerate(rows[["source_row", "sentra_name", "region_code", "sentra_id",
                                  "problems"]].itertuples(index=False)):  # fmt: skip
        source_row, name, region, sentra_id, problems = rec
        found: list[tuple[str, str]] = []
        for p in problems or []:
            if p["column"] in ("region_code", "sentra_name"):
                found.append((p["code"], reason(p["code"]).render("en", **_ctx(p))))
        if not _text(name):
            found.append(
                (
                    "missing_required",
                    reason("missing_required").render("en", column=column_label("sentra_name")),
                )
            )
        if not _text(region) and not any(c == "invalid_region" for c, _ in found):
            label = column_label("region_code")
            found.append(
                ("missing_required", reason("missing_required").render("en", column=label))
            )
        sid = _text(sentra_id)
        if sid and not _id_fits(sid, region):
            found.append(
                (
                    "unknown_sentra_id",
                    f"sentra_id {sid!r} is not S + the kab/kota's 4 digits + 5 digits",
                )
            )
        if found:
            codes = tuple(dict.fromkeys(c for c, _ in found))
            rejected.append(Rejected(int(source_row), codes, "; ".join(m for _, m in found)))
        else:
            keep.append(i)
    good = rows.iloc[keep].drop(columns=["problems"]).reset_index(drop=True)
    good = codes_where_resolved(good)
    good["sentra_id"] = [_text(v) or None for v in good["sentra_id"]]
    return good, rejected


def _ctx(problem: dict[str, Any]) -> dict[str, Any]:
    from sentra.schema import column_label

    return {"column": column_label(problem["column"]), "value": problem.get("value")}


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _id_fits(sentra_id: str, region: Any) -> bool:
    region = _text(region)
    return bool(SENTRA_ID.match(sentra_id)) and (
        not region or sentra_id[1:5] == region.replace(".", "")
    )


def possible_duplicates(rows: pd.DataFrame, settings: Settings) -> list[PossibleDuplicate]:
    """Pairs of the file's rows that score as the same sentra (the round's match threshold).

    The clerical band below it lists hundreds of merely similar names in a national
    register (same commodity, same kab/kota); these pairs are the ones linking would
    have merged, so a person should look at them.
    """
    import numpy as np

    from sentra.matching.engine import candidate_pairs, prepare, score_pairs

    if len(rows) < 2:
        return []
    prep = prepare(rows)
    cands = candidate_pairs(prep)
    if len(cands.left) == 0:
        return []
    scores = score_pairs(prep, prep, cands.left, cands.right)["score"].to_numpy()
    keep = np.flatnonzero(scores >= settings.match_threshold)
    out = []
    for k in keep:
        a, b = int(cands.left[k]), int(cands.right[k])
        out.append(
            PossibleDuplicate(
                int(str(rows["source_row"].iat[a])),
                int(str(rows["source_row"].iat[b])),
                str(rows["sentra_name"].iat[a]),
                str(rows["sentra_name"].iat[b]),
                str(rows["region_code"].iat[a]),
                float(scores[k]),
            )
        )
    return sorted(out, key=lambda d: (d.row_a, d.row_b))


def import_register_file(session: Session, settings: Settings, path: Path) -> RegisterImportReport:
    """Read, link and write the register file in the caller's ledger transaction; the report.

    The caller (``sentra register import``) opens the session, so the whole file lands or
    nothing does.
    """
    import pandas as pd

    from sentra.ledger import repository as repo
    from sentra.matching.link import link_to_register

    started = time.perf_counter()
    report = RegisterImportReport(str(path))
    rows, report.rejected = read_register(path, settings)
    report.rows_read = len(rows) + len(report.rejected)
    report.possible_duplicates = possible_duplicates(rows, settings)
    if rows.empty:
        report.seconds = time.perf_counter() - started
        return report
    rows = rows.assign(cluster_key=[f"register#{r}" for r in rows["source_row"]])
    register = repo.load_register(session)
    own_id = rows["sentra_id"].notna() & ~rows["sentra_id"].isin(register["sentra_id"])
    linked = link_to_register(rows[~own_id], register, settings=settings)
    report.uncertain = int(linked.uncertain["cluster_key"].nunique())
    links = linked.links.set_index("cluster_key")["sentra_id"]
    rows["sentra_id"] = [
        sid if own else links.get(key)
        for sid, own, key in zip(rows["sentra_id"], own_id, rows["cluster_key"], strict=True)
    ]
    existing = rows[rows["sentra_id"].isin(register["sentra_id"])]
    changed = _changed(existing, register)
    report.updated = len(changed)
    report.unchanged = len(existing) - len(changed)
    if len(changed):
        _update_entries(session, changed)
    new = rows[~rows["sentra_id"].isin(register["sentra_id"])].copy()
    fresh = new["sentra_id"].isna()
    for region, group in new[fresh].groupby("region_code", sort=True):
        ids = repo.allocate_sentra_ids(session, str(region), len(group))
        new.loc[group.index, "sentra_id"] = ids
    if len(new):
        new["created_by"] = "register"
        new["created_at"] = pd.Timestamp.now(tz="UTC").to_pydatetime()
        new["province_code"] = new["region_code"].str[:2]
        repo.add_register_entries(session, new)
    report.new = len(new)
    report.seconds = time.perf_counter() - started
    return report


def _same(new: Any, old: Any, column: str) -> bool:
    if column in ("latitude", "longitude", "units"):
        try:
            return abs(float(new) - float(old)) < 1e-9
        except (TypeError, ValueError):
            return False
    return _text(new) == _text(old)


def _changed(rows: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """The rows whose given attributes differ from their entry (blank cells keep it)."""
    if rows.empty:
        return rows
    current = register.set_index("sentra_id")
    differs = []
    for rec in rows.to_dict("records"):
        old = current.loc[rec["sentra_id"]]
        differs.append(any(_text(rec[c]) and not _same(rec[c], old[c], c) for c in ATTRIBUTES))
    return rows[differs]


def _update_entries(session: Any, changed: pd.DataFrame) -> None:
    """Set the given attributes of existing entries; ids, history and links stay."""
    from sqlalchemy import update

    from sentra.ledger.models import RegisteredSentra

    for rec in changed.to_dict("records"):
        values = {c: _plain(rec[c]) for c in ATTRIBUTES if _text(rec[c])}
        session.execute(
            update(RegisteredSentra)
            .where(RegisteredSentra.sentra_id == rec["sentra_id"])
            .values(**values)
        )


def _plain(value: Any) -> Any:
    """Numpy/pandas scalars as the Python values the database driver takes."""
    return value.item() if hasattr(value, "item") else value
