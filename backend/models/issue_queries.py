"""Which issues a viewer may list, filtered: one query for the JSON API and the admin panel (its
table and CSV export), so all of them show the same rows for the same filters.

:func:`issue_query` builds the listing (newest ``last_seen_at`` first, ties by id) with the
owner's name and the mailbox address joined in one statement; :func:`issue_count_query` counts
the same rows; :func:`after` continues a listing past a position (keyset paging). Visibility is
part of every statement: a key user sees the issues of their tenant, a user only their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox, User
from backend.models.types import IssueCode, ItemType
from backend.storage.db import MAX_ID

Status = Literal["open", "resolved", "all"]


def row_id(text: str) -> int | None:
    """``text`` as a row id (ASCII digits, 1 to ``MAX_ID``), else ``None``."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IssueFilter(BaseModel):
    """Filters of an issue listing, as a query string or a form gives them (strings welcome).

    Empty values count as not given, so a filter form's blank fields filter nothing. ``user`` is
    a user id or e-mail address; ids are ASCII digits within the range a row id can have.
    ``since`` keeps the issues last seen after that time (a time without a zone is UTC; one whose
    UTC equivalent falls outside the years 1 to 9999 counts as the first or last moment there).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status = "open"
    type: ItemType | None = None
    code: IssueCode | None = None
    user: int | str | None = None
    mailbox: int | None = None
    since: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {name: value for name, value in values.items() if value not in ("", None)}
        return values

    @field_validator("status", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("type", "code", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("user", mode="before")
    @classmethod
    def _user(cls, value: Any) -> int | str:
        text = str(value).strip()
        if row_id(text) is not None:
            return int(text)
        if "@" in text[1:-1]:
            return text.lower()
        raise ValueError("give a user id (a number) or an e-mail address")

    @field_validator("mailbox", mode="before")
    @classmethod
    def _mailbox(cls, value: Any) -> int:
        found = row_id(str(value).strip())
        if found is None:
            raise ValueError("give a mailbox id (a number)")
        return found

    @field_validator("since")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            # 9999-12-31T23:59:59-01:00 is after the last moment a datetime holds, and
            # 0001-01-01T00:00:00+01:00 before the first: keep the meaning, not the overflow.
            edge = datetime.max if value.year == datetime.max.year else datetime.min
            return edge.replace(tzinfo=UTC)


class Position(NamedTuple):
    """Where a listing page ended: the last row's ``last_seen_at`` and id."""

    last_seen_at: datetime
    issue_id: int


def issue_conditions(
    viewer_tenant_id: int, viewer_user_id: int, is_key_user: bool, filters: IssueFilter
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a listing: the viewer's visibility, then the filters."""
    conditions: list[ColumnElement[bool]] = [Issue.tenant_id == viewer_tenant_id]
    if not is_key_user:
        conditions.append(Issue.user_id == viewer_user_id)
    if filters.status == "open":
        conditions.append(Issue.resolved_at.is_(None))
    elif filters.status == "resolved":
        conditions.append(Issue.resolved_at.is_not(None))
    if filters.type is not None:
        conditions.append(Issue.item_type == filters.type)
    if filters.code is not None:
        conditions.append(Issue.code == filters.code)
    if isinstance(filters.user, int):
        conditions.append(Issue.user_id == filters.user)
    elif filters.user is not None:
        owner = select(User.id).where(
            User.tenant_id == viewer_tenant_id, User.email == filters.user
        )
        conditions.append(Issue.user_id == owner.scalar_subquery())
    if filters.mailbox is not None:
        conditions.append(Issue.mailbox_id == filters.mailbox)
    if filters.since is not None:
        conditions.append(Issue.last_seen_at > filters.since)
    return conditions


def issue_query(
    viewer_tenant_id: int, viewer_user_id: int, is_key_user: bool, filters: IssueFilter
) -> Select[Any]:
    """The issues the viewer may see that match ``filters``, newest first.

    Args:
        viewer_tenant_id: the signed-in user's tenant.
        viewer_user_id: the signed-in user; a plain user sees only issues of their own.
        is_key_user: whether the viewer sees every issue of the tenant.
        filters: the checked filters.

    Returns:
        A statement whose rows are ``(Issue, user_email, user_name, mailbox_address)``
        (the user columns are null for an issue whose user is gone), ordered by
        ``last_seen_at`` then id, both descending. Add ``.limit()`` and :func:`after` to page.
    """
    return (
        select(
            Issue,
            User.email.label("user_email"),
            User.name.label("user_name"),
            Mailbox.address.label("mailbox_address"),
        )
        .join(Mailbox, Mailbox.id == Issue.mailbox_id)
        .outerjoin(User, User.id == Issue.user_id)
        .where(*issue_conditions(viewer_tenant_id, viewer_user_id, is_key_user, filters))
        .order_by(Issue.last_seen_at.desc(), Issue.id.desc())
    )


COUNT_CAP = 10_000
"""Matching issues counted at most; a listing says "10,000+" beyond (never a full count of a
million issues for a page of fifty)."""


def issue_count_query(
    viewer_tenant_id: int, viewer_user_id: int, is_key_user: bool, filters: IssueFilter
) -> Select[tuple[int]]:
    """How many rows :func:`issue_query` gives for the same arguments (no joins needed),
    counting no further than one past ``COUNT_CAP`` (see :func:`capped`)."""
    conditions = issue_conditions(viewer_tenant_id, viewer_user_id, is_key_user, filters)
    matching = select(Issue.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(matching)


def capped(counted: int) -> tuple[int, bool]:
    """What :func:`issue_count_query` counted as (count, whether there are more than it)."""
    return min(counted, COUNT_CAP), counted > COUNT_CAP


PAGE_SIZE = 50
"""Issues on a page of a listing not told otherwise: the admin issue list's (a row an issue)."""


def keyset_page(
    session: Session,
    statement: Select[Any],
    raw_after: str | None,
    *,
    tenant_id: int,
    mailbox_id: int | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[Any], int | None]:
    """``size`` rows of ``statement`` (ordered as :func:`issue_query` orders, selecting ``Issue``):
    the rows after issue ``raw_after`` (its id, as a page link gives it; from the newest when
    ``None``), one indexed query at any depth; and the id the next page continues after
    (``None`` on the last page). The anchor must be the tenant's (and the mailbox's, when given).

    Raises:
        ValueError: ``raw_after`` names no such issue (its message says so to the reader).
    """
    if raw_after is not None:
        issue_id = row_id(raw_after)
        anchor = session.get(Issue, issue_id) if issue_id is not None else None
        if (
            anchor is None
            or anchor.tenant_id != tenant_id
            or (mailbox_id not in (None, anchor.mailbox_id))
        ):
            raise ValueError("This page of issues does not exist; start from the newest.")
        statement = after(statement, Position(anchor.last_seen_at, anchor.id))
    found = session.execute(statement.limit(size + 1)).all()
    rows = found[:size]
    return rows, rows[-1].Issue.id if len(found) > size else None


def after(statement: Select[Any], position: Position) -> Select[Any]:
    """``statement`` (ordered as :func:`issue_query` orders) continued past ``position``."""
    return statement.where(
        tuple_(Issue.last_seen_at, Issue.id) < (position.last_seen_at, position.issue_id)
    )
