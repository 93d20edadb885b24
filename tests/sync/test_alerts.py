"""Notifications at the end of runs, received by a real SMTP server: once per incident."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions import mailbox as mailbox_actions
from backend.extensions import Resources
from backend.models import Mailbox, Notification, Tenant, User
from backend.models.mailbox import HealthStatus
from backend.models.notification import NotificationKind
from backend.models.run import RunOutcome, Trigger
from backend.models.tenant import Reminder
from backend.models.types import IssueCode
from backend.notify import notices
from backend.notify.deliver import (
    RESEND_AFTER,
    deliver_in_their_languages,
    deliver_once,
    retry_unsent,
)
from backend.storage.db import utcnow
from backend.sync.alerts import Audience, RunEnd, decide
from backend.sync.runs import execute_run
from emulators.smtp import MailCatcher
from tests.support import factories
from tests.support.run_bodies import account_disabled, fine, password_changed, unreachable


@pytest.fixture
def tenant(session: Session, resources: Resources) -> Tenant:
    # The warning of failures rising ahead of these notices is tested in test_warnings.py.
    return factories.tenant_with_key_user(
        session, resources.cipher, trend_failures=50, trend_runs=50
    )


@pytest.fixture
def box(session: Session, resources: Resources, tenant: Tenant) -> Mailbox:
    found = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    return found


def run(session: Session, resources: Resources, box: Mailbox, body, at=None) -> None:
    clock = (lambda: at) if at else utcnow
    execute_run(
        session, box, body, trigger=Trigger.SCHEDULE, settings=resources.settings, clock=clock
    )


def test_ten_failed_runs_send_one_mail_and_recovery_one_all_clear(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    for _ in range(9):
        run(session, resources, box, unreachable)
    assert mail.messages == []
    run(session, resources, box, unreachable)
    assert len(mail.messages) == 1
    first = mail.messages[0]
    assert first.subject == "Sync of anna@contoso.test has failed 10 times in a row"
    assert set(first.recipients) == {"anna@contoso.test", "kim@contoso.test"}
    assert "C4C answered 503" in first.body
    assert "The last 10 attempts to sync the mailbox anna@contoso.test" in first.body
    assert "since" not in first.body
    for _ in range(5):
        run(session, resources, box, unreachable)
    assert len(mail.messages) == 1, "no second mail for the same incident"

    run(session, resources, box, fine)
    run(session, resources, box, fine)
    assert [m.subject for m in mail.messages][1:] == ["Sync of anna@contoso.test works again"]
    kinds = session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert kinds == [NotificationKind.FAILURE_THRESHOLD, NotificationKind.ALL_CLEAR]


def test_a_new_incident_after_recovery_is_notified_again(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher, tenant: Tenant
) -> None:
    config = tenant.config
    config.notify_failure_threshold = 2
    tenant.config = config
    session.commit()
    for body in (unreachable, unreachable, fine, unreachable, unreachable):
        run(session, resources, box, body)
    subjects = [m.subject for m in mail.messages]
    assert subjects == [
        "Sync of anna@contoso.test has failed 2 times in a row",
        "Sync of anna@contoso.test works again",
        "Sync of anna@contoso.test has failed 2 times in a row",
    ]


def test_recovery_without_a_notified_incident_sends_nothing(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    for body in (unreachable, unreachable, fine):
        run(session, resources, box, body)
    assert mail.messages == []


def test_daily_reminder_after_the_threshold(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher, tenant: Tenant
) -> None:
    config = tenant.config
    config.notify_failure_threshold, config.reminder = 1, Reminder.DAILY
    tenant.config = config
    session.commit()
    run(session, resources, box, unreachable)
    run(session, resources, box, unreachable)
    assert len(mail.messages) == 1
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    run(session, resources, box, unreachable, at=tomorrow)
    run(session, resources, box, unreachable, at=tomorrow)
    assert [m.subject.split(":")[0] for m in mail.messages] == [
        "Sync of anna@contoso.test has failed once",
        "Reminder",
    ]


def test_auth_failure_stops_the_mailbox_and_mails_a_reactivation_link_once(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    run(session, resources, box, password_changed)
    session.refresh(box)
    assert box.status is HealthStatus.FAILED_AUTH
    assert len(mail.messages) == 1
    message = mail.messages[0]
    assert message.subject == "Sync of anna@contoso.test stopped: please re-activate"
    assert resources.settings.public_base_url in message.body
    assert "Re-activate" in message.body


def test_most_mailboxes_failing_sign_in_is_an_outage_not_a_mass_disable(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    boxes = [
        factories.mailbox(session, resources.cipher, tenant, f"rep{n}@contoso.test")
        for n in range(3)
    ]
    session.commit()
    for box in boxes:
        run(session, resources, box, password_changed)
    statuses = [session.get(Mailbox, box.id).status for box in boxes]
    assert HealthStatus.FAILED_AUTH not in statuses, statuses
    outage = [m for m in mail.messages if "sign-in failing for 3 of 4 mailboxes" in m.subject]
    assert len(outage) == 1
    assert outage[0].recipients == ("kim@contoso.test",)


def test_a_mailbox_the_mail_system_disabled_is_told_to_the_key_users_once(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    run(session, resources, box, account_disabled)
    assert session.get(Mailbox, box.id).status is HealthStatus.DISABLED
    [notice] = mail.messages
    assert notice.recipients == ("kim@contoso.test",), "the key users', not the owner's"
    assert notice.subject == "The mail system disabled anna@contoso.test: its sync stopped"
    assert f"/admin/mailboxes/{box.id}" in notice.body and "Enable" in notice.body
    mailbox_actions.enable(session, box, session.get(User, box.user_id))
    session.commit()
    run(session, resources, box, fine)
    assert mail.messages[-1].subject == "Sync of anna@contoso.test works again"


def test_a_mail_server_that_is_down_loses_no_notification(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    down = dataclasses.replace(resources.settings, smtp_port=1)
    execute_run(session, box, password_changed, trigger=Trigger.SCHEDULE, settings=down)
    stored = session.scalars(select(Notification)).one()
    assert stored.sent_at is None and "ConnectionRefusedError" in (stored.error or "")
    assert mail.messages == []
    assert retry_unsent(session, resources.settings) == 0, "too young: it may be sending"
    later = utcnow() + RESEND_AFTER
    assert retry_unsent(session, down, later) == 0, "still down: tried, and claimed again"
    assert retry_unsent(session, resources.settings, later + timedelta(minutes=1)) == 0, (
        "a retry that young may still be sending: another retry job leaves it"
    )
    assert retry_unsent(session, resources.settings, later + RESEND_AFTER) == 1
    assert retry_unsent(session, resources.settings, later + 2 * RESEND_AFTER) == 0
    assert len(mail.messages) == 1


def test_a_notice_whose_worker_died_before_sending_is_sent_once_later(
    session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    """A worker killed between claiming a notice and sending it leaves the claim with the
    message and no ``sent_at``: the periodic retry sends it, once, and a second decision to send
    the same notice finds the claim."""
    claimed = Notification(
        tenant_id=box.tenant_id, mailbox_id=box.id, kind=NotificationKind.AUTH_FAILED,
        incident_key=f"mailbox:{box.id}:after-run:0:auth:x", recipients=["anna@contoso.test"],
        subject="Sync of anna@contoso.test stopped: please re-activate", body="Re-activate.",
        attempted_at=utcnow() - RESEND_AFTER,
    )  # fmt: skip
    session.add(claimed)
    session.commit()
    assert retry_unsent(session, resources.settings) == 1
    again = deliver_once(
        session, resources.settings, kind=claimed.kind, incident_key=claimed.incident_key,
        tenant_id=box.tenant_id, mailbox_id=box.id, recipients=["anna@contoso.test"],
        subject=claimed.subject, body="Re-activate.",
    )  # fmt: skip
    assert again is None and len(mail.messages) == 1


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FAILED = RunEnd(
    tenant_id=1, mailbox_id=7, outcome=RunOutcome.FAILED, error_code=IssueCode.TEMPORARY,
    status=HealthStatus.ACTIVE, auth_failed_at=None, failures=3, threshold=10,
    reminder=Reminder.DAILY, streak=41, notified_at=None, outage=None, now=NOW,
)  # fmt: skip
SUCCEEDED = dataclasses.replace(FAILED, outcome=RunOutcome.SUCCEEDED, error_code=None, failures=0)
K = NotificationKind


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (FAILED, []),
        (dataclasses.replace(FAILED, failures=10),
         [(K.FAILURE_THRESHOLD, "mailbox:7:after-run:41:failing")]),
        (dataclasses.replace(FAILED, failures=11), []),
        (dataclasses.replace(FAILED, failures=11, notified_at=NOW - timedelta(hours=23)), []),
        (dataclasses.replace(FAILED, failures=11, notified_at=NOW - timedelta(days=1)),
         [(K.REMINDER, "mailbox:7:after-run:41:reminder:2026-03-02")]),
        (dataclasses.replace(FAILED, failures=11, reminder=Reminder.WEEKLY,
                             notified_at=NOW - timedelta(days=6)), []),
        (dataclasses.replace(FAILED, failures=11, reminder=Reminder.NONE,
                             notified_at=NOW - timedelta(days=30)), []),
        (dataclasses.replace(FAILED, error_code=IssueCode.AUTH, status=HealthStatus.FAILED_AUTH,
                             auth_failed_at=NOW),
         [(K.AUTH_FAILED, f"mailbox:7:after-run:41:auth:{NOW.isoformat()}")]),
        (dataclasses.replace(FAILED, error_code=IssueCode.AUTH), []),
        (dataclasses.replace(FAILED, error_code=IssueCode.ACCOUNT_DISABLED,
                             status=HealthStatus.DISABLED),
         [(K.MAILBOX_DISABLED, "mailbox:7:after-run:41:disabled")]),
        (dataclasses.replace(FAILED, outage=(3, 4), error_code=IssueCode.AUTH,
                             status=HealthStatus.FAILED_AUTH, failures=10),
         [(K.PROVIDER_OUTAGE, "tenant:1:outage:2026-03-02T09"),
          (K.AUTH_FAILED, "mailbox:7:after-run:41:auth:now"),
          (K.FAILURE_THRESHOLD, "mailbox:7:after-run:41:failing")]),
        (SUCCEEDED, []),
        (dataclasses.replace(SUCCEEDED, notified_at=NOW - timedelta(hours=2)),
         [(K.ALL_CLEAR, "mailbox:7:after-run:41:all-clear")]),
    ],
)  # fmt: skip
def test_what_the_end_of_a_run_calls_for(end: RunEnd, expected: list) -> None:
    assert [(alert.kind, alert.incident_key) for alert in decide(end)] == expected


def test_an_outage_goes_to_key_users_and_the_rest_to_everyone() -> None:
    end = dataclasses.replace(FAILED, outage=(3, 4), failures=10)
    assert [alert.audience for alert in decide(end)] == [Audience.KEY_USERS, Audience.EVERYONE]


def test_each_recipient_reads_the_notice_in_their_language_once(
    app, session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    """Anna chose German; the key user did not: one e-mail each, each in its words."""
    anna = session.get(User, box.user_id)
    anna.language = "de"
    session.commit()
    with app.app_context():
        run(session, resources, box, password_changed)
    german = [m for m in mail.messages if "anna@contoso.test" in m.recipients]
    english = [m for m in mail.messages if "anna@contoso.test" not in m.recipients]
    assert [m.subject for m in german] == [
        "Synchronisierung von anna@contoso.test gestoppt: bitte reaktivieren"
    ]
    assert "Zum Reaktivieren: Öffnen Sie das Synchronisierungs-Dashboard" in german[0].body
    assert [m.subject for m in english] == ["Sync of anna@contoso.test stopped: please re-activate"]
    keys = sorted(session.scalars(select(Notification.incident_key)))
    assert keys[1] == keys[0] + ":de", keys


def test_a_long_incident_keeps_its_language_apart(
    app, session: Session, resources: Resources, box: Mailbox, mail: MailCatcher
) -> None:
    """However long an incident's key, each language's e-mail has a key of its own."""
    session.get(User, box.user_id).language = "de"
    session.commit()
    people = ["anna@contoso.test", "kim@contoso.test"]
    with app.app_context():
        sent = deliver_in_their_languages(
            session, resources.settings, words=lambda: notices.all_clear(box),
            kind=NotificationKind.ALL_CLEAR, incident_key="x" * 250, tenant_id=box.tenant_id,
            mailbox_id=box.id, recipients=people,
        )  # fmt: skip
    assert sorted((n.recipients[0], len(n.incident_key)) for n in sent) == [
        ("anna@contoso.test", 200), ("kim@contoso.test", 200)
    ]  # fmt: skip
    assert sorted(m.subject for m in mail.messages) == [
        "Sync of anna@contoso.test works again",
        "Synchronisierung von anna@contoso.test funktioniert wieder",
    ]
