"""The census progress board as a FastAPI app, mounted into Airflow's api-server.

``plugins/sentra_board.py`` registers it under ``/sentra`` and adds a "Progres Sensus"
link to Airflow's navigation. Every route requires a signed-in Airflow user (the same
JWT the Airflow UI uses, from its cookie or an ``Authorization: Bearer`` header) with
access to the Airflow website; nothing here writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Query
from fastapi.responses import HTMLResponse

TEMPLATES = Path(__file__).with_name("board_templates")


def _authorised() -> Any:
    """Airflow's own check: a valid Airflow token allowed to see the website."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    return Depends(requires_access_view(AccessView.WEBSITE))


def _year(census_year: int | None) -> int:
    """The asked year, else today's in Jakarta: the rule of :mod:`sentra.census_year`."""
    from sentra.census_year import census_year_of_run

    return census_year_of_run({"census_year": census_year}, datetime.now(UTC))


def _board(census_year: int | None) -> Any:
    from sentra.board import build
    from sentra.config import get_settings

    return build(get_settings(), _year(census_year))


def create_app() -> FastAPI:
    app = FastAPI(
        title="sentra census progress board",
        description="Read-only progress of the yearly re-census of sentra IKM.",
        dependencies=[_authorised()],
    )

    @app.get("/api/board")
    def board_json(census_year: int | None = Query(None, ge=2000, le=2100)) -> dict[str, Any]:
        """Per office: submitted, rows accepted/rejected, held, status vs last year."""
        return _board(census_year).as_dict()

    @app.get("/board", response_class=HTMLResponse)
    def board_page(census_year: int | None = Query(None, ge=2000, le=2100)) -> str:
        """The same figures as a page (a national table grouped by province)."""
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
        )
        board = _board(census_year)
        return env.get_template("board.html.j2").render(b=board, provinces=board.provinces())

    return app


app = create_app()
