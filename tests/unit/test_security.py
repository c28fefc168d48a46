"""Security rules that are easiest to keep by checking the source itself."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL_VERB = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP)\b", re.I)
# f-strings that build SQL from identifiers defined in the same module (never user data).
ALLOWED = {
    ("include/sentra/demo.py", "_count_by"),
    ("include/sentra/warehouse/__init__.py", "content_digest"),  # quoted schema column names
    ("include/sentra/cli/sql.py", "sql"),
    ("tests/integration/test_postgres_backends.py", "pg_url"),
}


def _functions_with_formatted_sql(path: Path) -> list[tuple[str, int]]:
    import ast

    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.JoinedStr):
                text = "".join(
                    v.value
                    for v in inner.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
                has_field = any(isinstance(v, ast.FormattedValue) for v in inner.values)
                if (
                    has_field
                    and SQL_VERB.search(text)
                    and re.search(r"\b(FROM|INTO|TABLE|SET)\b", text, re.I)
                ):
                    found.append((node.name, inner.lineno))
    return found


def test_no_sql_is_built_by_formatting_outside_the_reviewed_places():
    offenders = []
    for path in [
        *ROOT.glob("include/**/*.py"),
        *ROOT.glob("dags/*.py"),
        *ROOT.glob("tests/**/*.py"),
    ]:
        rel = path.relative_to(ROOT).as_posix()
        for function, line in _functions_with_formatted_sql(path):
            if (rel, function) not in ALLOWED:
                offenders.append(f"{rel}:{line} in {function}()")
    assert not offenders, "bind parameters instead of formatting SQL: " + ", ".join(offenders)


def test_secrets_are_masked_when_settings_are_shown():
    from sentra.config import get_settings

    shown = str(
        get_settings(
            {
                "SENTRA_LEDGER_URL": "postgresql://sentra:s3cr3t@db/ledger",
                "SENTRA_S3_SECRET_ACCESS_KEY": "minio-secret",
            }
        ).redacted()
    )
    assert "s3cr3t" not in shown
    assert "minio-secret" not in shown
