"""Deduplication within a census round and linking to the national sentra register.

Public API (what ``sentra.pipeline`` calls)::

    deduplicate(records, *, settings, decisions=None) -> DedupResult
    link_to_register(survivors, register, *, settings, existing_links=None, decisions=None)
        -> LinkResult
    pair_quality(predicted, truth) -> QualityScores

The decision rule, survivorship and linking policy are documented in
``docs/matching.md``. Importing this package is cheap: numpy, pandas, rapidfuzz and
scipy load on first use of one of the names above (DAG files may import it).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentra.matching.dedup import DedupResult, deduplicate
    from sentra.matching.link import LinkResult, link_to_register
    from sentra.matching.quality import QualityScores, pair_quality

__all__ = [
    "DedupResult",
    "LinkResult",
    "QualityScores",
    "deduplicate",
    "link_to_register",
    "pair_quality",
]

_HOMES = {
    "DedupResult": "sentra.matching.dedup",
    "deduplicate": "sentra.matching.dedup",
    "LinkResult": "sentra.matching.link",
    "link_to_register": "sentra.matching.link",
    "QualityScores": "sentra.matching.quality",
    "pair_quality": "sentra.matching.quality",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sentra.matching' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
