"""``.env.example`` as Docker Compose reads it, and the ``:?`` guards of the compose file.

Parsed with compose-go's rules (``tests/compose_env.py``), never python-dotenv, which
reads ``KEY=   # note`` as empty where Compose reads the value ``# note``: the bug that
gave the stack the password ``# PostgreSQL user …`` and an SMTP login of
``# relay login, empty for none``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from compose_env import DotenvError, MissingRequiredError, interpolate, parse_dotenv

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (
    "POSTGRES_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_ADMIN_PASSWORD",
    "S3_PIPELINE_SECRET_KEY",
    "S3_ANALYST_SECRET_KEY",
    "CATALOG_READER_PASSWORD",
)


@pytest.mark.parametrize(
    ("line", "value"),
    [
        # The finding: blanks after "=" go first, so the comment is the value.
        ('POSTGRES_PASSWORD=   # PostgreSQL user "airflow"', '# PostgreSQL user "airflow"'),
        (
            "SENTRA_SMTP_USER=          # relay login, empty for none",
            "# relay login, empty for none",
        ),
        ("A=value   # a comment", "value"),
        ("A=value#not-a-comment", "value#not-a-comment"),
        ("A=", ""),
        ("A='single # kept'  # cut", "single # kept"),
        ('A="x\\ny"', "x\ny"),
        ("export A = spaced", "spaced"),
        ("A: yaml-style", "yaml-style"),
        ("A=$$literal", "$literal"),
    ],
)
def test_compose_dotenv_rules(line, value):
    assert list(parse_dotenv(line + "\n").values()) == [value]


def test_variables_expand_from_lines_above_and_errors_name_the_line():
    assert parse_dotenv("A=1\nB=${A}-x\nC='${A}'\n") == {"A": "1", "B": "1-x", "C": "${A}"}
    with pytest.raises(DotenvError, match="line 2"):
        parse_dotenv("A=1\nB C=2\n")
    with pytest.raises(DotenvError, match="unterminated"):
        parse_dotenv('A="open\n')


def _example_lines() -> dict[str, str]:
    """Each KEY=rest line of the file, the text after "=" as written."""
    out = {}
    for raw in (ROOT / ".env.example").read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            key, _, rest = raw.partition("=")
            out[key.strip()] = rest
    return out


def test_env_example_means_exactly_what_it_says():
    parsed = parse_dotenv((ROOT / ".env.example").read_text())
    written = _example_lines()
    assert parsed == written, "every value is the text after '=' (no inline comments)"
    assert not [k for k, v in parsed.items() if "#" in v], "no comment became a value"
    for secret in SECRETS:
        assert parsed[secret] == "", f"{secret} ships empty: the operator sets it"
    assert parsed["SENTRA_SMTP_USER"] == "", "no SMTP login unless one is set"
    assert parsed["SENTRA_SMTP_PASSWORD"] == ""


def _compose_text() -> str:
    text = (ROOT / "docker-compose.yaml").read_text()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_compose_requires_every_secret_and_starts_with_all_of_them():
    example = parse_dotenv((ROOT / ".env.example").read_text())
    used = set(re.findall(r"\$\{(\w+):\?", _compose_text()))
    assert used == set(SECRETS), "exactly the secrets are required"
    with pytest.raises(MissingRequiredError):
        interpolate(_compose_text(), example)
    filled = {**example, **{s: f"x-{s.lower()}" for s in SECRETS}}
    resolved = interpolate(_compose_text(), filled)
    assert "x-s3_pipeline_secret_key" in resolved
    for secret in SECRETS:
        with pytest.raises(MissingRequiredError, match=secret) as err:
            interpolate(_compose_text(), {**filled, secret: ""})
        assert "in .env" in err.value.reason, "the message tells the operator where"
