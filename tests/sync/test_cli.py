"""The operator's commands: run a sync now, list issues, approve a held change, relaunch.

Each command takes the same path as the job or the panel: the job's locked run, the web's
checked and audited actions, the issues API's documents.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import yaml
from exchangelib import Contact
from jsonschema import Draft202012Validator
from sqlalchemy import select

from backend.jobs.single_flight import MailboxLock
from backend.models import AuditEvent, Mailbox
from backend.models.issue import Source
from backend.models.types import IssueCode
from backend.storage.db import utcnow
from backend.sync import issues, status
from backend.sync.engine import MASS_CHANGE_CODE
from backend.sync.errors import Classification

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def _as_the_api_documents_it(document: dict) -> None:
    """``document`` is valid against the issues API's own ``Issue`` schema."""
    spec = yaml.safe_load(OPENAPI.read_text())
    schema = {"$ref": "#/components/schemas/Issue", "components": spec["components"]}
    Draft202012Validator(schema).validate(document)


def test_sync_run_then_issues_list(app, outlook, mailbox) -> None:
    Contact(folder=outlook.contacts / "SAP Contacts", account=outlook, given_name="Mia",
            display_name="Mia").save()  # fmt: skip
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sync", "run", "--mailbox", mailbox.address])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "issues opened 1" in result.output

    listed = runner.invoke(args=["issues", "list", "--mailbox", mailbox.address, "--json"])
    [issue] = json.loads(listed.output)
    _as_the_api_documents_it(issue)
    assert (issue["code"], issue["fields"], issue["title"]) == ("NEEDS_INPUT", ["LastName"], "Mia")
    assert issue["recommended_action"]["title"] == "Fill in the last name"
    assert issue["mailbox"]["address"] == mailbox.address
    assert issue["user"]["email"] == mailbox.address and issue["first_seen"].endswith("Z")
    text = runner.invoke(args=["issues", "list"])
    assert "1 open issue(s)" in text.output


def test_sync_run_of_an_unknown_mailbox_fails_clearly(app) -> None:
    result = app.test_cli_runner().invoke(args=["sync", "run", "--mailbox", "who@nowhere.test"])
    assert result.exit_code != 0
    assert "no mailbox who@nowhere.test" in result.output


def test_sync_run_takes_the_mailbox_lock_a_worker_holds(app, resources, mailbox) -> None:
    runner = app.test_cli_runner()
    with MailboxLock(resources.redis, mailbox.id, ttl=5):
        result = runner.invoke(args=["sync", "run", "--mailbox", mailbox.address])
    assert result.exit_code != 0
    assert "a worker is syncing this mailbox right now" in result.output


def _operator_audit(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_relaunch_failed_is_audited_as_the_operator(app, session, mailbox) -> None:
    status.mark_ongoing(mailbox, utcnow())
    status.mark_failed(mailbox, IssueCode.UNKNOWN, utcnow(), timedelta(minutes=5), "boom")
    session.commit()
    runner = app.test_cli_runner()
    assert "relaunched 1 mailbox(es)" in runner.invoke(args=["sync", "relaunch-failed"]).output
    session.expire_all()
    assert session.get(Mailbox, mailbox.id).next_sync_at <= utcnow()
    [event] = _operator_audit(session, "mailbox.relaunch")
    assert (event.actor, event.actor_user_id) == ("operator", None)
    assert event.target_id == str(mailbox.id)


def test_approve_refuses_when_no_mass_change_is_held(app, session, mailbox) -> None:
    """Approving ahead would wave through the next mass change, unseen: the panel refuses too."""
    result = app.test_cli_runner().invoke(args=["sync", "approve", "--mailbox", mailbox.address])
    assert result.exit_code != 0
    assert "no mass change is held for approval" in result.output
    session.expire_all()
    assert session.get(Mailbox, mailbox.id).mass_change_approved_at is None
    assert _operator_audit(session, "mailbox.approve_mass_change") == []


def test_approve_lets_a_held_mass_change_go_ahead_audited(app, session, mailbox) -> None:
    held = Classification(IssueCode.NEEDS_INPUT, "held", backend_code=MASS_CHANGE_CODE)
    issues.record(session, mailbox, issues.ItemRef(), held, source=Source.ENGINE, now=utcnow())
    session.commit()
    approved = app.test_cli_runner().invoke(args=["sync", "approve", "--mailbox", mailbox.address])
    assert approved.exit_code == 0, approved.output
    session.expire_all()
    box = session.get(Mailbox, mailbox.id)
    assert box.mass_change_approved_at is not None
    assert box.next_sync_at <= utcnow()
    [event] = _operator_audit(session, "mailbox.approve_mass_change")
    assert event.actor == "operator" and event.details["address"] == mailbox.address
