#!/usr/bin/env bash
# One-shot initialisation of the stack, run by the `airflow-init` service before any
# Airflow component starts: metadata DB schema, the admin password, the SMTP connection,
# the pools, the sentra ledger schema. Idempotent: it runs on every `docker compose up`,
# and .env stays the single source of truth for what it writes.
set -euo pipefail

: "${AIRFLOW_ADMIN_USER:?set AIRFLOW_ADMIN_USER in .env}"
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?the compose file sets it}"

echo "sentra init: airflow db migrate"
airflow db migrate

# The Simple auth manager reads passwords from this JSON file (on the airflow-auth volume,
# shared with the api-server); writing it here makes the admin password the one in .env
# instead of a random one printed in a log.
echo "sentra init: admin password for ${AIRFLOW_ADMIN_USER}"
python - <<'PY'
import json
import os
from pathlib import Path

path = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
passwords = json.loads(path.read_text() or "{}") if path.exists() else {}
passwords[os.environ["AIRFLOW_ADMIN_USER"]] = os.environ["AIRFLOW_ADMIN_PASSWORD"]
path.write_text(json.dumps(passwords) + "\n")
path.chmod(0o600)
PY

# SMTP for the reports: Mailpit in this stack, the ministry's relay in production (.env).
# Imported with --overwrite on every start so that editing .env is how the relay is
# changed; the file holding the password is private and removed at exit.
echo "sentra init: connection smtp_default -> ${SENTRA_SMTP_HOST}:${SENTRA_SMTP_PORT}"
connections=$(mktemp --suffix=.json)
trap 'rm -f "${connections}"' EXIT
python - "${connections}" <<'PY'
import json
import os
import sys

def flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes")

smtp = {
    "conn_type": "smtp",
    "host": os.environ["SENTRA_SMTP_HOST"],
    "port": int(os.environ["SENTRA_SMTP_PORT"]),
    "login": os.environ.get("SENTRA_SMTP_USER") or None,
    "password": os.environ.get("SENTRA_SMTP_PASSWORD") or None,
    "extra_dejson": {
        "from_email": os.environ["SENTRA_MAIL_FROM"],
        "disable_tls": not flag("SENTRA_SMTP_STARTTLS"),
        "disable_ssl": not flag("SENTRA_SMTP_SSL"),
        "timeout": 30,
        "retry_limit": 3,
    },
}
with open(sys.argv[1], "w") as fh:
    json.dump({"smtp_default": smtp}, fh)
PY
airflow connections import --overwrite "${connections}"

# Submissions are processed in parallel mapped tasks; the pool caps how many run at once
# across all workers so a round of 500+ files cannot starve the other DAGs.
echo "sentra init: pool sentra_ingest (${SENTRA_INGEST_POOL_SLOTS} slots)"
airflow pools set sentra_ingest "${SENTRA_INGEST_POOL_SLOTS}" \
  "sentra: concurrent process_submission tasks (one regional file each)"

echo "sentra init: sentra ledger migrate"
sentra ledger migrate
echo "sentra init: done"
