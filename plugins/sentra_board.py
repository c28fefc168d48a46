"""Airflow plugin: the sentra census progress board inside the Airflow UI.

Thin on purpose: the app lives in ``sentra.board_app`` and its figures in
``sentra.board``. Airflow's api-server mounts the app under ``/sentra`` and shows a
"Progres Sensus" entry in its navigation; the routes require an Airflow login.
"""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin


class SentraBoardPlugin(AirflowPlugin):
    name = "sentra_board"

    @property
    def fastapi_apps(self) -> list[dict]:  # built when the api-server asks, not at import
        from sentra.board_app import app

        return [{"app": app, "url_prefix": "/sentra", "name": "sentra census progress board"}]

    external_views: ClassVar[list[dict]] = [
        {
            "name": "Progres Sensus",
            "href": "/sentra/board",
            "destination": "nav",
            "category": "browse",
            "url_route": "sentra-board",
        }
    ]
