"""Discovery of submitted files under ``landing/<census_year>/<office_code>/``.

The landing area is a local folder in the embedded default and an S3-compatible bucket
in production; both go through ``pyarrow.fs`` so there is one code path. Files are
fingerprinted by streaming SHA-256 (never read whole into memory), so the same bytes
sent twice are one submission, and a newer file from the same office supersedes the
older one in the ledger.

Nothing found is dropped silently. Office lock and hidden files (``~$…``, ``.…``) are
listed as ignored with the reason. A file that cannot be attributed safely (a folder
that is not an office code, a symlink or path escaping the landing root, a dangling
link) comes back with a ``problem`` (a ``sentra.schema.REASONS`` code) instead of
raising, so one misplaced file never stops discovery of the others.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING

from sentra.config import Settings
from sentra.filesystems import filesystem
from sentra.schema import SubmissionStatus

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from sentra.ledger.db import LedgerSessions

log = logging.getLogger(__name__)

CHUNK = 1 << 20
IGNORED_PREFIXES = {".": "hidden file", "~$": "Office lock file of an open workbook"}


@dataclass(frozen=True)
class DiscoveredFile:
    """One entry of the landing folder, with what discovery concluded about it."""

    census_year: int
    office_code: str  # dotted office code; the raw folder name when it is not one
    file_uri: str
    file_name: str
    size_bytes: int
    modified_at: datetime | None
    sha256: str | None = None
    problem: str | None = None  # a REASONS code when the file cannot be taken as is
    detail: str | None = None  # what exactly, for the message to the office
    ignored: str | None = None  # why the file is deliberately not a submission

    @property
    def usable(self) -> bool:
        return self.problem is None and self.ignored is None and self.sha256 is not None


# The module table in docs/architecture.md names it so.
DiscoveredSubmission = DiscoveredFile


@dataclass
class DiscoveryResult:
    """What one discovery run changed in the ledger (ids), and what it could not take."""

    census_year: int
    new: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    problems: list[DiscoveredFile] = field(default_factory=list)
    ignored: list[DiscoveredFile] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.known)} already known, "
            f"{len(self.superseded)} superseded, {len(self.problems)} with problems, "
            f"{len(self.ignored)} ignored"
        )


def _is_local(uri: str) -> bool:
    return not uri.startswith("s3://")


def _escapes_root(path: str, root: str) -> str | None:
    """Why a local path is not safely inside the landing root, or None when it is."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real, real_root]) == real_root:
        return None
    if os.path.islink(path):
        return f"symbolic link to {real}, outside the landing folder"
    return f"resolves to {real}, outside the landing folder"


