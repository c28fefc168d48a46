"""Synthetic census rounds with ground truth, for the demo, tests and benchmarks.

Deterministic by seed: the same seed writes byte-identical files and truth.
"""

from sentra.synth.rounds import (
    Messiness,
    RoundTruth,
    generate_round,
    name_variant,
    simulate,
)
from sentra.synth.world import World, generate_world, write_offices, write_register

__all__ = [
    "Messiness",
    "RoundTruth",
    "World",
    "generate_round",
    "generate_world",
    "name_variant",
    "simulate",
    "write_offices",
    "write_register",
]
