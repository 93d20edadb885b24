"""The tenant's service health rows: every mailbox's run shares them, so a service that keeps
answering is stamped at most every half minute, while an outage and its end are written at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend.models import ServiceHealth, Tenant
from backend.models.types import IssueCode
from backend.storage.db import utcnow
from backend.sync import health
from backend.sync.errors import Classification
from backend.sync.service_guard import Observation
from backend.sync.services import C4C

ANSWERED = Observation(C4C, answered=True, gave_up=None)
GAVE_UP = Observation(
    C4C, answered=False, gave_up=Classification(IssueCode.TEMPORARY, "C4C did not answer")
)


def _record(session: Session, tenant: Tenant, seen: Observation, at: datetime) -> None:
    """One run's observation, recorded and committed as a run's end does."""
    health.record(session, tenant.id, [seen], at)
    session.commit()
    session.expire_all()


def _row(session: Session, tenant: Tenant) -> ServiceHealth:
    row = session.get(ServiceHealth, (tenant.id, C4C.key))
    assert row is not None
    return row


def test_a_service_that_keeps_answering_is_stamped_every_half_minute_not_every_run(
    session: Session, tenant: Tenant
) -> None:
    start = utcnow()
    _record(session, tenant, ANSWERED, start)
    assert (_row(session, tenant).last_ok_at, _row(session, tenant).checked_at) == (start, start)
    for seconds in (1, 10, 29):
        _record(session, tenant, ANSWERED, start + timedelta(seconds=seconds))
        row = _row(session, tenant)
        assert (row.last_ok_at, row.checked_at) == (start, start), "not written again"
    later = start + health.STAMP_EVERY
    _record(session, tenant, ANSWERED, later)
    assert _row(session, tenant).last_ok_at == later


def test_an_outage_and_its_end_are_written_at_once_whatever_the_last_stamp(
    session: Session, tenant: Tenant
) -> None:
    start = utcnow()
    _record(session, tenant, ANSWERED, start)
    _record(session, tenant, GAVE_UP, start + timedelta(seconds=2))
    row = _row(session, tenant)
    assert row.failing_since == start + timedelta(seconds=2)
    assert row.problem == "C4C did not answer"
    _record(session, tenant, ANSWERED, start + timedelta(seconds=4))
    row = _row(session, tenant)
    assert (row.failing_since, row.problem) == (None, None)
    assert row.last_ok_at == start + timedelta(seconds=4)
