"""The Save dialog while C4C does not answer: an answer within the dialog's timeout, what was
typed kept, and an answer at once while the tenant's circuit for C4C is open."""

from __future__ import annotations

import dataclasses
import time

import pytest
from exchangelib import Contact

from backend.extensions import Resources
from backend.models import User
from backend.models.run import RunOutcome
from backend.savedialog import errors as texts
from backend.savedialog import open_form, submit
from backend.sync import issues as issue_service
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from tests.support.web import csrf_token, sign_in

DIALOG_TIMEOUT = 0.5


@pytest.fixture
def waiting_briefly(resources: Resources) -> None:
    """The dialog waits half a second for an answer (the setting, shortened)."""
    resources.settings = dataclasses.replace(
        resources.settings, connect_timeout_seconds=0.5, dialog_timeout_seconds=DIALOG_TIMEOUT
    )


@pytest.fixture
def issue(outlook, sync_now, session, mailbox):
    """A contact without a last name, synced: its NEEDS_INPUT issue is open."""
    Contact(folder=outlook.contacts / "SAP Contacts", account=outlook, given_name="Nolast",
            display_name="Nolast").save()  # fmt: skip
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [found] = issue_service.open_issues(session, mailbox.id)
    return found


def test_saving_while_c4c_hangs_answers_within_the_timeout_and_keeps_the_values(
    waiting_briefly, issue, c4c: C4CEmulator, session, resources, mailbox
) -> None:
    owner = session.get(User, mailbox.user_id)
    open_form(session, resources, issue, viewer=owner)  # C4C definitions are cached from here on
    c4c.faults.add(Fault(hang=True, times=10**6))
    c4c.log.clear()

    started = time.monotonic()
    result = submit(session, resources, issue, {"LastName": "Smith"}, owner)
    waited = time.monotonic() - started

    assert waited < 4 * DIALOG_TIMEOUT, f"the dialog answered after {waited:.1f} s"
    assert (result.ok, result.status) == (False, "UNAVAILABLE")
    assert result.form.field("LastName").value == "Smith"
    assert result.form.errors == (texts.C4C_UNAVAILABLE_AFTER_MAILBOX,)
    sent = c4c.log.count()

    started = time.monotonic()
    again = submit(session, resources, issue, {"LastName": "Smith"}, owner)
    assert time.monotonic() - started < DIALOG_TIMEOUT, "the circuit answers at once"
    assert c4c.log.count() == sent, "nothing was sent to a C4C known not to answer"
    assert again.status == "UNAVAILABLE" and again.form.field("LastName").value == "Smith"


def test_the_fix_page_keeps_what_was_typed_when_c4c_cannot_be_reached(
    waiting_briefly, issue, app, client, c4c: C4CEmulator, session, mailbox
) -> None:
    sign_in(app, client, session.get(User, mailbox.user_id))
    assert client.get(f"/issues/{issue.id}/fix").status_code == 200
    token = csrf_token(client, f"/issues/{issue.id}/fix")
    c4c.faults.add(Fault(hang=True, times=10**6))
    form = {"csrf_token": token, "field-LastName": "Smith", "field-FirstName": "Nora"}

    started = time.monotonic()
    searched = client.post(
        f"/issues/{issue.id}/fix",
        data={**form, "action": "search", "related_query": "Fabrikam"},
    )
    saved = client.post(f"/issues/{issue.id}/fix", data={**form, "action": "save"})
    waited = time.monotonic() - started

    assert waited < 6 * DIALOG_TIMEOUT, f"both answered after {waited:.1f} s"
    for answer in (searched, saved):
        page = answer.get_data(as_text=True)
        assert answer.status_code in (422, 503)
        assert 'value="Smith"' in page and 'value="Nora"' in page, "what was typed is kept"
        assert "SAP Cloud for Customer is not reachable right now" in page
        assert "Timeout" not in page and "HTTPConnectionPool" not in page
