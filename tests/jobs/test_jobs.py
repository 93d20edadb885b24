"""Jobs on Redis: single flight per mailbox across real workers, scheduling, the sweeper."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from rq import Queue, Worker
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs import queues
from backend.jobs.maintenance import sweep_dead
from backend.jobs.runtime import use_app
from backend.jobs.schedule import (
    PERIODIC,
    build_scheduler,
    enqueue_due_mailboxes,
    enqueue_sync,
    force_sync,
)
from backend.jobs.single_flight import (
    HEARTBEAT_STALE,
    AlreadyRunning,
    MailboxLock,
    pending_job,
    sync_job_id,
)
from backend.jobs.sync import sync_mailbox
from backend.models import Mailbox, Run
from backend.models.mailbox import HealthStatus, Stage
from backend.models.run import RunOutcome, Trigger
from backend.storage.db import utcnow
from backend.sync import status
from tests.support import factories
from tests.support.probe_jobs import guarded_probe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def boxes(session: Session, resources: Resources) -> list[Mailbox]:
    owner = factories.tenant(session, resources.cipher)
    found = [
        factories.mailbox(session, resources.cipher, owner, email=f"u{n}@contoso.test")
        for n in range(3)
    ]
    session.commit()
    return found


@pytest.fixture
def job_app(app: Flask) -> Flask:
    use_app(app)
    return app


def test_lock_is_exclusive_and_freed(redis_conn, boxes: list[Mailbox]) -> None:
    with MailboxLock(redis_conn, boxes[0].id, ttl=5):
        with pytest.raises(AlreadyRunning), MailboxLock(redis_conn, boxes[0].id, ttl=5):
            pass
        with MailboxLock(redis_conn, boxes[1].id, ttl=5):
            pass
    with MailboxLock(redis_conn, boxes[0].id, ttl=5):
        pass


def test_a_waiting_lock_gets_it_when_the_holder_lets_go(redis_conn, boxes: list[Mailbox]) -> None:
    holder = MailboxLock(redis_conn, boxes[0].id, ttl=5).__enter__()
    threading.Timer(0.3, holder.__exit__, args=(None, None, None)).start()
    began = time.monotonic()
    with MailboxLock(redis_conn, boxes[0].id, ttl=5, wait=5):
        assert 0.2 < time.monotonic() - began < 5
        began = time.monotonic()
        with pytest.raises(AlreadyRunning), MailboxLock(redis_conn, boxes[0].id, ttl=5, wait=0.3):
            pass
        assert time.monotonic() - began >= 0.2  # Redis polls every 0.1 s: about the wait


def test_heartbeat_keeps_a_long_run_locked(redis_conn, boxes: list[Mailbox]) -> None:
    with MailboxLock(redis_conn, boxes[0].id, ttl=0.3) as held:
        time.sleep(1.0)  # three times the lock's life, renewed every 0.1 s
        with pytest.raises(AlreadyRunning), MailboxLock(redis_conn, boxes[0].id, ttl=0.3):
            pass
    assert not held.lost


def test_enqueue_sync_never_queues_a_mailbox_twice(redis_conn, boxes: list[Mailbox]) -> None:
    first, fresh = enqueue_sync(redis_conn, boxes[0].id, Trigger.FORCED, timeout=600)
    second, again = enqueue_sync(redis_conn, boxes[0].id, Trigger.SCHEDULE, timeout=600)
    assert (fresh, again) == (True, False)
    assert first.id == second.id == sync_job_id(boxes[0].id)
    assert Queue(queues.SYNC, connection=redis_conn).count == 1


def _start_worker(app: Flask, name: str) -> subprocess.Popen:
    found: Resources = app.extensions["ssi"]
    env = {
        **os.environ,
        "DATABASE_URL": found.settings.database_url,
        "REDIS_URL": found.redis_url,
        "INSTANCE_PATH": str(found.settings.instance_path),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "worker",
            "--queue",
            "sync",
            "--name",
            name,
        ],
        cwd=ROOT,
        env=env,
    )


def test_two_workers_never_run_one_mailbox_at_once(
    app: Flask, redis_conn, boxes: list[Mailbox]
) -> None:
    queue = Queue(queues.SYNC, connection=redis_conn)
    key = "probe"
    same, other = boxes[0].id, boxes[1].id
    plan = [same] * 6 + [other] * 2
    for number, mailbox_id in enumerate(plan):
        queue.enqueue(guarded_probe, mailbox_id, key, 0.4, job_id=f"probe-{number}")
    workers = [_start_worker(app, f"w{n}-{os.getpid()}") for n in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = redis_conn.llen(f"{key}:ran") + redis_conn.llen(f"{key}:skipped")
            if done == len(plan):
                break
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    ran = [entry.decode().split(",") for entry in redis_conn.lrange(f"{key}:ran", 0, -1)]
    skipped = [entry.decode().split(",") for entry in redis_conn.lrange(f"{key}:skipped", 0, -1)]
    assert len(ran) + len(skipped) == len(plan)
    assert len({row[3] for row in ran} | {row[1] for row in skipped}) == 2, "both workers worked"
    intervals = sorted((float(start), float(end)) for box, start, end, _ in ran if box == str(same))
    for (_, end), (next_start, _) in itertools.pairwise(intervals):
        assert next_start >= end, "two runs of one mailbox overlapped"
    assert sum(1 for row in ran if row[0] == str(other)) >= 1


def test_an_idle_worker_stops_within_seconds_of_sigterm(app: Flask, redis_conn) -> None:
    """A deployment stops workers with SIGTERM: each goes at once, not after a minute."""
    for attempt in range(3):
        names = [f"stop{attempt}-{n}-{os.getpid()}" for n in range(2)]
        workers = [_start_worker(app, name) for name in names]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
            Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, redis_conn)
            for name in names
        ):
            time.sleep(0.05)
        started = time.monotonic()
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(timeout=30) == 0
        assert time.monotonic() - started < 5, "a warm shut-down waited for the listener"


def test_sync_job_skips_a_mailbox_another_worker_holds(
    job_app: Flask, redis_conn, session: Session, boxes: list[Mailbox]
) -> None:
    with MailboxLock(redis_conn, boxes[0].id, ttl=5):
        assert sync_mailbox(boxes[0].id) == "skipped: already running"
    assert session.scalars(select(Run)).all() == []


def test_sync_job_skips_a_paused_mailbox(
    job_app: Flask, session: Session, boxes: list[Mailbox]
) -> None:
    status.pause(boxes[0], utcnow())
    session.commit()
    assert sync_mailbox(boxes[0].id).startswith("skipped: cannot run a mailbox in status PAUSED")
    assert sync_mailbox(999_999) == "skipped: mailbox deleted"


def test_due_mailboxes_are_queued_once(
    job_app: Flask, redis_conn, session: Session, boxes: list[Mailbox]
) -> None:
    due, later, paused = boxes
    later.next_sync_at = utcnow() + timedelta(minutes=10)
    status.pause(paused, utcnow())
    session.commit()

    assert enqueue_due_mailboxes() == 1
    assert enqueue_due_mailboxes() == 0
    queue = Queue(queues.SYNC, connection=redis_conn)
    assert queue.job_ids == [sync_job_id(due.id)]
    session.expire_all()
    assert {s.stage for s in session.get(Mailbox, due.id).item_states} == {Stage.SCHEDULED}


def test_redis_losing_its_queue_loses_no_run(
    job_app: Flask, redis_conn, boxes: list[Mailbox]
) -> None:
    assert enqueue_due_mailboxes() == 3
    redis_conn.flushdb()
    assert enqueue_due_mailboxes() == 3


def test_sweeper_ends_dead_runs_only(
    job_app: Flask, redis_conn, session: Session, boxes: list[Mailbox]
) -> None:
    """A run whose lock is free is dead however recent: no waiting an hour for it."""
    dead, alive, _ = boxes
    just_now = utcnow() - timedelta(seconds=1)
    for box in (dead, alive):
        status.mark_ongoing(box, just_now)
        session.add(Run(mailbox_id=box.id, trigger=Trigger.SCHEDULE, started_at=just_now))
    session.commit()
    with MailboxLock(redis_conn, alive.id, ttl=30):
        assert sweep_dead(session, redis_conn, lock_ttl=30, now=utcnow()) == 1
    session.expire_all()
    assert not status.is_ongoing(session.get(Mailbox, dead.id))
    assert status.is_ongoing(session.get(Mailbox, alive.id))
    outcomes = {run.mailbox_id: run.outcome for run in session.scalars(select(Run))}
    assert outcomes == {dead.id: RunOutcome.INTERRUPTED, alive.id: RunOutcome.RUNNING}
    assert session.get(Mailbox, dead.id).status is HealthStatus.NOT_SYNCED


def test_the_tick_sweeps_a_dead_run_and_queues_its_mailbox_at_once(
    job_app: Flask, redis_conn, session: Session, boxes: list[Mailbox]
) -> None:
    dead = boxes[0]
    for box in boxes[1:]:
        status.pause(box, utcnow())
    status.mark_ongoing(dead, utcnow())
    session.commit()
    assert enqueue_due_mailboxes() == 1
    assert Queue(queues.SYNC, connection=redis_conn).job_ids == [sync_job_id(dead.id)]


def _started(redis_conn, mailbox_id: int, heartbeat_age: timedelta):
    """A sync job as a worker leaves it while running it: STARTED, in the started registry,
    with its last heartbeat ``heartbeat_age`` ago and its registry entry expiring 90 s later."""
    queue = Queue(queues.SYNC, connection=redis_conn)
    job, _fresh = enqueue_sync(redis_conn, mailbox_id, Trigger.SCHEDULE, timeout=600)
    queue.remove(job.id)
    beat = utcnow() - heartbeat_age
    job.set_status(JobStatus.STARTED)
    job.heartbeat(beat, ttl=90)
    registry = StartedJobRegistry(queue=queue)
    expires = beat.timestamp() + 90
    redis_conn.zadd(registry.key, {f"{job.id}:execution-1": expires})
    return queue, job


def test_a_started_job_whose_heartbeat_stopped_is_dead_and_failed_as_rq_would(
    redis_conn, boxes: list[Mailbox]
) -> None:
    dead, alive = boxes[0], boxes[1]
    queue, dead_job = _started(redis_conn, dead.id, HEARTBEAT_STALE + timedelta(seconds=5))
    _queue, live_job = _started(redis_conn, alive.id, timedelta(seconds=20))

    assert pending_job(queue, live_job.id) is not None, "a live job is still running"
    assert pending_job(queue, dead_job.id) is None
    assert dead_job.id in FailedJobRegistry(queue=queue).get_job_ids()
    assert live_job.id not in FailedJobRegistry(queue=queue).get_job_ids()
    assert pending_job(queue, live_job.id) is not None
    job, fresh = enqueue_sync(redis_conn, dead.id, Trigger.SCHEDULE, timeout=600)
    assert fresh and queue.job_ids == [job.id]


def test_a_heartbeat_is_judged_by_the_clock_given(redis_conn, boxes: list[Mailbox]) -> None:
    queue, job = _started(redis_conn, boxes[0].id, timedelta(seconds=10))
    assert pending_job(queue, job.id, now=utcnow()) is not None
    later = utcnow() + HEARTBEAT_STALE
    assert pending_job(queue, job.id, now=later) is None


def test_scheduler_enqueues_every_periodic_job(redis_conn) -> None:
    scheduler = build_scheduler(redis_conn)
    assert len(scheduler.get_jobs()) == len(PERIODIC)
    scheduler.enqueue_jobs()
    queued = Queue(queues.DEFAULT, connection=redis_conn).jobs
    assert sorted(job.func_name for job in queued) == sorted(
        f"{p.func.__module__}.{p.func.__name__}" for p in PERIODIC
    )


def test_force_sync_is_allowed_once_a_minute(
    redis_conn, session: Session, resources: Resources, boxes: list[Mailbox]
) -> None:
    job = force_sync(session, redis_conn, boxes[0], resources.settings)
    assert job.id == sync_job_id(boxes[0].id)
    assert job.args == (boxes[0].id, "FORCED")
    with pytest.raises(status.ForcedTooSoon) as raised:
        force_sync(session, redis_conn, boxes[0], resources.settings)
    assert 1 <= raised.value.seconds_left <= 60
