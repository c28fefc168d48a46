#!/usr/bin/env bash
# One-shot initialisation of the stack, run by the `airflow-init` service before any
# Airflow component starts: metadata DB schema, the FAB admin user, the SMTP connection,
# the pools, the sentra ledger schema. Idempotent: it runs on every `docker compose up`,
# and .env stays the single source of truth for what it writes.
set -euo pipefail

# Fail early, naming the variable, rather than half-way through.
: "${AIRFLOW_ADMIN_USER:?set AIRFLOW_ADMIN_USER in .env}"
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
: "${INIT_SMTP_HOST:?}" "${INIT_SMTP_PORT:?}" "${INIT_INGEST_POOL_SLOTS:?}"

# With the FAB auth manager this also creates FAB's users/roles tables.
echo "sentra init: airflow db migrate"
airflow db migrate

# FAB's built-in roles are sentra's roles (docs/deployment.md, "Users and roles"):
# Admin = platform admin, Op = data engineers (connections, pools, reruns), User =
# reviewers (trigger census_review, clear tasks), Viewer = analysts (read only; board
# and Data Docs). `sync-perm` keeps the roles' permissions in step with the DAGs.
echo "sentra init: admin ${AIRFLOW_ADMIN_USER} (FAB, role Admin)"
airflow sync-perm
created=$(airflow users create --role Admin --username "${AIRFLOW_ADMIN_USER}" \
  --password "${AIRFLOW_ADMIN_PASSWORD}" --email "${AIRFLOW_ADMIN_EMAIL:-admin@localhost}" \
  --firstname sentra --lastname admin)
if grep -q "already exists" <<< "${created}"; then
  # .env stays the source of truth: a changed AIRFLOW_ADMIN_PASSWORD applies on restart.
  airflow users reset-password --username "${AIRFLOW_ADMIN_USER}" \
    --password "${AIRFLOW_ADMIN_PASSWORD}" > /dev/null
fi

# SMTP for the reports: Mailpit in this stack, the ministry's relay in production (.env).
# Imported with --overwrite on every start so that editing .env is how the relay is
# changed; the file holding the password is private and removed at exit.
echo "sentra init: connection smtp_default -> ${INIT_SMTP_HOST}:${INIT_SMTP_PORT}"
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
    "host": os.environ["INIT_SMTP_HOST"],
    "port": int(os.environ["INIT_SMTP_PORT"]),
    "login": os.environ.get("INIT_SMTP_USER") or None,
    "password": os.environ.get("INIT_SMTP_PASSWORD") or None,
    "extra_dejson": {
        "from_email": os.environ["SENTRA_MAIL_FROM"],
        "disable_tls": not flag("INIT_SMTP_STARTTLS"),
        "disable_ssl": not flag("INIT_SMTP_SSL"),
        "timeout": 30,
        "retry_limit": 3,
    },
}
connections = {"smtp_default": smtp}
# The census mailbox, only where e-mail intake is configured (SENTRA_INTAKE_ADDRESS):
# an IMAPS login that sentra.intake reads unseen replies from.
if os.environ.get("SENTRA_INTAKE_ADDRESS") and os.environ.get("INIT_IMAP_HOST"):
    connections["sentra_imap"] = {
        "conn_type": "imap",
        "host": os.environ["INIT_IMAP_HOST"],
        "port": int(os.environ.get("INIT_IMAP_PORT") or 993),
        "login": os.environ.get("INIT_IMAP_USER") or None,
        "password": os.environ.get("INIT_IMAP_PASSWORD") or None,
        "extra_dejson": {"use_ssl": True},
    }
elif os.environ.get("SENTRA_INTAKE_ADDRESS"):
    sys.exit("sentra init: SENTRA_INTAKE_ADDRESS is set but SENTRA_IMAP_HOST is empty")
print("sentra init: connections " + ", ".join(sorted(connections)))
with open(sys.argv[1], "w") as fh:
    json.dump(connections, fh)
PY
airflow connections import --overwrite "${connections}"

# Submissions are processed in parallel mapped tasks; the pool caps how many run at once
# across all workers so a round of 500+ files cannot starve the other DAGs.
echo "sentra init: pool sentra_ingest (${INIT_INGEST_POOL_SLOTS} slots)"
airflow pools set sentra_ingest "${INIT_INGEST_POOL_SLOTS}" \
  "sentra: concurrent process_submission tasks (one regional file each)"

echo "sentra init: sentra ledger migrate"
sentra ledger migrate
echo "sentra init: done"
