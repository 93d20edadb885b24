"""The weekly health digest: what it sums up, when it goes, to whom, and that it goes once per
tenant and week however many schedulers run it or however a worker dies (through a real SMTP
server)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs.maintenance import send_weekly_digests
from backend.jobs.runtime import use_app
from backend.models import Issue, Mailbox, Notification, Tenant, User
from backend.models.issue import Resolution, Source
from backend.models.notification import NotificationKind
from backend.models.run import Trigger
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.notify.deliver import RESEND_AFTER, retry_unsent
from backend.storage.db import utcnow
from backend.sync import digest, warnings
from backend.sync.runs import execute_run
from emulators.smtp import MailCatcher
from tests.support import factories
from tests.support.run_bodies import mail_server_busy, password_changed

MONDAY_8 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""A Monday, 08:00 UTC: an hour after the default digest moment (Mondays, 07:00)."""


@pytest.fixture(autouse=True)
def in_app(app):
    """The digest is written with the app's templates, as its job does."""
    with app.app_context():
        yield


@pytest.fixture
def tenant(session: Session, resources: Resources) -> Tenant:
    owner = factories.tenant_with_key_user(session, resources.cipher)
    owner.created_at = MONDAY_8 - timedelta(weeks=4)
    session.commit()
    return owner


def issue(session: Session, box: Mailbox, **fields) -> Issue:
    values = {"item_type": ItemType.CONTACT, "code": IssueCode.NEEDS_INPUT, "source": Source.C4C,
              "fields": ["LastName"], "action_title": "Fill in the last name",
              "action_text": "Open the contact.", **fields}  # fmt: skip
    values.setdefault("last_seen_at", values.get("first_seen_at", utcnow()))
    found = Issue(tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
                  item_key=f"mbx:{values.pop('key')}", **values)  # fmt: skip
    session.add(found)
    return found


def test_the_digest_sums_up_the_week_against_the_week_before(
    session: Session, resources: Resources, tenant: Tenant
) -> None:
    end = utcnow()
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    ben = factories.mailbox(session, resources.cipher, tenant, "ben@contoso.test")
    gina = factories.mailbox(session, resources.cipher, tenant, "gina@contoso.test")
    session.commit()
    for _ in range(3):
        execute_run(
            session, anna, mail_server_busy, trigger=Trigger.SCHEDULE, settings=resources.settings
        )
    execute_run(
        session, ben, password_changed, trigger=Trigger.SCHEDULE, settings=resources.settings
    )
    for number in range(3):
        issue(session, anna, key=f"a{number}", first_seen_at=end - timedelta(days=2))
    issue(session, anna, key="old", first_seen_at=end - timedelta(days=20))
    issue(session, gina, key="g", item_type=ItemType.EMAIL, code=IssueCode.NEEDS_INPUT,
          fields=["AccountID"], action_title="Fill in the account",
          first_seen_at=end - timedelta(days=9))  # fmt: skip
    issue(session, gina, key="r", code=IssueCode.CONFLICT, first_seen_at=end - timedelta(days=10),
          resolved_at=end - timedelta(days=1), resolution=Resolution.AUTO)  # fmt: skip
    session.commit()

    found = digest.weekly(session, tenant, end, resources.settings.public_base_url)

    assert dict(found.mailboxes) == {
        "failing": 1, "waiting for re-activation": 1, "not synced yet": 2,
    }  # fmt: skip
    assert [(c.item_type, c.code, c.now, c.before, c.change) for c in found.opened] == [
        ("Contacts", "NEEDS_INPUT", 3, 0, "+3"),
        ("Contacts", "CONFLICT", 0, 1, "-1"),
        ("E-Mails", "NEEDS_INPUT", 0, 1, "-1"),
    ]
    assert [(c.code, c.now, c.before) for c in found.resolved] == [("CONFLICT", 1, 0)]
    assert [(k.count, k.item_type, k.action_title) for k in found.common] == [
        (4, "Contacts", "Fill in the last name"), (1, "E-Mails", "Fill in the account"),
    ]  # fmt: skip
    people = {person.email: person.why for person in found.people}
    assert (
        people["anna@contoso.test"]
        == "4 open issues, the oldest 20 days old; 3 failed runs in a row"
    )
    assert people["gina@contoso.test"] == "1 open issue, the oldest 9 days old"
    assert found.people[0].email == "anna@contoso.test", "the oldest issue first"
    assert [title for title, _detail in found.warnings] == ["Sync is failing more often than usual"]


