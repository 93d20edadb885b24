"""What the admin panel's System page shows a key user: the job machinery's state, and their
company's share of it (never another company's mailboxes, runs or queue entries)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.jobs import metrics, queues
from backend.jobs.single_flight import sync_job_id
from backend.models import Mailbox, MailboxItemState, Run
from backend.models.mailbox import Stage

LAG_WINDOW = timedelta(hours=24)
LAG_SAMPLE = 20_000
"""At most this many of the company's latest scheduled runs make its lag figures."""


@dataclass(frozen=True)
class CompanyShare:
    """The company's mailboxes in the machinery now, and how late their runs started lately.

    Attributes:
        due: mailboxes due, not yet queued or running.
        oldest_due_seconds: how late the longest-waiting of them is.
        queued: runs waiting in the queue.
        running: mailboxes syncing now.
        lag_p50: median scheduling lag of the last day's scheduled runs (seconds).
        lag_p99: its 99th percentile.
        lag_runs: how many runs those figures are of.
        runs_last_hour: finished runs of the last hour, by outcome.
    """

    due: int
    oldest_due_seconds: float
    queued: int
    running: int
    lag_p50: float | None
    lag_p99: float | None
    lag_runs: int
    runs_last_hour: dict[str, int]


@dataclass(frozen=True)
class Machinery:
    """Workers, queues and the scheduler, shared by every company (no company's data in it)."""

    workers: int
    busy_workers: int
    queue_depth: dict[str, int]
    last_tick: datetime | None
    problem: str | None = None


def machinery(connection: Redis) -> Machinery:
    try:
        workers = metrics.live_workers(connection)
        depth = {name: queues.queue(name, connection).count for name in queues.ALL}
        ticked = metrics.last_tick(connection)
    except RedisError as error:
        return Machinery(0, 0, {}, None, problem=str(error).splitlines()[0][:200])
    busy = sum(1 for worker in workers if worker.get_state() == "busy")
    tick = datetime.fromtimestamp(ticked).astimezone() if ticked else None
    return Machinery(len(workers), busy, depth, tick)


def company_share(
    session: Session, connection: Redis, tenant_id: int, now: datetime, interval: timedelta
) -> CompanyShare:
    due, oldest = metrics.due_backlog(session, now, interval, tenant_id)
    mailbox_ids = set(session.scalars(select(Mailbox.id).where(Mailbox.tenant_id == tenant_id)))
    try:
        waiting = set(queues.queue(queues.SYNC, connection).get_job_ids())
    except RedisError:
        waiting = set()
    queued = sum(1 for mailbox_id in mailbox_ids if sync_job_id(mailbox_id) in waiting)
    running = session.scalar(
        select(func.count(func.distinct(MailboxItemState.mailbox_id)))
        .join(Mailbox, Mailbox.id == MailboxItemState.mailbox_id)
        .where(Mailbox.tenant_id == tenant_id, MailboxItemState.stage == Stage.ONGOING)
    )
    lags = sorted(
        (started - due_at).total_seconds()
        for started, due_at in session.execute(
            select(Run.started_at, Run.due_at)
            .join(Mailbox, Mailbox.id == Run.mailbox_id)
            .where(
                Mailbox.tenant_id == tenant_id,
                Run.due_at.is_not(None),
                Run.started_at >= now - LAG_WINDOW,
            )
            .order_by(Run.started_at.desc())
            .limit(LAG_SAMPLE)
        )
    )
    outcomes = dict(
        session.execute(
            select(Run.outcome, func.count())
            .join(Mailbox, Mailbox.id == Run.mailbox_id)
            .where(Mailbox.tenant_id == tenant_id, Run.finished_at >= now - timedelta(hours=1))
            .group_by(Run.outcome)
        ).all()
    )
    return CompanyShare(
        due=due,
        oldest_due_seconds=oldest,
        queued=queued,
        running=running or 0,
        lag_p50=_percentile(lags, 50),
        lag_p99=_percentile(lags, 99),
        lag_runs=len(lags),
        runs_last_hour={outcome.value: count for outcome, count in outcomes.items()},
    )


def _percentile(values: list[float], percent: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return max(0.0, values[0])
    return max(0.0, statistics.quantiles(values, n=100, method="inclusive")[percent - 1])
