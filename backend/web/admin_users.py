"""The admin users table: one row per user of the tenant with their mailbox's health.

:func:`users_query` reads a page of the table in one statement (open issues counted in a
grouped subquery, the total as a window count); :func:`status_pill` names and colours a
mailbox's health in the key user's words (marked here, translated where shown);
:func:`outages` names the tenant's shared services that do not answer, and :func:`recent_runs`
feeds a mailbox's detail view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox, MailboxItemState, Run, User
from backend.models.mailbox import HealthStatus, Stage
from backend.presenters import (
    Pill,
    awaits_connection,
    mailbox_pill,
    provider_label,
    service_pill,
)
from backend.sync.engine import MASS_CHANGE_CODE
from backend.sync.health import health_of
from backend.sync.services import SHARED
from backend.tenants.invitations import InvitationState
from backend.text import N_
from backend.web.admin_paging import PAGE_SIZE

RUNS_SHOWN = 20
ACCESS_LABELS = {
    InvitationState.NOT_INVITED: N_("Not invited"),
    InvitationState.INVITED: N_("Invited"),
    InvitationState.EXPIRED: N_("Expired"),
    InvitationState.ACTIVATED: N_("Activated"),
}
"""Where a user's invitation stands, as the Access column says it."""


class UsersFilter(BaseModel):
    """The users table's filters, as its query string gives them (blank means not given)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: HealthStatus | None = None
    q: str = Field(default="", max_length=200)
    has_issues: bool = False
    page: int = Field(default=1, ge=1, le=100_000)

    @field_validator("status", mode="before")
    @classmethod
    def _blank_status(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("q", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("has_issues", mode="before")
    @classmethod
    def _checkbox(cls, value: Any) -> Any:
        return value not in ("", "0", "false", "off", None, False)

    def query_args(self, page: int | None = None) -> dict[str, str | int]:
        """The filters as query arguments (only those given), for links and redirects."""
        args: dict[str, str | int] = {}
        if self.status is not None:
            args["status"] = self.status.value
        if self.q:
            args["q"] = self.q
        if self.has_issues:
            args["has_issues"] = "1"
        if (page or self.page) > 1:
            args["page"] = page or self.page
        return args


@dataclass(frozen=True)
class UserRow:
    """One line of the table; the mailbox fields are None for a user without a mailbox."""

    user: User
    mailbox: Mailbox | None
    open_issues: int
    importing: bool
    mass_change_held: bool

    @property
    def pill(self) -> Pill | None:
        return None if self.mailbox is None else pill_of(self.mailbox, self.importing)

    @property
    def provider(self) -> str:
        return provider_label(self.mailbox.provider) if self.mailbox else "—"


def pill_of(mailbox: Mailbox, importing: bool = False) -> Pill:
    """A mailbox's health for key users: a failing one says why, since when (and does not
    blame the mailbox when SAP is the one not answering)."""
    if mailbox.status is HealthStatus.FAILED_UNKNOWN or awaits_connection(mailbox):
        return mailbox_pill(mailbox)
    return status_pill(mailbox.status, importing)


def status_pill(status: HealthStatus, importing: bool = False) -> Pill:
    """A mailbox's health as the admin table shows it (the reason is shown next to it); the
    label is translated where shown."""
    match status:
        case HealthStatus.ACTIVE:
            return Pill(N_("Synced"), "ok")
        case HealthStatus.NOT_SYNCED:
            return Pill(N_("Importing") if importing else N_("Not synced yet"), "busy")
        case HealthStatus.PAUSED:
            return Pill(N_("Paused"), "muted")
        case HealthStatus.FAILED_AUTH:
            return Pill(N_("Needs re-activation"), "error")
        case HealthStatus.FAILED_UNKNOWN:
            return Pill(N_("Sync failed"), "error")
        case HealthStatus.DISABLED:
            return Pill(N_("Disabled"), "warn")
    raise ValueError(f"no pill for status {status!r}")


def users_query(tenant_id: int, filters: UsersFilter) -> Select[Any]:
    """A page of the users table: ``(User, Mailbox | None, open_issues, importing, held,
    total)`` ordered by name, ``total`` counting every row that matches ``filters``."""
    open_issues = (
        select(Issue.mailbox_id, func.count().label("open_issues"))
        .where(Issue.tenant_id == tenant_id, Issue.resolved_at.is_(None))
        .group_by(Issue.mailbox_id)
        .subquery()
    )
    count = func.coalesce(open_issues.c.open_issues, 0)
    importing = exists().where(
        MailboxItemState.mailbox_id == Mailbox.id, MailboxItemState.stage == Stage.ONGOING
    )
    held = exists().where(
        Issue.mailbox_id == Mailbox.id,
        Issue.backend_code == MASS_CHANGE_CODE,
        Issue.resolved_at.is_(None),
    )
    statement = (
        select(
            User,
            Mailbox,
            count.label("open_issues"),
            importing.label("importing"),
            held.label("held"),
            func.count().over().label("total"),
        )
        .outerjoin(Mailbox, Mailbox.user_id == User.id)
        .outerjoin(open_issues, open_issues.c.mailbox_id == Mailbox.id)
        .where(User.tenant_id == tenant_id, User.removed_at.is_(None))
    )
    if filters.status is not None:
        statement = statement.where(Mailbox.status == filters.status)
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(Mailbox.address).contains(needle, autoescape=True),
            )
        )
    if filters.has_issues:
        statement = statement.where(count > 0)
    return (
        statement.order_by(func.lower(User.name), User.id)
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    )


def user_rows(rows: list[Any]) -> tuple[list[UserRow], int]:
    """The table lines of :func:`users_query`'s rows, and the total it counted."""
    total = rows[0].total if rows else 0
    return [
        UserRow(row.User, row.Mailbox, row.open_issues, bool(row.importing), bool(row.held))
        for row in rows
    ], total


def outages(session: Session, tenant_id: int) -> list[str]:
    """One sentence per shared service of the tenant that does not answer (C4C, Exchange)."""
    found = []
    for service in SHARED:
        pill = service_pill(health_of(session, tenant_id, service), service.name)
        if pill.tone == "error":
            found.append(gettext("%(service)s is not reachable. %(note)s", service=service.name,
                                 note=pill.note or ""))  # fmt: skip
    return found


def recent_runs(session: Session, mailbox_id: int) -> list[Run]:
    """The mailbox's latest runs, newest first."""
    return list(
        session.scalars(
            select(Run)
            .where(Run.mailbox_id == mailbox_id)
            .order_by(Run.started_at.desc(), Run.id.desc())
            .limit(RUNS_SHOWN)
        )
    )
