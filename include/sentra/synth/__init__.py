"""Synthetic census rounds with ground truth, for the demo, tests and benchmarks.

Deterministic by seed: the same seed writes byte-identical files and truth.
``generate_world`` builds the register, ``simulate``/``generate_round`` write the
yearly submissions and their truth, ``sample_rows``/``write_single_file`` make one big
office-style file for benchmarks.
"""

from sentra.synth.bulk import sample_rows, write_bulk_file, write_single_file
from sentra.synth.rounds import (
    ROW_ERRORS,
    Messiness,
    RoundTruth,
    generate_round,
    name_variant,
    simulate,
)
from sentra.synth.world import World, generate_world, write_offices, write_register

__all__ = [
    "ROW_ERRORS",
    "Messiness",
    "RoundTruth",
    "World",
    "generate_round",
    "generate_world",
    "name_variant",
    "sample_rows",
    "simulate",
    "write_bulk_file",
    "write_offices",
    "write_register",
    "write_single_file",
]
