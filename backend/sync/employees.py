"""Matching a tenant's users to their C4C employees (``EmployeeCollection``) by e-mail address.

The match is what makes a user's own records in SAP theirs (the owner of what the sync
creates). A user without one is a problem on their row of the users table and an issue of their
mailbox (``NoEmployee``, about the whole mailbox), resolved by the match that finds them. Reads
only: one request per 20 unmatched users.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CError
from backend.crm.transport import RetryPolicy
from backend.models import Mailbox, Tenant, User
from backend.models.issue import Resolution, Source
from backend.models.types import IssueCode
from backend.settings import Settings
from backend.storage.db import utcnow
from backend.sync import connect, issues
from backend.sync.errors import SyncError, ours
from backend.text import N_

log = logging.getLogger(__name__)

EMPLOYEES = "EmployeeCollection"
CHUNK = 20


def match(client: C4CClient, users: Sequence[User]) -> int:
    """Give each of ``users`` without one the C4C employee with their e-mail address; returns
    how many were matched.

    Raises:
        C4CError: C4C could not be read (nothing was changed for the chunk that failed).
    """
    waiting = {user.email.lower(): user for user in users if user.c4c_employee_id is None}
    matched = 0
    lookups = client.read_matching(EMPLOYEES, "Email", sorted(waiting), chunk=CHUNK,
                                   select=["EmployeeID", "Email"])  # fmt: skip
    for _chunk, found in lookups:
        for employee in found:
            user = waiting.get((employee.get("Email") or "").lower())
            if user is not None and user.c4c_employee_id is None and employee.get("EmployeeID"):
                user.c4c_employee_id = employee["EmployeeID"]
                matched += 1
    return matched


def of_mailbox(session: Session, mailbox: Mailbox) -> str | None:
    """The C4C employee of the mailbox's user (``None`` until matched)."""
    user = session.get(User, mailbox.user_id)
    return user.c4c_employee_id if user is not None else None


def unmatched(session: Session, tenant_id: int) -> list[User]:
    """The tenant's current users without a C4C employee."""
    return list(
        session.scalars(
            select(User).where(
                User.tenant_id == tenant_id,
                User.removed_at.is_(None),
                User.c4c_employee_id.is_(None),
            )
        )
    )


def match_tenant(session: Session, tenant: Tenant, cipher: TokenCipher, settings: Settings) -> int:
    """Match the tenant's unmatched users while a person waits; the caller commits.

    A C4C that cannot be read now changes nothing: the users table keeps showing who is
    unmatched, and the next connection test tries again.
    """
    users = unmatched(session, tenant.id)
    if not users or not tenant.c4c_base_url or tenant.c4c_refused_since is not None:
        return 0
    try:
        client = connect.c4c_client(
            tenant, cipher, settings.dialog_timeouts, retry=RetryPolicy(attempts=1)
        )
        matched = match(client, users)
    except (C4CError, SyncError) as error:
        log.info("employees of tenant %s not matched now: %s", tenant.id, error)
        return 0
    _issues_of(session, users)
    return matched


NO_EMPLOYEE = ours(
    IssueCode.NOT_FOUND,
    N_("No employee in SAP Cloud for Customer has this user's e-mail address"),
    backend_code="NoEmployee",
)


def _issues_of(session: Session, users: Sequence[User]) -> None:
    """An issue on the mailbox of each user still without an employee; resolved for the rest."""
    now = utcnow()
    by_user = {user.id: user for user in users}
    for mailbox in session.scalars(select(Mailbox).where(Mailbox.user_id.in_(by_user))):
        if by_user[mailbox.user_id].c4c_employee_id is None:
            issues.record(session, mailbox, issues.MAILBOX, NO_EMPLOYEE, source=Source.C4C, now=now)
        else:
            issues.resolve(session, mailbox, issues.MAILBOX, how=Resolution.AUTO, now=now,
                           codes=[IssueCode.NOT_FOUND])  # fmt: skip
