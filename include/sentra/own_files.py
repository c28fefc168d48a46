"""Place the files offices actually sent into the landing layout (``sentra run``).

Two layouts are accepted. The landing layout ``<folder>/<census_year>/<office_code>/<file>``
(local or ``s3://``) is used where it lies: discovery reads it as production does. A
flat folder of files, with one ``--year``, is placed into the embedded landing folder
first: each file goes under the office its folder name, its content or its file name
points to. A file no rule can place safely refuses the whole run, naming the file and
why, before anything is copied: guessing an office would send its report to the wrong
Dinas and count its sentra in the wrong area. The round itself is driven by
:mod:`sentra.cli.rounds`.

Placement prefers the content: the kab/kota column of the rows says which area the
file covers (one kab/kota, or several of one province → that province's office). The
file name ("Sentra Kab Bantul 2026.xlsx", "3402_sentra.csv") decides where the content
cannot, and refines it where it agrees (a province office whose file happens to list
one kab/kota only).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from sentra.config import Settings

YEAR_RE = re.compile(r"^(20\d\d|2100)$")
CODE_IN_NAME = re.compile(r"(?<!\d)(\d{2})[.\-_ ]?(\d{2})(?!\d)")
IGNORED_PREFIXES = (".", "~$")


class PlacementError(ValueError):
    """Files of a flat folder that cannot be attributed to an office; nothing was copied."""

    def __init__(self, unplaced: list[tuple[str, str]]) -> None:
        self.unplaced = unplaced
        lines = "\n".join(f"  {name}: {why}" for name, why in unplaced)
        super().__init__(
            f"{len(unplaced)} file(s) cannot be placed under an office; nothing was run.\n"
            f"{lines}\nPut each in a folder named by its office code "
            "(e.g. 34.02/), or name the kab/kota in the file name."
        )


@dataclass(frozen=True)
class PlacedFile:
    source: str  # path or URI as found
    name: str
    office_code: str
    how: str  # folder | content | name | content+name


@dataclass
class LandingPlan:
    """Where the run reads from and which census years it runs, in order."""

    landing_uri: str
    years: list[int]
    placed: list[PlacedFile] = field(default_factory=list)  # flat folder: files to copy
    notes: list[str] = field(default_factory=list)


def _fs(settings: Settings, uri: str) -> tuple[pafs.FileSystem, str]:
    from sentra.landing import filesystem

    return filesystem(settings, uri)


def _is_year(name: str) -> bool:
    return bool(YEAR_RE.match(name))


def _listing(fs: pafs.FileSystem, path: str, recursive: bool) -> list:
    import pyarrow.fs as pafs

    return fs.get_file_info(pafs.FileSelector(path, recursive=recursive))


def plan_landing(
    source: str, settings: Settings, *, years: Sequence[int] | None = None
) -> LandingPlan:
    """Decide how to read ``source``: in place (landing layout) or placed (flat folder)."""
    import pyarrow.fs as pafs

    uri = source.rstrip("/") or source
    if not uri.startswith("s3://"):
        from pathlib import Path

        uri = str(Path(uri).expanduser().absolute())
    fs, path = _fs(settings, uri)
    info = fs.get_file_info(path)
    if info.type != pafs.FileType.Directory:
        raise FileNotFoundError(f"{source}: not a folder")
    entries = _listing(fs, path, recursive=False)
    year_dirs = sorted(
        int(e.base_name)
        for e in entries
        if e.type == pafs.FileType.Directory and _is_year(e.base_name)
    )
    base = path.rsplit("/", 1)[-1]
    if not year_dirs and _is_year(base) and _has_office_dirs(entries):
        # The year folder itself was given: its parent is the landing root.
        parent_uri = uri.rsplit("/", 1)[0]
        if years and list(years) != [int(base)]:
            raise ValueError(f"{source} holds census {base}, not {', '.join(map(str, years))}")
        return LandingPlan(parent_uri, [int(base)])
    if year_dirs:
        chosen = sorted(years) if years else year_dirs
        missing = [y for y in chosen if y not in year_dirs]
        if missing:
            raise ValueError(
                f"{source} has no folder for census {', '.join(map(str, missing))} "
                f"(it has {', '.join(map(str, year_dirs))})"
            )
        loose = [e.base_name for e in entries if e.type == pafs.FileType.File]
        notes = [f"not in a census-year folder, not read: {name}" for name in sorted(loose)]
        return LandingPlan(uri, chosen, notes=notes)
    if not years or len(years) != 1:
        raise ValueError(
            f"{source} is a flat folder (no <census_year>/<office_code>/ sub-folders): "
            "say which census it is with --year, e.g. --year 2026"
        )
    return _plan_flat(fs, path, uri, int(years[0]), settings)


def _has_office_dirs(entries: list) -> bool:
    import pyarrow.fs as pafs

    from sentra.reference import normalise_code, regions

    index = regions()
    for e in entries:
        code = normalise_code(e.base_name) if e.type == pafs.FileType.Directory else None
        if code and index.is_office(code):
            return True
    return False


def _plan_flat(
    fs: pafs.FileSystem, path: str, uri: str, year: int, settings: Settings
) -> LandingPlan:
    import pyarrow.fs as pafs

    from sentra.reference import normalise_code, regions

    index = regions()
    placed: list[PlacedFile] = []
    unplaced: list[tuple[str, str]] = []
    notes: list[str] = []
    for e in sorted(_listing(fs, path, recursive=True), key=lambda e: e.path):
        if e.type != pafs.FileType.File:
            continue
        rel = e.path[len(path) + 1 :]
        name = e.base_name
        if name.startswith(IGNORED_PREFIXES):
            notes.append(f"hidden or lock file, not read: {rel}")
            continue
        source = e.path if not uri.startswith("s3://") else f"{uri}/{rel}"
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        folder_code = normalise_code(parent.rsplit("/", 1)[-1]) if parent else None
        if folder_code and index.is_office(folder_code):
            placed.append(PlacedFile(source, name, folder_code, "folder"))
            continue
        with fs.open_input_file(e.path) as handle:
            data = handle.read()
        office, how, why = infer_office(name, data, year, settings)
        if office is None:
            unplaced.append((rel, why))
        else:
            placed.append(PlacedFile(source, name, office, how))
    if unplaced:
        raise PlacementError(unplaced)
    if not placed:
        raise ValueError(f"{uri}: no files to run")
    return LandingPlan(settings.landing_uri, [year], placed=placed, notes=notes)


def offices_in_name(file_name: str) -> set[str]:
    """Office codes a file name points to: a code (``3402``, ``34.02``) or a region name.

    A mention inside a longer one is dropped: "Kota Bogor" is the kota, not also the
    kabupaten "Bogor". A name that is both a province and a kota ("Bengkulu") yields
    both, and the caller treats that as ambiguous.
    """
    from sentra.reference import fold, regions

    index = regions()
    stem = file_name.rsplit(".", 1)[0]
    found: set[str] = set()
    for a, b in CODE_IN_NAME.findall(stem):
        if index.is_office(f"{a}.{b}"):
            found.add(f"{a}.{b}")
    words = fold(re.sub(r"[_\-.]+", " ", stem)).split()
    mentions: list[tuple[int, int, str]] = []
    for size in (4, 3, 2, 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase.isdigit() or any(s <= i and i + size <= e for s, e, _ in mentions):
                continue
            for region in (index.resolve_kabkota(phrase), index.resolve_province(phrase)):
                if region is not None:
                    mentions.append((i, i + size, region.code))
    return found | {code for _, _, code in mentions}


def offices_in_content(
    file_name: str, data: bytes, census_year: int, settings: Settings
) -> tuple[str | None, str]:
    """The office whose area the rows' kab/kota column covers, or None and why not."""
    from sentra.ingest import read_submission

    parsed = read_submission(
        data,
        file_name=file_name,
        office_code="",
        census_year=census_year,
        submission_id="placement",
        settings=settings,
    )
    if parsed.file_error is not None:
        return None, f"cannot be read ({parsed.file_error.message_en})"
    codes = sorted(set(parsed.rows["region_code"].dropna().unique()))
    if not codes:
        return None, "no row names a known kab/kota"
    if len(codes) == 1:
        return codes[0], ""
    provinces = {c[:2] for c in codes}
    if len(provinces) == 1:
        return provinces.pop(), ""
    return None, f"rows lie in several provinces ({', '.join(sorted(provinces))})"


