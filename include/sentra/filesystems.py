"""Where files live: a local folder or an ``s3://`` bucket, behind one pyarrow filesystem.

Landing, staging and the pending consolidation folders all take a URI from the
settings; this module turns it into a ``pyarrow.fs`` filesystem and an in-filesystem
path, so Celery workers on different machines share the same files in production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from sentra.config import Settings


def filesystem(settings: Settings, uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and in-filesystem path for a local path or ``s3://`` URI."""
    import pyarrow.fs as pafs

    if uri.startswith("s3://"):
        fs = pafs.S3FileSystem(
            access_key=settings.s3_access_key_id or None,
            secret_key=settings.s3_secret_access_key or None,
            endpoint_override=settings.s3_endpoint or None,
            region=settings.s3_region,
        )
        return fs, uri.removeprefix("s3://")
    return pafs.LocalFileSystem(), uri.removeprefix("file://")
