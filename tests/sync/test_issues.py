"""Issues open once per item and code, repeat with occurrences, and resolve per item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox
from backend.models.issue import Operation, Resolution, Source
from backend.models.types import Direction, IssueCode, ItemType
from backend.sync import issues
from backend.sync.errors import Classification
from backend.sync.recommendations import marker_detail, recommended_action

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MISSING = Classification(
    IssueCode.NEEDS_INPUT, "Mandatory field LastName is not filled", "CX_SAP", 400, ("LastName",)
)
CONTACT = issues.ItemRef(ItemType.CONTACT, "AAMkContact1", None, "Jane")


def _record(session: Session, box: Mailbox, item=CONTACT, found=MISSING, at=NOW) -> Issue:
    return issues.record(
        session,
        box,
        item,
        found,
        source=Source.C4C,
        now=at,
        direction=Direction.UP,
        operation=Operation.CREATE,
    )


def test_first_failure_opens_an_issue_with_everything_section_4_asks(
    session: Session, box: Mailbox
) -> None:
    issue = _record(session, box)
    session.commit()
    assert (issue.tenant_id, issue.user_id, issue.mailbox_id) == (
        box.tenant_id,
        box.user_id,
        box.id,
    )
    assert (issue.item_type, issue.mailbox_item_id, issue.title) == (
        ItemType.CONTACT,
        "AAMkContact1",
        "Jane",
    )
    assert (issue.code, issue.source, issue.direction, issue.operation) == (
        IssueCode.NEEDS_INPUT,
        Source.C4C,
        Direction.UP,
        Operation.CREATE,
    )
    assert (issue.backend_code, issue.http_status, issue.fields) == ("CX_SAP", 400, ["LastName"])
    assert issue.action_title == "Fill in the last name"
    assert (issue.occurrences, issue.first_seen_at, issue.last_seen_at) == (1, NOW, NOW)


def test_a_repeat_counts_an_occurrence_instead_of_a_second_issue(
    session: Session, box: Mailbox
) -> None:
    first = _record(session, box)
    later = NOW + timedelta(minutes=5)
    again = _record(session, box, at=later)
    session.commit()
    assert again.id == first.id
    assert (again.occurrences, again.first_seen_at, again.last_seen_at) == (2, NOW, later)
    assert session.query(Issue).count() == 1


def test_other_codes_and_items_open_their_own(session: Session, box: Mailbox) -> None:
    _record(session, box)
    _record(session, box, found=Classification(IssueCode.FORBIDDEN, "read-only", http_status=403))
    _record(session, box, item=issues.ItemRef(ItemType.CONTACT, "AAMkContact2"))
    _record(session, box, item=issues.MAILBOX, found=Classification(IssueCode.UNKNOWN, "held"))
    session.commit()
    assert len(issues.open_issues(session, box.id)) == 4


def test_resolve_closes_the_item_and_a_new_failure_opens_afresh(
    session: Session, box: Mailbox
) -> None:
    first = _record(session, box)
    other = _record(session, box, item=issues.ItemRef(ItemType.CONTACT, "AAMkContact2"))
    assert issues.resolve(session, box, CONTACT, how=Resolution.AUTO, now=NOW) == 1
    session.commit()
    session.refresh(first)
    session.refresh(other)
    assert (first.resolved_at, first.resolution) == (NOW, Resolution.AUTO)
    assert other.resolved_at is None
    reopened = _record(session, box)
    session.commit()
    assert reopened.id != first.id and reopened.occurrences == 1


def test_resolve_finds_issues_recorded_by_the_c4c_id_only(session: Session, box: Mailbox) -> None:
    down = issues.ItemRef(ItemType.CONTACT, None, "00163E0A", "Jane")
    _record(session, box, item=down)
    linked = issues.ItemRef(ItemType.CONTACT, "AAMkContact9", "00163E0A")
    assert issues.resolve(session, box, linked, how=Resolution.USER_FIX, now=NOW) == 1


def test_resolve_only_the_given_codes(session: Session, box: Mailbox) -> None:
    _record(session, box)
    _record(session, box, found=Classification(IssueCode.CONFLICT, "both changed"))
    assert (
        issues.resolve(
            session, box, CONTACT, how=Resolution.AUTO, now=NOW, codes=[IssueCode.CONFLICT]
        )
        == 1
    )
    assert [i.code for i in issues.open_issues(session, box.id)] == [IssueCode.NEEDS_INPUT]


@pytest.mark.parametrize(
    ("code", "fields", "operation", "title", "marker"),
    [
        (IssueCode.NEEDS_INPUT, ("LastName",), None, "Fill in the last name", "Last name missing"),
        (
            IssueCode.NEEDS_INPUT,
            ("Name", "CountryCode"),
            None,
            "Fill in the name and country",
            "Name and country missing",
        ),
        (IssueCode.FORBIDDEN, (), Operation.DELETE, "SAP does not allow you to delete this item", "Not allowed in SAP"),
        (IssueCode.FORBIDDEN, (), Operation.UPDATE, "SAP does not allow you to change this item", "Not allowed in SAP"),
        (IssueCode.CONFLICT, (), None, "Check the item", "Changed on both sides"),
        (IssueCode.AUTH, (), None, "Re-activate sync", "Sync failed"),
        (IssueCode.UNKNOWN, (), None, "Retry, then ask for help", "Unexpected error"),
    ],
)  # fmt: skip
def test_actions_and_markers_speak_to_a_sales_person(code, fields, operation, title, marker):
    assert recommended_action(code, fields, operation).title == title
    assert marker_detail(code, fields) == marker


def test_every_code_has_an_action() -> None:
    for code in IssueCode:
        action = recommended_action(code)
        assert action.title and action.text
