-- Separate databases for the ledger and the Iceberg SQL catalog, next to Airflow's.
-- Runs once, when the PostgreSQL volume is created.
CREATE DATABASE sentra_ledger OWNER airflow;
CREATE DATABASE sentra_catalog OWNER airflow;
