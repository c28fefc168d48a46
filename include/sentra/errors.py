"""Exceptions that Airflow must be able to import while it parses the DAG folder.

A task's ``ExceptionRetryPolicy`` names its exceptions by dotted path and Airflow
imports them at parse time, so they live here, away from the modules that import
pandas and pyarrow (``tests/dags/test_dag_integrity.py`` holds parsing to light
imports).
"""

from __future__ import annotations


class AuditError(RuntimeError):
    """A consolidation's output broke an invariant; nothing was published."""