def test_the_digest_goes_on_the_tenants_day_and_hour_once_to_key_users_who_want_it(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    lena = factories.mailbox(session, resources.cipher, tenant, "lena@contoso.test", Role.KEY_USER)
    session.get(User, lena.user_id).weekly_digest = False
    tenant.config = tenant.config.model_copy(update={"digest_weekday": 2, "digest_hour": 9})
    session.commit()
    wednesday = datetime(2026, 12, 2, 8, 59, tzinfo=UTC)
    assert digest.send_due(session, resources.settings, wednesday - timedelta(days=1)) == 1, (
        "last week's digest had not gone out yet"
    )
    mail.clear()
    assert digest.send_due(session, resources.settings, wednesday) == 0, "an hour early"
    assert digest.send_due(session, resources.settings, wednesday + timedelta(minutes=1)) == 1
    assert digest.send_due(session, resources.settings, wednesday + timedelta(days=3)) == 0
    [message] = mail.messages
    assert message.recipients == ("kim@contoso.test",), "not Lena (opted out), not Anna"
    assert message.subject == "Contoso: sync this week (7 days to 02 Dec 2026, 09:00 UTC)"
    assert "Mailboxes (3)" in message.body and "/admin/week" in message.body
    assert message.html is not None and "<h1" in message.html
    assert 'style="' in message.html, "styles inline, as mail programs need"
    assert "Send me this every week" in message.html


def test_each_key_user_reads_the_digest_in_their_language_once(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    lena = factories.mailbox(session, resources.cipher, tenant, "lena@contoso.test", Role.KEY_USER)
    session.get(User, lena.user_id).language = "de"
    issue(session, anna, key="a", first_seen_at=MONDAY_8 - timedelta(days=9))
    session.commit()
    assert digest.send_due(session, resources.settings, MONDAY_8) == 1
    assert digest.send_due(session, resources.settings, MONDAY_8 + timedelta(hours=1)) == 0
    by_recipient = {message.recipients: message for message in mail.messages}
    assert set(by_recipient) == {("kim@contoso.test",), ("lena@contoso.test",)}
    german = by_recipient[("lena@contoso.test",)]
    # (Python's mail library folds this one right after "Subject:"; readers unfold the space)
    assert german.subject.lstrip() == (
        "Contoso: Synchronisierung diese Woche (7 Tage bis 30 Nov. 2026, 07:00 UTC)"
    )
    assert "Postfächer (3)" in german.body and "Häufigste offene Probleme" in german.body
    assert "Kontakte: Ergänzen Sie: Nachname (NEEDS_INPUT), 1 offen" in german.body
    assert "anna@contoso.test): 1 offenes Problem, 8 Tage alt" in german.body
    assert german.html is not None and '<html lang="de">' in german.html
    assert "Jede Woche an mich senden" in german.html
    english = by_recipient[("kim@contoso.test",)]
    assert "Contacts: Fill in the last name (NEEDS_INPUT), 1 open" in english.body
    assert "1 open issue, the oldest 8 days old" in english.body


def test_a_digest_claimed_in_one_language_is_still_sent_in_the_other(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    """A worker killed between the languages' claims: the next tick sends the missing one."""
    lena = factories.mailbox(session, resources.cipher, tenant, "lena@contoso.test", Role.KEY_USER)
    session.get(User, lena.user_id).language = "de"
    session.commit()
    key = digest.week_key(tenant, digest.slot_of(tenant, MONDAY_8))
    session.add(Notification(tenant_id=tenant.id, kind=NotificationKind.WEEKLY_DIGEST,
                             incident_key=key, recipients=["kim@contoso.test"], subject="s",
                             body="b", sent_at=MONDAY_8))  # fmt: skip
    session.commit()
    assert digest.send_due(session, resources.settings, MONDAY_8) == 1
    [message] = mail.messages
    assert message.recipients == ("lena@contoso.test",) and "Woche" in message.subject
    assert digest.send_due(session, resources.settings, MONDAY_8) == 0


def test_two_schedulers_at_once_send_one_digest(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher, app
) -> None:
    factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    use_app(app)
    start = threading.Barrier(2)
    sent: list[int] = []

    def scheduler() -> None:
        start.wait()
        sent.append(send_weekly_digests())

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(sent) == [0, 1]
    assert len(mail.messages) == 1
    assert send_weekly_digests() == 0 and len(mail.messages) == 1


def test_a_digest_whose_worker_died_or_whose_mail_server_was_down_goes_out_once_later(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    down = dataclasses.replace(resources.settings, smtp_port=1)
    assert digest.send_due(session, down, MONDAY_8) == 0
    [claimed] = session.scalars(select(Notification)).all()
    assert claimed.kind is NotificationKind.WEEKLY_DIGEST and claimed.sent_at is None
    assert claimed.html and claimed.body, "the claim holds the message to send it later"
    assert digest.send_due(session, resources.settings, MONDAY_8) == 0, "claimed: not again"
    assert retry_unsent(session, resources.settings, utcnow() + RESEND_AFTER) == 1
    [message] = mail.messages
    assert message.html is not None and "Contoso: sync this week" in message.html


def test_no_digest_for_a_tenant_without_mailboxes_or_key_users_or_new_this_week(
    session: Session, resources: Resources, mail: MailCatcher
) -> None:
    empty = factories.tenant(session, resources.cipher, slug="empty")
    lonely = factories.tenant(session, resources.cipher, slug="lonely")
    factories.mailbox(session, resources.cipher, lonely, "user@lonely.test")
    new = factories.tenant(session, resources.cipher, slug="new")
    factories.mailbox(session, resources.cipher, new, "key@new.test", Role.KEY_USER)
    for company in (empty, lonely):
        company.created_at = MONDAY_8 - timedelta(weeks=2)
    new.created_at = MONDAY_8 - timedelta(minutes=30)
    session.commit()
    assert digest.send_due(session, resources.settings, MONDAY_8) == 0
    assert mail.messages == [] and session.scalars(select(Notification)).all() == []


def test_the_slot_is_the_latest_day_and_hour_at_or_before_now(tenant: Tenant) -> None:
    assert digest.slot_of(tenant, MONDAY_8) == MONDAY_8.replace(hour=7)
    assert digest.slot_of(tenant, MONDAY_8.replace(hour=6)) == MONDAY_8.replace(hour=7) - (
        timedelta(weeks=1)
    )
    sunday = MONDAY_8 - timedelta(days=1)
    assert digest.slot_of(tenant, sunday) == MONDAY_8.replace(hour=7) - timedelta(weeks=1)
    assert digest.week_key(tenant, MONDAY_8) == f"tenant:{tenant.id}:digest:2026-W49"


def test_warnings_are_listed(session: Session, resources: Resources, tenant: Tenant) -> None:
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": (utcnow() + timedelta(days=2)).date()}
    )
    session.commit()
    warnings.check_tenant(session, resources.settings, tenant, utcnow(), notify=False)
    found = digest.weekly(session, tenant, utcnow(), resources.settings.public_base_url)
    [(title, detail)] = found.warnings
    assert title.startswith("SAP integration user's password ends on")
    assert detail.startswith("The password of SAP user technical ends.")
    assert dict(found.mailboxes) == {"not synced yet": 1}
