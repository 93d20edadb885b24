"""The admin issues listing: its filters as the query string gives them, and ignoring an issue.

The rows themselves come from :func:`backend.models.issue_queries.issue_query`, the same listing the
JSON API and the CSV export use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.models import Issue, User
from backend.models.audit import record_audit
from backend.models.issue import Resolution
from backend.models.issue_queries import IssueFilter
from backend.storage.db import utcnow

FILTER_NAMES = ("status", "type", "code", "user")


def read_filters(args: Mapping[str, str]) -> tuple[IssueFilter, str | None]:
    """The filters of the query string, or the default ones and why the given ones are wrong."""
    try:
        return IssueFilter.model_validate({name: args.get(name, "") for name in FILTER_NAMES}), None
    except ValidationError as error:
        wrong = ", ".join(sorted({str(problem["loc"][0]) for problem in error.errors()}))
        return IssueFilter(), _(
            "The filter %(names)s was not understood; showing open issues.", names=wrong
        )


def filter_args(filters: IssueFilter) -> dict[str, str]:
    """The filters as query arguments (only those that differ from the default)."""
    args = {name: getattr(filters, name) for name in FILTER_NAMES}
    args["status"] = None if filters.status == "open" else filters.status
    return {name: str(value) for name, value in args.items() if value is not None}


PEOPLE_SUGGESTED = 200
"""Users the user filter suggests as a key user types, at most: a tenant of thousands gets no
suggestions (a list of every user on every page cost a third of the page at two thousand), and
its key users type the address."""


def people(session: Session, tenant_id: int) -> list[Any]:
    """The tenant's users the user filter suggests: ``(email, name)`` rows, by name; none
    when the tenant has more than ``PEOPLE_SUGGESTED``."""
    found = list(
        session.execute(
            select(User.email, User.name)
            .where(User.tenant_id == tenant_id)
            .order_by(func.lower(User.name), User.id)
            .limit(PEOPLE_SUGGESTED + 1)
        )
    )
    return found if len(found) <= PEOPLE_SUGGESTED else []


def user_typed(session: Session, tenant_id: int, user: int | str | None, typed: str) -> str:
    """What the user filter's field shows for the filter's ``user``: the address of the
    tenant's user with that id (a link names the user by id), else what was ``typed`` (also
    when it was not understood: a name, say, is there to correct)."""
    if not isinstance(user, int):
        return typed.strip()
    found = session.scalar(select(User.email).where(User.id == user, User.tenant_id == tenant_id))
    return found or str(user)


def ignore(session: Session, issue: Issue, actor: User) -> bool:
    """Resolve an open issue as ignored (it opens again if the failure comes back).

    One conditional UPDATE: a run or a Save dialog that resolves the issue meanwhile keeps its
    own resolution.

    Returns:
        False when the issue was already resolved (nothing changes).
    """
    resolved = session.execute(
        update(Issue)
        .where(Issue.id == issue.id, Issue.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=Resolution.IGNORED)
        .execution_options(synchronize_session="fetch")
    )
    if not resolved.rowcount:
        return False
    record_audit(
        session,
        tenant_id=issue.tenant_id,
        actor=actor,
        action="issue.ignore",
        target_type="issue",
        target_id=str(issue.id),
        details={"code": issue.code.value, "mailbox_id": issue.mailbox_id},
    )
    return True
