"""sentra: the data pipeline for Indonesia's yearly re-census of sentra IKM.

The package is the domain; Airflow DAGs, the CLI and plugins are thin shells over it.
Importing it is cheap and does no I/O.
"""

__version__ = "0.1.0"
