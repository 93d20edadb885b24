"""The scheduler's tick claims due mailboxes as a set: oldest due first, a queued mailbox never
claimed again while others wait, the same few statements whatever the number, and a claim whose
job Redis lost is queued again at the next tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from rq.utils import utcformat
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs import queues, schedule, single_flight
from backend.jobs.runtime import use_app
from backend.jobs.schedule import enqueue_due_mailboxes, enqueue_many
from backend.jobs.single_flight import sync_job_id
from backend.jobs.worker import SyncWorker
from backend.models import Mailbox, MailboxItemState
from backend.models.mailbox import Stage
from backend.models.run import Trigger
from backend.storage.db import utcnow
from backend.sync import status
from tests.support import factories
from tests.support.statements import statements_run


def fleet(
    session: Session, resources: Resources, count: int, slug: str = "contoso"
) -> list[Mailbox]:
    """``count`` mailboxes of one company, due one minute apart (the first the longest)."""
    owner = factories.tenant(session, resources.cipher, slug=slug)
    boxes = [
        factories.mailbox(session, resources.cipher, owner, email=f"u{n:03d}@{slug}.test")
        for n in range(count)
    ]
    now = utcnow()
    for index, box in enumerate(boxes):
        box.next_sync_at = now - timedelta(minutes=count - index)
    session.commit()
    return boxes


@pytest.fixture
def ticking(app):
    use_app(app)


def queued(redis_conn) -> list[str]:
    return Queue(queues.SYNC, connection=redis_conn).job_ids


def test_a_backlog_is_claimed_oldest_first_and_nobody_starves(
    ticking, session, resources, redis_conn, monkeypatch
) -> None:
    boxes = fleet(session, resources, 5)
    monkeypatch.setattr(schedule, "DUE_BATCH", 2)
    assert enqueue_due_mailboxes() == 2
    assert enqueue_due_mailboxes() == 2, "the next two, not the same two again"
    assert enqueue_due_mailboxes() == 1
    assert enqueue_due_mailboxes() == 0
    assert queued(redis_conn) == [sync_job_id(box.id) for box in boxes], "in due order"
    session.expire_all()
    assert {s.stage for box in boxes for s in session.get(Mailbox, box.id).item_states} == {
        Stage.SCHEDULED
    }


def test_a_tick_costs_the_same_statements_for_3_or_60_due_mailboxes(
    ticking, session, resources, redis_conn
) -> None:
    def statements_of_a_tick() -> int:
        with statements_run(resources.engine) as counted:
            enqueue_due_mailboxes()
        return len(counted)

    fleet(session, resources, 3)
    few = statements_of_a_tick()
    session.execute(update(MailboxItemState).values(stage=Stage.PENDING))
    session.commit()
    redis_conn.flushdb()
    fleet(session, resources, 57, slug="fabrikam")
    many = statements_of_a_tick()
    assert len(queued(redis_conn)) == 60
    assert many == few, "one claim and one update, whatever the number"


def test_a_claim_whose_job_redis_lost_is_queued_at_the_next_tick(
    ticking, session, resources, redis_conn
) -> None:
    boxes = fleet(session, resources, 3)
    assert enqueue_due_mailboxes() == 3
    redis_conn.flushdb()  # Redis lost its queues: the database still says what is claimed
    assert enqueue_due_mailboxes() == 3
    assert sorted(queued(redis_conn)) == sorted(sync_job_id(box.id) for box in boxes)
    assert enqueue_due_mailboxes() == 0


def test_a_stale_claim_is_due_again_even_when_its_job_is_still_queued(
    ticking, session, resources, redis_conn
) -> None:
    (box,) = fleet(session, resources, 1)
    assert enqueue_due_mailboxes() == 1
    later = utcnow() + timedelta(seconds=2 * resources.settings.sync_interval_seconds + 1)
    assert enqueue_due_mailboxes(clock=lambda: later) == 0, "its job still waits: not twice"
    session.expire_all()
    states = session.get(Mailbox, box.id).item_states
    assert {s.stage_started_at.replace(tzinfo=later.tzinfo) for s in states} == {later}


def test_enqueue_many_skips_mailboxes_with_a_job_waiting(redis_conn) -> None:
    now = utcnow()
    assert enqueue_many(redis_conn, [1, 2], Trigger.SCHEDULE, 600, now) == 2
    assert enqueue_many(redis_conn, [2, 3], Trigger.SCHEDULE, 600, now) == 1
    assert queued(redis_conn) == [sync_job_id(n) for n in (1, 2, 3)]


@pytest.mark.parametrize("chunk", [single_flight.STATUS_CHUNK, 3])
def test_a_mailbox_whose_last_job_ended_is_queued_again_and_a_running_one_is_not(
    redis_conn, monkeypatch, chunk
) -> None:
    """Each job's status read, a chunk of jobs to a command: the answers stay in order."""
    monkeypatch.setattr(single_flight, "STATUS_CHUNK", chunk)
    now = utcnow()
    assert enqueue_many(redis_conn, [1, 2, 3, 4], Trigger.SCHEDULE, 600, now) == 4
    redis_conn.delete(Queue(queues.SYNC, connection=redis_conn).key)
    beat = {"started_at": utcformat(now), "last_heartbeat": utcformat(now)}
    for mailbox_id, state in ((1, "finished"), (2, "failed"), (3, "started")):
        redis_conn.hset(f"rq:job:{sync_job_id(mailbox_id)}", mapping={"status": state, **beat})
    assert enqueue_many(redis_conn, [1, 2, 3, 4], Trigger.SCHEDULE, 600, now) == 2
    assert queued(redis_conn) == [sync_job_id(1), sync_job_id(2)], "4 is still waiting"
    redis_conn.hset(
        f"rq:job:{sync_job_id(3)}", "last_heartbeat", utcformat(now - timedelta(minutes=5))
    )
    assert enqueue_many(redis_conn, [3], Trigger.SCHEDULE, 600, now) == 1, "its worker died"


