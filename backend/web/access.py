"""Who may see what: the signed-in user, key-user-only views, and tenant-scoped lookups.

Every lookup by id goes through :func:`tenant_row_or_404` or :func:`visible_issue_or_404`, so an
id of another tenant (or another user's item, for a plain user) answers 404, never data. Ids in
URLs are read by :class:`RowId` (``<id:issue_id>``): ASCII digits within the range a database
row id can have, so anything else is no route (404) rather than a failed query.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from backend.extensions import db_session
from backend.models import Issue, Mailbox, Tenant, User
from backend.storage.db import MAX_ID

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M")

signed_in = login_required


class RowId(BaseConverter):
    """A row id in a path: 1 to ``MAX_ID`` in ASCII digits (``\\d`` would also take other
    scripts' digits, which ``int()`` reads)."""

    regex = "[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            # Not ValidationError: werkzeug would then try the path's rules for other methods
            # and answer 405 where no such row can exist.
            raise NotFound()
        return number

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def key_user_required(view: F) -> F:
    """Only key users of the tenant; a plain user gets 403."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_key_user:
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def me() -> User:
    """The signed-in user's row."""
    return current_user.row


def _read_with_me(name: str) -> Any:
    """The row (``tenant_row``, ``mailbox_row``) read with the signed-in user at the request's
    start, while it is still in the database session; else None."""
    kept = getattr(current_user, name, None)
    return kept if kept is not None and kept in db_session() else None


def my_tenant() -> Tenant:
    """The signed-in user's tenant (read with them: no statement of its own)."""
    if (kept := _read_with_me("tenant_row")) is not None:
        return kept
    tenant = db_session().get(Tenant, current_user.tenant_id)
    if tenant is None:
        abort(404)
    return tenant


_MAILBOX_OF_USER = select(Mailbox).where(Mailbox.user_id == bindparam("user_id"))
"""Built once: every page of the dashboard asks it."""


def my_mailbox() -> Mailbox | None:
    """The signed-in user's mailbox (read with them: no statement of its own), else looked up
    (none then, or one made since)."""
    if (kept := _read_with_me("mailbox_row")) is not None:
        return kept
    return db_session().scalars(_MAILBOX_OF_USER, {"user_id": current_user.id}).one_or_none()


def tenant_row_or_404(model: type[M], ident: int) -> M:
    """The row of ``model`` with this id in the signed-in user's tenant, else 404."""
    row = db_session().get(model, ident)
    if row is None or row.tenant_id != current_user.tenant_id:  # type: ignore[attr-defined]
        abort(404)
    return row


def visible_issue_or_404(issue_id: int) -> Issue:
    """An issue the signed-in user may see: any of the tenant for key users, else their own."""
    issue = tenant_row_or_404(Issue, issue_id)
    if not current_user.is_key_user and issue.user_id != current_user.id:
        abort(404)
    return issue
