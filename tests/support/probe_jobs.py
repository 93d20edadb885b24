"""A job for worker tests: holds a mailbox's run lock for a while and records when it did.

It records the parent pid: the worker, not the work horse forked for each job.
"""

from __future__ import annotations

import os
import time

from backend.jobs.runtime import job_session
from backend.jobs.single_flight import AlreadyRunning, MailboxLock


def guarded_probe(mailbox_id: int, key: str, hold_seconds: float) -> str:
    with job_session() as (found, _session):
        connection = found.redis
        try:
            with MailboxLock(connection, mailbox_id, ttl=10):
                started = time.time()
                time.sleep(hold_seconds)
                connection.rpush(
                    f"{key}:ran", f"{mailbox_id},{started},{time.time()},{os.getppid()}"
                )
                return "ran"
        except AlreadyRunning:
            connection.rpush(f"{key}:skipped", f"{mailbox_id},{os.getppid()}")
            return "skipped"
