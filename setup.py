"""Packages for setuptools: sentra from include/, and its SQL and suites as package data.

``sql/`` and ``expectations/`` stay at the top of the repository (reviewed there, next
to ``include/``), and ship inside the wheel as ``sentra/sql`` and ``sentra/expectations``:
``sentra.warehouse.query.sql_dir`` and ``sentra.quality.suites`` look for them in the
parents of the installed package, so a wheel install finds them the way a checkout does.
Everything else (name, version, dependencies, scripts, package data) is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages("include", include=["sentra*"]),
        "sentra.sql",
        "sentra.sql.views",
        "sentra.expectations",
    ],
    package_dir={"": "include", "sentra.sql": "sql", "sentra.expectations": "expectations"},
)
