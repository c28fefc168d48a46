"""The failure alert every DAG's tasks send to the data engineers.

Built from plain facts (:func:`failure_message`) so it is testable without Airflow;
sent through the reports' transport (:func:`send_alert`): the SMTP Connection in
production, the outbox folder in the embedded default.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentra.config import Settings


def alert_recipients(settings: Settings) -> list[str]:
    """``SENTRA_ALERT_EMAILS``, else the central office: someone is always told."""
    listed = [a.strip() for a in settings.alert_emails.split(",") if a.strip()]
    return listed or [settings.central_office_email]


def failure_message(settings: Settings, facts: dict[str, Any]) -> EmailMessage:
    """The alert for one failed task instance: what failed, for which year, where the log is."""
    from email.utils import formatdate, make_msgid

    years = facts.get("census_years")
    year_text = ", ".join(str(y) for y in years) if years else "unknown"
    task = facts["task_id"]
    if facts.get("map_index", -1) not in (-1, None):
        task = f"{task}[{facts['map_index']}]"
    exc = facts.get("exception")
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(alert_recipients(settings))
    msg["Subject"] = f"[SENTRA] {facts['dag_id']}.{task} failed (census {year_text})"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        "\n".join(
            [
                f"DAG:          {facts['dag_id']}",
                f"Task:         {task}",
                f"Run:          {facts.get('run_id')}",
                f"Try:          {facts.get('try_number')}",
                f"Census year:  {year_text}",
                f"Log:          {facts.get('log_url') or '(no link: see the Airflow UI)'}",
                f"Error:        {type(exc).__name__ + ': ' + str(exc) if exc else '(none given)'}",
                "",
                "The DAG's documentation (Airflow UI, DAG Docs) says what to do when it fails.",
            ]
        )
    )
    return msg


def send_alert(settings: Settings, message: EmailMessage) -> None:
    """Send an alert now (no delivery ledger: every failure is worth its own mail)."""
    from sentra.reports.delivery import transport_for

    transport_for(settings).send(message, alert_recipients(settings))