def infer_office(
    file_name: str, data: bytes, census_year: int, settings: Settings
) -> tuple[str | None, str, str]:
    """(office code, how it was found, why not when None) for one file of a flat folder."""
    content, why = offices_in_content(file_name, data, census_year, settings)
    named = offices_in_name(file_name)
    if content is not None:
        # The name may be more general and still agree (a province office whose file
        # lists one kab/kota): an agreeing, unambiguous name wins.
        agreeing = {n for n in named if content.startswith(n)}
        if len(agreeing) == 1:
            office = agreeing.pop()
            return office, "content+name" if office != content else "content", ""
        return content, "content", ""
    if len(named) == 1:
        return next(iter(named)), "name", ""
    if len(named) > 1:
        return None, "", f"{why}; the name points to several offices ({', '.join(sorted(named))})"
    return None, "", f"{why}; the name names no province or kab/kota"


def place_files(plan: LandingPlan, settings: Settings, year: int) -> list[str]:
    """Copy a flat folder's files under ``<landing>/<year>/<office>/``; the paths written.

    A file already there with the same bytes is left alone (a rerun copies nothing);
    a different file of the same name gets its content hash in the name, so neither
    overwrites the other.
    """
    written: list[str] = []
    dest_fs, dest_root = _fs(settings, plan.landing_uri)
    for f in plan.placed:
        src_fs, src_path = _fs(settings, f.source)
        with src_fs.open_input_file(src_path) as handle:
            data = handle.read()
        folder = f"{dest_root}/{year}/{f.office_code}"
        dest_fs.create_dir(folder, recursive=True)
        target = f"{folder}/{f.name}"
        if _exists(dest_fs, target):
            if _read(dest_fs, target) == data:
                continue
            stem, dot, ext = f.name.rpartition(".")
            digest = hashlib.sha256(data).hexdigest()[:8]
            target = f"{folder}/{stem or ext}-{digest}{dot}{ext if stem else ''}"
            if _exists(dest_fs, target):
                continue
        with dest_fs.open_output_stream(target) as out:
            out.write(data)
        written.append(target)
    return written


def _exists(fs: pafs.FileSystem, path: str) -> bool:
    import pyarrow.fs as pafs

    return fs.get_file_info(path).type != pafs.FileType.NotFound


def _read(fs: pafs.FileSystem, path: str) -> bytes:
    with fs.open_input_file(path) as handle:
        return handle.read()


# ----------------------------------------------------------------- the run itself
