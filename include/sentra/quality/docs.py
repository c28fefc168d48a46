"""Great Expectations Data Docs for validated submissions, linked from the reports.

GX renders Data Docs from its expectation and validation-result stores. Sentra keeps
those stores as files under ``settings.data_dir / "gx"`` (so the site's index lists
every submission validated so far, across task processes) and writes the HTML site to
``settings.docs_dir / "data_docs"``. The context is ephemeral: no great_expectations.yml
is written, and nothing lands outside the data folder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentra.config import Settings
    from sentra.quality.validation import ValidationResult

SITE_NAME = "sentra"


def data_docs_dir(settings: Settings) -> Path:
    return Path(settings.docs_dir) / "data_docs"


def build_data_docs(settings: Settings, *results: ValidationResult, index: bool = True) -> Path:
    """Store ``results`` and (re)build the Data Docs site; returns its ``index.html``.

    Called once per submission or once per round; calling it again with the same
    submission replaces that submission's page rather than adding a second one.
    ``index=False`` builds only the results' pages and marks the index outdated, for
    :func:`build_data_docs_index` to rewrite once: the index lists every result stored
    so far (both years of a round), so rewriting it for each batch made a round's
    Data Docs grow with the square of its files (#28).
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from sentra.quality.suites import load_suite

    context = _docs_context(settings)
    identifiers = []
    # Each suite is stored once per build, not once per result: GX's add_or_update
    # compares every expectation of the stored suite with the new one (in the #28
    # profile, more time than rendering the pages).
    stored: set[str] = set()
    for result in results:
        if result.gx_result is None:
            raise ValueError("this ValidationResult carries no GX result to render")
        if result.suite_name not in stored:
            context.suites.add_or_update(_copy_suite(load_suite(result.suite_name).gx_full))
            stored.add(result.suite_name)
        batch = result.submission_id or f"{result.census_year}-{result.office_code}"
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=RunIdentifier(
                run_name=f"{result.census_year}-{result.office_code}",
                run_time=datetime(result.census_year or 1970, 1, 1, tzinfo=UTC),
            ),
            batch_identifier=batch,
        )
        context.validation_results_store.set(key, result.gx_result)
        identifiers.append(key)
    # Only the pages of these results (and the index): rebuilding every page of the
    # round for each submission would make a round quadratic in its files.
    if not index:
        _outdated_marker(settings).touch()
    built = context.build_data_docs(
        site_names=[SITE_NAME], resource_identifiers=identifiers, build_index=index
    )
    index_page = data_docs_dir(settings) / "index.html"
    if SITE_NAME not in built or (index and not index_page.is_file()):
        raise RuntimeError(f"Great Expectations did not build Data Docs at {index_page}")
    if index:
        _outdated_marker(settings).unlink(missing_ok=True)
    return index_page


def build_data_docs_index(settings: Settings) -> Path | None:
    """Rewrite the Data Docs index if pages were built without it since; else nothing.

    GX has no index-only build, so the index comes with the page of the stored suite
    (cheap, and part of the site anyway). Returns the index, or None when it was current.
    """
    marker = _outdated_marker(settings)
    if not marker.exists():
        return None
    context = _docs_context(settings)
    suites = context.expectations_store.list_keys()[:1]
    built = context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=suites)
    index = data_docs_dir(settings) / "index.html"
    if SITE_NAME not in built or not index.is_file():
        raise RuntimeError(f"Great Expectations did not build the Data Docs index at {index}")
    marker.unlink(missing_ok=True)
    return index


def _outdated_marker(settings: Settings) -> Path:
    """Present while pages were built that the index does not list yet (kept beside the
    GX stores, not in the served site)."""
    return Path(settings.data_dir).absolute() / "gx" / "data_docs_index_outdated"


def page_for(settings: Settings, submission_id: str) -> Path | None:
    """The Data Docs page of a submission's validation, if it was built."""
    pages = sorted((data_docs_dir(settings) / "validations").rglob(f"{submission_id}.html"))
    return pages[-1] if pages else None


def link_for(settings: Settings, submission_id: str) -> str | None:
    """Where an office opens its submission's Data Docs page: a URL or a file path.

    With ``SENTRA_DATA_DOCS_BASE_URL`` (where the central office serves
    ``<docs_dir>/data_docs``) a URL; otherwise the page's path, which the central
    office can open or forward.
    """
    page = page_for(settings, submission_id)
    if page is None:
        return None
    if settings.data_docs_base_url:
        relative = page.relative_to(data_docs_dir(settings)).as_posix()
        return f"{settings.data_docs_base_url.rstrip('/')}/{relative}"
    return str(page)


def _copy_suite(suite: Any) -> Any:
    import great_expectations as gx

    configs = [e.configuration.to_json_dict() for e in suite.expectations]
    return gx.ExpectationSuite(name=suite.name, expectations=configs, meta=dict(suite.meta or {}))


def _docs_context(settings: Settings) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
    )

    store_root = Path(settings.data_dir).absolute() / "gx"
    site_dir = data_docs_dir(settings).absolute()
    store_root.mkdir(parents=True, exist_ok=True)
    site_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(store_root)),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
    )
    return gx.get_context(project_config=config, mode="ephemeral")
