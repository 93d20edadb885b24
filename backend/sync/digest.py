"""The weekly health digest: a company's sync this week, for its key users.

:func:`weekly` gathers it (mailboxes by health; issues opened and resolved this week by item
type and code, against the week before; the five most common open issue kinds with their
recommended action; the people who need help; the warnings open). The Admin panel's "This
week" page shows it; :func:`send_due` mails it once a week, on the tenant's day and hour, to the
key users who did not opt out, as HTML with a plain-text part.

Exactly once per tenant and week: the notification is claimed under the key
``tenant:<id>:digest:<week>`` (unique) before it is sent, so a second scheduler or a job run
again finds the claim; a worker killed after the claim leaves it with the message, and the
periodic retry of unsent notifications sends it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.i18n import local_time
from backend.models import Issue, Mailbox, Notification, SyncWarning, Tenant, User
from backend.models.issue import Operation
from backend.models.mailbox import HealthStatus
from backend.models.notification import NotificationKind
from backend.models.types import ITEM_TYPE_LABELS, IssueCode, ItemType
from backend.models.user import Role
from backend.notify.deliver import by_language, deliver_in_their_languages, language_key
from backend.notify.notices import Notice
from backend.settings import Settings
from backend.sync import warnings as sync_warnings
from backend.sync.recommendations import Action, recommended_action
from backend.text import N_

log = logging.getLogger(__name__)

WEEK = timedelta(weeks=1)
TYPE_LABELS = {**ITEM_TYPE_LABELS, None: N_("Whole mailbox")}
HEALTH = {
    N_("in sync"): (HealthStatus.ACTIVE,),
    N_("failing"): (HealthStatus.FAILED_UNKNOWN,),
    N_("paused"): (HealthStatus.PAUSED,),
    N_("waiting for re-activation"): (HealthStatus.FAILED_AUTH,),
    N_("not synced yet"): (HealthStatus.NOT_SYNCED,),
    N_("disabled by the mail system"): (HealthStatus.DISABLED,),
}
"""How the digest groups mailboxes, by their health (English: the page or e-mail translates)."""
COMMON_KINDS = 5
PEOPLE_SHOWN = 10
REPEATED_FAILURES = 3
"""Failed runs in a row that make a mailbox's user someone who needs help."""
NEVER_ACTIVATED_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class Count:
    """Issues of one item type and code: this week, and the week before."""

    item_type: str
    code: str
    now: int
    before: int

    @property
    def change(self) -> str:
        delta = self.now - self.before
        return "±0" if delta == 0 else f"{delta:+d}"


@dataclass(frozen=True)
class Kind:
    """An issue kind many people have open, and what to do about it (worded in the language
    of the moment, from one issue of the kind)."""

    item_type: str
    code: IssueCode
    count: int
    fields: tuple[str, ...] = ()
    operation: Operation | None = None
    backend_code: str | None = None

    @property
    def action(self) -> Action:
        return recommended_action(self.code, self.fields, self.operation, self.backend_code)

    @property
    def action_title(self) -> str:
        return self.action.title

    @property
    def action_text(self) -> str:
        return self.action.text


@dataclass(frozen=True)
class Person:
    """Someone who needs help, and why (worded in the language of the moment)."""

    name: str
    email: str
    mailbox_id: int
    open_issues: int = 0
    oldest_days: int = 0
    failures: int = 0
    never_synced: bool = False
    waiting_for_reactivation: bool = False

    @property
    def why(self) -> str:
        reasons = []
        if self.open_issues:
            days = ngettext("%(num)d day", "%(num)d days", self.oldest_days)
            reasons.append(
                ngettext(
                    "%(num)d open issue, the oldest %(days)s old",
                    "%(num)d open issues, the oldest %(days)s old",
                    self.open_issues,
                    days=days,
                )
            )
        if self.failures >= REPEATED_FAILURES:
            reasons.append(
                ngettext(
                    "%(num)d failed run in a row", "%(num)d failed runs in a row", self.failures
                )
            )
        elif self.never_synced and self.waiting_for_reactivation:
            reasons.append(_("never synced: waiting for re-activation"))
        elif self.never_synced:
            reasons.append(_("never synced since added"))
        return "; ".join(reasons)


