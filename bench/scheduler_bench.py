"""The scheduler's tick with a large backlog: how long claiming and queueing the due mailboxes
takes, how many statements and Redis round trips it needs, and that a backlog larger than one
tick's batch is worked off oldest first with nobody picked twice.

Creates ``--mailboxes`` connected Exchange mailboxes of one tenant (SQL Core inserts, as the
product's seed would make them), all due, their due times a second apart; then runs the tick
(``enqueue_due_mailboxes``, the function RQ's cron scheduler queues every 30 s) until nothing is
left, ``--repeat`` times on a fresh queue, and prints the median time of the first tick, the
ticks needed, the statements and the jobs queued; then the same first tick again with each
mailbox's last job ended (finished, kept for its result), as a running system finds them.
PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL`` name them, else a scratch SQLite
file and the embedded Redis. Nothing is synced.

Run: ``python -m bench.scheduler_bench [--mailboxes 10000] [--repeat 3] [--batch N]``. Never
part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rq import Queue
from rq.job import Job
from rq.utils import utcformat
from sqlalchemy import event, insert, select, update

from backend.extensions import Resources
from backend.jobs import queues, schedule
from backend.jobs.runtime import use_app
from backend.models import Mailbox, MailboxItemState, Tenant, User
from backend.models.mailbox import HealthStatus, Provider, Stage
from backend.models.types import ItemType, MailSystem
from backend.storage.db import utcnow
from backend.tenants.onboarding import create_tenant
from bench.scratch import scratch_app


def populate(found: Resources, count: int) -> None:
    session = found.session_factory()
    try:
        create_tenant(
            session, slug="backlog", name="Backlog", c4c_base_url="http://127.0.0.1:9/c4c/",
            mail_system=MailSystem.EXCHANGE_SERVER, mail_endpoint="http://127.0.0.1:9/EWS/",
            cipher=found.cipher, c4c_username="bench", c4c_credentials={"password": "bench"},
        )  # fmt: skip
        session.commit()
        tenant_id = session.scalars(select(Tenant.id).where(Tenant.slug == "backlog")).one()
        now = utcnow()
        session.execute(insert(User), [
            {"tenant_id": tenant_id, "email": f"u{n:05d}@backlog.test", "name": f"U {n}"}
            for n in range(count)
        ])  # fmt: skip
        users = session.scalars(select(User.id).order_by(User.id)).all()
        session.execute(insert(Mailbox), [
            {"tenant_id": tenant_id, "user_id": user, "address": f"u{n:05d}@backlog.test",
             "provider": Provider.EXCHANGE, "status": HealthStatus.ACTIVE,
             "next_sync_at": now - timedelta(seconds=count - n)}
            for n, user in enumerate(users)
        ])  # fmt: skip
        boxes = session.scalars(select(Mailbox.id)).all()
        session.execute(insert(MailboxItemState), [
            {"mailbox_id": box, "item_type": item_type, "stage": Stage.PENDING}
            for box in boxes for item_type in ItemType
        ])  # fmt: skip
        session.commit()
    finally:
        session.close()


def reset(found: Resources, *, ended: bool = False) -> None:
    """Every mailbox due again, on an empty queue; with ``ended``, each one's last job kept as
    a worker leaves it (finished, its result kept for an hour), as in a running system."""
    session = found.session_factory()
    try:
        session.execute(update(MailboxItemState).values(stage=Stage.PENDING))
        session.commit()
    finally:
        session.close()
    if not ended:
        found.redis.flushdb()
        return
    queue = Queue(queues.SYNC, connection=found.redis)
    stamp = utcformat(utcnow())
    with found.redis.pipeline(transaction=False) as pipe:
        for job_id in queue.job_ids:
            pipe.hset(Job.key_for(job_id), mapping={
                "status": "finished", "started_at": stamp, "ended_at": stamp,
                "last_heartbeat": stamp, "worker_name": "bench"})  # fmt: skip
        pipe.delete(queue.key)
        pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=schedule.DUE_BATCH, help="claims per tick")
    args = parser.parse_args()
    schedule.DUE_BATCH = args.batch
    with tempfile.TemporaryDirectory() as folder:
        app = scratch_app(Path(folder))
        found: Resources = app.extensions["ssi"]
        use_app(app)
        began = time.perf_counter()
        populate(found, args.mailboxes)
        print(f"{args.mailboxes:,} due mailboxes made in {time.perf_counter() - began:.1f} s "
              f"({found.engine.dialect.name}, batch {schedule.DUE_BATCH:,} per tick)")  # fmt: skip
        statements: list[str] = []
        event.listen(found.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        firsts, totals, ticks_needed, first_statements, steady = [], [], [], [], []
        for _ in range(args.repeat):
            reset(found)
            statements.clear()
            started = time.perf_counter()
            queued = [schedule.enqueue_due_mailboxes()]
            firsts.append(time.perf_counter() - started)
            first_statements.append(len(statements))
            while queued[-1]:
                queued.append(schedule.enqueue_due_mailboxes())
            totals.append(time.perf_counter() - started)
            ticks_needed.append(len(queued) - 1)
            jobs = Queue(queues.SYNC, connection=found.redis).job_ids
            assert len(jobs) == len(set(jobs)) == args.mailboxes, "each mailbox queued once"
            reset(found, ended=True)
            started = time.perf_counter()
            again = schedule.enqueue_due_mailboxes()
            steady.append(time.perf_counter() - started)
            assert again == min(args.mailboxes, schedule.DUE_BATCH), "ended jobs are queued again"
        print("| figure | median |")
        print("|---|---|")
        print(f"| first tick (s) | {statistics.median(firsts):.2f} |")
        print(f"| statements in the first tick | {statistics.median(first_statements):.0f} |")
        print(f"| ticks until every mailbox is queued | {statistics.median(ticks_needed):.0f} |")
        print(f"| all ticks (s) | {statistics.median(totals):.2f} |")
        print(
            f"| first tick, each mailbox's last job ended (s) | {statistics.median(steady):.2f} |"
        )
        found.engine.dispose()


if __name__ == "__main__":
    main()
