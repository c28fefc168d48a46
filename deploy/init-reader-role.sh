#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is created (after init-databases.sql): the
# read-only role other engines (Trino, Spark, DuckDB) use to read the Iceberg catalog.
#
# Not a superuser and not the pipeline's "airflow" user: it may connect to
# sentra_catalog only, read its tables (also those the pipeline creates later, through
# default privileges) and every session is read-only. It has no access to sentra_ledger,
# where contact names and phones are kept (table submission_contact). docs/deployment.md
# shows the reader's settings for each engine.
set -euo pipefail
: "${CATALOG_READER_USER:?}" "${CATALOG_READER_PASSWORD:?}"
catalog_db="${CATALOG_DB:-sentra_catalog}"
ledger_db="${LEDGER_DB:-sentra_ledger}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${catalog_db}" \
  -v catalog="${catalog_db}" -v ledger="${ledger_db}" -v reader="${CATALOG_READER_USER}" -v password="${CATALOG_READER_PASSWORD}" \
  -v owner="${POSTGRES_USER}" -f - <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION;
ALTER ROLE :"reader" SET default_transaction_read_only = on;
REVOKE ALL ON DATABASE :"ledger" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE :"catalog" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
