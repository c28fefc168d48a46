"""The census progress board as a FastAPI app, mounted into Airflow's api-server.

``plugins/sentra_board.py`` registers it under ``/sentra`` and adds a "Progres Sensus"
link to Airflow's navigation. Every route requires a signed-in Airflow user (the same
JWT the Airflow UI uses, from its cookie or an ``Authorization: Bearer`` header) with
access to the Airflow website; nothing here writes.

FastAPI's own ``/docs``, ``/redoc`` and ``/openapi.json`` are switched off: app-level
dependencies do not cover them, so they would answer anonymously. The Great Expectations
Data Docs are served here too (``/sentra/data-docs/...``, ``SENTRA_DATA_DOCS_BASE_URL``
in the stack), behind the same login, so the links in office e-mails open a page
instead of naming a path on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy.orm import Session

from sentra.ledger.db import request_session

TEMPLATES = Path(__file__).with_name("board_templates")
# A route is an entry point: it takes its ledger session from this dependency.
LedgerSession = Annotated[Session, Depends(request_session)]


def _authorised() -> Any:
    """Airflow's own check: a valid Airflow token allowed to see the website."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    return Depends(requires_access_view(AccessView.WEBSITE))


def _year(census_year: int | None) -> int:
    """The asked year, else today's in Jakarta: the rule of :mod:`sentra.census_year`."""
    from sentra.census_year import census_year_of_run

    return census_year_of_run({"census_year": census_year}, datetime.now(UTC))


def _board(session: Session, census_year: int | None) -> Any:
    from sentra.board import build
    from sentra.config import get_settings

    return build(session, get_settings(), _year(census_year))


def create_app() -> FastAPI:
    app = FastAPI(
        title="sentra census progress board",
        description="Read-only progress of the yearly re-census of sentra IKM.",
        dependencies=[_authorised()],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/api/board")
    def board_json(
        session: LedgerSession,
        census_year: int | None = Query(None, ge=2000, le=2100),
    ) -> dict[str, Any]:
        """Per office: submitted, rows accepted/rejected, held, status vs last year."""
        return _board(session, census_year).as_dict()

    @app.get("/board", response_class=HTMLResponse)
    def board_page(
        session: LedgerSession,
        census_year: int | None = Query(None, ge=2000, le=2100),
    ) -> str:
        """The same figures as a page (a national table grouped by province)."""
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
        )
        board = _board(session, census_year)
        return env.get_template("board.html.j2").render(b=board, provinces=board.provinces())

    @app.get("/data-docs/{path:path}")
    def data_docs(path: str) -> FileResponse:
        """A file of the Data Docs site (its pages link each other relatively)."""
        from sentra.config import get_settings
        from sentra.quality.docs import data_docs_dir

        root = data_docs_dir(get_settings()).resolve()
        target = (root / (path or "index.html")).resolve()
        if target.is_dir():
            target = target / "index.html"
        # resolve() first: "..", symlinks and absolute parts cannot leave the site.
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(status_code=404, detail="no such Data Docs page")
        return FileResponse(target)

    return app


app = create_app()
