"""How the services a tenant shares answered lately, as the runs saw them (``ServiceHealth``).

A run that got an answer from a shared service ends any outage of it and stamps the time (at
most every ``STAMP_EVERY`` while the service keeps answering); a run that gave up on it (or found
it skipped by the tenant's circuit) starts or continues an outage, with the words people read
and the technical detail. The Status page's C4C pill and the admin panel read these rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.models import ServiceHealth
from backend.sync.service_guard import Observation
from backend.sync.services import Service

STAMP_EVERY = timedelta(seconds=30)
"""How stale "last answered" may be while the service keeps answering."""


def _stamped_lately(row: ServiceHealth, now: datetime) -> bool:
    return row.last_ok_at is not None and timedelta(0) <= now - row.last_ok_at < STAMP_EVERY


def health_of(session: Session, tenant_id: int, service: Service) -> ServiceHealth | None:
    """What is known of ``service`` for the tenant (``None``: no run reached it yet)."""
    return session.get(ServiceHealth, (tenant_id, service.key))


def _row(session: Session, tenant_id: int, service: Service) -> ServiceHealth:
    """The tenant's row for ``service``, made when missing (two workers may race to make it)."""
    found = health_of(session, tenant_id, service)
    if found is not None:
        return found
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(ServiceHealth)
        .values(tenant_id=tenant_id, service=service.key)
        .on_conflict_do_nothing()
    )
    made = health_of(session, tenant_id, service)
    assert made is not None
    return made


def record(
    session: Session, tenant_id: int, observed: Iterable[Observation], now: datetime
) -> None:
    """Store what one run saw of the tenant's shared services (the caller commits). A service
    that answers, as it did, is stamped at most every ``STAMP_EVERY``: the tenant's mailboxes
    share the row, and thousands of runs would otherwise queue to write the same time on it."""
    shared = [seen for seen in observed if seen.service.shared and (seen.answered or seen.gave_up)]
    if not shared:
        return
    kept = {
        row.service: row
        for row in session.scalars(
            select(ServiceHealth).where(
                ServiceHealth.tenant_id == tenant_id,
                ServiceHealth.service.in_([seen.service.key for seen in shared]),
            )
        )
    }  # the rows of all of them in one query
    for seen in shared:
        row = kept.get(seen.service.key) or _row(session, tenant_id, seen.service)
        if seen.gave_up is None and row.failing_since is None and _stamped_lately(row, now):
            continue
        row.checked_at = now
        if seen.gave_up is not None:
            if row.failing_since is None:  # the run that found the outage words it best
                row.failing_since = now
                row.problem = seen.gave_up.message[:500]
                row.detail = seen.gave_up.detail
        else:
            row.last_ok_at = now
            row.failing_since = row.problem = row.detail = None