@dataclass(frozen=True)
class Digest:
    tenant: str
    start: datetime
    end: datetime
    mailboxes: list[tuple[str, int]]
    opened: list[Count]
    resolved: list[Count]
    common: list[Kind]
    people: list[Person]
    warned: list[SyncWarning] = field(default_factory=list)
    """Open warnings (the first ``sync_warnings.SHOWN``)."""
    warnings_total: int = 0
    base_url: str = ""

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """The open warnings' titles and what each saw, in the language of the moment."""
        said = [sync_warnings.describe(w, self.end, self.base_url) for w in self.warned]
        return [(words.title, words.detail) for words in said]

    @property
    def period(self) -> str:
        return _("7 days to %(end)s", end=local_time(self.end, "dd MMM y, HH:mm z"))

    @property
    def total_mailboxes(self) -> int:
        return sum(count for _label, count in self.mailboxes)

    def totals(self, counts: list[Count]) -> Count:
        return Count(N_("All"), "", sum(c.now for c in counts), sum(c.before for c in counts))


def slot_of(tenant: Tenant, now: datetime) -> datetime:
    """The tenant's latest digest moment at or before ``now`` (its weekday and hour, UTC)."""
    config = tenant.config
    moment = now.replace(hour=config.digest_hour, minute=0, second=0, microsecond=0)
    moment -= timedelta(days=(moment.weekday() - config.digest_weekday) % 7)
    return moment if moment <= now else moment - WEEK


def week_key(tenant: Tenant, slot: datetime) -> str:
    return f"tenant:{tenant.id}:digest:{slot:%G-W%V}"


def weekly(session: Session, tenant: Tenant, end: datetime, base_url: str) -> Digest:
    """The tenant's digest of the week that ends at ``end``."""
    start = end - WEEK
    health = dict(
        session.execute(
            select(Mailbox.status, func.count())
            .join(User, User.id == Mailbox.user_id)
            .where(Mailbox.tenant_id == tenant.id, User.removed_at.is_(None))
            .group_by(Mailbox.status)
        ).all()
    )
    mailboxes = [(label, sum(health.get(s, 0) for s in states)) for label, states in HEALTH.items()]
    return Digest(
        tenant=tenant.name,
        start=start,
        end=end,
        mailboxes=[(label, count) for label, count in mailboxes if count],
        opened=_counts(session, tenant, Issue.first_seen_at, start, end),
        resolved=_counts(session, tenant, Issue.resolved_at, start, end),
        common=_common(session, tenant),
        people=_people(session, tenant, end),
        warned=sync_warnings.open_in_tenant(session, tenant.id),
        warnings_total=sync_warnings.count_open(session, tenant.id),
        base_url=base_url,
    )


def _counts(
    session: Session, tenant: Tenant, moment: Any, start: datetime, end: datetime
) -> list[Count]:
    """Issues whose ``moment`` falls in this week and in the week before, by type and code."""

    def week(since: datetime, until: datetime) -> Counter[tuple[ItemType | None, IssueCode]]:
        rows = session.execute(
            select(Issue.item_type, Issue.code, func.count())
            .where(Issue.tenant_id == tenant.id, moment >= since, moment < until,
                   Issue.informational.is_(False))
            .group_by(Issue.item_type, Issue.code)
        ).all()  # fmt: skip
        return Counter({(item_type, code): count for item_type, code, count in rows})

    now, before = week(start, end), week(start - WEEK, start)
    keys = sorted(now.keys() | before.keys(), key=lambda key: (-now[key], str(key)))
    return [
        Count(TYPE_LABELS.get(item_type, str(item_type)), code.value, now[key], before[key])
        for key in keys
        for item_type, code in (key,)
    ]


def _common(session: Session, tenant: Tenant) -> list[Kind]:
    """The most common open issue kinds (item type, code and recommended action), each with
    one of its issues, whose fields and operation word the action for the reader."""
    rows = session.execute(
        select(Issue.item_type, Issue.code, func.count(), func.min(Issue.id))
        .where(Issue.tenant_id == tenant.id, Issue.resolved_at.is_(None),
               Issue.informational.is_(False))
        .group_by(Issue.item_type, Issue.code, Issue.action_title, Issue.action_text)
        .order_by(func.count().desc(), Issue.code, Issue.action_title)
        .limit(COMMON_KINDS)
    ).all()  # fmt: skip
    one = {
        row.id: row
        for row in session.execute(
            select(Issue.id, Issue.fields, Issue.operation, Issue.backend_code).where(
                Issue.id.in_([first for *_kind, first in rows])
            )
        )
    }
    return [
        Kind(TYPE_LABELS.get(kind, str(kind)), code, count, tuple(one[first].fields or ()),
             one[first].operation, one[first].backend_code)
        for kind, code, count, first in rows
    ]  # fmt: skip


