"""Warnings before a sync breaks: failures rising, credentials ending, issues piling up unseen.

Each opens once, mails once per step to the people who can act (through the real SMTP server),
is audited, and resolves itself when its cause goes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs.maintenance import check_warnings
from backend.jobs.runtime import use_app
from backend.models import AuditEvent, Issue, Mailbox, SyncWarning, Tenant, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Provider
from backend.models.run import Trigger
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.models.warning import WarningKind
from backend.storage.db import utcnow
from backend.sync import warnings
from backend.sync.errors import SyncError
from backend.sync.runs import execute_run
from emulators.smtp import MailCatcher
from tests.support import factories
from tests.support.run_bodies import fine, mail_server_busy, sap_unreachable


@pytest.fixture
def tenant(session: Session, resources: Resources) -> Tenant:
    return factories.tenant_with_key_user(session, resources.cipher)


@pytest.fixture
def box(session: Session, resources: Resources, tenant: Tenant) -> Mailbox:
    found = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    return found


def run(session: Session, resources: Resources, box: Mailbox, body) -> None:
    execute_run(session, box, body, trigger=Trigger.SCHEDULE, settings=resources.settings)


def open_warnings(session: Session, tenant: Tenant) -> list[SyncWarning]:
    session.expire_all()
    return list(
        session.scalars(
            select(SyncWarning).where(
                SyncWarning.tenant_id == tenant.id, SyncWarning.resolved_at.is_(None)
            )
        )
    )


def ends_in(session: Session, tenant: Tenant, days: float, what: str = "c4c_password") -> None:
    """The tenant's SAP password (or ``microsoft_secret``) ends ``days`` from today."""
    day = (utcnow() + timedelta(days=days)).date()
    tenant.config = tenant.config.model_copy(update={f"{what}_expires_on": day})
    session.commit()


def gina_whose_consent_ends(
    session: Session, resources: Resources, tenant: Tenant, days: float
) -> tuple[Mailbox, int]:
    """Gina's Gmail mailbox, her Google consent ending in ``days`` (and when, in seconds)."""
    ends = int((utcnow() + timedelta(days=days)).timestamp())
    credentials = {"kind": "oauth", "provider": "google", "refresh_token": "r",
                   "refresh_expires_at": ends}  # fmt: skip
    gina = factories.mailbox(session, resources.cipher, tenant, "gina@contoso.test",
                             credentials=credentials, provider=Provider.GMAIL)  # fmt: skip
    return gina, ends


