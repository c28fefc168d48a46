"""Benchmarks of sentra against same-run baselines (``python -m bench`` from the repository root).

Kept outside the ``sentra`` package: measuring is a development tool, not something the
wheel or the production image should carry (Splink, the GX-alone baseline, data generators).
"""
