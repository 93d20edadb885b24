"""What key users see of an outage: the services that do not answer, a mailbox's runs with the
technical detail behind each failure (only of their own tenant), and plain words everywhere."""

from __future__ import annotations

from datetime import timedelta

from backend.models import Mailbox, Run, ServiceHealth, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode
from backend.storage.db import utcnow
from tests.support import factories
from tests.support.web import sign_in

WORDS = "SAP Cloud for Customer did not answer within 30 s"
DETAIL = "ReadTimeout: HTTPConnectionPool(host='my123.crm.ondemand.com'): Read timed out."


def _failed_by_c4c(session, box: Mailbox) -> Run:
    since = utcnow() - timedelta(minutes=20)
    run = Run(mailbox_id=box.id, trigger=Trigger.SCHEDULE, started_at=since,
              finished_at=since + timedelta(seconds=61), outcome=RunOutcome.FAILED,
              error_code=IssueCode.TEMPORARY, error_message=WORDS, error_detail=DETAIL,
              error_source=Source.C4C)  # fmt: skip
    box.status, box.status_reason = HealthStatus.FAILED_UNKNOWN, WORDS
    box.failing_since, box.failing_source = since, Source.C4C
    box.consecutive_failures = 1
    session.add(run)
    session.add(ServiceHealth(tenant_id=box.tenant_id, service="C4C", failing_since=since,
                              last_ok_at=since - timedelta(minutes=5), problem=WORDS,
                              detail=DETAIL))  # fmt: skip
    session.commit()
    return run


def test_key_users_see_the_outage_and_a_mailbox_that_waits_for_sap(
    client, session, resources, tenant, kim
) -> None:
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    _failed_by_c4c(session, anna)

    page = client.get("/admin/").get_data(as_text=True)

    assert f"SAP Cloud for Customer is not reachable. {WORDS}. Since " in page
    assert "Waiting for SAP" in page
    assert "HTTPConnectionPool" not in page, "no exception text on the users table"
    assert f'href="/admin/mailboxes/{anna.id}"' in page


def test_the_mailbox_detail_view_shows_each_run_with_its_technical_detail(
    client, session, resources, tenant, kim
) -> None:
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    run = _failed_by_c4c(session, anna)

    answer = client.get(f"/admin/mailboxes/{anna.id}")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'id="mailbox-pill">Waiting for SAP<' in page
    row = page[page.index(f'id="run-{run.id}"') :]
    assert WORDS in row and "<summary>Technical detail</summary>" in row
    assert "Read timed out." in row, "the detail view keeps what the log has"


def test_the_detail_view_is_for_key_users_of_the_mailboxs_tenant_only(
    app, client, session, resources, tenant, kim
) -> None:
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    theirs = factories.mailbox(session, resources.cipher, other, "eve@fabrikam.test")
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()

    assert client.get(f"/admin/mailboxes/{theirs.id}").status_code == 404
    assert client.get("/admin/mailboxes/999999").status_code == 404
    assert client.get("/admin/mailboxes/abc").status_code == 404
    assert client.get(f"/admin/mailboxes/{anna.id}").status_code == 200
    sign_in(app, client, session.get(User, anna.user_id))
    assert client.get(f"/admin/mailboxes/{anna.id}").status_code == 403


def test_a_run_that_read_types_in_full_says_so_to_the_key_user_and_the_user(
    app, client, session, resources, tenant, kim
) -> None:
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    now = utcnow()
    run = Run(mailbox_id=anna.id, trigger=Trigger.SCHEDULE, started_at=now, finished_at=now,
              outcome=RunOutcome.SUCCEEDED, read_in_full="EMAIL,CONTACT")  # fmt: skip
    session.add(run)
    session.commit()

    admin = client.get(f"/admin/mailboxes/{anna.id}").get_data(as_text=True)
    row = admin[admin.index(f'id="run-{run.id}"') :]
    assert "Read in full: E-Mails, Contacts. The mail system no longer knew where" in row
    sign_in(app, client, session.get(User, anna.user_id))
    status = client.get("/").get_data(as_text=True)
    assert "Read in full: E-Mails, Contacts." in status
