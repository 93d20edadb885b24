"""Periodic jobs, as data, and the job that queues the mailboxes that are due.

RQ's own cron scheduler (``rq.cron.CronScheduler``) enqueues each periodic job; workers run
them like any other job. The database decides what is due, so a Redis that lost its queues
loses nothing: the next tick queues the same mailboxes again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job, JobStatus
from rq.serializers import resolve_serializer
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs import maintenance, metrics, queues
from backend.jobs.due import claim_due, lost_claims
from backend.jobs.runtime import job_session
from backend.jobs.single_flight import pending_job, pending_runs, sync_job_id
from backend.models import Mailbox
from backend.models.run import Trigger
from backend.settings import Settings
from backend.storage.db import utcnow
from backend.sync import status

log = logging.getLogger(__name__)

DUE_BATCH = 2000
"""Mailboxes one tick claims at most (a larger backlog is claimed by the next ticks, oldest due
first)."""
PUSH_CHUNK = 1000
"""Jobs written, and pushed on the queue, in one command."""
DEFAULT_SERIALIZER = resolve_serializer(None)


@dataclass(frozen=True)
class Periodic:
    func: Callable[[], object]
    every_seconds: int
    queue: str = queues.DEFAULT


def enqueue_sync(
    connection: Redis,
    mailbox_id: int,
    trigger: Trigger,
    timeout: int,
    now: datetime | None = None,
) -> tuple[Job, bool]:
    """Queue a run of ``mailbox_id`` unless one is already waiting or running.

    Args:
        now: the current time, which tells a job a dead worker left from a running one.

    Returns:
        The job, and whether it was newly queued.
    """
    queue = queues.queue(queues.SYNC, connection)
    existing = pending_job(queue, sync_job_id(mailbox_id), now)
    if existing is not None:
        return existing, False
    (job,) = _queue_runs(queue, [mailbox_id], trigger, timeout, now or utcnow())
    return job, True


def force_sync(session: Session, connection: Redis, mailbox: Mailbox, settings: Settings) -> Job:
    """A person asked to sync ``mailbox`` now: queue it, at most once per minimum interval.

    Raises:
        ForcedTooSoon: a forced sync of this mailbox is more recent than the interval.
        TransitionError: the mailbox is paused, failed on credentials or disabled.
    """
    status.force(mailbox, utcnow(), timedelta(seconds=settings.force_sync_min_interval_seconds))
    session.commit()
    job, _fresh = enqueue_sync(
        connection, mailbox.id, Trigger.FORCED, settings.sync_job_timeout_seconds
    )
    return job


def enqueue_now(session: Session, found: Resources, mailbox: Mailbox, now: datetime) -> bool:
    """Queue the mailbox's run now, as a tick does (a mailbox just connected need not wait for
    the next one); whether a new job was queued."""
    status.mark_scheduled(mailbox, now)
    session.commit()
    _job, fresh = enqueue_sync(
        found.redis, mailbox.id, Trigger.SCHEDULE, found.settings.sync_job_timeout_seconds, now
    )
    return fresh


def enqueue_due_mailboxes(clock: Callable[[], datetime] = utcnow) -> int:
    """Queue a run of every mailbox whose next sync time has come; returns how many.

    Runs whose worker died are swept first, so their mailboxes are due again in this tick.
    """
    with job_session() as (found, session):
        now = clock()
        maintenance.sweep_dead(session, found.redis, found.settings.sync_lock_ttl_seconds, now)
        interval = timedelta(seconds=found.settings.sync_interval_seconds)
        lost = lost_claims(session, found.redis, now)
        again = set(lost)
        claimed = [
            *lost,
            *(m for m in claim_due(session, now, interval, DUE_BATCH) if m not in again),
        ]
        queued = enqueue_many(
            found.redis, claimed, Trigger.SCHEDULE, found.settings.sync_job_timeout_seconds, now
        )
        metrics.tick(found.redis, now.timestamp())
        if queued:
            log.info("queued %d due mailbox run(s)", queued)
        return queued


def enqueue_many(
    connection: Redis, mailbox_ids: list[int], trigger: Trigger, timeout: int, now: datetime
) -> int:
    """Queue a run of each mailbox that has none waiting or running, in one Redis round trip to
    look and one to queue; how many were queued."""
    if not mailbox_ids:
        return 0
    queue = queues.queue(queues.SYNC, connection)
    pending = pending_runs(queue, mailbox_ids, now)
    fresh = [mailbox_id for mailbox_id, runs in zip(mailbox_ids, pending, strict=True) if not runs]
    _queue_runs(queue, fresh, trigger, timeout, now)
    return len(fresh)


def _queue_runs(
    queue: Queue, mailbox_ids: list[int], trigger: Trigger, timeout: int, now: datetime
) -> list[Job]:
    """Queue a run of each mailbox in one pipeline: the jobs' hashes, as RQ's enqueue writes
    them, then their ids on the queue, a thousand jobs to a command (``_WRITE_JOBS``)."""
    jobs = [_job_of(queue, mailbox_id, trigger, timeout, now) for mailbox_id in mailbox_ids]
    write = queue.connection.register_script(_WRITE_JOBS)
    with queue.connection.pipeline(transaction=False) as pipe:
        pipe.sadd(queue.redis_queues_keys, queue.key)
        for start in range(0, len(jobs), PUSH_CHUNK):
            chunk = jobs[start : start + PUSH_CHUNK]
            hashes = [job.to_dict() for job in chunk]
            if any(hash_.keys() != hashes[0].keys() for hash_ in hashes):
                raise ValueError("jobs written together must have the same fields")
            shared = {
                name: value for name, value in hashes[0].items()
                if all(other.get(name) == value for other in hashes[1:])
            }  # fmt: skip
            own = [name for name in hashes[0] if name not in shared]
            write(
                keys=[queue.key, *(job.key for job in chunk)],
                args=[len(shared), *_pairs(shared), len(own), *own,
                      *(hash_[name] for hash_ in hashes for name in own),
                      *(job.id for job in chunk)],
                client=pipe,
            )  # fmt: skip
        pipe.execute()
    return jobs


_WRITE_JOBS = """
-- KEYS: the queue, then each job's hash. ARGV: the number of fields every job has alike and
-- their names and values; the number of fields each job has its own, their names, then their
-- values job after job; then the jobs' ids, pushed on the queue once every hash is written.
local shared = tonumber(ARGV[1])
local at = 2 + 2 * shared
local own = tonumber(ARGV[at])
local names = {unpack(ARGV, at + 1, at + own)}
at = at + own + 1
local jobs = #KEYS - 1
for job = 1, jobs do
  local fields = {unpack(ARGV, 2, 1 + 2 * shared)}
  for field = 1, own do
    fields[#fields + 1] = names[field]
    fields[#fields + 1] = ARGV[at]
    at = at + 1
  end
  redis.call('HSET', KEYS[job + 1], unpack(fields))
end
return redis.call('RPUSH', KEYS[1], unpack(ARGV, at, at + jobs - 1))
"""


def _pairs(fields: dict[str, object]) -> list[object]:
    return [item for pair in fields.items() for item in pair]


def _job_of(queue: Queue, mailbox_id: int, trigger: Trigger, timeout: int, now: datetime) -> Job:
    """A run of ``mailbox_id`` as RQ's enqueue would store it: queued on ``queue`` at ``now``,
    under its single-flight id. The tick writes its hash (``to_dict``) with those of the jobs
    queued beside it (:func:`_queue_runs`)."""
    from backend.jobs.sync import sync_mailbox

    # RQ checks a serializer it is given against its protocol, a check as costly as the rest of
    # the job; the queue's own (RQ's default) is named by ``None``, which RQ takes as is.
    serializer = None if queue.serializer is DEFAULT_SERIALIZER else queue.serializer
    job = Job.create(
        sync_mailbox, (mailbox_id, str(trigger)), connection=queue.connection,
        id=sync_job_id(mailbox_id), timeout=timeout, result_ttl=3600, failure_ttl=7 * 86400,
        status=JobStatus.QUEUED, origin=queue.name, serializer=serializer,
    )  # fmt: skip
    job.enqueued_at = now
    return job


PERIODIC: tuple[Periodic, ...] = (
    Periodic(enqueue_due_mailboxes, every_seconds=30),
    Periodic(maintenance.retry_unsent_notifications, every_seconds=300),
    Periodic(maintenance.check_warnings, every_seconds=3600),
    Periodic(maintenance.send_weekly_digests, every_seconds=600),
    Periodic(maintenance.purge_resolved_issues, every_seconds=86400),
    Periodic(maintenance.purge_removed_users, every_seconds=86400),
)


def build_scheduler(connection: Redis) -> CronScheduler:
    scheduler = CronScheduler(connection=connection)
    for periodic in PERIODIC:
        scheduler.register(
            periodic.func,
            periodic.queue,
            interval=periodic.every_seconds,
            job_timeout=600,
            result_ttl=600,
        )
    return scheduler
