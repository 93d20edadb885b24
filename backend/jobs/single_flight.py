"""Never two runs of one mailbox at once: a deterministic job id and a Redis lock.

The job id ``sync-mailbox-<id>`` keeps a mailbox from being queued twice; the lock, held for the
whole run and kept alive by a heartbeat thread, keeps two workers from running it at once even
when a job was queued twice anyway. A worker killed mid-run stops renewing the lock, so it frees
itself after ``ttl`` seconds.
"""

from __future__ import annotations

import threading
from types import TracebackType

from redis import Redis
from redis.exceptions import LockError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue

WAITING_OR_RUNNING = frozenset(
    {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
)


class AlreadyRunning(Exception):
    """Another worker holds the mailbox's lock."""


def sync_job_id(mailbox_id: int) -> str:
    return f"sync-mailbox-{mailbox_id}"


def lock_name(mailbox_id: int) -> str:
    return f"ssi:lock:mailbox:{mailbox_id}"


def pending_job(queue: Queue, job_id: str) -> Job | None:
    """The job with ``job_id`` if it is still waiting or running."""
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return None
    return job if job.get_status(refresh=False) in WAITING_OR_RUNNING else None


def is_locked(connection: Redis, mailbox_id: int) -> bool:
    return bool(connection.exists(lock_name(mailbox_id)))


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

    def __init__(self, connection: Redis, mailbox_id: int, ttl: int, wait: float = 0) -> None:
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
