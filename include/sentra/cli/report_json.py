"""``--format json`` of ``sentra ingest`` / ``sentra validate``: one JSON document per file.

For tooling and for checking the reader: the file verdict, the column mapping used, the
rows that were not data (and why), and every data row with its source row number,
verdict, reason codes, problems (with the Indonesian message the office reads) and its
normalised values. Keys are stable; values are JSON types (dates as ISO text, missing
as null).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

from sentra.schema import REASONS, Severity, census_arrow_schema, column_label, reason

LINEAGE = ("submission_id", "office_code", "source_file", "source_sheet", "source_row",
           "census_year")  # fmt: skip


def _plain(value: Any) -> Any:
    """A JSON value for a cell: numpy scalars unwrapped, NaN/NA as null, dates as ISO."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return value


def _problem(p: dict[str, Any]) -> dict[str, Any]:
    column = p.get("column")
    label = column_label(column) if column else ""
    return {
        "code": p["code"],
        "column": column,
        "value": _plain(p.get("value")),
        "message_id": reason(p["code"]).render("id", column=label, value=p.get("value")),
    }


def _rejecting(codes: list[str]) -> list[str]:
    return sorted({c for c in codes if c in REASONS and REASONS[c].severity == Severity.ROW})


def document(
    parsed: Any, *, file_name: str, office_code: str, census_year: int, validation: Any = None
) -> dict[str, Any]:
    """The JSON document of one read (and, when given, validated) submission."""
    doc: dict[str, Any] = {
        "file": file_name,
        "office_code": office_code,
        "census_year": census_year,
        "column_mapping": dict(parsed.header_mapping),
        "unmapped_headers": list(parsed.unmapped_headers),
        "sheets_read": list(parsed.sheets_read),
        "header_row": parsed.header_row,
        "skipped_rows": [
            {"source_sheet": s.sheet, "source_row": s.source_row, "kind": s.kind}
            for s in parsed.skipped_rows
        ],
    }
    if parsed.file_error is not None:
        err = parsed.file_error
        doc["verdict"] = "rejected"
        doc["file_error"] = {"code": err.code, "detail": err.detail, "message_id": err.message_id}
        doc["rows"] = []
        return doc
    doc["file_error"] = None
    frame = validation.rows if validation is not None else parsed.rows
    values = [f.name for f in census_arrow_schema() if f.name not in LINEAGE]
    rows = []
    for rec in frame.to_dict("records"):
        problems = [_problem(p) for p in (rec.get("problems") or [])]
        if validation is not None:
            codes = sorted(map(str, rec.get("reason_codes") or []))
            accepted = bool(rec.get("accepted"))
        else:
            codes = _rejecting([p["code"] for p in problems])
            accepted = not codes
        rows.append(
            {
                "source_sheet": _plain(rec.get("source_sheet")),
                "source_row": _plain(rec.get("source_row")),
                "verdict": "accepted" if accepted else "rejected",
                "reason_codes": codes,
                "problems": problems,
                "values": {c: _plain(rec.get(c)) for c in values if c in rec},
            }
        )
    doc["rows"] = rows
    rejected = sum(r["verdict"] == "rejected" for r in rows)
    doc["rows_accepted"] = len(rows) - rejected
    doc["rows_rejected"] = rejected
    if validation is not None:
        doc["verdict"] = "held" if validation.held else "accepted"
        doc["rejected_share"] = validation.rejected_share
        doc["warnings"] = [
            {**w, "message_id": reason(w["code"]).render(
                "id", column=column_label(w["column"]) if w.get("column") else "",
                value=w.get("value"))}
            for w in validation.warnings
        ]  # fmt: skip
    else:
        doc["verdict"] = "read"
    return doc


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1, default=str)


__all__ = ["document", "dumps"]
