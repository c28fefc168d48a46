"""Discovery of submitted files under ``landing/<census_year>/<office_code>/``.

The landing area is a local folder in the embedded default and an S3-compatible bucket
in production; both go through ``pyarrow.fs`` so there is one code path. Files are
fingerprinted by streaming SHA-256 (never read whole into memory), so the same bytes
sent twice are one submission, and a newer file from the same office supersedes the
older one in the ledger.

A file that cannot be attributed safely (a folder that is not an office code, a
symlink or path escaping the landing root) is reported with a reason instead of
raising, so one misplaced file never stops discovery of the others.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sentra.config import Settings

if TYPE_CHECKING:
    import pyarrow.fs as pafs

log = logging.getLogger(__name__)

CHUNK = 1 << 20
IGNORED_PREFIXES = (".", "~$")


@dataclass(frozen=True)
class DiscoveredFile:
    census_year: int
    office_code: str
    file_uri: str
    file_name: str
    size_bytes: int
    modified_at: datetime | None
    sha256: str | None = None
    problem: str | None = None  # a REASONS code when the file cannot be taken as is
    detail: str | None = None


@dataclass
class DiscoveryResult:
    census_year: int
    new: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    problems: list[DiscoveredFile] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.known)} already known, "
            f"{len(self.superseded)} superseded, {len(self.problems)} with problems, "
            f"{len(self.ignored)} ignored"
        )


def filesystem(settings: Settings, uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and in-filesystem path for a local path or ``s3://`` URI."""
    from sentra.staging import _filesystem

    return _filesystem(settings, uri)


def _is_local(uri: str) -> bool:
    return not uri.startswith("s3://")


def _escapes_root(path: str, root: str) -> str | None:
    """Why a local path is not safely inside the landing root, or None when it is."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.islink(path):
        if os.path.commonpath([real, real_root]) != real_root:
            return f"symbolic link to {real}, outside the landing folder"
        return None
    if os.path.commonpath([real, real_root]) != real_root:
        return f"resolves to {real}, outside the landing folder"
    return None


def _sha256(fs: pafs.FileSystem, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open_input_stream(path) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def discover(settings: Settings, census_year: int) -> tuple[list[DiscoveredFile], list[str]]:
    """Every file of a census year's landing folder, fingerprinted; plus ignored names."""
    import pyarrow.fs as pafs

    from sentra.reference import regions

    root_uri = settings.landing_uri.rstrip("/")
    fs, root = filesystem(settings, root_uri)
    year_dir = f"{root}/{census_year}"
    if fs.get_file_info(year_dir).type == pafs.FileType.NotFound:
        return [], []
    found: list[DiscoveredFile] = []
    ignored: list[str] = []
    infos = fs.get_file_info(pafs.FileSelector(year_dir, recursive=True))
    for info in sorted(infos, key=lambda i: i.path):
        if info.type == pafs.FileType.Directory:
            continue
        rel = info.path[len(year_dir) + 1 :]
        parts = rel.split("/")
        name = parts[-1]
        if name.startswith(IGNORED_PREFIXES):
            ignored.append(rel)
            continue
        uri = f"{root_uri}/{census_year}/{rel}" if not _is_local(root_uri) else info.path
        office = parts[0] if len(parts) >= 2 else ""
        modified = info.mtime.astimezone(UTC) if info.mtime else None
        size = info.size or 0
        base = DiscoveredFile(census_year, office, uri, name, size, modified)
        if len(parts) != 2 or not regions().is_office(office):
            where = "/".join(parts[:-1]) or "(the year folder itself)"
            found.append(_with_problem(base, "unknown_office", where))
            continue
        if _is_local(root_uri):
            escape = _escapes_root(info.path, root)
            if escape:
                found.append(_with_problem(base, "outside_landing", f"{rel}: {escape}"))
                continue
        try:
            digest = _sha256(fs, info.path)
        except OSError as exc:
            found.append(_with_problem(base, "file_unreadable", f"{rel}: {exc}"))
            continue
        found.append(DiscoveredFile(census_year, office, uri, name, size, modified, sha256=digest))
    return found, ignored


def _with_problem(f: DiscoveredFile, code: str, detail: str) -> DiscoveredFile:
    return DiscoveredFile(
        f.census_year, f.office_code, f.file_uri, f.file_name, f.size_bytes, f.modified_at,
        sha256=None, problem=code, detail=detail,
    )  # fmt: skip


def discover_and_record(settings: Settings, census_year: int) -> DiscoveryResult:
    """Discover, record new submissions and apply supersession in one transaction.

    Files under a real office folder that cannot be read safely are recorded as
    rejected submissions (fingerprinted by path, since their bytes were not trusted)
    so the office is told; files under no office folder are returned as problems and
    logged: there is nobody to tell but the data engineers.
    """
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.schema import reason

    files, ignored = discover(settings, census_year)
    result = DiscoveryResult(census_year, ignored=ignored)
    offices_touched: set[str] = set()
    with session_scope(settings) as session:
        for f in files:
            if f.problem == "unknown_office":
                result.problems.append(f)
                log.warning("landing file %s ignored: %s (%s)", f.file_uri, f.problem, f.detail)
                continue
            digest = f.sha256 or hashlib.sha256(f"{f.problem}:{f.file_uri}".encode()).hexdigest()
            sub, created = repo.record_discovered(
                session,
                census_year=census_year,
                office_code=f.office_code,
                file_uri=f.file_uri,
                file_name=f.file_name,
                sha256=digest,
                size_bytes=f.size_bytes,
                modified_at=f.modified_at,
                status="rejected" if f.problem else "received",
                error_code=f.problem,
                error_message=reason(f.problem).render("id", value=f.detail) if f.problem else None,
            )
            if f.problem:
                result.problems.append(f)
            (result.new if created else result.known).append(sub.submission_id)
            offices_touched.add(f.office_code)
        for office in sorted(offices_touched):
            result.superseded.extend(repo.apply_supersession(session, census_year, office))
    return result


def open_file(settings: Settings, file_uri: str) -> bytes:
    """The bytes of a landing file.

    Reading into memory is deliberate: readers need random access (XLSX is a zip), and
    the pipeline refuses files over ``max_file_bytes`` before calling this.
    """
    fs, path = filesystem(settings, file_uri)
    with fs.open_input_file(path) as handle:
        return handle.read()
