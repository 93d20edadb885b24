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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox, Notification, Tenant, User
from backend.models.mailbox import HealthStatus
from backend.models.notification import NotificationKind
from backend.models.types import ITEM_TYPE_LABELS, IssueCode, ItemType
from backend.models.user import Role
from backend.notify.deliver import deliver_once
from backend.settings import Settings
from backend.sync import warnings as sync_warnings

log = logging.getLogger(__name__)

WEEK = timedelta(weeks=1)
TYPE_LABELS = {**ITEM_TYPE_LABELS, None: "Whole mailbox"}
HEALTH = {
    "in sync": (HealthStatus.ACTIVE,),
    "failing": (HealthStatus.FAILED_UNKNOWN,),
    "paused": (HealthStatus.PAUSED,),
    "waiting for re-activation": (HealthStatus.FAILED_AUTH,),
    "not synced yet": (HealthStatus.NOT_SYNCED,),
    "disabled by the mail system": (HealthStatus.DISABLED,),
}
"""How the digest groups mailboxes, by their health."""
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
    """An issue kind many people have open, and what to do about it."""

    item_type: str
    code: str
    count: int
    action_title: str
    action_text: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    why: str
    mailbox_id: int


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
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """Open warnings (the first ``sync_warnings.SHOWN``): title and what was seen."""
    warnings_total: int = 0

    @property
    def period(self) -> str:
        return f"7 days to {self.end:%d %b %Y, %H:%M} UTC"

    @property
    def total_mailboxes(self) -> int:
        return sum(count for _label, count in self.mailboxes)

    def totals(self, counts: list[Count]) -> Count:
        return Count("All", "", sum(c.now for c in counts), sum(c.before for c in counts))


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
        warnings=[
            (view.title, view.detail) for view in _warning_words(session, tenant, end, base_url)
        ],
        warnings_total=sync_warnings.count_open(session, tenant.id),
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
    rows = session.execute(
        select(Issue.item_type, Issue.code, Issue.action_title, Issue.action_text, func.count())
        .where(Issue.tenant_id == tenant.id, Issue.resolved_at.is_(None),
               Issue.informational.is_(False))
        .group_by(Issue.item_type, Issue.code, Issue.action_title, Issue.action_text)
        .order_by(func.count().desc(), Issue.code, Issue.action_title)
        .limit(COMMON_KINDS)
    ).all()  # fmt: skip
    return [
        Kind(TYPE_LABELS.get(kind, str(kind)), code.value, count, title or "", text or "")
        for kind, code, title, text, count in rows
    ]


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
        issues = "issue" if count == 1 else "issues"
        found[mailbox_id] = Person(name, email, f"{count} open {issues}, the oldest {days} "
                                   f"day{'s' if days != 1 else ''} old", mailbox_id)  # fmt: skip
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
        if failures >= REPEATED_FAILURES:
            why = f"{failures} failed runs in a row"
        elif status is HealthStatus.FAILED_AUTH:
            why = "never synced: waiting for re-activation"
        else:
            why = "never synced since added"
        if mailbox_id in found:
            why = f"{found[mailbox_id].why}; {why}"
        found[mailbox_id] = Person(name, email, why, mailbox_id)
    return list(found.values())[:PEOPLE_SHOWN]


def _warning_words(
    session: Session, tenant: Tenant, now: datetime, base_url: str
) -> Iterator[sync_warnings.Words]:
    for warning in sync_warnings.open_in_tenant(session, tenant.id):
        yield sync_warnings.describe(warning, now, base_url)


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
    claimed = session.scalar(
        select(Notification.id).where(
            Notification.kind == NotificationKind.WEEKLY_DIGEST, Notification.incident_key == key
        )
    )
    if claimed is not None:
        return False  # this week's went out (the usual case, every ten minutes but one)
    people = recipients(session, tenant)
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

    delivered = deliver_once(
        session, settings, kind=NotificationKind.WEEKLY_DIGEST, incident_key=key,
        tenant_id=tenant.id, mailbox_id=None, recipients=people,
        subject=f"{tenant.name}: sync this week ({digest.period})",
        body=render_template("email/digest.txt", digest=digest, page=page),
        html=render_template("email/digest.html", digest=digest, page=page,
                             person_link=person_link),
    )  # fmt: skip
    return delivered is not None and delivered.sent_at is not None
