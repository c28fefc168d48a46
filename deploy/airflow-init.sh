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
# Rewritten on every start so that editing .env is how the relay is changed.
echo "sentra init: connection smtp_default -> ${SENTRA_SMTP_HOST}:${SENTRA_SMTP_PORT}"
smtp_extra=$(python -c 'import json, os; print(json.dumps({
    "from_email": os.environ["SENTRA_MAIL_FROM"],
    "disable_tls": os.environ["SENTRA_SMTP_STARTTLS"].lower() not in ("1", "true", "yes"),
    "disable_ssl": os.environ["SENTRA_SMTP_SSL"].lower() not in ("1", "true", "yes"),
    "timeout": 30,
    "retry_limit": 3,
}))')
airflow connections delete smtp_default >/dev/null 2>&1 || true
airflow connections add smtp_default \
  --conn-type smtp \
  --conn-host "${SENTRA_SMTP_HOST}" \
  --conn-port "${SENTRA_SMTP_PORT}" \
  --conn-login "${SENTRA_SMTP_USER:-}" \
  --conn-password "${SENTRA_SMTP_PASSWORD:-}" \
  --conn-extra "${smtp_extra}"

# Submissions are processed in parallel mapped tasks; the pool caps how many run at once
# across all workers so a round of 500+ files cannot starve the other DAGs.
echo "sentra init: pool sentra_ingest (${SENTRA_INGEST_POOL_SLOTS} slots)"
airflow pools set sentra_ingest "${SENTRA_INGEST_POOL_SLOTS}" \
  "sentra: concurrent process_submission tasks (one regional file each)"

echo "sentra init: sentra ledger migrate"
sentra ledger migrate
echo "sentra init: done"