def _sha256(fs: pafs.FileSystem, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open_input_stream(path) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _ignored_reason(name: str) -> str | None:
    for prefix, why in IGNORED_PREFIXES.items():
        if name.startswith(prefix):
            return why
    return None


def _office_of(folder: str) -> str | None:
    """The dotted office code a folder names (``3402``, ``34-02`` → ``34.02``), or None."""
    from sentra.reference import normalise_code, regions

    code = normalise_code(folder)
    return code if code is not None and regions().is_office(code) else None


def _dangling_links(year_dir: str, listed: set[str]) -> Iterator[str]:
    """Local entries pyarrow's listing leaves out (dangling symlinks), so none go unseen."""
    for dirpath, dirnames, filenames in os.walk(year_dir):
        for name in (*filenames, *dirnames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not os.path.exists(path) and path not in listed:
                yield path


def discover(settings: Settings, census_year: int) -> list[DiscoveredFile]:
    """Every file of a census year's landing folder, fingerprinted or explained.

    Sorted by path, so two runs over the same folder give the same list.
    """
    import pyarrow.fs as pafs

    root_uri = settings.landing_uri.rstrip("/")
    fs, root = filesystem(settings, root_uri)
    year_dir = f"{root}/{census_year}"
    if fs.get_file_info(year_dir).type == pafs.FileType.NotFound:
        return []
    local = _is_local(root_uri)
    entries = [
        (info.path, info.size or 0, info.mtime)
        for info in fs.get_file_info(pafs.FileSelector(year_dir, recursive=True))
        if info.type != pafs.FileType.Directory
    ]
    if local:
        listed = {path for path, _, _ in entries}
        entries += [(path, 0, None) for path in _dangling_links(year_dir, listed)]
    found = [
        _examine(fs, root, root_uri, year_dir, census_year, path, size, mtime, local)
        for path, size, mtime in sorted(entries, key=lambda e: e[0])
    ]
    return found


def _examine(
    fs: pafs.FileSystem,
    root: str,
    root_uri: str,
    year_dir: str,
    census_year: int,
    path: str,
    size: int,
    mtime: datetime | None,
    local: bool,
) -> DiscoveredFile:
    rel = path[len(year_dir) + 1 :]
    parts = rel.split("/")
    name = parts[-1]
    uri = path if local else f"{root_uri}/{census_year}/{rel}"
    folder = parts[0] if len(parts) >= 2 else ""
    office = _office_of(folder) if len(parts) == 2 else None
    modified = mtime.astimezone(UTC) if mtime else None
    base = DiscoveredFile(census_year, office or folder, uri, name, size, modified)
    why_ignored = _ignored_reason(name)
    if why_ignored:
        return replace(base, ignored=why_ignored)
    if ".." in parts:
        return replace(base, problem="outside_landing", detail=f"{rel}: '..' in the path")
    if office is None:
        where = "/".join(parts[:-1]) or "(the year folder itself)"
        return replace(base, problem="unknown_office", detail=where)
    if local:
        escape = _escapes_root(path, root)
        if escape:
            return replace(base, problem="outside_landing", detail=f"{rel}: {escape}")
        if not os.path.exists(path):
            detail = f"{rel}: symbolic link to {os.readlink(path)}, which does not exist"
            return replace(base, problem="file_unreadable", detail=detail)
    try:
        return replace(base, sha256=_sha256(fs, path))
    except OSError as exc:
        return replace(base, problem="file_unreadable", detail=f"{rel}: {exc}")


def _problem_digest(f: DiscoveredFile) -> str:
    """Stand-in content hash of a file whose bytes were not trusted: its problem and path."""
    return hashlib.sha256(f"{f.problem}:{f.file_uri}".encode()).hexdigest()


def _newer(f: DiscoveredFile, sub: object) -> bool:
    known = getattr(sub, "file_modified_at", None)
    if f.modified_at is None:
        return False
    if known is None:
        return True
    return f.modified_at > (known if known.tzinfo else known.replace(tzinfo=UTC))


def _record(
    settings: Settings, census_year: int, files: list[DiscoveredFile], ledger: LedgerSessions
) -> DiscoveryResult:
    from sentra.census_round import template_hashes
    from sentra.ledger import repository as repo
    from sentra.schema import reason

    result = DiscoveryResult(census_year)
    present = {f.file_uri for f in files}
    forms = template_hashes(settings, census_year)
    offices_touched: set[str] = set()
    with ledger() as session:
        for f in files:
            if f.ignored:
                result.ignored.append(f)
                continue
            if f.sha256 and f.sha256 in forms.get(f.office_code, ()):
                # The prefilled form sentra itself put there, untouched: not a submission.
                result.ignored.append(replace(f, ignored="blank census form sent by sentra"))
                continue
            if f.problem == "unknown_office":
                result.problems.append(f)
                log.warning("landing file %s not taken: %s (%s)", f.file_uri, f.problem, f.detail)
                continue
            sub, created = repo.record_discovered(
                session,
                census_year=census_year,
                office_code=f.office_code,
                file_uri=f.file_uri,
                file_name=f.file_name,
                sha256=f.sha256 or _problem_digest(f),
                size_bytes=f.size_bytes,
                modified_at=f.modified_at,
                status=SubmissionStatus.REJECTED if f.problem else SubmissionStatus.RECEIVED,
                error_code=f.problem,
                error_message=reason(f.problem).render("id", value=f.detail) if f.problem else None,
            )
            if not created and (_newer(f, sub) or sub.file_uri not in present):
                # The same bytes again: sent anew (a newer copy makes them current again,
                # through supersession) or renamed (read them from where they are now).
                sub.file_uri, sub.file_name = f.file_uri, f.file_name
                if _newer(f, sub):
                    sub.file_modified_at = f.modified_at
            if f.problem:
                result.problems.append(f)
            (result.new if created else result.known).append(sub.submission_id)
            offices_touched.add(f.office_code)
        for office in sorted(offices_touched):
            result.superseded.extend(repo.apply_supersession(session, census_year, office))
    return result


def discover_and_record(
    settings: Settings, census_year: int, ledger: LedgerSessions
) -> DiscoveryResult:
    """Discover, record new submissions and apply supersession in one transaction.

    ``ledger()`` opens that transaction (the task passes a factory of ledger sessions):
    a fresh one per attempt, since a lost race leaves the failed one unusable.

    Files under a real office folder that cannot be read safely are recorded as
    rejected submissions (fingerprinted by problem and path, since their bytes were
    not trusted) so the office is told. Files under no office folder are returned as
    problems and logged: there is no office to tell, only the data engineers. Running
    it again over the same files changes nothing; when two runs race, the loser sees
    the winner's rows on its retry.
    """
    from sqlalchemy.exc import IntegrityError

    files = discover(settings, census_year)
    for attempt in range(3):
        try:
            return _record(settings, census_year, files, ledger)
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("another discovery recorded the same files first; retrying")
    raise AssertionError("unreachable")


def open_file(settings: Settings, file_uri: str) -> bytes:
    """The bytes of a landing file.

    Reading into memory is deliberate: readers need random access (XLSX is a zip), and
    the pipeline refuses files over ``max_file_bytes`` before calling this.
    """
    fs, path = filesystem(settings, file_uri)
    with fs.open_input_file(path) as handle:
        return handle.read()


def open_stream(settings: Settings, file_uri: str) -> IO[bytes]:
    """A binary stream over a landing file, for readers that can consume one (CSV)."""
    fs, path = filesystem(settings, file_uri)
    return fs.open_input_stream(path)
