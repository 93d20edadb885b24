"""Never two runs of one mailbox at once: a deterministic job id and a Redis lock.

The job id ``sync-mailbox-<id>`` keeps a mailbox from being queued twice; the lock, held for the
whole run and kept alive by a heartbeat thread, keeps two workers from running it at once even
when a job was queued twice anyway. A worker killed mid-run stops renewing the lock, so it frees
itself after ``ttl`` seconds.

A killed worker's job also stays ``STARTED`` in RQ, and RQ's own registry cleanup would fail it
only about 90 s after its last heartbeat, when a worker gets round to cleaning. A running job's
heartbeat is renewed by its worker every 30 s (RQ's job monitoring interval): :func:`pending_job`
takes a ``STARTED`` job whose heartbeat is older than twice that for dead, runs RQ's cleanup of
the started registry up to that job's entry (which fails the dead job as RQ would, and touches
no live job, whose entries all expire later) and lets the next run be queued.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import TracebackType

from redis import Redis
from redis.exceptions import LockError
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.registry import StartedJobRegistry
from rq.utils import parse_composite_key

WAITING_OR_RUNNING = frozenset(
    {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
)
HEARTBEAT_STALE = timedelta(seconds=2 * DEFAULT_JOB_MONITORING_INTERVAL)
"""A started job whose worker has not renewed its heartbeat for this long is dead."""


class AlreadyRunning(Exception):
    """Another worker holds the mailbox's lock."""


def sync_job_id(mailbox_id: int) -> str:
    return f"sync-mailbox-{mailbox_id}"


def lock_name(mailbox_id: int) -> str:
    return f"ssi:lock:mailbox:{mailbox_id}"


def pending_job(queue: Queue, job_id: str, now: datetime | None = None) -> Job | None:
    """The job with ``job_id`` if it is still waiting or running; ``None`` if a dead worker
    left it ``STARTED`` (it is failed then, as RQ's registry cleanup does).

    Args:
        queue: the job's queue.
        job_id: the job.
        now: the current time (UTC), for the heartbeat's age.
    """
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return None
    return job if still_pending(queue, job, now) else None


def pending_runs(queue: Queue, mailbox_ids: list[int], now: datetime) -> list[bool]:
    """Whether each mailbox's run is waiting or running, from its job's status alone (one
    pipeline, a thousand jobs to a command, after redis-py's check that the script is loaded;
    no job built); a job left ``STARTED`` is fetched whole and judged by its heartbeat
    (:func:`still_pending`)."""
    read = queue.connection.register_script(_STATUSES)
    keys = [Job.key_for(sync_job_id(mailbox_id)) for mailbox_id in mailbox_ids]
    with queue.connection.pipeline(transaction=False) as pipe:
        for start in range(0, len(keys), STATUS_CHUNK):
            read(keys=keys[start : start + STATUS_CHUNK], client=pipe)
        statuses = [status for chunk in pipe.execute() for status in chunk]
    return [
        still_pending(queue, Job.fetch(sync_job_id(mailbox_id), queue.connection), now)
        if status == _STARTED
        else status is not None and status.decode() in WAITING_OR_RUNNING
        for mailbox_id, status in zip(mailbox_ids, statuses, strict=True)
    ]


_STARTED = JobStatus.STARTED.value.encode()
STATUS_CHUNK = 1000
"""Jobs whose status one command reads."""
_STATUSES = """
-- KEYS: jobs' hashes. Each one's status, in order (false where the job is gone).
local found = {}
for index, key in ipairs(KEYS) do
  found[index] = redis.call('HGET', key, 'status')
end
return found
"""


def still_pending(queue: Queue, job: Job, now: datetime | None = None) -> bool:
    """Whether ``job`` (as fetched) is waiting or running; a ``STARTED`` job whose worker died
    is cleaned up and is not."""
    state = job.get_status(refresh=False)
    if state == JobStatus.STARTED and _heartbeat_stopped(job, now or datetime.now(UTC)):
        _clean_up_to(queue, job.id)
        return False
    return state in WAITING_OR_RUNNING


def _heartbeat_stopped(job: Job, now: datetime) -> bool:
    beat = job.last_heartbeat or job.started_at
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    return now - beat > HEARTBEAT_STALE


def _clean_up_to(queue: Queue, job_id: str) -> None:
    """RQ's cleanup of the started registry, up to the expiry of ``job_id``'s entries."""
    registry = StartedJobRegistry(queue=queue)
    entries = queue.connection.zrange(registry.key, 0, -1, withscores=True)
    scores = [score for entry, score in entries if parse_composite_key(entry.decode())[0] == job_id]
    if scores:
        registry.cleanup(timestamp=max(scores))


class MailboxLock:
    """Context manager holding the run lock of one mailbox.

    Args:
        connection: Redis.
        mailbox_id: the mailbox.
        ttl: seconds the lock outlives a silent holder; renewed every ``ttl / 3`` seconds.
        wait: seconds to wait on entry for another holder to let go (0: do not wait).

    Raises:
        AlreadyRunning: on entry, when another holder has the lock (after ``wait``).
    """

    def __init__(self, connection: Redis, mailbox_id: int, ttl: float, wait: float = 0) -> None:
        self._ttl = ttl
        self._wait = wait
        self._lock = connection.lock(lock_name(mailbox_id), timeout=ttl, thread_local=False)
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.lost = False

    def __enter__(self) -> MailboxLock:
        waiting = {"blocking_timeout": self._wait} if self._wait else {"blocking": False}
        if not self._lock.acquire(**waiting):
            raise AlreadyRunning
        self._heartbeat = threading.Thread(target=self._renew, daemon=True)
        self._heartbeat.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self._ttl / 3):
            try:
                self._lock.extend(self._ttl, replace_ttl=True)
            except LockError:
                self.lost = True
                return

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        try:
            self._lock.release()
        except LockError:
            self.lost = True