def _people(session: Session, tenant: Tenant, end: datetime) -> list[Person]:
    """Who needs help: the oldest open issues first, then repeated failures, then people whose
    mailbox never synced."""
    found: dict[int, Person] = {}
    oldest = session.execute(
        select(User.name, User.email, Mailbox.id, func.min(Issue.first_seen_at), func.count())
        .join(Mailbox, Mailbox.id == Issue.mailbox_id)
        .join(User, User.id == Mailbox.user_id)
        .where(Issue.tenant_id == tenant.id, Issue.resolved_at.is_(None),
               Issue.informational.is_(False), User.removed_at.is_(None))
        .group_by(User.name, User.email, Mailbox.id)
        .order_by(func.min(Issue.first_seen_at))
        .limit(PEOPLE_SHOWN)
    ).all()  # fmt: skip
    for name, email, mailbox_id, first, count in oldest:
        days = max(0, (end - first).days)
        found[mailbox_id] = Person(name, email, mailbox_id, open_issues=count, oldest_days=days)
    troubled = session.execute(
        select(User.name, User.email, Mailbox.id, Mailbox.consecutive_failures, Mailbox.status)
        .join(User, User.id == Mailbox.user_id)
        .where(Mailbox.tenant_id == tenant.id, User.removed_at.is_(None),
               (Mailbox.consecutive_failures >= REPEATED_FAILURES)
               | (Mailbox.last_synced_at.is_(None)
                  & (Mailbox.created_at < end - NEVER_ACTIVATED_AFTER)))
        .order_by(Mailbox.consecutive_failures.desc(), User.name)
        .limit(PEOPLE_SHOWN)
    ).all()  # fmt: skip
    for name, email, mailbox_id, failures, status in troubled:
        known = found.get(mailbox_id) or Person(name, email, mailbox_id)
        found[mailbox_id] = replace(
            known, failures=failures, never_synced=failures < REPEATED_FAILURES,
            waiting_for_reactivation=status is HealthStatus.FAILED_AUTH,
        )  # fmt: skip
    return list(found.values())[:PEOPLE_SHOWN]


def recipients(session: Session, tenant: Tenant) -> list[str]:
    """The tenant's key users who get the digest."""
    return list(
        session.scalars(
            select(User.email).where(
                User.tenant_id == tenant.id,
                User.role == Role.KEY_USER,
                User.removed_at.is_(None),
                User.weekly_digest.is_(True),
            )
        )
    )


def send_due(session: Session, settings: Settings, now: datetime) -> int:
    """Mail every tenant's digest whose moment this week has come and that was not sent yet;
    returns how many went out. A tenant without mailboxes or key users gets none, and a new one
    its first at its first moment (a week it was not there for sums nothing up). One tenant's
    trouble does not keep the others' digests back."""
    sent = 0
    for tenant in session.scalars(select(Tenant).order_by(Tenant.id)).all():
        try:
            sent += _send(session, settings, tenant, now)
        except Exception:
            session.rollback()
            log.exception("weekly digest of tenant %s not sent", tenant.id)
    return sent


def _send(session: Session, settings: Settings, tenant: Tenant, now: datetime) -> bool:
    """Mail ``tenant``'s digest if its moment has come and nobody claimed it; whether it went."""
    slot = slot_of(tenant, now)
    if tenant.created_at > slot:
        return False
    key = week_key(tenant, slot)
    people = recipients(session, tenant)
    keys = [language_key(key, language) for language in by_language(session, people)]
    claimed = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.kind == NotificationKind.WEEKLY_DIGEST, Notification.incident_key.in_(keys)
        )
    )
    if claimed == len(keys):
        return False  # this week's went out (the usual case, every ten minutes but one)
    has_mailboxes = session.scalar(
        select(Mailbox.id).where(Mailbox.tenant_id == tenant.id).limit(1)
    )
    if not people or has_mailboxes is None:
        return False
    digest = weekly(session, tenant, slot, settings.public_base_url)
    base = settings.public_base_url
    page = f"{base}/admin/week/"

    def person_link(person: Person) -> str:
        return f"{base}/admin/mailboxes/{person.mailbox_id}"

    def words() -> Notice:
        return Notice(
            _("%(tenant)s: sync this week (%(period)s)", tenant=tenant.name, period=digest.period),
            render_template("email/digest.txt", digest=digest, page=page),
            render_template("email/digest.html", digest=digest, page=page, person_link=person_link),
        )

    delivered = deliver_in_their_languages(
        session, settings, words=words, kind=NotificationKind.WEEKLY_DIGEST, incident_key=key,
        tenant_id=tenant.id, mailbox_id=None, recipients=people,
    )  # fmt: skip
    return any(notification.sent_at is not None for notification in delivered)