def audited(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def warning_mails(mail: MailCatcher) -> list:
    return [message for message in mail.messages if message.subject.startswith("Warning:")]


# -- failures rising ----------------------------------------------------------------------------


def test_failures_rising_warn_once_before_the_failure_notice_and_resolve_when_runs_recover(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox, mail: MailCatcher
) -> None:
    for body in (mail_server_busy, fine, mail_server_busy, fine):
        run(session, resources, box, body)
    assert open_warnings(session, tenant) == [], "two of four is no trend"
    run(session, resources, box, mail_server_busy)
    [warning] = open_warnings(session, tenant)
    assert (warning.kind, warning.mailbox_id) == (WarningKind.FAILURES_RISING, box.id)
    assert warning.detail == "3 of the last 5 runs of anna@contoso.test failed."
    [message] = mail.messages
    assert message.subject == ("Warning: Sync is failing more often than usual (anna@contoso.test)")
    assert set(message.recipients) == {"anna@contoso.test", "kim@contoso.test"}
    assert "under Recent runs on the Synchronization Dashboard" in message.body
    assert "See recent runs: http://127.0.0.1:8000/#history" in message.body
    assert box.consecutive_failures == 1, "the failure notice is far away"
    for body in (fine, mail_server_busy, fine, fine, mail_server_busy):
        run(session, resources, box, body)
    assert len(mail.messages) == 1, "mailed once, however long it lasts"
    assert [w.id for w in open_warnings(session, tenant)] == [warning.id], "kept on the edge"
    for _ in range(2):
        run(session, resources, box, fine)
    assert open_warnings(session, tenant) != []
    run(session, resources, box, fine)
    assert open_warnings(session, tenant) == [], "three good runs in a row: back to normal"
    assert len(mail.messages) == 1, "a resolution sends nothing"
    [opened] = audited(session, "warning.opened")
    [resolved] = audited(session, "warning.resolved")
    assert opened.details["kind"] == resolved.details["kind"] == "FAILURES_RISING"
    assert (opened.actor, resolved.target_id) == ("system", str(box.id))


def test_a_streak_that_reaches_the_failure_notice_is_told_by_the_notice_alone(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox, mail: MailCatcher
) -> None:
    tenant.config = tenant.config.model_copy(update={"notify_failure_threshold": 3})
    session.commit()
    for _ in range(4):
        run(session, resources, box, mail_server_busy)
    assert open_warnings(session, tenant) == []
    assert [m.subject for m in mail.messages] == [
        "Sync of anna@contoso.test has failed 3 times in a row"
    ]


def test_sap_in_trouble_is_no_mailboxs_trend(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox, mail: MailCatcher
) -> None:
    for _ in range(5):
        run(session, resources, box, sap_unreachable)
    assert open_warnings(session, tenant) == [], "everyone's: the dashboard says Waiting for SAP"
    assert mail.messages == []


def test_key_users_are_mailed_failures_rising_for_a_few_mailboxes_not_for_everyone(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    boxes = [factories.mailbox(session, resources.cipher, tenant, f"user{n}@contoso.test")
             for n in range(5)]  # fmt: skip
    session.commit()
    for box in boxes:
        for _ in range(3):
            run(session, resources, box, mail_server_busy)
    assert len(open_warnings(session, tenant)) == 5
    to_kim = [m for m in mail.messages if "kim@contoso.test" in m.recipients]
    assert len(to_kim) == 3, "three mailboxes, then the Admin panel lists the rest"
    assert len(mail.messages) == 5, "each user is told of their own"


def test_sign_in_failures_are_no_trend(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox
) -> None:
    def refused(*_args: object) -> None:
        raise SyncError.of(IssueCode.NEEDS_INPUT, "a field is missing")

    for _ in range(5):
        run(session, resources, box, refused)
    assert open_warnings(session, tenant) == []


# -- credentials with a known end ---------------------------------------------------------------


def test_the_sap_password_warns_fourteen_three_and_one_day_ahead_then_resolves_with_a_new_date(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    ends = date.fromisoformat((today + timedelta(days=20)).date().isoformat())
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": ends, "extra_recipients": ["ops@contoso.test"]}
    )
    session.commit()

    def check(days_before: float) -> list[SyncWarning]:
        moment = today + timedelta(days=20) - timedelta(days=days_before)
        return warnings.check_tenant(session, resources.settings, tenant, moment)

    assert check(15) == [] and mail.messages == []
    [warning] = check(13.5)
    assert (warning.kind, warning.mailbox_id, warning.step) == (
        WarningKind.C4C_PASSWORD_ENDS, None, 14,
    )  # fmt: skip
    [first] = mail.messages
    assert set(first.recipients) == {"kim@contoso.test", "ops@contoso.test"}, "not the users"
    assert first.subject.startswith("Warning: SAP integration user's password ends on ")
    assert "(in 14 days)" in first.subject
    assert "The password of SAP user technical ends." in first.body
    assert "/admin/connections" in first.body and "Save and test" in first.body
    assert check(5) == [warning] and len(mail.messages) == 1, "the 14-day step is mailed once"
    check(2.5)
    check(2)
    check(0.5)
    check(0.2)
    assert [m.subject.split("(in ")[-1] for m in mail.messages] == [
        "14 days)", "3 days)", "1 day)",
    ]  # fmt: skip
    check(-1)
    assert len(mail.messages) == 3, "once it ended, the sync's own notices take over"
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": ends + timedelta(days=90)}
    )
    session.commit()
    assert check(0) == [] and open_warnings(session, tenant) == []
    assert len(audited(session, "warning.resolved")) == 1


def test_the_microsoft_secret_warns_the_key_users_and_a_far_end_does_not(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    now = utcnow()
    ends_in(session, tenant, 40, "microsoft_secret")
    assert warnings.check_tenant(session, resources.settings, tenant, now) == []
    ends_in(session, tenant, 3, "microsoft_secret")
    [warning] = warnings.check_tenant(session, resources.settings, tenant, now)
    assert warning.kind is WarningKind.MICROSOFT_SECRET_ENDS and warning.step == 3
    [message] = mail.messages
    assert message.recipients == ("kim@contoso.test",)
    assert "Certificates & secrets" in message.body


def test_warn_days_are_the_tenants_setting(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    now = utcnow()
    ends = (now + timedelta(days=25)).date()
    tenant.config = tenant.config.model_copy(
        update={"warn_days_before": [30, 7], "c4c_password_expires_on": ends}
    )
    session.commit()
    [warning] = warnings.check_tenant(session, resources.settings, tenant, now)
    assert warning.step == 30 and len(mail.messages) == 1


def test_a_check_that_does_not_mail_leaves_the_step_to_the_next_check(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    now = utcnow()
    ends_in(session, tenant, 5)
    [warning] = warnings.check_tenant(session, resources.settings, tenant, now, notify=False)
    assert warning.step is None and mail.messages == []
    warnings.check_tenant(session, resources.settings, tenant, now)
    assert warning.step == 14 and len(mail.messages) == 1


def test_a_google_consent_that_ends_soon_warns_its_user_and_the_key_users(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    gina, ends = gina_whose_consent_ends(session, resources, tenant, days=2)
    session.commit()
    assert gina.access_ends_at is not None
    assert int(gina.access_ends_at.timestamp()) == ends
    [warning] = warnings.check_tenant(session, resources.settings, tenant, utcnow())
    assert (warning.kind, warning.mailbox_id, warning.step) == (
        WarningKind.GOOGLE_CONSENT_ENDS, gina.id, 3,
    )  # fmt: skip
    [message] = mail.messages
    assert set(message.recipients) == {"gina@contoso.test", "kim@contoso.test"}
    assert "/reactivate/" in message.body and "without a time limit" in message.body
    assert warnings.open_for(session, tenant.id, gina.id) == [warning]


# -- issues piling up unseen --------------------------------------------------------------------


def test_a_user_who_does_not_look_while_issues_pile_up_is_named_to_the_key_users(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox, mail: MailCatcher
) -> None:
    now = utcnow()
    user = session.get(User, box.user_id)
    for number, age in enumerate((10, 9, 2)):
        session.add(Issue(
            tenant_id=tenant.id, user_id=user.id, mailbox_id=box.id, item_type=ItemType.CONTACT,
            item_key=f"mbx:{number}", code=IssueCode.NEEDS_INPUT, source=Source.C4C,
            first_seen_at=now - timedelta(days=age), last_seen_at=now,
        ))  # fmt: skip
    user.last_login_at = now - timedelta(days=30)
    session.commit()
    [warning] = warnings.check_tenant(session, resources.settings, tenant, now)
    assert warning.kind is WarningKind.ISSUES_UNSEEN and warning.mailbox_id == box.id
    assert warning.detail.startswith("Anna has 2 issues open for over a week")
    [message] = mail.messages
    assert message.recipients == ("kim@contoso.test",), "told to the key users, not to Anna"
    assert warnings.open_for(session, tenant.id, box.id) == [], "not shown to Anna herself"
    user.last_addin_use_at = now - timedelta(days=1)
    session.commit()
    assert warnings.check_tenant(session, resources.settings, tenant, now) == []
    assert open_warnings(session, tenant) == []


def test_no_warning_stays_open_in_a_quiet_tenant(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox, mail: MailCatcher
) -> None:
    for _ in range(3):
        run(session, resources, box, fine)
        assert warnings.check_tenant(session, resources.settings, tenant, utcnow()) == []
    assert mail.messages == [] and audited(session, "warning.opened") == []


def test_the_hourly_job_checks_every_tenant_and_mails_each_step_once(
    app, session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    factories.mailbox(session, resources.cipher, other, "boss@fabrikam.test", Role.KEY_USER)
    soon = (utcnow() + timedelta(days=2)).date()
    for company in (tenant, other):
        company.config = company.config.model_copy(update={"c4c_password_expires_on": soon})
    session.commit()
    use_app(app)
    assert check_warnings() == 2
    assert check_warnings() == 2, "still open, not mailed again"
    assert sorted(m.recipients for m in mail.messages) == [
        ("boss@fabrikam.test",), ("kim@contoso.test",),
    ]  # fmt: skip


def test_a_new_end_is_warned_afresh(
    session: Session, resources: Resources, tenant: Tenant, mail: MailCatcher
) -> None:
    now = utcnow()
    ends_in(session, tenant, 2)
    [warning] = warnings.check_tenant(session, resources.settings, tenant, now)
    assert warning.step == 3 and len(mail.messages) == 1
    ends_in(session, tenant, 10)
    [moved] = warnings.check_tenant(session, resources.settings, tenant, now)
    assert moved.id == warning.id and moved.step == 14, "the same warning, warned again"
    assert len(mail.messages) == 2 and "(in 10 days)" in mail.messages[-1].subject


def test_a_warning_with_nobody_to_tell_waits_for_someone(
    session: Session, resources: Resources, mail: MailCatcher
) -> None:
    alone = factories.tenant(session, resources.cipher, slug="alone")
    ends_in(session, alone, 2)
    [warning] = warnings.check_tenant(session, resources.settings, alone, utcnow())
    assert warning.step is None and mail.messages == []
    factories.mailbox(session, resources.cipher, alone, "key@alone.test", Role.KEY_USER)
    session.commit()
    warnings.check_tenant(session, resources.settings, alone, utcnow())
    assert warning.step == 3 and [m.recipients for m in mail.messages] == [("key@alone.test",)]


def test_failures_rising_of_a_mailbox_that_no_longer_runs_go_at_the_hourly_check(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox
) -> None:
    for _ in range(3):
        run(session, resources, box, mail_server_busy)
    assert [w.kind for w in open_warnings(session, tenant)] == [WarningKind.FAILURES_RISING]
    warnings.check_tenant(session, resources.settings, tenant, utcnow())
    assert len(open_warnings(session, tenant)) == 1, "still running: kept"
    box.paused_at = utcnow()
    box.status = HealthStatus.PAUSED
    session.commit()
    warnings.check_tenant(session, resources.settings, tenant, utcnow())
    assert open_warnings(session, tenant) == []


def test_a_warning_opened_by_two_checks_at_once_is_one(
    session: Session, resources: Resources, tenant: Tenant
) -> None:
    cause = warnings.Cause(WarningKind.C4C_PASSWORD_ENDS, None, {"user": "technical"},
                           utcnow() + timedelta(days=2))  # fmt: skip
    first = warnings._opened(session, tenant, cause, utcnow())
    second = warnings._opened(session, tenant, cause, utcnow())
    assert first.id == second.id and len(open_warnings(session, tenant)) == 1
    assert len(audited(session, "warning.opened")) == 1


def test_the_end_of_a_gmail_mailboxs_run_warns_of_its_consent_and_no_other(
    session: Session, resources: Resources, tenant: Tenant, box: Mailbox, mail: MailCatcher
) -> None:
    gina, _ends = gina_whose_consent_ends(session, resources, tenant, days=2)
    ends_in(session, tenant, 2)
    session.commit()
    run(session, resources, box, fine)
    assert open_warnings(session, tenant) == [], "Anna's run looks at Anna's mailbox only"
    run(session, resources, gina, fine)
    [warning] = open_warnings(session, tenant)
    assert (warning.kind, warning.mailbox_id) == (WarningKind.GOOGLE_CONSENT_ENDS, gina.id)
    assert [m.recipients for m in mail.messages] == [("gina@contoso.test", "kim@contoso.test")]