@pytest.mark.parametrize("chunk", [schedule.PUSH_CHUNK, 2])
def test_runs_are_stored_as_rqs_own_enqueue_stores_them(redis_conn, monkeypatch, chunk) -> None:
    """The tick writes the jobs' hashes itself, a chunk of them to a command (the fields they
    share sent once): held to what RQ writes, job by job, in the order they were due."""
    monkeypatch.setattr(schedule, "PUSH_CHUNK", chunk)
    mailboxes = [7, 3, 11, 5, 9]
    now = utcnow()
    assert enqueue_many(redis_conn, mailboxes, Trigger.SCHEDULE, 600, now) == 5
    keys = [f"rq:job:{sync_job_id(mailbox_id)}" for mailbox_id in mailboxes]
    ours = [redis_conn.hgetall(key) for key in keys]
    queue = Queue(queues.SYNC, connection=redis_conn)
    assert queue.job_ids == [sync_job_id(mailbox_id) for mailbox_id in mailboxes]
    assert redis_conn.smembers(queue.redis_queues_keys) == {queue.key.encode()}
    assert Job.fetch(sync_job_id(3), connection=redis_conn).args == (3, "SCHEDULE")
    redis_conn.flushdb()

    from backend.jobs.sync import sync_mailbox

    queue.enqueue_many([Queue.prepare_data(
        sync_mailbox, (mailbox_id, "SCHEDULE"), job_id=sync_job_id(mailbox_id), timeout=600,
        result_ttl=3600, failure_ttl=7 * 86400) for mailbox_id in mailboxes])  # fmt: skip
    theirs = [redis_conn.hgetall(key) for key in keys]
    stamps = {b"created_at", b"enqueued_at"}
    for mine, rqs in zip(ours, theirs, strict=True):
        assert {k: v for k, v in mine.items() if k not in stamps} == {
            k: v for k, v in rqs.items() if k not in stamps
        }
        assert mine.keys() == rqs.keys()
        assert mine[b"enqueued_at"] == utcformat(now).encode()


def test_a_mailbox_paused_while_queued_is_queued_again_once_resumed(
    ticking, session, resources, redis_conn
) -> None:
    (box,) = fleet(session, resources, 1)
    assert enqueue_due_mailboxes() == 1
    status.pause(box, utcnow())
    session.commit()
    SyncWorker([queues.SYNC], connection=redis_conn).work(burst=True)  # the job skips it
    assert enqueue_due_mailboxes() == 0, "paused: nothing to queue"
    status.resume(box, utcnow())
    session.commit()
    assert enqueue_due_mailboxes() == 1, "its claim's job ended without running it"
    assert queued(redis_conn) == [sync_job_id(box.id)]
