"""Opening, repeating and resolving issues: one open issue per (mailbox, item, code).

``record`` opens an issue or, when the same item already has an open one with the same code,
counts another occurrence. ``resolve`` closes an item's open issues (a later good sync, a fix in
the Save dialog, a key user). The partial unique index in the database is the final word when
two writers race: the loser counts an occurrence on the winner's row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox
from backend.models.issue import Operation, Resolution, Source, item_key
from backend.models.types import Direction, IssueCode, ItemType
from backend.sync.errors import Classification, in_words, stored_words
from backend.sync.recommendations import Action, recommended_action


@dataclass(frozen=True)
class ItemRef:
    """Which item an issue is about; both ids empty means the whole mailbox."""

    item_type: ItemType | None = None
    mailbox_item_id: str | None = None
    c4c_object_id: str | None = None
    title: str | None = None

    @property
    def key(self) -> str:
        return item_key(self.mailbox_item_id, self.c4c_object_id)


MAILBOX = ItemRef()


def _open(session: Session, mailbox_id: int, key: str, code: IssueCode) -> Issue | None:
    return session.scalars(
        select(Issue).where(
            Issue.mailbox_id == mailbox_id,
            Issue.item_key == key,
            Issue.code == code,
            Issue.resolved_at.is_(None),
        )
    ).one_or_none()


def record(
    session: Session,
    mailbox: Mailbox,
    item: ItemRef,
    classification: Classification,
    *,
    source: Source,
    now: datetime,
    direction: Direction | None = None,
    operation: Operation | None = None,
    informational: bool = False,
) -> Issue:
    """Open an issue for ``item``, or count one more occurrence of the open one.

    Returns:
        The open issue (new or repeated), flushed.
    """
    existing = _open(session, mailbox.id, item.key, classification.code)
    if existing is None:
        issue = _new_issue(mailbox, item, classification, source, now, direction, operation)
        issue.informational = informational
        try:
            with session.begin_nested():
                session.add(issue)
            return issue
        except IntegrityError:
            existing = _open(session, mailbox.id, item.key, classification.code)
            if existing is None:
                raise
    existing.occurrences += 1
    existing.last_seen_at = now
    existing.backend_code = classification.backend_code
    existing.backend_message = classification.message
    existing.message_words = stored_words(classification)
    existing.http_status = classification.http_status
    existing.fields = list(classification.fields)
    existing.title = item.title or existing.title
    action = _stored_action(classification, operation)
    existing.action_title, existing.action_text = action.title, action.text
    session.flush()
    return existing


def message_of(issue: Issue) -> str | None:
    """The issue's message in the language of the moment: the product's own words translated,
    what a backend said as it said it."""
    return in_words(issue.message_words, issue.backend_message)


def _stored_action(classification: Classification, operation: Operation | None) -> Action:
    """The recommended action as the issue keeps it: in English, whoever's request records it
    (pages word it again in their reader's language)."""
    with force_locale("en"):
        return recommended_action(
            classification.code, classification.fields, operation, classification.backend_code
        )


def _new_issue(
    mailbox: Mailbox,
    item: ItemRef,
    classification: Classification,
    source: Source,
    now: datetime,
    direction: Direction | None,
    operation: Operation | None,
) -> Issue:
    action = _stored_action(classification, operation)
    return Issue(
        tenant_id=mailbox.tenant_id,
        user_id=mailbox.user_id,
        mailbox_id=mailbox.id,
        item_type=item.item_type,
        item_key=item.key,
        mailbox_item_id=item.mailbox_item_id,
        c4c_object_id=item.c4c_object_id,
        title=item.title,
        code=classification.code,
        source=source,
        direction=direction,
        operation=operation,
        backend_code=classification.backend_code,
        backend_message=classification.message,
        message_words=stored_words(classification),
        http_status=classification.http_status,
        fields=list(classification.fields),
        action_title=action.title,
        action_text=action.text,
        first_seen_at=now,
        last_seen_at=now,
        occurrences=1,
    )


def resolve(
    session: Session,
    mailbox: Mailbox,
    item: ItemRef,
    *,
    how: Resolution,
    now: datetime,
    codes: Iterable[IssueCode] | None = None,
) -> int:
    """Close the open issues of ``item`` (only ``codes`` if given); returns how many."""
    keys = {item.key}
    if item.mailbox_item_id and item.c4c_object_id:
        keys.add(item_key(None, item.c4c_object_id))
    statement = (
        update(Issue)
        .where(
            Issue.mailbox_id == mailbox.id,
            Issue.item_key.in_(keys),
            Issue.resolved_at.is_(None),
        )
        .values(resolved_at=now, resolution=how)
        .execution_options(synchronize_session="fetch")
    )
    if codes is not None:
        statement = statement.where(Issue.code.in_(list(codes)))
    return session.execute(statement).rowcount or 0


def open_issues(session: Session, mailbox_id: int) -> list[Issue]:
    return list(
        session.scalars(
            select(Issue)
            .where(Issue.mailbox_id == mailbox_id, Issue.resolved_at.is_(None))
            .order_by(Issue.id)
        )
    )
