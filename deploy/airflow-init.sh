#!/usr/bin/env bash
# One-shot initialisation: Airflow metadata DB, the SMTP connection, the sentra ledger.
# Idempotent: safe on every `docker compose up`.
set -euo pipefail

airflow db migrate

# SMTP for the reports (Mailpit in this stack; a real relay in production via .env).
airflow connections delete smtp_default >/dev/null 2>&1 || true
airflow connections add smtp_default \
  --conn-type smtp \
  --conn-host "${SENTRA_SMTP_HOST:-mailpit}" \
  --conn-port "${SENTRA_SMTP_PORT:-1025}" \
  --conn-login "${SENTRA_SMTP_USER:-}" \
  --conn-password "${SENTRA_SMTP_PASSWORD:-}" \
  --conn-extra '{"disable_tls": true, "disable_ssl": true}'

sentra ledger migrate
echo "sentra: initialisation done"
