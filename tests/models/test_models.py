"""The data model: the database enforces one open issue per item and code, timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox, Tenant
from backend.models.issue import Resolution, Source, item_key
from backend.models.tenant import ConflictPolicy, TenantSettings
from backend.models.types import Direction, IssueCode, ItemType


def _issue(box: Mailbox, code: IssueCode = IssueCode.NEEDS_INPUT, item: str = "AAMk1") -> Issue:
    return Issue(
        tenant_id=box.tenant_id,
        user_id=box.user_id,
        mailbox_id=box.id,
        item_type=ItemType.CONTACT,
        item_key=item_key(item, None),
        mailbox_item_id=item,
        code=code,
        source=Source.C4C,
        fields=["LastName"],
    )


def test_one_open_issue_per_item_and_code(session: Session, box: Mailbox) -> None:
    session.add(_issue(box))
    session.commit()
    session.add(_issue(box))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_other_codes_items_and_resolved_issues_may_coexist(session: Session, box: Mailbox) -> None:
    first = _issue(box)
    session.add_all([first, _issue(box, IssueCode.FORBIDDEN), _issue(box, item="AAMk2")])
    session.commit()
    first.resolved_at = datetime.now(UTC)
    first.resolution = Resolution.AUTO
    session.commit()
    session.add(_issue(box))
    session.commit()
    assert session.query(Issue).count() == 4
    assert session.query(Issue).filter(Issue.resolved_at.is_(None)).count() == 3


def test_item_key_prefers_the_mailbox_id() -> None:
    assert item_key("AAMk1", "00163E") == "mbx:AAMk1"
    assert item_key(None, "00163E") == "c4c:00163E"
    assert item_key(None, None) == ""


def test_timestamps_come_back_aware_in_utc(session: Session, box: Mailbox) -> None:
    moment = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)
    box.last_synced_at = moment
    session.commit()
    session.expire_all()
    stored = session.scalars(select(Mailbox)).one().last_synced_at
    assert stored == moment
    assert stored.tzinfo is not None


def test_naive_timestamps_are_refused(session: Session, box: Mailbox) -> None:
    box.last_synced_at = datetime(2026, 11, 2, 10, 30)
    with pytest.raises(Exception, match="naive datetimes"):
        session.commit()
    session.rollback()


def test_tenant_settings_have_defaults_and_round_trip(session: Session, box: Mailbox) -> None:
    owner = session.get(Tenant, box.tenant_id)
    config = owner.config
    assert config.item_types[ItemType.EMAIL].direction is Direction.UP
    assert config.mass_change_share == 0.2
    config.item_types[ItemType.CONTACT].conflict_policy = ConflictPolicy.C4C_WINS
    owner.config = config
    session.commit()
    session.expire_all()
    reread = session.get(Tenant, box.tenant_id).config
    assert reread.item_types[ItemType.CONTACT].conflict_policy is ConflictPolicy.C4C_WINS


def test_tenant_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValueError):
        TenantSettings.model_validate({"mass_change_share": 2})
    with pytest.raises(ValueError):
        TenantSettings.model_validate({"surprise": True})


def test_onboarding_creates_progress_rows_for_enabled_types(box: Mailbox) -> None:
    assert {state.item_type for state in box.item_states} == set(ItemType)
