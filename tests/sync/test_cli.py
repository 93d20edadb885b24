"""The operator's commands: run a sync now, list issues, approve a held change, relaunch."""

from __future__ import annotations

import json
from datetime import timedelta

from exchangelib import Contact

from backend.models import Mailbox
from backend.models.mailbox import HealthStatus
from backend.models.types import IssueCode
from backend.storage.db import utcnow
from backend.sync import status


def test_sync_run_then_issues_list(app, outlook, mailbox) -> None:
    Contact(folder=outlook.contacts / "SAP Contacts", account=outlook, given_name="Mia",
            display_name="Mia").save()  # fmt: skip
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sync", "run", "--mailbox", mailbox.address])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "issues opened 1" in result.output

    listed = runner.invoke(args=["issues", "list", "--mailbox", mailbox.address, "--json"])
    [issue] = json.loads(listed.output)
    assert (issue["code"], issue["fields"], issue["title"]) == ("NEEDS_INPUT", ["LastName"], "Mia")
    assert issue["action"]["title"] == "Fill in the last name"
    text = runner.invoke(args=["issues", "list"])
    assert "1 open issue(s)" in text.output


def test_sync_run_of_an_unknown_mailbox_fails_clearly(app) -> None:
    result = app.test_cli_runner().invoke(args=["sync", "run", "--mailbox", "who@nowhere.test"])
    assert result.exit_code != 0
    assert "no mailbox who@nowhere.test" in result.output


def test_relaunch_failed_and_approve(app, session, mailbox) -> None:
    status.mark_ongoing(mailbox, utcnow())
    status.mark_failed(mailbox, IssueCode.UNKNOWN, utcnow(), timedelta(minutes=5), "boom")
    session.commit()
    runner = app.test_cli_runner()
    assert "relaunched 1 mailbox(es)" in runner.invoke(args=["sync", "relaunch-failed"]).output
    approved = runner.invoke(args=["sync", "approve", "--mailbox", mailbox.address])
    assert approved.exit_code == 0
    session.expire_all()
    box = session.get(Mailbox, mailbox.id)
    assert box.status is HealthStatus.FAILED_UNKNOWN
    assert box.mass_change_approved_at is not None
    assert box.next_sync_at <= utcnow()
