"""The admin panel's System page: what ``/readyz`` only says as ok or failing, in detail; the
workers, queues and scheduler; and the key user's company's share (never another company's)."""

from __future__ import annotations

import re
from datetime import timedelta

from rq import Worker

from backend.jobs import metrics, queues
from backend.jobs.schedule import enqueue_sync
from backend.models import Run, User
from backend.models.run import RunOutcome, Trigger
from backend.storage.db import utcnow
from tests.support import factories
from tests.support.web import sign_in


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</dd>', page, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_key_users_see_the_detail_on_the_admin_panel(client, kim) -> None:
    page = client.get("/admin/system").get_data(as_text=True)
    assert 'id="dependency-database"' in page
    assert page.count(">OK<") == 2, "database and Redis answer"
    assert "no worker is running" in page and "last looked for never" in page
    assert text_of(page, "workers-alive") == "0 (0 busy)"
    assert text_of(page, "last-tick") == "never"


def test_the_company_share_counts_only_its_own_mailboxes(
    client, session, resources, kim, kim_box, tenant
) -> None:
    now = utcnow()
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    theirs = factories.mailbox(session, resources.cipher, other, "eve@fabrikam.test")
    ours = factories.mailbox(session, resources.cipher, tenant, "ann@contoso.test")
    for box in (theirs, ours, kim_box):
        box.next_sync_at = now - timedelta(minutes=3)
    for minutes, lag in ((30, 2), (20, 4), (10, 60)):
        session.add(Run(mailbox_id=ours.id, trigger=Trigger.SCHEDULE,
                        outcome=RunOutcome.SUCCEEDED, due_at=now - timedelta(minutes=minutes),
                        started_at=now - timedelta(minutes=minutes, seconds=-lag),
                        finished_at=now - timedelta(minutes=minutes - 1)))  # fmt: skip
    session.add(Run(mailbox_id=theirs.id, trigger=Trigger.SCHEDULE, outcome=RunOutcome.FAILED,
                    due_at=now - timedelta(minutes=5), started_at=now,
                    finished_at=now))  # fmt: skip
    session.commit()
    enqueue_sync(resources.redis, theirs.id, Trigger.SCHEDULE, 600, now)
    enqueue_sync(resources.redis, ours.id, Trigger.SCHEDULE, 600, now)
    metrics.tick(resources.redis)
    worker = Worker([queues.SYNC], connection=resources.redis, name="system-page-worker")
    worker.register_birth()
    worker.heartbeat()
    try:
        page = client.get("/admin/system").get_data(as_text=True)
    finally:
        worker.register_death()
    assert text_of(page, "share-due") == "2 (the longest for 3 min)", "Kim's and Ann's, not Eve's"
    assert text_of(page, "share-queued") == "1"
    assert text_of(page, "share-lag") == "median 4 s, 99 % within 59 s (3 runs)"
    assert text_of(page, "share-runs") == "3 succeeded"
    assert text_of(page, "workers-alive") == "1 (0 busy)"
    assert text_of(page, f"queue-{queues.SYNC}") == "2", "the shared queue: a count only"
    assert "eve@fabrikam.test" not in page and "Failing" not in page


def test_the_system_page_is_for_key_users_only(app, client, session, resources, tenant) -> None:
    assert client.get("/admin/system").status_code == 302
    box = factories.mailbox(session, resources.cipher, tenant, "ann@contoso.test")
    session.commit()
    sign_in(app, client, session.get(User, box.user_id))
    assert client.get("/admin/system").status_code == 403
