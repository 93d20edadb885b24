"""Warnings before a sync breaks: what can be known ahead, raised once, resolved when it goes.

Three kinds of cause are looked for:

- **a credential with a known end**: the company's SAP integration user's password and its
  Microsoft application secret (their end dates entered in Connections), a mailbox's
  time-limited Google consent (read from Google's token answers). A warning opens the tenant's
  longest lead before the end (``warn_days_before``, 14 days by default) and mails again at
  each shorter one (3 days, 1 day);
- **failures rising**: ``trend_failures`` of a mailbox's last ``trend_runs`` runs failed for a
  temporary reason of the mail system or the sync itself (SAP in trouble is everyone's, shown
  as "Waiting for SAP"), while the failure notice (``notify_failure_threshold`` failures in a
  row) has not gone out;
- **issues unseen**: a user has issues open for more than a week and has neither opened the
  dashboard nor used an add-in for a week; the key users are told who.

:func:`reconcile` is the one place warnings open, change and resolve: it takes the causes seen
now for some kinds (and one mailbox, or the whole tenant) and leaves exactly those open. Each
opening and resolution is audited; e-mails go through :func:`deliver_in_their_languages`, keyed
by warning and step, so however many checks see a cause it is mailed once per step (in each
recipient's language). A warning keeps what it saw as data (``facts``), worded for each reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.i18n import DEFAULT_LANGUAGE, local_time
from backend.models import Issue, Mailbox, Run, SyncWarning, Tenant, User
from backend.models.audit import record_audit
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Provider
from backend.models.notification import NotificationKind
from backend.models.run import RunOutcome
from backend.models.types import IssueCode
from backend.models.user import Role
from backend.models.warning import TENANT_SCOPE, WarningKind, mailbox_scope
from backend.notify.deliver import deliver_in_their_languages
from backend.notify.notices import Notice
from backend.settings import Settings

CREDENTIALS = (
    WarningKind.GOOGLE_CONSENT_ENDS,
    WarningKind.MICROSOFT_SECRET_ENDS,
    WarningKind.C4C_PASSWORD_ENDS,
)
UNSEEN_AFTER = timedelta(weeks=1)
"""Issues older than this, and a user not seen for this long, make a user "not looking"."""
KEY_USERS_MAILED_RISING = 3
"""Key users are mailed the warning of failures rising for this many mailboxes at a time; beyond
that (a mail server in trouble for everyone) its users alone are, and the Admin panel and the
digest list them all."""
NOTIFIED_ONCE = 0
"""``step`` of a warning without a countdown once it has been mailed."""


@dataclass(frozen=True)
class Cause:
    """A reason to warn, as seen now: ``facts`` are what :func:`detail_of` words."""

    kind: WarningKind
    mailbox_id: int | None
    facts: dict[str, Any] | None
    ends_at: datetime | None = None

    @property
    def scope(self) -> str:
        return TENANT_SCOPE if self.mailbox_id is None else mailbox_scope(self.mailbox_id)

    @property
    def detail(self) -> str:
        """What was seen, in English (as the warning keeps it for the audit log)."""
        with force_locale(DEFAULT_LANGUAGE):
            return detail_of(self.kind, self.facts)


@dataclass(frozen=True)
class Words:
    """A warning as people read it: what, why, and what to do where."""

    title: str
    detail: str
    action: str
    link: tuple[str, str]
    """Where to act: its label and URL."""


def days_left(ends_at: datetime, now: datetime) -> float:
    return (ends_at - now).total_seconds() / 86400


def step_of(ends_at: datetime | None, now: datetime, leads: Iterable[int]) -> int | None:
    """The shortest lead (in days) the time left is within; ``0`` once ended; ``None`` when
    further away than every lead."""
    if ends_at is None:
        return NOTIFIED_ONCE
    left = days_left(ends_at, now)
    if left <= 0:
        return 0
    within = [lead for lead in leads if left <= lead]
    return min(within) if within else None


def end_of_day(day: date) -> datetime:
    """A date a key user entered as the moment it ends: the start of that day, UTC (a secret
    "valid until 12 March" no longer works on 12 March)."""
    return datetime.combine(day, time(), UTC)


# -- causes ---------------------------------------------------------------------------------


def credential_causes(session: Session, tenant: Tenant, now: datetime) -> list[Cause]:
    """The company's and its mailboxes' credentials that end within the longest lead."""
    config = tenant.config
    lead = _lead(tenant)
    found = []
    if config.c4c_password_expires_on is not None:
        ends = end_of_day(config.c4c_password_expires_on)
        found.append(Cause(WarningKind.C4C_PASSWORD_ENDS, None,
                           {"user": tenant.c4c_username}, ends))  # fmt: skip
    if config.microsoft_secret_expires_on is not None:
        ends = end_of_day(config.microsoft_secret_expires_on)
        found.append(Cause(WarningKind.MICROSOFT_SECRET_ENDS, None, {}, ends))
    ending = session.execute(
        select(Mailbox.id, Mailbox.address, Mailbox.access_ends_at).where(
            Mailbox.tenant_id == tenant.id,
            Mailbox.provider == Provider.GMAIL,
            Mailbox.access_ends_at <= now + lead,
            Mailbox.status != HealthStatus.DISABLED,
        )
    ).all()
    found += [_consent_ends(*row) for row in ending]
    return [cause for cause in found if cause.ends_at and cause.ends_at <= now + lead]


def _lead(tenant: Tenant) -> timedelta:
    """How long before a credential ends its warning opens (the longest lead)."""
    return timedelta(days=max(tenant.config.warn_days_before))


def _consent_ends(mailbox_id: int, address: str, ends: datetime) -> Cause:
    return Cause(WarningKind.GOOGLE_CONSENT_ENDS, mailbox_id, {"address": address}, ends)


def unseen_causes(session: Session, tenant: Tenant, now: datetime) -> list[Cause]:
    """Users with issues open longer than a week who have not looked for a week."""
    week_ago = now - UNSEEN_AFTER
    rows = session.execute(
        select(Issue.mailbox_id, User.name, User.last_login_at, User.last_dashboard_at,
               User.last_addin_use_at, func.count(Issue.id))
        .join(Mailbox, Mailbox.id == Issue.mailbox_id)
        .join(User, User.id == Mailbox.user_id)
        .where(Issue.tenant_id == tenant.id, Issue.resolved_at.is_(None),
               Issue.first_seen_at < week_ago, Issue.informational.is_(False),
               User.removed_at.is_(None))
        .group_by(Issue.mailbox_id, User.name, User.last_login_at, User.last_dashboard_at,
                  User.last_addin_use_at)
    ).all()  # fmt: skip
    found = []
    for mailbox_id, name, *seen, count in rows:
        last = max((moment for moment in seen if moment is not None), default=None)
        if last is not None and last >= week_ago:
            continue
        seen = last.date().isoformat() if last else None
        found.append(Cause(WarningKind.ISSUES_UNSEEN, mailbox_id,
                           {"name": name, "count": count, "seen": seen}))  # fmt: skip
    return found


def trend_cause(
    session: Session, mailbox: Mailbox, tenant: Tenant, threshold: int, rising_open: bool
) -> list[Cause]:
    """The mailbox's runs failing more often than the tenant's trend allows, before the
    failure notice (``threshold`` failures in a row) has gone out (``rising_open``: the
    mailbox's warning of it is open already)."""
    config = tenant.config
    outcomes = session.execute(
        select(Run.outcome, Run.error_code, Run.error_source)
        .where(Run.mailbox_id == mailbox.id,
               Run.outcome.in_([RunOutcome.SUCCEEDED, RunOutcome.FAILED]))
        .order_by(Run.started_at.desc(), Run.id.desc())  # ix_sync_run_mailbox_started
        .limit(config.trend_runs)
    ).all()  # fmt: skip
    failing = [
        outcome is RunOutcome.FAILED
        and code in (IssueCode.TEMPORARY, IssueCode.UNKNOWN)
        and source is not Source.C4C  # SAP in trouble is everyone's: "Waiting for SAP"
        for outcome, code, source in outcomes
    ]
    failed = sum(failing)
    if rising_open:
        # Back to normal only after as many good runs in a row as failures make a trend, so a
        # mailbox on the edge does not open and resolve a warning every other run.
        recent = failing[: config.trend_failures]
        if len(recent) == config.trend_failures and not any(recent):
            return []
    elif failed < config.trend_failures or mailbox.consecutive_failures >= threshold:
        return []  # no trend, or the failure notice says more than this warning would
    facts = {"failed": failed, "runs": len(outcomes), "address": mailbox.address}
    return [Cause(WarningKind.FAILURES_RISING, mailbox.id, facts)]


# -- keeping them -----------------------------------------------------------------------------


def reconcile(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    kinds: Iterable[WarningKind],
    found: list[Cause],
    now: datetime,
    *,
    mailbox_id: int | None = None,
    notify: bool = True,
    existing: list[SyncWarning] | None = None,
) -> list[SyncWarning]:
    """Leave open exactly the warnings of ``kinds`` that ``found`` holds (of one mailbox when
    ``mailbox_id`` is given, else of the whole tenant): open new ones, update the rest, resolve
    those whose cause went. Mails each warning when it reaches a new step unless ``notify`` is
    false (a later check mails it). ``existing``: those open warnings, when the caller read
    them already. Commits.

    Returns:
        The warnings open now among those looked at.
    """
    if existing is None:
        existing = _open(session, tenant.id, kinds, mailbox_id)
    opened = {(warning.scope, warning.kind): warning for warning in existing}
    wanted = {(cause.scope, cause.kind): cause for cause in found}
    leads = tenant.config.warn_days_before
    changed = False
    for key, warning in opened.items():
        if key not in wanted:
            warning.resolved_at = now
            _audit(session, warning, "warning.resolved")
            changed = True
    if changed:
        session.commit()
    kept = []
    for key, cause in wanted.items():
        warning = opened.get(key) or _opened(session, tenant, cause, now)
        if (warning.facts, _utc(warning.ends_at)) != (cause.facts, cause.ends_at):
            if _utc(warning.ends_at) != cause.ends_at:
                warning.step = None  # a new end (a new consent, a date moved): warned afresh
            warning.facts, warning.ends_at = cause.facts, cause.ends_at
            warning.detail = cause.detail
            session.commit()
        kept.append(warning)
    if notify:
        for warning in kept:
            _notify(session, settings, tenant, warning, step_of(warning.ends_at, now, leads), now)
    return kept


def _open(
    session: Session, tenant_id: int, kinds: Iterable[WarningKind], mailbox_id: int | None
) -> list[SyncWarning]:
    """The tenant's open warnings of ``kinds`` (of one mailbox, when given)."""
    statement = select(SyncWarning).where(
        SyncWarning.tenant_id == tenant_id,
        SyncWarning.kind.in_(list(kinds)),
        SyncWarning.resolved_at.is_(None),
    )
    if mailbox_id is not None:
        statement = statement.where(SyncWarning.mailbox_id == mailbox_id)
    return list(session.scalars(statement))


def _opened(session: Session, tenant: Tenant, cause: Cause, now: datetime) -> SyncWarning:
    """The open warning of ``cause``: opened now (audited), or the one another check opened a
    moment ago (the partial unique index lets one through)."""
    warning = SyncWarning(
        tenant_id=tenant.id, mailbox_id=cause.mailbox_id, scope=cause.scope, kind=cause.kind,
        ends_at=cause.ends_at, detail=cause.detail, facts=cause.facts, opened_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(warning)
            session.flush()
            _audit(session, warning, "warning.opened")
    except IntegrityError:
        return session.scalars(
            select(SyncWarning).where(
                SyncWarning.tenant_id == tenant.id,
                SyncWarning.scope == cause.scope,
                SyncWarning.kind == cause.kind,
                SyncWarning.resolved_at.is_(None),
            )
        ).one()
    session.commit()
    return warning


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _audit(session: Session, warning: SyncWarning, action: str) -> None:
    record_audit(
        session, tenant_id=warning.tenant_id, actor=None, action=action,
        target_type="mailbox" if warning.mailbox_id else "tenant",
        target_id=str(warning.mailbox_id or warning.tenant_id),
        details={"kind": warning.kind.value, "warning": warning.id, "detail": warning.detail},
    )  # fmt: skip


def _notify(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    warning: SyncWarning,
    step: int | None,
    now: datetime,
) -> None:
    """Mail ``warning`` at ``step`` unless it was mailed at this step or a closer one."""
    if step is None or (warning.step is not None and warning.step <= step):
        return
    if warning.ends_at is not None and step == 0:
        return  # ended: the sync's own failure notices take over
    key_users = list(
        session.scalars(
            select(User.email).where(
                User.tenant_id == tenant.id, User.role == Role.KEY_USER, User.removed_at.is_(None)
            )
        )
    )
    people = set(key_users) | set(tenant.config.extra_recipients)
    if warning.kind is WarningKind.FAILURES_RISING and _many_rising(session, tenant):
        people = set()  # a mail server in trouble for many: the key users' Admin panel says it
    address = None
    if warning.mailbox_id is not None:
        owner, address = session.execute(
            select(User.email, Mailbox.address)
            .join(Mailbox, Mailbox.user_id == User.id)
            .where(Mailbox.id == warning.mailbox_id)
        ).one()
        if warning.kind is not WarningKind.ISSUES_UNSEEN:
            people.add(owner)
    if not people:
        return  # nobody to tell yet (no key user): the step waits for someone

    def words() -> Notice:
        said = describe(warning, now, settings.public_base_url)
        subject = _("Warning: %(title)s", title=said.title)
        if address is not None:
            subject += f" ({address})"
        link = _("%(label)s: %(url)s", label=said.link[0], url=said.link[1])
        return Notice(subject[:300], f"{said.detail}\n\n{said.action}\n\n{link}\n")

    deliver_in_their_languages(
        session, settings, words=words, recipients=sorted(people), kind=NotificationKind.WARNING,
        incident_key=f"warning:{warning.id}:step:{step}", tenant_id=tenant.id,
        mailbox_id=warning.mailbox_id,
    )  # fmt: skip
    warning.step = step
    session.commit()


def _many_rising(session: Session, tenant: Tenant) -> bool:
    """Whether more mailboxes of the tenant have failures rising than key users want one
    e-mail each for."""
    rising = session.scalar(
        select(func.count(SyncWarning.id)).where(
            SyncWarning.tenant_id == tenant.id,
            SyncWarning.kind == WarningKind.FAILURES_RISING,
            SyncWarning.resolved_at.is_(None),
        )
    )
    return (rising or 0) > KEY_USERS_MAILED_RISING


# -- words ----------------------------------------------------------------------------------


def describe(warning: SyncWarning, now: datetime, base_url: str) -> Words:
    """What the warning says, to its reader, in the language of the moment: title, what was
    seen, what to do, and the link to where it is done (the words name the place; pages show
    the link as a button, e-mails write it out)."""
    connections = (_("Open Connections"), f"{base_url}/admin/connections/")
    when = _when(warning.ends_at, now)
    seen = warning.detail if warning.facts is None else detail_of(warning.kind, warning.facts)
    match warning.kind:
        case WarningKind.GOOGLE_CONSENT_ENDS:
            return Words(
                _("Google access for the sync ends %(when)s", when=when),
                _(
                    "%(seen)s Google was told to allow the sync for a limited time only (or "
                    "the company's Google app is still in testing). After that, nothing syncs "
                    "until access is granted again.",
                    seen=seen,
                ),
                _(
                    "Choose Re-activate and sign in with Google again, granting access without "
                    "a time limit. If access keeps ending after 7 days, ask your administrator "
                    "to publish the company's Google app."
                ),
                (_("Re-activate"), f"{base_url}/reactivate/"),
            )
        case WarningKind.MICROSOFT_SECRET_ENDS:
            return Words(
                _("Microsoft application secret ends %(when)s", when=when),
                _(
                    "%(seen)s When it does, Exchange Online mailboxes synced with the company's "
                    "application access stop syncing.",
                    seen=seen,
                ),
                _(
                    "In the Microsoft Entra admin center, add a new client secret or "
                    "certificate to the application (App registrations, Certificates & "
                    "secrets), have it put in place for the sync, then enter its end date in "
                    "Connections."
                ),
                connections,
            )
        case WarningKind.C4C_PASSWORD_ENDS:
            return Words(
                _("SAP integration user's password ends %(when)s", when=when),
                _(
                    "%(seen)s When it does, SAP refuses the sync and every mailbox of the "
                    "company stops syncing.",
                    seen=seen,
                ),
                _(
                    "Set a new password for the integration user in SAP Cloud for Customer (or "
                    "have it never expire), then enter the new password and its end date in "
                    "Connections and choose Save and test."
                ),
                connections,
            )
        case WarningKind.FAILURES_RISING:
            return Words(
                _("Sync is failing more often than usual"),
                _(
                    "%(seen)s The sync retries on its own, but failures this frequent often "
                    "come before it stops: a mail server or SAP that is slow or overloaded, or "
                    "a network problem.",
                    seen=seen,
                ),
                _(
                    "The errors are under Recent runs on the Synchronization Dashboard (key "
                    "users see them in the Admin panel too). Nothing is lost meanwhile."
                ),
                (_("See recent runs"), f"{base_url}/#history"),
            )
        case WarningKind.ISSUES_UNSEEN:
            return Words(
                _("Issues are piling up for someone who does not look at them"),
                seen,
                _(
                    "Ask them to open the Issues tab of the Synchronization Dashboard or the "
                    "add-in, or fix the issues for them in the Admin panel."
                ),
                (_("Open the issues"), f"{base_url}/admin/issues"),
            )
    raise ValueError(f"no words for {warning.kind}")


def detail_of(kind: WarningKind, facts: dict[str, Any] | None) -> str:
    """What a warning of ``kind`` saw, worded from its ``facts`` in the language of the
    moment (empty for none: a warning from before facts were kept shows its own words)."""
    if facts is None:
        return ""
    match kind:
        case WarningKind.GOOGLE_CONSENT_ENDS:
            return _("The Google access of %(address)s ends.", address=facts["address"])
        case WarningKind.MICROSOFT_SECRET_ENDS:
            return _("The Microsoft application secret ends.")
        case WarningKind.C4C_PASSWORD_ENDS:
            if facts.get("user"):
                return _("The password of SAP user %(user)s ends.", user=facts["user"])
            return _("The password of the SAP integration user ends.")
        case WarningKind.FAILURES_RISING:
            return _(
                "%(failed)d of the last %(runs)d runs of %(address)s failed.",
                failed=facts["failed"], runs=facts["runs"], address=facts["address"],
            )  # fmt: skip
        case WarningKind.ISSUES_UNSEEN:
            return _unseen(facts)
    raise ValueError(f"no words for {kind}")


def _unseen(facts: dict[str, Any]) -> str:
    count, name = facts["count"], facts["name"]
    if facts.get("seen"):
        seen = local_time(datetime.fromisoformat(facts["seen"]), "dd MMM y")
        return ngettext(
            "%(name)s has %(num)d issue open for over a week and has not opened the dashboard "
            "or the add-in since %(seen)s.",
            "%(name)s has %(num)d issues open for over a week and has not opened the dashboard "
            "or the add-in since %(seen)s.",
            count, name=name, seen=seen,
        )  # fmt: skip
    return ngettext(
        "%(name)s has %(num)d issue open for over a week and has not opened the dashboard or "
        "the add-in ever.",
        "%(name)s has %(num)d issues open for over a week and has not opened the dashboard or "
        "the add-in ever.",
        count, name=name,
    )  # fmt: skip


def _when(ends_at: datetime | None, now: datetime) -> str:
    if ends_at is None:
        return _("soon")
    left = days_left(_utc(ends_at) or ends_at, now)
    if left <= 0:
        return _("was %(date)s (ended)", date=local_time(ends_at, "dd MMM y"))
    return ngettext(
        "on %(date)s (in %(num)d day)",
        "on %(date)s (in %(num)d days)",
        math.ceil(left),
        date=local_time(ends_at, "dd MMM y, HH:mm z"),
    )


# -- when to look ---------------------------------------------------------------------------


def after_run(session: Session, settings: Settings, mailbox: Mailbox, now: datetime) -> None:
    """After a run of ``mailbox``: its failure trend, and whether its consent still ends."""
    tenant = session.get(Tenant, mailbox.tenant_id)
    assert tenant is not None
    threshold = tenant.config.notify_failure_threshold or settings.notify_failure_threshold
    kinds = [WarningKind.FAILURES_RISING]
    if mailbox.provider is Provider.GMAIL:
        kinds.append(WarningKind.GOOGLE_CONSENT_ENDS)
    existing = _open(session, tenant.id, kinds, mailbox.id)
    rising = any(warning.kind is WarningKind.FAILURES_RISING for warning in existing)
    found = trend_cause(session, mailbox, tenant, threshold, rising)
    ends = mailbox.access_ends_at if mailbox.provider is Provider.GMAIL else None
    disabled = mailbox.status is HealthStatus.DISABLED
    if ends is not None and ends <= now + _lead(tenant) and not disabled:
        found.append(_consent_ends(mailbox.id, mailbox.address, ends))
    reconcile(session, settings, tenant, kinds, found, now, mailbox_id=mailbox.id,
              existing=existing)  # fmt: skip


def check_tenant(
    session: Session, settings: Settings, tenant: Tenant, now: datetime, *, notify: bool = True
) -> list[SyncWarning]:
    """The tenant's credentials and unseen issues, as the periodic check and a key user's
    change of Connections see them; and the failures rising of mailboxes that no longer run
    (paused, stopped, their user removed), which no run's end will resolve."""
    kinds = [*CREDENTIALS, WarningKind.ISSUES_UNSEEN, WarningKind.FAILURES_RISING]
    found = [
        *credential_causes(session, tenant, now),
        *unseen_causes(session, tenant, now),
        *_rising_while_running(session, tenant),
    ]
    return reconcile(session, settings, tenant, kinds, found, now, notify=notify)


RUNNING = (HealthStatus.ACTIVE, HealthStatus.NOT_SYNCED, HealthStatus.FAILED_UNKNOWN)
"""Health of a mailbox whose runs go on (its failure trend is judged at each run's end)."""


def _rising_while_running(session: Session, tenant: Tenant) -> list[Cause]:
    """The open warnings of failures rising whose mailbox still runs, as they stand."""
    rows = session.execute(
        select(SyncWarning.mailbox_id, SyncWarning.facts)
        .join(Mailbox, Mailbox.id == SyncWarning.mailbox_id)
        .join(User, User.id == Mailbox.user_id)
        .where(SyncWarning.tenant_id == tenant.id,
               SyncWarning.kind == WarningKind.FAILURES_RISING,
               SyncWarning.resolved_at.is_(None),
               Mailbox.status.in_(RUNNING), Mailbox.paused_at.is_(None),
               User.removed_at.is_(None))
    ).all()  # fmt: skip
    return [Cause(WarningKind.FAILURES_RISING, mailbox_id, facts) for mailbox_id, facts in rows]


_OPEN_FOR = (
    select(SyncWarning)
    .where(
        SyncWarning.tenant_id == bindparam("tenant_id"),
        SyncWarning.mailbox_id == bindparam("mailbox_id"),
        SyncWarning.kind != WarningKind.ISSUES_UNSEEN,
        SyncWarning.resolved_at.is_(None),
    )
    .order_by(SyncWarning.ends_at.is_(None), SyncWarning.ends_at, SyncWarning.id)
)
"""Built once: every page and every call of the task pane asks it."""


def open_for(session: Session, tenant_id: int, mailbox_id: int | None) -> list[SyncWarning]:
    """The open warnings a user of ``mailbox_id`` sees (their mailbox's, not the key users'
    "issues unseen"), soonest end first."""
    if mailbox_id is None:
        return []
    return list(session.scalars(_OPEN_FOR, {"tenant_id": tenant_id, "mailbox_id": mailbox_id}))


SHOWN = 20
"""Warnings a listing shows at most (a mail server in trouble for everyone opens one per
mailbox); it says how many there are."""


def count_open(session: Session, tenant_id: int) -> int:
    return (
        session.scalar(
            select(func.count(SyncWarning.id)).where(
                SyncWarning.tenant_id == tenant_id, SyncWarning.resolved_at.is_(None)
            )
        )
        or 0
    )


def open_in_tenant(
    session: Session, tenant_id: int, *, company_only: bool = False, limit: int | None = SHOWN
) -> list[SyncWarning]:
    """The tenant's open warnings (``company_only``: those about the whole company), for its
    key users: company-wide first, soonest end first, at most ``limit``."""
    statement = select(SyncWarning).where(
        SyncWarning.tenant_id == tenant_id, SyncWarning.resolved_at.is_(None)
    )
    if company_only:
        statement = statement.where(SyncWarning.mailbox_id.is_(None))
    if limit is not None:
        statement = statement.limit(limit)
    return list(
        session.scalars(
            statement.order_by(
                SyncWarning.mailbox_id.is_not(None),
                SyncWarning.ends_at.is_(None),
                SyncWarning.ends_at,
                SyncWarning.id,
            )
        )
    )
